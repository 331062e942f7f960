// Node::Impl, shared by the files that implement Node: node.cpp (the core's
// actions, the sockets, snapshots) and node_replication.cpp (the link to
// replicad, roles, and the ack-level gate on LogDurable).
#pragma once

#include <signal.h>

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <zmq.hpp>

#include "peer_group.h"
#include "shardkit/cli/signals.h"
#include "shardkit/daemon/node.h"
#include "shardkit/net/server.h"
#include "shardkit/net/unique_fd.h"
#include "shardkit/net/zap.h"
#include "shardkit/repl/ack_level.h"
#include "shardkit/wal/data_dir.h"
#include "shardkit/wire/repl_messages.h"

namespace shardkit::daemon {

// Failpoint names of one role, precomputed so a hit costs no allocation.
struct FailpointNames {
  std::map<uint8_t, std::pair<std::string, std::string>> force;  // record type -> before, after
  std::map<wire::MsgType, std::pair<std::string, std::string>> send;
  explicit FailpointNames(const std::string& role);
};

struct Node::Impl {
  NodeOptions options;
  FailpointNames fp;
  // Declaration order is construction order: signals are blocked before
  // libzmq or the WAL start a thread, and sockets close before the context.
  cli::SignalFd signals{SIGTERM, SIGINT, SIGHUP};
  zmq::context_t context;
  std::optional<net::ZapHandler> zap;
  std::optional<wal::DataDir> dir;
  std::optional<wal::Log> log;
  std::vector<txn::LogEntry> recovered;
  zmq::socket_t router;
  std::string endpoint;
  std::unique_ptr<net::Server> server;
  net::EventLoop loop;

  // The DEALER to one peer address: an endpoint, or a replica set
  // "EP1,EP2,..." that it follows to the primary (peer_group.h).
  struct Peer {
    std::unique_ptr<PeerGroup> group;
  };
  std::unordered_map<std::string, std::unique_ptr<Peer>> peers;
  std::vector<zmq::message_t> frames;  // reused receive buffer for peers
  uint64_t next_request_id = 1;

  std::unordered_map<txn::TimerId, net::EventLoop::TimerId> timers;
  std::deque<std::pair<txn::Lsn, uint8_t>> forced;  // forced appends not yet durable
  txn::Lsn durable = 0;

  // Snapshots: the one recovery started from, and the background compaction.
  std::string start_snapshot;
  txn::Lsn snap_lsn = 0;
  uint64_t snapshots_written = 0;
  uint64_t bytes_at_snapshot = 0;
  net::EventLoop::Clock::time_point snapshot_time = net::EventLoop::Clock::now();
  std::thread compactor;
  net::UniqueFd compact_done;  // eventfd the compactor writes when finished
  std::mutex compact_mu;
  Status compact_status;  // guarded by compact_mu
  txn::Lsn compact_lsn = 0;
  bool compacting = false;
  // Set when stopping: a compaction in progress gives up between records or
  // pieces (its temporary file goes) instead of holding up the exit.
  std::atomic<bool> compact_cancel{false};

