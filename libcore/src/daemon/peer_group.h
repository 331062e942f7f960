// PeerGroup: the Node's DEALER to one peer address (node.h), which may name
// a replica set, "EP1,EP2,..." primary first (replica_set.h).
//
// One socket at a time, connected to the current member. The group moves to
// another member when
//   * the current one answers ErrorReply{kNotPrimary} (to the member its
//     hint names, if any, else the next one), or
//   * requests were sent to it and nothing at all came back for `silence`
//     (checked when the next request is sent: the core's resend timers
//     repeat every unanswered request, so that is soon enough).
// A move closes the socket and connects a new one: what was queued for the
// old member is dropped, and no late answer from it (another NOT_PRIMARY,
// say) can reach the core or move the group again. The core's resend
// timers repeat what was lost, now to the new member (driver contract,
// txn/core.h). The NOT_PRIMARY itself is not given to the core.
//
// A single endpoint never moves: its socket and every answer it sends,
// NOT_PRIMARY included, are exactly what the Node had before groups.
//
// Single-threaded, on the Node's event loop thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <zmq.hpp>

#include "shardkit/daemon/replica_set.h"
#include "shardkit/net/loop.h"
#include "shardkit/status/status.h"
#include "shardkit/wire/messages.h"

namespace shardkit::daemon {

class PeerGroup {
 public:
  using Clock = std::chrono::steady_clock;
  // Returns a DEALER connected to one member endpoint (CURVE keys are per
  // member, so this is asked once per member it connects to).
  using Connector = std::function<Result<zmq::socket_t>(const std::string& endpoint)>;

  static constexpr std::chrono::milliseconds kDefaultSilence{1000};

  // Parses `address` (ReplicaSet::Parse), connects to the first member that
  // `connect` accepts (in list order), and watches the socket on `loop`,
  // calling `on_readable` whenever it has input, now and after every move.
  // Errors: the parse error, or the last member's connect error.
  static Result<std::unique_ptr<PeerGroup>> Open(
      const std::string& address, Connector connect, net::EventLoop& loop,
      net::EventLoop::Callback on_readable, std::chrono::milliseconds silence = kDefaultSilence);
  // Use Open().
  PeerGroup(std::string address, ReplicaSet set, Connector connect, net::EventLoop& loop,
            net::EventLoop::Callback on_readable, std::chrono::milliseconds silence);
  // Stops watching the socket (the loop must still be alive).
  ~PeerGroup();
  PeerGroup(const PeerGroup&) = delete;
  PeerGroup& operator=(const PeerGroup&) = delete;

  // The socket of the current member. Changes on a move: never keep it
  // across a call to BeforeSend or OnError.
  zmq::socket_t& socket() { return socket_; }
  const std::string& address() const { return address_; }
  const std::string& member() const { return set_.current(); }
  uint64_t moves() const { return moves_; }

  // Call before each send at `now`: moves on when earlier requests have
  // gone unanswered for `silence`, then counts this one as unanswered.
  void BeforeSend(Clock::time_point now);
  // Call for every message read from socket(), well-formed or not.
  void Heard() { unanswered_since_.reset(); }
  // Call for an ErrorReply read from socket(). Returns true when it was a
  // NOT_PRIMARY the group acted on by moving: drop it, and stop reading,
  // since the socket it came from is closed. Always false for one endpoint.
  bool OnError(const wire::ErrorReply& error);

 private:
  // Moves to the next member (or `hint`'s) that connects, logging why. With
  // none that connects, stays where it is.
  void Move(const std::string& reason, std::string_view hint);

  std::string address_;
  ReplicaSet set_;
  Connector connect_;
  net::EventLoop& loop_;
  net::EventLoop::Callback on_readable_;
  std::chrono::milliseconds silence_;
  zmq::socket_t socket_;
  // When the oldest request still without any answer was sent.
  std::optional<Clock::time_point> unanswered_since_;
  uint64_t moves_ = 0;
};

}  // namespace shardkit::daemon
