// Listen: a listening socket with the baseline, the listen policy and,
// when asked, CURVE with a ZAP allow list. This is what `--listen`,
// `--curve-secret`, `--allow` and `--insecure` turn into.
#pragma once

#include <string>
#include <zmq.hpp>

#include "shardkit/net/zap.h"
#include "shardkit/status/status.h"

namespace shardkit::net {

struct ListenOptions {
  std::string endpoint;           // --listen
  std::string curve_secret_file;  // --curve-secret NAME.secret; empty: plaintext
  std::string allow;              // --allow FILE|DIR of client keys; required with CURVE
  bool insecure = false;          // --insecure: allow plaintext off loopback
};

// Returns a socket of `type` bound to options.endpoint, with the baseline.
//
// Plaintext (no curve_secret_file): refused off loopback unless insecure,
// with the CheckListenPolicy message; `zap` is not used.
//
// CURVE: reads the secret file and the allow list, registers a domain with
// `zap` (required: without a ZAP handler CURVE accepts any client key) and
// makes the socket a CURVE server in that domain, so only allow-listed
// client keys complete the handshake. `zap` must outlive the socket.
//
// Errors: Usage for --allow without --curve-secret or the reverse, Config
// for the listen policy, the file errors of ReadSecretFile/LoadAllowList,
// and BindEndpoint's errors (Unavailable for an address in use). Nothing is
// left bound on failure.
Result<zmq::socket_t> Listen(zmq::context_t& context, const ListenOptions& options,
                             zmq::socket_type type, ZapHandler* zap = nullptr);

}  // namespace shardkit::net
