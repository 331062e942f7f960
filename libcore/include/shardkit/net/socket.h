// Socket set-up and frame I/O that never throw.
//
// cppzmq reports errors by throwing zmq::error_t; everything here calls the
// libzmq C API on socket.handle() instead and returns a Status, so callers
// keep errors-as-values. Every shardkit socket gets the baseline of
// DESIGN.md §5 through MakeSocket or ApplyBaseline.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "shardkit/status/status.h"
#include "shardkit/wire/protocol.h"

namespace shardkit::net {

// Applies the socket baseline: ZMQ_LINGER kLingerMs (the default -1 hangs at
// exit), ZMQ_MAXMSGSIZE kMaxMessageBytes, ZMTP heartbeats (kHeartbeat*),
// ZMQ_HANDSHAKE_IVL kHandshakeIvlMs, and ZMQ_ROUTER_MANDATORY on a ROUTER so
// an unroutable reply is an error rather than a silent drop. `type` must be
// the socket's type. Returns Internal naming the option on failure.
Status ApplyBaseline(zmq::socket_t& socket, zmq::socket_type type);

// Returns a new socket of `type` in `context` with the baseline applied, or
// Internal/Unavailable (context terminated, too many sockets).
Result<zmq::socket_t> MakeSocket(zmq::context_t& context, zmq::socket_type type);

// Binds `socket` to `endpoint` after ValidateEndpoint. Returns the
// validation error, Unavailable for an address in use or not available
// here, or Config for anything else libzmq refuses; the message names the
// endpoint and libzmq's reason.
Status BindEndpoint(zmq::socket_t& socket, const std::string& endpoint);

// Connects `socket` to `endpoint` (asynchronous in libzmq: success means the
// endpoint is valid, not that a peer is there). Refuses wildcard hosts and
// ports, which cannot be connected to.
Status ConnectEndpoint(zmq::socket_t& socket, const std::string& endpoint);

// The endpoint `socket` last bound, with a wildcard port resolved
// (ZMQ_LAST_ENDPOINT), e.g. "tcp://127.0.0.1:41234".
Result<std::string> LastEndpoint(zmq::socket_t& socket);

// Sends `frames` as one multipart message. With `dontwait`, returns
// Temporary when the message cannot be queued now (high-water mark, or no
// completed connection under ZMQ_IMMEDIATE); nothing is sent then.
// Returns Unavailable when a ROUTER's peer is gone (EHOSTUNREACH).
Status SendFrames(zmq::socket_t& socket, std::span<const std::string_view> frames,
                  bool dontwait = true);

// Receives one whole multipart message into *frames, reusing its elements.
// Keeps at most `max_frames` frames and drains the rest, so a peer cannot
// make us buffer an unbounded number. Returns the total number of frames the
// message had (which may exceed frames->size()), or 0 when `dontwait` is set
// and nothing is pending. Returns Internal on a socket error, Unavailable
// when the context is terminating.
Result<size_t> ReceiveFrames(zmq::socket_t& socket, std::vector<zmq::message_t>* frames,
                             bool dontwait = true, size_t max_frames = wire::kMaxFrames);

// A view of a frame's bytes, valid while the frame is.
inline std::string_view View(const zmq::message_t& frame) {
  return {static_cast<const char*>(frame.data()), frame.size()};
}

}  // namespace shardkit::net