  // Replication (node_replication.cpp).
  enum class Role { kPrimary, kStandby, kPaused };
  using Clock = net::EventLoop::Clock;
  Role role = Role::kPrimary;
  uint64_t epoch = 0;
  repl::AckLevel ack{repl::AckKind::kLocal, 0};
  zmq::socket_t link;
  wire::LinkAcked acked;  // the replicas' positions in `epoch`
  txn::Lsn fed = 0;       // the LogDurable the core last saw
  Clock::time_point fed_advanced = Clock::now();
  std::deque<txn::LogEntry> standby_pending;  // appended on a standby, not yet durable
  // Client writes not yet answered: (reply handle, request id) -> arrival.
  std::map<std::pair<std::string, uint64_t>, Clock::time_point> pending_writes;
  std::string primary_hint;
  txn::Lsn progress_written = 0;  // the written_lsn of the last LINK_PROGRESS
  // Told it is primary, but the core stays passive (no Promoted yet) until
  // the ack level covers promote_lsn, its whole log at that moment: a
  // promoted core acts on every record it holds (re-drives decisions,
  // re-sends votes), and a record only this member holds may still be lost
  // with it, as a write it never acknowledged may.
  bool promoting = false;
  uint64_t role_seq = 0;  // LinkRole::seq of the role in force (LinkProgress::quiet_seq)
  txn::Lsn promote_lsn = 0;
  // Writes whose client asked for an ack level the group's does not cover
  // (PutRequest::ack): the level, until the core answers; then the answer
  // waits in `held` until that level is met too, or ack_timeout passes.
  // Counted: a client's resend under the same request id is another write
  // with another answer.
  struct WriteLevel {
    repl::AckLevel level;
    int writes = 0;
  };
  std::map<std::pair<std::string, uint64_t>, WriteLevel> write_levels;
  void ForgetWriteLevel(const std::pair<std::string, uint64_t>& key);
  struct HeldReply {
    std::string handle;
    uint64_t rid = 0;
    wire::MsgType type{};
    std::string body;
    txn::Lsn lsn = 0;
    repl::AckLevel level;
    Clock::time_point since;
  };
  std::vector<HeldReply> held;
  // A standby's freshness: (the primary's durable LSN, when replicad
  // relayed it), oldest first, until applied; in_sync_at is the time of
  // the newest one applied (GetRequest::max_staleness_ms).
  std::deque<std::pair<txn::Lsn, Clock::time_point>> primary_marks;
  std::optional<Clock::time_point> in_sync_at;

  Status OpenLog();
  txn::Recovered TakeRecovered();
  void WatchLog();
  Status OpenLink();
  void OnLink();
  void SendProgress();
  void OnRole(const wire::LinkRole& r);
  void OnAcked(const wire::LinkAcked& a);
  void OnAppend(const wire::LinkAppend& a);
  void OnDurableReport(txn::Lsn lsn);  // a standby's OnDurable
  Status Rebuild(const std::function<Status()>& offline);
  void Gate();
  txn::Lsn AckedFor(const repl::AckLevel& level) const;
  // SendMessage for a reply: true when it was held for its write's level.
  bool HoldReply(const txn::Send& send, const std::string& body);
  void ReleaseHeld();
  void SweepPendingWrites();
  void ReplyError(const std::string& handle, uint64_t rid, wire::ErrorCode code,
                  const std::string& reason);
  // For OnRequest: true when the message was answered here: a write on a
  // member that is not the primary (NOT_PRIMARY), or a read whose min_lsn
  // this member has not applied yet (TEMPORARY "behind: ...").
  bool Refuse(const std::string& handle, uint64_t rid, const txn::Message& msg);

  CoreFn core;
  AdminFn admin;
  std::function<void()> hangup;
  std::function<void()> reset_core;
  std::function<void(const txn::MessageReceived&)> on_message;
  std::function<void(const txn::Action&)> on_action;
  bool running = false;

  explicit Impl(NodeOptions o) : options(std::move(o)), fp(options.role) {}
  ~Impl() {
    if (compactor.joinable()) compactor.join();
  }

  Status Feed(const txn::Event& event);
  Status Perform(const txn::Action& action);
  Status SendMessage(const txn::Send& send);
  Result<Peer*> PeerFor(const std::string& address);
  void DrainPeer(const std::string& address, Peer* peer);
  net::Server::HandlerResult OnRequest(const wire::Header& header, std::string_view body);
  void OnDurable();
  void OnSignals(bool* draining);
  void Fail(const Status& s) { loop.Stop(s); }
  void MaybeSnapshot();
  void StartSnapshot();
  Status Compact(txn::Lsn prev_lsn, txn::Lsn upto);
  void SnapshotDone();
  Status TrimLog();
};

}  // namespace shardkit::daemon
