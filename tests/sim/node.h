// One simulated process: its core, its incarnation and its disk.
#pragma once

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "shardkit/txn/coordinator.h"
#include "shardkit/txn/participant.h"

namespace sim {

struct Node {
  std::string name;
  bool coordinator = false;
  bool up = true;
  uint64_t incarnation = 0;
  std::unique_ptr<shardkit::txn::Participant> part;
  std::unique_ptr<shardkit::txn::Coordinator> coord;

  // The disk: the newest snapshot (the ExportState of a shadow core that
  // replayed every record up to snapshot_lsn; empty for none) and the log
  // after it, in LSN order. `durable` counts records from the very first,
  // compacted ones included: the first `durable` are durable (compaction
  // only ever takes durable ones). A crash keeps a prefix that includes
  // those.
  std::string snapshot;
  shardkit::txn::Lsn snapshot_lsn = 0;
  std::vector<shardkit::txn::LogEntry> log;
  size_t durable = 0;
  // The records a snapshot replaced, in order: history for the checker
  // only; a core never sees them again.
  std::vector<shardkit::txn::LogEntry> compacted;
  // "<kind>:<txid>" -> LSN of the latest record of that kind for the txid
  // (P prepared, C committed, A aborted, 1 one-phase, D decision, DC decision
  // by client txid), for the force-before-send checks.
  std::unordered_map<std::string, shardkit::txn::Lsn> index;
  std::set<shardkit::txn::TimerId> cancelled;  // this incarnation's

  // Replicated runs (Options::replicated, world_standby.cpp): the hot
  // standby that follows this node's log, and the gate on the core's
  // LogDurable: the primary's own durable LSN capped at what the standby
  // flushed (ack level flushed:1).
  struct Standby {
    std::unique_ptr<shardkit::txn::Participant> part;
    std::unique_ptr<shardkit::txn::Coordinator> coord;
    std::vector<shardkit::txn::LogEntry> log;  // received: a prefix of the primary's
    size_t flushed = 0;                        // of `log`: durable, handed to the core
    uint64_t inc = 0;                          // per rebuild: older events are dropped
  };
  bool replicated = false;
  std::unique_ptr<Standby> standby;
  shardkit::txn::Lsn acked = 0;  // the standby's flushed LSN, as the primary heard it
  shardkit::txn::Lsn fed = 0;    // the LogDurable the core last saw
  // A recovered or promoted core stays passive (StandbyRecovered) until the
  // standby holds promote_lsn, its whole log (daemon::Node does the same).
  bool promoting = false;
  shardkit::txn::Lsn promote_lsn = 0;

  // Records ever kept (compacted ones included).
  size_t Count() const { return compacted.size() + log.size(); }
  shardkit::txn::Lsn NextLsn() const { return log.empty() ? snapshot_lsn + 1 : log.back().lsn + 1; }
  shardkit::txn::Lsn DurableLsn() const {
    return durable > compacted.size() ? log[durable - compacted.size() - 1].lsn : snapshot_lsn;
  }
  // True when pred holds for some record of the whole history, compacted
  // ones included.
  template <class Pred>
  bool AnyRecord(Pred pred) const {
    for (const auto& e : compacted) {
      if (pred(e)) return true;
    }
    for (const auto& e : log) {
      if (pred(e)) return true;
    }
    return false;
  }
  // The LSN the core may count as durable: DurableLsn(), and when
  // replicated no further than the standby flushed.
  shardkit::txn::Lsn GatedLsn() const {
    return replicated ? std::min(DurableLsn(), acked) : DurableLsn();
  }
  shardkit::txn::Lsn LastLsn() const { return NextLsn() - 1; }
  // True when the indexed record exists and is durable (and replicated);
  // false when it exists but is not; true when there is no such record and
  // `absent_ok`.
  bool Durable(const std::string& key, bool absent_ok) const {
    auto it = index.find(key);
    if (it == index.end()) return absent_ok;
    return it->second <= GatedLsn();
  }
};

}  // namespace sim
