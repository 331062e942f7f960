// Server: the request/reply half of a ROUTER socket.
//
// Each incoming message must be [routing id][header][body]. A message that
// is not (wrong frame count, bad header, oversized body) is answered with
// ErrorReply{kBadRequest, reason}; the connection stays up, no handler runs
// and the next message is served normally (DESIGN.md §5). Everything else
// goes to the handler, whose answer is sent back with the request's id.
//
//   Server server(router, [&](const wire::Header& h, std::string_view body)
//                              -> Server::HandlerResult {
//     if (h.type != wire::MsgType::kLocateRequest) return Server::Unsupported(h);
//     wire::LocateRequest req;
//     SK_RETURN_IF_ERROR(wire::DecodeBody(body, &req));  // -> kBadRequest
//     return std::pair{wire::MsgType::kLocateReply, wire::EncodeBody(Locate(req))};
//   });
//   loop.AddSocket(router, [&] { if (Status s = server.ServePending(); !s.ok()) loop.Stop(s); });
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include <zmq.hpp>

#include "shardkit/status/status.h"
#include "shardkit/wire/envelope.h"
#include "shardkit/wire/messages.h"

namespace shardkit::net {

class Server {
 public:
  // The reply's type and encoded body, or a Status that is sent back as
  // ErrorReplyFromStatus(status). To answer with a specific ErrorCode (e.g.
  // kUnsupported, kNotPrimary), return {MsgType::kError, EncodeBody(ErrorReply{...})}.
  using HandlerResult = Result<std::pair<wire::MsgType, std::string>>;
  using Handler = std::function<HandlerResult(const wire::Header& header, std::string_view body)>;

  // `socket` must be a ROUTER with the baseline (ROUTER_MANDATORY) and must
  // outlive the server.
  Server(zmq::socket_t& socket, Handler handler);

  // Serves one pending message without blocking. Returns true when one was
  // handled, false when none was pending, or an error when the socket
  // failed. A reply that cannot be delivered (the peer left, or its queue is
  // full) is dropped and counted: the client's retry covers it.
  Result<bool> ServeOne();

  // Serves pending messages until none is left or `max_messages` were
  // served (so one busy socket cannot starve the rest of an event loop).
  Status ServePending(size_t max_messages = 1024);

  uint64_t served() const { return served_; }
  uint64_t bad_requests() const { return bad_requests_; }
  uint64_t dropped_replies() const { return dropped_replies_; }

  // An ErrorReply{kUnsupported} result naming `header`'s type.
  static HandlerResult Unsupported(const wire::Header& header);

  // Deferred answers: a handler that cannot answer at once (it waits for the
  // log, or for another peer) returns Deferred(), keeps ReplyHandle() and
  // answers later, exactly once, with Reply().
  static HandlerResult Deferred() { return std::pair{wire::MsgType{0}, std::string()}; }
  // The routing id of the message being handled (valid inside the handler).
  std::string_view ReplyHandle() const { return routing_id_; }
  // Sends one reply to `routing_id`. A reply that cannot be delivered is
  // dropped and counted, as for immediate replies.
  Status Reply(std::string_view routing_id, wire::MsgType type, uint64_t request_id,
               std::string_view body) {
    return SendReply(routing_id, type, request_id, body);
  }

 private:
  Status SendReply(std::string_view routing_id, wire::MsgType type, uint64_t request_id,
                   std::string_view body);
  Status SendError(std::string_view routing_id, uint64_t request_id, const wire::ErrorReply& error);

  zmq::socket_t* socket_;
  Handler handler_;
  std::vector<zmq::message_t> frames_;  // reused receive buffer
  std::string error_body_;              // reused encode buffer
  std::string_view routing_id_;         // of the message being handled
  uint64_t served_ = 0;
  uint64_t bad_requests_ = 0;
  uint64_t dropped_replies_ = 0;
};

}  // namespace shardkit::net
