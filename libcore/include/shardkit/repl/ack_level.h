// Ack levels (DESIGN.md §8): how far a write must have travelled before the
// writer answers for it.
//
//   none        nothing: answer at once (not even the local fsync)
//   local       the primary's own fsync
//   received:k  and any k replicas have the records in memory
//   flushed:k   and any k replicas have fsynced them (the default with replicas)
//   applied:k   and any k replicas' standbys have applied them
//
// A level never degrades: when it cannot be met in time the writer answers
// "durable on the primary, replication not confirmed" (exit 75), never ok.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shardkit/status/status.h"

namespace shardkit::repl {

enum class AckKind : uint8_t { kNone = 0, kLocal = 1, kReceived = 2, kFlushed = 3, kApplied = 4 };

struct AckLevel {
  AckKind kind = AckKind::kLocal;
  uint32_t k = 0;  // replicas; 0 for none and local

  bool operator==(const AckLevel&) const = default;
  // True when this level is at least as strong as `other` (a per-write level
  // may only strengthen the group's): its kind is at least as strong (none <
  // local < received < flushed < applied) AND it asks for at least as many
  // replicas. So flushed:2 >= received:2 >= local, but received:2 and
  // flushed:1 are not comparable: AtLeast is false both ways.
  bool AtLeast(const AckLevel& other) const;
  bool NeedsReplicas() const { return k > 0; }
};

// Parses "none", "local", "received:K", "flushed:K", "applied:K" (1 <= K <=
// 16). A bare integer K means flushed:K (the DESIGN's `--ack 1`). Usage
// error naming the text otherwise.
Result<AckLevel> ParseAckLevel(std::string_view text);
std::string FormatAckLevel(const AckLevel& level);

// The highest LSN that meets `level`, given the writer's own durable LSN
// and each connected replica's cumulative positions (one entry per replica,
// in any order). none: UINT64_MAX (anything goes); local: durable_lsn;
// X:k: the k-th highest replica X position, capped at durable_lsn (a write
// is never confirmed before the primary's own fsync), or 0 with fewer than
// k replicas. A replica kind with k = 0 (not produced by ParseAckLevel)
// behaves as local.
uint64_t AckedLsn(const AckLevel& level, uint64_t durable_lsn,
                  const std::vector<uint64_t>& received, const std::vector<uint64_t>& flushed,
                  const std::vector<uint64_t>& applied);

}  // namespace shardkit::repl
