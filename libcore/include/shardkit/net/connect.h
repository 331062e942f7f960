// Connect: a connecting socket with the baseline and, when a server key is
// known, CURVE. This is what `--connect`, `--server-key` and a client
// `--curve-secret` turn into.
#pragma once

#include <chrono>
#include <string>
#include <zmq.hpp>

#include "shardkit/status/status.h"

namespace shardkit::net {

struct ConnectOptions {
  std::string endpoint;    // --connect
  std::string server_key;  // z85, from --server-key or the ring's curve-key=; empty: plaintext
  // The client's keypair (a NAME.secret file). Empty with a server key: a
  // fresh ephemeral keypair, which only a server allowing any key accepts.
  std::string curve_secret_file;
  std::chrono::milliseconds timeout{1000};  // per try, used by Client
  int retries = 2;                          // resends after the first try, used by Client
  // ZMQ_IMMEDIATE: queue messages only to a completed connection, so a
  // client sees a dead server as a timeout. Daemons talking to peers turn
  // it off, so the first message to a peer waits for the connection (up to
  // the high-water mark) instead of being dropped and resent later.
  bool immediate = true;
};

// Returns a socket of `type` connected to options.endpoint, with the
// baseline and, unless options.immediate is false, ZMQ_IMMEDIATE (messages
// are only queued to a completed connection, so nothing piles up for a peer
// that is down or refuses our key). Connecting is asynchronous: success means the options were
// good, not that the server is up.
//
// Errors: Usage for a bad endpoint or server key, or a client secret
// without a server key; ReadSecretFile's errors; Internal otherwise.
Result<zmq::socket_t> Connect(zmq::context_t& context, const ConnectOptions& options,
                              zmq::socket_type type = zmq::socket_type::dealer);

}  // namespace shardkit::net
