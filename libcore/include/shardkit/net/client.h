// Client: requests over a DEALER socket, matched to replies by request id.
//
// Two ways to use it:
//
//   Call: one request, wait for its reply. Each try waits `timeout`; on no
//   reply the same request (same id) is sent again, up to `retries` more
//   times, so the server must treat a repeated id as the same request.
//   Replies to other ids (a late answer to an earlier call) are dropped.
//
//   Send/Receive (pipelining): Send returns the id at once; Receive returns
//   the next reply, whichever it is. Keep a window of requests in flight and
//   match replies by header.request_id. There are no retries here: the
//   caller owns the window. Do not mix with Call while requests are in
//   flight, since Call drops replies that are not its own.
//
// DEALER, never REQ: REQ locks up (EFSM) when a reply never comes.
// Not thread-safe: one Client per thread, like its socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "shardkit/net/connect.h"
#include "shardkit/net/socket.h"
#include "shardkit/status/status.h"
#include "shardkit/wire/codec.h"
#include "shardkit/wire/envelope.h"
#include "shardkit/wire/messages.h"

namespace shardkit::net {

// One reply. The body stays in the received ZeroMQ frame (no copy).
struct Reply {
  wire::Header header;
  zmq::message_t body_frame;

  std::string_view body() const { return View(body_frame); }
};

class Client {
 public:
  // Connects (see net::Connect) and returns a client using options.timeout
  // and options.retries for Call. Errors are Connect's.
  static Result<Client> Connect(zmq::context_t& context, const ConnectOptions& options);

  Client(Client&&) noexcept = default;
  Client& operator=(Client&&) noexcept = default;

  // Sends `body` as a `type` request and returns the matching reply.
  // An ErrorReply becomes its Status (StatusFromErrorReply), prefixed with
  // the endpoint. After retries+1 tries without a reply returns
  // Temporary("no reply from ENDPOINT: timed out after N tries"). A reply
  // that cannot be parsed is DataError.
  Result<Reply> Call(wire::MsgType type, std::string_view body);
  Result<Reply> Call(wire::MsgType type, std::string_view body, std::chrono::milliseconds timeout,
                     int retries);

  // Typed Call: encodes `request`, checks that the reply is a Response and
  // decodes it into *response (untouched on failure).
  template <class Request, class Response>
  requires requires {
    Request::kType;
    Response::kType;
  }
  Status Call(const Request& request, Response* response);

  // Queues one `type` request and returns its id. Waits up to the connect
  // timeout for room (a connection, or space under the high-water mark),
  // then returns Temporary.
  Result<uint64_t> Send(wire::MsgType type, std::string_view body);

  // Returns the next reply, in arrival order, including ErrorReplies (see
  // ReplyStatus). Temporary when none arrives within `timeout`; DataError
  // for a reply that is not [header, body] or has a bad header.
  Result<Reply> Receive(std::chrono::milliseconds timeout);

  // Ok unless `reply` is an ErrorReply; then its Status, prefixed with the
  // endpoint (DataError if the ErrorReply itself cannot be decoded).
  Status ReplyStatus(const Reply& reply) const;

  const std::string& endpoint() const { return options_.endpoint; }

 private:
  using Clock = std::chrono::steady_clock;

  Client(zmq::socket_t socket, ConnectOptions options);

  // Sends one request; false when `deadline` passed before it was queued.
  Result<bool> SendBefore(wire::MsgType type, uint64_t id, std::string_view body,
                          Clock::time_point deadline);
  // Receives one reply into *out; false when `deadline` passed first.
  Result<bool> ReceiveBefore(Clock::time_point deadline, Reply* out);

  zmq::socket_t socket_;
  ConnectOptions options_;
  uint64_t next_id_ = 1;
  std::vector<zmq::message_t> frames_;  // reused receive buffer
  std::string request_body_;            // reused encode buffer for typed Call
};

template <class Request, class Response>
requires requires {
  Request::kType;
  Response::kType;
}
Status Client::Call(const Request& request, Response* response) {
  wire::EncodeBodyTo(request, &request_body_);
  auto reply = Call(Request::kType, request_body_);
  if (!reply.ok()) return reply.status();
  if (reply->header.type != Response::kType) {
    return Status::DataError(endpoint() + ": expected a " +
                             std::string(wire::MsgTypeName(Response::kType)) + " reply, got " +
                             std::string(wire::MsgTypeName(reply->header.type)));
  }
  return wire::DecodeBody(reply->body(), response).Prefixed(endpoint());
}

}  // namespace shardkit::net
