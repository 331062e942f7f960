// The admin tables `txcoord serve` answers (status, inflight, heuristics,
// outcome); the client verbs print them as they come. Columns are part of
// the stable output (txcoord(1)): append, never reorder.
#pragma once

#include <string>
#include <vector>

#include "serve_metrics.h"
#include "shardkit/status/status.h"
#include "shardkit/txn/coordinator.h"
#include "shardkit/wal/log.h"
#include "shardkit/wire/messages.h"

namespace txcoord {

struct StatusInputs {
  const shardkit::txn::Coordinator* core;
  const ServeMetrics* metrics;
  shardkit::wal::LogStats log;
  uint64_t ring_generation;
  std::string tag;
};

// name/value rows.
shardkit::wire::AdminReply StatusTable(const StatusInputs& in);
// txid, client_txid, state, participants, waiting_for (lists comma-joined).
shardkit::wire::AdminReply InflightTable(const shardkit::txn::Coordinator& core);
// txid, participant, decided, heuristic, mismatch.
shardkit::wire::AdminReply HeuristicsTable(const shardkit::txn::Coordinator& core);
// One row: txid, outcome (committed, aborted, running or unknown), reason,
// key. Usage error without exactly one TXID.
shardkit::Result<shardkit::wire::AdminReply> OutcomeTable(const shardkit::txn::Coordinator& core,
                                                          const std::vector<std::string>& args);

}  // namespace txcoord
