// Retention (DESIGN.md §8): a primary keeps the log segments its replicas
// still need, but never more than --retain-bytes of log nor segments older
// than --retain-age, so a dead replica cannot fill the disk. A replica that
// falls behind the cap gets a full resync (and a loud log line) instead.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "shardkit/status/status.h"

namespace replicad {

struct RetentionCap {
  uint64_t max_bytes = uint64_t{1} << 30;
  std::chrono::seconds max_age{3600};
};

// What the segments in DIR/wal allow right now.
struct RetentionView {
  // The lowest LSN the cap lets the writer keep: segments wholly below it
  // may go whatever the replicas need. 0 when every segment fits the cap.
  uint64_t cap_lsn = 0;
  uint64_t log_bytes = 0;  // all segments
  uint64_t first_lsn = 0;  // of the oldest segment (0: none)
};

shardkit::Result<RetentionView> ViewRetention(const std::string& wal_dir, const RetentionCap& cap);

// Bytes of log from `lsn` to the end (whole segments; an estimate within
// one segment).
shardkit::Result<uint64_t> BytesFrom(const std::string& wal_dir, uint64_t lsn);

}  // namespace replicad
