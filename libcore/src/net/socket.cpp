#include "shardkit/net/socket.h"

#include <cstdint>

#include "shardkit/net/endpoint.h"
#include "shardkit/wire/protocol.h"
#include "zmq_c.h"

namespace shardkit::net {
namespace {

// libzmq only speaks IPv6 on a socket with ZMQ_IPV6 set; turn it on when
// the endpoint needs it rather than always, so IPv4-only hosts are unaffected.
Status EnableIPv6IfNeeded(zmq::socket_t& socket, const std::string& endpoint) {
  if (!endpoint.starts_with("tcp://[")) return Status::Ok();
  return SetIntOption(socket, ZMQ_IPV6, 1, "ZMQ_IPV6");
}

bool IsWildcard(const std::string& endpoint) {
  if (endpoint == "ipc://*") return true;
  if (!endpoint.starts_with("tcp://")) return false;
  return endpoint.starts_with("tcp://*:") || endpoint.ends_with(":*") || endpoint.ends_with(":0");
}

}  // namespace

Status ApplyBaseline(zmq::socket_t& socket, zmq::socket_type type) {
  SK_RETURN_IF_ERROR(SetIntOption(socket, ZMQ_LINGER, wire::kLingerMs, "ZMQ_LINGER"));
  const int64_t max_message = static_cast<int64_t>(wire::kMaxMessageBytes);
  SK_RETURN_IF_ERROR(
      SetOption(socket, ZMQ_MAXMSGSIZE, &max_message, sizeof max_message, "ZMQ_MAXMSGSIZE"));
  SK_RETURN_IF_ERROR(
      SetIntOption(socket, ZMQ_HEARTBEAT_IVL, wire::kHeartbeatIvlMs, "ZMQ_HEARTBEAT_IVL"));
  SK_RETURN_IF_ERROR(SetIntOption(socket, ZMQ_HEARTBEAT_TIMEOUT, wire::kHeartbeatTimeoutMs,
                                  "ZMQ_HEARTBEAT_TIMEOUT"));
  SK_RETURN_IF_ERROR(
      SetIntOption(socket, ZMQ_HEARTBEAT_TTL, wire::kHeartbeatTtlMs, "ZMQ_HEARTBEAT_TTL"));
  SK_RETURN_IF_ERROR(
      SetIntOption(socket, ZMQ_HANDSHAKE_IVL, wire::kHandshakeIvlMs, "ZMQ_HANDSHAKE_IVL"));
  if (type == zmq::socket_type::router) {
    SK_RETURN_IF_ERROR(SetIntOption(socket, ZMQ_ROUTER_MANDATORY, 1, "ZMQ_ROUTER_MANDATORY"));
  }
  return Status::Ok();
}

Result<zmq::socket_t> MakeSocket(zmq::context_t& context, zmq::socket_type type) {
  try {
    zmq::socket_t socket(context, type);
    SK_RETURN_IF_ERROR(ApplyBaseline(socket, type));
    return socket;
  } catch (const zmq::error_t& e) {
    return ZmqError("cannot create socket", e.num());
  }
}

Status BindEndpoint(zmq::socket_t& socket, const std::string& endpoint) {
  SK_RETURN_IF_ERROR(ValidateEndpoint(endpoint));
  SK_RETURN_IF_ERROR(EnableIPv6IfNeeded(socket, endpoint));
  if (zmq_bind(socket.handle(), endpoint.c_str()) == 0) return Status::Ok();
  const int err = zmq_errno();
  std::string message = "cannot bind " + endpoint + ": " + zmq_strerror(err);
  if (err == EADDRINUSE || err == EADDRNOTAVAIL) return Status::Unavailable(std::move(message));
  if (err == ETERM) return Status::Unavailable(std::move(message));
  return Status::Config(std::move(message));
}

Status ConnectEndpoint(zmq::socket_t& socket, const std::string& endpoint) {
  SK_RETURN_IF_ERROR(ValidateEndpoint(endpoint));
  if (IsWildcard(endpoint)) {
    return Status::Usage("cannot connect to wildcard endpoint '" + endpoint + "'");
  }
  SK_RETURN_IF_ERROR(EnableIPv6IfNeeded(socket, endpoint));
  if (zmq_connect(socket.handle(), endpoint.c_str()) == 0) return Status::Ok();
  const int err = zmq_errno();
  std::string message = "cannot connect to " + endpoint + ": " + zmq_strerror(err);
  if (err == ETERM) return Status::Unavailable(std::move(message));
  return Status::Config(std::move(message));
}

Result<std::string> LastEndpoint(zmq::socket_t& socket) {
  char buf[1024];
  size_t size = sizeof buf;
  if (zmq_getsockopt(socket.handle(), ZMQ_LAST_ENDPOINT, buf, &size) != 0) {
    return ZmqError("reading ZMQ_LAST_ENDPOINT", zmq_errno());
  }
  // The value is NUL-terminated and size counts the NUL.
  return std::string(buf, size > 0 ? size - 1 : 0);
}

Status SendFrames(zmq::socket_t& socket, std::span<const std::string_view> frames, bool dontwait) {
  if (frames.empty()) return Status::Internal("sending a message with no frames");
  for (size_t i = 0; i < frames.size(); ++i) {
    const int flags = (dontwait ? ZMQ_DONTWAIT : 0) | (i + 1 < frames.size() ? ZMQ_SNDMORE : 0);
    while (zmq_send(socket.handle(), frames[i].data(), frames[i].size(), flags) < 0) {
      const int err = zmq_errno();
      if (err == EINTR) continue;
      // libzmq queues a multipart message atomically: only the first frame
      // can be refused for lack of room, and then nothing was sent.
      if (err == EAGAIN && i == 0) return Status::Temporary("send would block");
      if (err == EHOSTUNREACH) return Status::Unavailable("peer is gone");
      return ZmqError("send", err);
    }
  }
  return Status::Ok();
}

Result<size_t> ReceiveFrames(zmq::socket_t& socket, std::vector<zmq::message_t>* frames,
                             bool dontwait, size_t max_frames) {
  size_t total = 0;
  size_t kept = 0;
  zmq::message_t overflow;  // receives frames past max_frames, then dropped
  while (true) {
    zmq::message_t* frame = &overflow;
    if (kept < max_frames) {
      if (kept == frames->size()) frames->emplace_back();
      frame = &(*frames)[kept];
    }
    // Only the first frame can be absent: the rest of a multipart message
    // arrives with it.
    const int flags = (total == 0 && dontwait) ? ZMQ_DONTWAIT : 0;
    if (zmq_msg_recv(frame->handle(), socket.handle(), flags) < 0) {
      const int err = zmq_errno();
      if (err == EINTR) continue;
      if (err == EAGAIN && total == 0) {
        frames->clear();
        return size_t{0};
      }
      return ZmqError("receive", err);
    }
    ++total;
    if (frame != &overflow) ++kept;
    if (!zmq_msg_more(frame->handle())) break;
  }
  frames->resize(kept);
  return total;
}

}  // namespace shardkit::net
