#include "shardkit/net/server.h"

#include <exception>

#include "shardkit/net/socket.h"
#include "shardkit/wire/codec.h"

namespace shardkit::net {

Server::Server(zmq::socket_t& socket, Handler handler)
    : socket_(&socket), handler_(std::move(handler)) {}

Server::HandlerResult Server::Unsupported(const wire::Header& header) {
  const wire::ErrorReply error{static_cast<uint16_t>(wire::ErrorCode::kUnsupported),
                               "unsupported message type " +
                                   std::to_string(static_cast<unsigned>(header.type)) + " (" +
                                   std::string(wire::MsgTypeName(header.type)) + ")"};
  return std::pair{wire::MsgType::kError, wire::EncodeBody(error)};
}

Status Server::SendReply(std::string_view routing_id, wire::MsgType type, uint64_t request_id,
                         std::string_view body) {
  char header[wire::kHeaderBytes];
  wire::EncodeHeaderTo(wire::Header{wire::kProtocolVersion, type, 0, request_id}, header);
  const std::string_view frames[] = {routing_id, std::string_view(header, sizeof header), body};
  const Status s = SendFrames(*socket_, frames, /*dontwait=*/true);
  // Never block the loop on one slow or vanished client.
  if (s.code() == Code::kTemporary || s.code() == Code::kUnavailable) {
    ++dropped_replies_;
    return Status::Ok();
  }
  return s;
}

Status Server::SendError(std::string_view routing_id, uint64_t request_id,
                         const wire::ErrorReply& error) {
  wire::EncodeBodyTo(error, &error_body_);
  return SendReply(routing_id, wire::MsgType::kError, request_id, error_body_);
}

Result<bool> Server::ServeOne() {
  auto total = ReceiveFrames(*socket_, &frames_, /*dontwait=*/true);
  if (!total.ok()) return total.status();
  if (*total == 0) return false;
  ++served_;
  const std::string_view routing_id = View(frames_[0]);

  // Echo the request id whenever the header frame is readable, so even a
  // rejected request can be matched by the client.
  wire::Header header;
  const bool header_ok = frames_.size() >= 2 && wire::DecodeHeader(View(frames_[1]), &header).ok();
  const uint64_t request_id = header_ok ? header.request_id : 0;
  const auto bad_request = [&](const std::string& reason) -> Result<bool> {
    ++bad_requests_;
    SK_RETURN_IF_ERROR(
        SendError(routing_id, request_id,
                  wire::ErrorReply{static_cast<uint16_t>(wire::ErrorCode::kBadRequest), reason}));
    return true;
  };

  if (*total != 1 + wire::kMessageFrames) {
    return bad_request("message has " + std::to_string(*total - 1) +
                       " frames after routing, expected 2 (header, body)");
  }
  const std::string_view views[] = {View(frames_[1]), View(frames_[2])};
  auto message = wire::DecodeMessage(views);
  if (!message.ok()) return bad_request(message.status().message());

  HandlerResult result = Status::Internal("handler did not run");
  routing_id_ = routing_id;
  try {
    result = handler_(message->header, message->body);
  } catch (const std::exception& e) {
    result = Status::Internal(std::string("handler failed: ") + e.what());
  } catch (...) {
    result = Status::Internal("handler failed with an unknown exception");
  }
  if (!result.ok()) {
    if (result.status().code() == Code::kDataError) ++bad_requests_;
    SK_RETURN_IF_ERROR(
        SendError(routing_id, request_id, wire::ErrorReplyFromStatus(result.status())));
    return true;
  }
  if (result->first == wire::MsgType{0}) return true;  // Deferred: answered later
  SK_RETURN_IF_ERROR(SendReply(routing_id, result->first, request_id, result->second));
  return true;
}

Status Server::ServePending(size_t max_messages) {
  for (size_t i = 0; i < max_messages; ++i) {
    auto served = ServeOne();
    if (!served.ok()) return served.status();
    if (!*served) break;
  }
  return Status::Ok();
}

}  // namespace shardkit::net
