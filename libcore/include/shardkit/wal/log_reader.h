// LogReader: reads durable records from another process's log (DESIGN.md §8,
// streaming).
//
// On a primary, replicad reads the records it streams to replicas straight
// from the writer's segments, read-only and without DIR/LOCK, while the
// writer (txpart or txcoord) keeps appending and deleting old segments:
//
//   auto reader = LogReader::Open(data_dir + "/wal");
//   std::vector<OwnedRecord> batch;
//   // durable: the LSN the writer last reported durable over its socket.
//   Status s = reader->Read(next, durable, 1 << 20, &batch);
//   if (s.code() == Code::kNoInput) ...full resync (NewestSnapshot)...
//
// Why it is safe without the lock: the writer only ever appends to its last
// segment and creates the next one (named by its first LSN, created and
// fsynced before any record goes in), and deletes whole segments from the
// oldest end. Records up to the durable LSN the writer reported are written
// in full and never change. The reader never looks past `up_to_lsn`, so it
// never interprets a record still being written.
//
// What it assumes: the log only grows at its end and loses segments only at
// its start. Anything that rewrites it, TruncateLogAfter or InstallSnapshot
// on a directory whose writer has stopped, or a writer restart (which may cut
// a torn tail), must be followed by Reset() (or a new LogReader) before the
// next Read: the reader keeps its segment open and buffers bytes read ahead.
//
// A LogReader is not thread-safe: use one per stream (one per replica), each
// with its own open segment and position.
//
// Sequential reads are cheap: the reader keeps the current segment open with
// a read-ahead buffer and remembers where the next LSN starts, so a Read that
// continues where the last one stopped does no lookup. Any other from_lsn
// finds its segment by listing wal/ and reads forward from the nearest of the
// positions remembered every megabyte in that segment, else from its start.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "shardkit/status/status.h"
#include "shardkit/wal/record.h"

namespace shardkit::wal {

class LogReader {
 public:
  // A reader for the segments in `wal_dir` (DIR/wal). Checks that the
  // directory can be listed: NoInput when it is missing, IoError otherwise.
  // Opens no segment yet.
  static Result<LogReader> Open(const std::string& wal_dir);

  LogReader(LogReader&&) noexcept;
  LogReader& operator=(LogReader&&) noexcept;
  ~LogReader();

  // Replaces *out with the records from `from_lsn` on, in LSN order, none
  // above `up_to_lsn`: at least one when from_lsn <= up_to_lsn, and further
  // ones while the records taken so far hold fewer than `max_bytes` bytes
  // (on-disk bytes, headers included; one large record may exceed it).
  // Ok with *out empty when from_lsn > up_to_lsn. Every record is verified
  // (checksum, dense LSNs) as recovery does.
  //
  // `up_to_lsn` must be durable in the writer (its reported durable LSN):
  // the reader trusts that every record up to it is on disk in full.
  //
  // Errors, with *out empty (nothing partial is returned):
  //   NoInput "wal: lsn N is no longer retained (oldest is M)" when from_lsn
  //     is below the oldest segment's first LSN, or its segment was deleted
  //     while being read (the caller falls back to a full resync);
  //   IoError naming the segment and byte offset for a damaged record, an
  //     LSN out of sequence or a missing segment, and when the log ends
  //     before from_lsn although up_to_lsn claims it durable.
  // Any error also drops the remembered position.
  Status Read(uint64_t from_lsn, uint64_t up_to_lsn, size_t max_bytes,
              std::vector<OwnedRecord>* out);

  // The first LSN of the oldest segment now in wal/: the oldest record that
  // can still be read (replication's retention horizon). 0 when wal/ holds
  // no segment. IoError when wal/ cannot be listed.
  Result<uint64_t> OldestLsn() const;

  // Forgets the open segment, its buffered bytes and the remembered
  // positions. Call it after the log was rewritten (see above).
  void Reset();

  struct Impl;

 private:
  explicit LogReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace shardkit::wal
