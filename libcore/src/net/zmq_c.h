// Private: calling the libzmq C API and turning its errno values into
// Status, so no cppzmq exception can escape the net module.
#pragma once

#include <zmq.h>

#include <string>
#include <string_view>
#include <zmq.hpp>

#include "shardkit/status/status.h"

namespace shardkit::net {

// "<what>: <zmq_strerror(err)>" with a code chosen for what the user should
// do: Unavailable when the context is shutting down, Internal otherwise.
inline Status ZmqError(std::string_view what, int err) {
  std::string message = std::string(what) + ": " + zmq_strerror(err);
  if (err == ETERM) return Status::Unavailable(std::move(message));
  return Status::Internal(std::move(message));
}

inline Status SetOption(zmq::socket_t& socket, int option, const void* value, size_t size,
                        const char* name) {
  if (zmq_setsockopt(socket.handle(), option, value, size) != 0) {
    return ZmqError(std::string("setting ") + name, zmq_errno());
  }
  return Status::Ok();
}

inline Status SetIntOption(zmq::socket_t& socket, int option, int value, const char* name) {
  return SetOption(socket, option, &value, sizeof value, name);
}

// Exact length, no NUL: libzmq keeps string options byte for byte, and tells
// a 40-character z85 key from a 32-byte binary one by length.
inline Status SetStringOption(zmq::socket_t& socket, int option, const std::string& value,
                              const char* name) {
  return SetOption(socket, option, value.data(), value.size(), name);
}

}  // namespace shardkit::net
