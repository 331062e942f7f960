// The simulated world: nodes with their cores and disks, clients, the event
// queue and the network. Private to the simulator.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "checker.h"
#include "shardkit/txn/coordinator.h"
#include "shardkit/txn/participant.h"
#include "sim.h"

namespace sim {

using namespace shardkit;
using namespace shardkit::txn;

// Parameters drawn from the seed.
struct Params {
  int participants = 3;
  int clients = 3;
  int accounts = 6;
  int keys = 10;
  double bank_ratio = 0.5;     // of transactions
  double direct_ratio = 0.05;  // of client operations
  double drop = 0.02;
  double dup = 0.02;
  uint32_t max_delay_ms = 10;
  uint32_t fsync_min_ms = 1;
  uint32_t fsync_max_ms = 5;
  uint64_t fault_end_ms = 1000;  // faults and new transactions stop here
  int crashes = 2;
  int partitions = 2;
  bool one_phase = true;
  // Protocol timings, drawn at random too: safety must not depend on them
  // (an INQUIRE may well arrive while the coordinator is still voting).
  uint32_t vote_timeout_ms = 150;
  uint32_t prepare_resend_ms = 50;
  uint32_t resend_initial_ms = 40;
  uint32_t resend_max_ms = 800;
  uint32_t inquire_initial_ms = 400;
  uint32_t inquire_max_ms = 1500;
  uint32_t cooperative_after = 3;
  uint32_t client_timeout_ms = 500;
  // Crash points: the chance that a node crashes within a few ms after it
  // forces a record or sends a message, the moments where a missing force
  // or a premature send would matter. Bounded by max_crashes in all.
  double crash_after_force = 0;
  double crash_after_send = 0;
  int max_crashes = 6;
  // `txpart resolve`: an operator forcing the outcome of some in-doubt
  // transaction, this many times.
  int operator_resolves = 0;
  // Replicated runs: standbys promoted in their node's place, and the share
  // of crashes that hit a standby rather than its primary.
  int failovers = 0;
  double standby_crash_ratio = 0.3;
};

// An address on the network.
struct Actor {
  bool client = false;
  int index = 0;
};

// Adds record `e` to n.index (world_nodes.cpp).
void IndexRecord(Node& n, const LogEntry& e);

class World {
 public:
  World(const Options& options, Params params);
  std::optional<Violation> Run(RunStats* stats);

 private:
  enum class Kind : uint8_t {
    kDeliver,
    kTimer,
    kSync,
    kCrash,
    kRestart,
    kClientWake,
    kClientTimeout,
    kPartition,
    kOperator,
    kFaultsEnd,
    kCompact,
    kShip,         // replicated: the primary's records reach its standby
    kStandbySync,  // the standby's fsync: it replays and acknowledges
    kStandbyAck,   // the acknowledgement reaches the primary
    kFailover,     // the primary's machine dies; its standby is promoted
  };
  struct Ev {
    uint64_t t = 0;
    uint64_t seq = 0;
    Kind kind = Kind::kDeliver;
    int node = 0;      // node or client index
    uint64_t inc = 0;  // incarnation the event belongs to
    uint64_t id = 0;   // timer id, sync upto, request id, partition peer
    bool to_client = false;
    Peer from;
    Message msg;
  };
  struct Later {
    bool operator()(const std::unique_ptr<Ev>& a, const std::unique_ptr<Ev>& b) const {
      return a->t != b->t ? a->t > b->t : a->seq > b->seq;
    }
  };
  struct Client {
    std::string name;
    bool busy = false;
    bool direct = false;  // the request in flight is a direct put
    std::string txid;     // client-supplied txid ("" = let the coordinator assign)
    Message request;
    int target = 0;    // node the request goes to
    uint64_t rid = 0;  // latest request id: only its answer counts
    int attempts = 0;
    std::vector<wire::Op> ops;
    uint64_t next_txn = 1;
  };

  // world.cpp: queue, network, disks, faults.
  void Push(std::unique_ptr<Ev> ev);
  void Dispatch(Ev& ev);
  void SendFrom(const std::string& from_name, Actor from, const Send& s);
  bool Partitioned(int a, int b) const;
  // A machine dies: n's disk keeps its durable records and a random prefix
  // of the rest. Returns the records kept (compacted ones included).
  size_t LoseUnsynced(Node& n);
  void Crash(int node);
  void MaybeCrashSoon(int node, double chance);
  void Restart(int node);
  void EndFaults();
  std::string Describe(const Ev& ev) const;
  std::optional<Violation> FinalChecks();

  // world_nodes.cpp: driving the cores.
  void Handle(int node, const Event& e);
  void Perform(int node, std::vector<Action>& actions);
  void MakeCore(int node);
  // A fresh core for `n`, configured as its live one would be.
  std::unique_ptr<Participant> NewParticipant(const Node& n) const;
  std::unique_ptr<Coordinator> NewCoordinator(const Node& n, const std::string& tag = "") const;
  // Takes a snapshot as the daemon does (shadow replay of the durable log
  // into a fresh core, ExportState) and drops the log it covers.
  void Compact(int node);
  void CheckSnapshotRecovery(const Node& n, const std::vector<Action>& actions);

  // world_standby.cpp: replicated runs.
  std::unique_ptr<Node::Standby> NewStandby(int node, std::vector<LogEntry> log);
  void StandbyHandle(int node, Node::Standby& sb, const Event& e);
  void Ship(int node);                  // schedules a kShip of the whole log
  void OnShip(int node, uint64_t inc);  // kShip
  void OnStandbySync(int node, const Ev& ev);
  void OnStandbyAck(int node, const Ev& ev);
  void Gate(int node);                           // LogDurable (and Promoted) for the core
  void StartPassive(int node, Lsn promote_lsn);  // after StandbyRecovered
  void Promote(int node);
  void OnPrimaryCrash(int node);  // the standby drops what the primary lost
  void Failover(int node);
  void StandbyCrash(int node);
  uint64_t standby_serial_ = 0;

  // workload.cpp: the clients.
  void ClientWake(int c);
  void ClientTimeout(int c, uint64_t rid);
  void ClientReceive(int c, uint64_t rid, const Message& msg);
  void StartRequest(Client& cl, int c);
  std::vector<wire::Op> BankTransfer();
  std::vector<wire::Op> RandomTxn();
  int Owner(const std::string& key) const;
  const std::string* Committed(const std::string& key) const;

  Options options_;
  Params params_;
  Rng rng_;
  Rng compaction_rng_;  // apart, so snapshots leave the rest of a run unchanged
  uint64_t now_ = 0;
  uint64_t seq_ = 0;
  bool faults_ = true;
  std::priority_queue<std::unique_ptr<Ev>, std::vector<std::unique_ptr<Ev>>, Later> queue_;
  std::vector<Node> nodes_;  // 0 = coordinator, 1.. = participants
  std::vector<Client> clients_;
  std::unordered_map<std::string, Actor> actors_;
  std::map<std::pair<int, int>, uint64_t> partitions_;  // (a<b) -> until
  std::map<std::pair<int, int>, uint64_t> fifo_;        // client link -> last delivery
  uint64_t next_rid_ = 1;
  Checker checker_;
  RunStats stats_;
};

}  // namespace sim
