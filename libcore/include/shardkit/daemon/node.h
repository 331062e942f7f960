// Node: the I/O edge of txpart and txcoord (DESIGN.md §2, process model).
//
// A Node owns everything a sans-IO core (txn::Participant, txn::Coordinator)
// must not touch: the data directory and its WAL, the listening ROUTER, one
// DEALER per peer address, the timers and the signals. It feeds the core
// events and performs the core's actions, keeping the driver contract of
// txn/core.h:
//
//   AppendLog   -> wal::Log::Append at exactly the core's LSN (RequestSync
//                  when forced); a mismatch is a bug and stops the node.
//   LogDurable  <- the WAL's notify_fd, cumulative.
//   Send        -> a reply handle (a `from` the core was given): the ROUTER;
//                  an address (an endpoint): that peer's DEALER, whose
//                  replies come back as MessageReceived{from = endpoint}.
//   SetTimer / CancelTimer -> net::EventLoop timers.
//
//   auto node = daemon::Node::Open(options);       // before any other thread
//   txn::Participant core(popts);
//   node->OnAdmin([&](const wire::AdminRequest& r, daemon::Node::Respond respond) { ... });
//   Status s = node->Run([&](const txn::Event& e, std::vector<txn::Action>* out) {
//                          return core.Handle(e, out); },
//                        [&] { return core.Idle(); });
//
// Failpoints (failpoint.h), named after options.role ("txpart", "txcoord"):
//
//   ROLE.before-STEP-force  a forced record of STEP is about to be appended
//   ROLE.after-STEP-force   it is durable, before anything that depends on it
//                           is sent
//   ROLE.before-MSG-send    a MSG is about to be sent
//   ROLE.after-MSG-send     it was handed to the socket
//
// STEP is the record (prepare, commit, abort, one-phase, direct-write,
// heuristic, mismatch, end) and MSG the message (prepare, vote, commit,
// abort, ack, commit-one-phase, one-phase-result, inquire, outcome,
// heuristic-report, submit-result, get-reply, put-reply, del-reply,
// scan-reply). KnownFailpoints(role) lists them.
//
// Shutdown: SIGTERM or SIGINT stops reading new requests from the listen
// socket, keeps serving peers and the log until `idle` says so or
// drain_timeout passes, makes the log durable and returns Ok. SIGHUP calls
// the OnHangup hook.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "shardkit/net/listen.h"
#include "shardkit/net/loop.h"
#include "shardkit/net/zap.h"
#include "shardkit/status/status.h"
#include "shardkit/txn/core.h"
#include "shardkit/wal/log.h"
#include "shardkit/wire/messages.h"

namespace shardkit::daemon {

struct NodeOptions {
  std::string role;           // "txpart" or "txcoord": log lines and failpoint names
  std::string data_dir;       // --data
  net::ListenOptions listen;  // --listen, --curve-secret, --allow, --insecure
  // Outbound connections to peers use CURVE when a server key is known:
  // key_for_endpoint(endpoint) if set and non-empty (the ring's curve-key=),
  // else peer_key (--peer-key, z85). The client keypair is
  // listen.curve_secret_file, so peers must allow this node's public key.
  std::string peer_key;
  std::function<std::string(const std::string& endpoint)> key_for_endpoint;
  wal::LogOptions log;
  std::chrono::milliseconds drain_timeout{2000};

  // Snapshots (DESIGN.md §6 rule 7). `compact` builds the state as of the
  // last of `records` from the previous snapshot (empty for none) and the
  // durable records after it: in practice, a fresh core fed Recovered, then
  // its ExportState. It runs on a background thread and must not touch the
  // live core. When the log has grown by snapshot_bytes since the last
  // snapshot (or snapshot_interval passed with any growth), the Node runs
  // it, writes DIR/snap/<lsn>.snap, and deletes the segments and snapshots
  // it replaces. Unset: no snapshots, and the log is kept whole.
  std::function<Result<std::string>(const std::string& snapshot, txn::Lsn snapshot_lsn,
                                    std::vector<txn::LogEntry> records)>
      compact;
  uint64_t snapshot_bytes = uint64_t{256} << 20;
  std::chrono::seconds snapshot_interval{600};

