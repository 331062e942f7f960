// The deterministic simulator for the replication core (DESIGN.md §8, §10).
//
// One seed drives a replication group of 3 (sometimes 5) members, each a
// real repl::Member beside a simulated writer (the replication half of
// daemon::Node, modelled in repl_writer.cpp), plus clients that write to
// whoever they believe is primary. The network drops, duplicates, delays
// and reorders member messages and partitions members (both ways or one
// way); hosts crash (the writer keeps its durable log, the member its
// persisted DurableState) and restart; writers take snapshots and drop old
// log, so full resyncs run. The same seed always replays the same run,
// event for event:
//
//   repl_sim --seed 12345 --verbose
//
// Faults stop at a seed-chosen time; then partitions heal, everything
// restarts, and the group must converge and take a new write within a
// bounded virtual time. repl_checker.h lists the invariants.
//
// FAULTS OFF BY DEFAULT. Each flag below adds a fault that repl/member.h
// says the core survives but that breaks it today; ctest runs without them
// until the bug is fixed (then drop the flag and make the fault default).
//
//   --replicad-restarts  replicad restarts alone, its writer running on.
//       Started takes the writer's durable LSN, but a writer that was
//       primary keeps taking writes and makes them durable on
//       LinkRole{replica}; OnReplicaProgress ignores a durable LSN past
//       last_lsn (own_tail is false after Started), so the member's log end
//       lags its writer's: it votes and says HELLO with a short log, and its
//       writer later skips the new primary's record at that LSN as already
//       held (seed 29: the logs never converge; other seeds break log
//       matching, or start an epoch at an LSN holding an older record).
//   --lossy-resync  a resync snapshot is lost (partition, receiver down):
//       the primary waits for the replica to ack the snapshot LSN, the
//       replica waits in kSnapshot, heartbeats keep both content, for ever
//       (convergence: seed 100; with lossy-resync off a lost snapshot is
//       delivered once the path reopens, as by a retransmitting transport).
//   --late-messages  a member message now and then arrives hundreds of ms
//       late. A stale or repeated HELLO starts another resync; its
//       snapshot, arriving after the replica has caught up past it, is
//       installed anyway (nothing ties it to a request) and drops records
//       the replica had acked as flushed, so a write acknowledged at
//       flushed:1 is lost (durability: seed 41388). A stale START{resync}
//       strands a streaming replica in kSnapshot (convergence).
//   --operators  operators run switchover and demote. TAKEOVER makes the
//       target primary in epoch current + 1 without a vote; another member
//       can win an election for the same epoch (split-brain: seed 8863).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sim.h"

namespace replsim {

using sim::Rng;
using sim::Violation;

struct Options {
  uint64_t seed = 1;
  bool verbose = false;
  // Every member runs with repl::Config::test_accept_lower_epoch: a replica
  // that appends a stale primary's records instead of fencing them.
  bool broken_replica = false;
  // Check every action against the driver contract in repl/member.h (epochs
  // persisted before use, history lines before records). Turn it off to show
  // that the end-to-end invariants alone catch the broken replica.
  bool contract_check = true;
  // The faults off by default (above).
  bool replicad_restarts = false;
  bool lossy_resync = false;
  bool late_messages = false;
  bool operators = false;
};

struct RunStats {
  uint64_t events = 0;
  uint64_t acked = 0;     // client writes acknowledged
  uint64_t asserted = 0;  // of which at a level that must survive failover
  uint64_t refused = 0;   // NOT_PRIMARY, not replicated, or timed out
  uint64_t epochs = 0;    // the final primary's epoch
  uint64_t crashes = 0;   // hosts
  uint64_t member_restarts = 0;
  uint64_t truncations = 0;  // divergent tails cut (LinkTruncate that dropped records)
  // Records a standby had applied (its reads could see them) and then cut as
  // a divergent tail: by design (§8 hot standby applies what is durable, not
  // what is acknowledged), not a violation.
  uint64_t applied_then_cut = 0;
  uint64_t resyncs = 0;  // snapshots installed
  // Truncations that cut below the writer's snapshot or its oldest retained
  // record. The model handles them; a real WAL cannot (wal::TruncateLogAfter
  // deletes the snapshot, and the log it replaced is gone).
  uint64_t cut_below_snapshot = 0;
  uint64_t end_ms = 0;
};

// Runs one seed. Returns the first violated invariant, or nothing.
std::optional<Violation> RunSeed(const Options& options, RunStats* stats);

}  // namespace replsim
