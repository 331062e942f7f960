// The deterministic simulator for the two-phase-commit cores (DESIGN.md §10).
//
// One seed drives everything: the shape of the cluster, the workload, the
// network's drops, duplicates, delays and partitions, the crash schedule,
// and which unforced log records survive a crash. The same seed always
// replays the same run, event for event:
//
//   txn_sim --seed 12345 --verbose
//
// Model, per seed:
//   - one coordinator "c" and 2..4 participants "p0".."pN", each a real core
//     (txn::Coordinator, txn::Participant) driven exactly as a daemon would
//     (core.h's driver contract);
//   - a disk per core: appended records, of which a prefix is durable. A
//     forced append becomes durable after a random fsync latency (cumulative,
//     like group commit), an unforced one lazily. A crash keeps the durable
//     prefix plus a random prefix of the rest (an unforced write may or may
//     not have reached the disk, and a torn tail is truncated);
//   - a network between cores that drops, duplicates, delays and reorders
//     messages, and partitions pairs of nodes for a while; links between a
//     client and a core are FIFO without duplicates (a ZeroMQ pipe), may drop
//     and lose what is in flight when the server restarts;
//   - clients running a bank-transfer workload (check + put pairs moving
//     money) and a random multi-shard workload with conflicting keys, plus a
//     few direct puts, retrying with the same txid on timeout.
// Faults stop at a seed-chosen time; then every node is restarted, links
// heal, and the run must quiesce within a bounded virtual time.
//
//   - snapshots: now and then a node takes one, as the daemon would: a fresh
//     core replays the durable log after the previous snapshot, its
//     ExportState becomes the new snapshot, and the log it covers is
//     dropped, so restarts recover from a snapshot plus the log after it.
//     Snapshot moments come from their own generator: with or without them
//     (--no-compaction) a seed runs the same events.
//
//   - replicated (--replicated, world_standby.cpp): every node is a
//     primary and a hot standby core fed StandbyRecovered and Replicated;
//     LogDurable waits for the standby's flush (flushed:1); primary crashes
//     cut the standby's divergent tail; failovers promote the standby in
//     the node's place; a restarted or promoted core stays passive until
//     its standby holds its whole log (--broken-promotion: not).
//
// Invariants checked (checker.h has the exact definitions): force-before-send
// order, atomicity, isolation (bank total), durability, exactly-once per
// client txid, store == replay of committed history, snapshot + log == the
// whole log at every restart, and liveness.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace sim {

struct Options {
  uint64_t seed = 1;
  bool verbose = false;
  // Run the deliberately broken coordinator (reveals commits before the
  // decision record is durable).
  bool broken_coordinator = false;
  // Check every send against the simulated disk (force-before-send). Turn
  // it off to show that the end-to-end invariants alone catch the broken
  // coordinator.
  bool order_check = true;
  // Take snapshots at random moments and drop the log they cover, so that
  // restarts recover from a snapshot plus the log after it. Each restart
  // from a snapshot is also checked against a replay of the whole history.
  bool compaction = true;
  // Every node is a replication group: its core's log is streamed to a hot
  // standby core (StandbyRecovered, Replicated), LogDurable waits for the
  // standby's flush (flushed:1), and failovers promote the standby in the
  // node's place (Promoted). A restarted or promoted core stays passive
  // until the standby holds its whole log. No snapshots in this mode.
  bool replicated = false;
  // With `replicated`: promote at once, without that wait (the bug it
  // prevents: acting on a record only the new primary holds).
  bool broken_promotion = false;
};

struct Violation {
  std::string invariant;  // "atomicity", "durability", ...
  std::string detail;
  uint64_t at_ms = 0;  // virtual time
};

struct RunStats {
  uint64_t events = 0;
  uint64_t committed = 0;  // answers to clients
  uint64_t aborted = 0;
  uint64_t unknown = 0;  // the client gave up
  uint64_t crashes = 0;
  uint64_t snapshots = 0;          // taken
  uint64_t snapshot_restarts = 0;  // restarts that loaded one
  uint64_t failovers = 0;          // standbys promoted (replicated runs)
  uint64_t end_ms = 0;
};

// Runs one seed to completion. Returns the first violated invariant, or
// nothing when every check held.
std::optional<Violation> RunSeed(const Options& options, RunStats* stats);

// A small deterministic generator (splitmix64), so a seed means the same
// run with any standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi].
  uint64_t Range(uint64_t lo, uint64_t hi) { return lo + Next() % (hi - lo + 1); }
  double Real() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Real() < p; }

 private:
  uint64_t state_;
};

}  // namespace sim
