#include "shardkit/net/client.h"

#include "zmq_c.h"

namespace shardkit::net {
namespace {

using std::chrono::milliseconds;

// Waits until `socket` has `events` (ZMQ_POLLIN/ZMQ_POLLOUT) or `deadline`
// passes. Returns true when ready, false on timeout.
Result<bool> WaitUntil(zmq::socket_t& socket, short events,
                       std::chrono::steady_clock::time_point deadline) {
  while (true) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return false;
    // Round up so we never spin on a sub-millisecond remainder.
    const long ms = static_cast<long>(std::chrono::ceil<milliseconds>(left).count());
    zmq_pollitem_t item = {socket.handle(), 0, events, 0};
    const int rc = zmq_poll(&item, 1, ms);
    if (rc < 0) {
      if (zmq_errno() == EINTR) continue;
      return ZmqError("zmq_poll", zmq_errno());
    }
    if (rc > 0) return true;
  }
}

}  // namespace

Client::Client(zmq::socket_t socket, ConnectOptions options)
    : socket_(std::move(socket)), options_(std::move(options)) {}

Result<Client> Client::Connect(zmq::context_t& context, const ConnectOptions& options) {
  auto socket = net::Connect(context, options, zmq::socket_type::dealer);
  if (!socket.ok()) return socket.status();
  return Client(std::move(*socket), options);
}

Result<bool> Client::SendBefore(wire::MsgType type, uint64_t id, std::string_view body,
                                Clock::time_point deadline) {
  char header[wire::kHeaderBytes];
  wire::EncodeHeaderTo(wire::Header{wire::kProtocolVersion, type, 0, id}, header);
  const std::string_view frames[] = {std::string_view(header, sizeof header), body};
  while (true) {
    const Status s = SendFrames(socket_, frames, /*dontwait=*/true);
    if (s.ok()) return true;
    if (s.code() != Code::kTemporary) return s.Prefixed("cannot send to " + endpoint());
    auto ready = WaitUntil(socket_, ZMQ_POLLOUT, deadline);
    if (!ready.ok()) return ready.status();
    if (!*ready) return false;
  }
}

Result<bool> Client::ReceiveBefore(Clock::time_point deadline, Reply* out) {
  while (true) {
    auto total = ReceiveFrames(socket_, &frames_, /*dontwait=*/true);
    if (!total.ok()) return total.status();
    if (*total > 0) {
      const std::string prefix = "malformed reply from " + endpoint();
      if (*total != wire::kMessageFrames) {
        return Status::DataError(prefix + ": message has " + std::to_string(*total) +
                                 " frames, expected 2 (header, body)");
      }
      SK_RETURN_IF_ERROR(wire::DecodeHeader(View(frames_[0]), &out->header).Prefixed(prefix));
      out->body_frame = std::move(frames_[1]);
      return true;
    }
    auto ready = WaitUntil(socket_, ZMQ_POLLIN, deadline);
    if (!ready.ok()) return ready.status();
    if (!*ready) return false;
  }
}

Result<Reply> Client::Call(wire::MsgType type, std::string_view body) {
  return Call(type, body, options_.timeout, options_.retries);
}

Result<Reply> Client::Call(wire::MsgType type, std::string_view body, milliseconds timeout,
                           int retries) {
  const uint64_t id = next_id_++;
  const int tries = std::max(retries, 0) + 1;
  for (int attempt = 0; attempt < tries; ++attempt) {
    const auto deadline = Clock::now() + timeout;
    // Same id every try: the server must see a resend as the same request.
    auto sent = SendBefore(type, id, body, deadline);
    if (!sent.ok()) return sent.status();
    if (!*sent) continue;
    Reply reply;
    while (true) {
      auto got = ReceiveBefore(deadline, &reply);
      if (!got.ok()) return got.status();
      if (!*got) break;
      if (reply.header.request_id != id) continue;  // late reply to an earlier try or call
      SK_RETURN_IF_ERROR(ReplyStatus(reply));
      return reply;
    }
  }
  return Status::Temporary("no reply from " + endpoint() + ": timed out after " +
                           std::to_string(tries) + (tries == 1 ? " try" : " tries"));
}

Result<uint64_t> Client::Send(wire::MsgType type, std::string_view body) {
  const uint64_t id = next_id_++;
  auto sent = SendBefore(type, id, body, Clock::now() + options_.timeout);
  if (!sent.ok()) return sent.status();
  if (!*sent) {
    return Status::Temporary("cannot send to " + endpoint() + ": no connection or no room after " +
                             std::to_string(options_.timeout.count()) + " ms");
  }
  return id;
}

Result<Reply> Client::Receive(milliseconds timeout) {
  Reply reply;
  auto got = ReceiveBefore(Clock::now() + timeout, &reply);
  if (!got.ok()) return got.status();
  if (!*got) {
    return Status::Temporary("no reply from " + endpoint() + " within " +
                             std::to_string(timeout.count()) + " ms");
  }
  return reply;
}

Status Client::ReplyStatus(const Reply& reply) const {
  if (reply.header.type != wire::MsgType::kError) return Status::Ok();
  wire::ErrorReply error;
  SK_RETURN_IF_ERROR(wire::DecodeBody(reply.body(), &error).Prefixed(endpoint()));
  return wire::StatusFromErrorReply(error).Prefixed(endpoint());
}

}  // namespace shardkit::net
