// Walking the segments of a log in LSN order: the recovery scan at Open and
// later replays share it.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "shardkit/status/status.h"
#include "shardkit/wal/data_dir.h"
#include "shardkit/wal/record.h"

namespace shardkit::wal {

struct SegmentFile {
  uint64_t first_lsn = 0;  // from the file name
  std::string path;
};

// The segments in DIR/wal, sorted by first LSN. Other files are ignored.
Result<std::vector<SegmentFile>> ListSegments(const std::string& wal_dir);

struct ScanOptions {
  // Deliver records with lsn >= from_lsn; 0 means "from the oldest segment".
  // The scan starts at the segment holding from_lsn: older ones are neither
  // read nor verified.
  uint64_t from_lsn = 0;
  // Stop after this LSN (a replay running next to the writer must not read
  // records that are not durable yet).
  uint64_t limit_lsn = std::numeric_limits<uint64_t>::max();
  // At Open: a bad tail of the last segment with no valid record after it is
  // a torn write and is truncated (DESIGN.md §6 rule 5). Otherwise every bad
  // record is corruption.
  bool repair_tail = false;
};

struct ScanResult {
  uint64_t next_lsn = 1;           // one past the last record seen
  uint64_t last_segment_size = 0;  // bytes in the last segment after any repair
  // The epoch of the record at next_lsn - 1, 0 when there is none. When the
  // last segment is empty (a crash right after creating it) it comes from
  // the segment before, read for that even if it lies before from_lsn.
  uint64_t last_epoch = 0;
};

// Reads `segments` (from ListSegments) as ScanOptions says, calling `fn`
// (when set) for each delivered record in LSN order. Returns IoError (exit
// 74) naming the segment and byte offset for a damaged record that is not a
// torn tail, a record whose LSN breaks the dense sequence, or a missing
// segment; `fn`'s own error stops the scan and is returned as is.
// `reports` receives the truncation warning and a fatal fsync failure.
Result<ScanResult> ScanLog(const std::string& wal_dir, const DataDirOptions& reports,
                           const std::vector<SegmentFile>& segments, const ScanOptions& options,
                           const RecordFn& fn);

}  // namespace shardkit::wal
