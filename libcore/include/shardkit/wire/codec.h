// Encoding and bounded decoding of bodies and whole messages.
//
// Start here when sending or receiving a shardkit message:
//
//   auto frames = EncodeMessage(request_id, LocateRequest{...});  // [header, body]
//   Result<MessageView> m = DecodeMessage(frames_after_routing);
//   LocateRequest req;
//   Status s = DecodeBody(m->body, &req);
//
// Decoding never throws and never trusts a length prefix (bounded_archive.h);
// any failure is Status::DataError with a reason precise enough to put in an
// ErrorReply{kBadRequest}.
#pragma once

#include <cereal/archives/portable_binary.hpp>
#include <exception>
#include <new>
#include <ostream>
#include <span>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <string_view>
#include <vector>

#include "shardkit/status/status.h"
#include "shardkit/wire/bounded_archive.h"
#include "shardkit/wire/envelope.h"
#include "shardkit/wire/protocol.h"

namespace shardkit::wire {
namespace detail {

// A streambuf that appends to a std::string, so encoding writes straight
// into the frame buffer instead of through an ostringstream and a copy.
class StringSink : public std::streambuf {
 public:
  explicit StringSink(std::string* out) : out_(out) {}

 protected:
  std::streamsize xsputn(const char* data, std::streamsize size) override {
    out_->append(data, static_cast<size_t>(size));
    return size;
  }
  int_type overflow(int_type ch) override {
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      out_->push_back(traits_type::to_char_type(ch));
    }
    return traits_type::not_eof(ch);
  }

 private:
  std::string* out_;
};

// The body's message type name for error messages, e.g. "LOCATE_REQUEST".
template <class T>
std::string BodyName() {
  if constexpr (requires { T::kType; }) {
    return std::string(MsgTypeName(T::kType));
  } else {
    return "message";
  }
}

}  // namespace detail

// Replaces *out with the PortableBinary encoding of `body` (little-endian on
// the wire, whatever the host), reusing *out's capacity so hot paths need no
// allocation. Only std::bad_alloc can escape, as from any allocation.
template <class T>
void EncodeBodyTo(const T& body, std::string* out) {
  out->clear();
  detail::StringSink sink(out);
  std::ostream stream(&sink);
  cereal::PortableBinaryOutputArchive archive(
      stream, cereal::PortableBinaryOutputArchive::Options::LittleEndian());
  archive(body);
}

// Returns the PortableBinary encoding of `body` (see EncodeBodyTo).
template <class T>
std::string EncodeBody(const T& body) {
  std::string out;
  EncodeBodyTo(body, &out);
  return out;
}

// Decodes `frame` as a T. On success replaces *out and returns ok. Otherwise
// returns DataError("<TYPE> body: <reason>") and leaves *out unchanged. Fails
// on a frame over kMaxMessageBytes, any read past the end, any length prefix
// larger than the bytes left (checked before allocating), and trailing bytes
// after the body. Every exception (cereal::Exception, std::length_error,
// std::bad_alloc, anything) is caught here and becomes DataError.
template <class T>
Status DecodeBody(std::string_view frame, T* out) {
  const auto fail = [](const std::string& reason) {
    return Status::DataError(detail::BodyName<T>() + " body: " + reason);
  };
  if (frame.size() > kMaxMessageBytes) {
    return fail(std::to_string(frame.size()) + " bytes exceeds the " +
                std::to_string(kMaxMessageBytes) + "-byte limit");
  }
  try {
    T value{};
    detail::BoundedInputArchive archive(frame);
    archive(value);
    if (archive.remaining() != 0) {
      return fail(std::to_string(archive.remaining()) + " trailing bytes at offset " +
                  std::to_string(archive.offset()));
    }
    *out = std::move(value);
    return Status::Ok();
  } catch (const cereal::Exception& e) {
    return fail(e.what());
  } catch (const std::length_error& e) {
    return fail(std::string("length error: ") + e.what());
  } catch (const std::bad_alloc&) {
    return fail("out of memory while decoding");
  } catch (const std::exception& e) {
    return fail(e.what());
  } catch (...) {
    return fail("unknown exception while decoding");
  }
}

// The frames after any routing frames, decoded just far enough to dispatch.
// `body` points into the caller's frame and is valid as long as it is.
struct MessageView {
  Header header;
  std::string_view body;
};

// Returns [header, body] for a message of `type`, with flags 0.
std::vector<std::string> EncodeMessage(MsgType type, uint64_t request_id, std::string body);

// Returns [header, body] for `body`, typed by T::kType.
template <class T>
std::vector<std::string> EncodeMessage(uint64_t request_id, const T& body) {
  return EncodeMessage(T::kType, request_id, EncodeBody(body));
}

// Checks that `frames` (routing frames already removed) is exactly
// kMessageFrames long, decodes the header and bounds the body size. The body
// itself is not decoded: dispatch on header.type and call DecodeBody. Returns
// DataError with a precise reason on any failure.
Result<MessageView> DecodeMessage(std::span<const std::string_view> frames);

}  // namespace shardkit::wire
