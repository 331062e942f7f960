// The replication simulator's world: hosts (a repl::Member, its persisted
// state and a simulated writer), clients, the event queue, the network and
// the fault schedule. Private to the simulator.
//
//   repl_world.cpp   the fault schedule, the event loop, the network, Params
//   repl_faults.cpp  crashes, restarts, operators; convergence at the end
//   repl_driver.cpp  the member's actions performed as tools/replicad does
//   repl_writer.cpp  the writer: daemon::Node's replication half
//   repl_client.cpp  the clients
//   repl_trace.cpp   --verbose
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "repl_checker.h"
#include "repl_sim.h"
#include "shardkit/repl/member.h"

namespace replsim {

using namespace shardkit;

using ReplMsg = decltype(repl::Send::msg);

// Parameters drawn from the seed.
struct Params {
  int members = 3;
  repl::AckLevel ack;
  uint32_t heartbeat_ms = 30;
  uint32_t election_ms = 200;
  uint32_t lease_ms = 300;
  uint32_t switchover_ms = 500;
  uint32_t resync_min_interval_ms = 100;
  uint64_t window_bytes = 4096;
  double drop = 0.02;
  double dup = 0.02;
  uint32_t max_delay_ms = 5;
  double spike = 0.005;  // chance of a long delay (a stale message arriving late)
  uint32_t fsync_min_ms = 1;
  uint32_t fsync_max_ms = 5;
  uint32_t apply_max_ms = 0;  // a standby applies this long after its fsync, at most
  uint64_t fault_end_ms = 2000;
  int crashes = 2;          // hosts: writer and member together
  int member_restarts = 1;  // replicad alone
  int partitions = 2;
  int operators = 0;  // switchover or demote
  int clients = 2;
  uint32_t client_gap_ms = 10;
  uint32_t client_timeout_ms = 300;
  uint32_t ack_timeout_ms = 250;  // the writer's "not replicated" answer
  uint32_t compact_every_ms = 0;  // 0: writers keep their whole log
  bool retention_cap = false;     // trimming may pass what replicas still need
};

// A message between a member and its writer, in link order.
struct InstallMsg {  // LINK_INSTALL of a received resync snapshot
  uint64_t lsn = 0;
  uint64_t epoch = 0;
  std::vector<Rec> records;  // the snapshot's content: the sender's log up to lsn
};
using LinkMsg =
    std::variant<wire::LinkRole, wire::LinkAcked, wire::LinkAppend, wire::LinkTruncate, InstallMsg>;

// A resync snapshot in flight between two hosts.
struct Snapshot {
  int from = 0;
  int to = 0;
  uint64_t serial = 0;       // the sender's resync this belongs to
  uint64_t chunk_epoch = 0;  // the sender member's epoch (ReplSnapshotChunk::epoch)
  uint64_t lsn = 0;
  uint64_t epoch = 0;
  std::vector<Rec> records;
};

// Between a client and a writer (a ZeroMQ pipe: FIFO).
struct ClientMsg {
  enum Kind : uint8_t { kWrite, kOk, kNotPrimary, kNotReplicated } kind = kWrite;
  uint64_t rid = 0;
  std::string value;
  uint64_t epoch = 0;  // kOk: where the write is
  uint64_t lsn = 0;
  int hint = -1;  // kNotPrimary: the host the member names as primary
};

// The writer beside a member: the replication half of daemon::Node
// (node_replication.cpp), on a simulated disk. LSN l is log[l - 1]. The
// content of a snapshot stays in `log` (the checker reads it), but reads
// below trim_from are gone, as when the segments were deleted.
struct Writer {
  enum class Role : uint8_t { kStandby, kPrimary, kPaused };
  Role role = Role::kStandby;
  uint64_t epoch = 0;
  std::vector<Rec> log;
  uint64_t durable = 0;  // fsynced prefix
  uint64_t applied = 0;  // the standby core's replay
  uint64_t fed = 0;      // the LSN the ack gate released (Node::fed)
  uint64_t sync_upto = 0;
  uint64_t sync_t = 0;  // when the last requested fsync completes (in order)
  uint64_t gen = 0;     // bumped when the log is reopened: older fsyncs are void
  uint64_t snap_lsn = 0;
  uint64_t trim_from = 1;
  uint64_t role_seq = 0;  // LinkRole::seq of the role in force
  repl::AckLevel ack;
  wire::LinkAcked acked;
  struct Pending {
    int client = 0;
    uint64_t rid = 0;
  };
  std::map<uint64_t, Pending> pending;  // lsn -> a client write waiting for the gate

  uint64_t last_lsn() const { return log.size(); }
  uint64_t EpochAt(uint64_t lsn) const { return lsn == 0 ? 0 : log[lsn - 1].epoch; }
  uint64_t ChainAt(uint64_t lsn) const { return lsn == 0 ? 0 : log[lsn - 1].chain; }
};

struct Host {
  std::string name;
  std::string endpoint;
  bool up = true;         // the machine: writer and replicad
  bool member_up = true;  // replicad
  uint64_t host_inc = 0;
  uint64_t member_inc = 0;
  std::unique_ptr<repl::Member> member;
  repl::DurableState disk;  // DIR/epochs and DIR/vote
  Writer writer;
  // replicad's driver state (tools/replicad/driver.cpp).
  std::set<repl::TimerId> timers;  // armed and not cancelled
  std::deque<repl::Event> queue;
  bool feeding = false;
  wire::LinkProgress progress;                              // as last heard from the writer
  std::optional<std::pair<uint64_t, uint64_t>> installing;  // receiver: (lsn, epoch)
  // The sender: one resync at a time (ResyncSender), the others queued, as
  // member.h's contract asks (tools/replicad drops them instead).
  uint64_t resync_serial = 0;
  bool resync_active = false;
  std::deque<int> resync_queue;  // hosts waiting for a snapshot
  std::set<uint64_t> operators;  // tokens not answered yet
  uint64_t to_writer_t = 0;      // FIFO links
  uint64_t to_member_t = 0;
};

class World {
 public:
  World(const Options& options, Params params);
  std::optional<Violation> Run(RunStats* stats);

