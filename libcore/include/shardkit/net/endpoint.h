// Endpoint strings: validation, loopback detection and the listen policy.
//
// shardkit accepts exactly three ZeroMQ transports:
//
//   tcp://HOST:PORT   HOST is an IPv4 address, [IPv6], a host or interface
//                     name, or '*'; PORT is 0..65535 or '*' (0 and '*' pick
//                     a free port when binding)
//   ipc://PATH        a Unix socket path (at most 107 bytes), '@name' for the
//                     abstract namespace, or '*'
//   inproc://NAME     in-process, any non-empty name
//
// Anything else (udp://, pgm://, zmq's "tcp://src;dst" form) is refused
// here with a precise message, before libzmq gives a bare EINVAL.
#pragma once

#include <string_view>

#include "shardkit/status/status.h"

namespace shardkit::net {

// Returns ok when `endpoint` has one of the forms above, else Usage with a
// message naming the endpoint and what is wrong with it.
Status ValidateEndpoint(std::string_view endpoint);

// True when only this host can reach `endpoint`: tcp to 127.0.0.0/8, [::1]
// (or ::ffff:127.x.x.x) or "localhost", and every ipc:// and inproc://
// endpoint. False for anything else, including invalid endpoints, wildcards
// and names that might resolve to loopback: when in doubt it is not.
bool IsLoopback(std::string_view endpoint);

// Decides whether a daemon may listen on `endpoint`. Returns the
// ValidateEndpoint error for a bad endpoint; Config("refusing to listen on
// ENDPOINT without CURVE; pass --curve-secret FILE or --insecure") for a
// non-loopback endpoint when `curve` and `insecure` are both false; ok
// otherwise.
Status CheckListenPolicy(std::string_view endpoint, bool curve, bool insecure);

}  // namespace shardkit::net
