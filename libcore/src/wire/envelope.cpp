#include "shardkit/wire/envelope.h"

#include <cstdio>

namespace shardkit::wire {
namespace {

void PutBig16(char* p, uint16_t v) {
  p[0] = static_cast<char>(v >> 8);
  p[1] = static_cast<char>(v);
}

void PutBig64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (56 - 8 * i));
}

uint16_t GetBig16(const unsigned char* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

uint64_t GetBig64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

std::string Hex16(uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", v);
  return buf;
}

}  // namespace

void EncodeHeaderTo(const Header& header, char* out) {
  out[0] = kMagic0;
  out[1] = kMagic1;
  out[2] = static_cast<char>(header.version);
  PutBig16(out + 3, static_cast<uint16_t>(header.type));
  PutBig16(out + 5, header.flags);
  PutBig64(out + 7, header.request_id);
}

std::string EncodeHeader(const Header& header) {
  std::string frame(kHeaderBytes, '\0');
  EncodeHeaderTo(header, frame.data());
  return frame;
}

Status DecodeHeader(std::string_view frame, Header* out) {
  if (frame.size() != kHeaderBytes) {
    return Status::DataError("header frame is " + std::to_string(frame.size()) +
                             " bytes, expected " + std::to_string(kHeaderBytes));
  }
  const auto* p = reinterpret_cast<const unsigned char*>(frame.data());
  if (p[0] != static_cast<unsigned char>(kMagic0) || p[1] != static_cast<unsigned char>(kMagic1)) {
    return Status::DataError("bad magic " + Hex16(GetBig16(p)) +
                             " in header, expected 0x534b ('SK')");
  }
  if (p[2] != kProtocolVersion) {
    return Status::DataError("unsupported protocol version " + std::to_string(p[2]) +
                             ", expected " + std::to_string(kProtocolVersion));
  }
  const uint16_t flags = GetBig16(p + 5);
  if ((flags & ~kKnownFlags) != 0) {
    return Status::DataError("unknown header flags " + Hex16(flags & ~kKnownFlags));
  }
  out->version = p[2];
  out->type = static_cast<MsgType>(GetBig16(p + 3));
  out->flags = flags;
  out->request_id = GetBig64(p + 7);
  return Status::Ok();
}

}  // namespace shardkit::wire
