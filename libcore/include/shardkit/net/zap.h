// ZapHandler: the ZeroMQ authentication handler (RFC 27/ZAP) that decides
// which CURVE clients a listening socket accepts.
//
// Why it exists: a CURVE server socket with no ZAP handler accepts ANY
// client key, and one whose ZAP handler stops answering stalls every
// handshake. So:
//
//   - the handler binds inproc://zeromq.zap.01 once, at Start(), and keeps
//     that socket bound until it is destroyed, even while its worker thread
//     is being restarted (an unbound ZAP endpoint would mean "accept all");
//   - the worker runs under a supervisor thread: if it dies (any exception),
//     the supervisor logs it and starts a new worker on the same socket,
//     with a short backoff;
//   - each listening socket gets its own ZAP domain with its own allow list,
//     and a domain only accepts the CURVE mechanism: NULL and PLAIN are
//     refused, as is any domain the handler does not know.
//
// One handler per zmq::context_t (the endpoint is per context). It must be
// destroyed AFTER every socket that uses its domains is closed, and before
// the context is: when the handler goes, libzmq stops asking it and a CURVE
// socket left open would accept any key.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "shardkit/status/status.h"

namespace shardkit::net {

// The RFC 27 endpoint libzmq sends authentication requests to.
inline constexpr char kZapEndpoint[] = "inproc://zeromq.zap.01";

// One decision or supervision event, for logging.
struct ZapEvent {
  enum class Kind { kAllow, kDeny, kRestart };
  Kind kind = Kind::kDeny;
  std::string domain;
  std::string address;     // the peer's IP address, as libzmq reports it
  std::string mechanism;   // "CURVE", "NULL", "PLAIN"
  std::string client_key;  // z85, CURVE only
  std::string reason;      // why denied, or why the worker died
};

class ZapHandler {
 public:
  // Called from the handler's threads: it must be thread-safe and must not
  // call back into the ZapHandler.
  using LogFn = std::function<void(const ZapEvent&)>;

  // Binds kZapEndpoint in `context` and starts the supervised worker.
  // Returns Config when another handler is already bound in this context,
  // Internal on any other failure. `log` may be empty. `context` must
  // outlive the handler.
  static Result<ZapHandler> Start(zmq::context_t& context, LogFn log = {});

  // Movable (the threads hold the internal state, not the handle); a
  // moved-from handler may only be destroyed or assigned to.
  ZapHandler(ZapHandler&&) noexcept;
  ZapHandler& operator=(ZapHandler&&) noexcept;
  ~ZapHandler();  // Stop()s

  // Registers a new CURVE-only domain that accepts exactly `client_keys`
  // (z85 public keys) and returns its name, to be set as ZMQ_ZAP_DOMAIN on
  // one listening socket. Returns DataError for a malformed key. Thread-safe.
  Result<std::string> AddCurveDomain(const std::vector<std::string>& client_keys);

  // Stops the worker and supervisor and unbinds the endpoint. Idempotent.
  // Blocks until the threads have exited (promptly: they are woken).
  void Stop();

  // How many times the worker has been restarted after dying.
  uint64_t restarts() const;

  // Test hook: makes the worker throw, as a bug would, so the supervisor's
  // restart path can be exercised. Returns immediately.
  void KillWorkerForTesting();

 private:
  struct State;  // shared with the threads; stable address across moves
  explicit ZapHandler(std::unique_ptr<State> state);

  std::unique_ptr<State> state_;
};

}  // namespace shardkit::net
