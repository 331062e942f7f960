// Log records (DESIGN.md §6).
//
// On disk a record is a fixed 29-byte little-endian header and its payload:
//
//   offset size field
//        0    4 length    payload bytes, at most kMaxPayloadBytes
//        4    8 checksum  XXH3-64 of bytes 12..end (type, epoch, lsn,
//                         payload), seeded with `length`, so a damaged
//                         length field fails the checksum too
//       12    1 type      the caller's record type (opaque to the log)
//       13    8 epoch     the replication epoch the record was written in
//       21    8 lsn       dense: 1, 2, 3, ... across the whole log
//       29    n payload
//
// Records are packed back to back in segment files DIR/wal/<first-lsn>.seg,
// where <first-lsn> is the LSN of the segment's first record, zero-padded to
// 20 digits. A segment holds no other framing, so `length` is checked against
// kMaxPayloadBytes and the bytes left in the file before anything is
// allocated for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "shardkit/status/status.h"

namespace shardkit::wal {

inline constexpr size_t kRecordHeaderBytes = 29;
inline constexpr size_t kMaxPayloadBytes = size_t{64} << 20;

// One record as handed to replay callbacks. `payload` points into the
// reader's buffer and is valid only during the callback.
struct Record {
  uint8_t type = 0;
  uint64_t epoch = 0;
  uint64_t lsn = 0;
  std::string_view payload;
};

// One record with its own copy of the payload, for readers that keep or
// forward records after the read buffer has moved on (wal::LogReader, and
// replication, which sends them to replicas for Log::AppendRecord).
struct OwnedRecord {
  uint8_t type = 0;
  uint64_t epoch = 0;
  uint64_t lsn = 0;
  std::string payload;
};

// Receives records in LSN order during recovery or replay. A non-ok return
// stops the scan, which then returns that status.
using RecordFn = std::function<Status(const Record&)>;

}  // namespace shardkit::wal