 private:
  enum class Kind : uint8_t {
    kDeliver,     // a member message
    kTimer,       // a member timer
    kToWriter,    // link: member -> writer
    kToMember,    // link: writer -> member (LinkProgress)
    kFsync,       // the writer's fsync up to `id` completes
    kApply,       // the standby writer applies up to `id`
    kResyncSent,  // the sender finished streaming a snapshot
    kSnapshot,    // a snapshot arrives at its receiver
    kCrash,       // the host
    kRestart,
    kMemberCrash,  // replicad alone
    kMemberRestart,
    kPartition,
    kCompact,
    kOperator,
    kAckTimeout,  // a client write waited too long at the writer
    kClientWake,
    kClientRequest,
    kClientReply,
    kClientTimeout,
    kFaultsEnd,
    kQuiet,  // after the faults: has the group converged?
  };
  using Payload =
      std::variant<std::monostate, ReplMsg, LinkMsg, wire::LinkProgress, Snapshot, ClientMsg>;
  struct Ev {
    uint64_t t = 0;
    uint64_t seq = 0;
    Kind kind = Kind::kDeliver;
    int host = 0;      // host or client index
    int from = 0;      // kDeliver: the sending host; kClient*: the client or host
    uint64_t inc = 0;  // the incarnation (or writer generation) the event belongs to
    uint64_t id = 0;
    Payload payload;
  };
  struct Later {
    bool operator()(const std::unique_ptr<Ev>& a, const std::unique_ptr<Ev>& b) const {
      return a->t != b->t ? a->t > b->t : a->seq > b->seq;
    }
  };
  struct Client {
    std::string name;
    int target = 0;
    bool busy = false;
    uint64_t rid = 0;
    uint64_t next = 1;
  };

  // repl_world.cpp
  Ev& Push(Kind kind, uint64_t t, int host);
  void Dispatch(Ev& ev);
  void Net(int from, const std::string& to, ReplMsg msg);
  bool Cut(int from, int to) const;
  // The host whose member is primary (or paused), or `otherwise`.
  int Primary(int otherwise) const;
  void Crash(int h);
  void Restart(int h);
  void MemberCrash(int h);
  void MemberRestart(int h);
  void Partition(const Ev& ev);
  void Operate(int h, uint64_t what);
  void EndFaults();
  void Quiet();
  bool Converged(std::string* why) const;
  std::string Describe(const Ev& ev) const;
  void Trace(const std::string& line) const;
  int HostOf(const std::string& endpoint_or_name) const;

  // repl_driver.cpp
  repl::Config MemberConfig(int h) const;
  void StartMember(int h);
  void Feed(int h, repl::Event e);
  void Perform(int h, repl::Action& a);
  void OnProgress(int h, const wire::LinkProgress& p);
  void StartResync(int h, int to);
  void OnResyncSent(int h, Ev& ev);
  void OnSnapshot(int h, Snapshot& s);

  // repl_writer.cpp
  void ToWriter(int h, LinkMsg msg);
  void WriterReceive(int h, LinkMsg& msg);
  void WriterRole(int h, const wire::LinkRole& r);
  void WriterAcked(int h, const wire::LinkAcked& a);
  void WriterAppend(int h, const wire::LinkAppend& a);
  void WriterRebuild(int h, const wire::LinkTruncate* cut, InstallMsg* install);
  void WriterFsync(int h, uint64_t upto);
  void WriterApply(int h, uint64_t upto);
  void WriterWrite(int h, int client, const ClientMsg& m);
  void WriterAckTimeout(int h, uint64_t lsn);
  void WriterCompact(int h);
  void RequestSync(int h);
  void Gate(int h);
  void SendProgress(int h);
  void ReplyClient(int h, int client, ClientMsg m);

  // repl_client.cpp
  void ClientWake(int c);
  void ClientReply(int c, const ClientMsg& m);
  void ClientTimeout(int c, uint64_t rid);
  void SendWrite(int c);

  Options options_;
  Params params_;
  Rng rng_;
  uint64_t now_ = 0;
  uint64_t seq_ = 0;
  bool faults_ = true;
  std::priority_queue<std::unique_ptr<Ev>, std::vector<std::unique_ptr<Ev>>, Later> queue_;
  std::vector<Host> hosts_;
  std::vector<Client> clients_;                  // the last one is the probe, used once faults stop
  std::map<std::pair<int, int>, uint64_t> cut_;  // (from, to) -> until
  std::map<std::pair<int, int>, uint64_t> fifo_;  // client pipes: (client, host) both ways
  // The latest delivery scheduled between two members: a resync snapshot's
  // chunks follow the START on the same connection.
  std::map<std::pair<int, int>, uint64_t> latest_;
  uint64_t next_rid_ = 1;
  uint64_t next_token_ = 1;
  // After the faults: the probe write and whether it was acknowledged.
  uint64_t probe_rid_ = 0;
  bool probe_acked_ = false;
  bool done_ = false;
  Checker checker_;
  RunStats stats_;
};

}  // namespace replsim