  // Replication (DESIGN.md §8; link.h). The Node always connects to the
  // replicad link of its directory. It starts as a standby when `standby`
  // is set or DIR/replication exists, and as the primary otherwise.
  //
  //  * A standby recovers passively (txn::StandbyRecovered), appends what
  //    replicad sends at the same LSNs and epochs, hands the durable records
  //    to the core (txn::Replicated), serves reads, and refuses everything
  //    else with NOT_PRIMARY. Promoted by replicad, it becomes the primary
  //    without a restart (txn::Promoted).
  //  * A primary stamps its records with replicad's epoch and tells the
  //    core LogDurable only up to the LSN that meets the ack level: the
  //    core already holds every vote, ACK and reply until then. A write
  //    whose reply is held longer than ack_timeout while replication lags
  //    is answered NOT_REPLICATED ("durable on the primary, replication not
  //    confirmed", exit 75), never ok.
  //  * Stepping down, truncating a divergent tail and installing a resync
  //    snapshot rebuild the core from disk, through the OnReset hook.
  bool standby = false;
  std::chrono::milliseconds ack_timeout{5000};
};

// Every failpoint name a Node of `role` hits, sorted.
std::vector<std::string> KnownFailpoints(const std::string& role);

// A NodeOptions::compact for a core type: a fresh core from make() (a
// std::unique_ptr<Core>) is fed Recovered{snapshot, records} and exported
// with ExportState(). It shares nothing with the live core.
template <class Make>
auto ShadowCompactor(Make make) {
  return [make](const std::string& snapshot, txn::Lsn snapshot_lsn,
                std::vector<txn::LogEntry> records) -> Result<std::string> {
    auto core = make();
    txn::Recovered r;
    r.next_lsn = (records.empty() ? snapshot_lsn : records.back().lsn) + 1;
    r.records = std::move(records);
    r.snapshot = snapshot;
    r.snapshot_lsn = snapshot_lsn;
    std::vector<txn::Action> ignored;  // a shadow sends nothing
    SK_RETURN_IF_ERROR(core->Handle(r, &ignored));
    return core->ExportState();
  };
}

// Starts a ZAP handler for CURVE allow lists that logs refusals (warn),
// admissions (debug) and worker restarts (error).
Result<net::ZapHandler> StartZap(zmq::context_t& context);

class Node {
 public:
  using CoreFn = std::function<Status(const txn::Event&, std::vector<txn::Action>*)>;
  // Answers one admin request, now or later (exactly once).
  using Respond = std::function<void(Result<wire::AdminReply>)>;
  using AdminFn = std::function<void(const wire::AdminRequest&, Respond)>;

  // Blocks SIGTERM, SIGINT and SIGHUP (call before starting any thread),
  // opens and locks the data directory (75 if another process holds it),
  // recovers the WAL (74 on corruption) and binds the listen socket.
  static Result<std::unique_ptr<Node>> Open(NodeOptions options);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Hooks, set before Run.
  void OnAdmin(AdminFn fn);                 // ADMIN_REQUEST on the listen socket
  void OnHangup(std::function<void()> fn);  // SIGHUP
  // Recreate the core, fresh, in place (e.g. std::optional::emplace), so
  // hooks that refer to it stay valid. Without it a rebuild is fatal.
  void OnReset(std::function<void()> fn);
  // Every message before the core sees it, and every action after it was
  // performed (metrics, latency, operator replies waiting for a Resolved).
  void OnMessage(std::function<void(const txn::MessageReceived&)> fn);
  void OnAction(std::function<void(const txn::Action&)> fn);

  // Hands the core its Recovered event (the records the WAL recovered at
  // Open), then serves until SIGTERM or SIGINT. Returns Ok after a clean
  // stop; the core's error for a bad log (74); Internal for a driver bug.
  Status Run(CoreFn core, std::function<bool()> idle);

  // Feeds one event to the core and performs its actions (from a hook, e.g.
  // OperatorResolve from an admin request). Only while Run is running.
  Status Handle(const txn::Event& event);

  net::EventLoop& loop();
  wal::LogStats log_stats() const;
  // Snapshots written since Open, and the LSN of the newest one (0: none).
  uint64_t snapshots() const;
  uint64_t snapshot_lsn() const;
  // Starts a snapshot now unless one is running (admin verbs, tests).
  void RequestSnapshot();
  uint64_t durable_lsn() const;
  const std::string& listen_endpoint() const;
  // "primary", "standby" or "paused", and the epoch records are stamped with.
  std::string role() const;
  uint64_t epoch() const;
  // The group's ack level, as replicad last set it ("local" without one).
  std::string ack_level() const;

  struct Impl;

 private:
  explicit Node(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace shardkit::daemon
