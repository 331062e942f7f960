// One simulated process: its core, its incarnation and its disk.
#pragma once

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

  // The disk: every appended record in LSN order; the first `durable` of
  // them are durable. A crash keeps a prefix that includes those.
  std::vector<shardkit::txn::LogEntry> log;
  size_t durable = 0;
  // "<kind>:<txid>" -> LSN of the latest record of that kind for the txid
  // (P prepared, C committed, A aborted, 1 one-phase, D decision, DC decision
  // by client txid), for the force-before-send checks.
  std::unordered_map<std::string, shardkit::txn::Lsn> index;
  std::set<shardkit::txn::TimerId> cancelled;  // this incarnation's

  shardkit::txn::Lsn NextLsn() const { return log.empty() ? 1 : log.back().lsn + 1; }
  shardkit::txn::Lsn DurableLsn() const { return durable == 0 ? 0 : log[durable - 1].lsn; }
  // True when the indexed record exists and is durable; false when it exists
  // but is not; true when there is no such record and `absent_ok`.
  bool Durable(const std::string& key, bool absent_ok) const {
    auto it = index.find(key);
    if (it == index.end()) return absent_ok;
    return it->second <= DurableLsn();
  }
};

}  // namespace sim
