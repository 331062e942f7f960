// Log: the segmented write-ahead log with group commit (DESIGN.md §2, §6).
//
// The event-loop thread appends records and asks for a sync; a writer thread
// owned by the Log writes everything pending with one write(2) and one
// fdatasync per batch, then publishes durable_lsn() and signals notify_fd().
// Whatever piles up while one fdatasync runs becomes the next batch, so the
// batch size follows the load by itself (rule 6: group commit).
//
//   auto dir = DataDir::Open(path);                         // takes DIR/LOCK
//   auto log = Log::Open(*dir, {}, snapshot_lsn + 1,
//                        [&](const Record& r) { return store.Apply(r); });
//   uint64_t lsn = log->Append(kPrepared, epoch, bytes);    // cheap, no I/O
//   log->RequestSync();
//   loop.AddFd(log->notify_fd(), [&] { SendRepliesUpTo(log->ConsumeNotify()); });
//
// Only after durable_lsn() >= lsn may anything that depends on the record be
// sent (rule 1).
//
// Failure policy (rule 4): a failed write or fdatasync of the log, including
// ENOSPC, goes to the DataDir's FatalHandler, whose default exits 70 at once.
// The records of the failed batch are never reported durable. ENOSPC is
// treated like any other write error rather than reported back to callers:
// by the time the writer sees it, the event loop has moved on, and a daemon
// that cannot log cannot make progress; nothing acknowledged is lost, and a
// partly written batch is a torn tail that the next Open truncates.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "shardkit/status/status.h"
#include "shardkit/wal/data_dir.h"
#include "shardkit/wal/record.h"

namespace shardkit::wal {

struct LogOptions {
  // A segment is closed once it holds this many bytes; the next record
  // starts a new one. A record larger than this gets a segment to itself.
  uint64_t segment_bytes = uint64_t{64} << 20;
  // The writer also starts a batch without a sync request once this many
  // bytes are pending, to bound memory; otherwise it waits for a request.
  size_t flush_bytes = size_t{1} << 20;
};

// A position in a log: the LSN of a record and the replication epoch it was
// written in (DESIGN.md §8, identity).
struct LogPosition {
  uint64_t epoch = 0;
  uint64_t lsn = 0;
};

// Counters since Open, for benchmarks and status output.
struct LogStats {
  uint64_t records = 0;  // appended
  uint64_t bytes = 0;    // appended, headers included
  uint64_t batches = 0;  // write batches completed
  uint64_t fsyncs = 0;   // fsync/fdatasync calls by the writer (data and new segments)
};

class Log {
 public:
  // Recovers the log in dir.wal_dir() and starts the writer thread.
  //
  // Scans the segments in LSN order from the one holding `replay_from` (0:
  // from the oldest), verifying every checksum and that LSNs are dense
  // within and across segments, and calls `on_record` (when set) for each
  // record with lsn >= replay_from. A torn or garbage tail of the last
  // segment, with no valid record after it, is truncated (ftruncate + fsync)
  // and reported through the DataDir's WarningHandler. A bad record followed
  // by a valid one, a bad record in any but the last segment, an LSN out of
  // sequence or a missing segment is corruption: IoError (exit 74) naming the
  // segment file and byte offset, and nothing is changed. IoError also when
  // replay_from is older than the oldest segment or past the end of the log.
  // Segments wholly before replay_from are neither read nor verified. The
  // last segment is then fdatasynced: records a crashed process wrote but
  // never synced survive in the page cache and are recovered, and must be
  // durable before anything is built on them. An empty log (no segments)
  // starts at LSN max(1, replay_from), so a directory holding only a
  // snapshot continues after it.
  // IoError also, changing nothing, while snap/ holds an unfinished snapshot
  // install (InstallSnapshot failed after its commit point): the segments may
  // be half deleted, and only the next DataDir::Open finishes the install.
  // `dir` must stay open (locked) while the Log is: the Log copies its paths
  // and handlers, but the lock is what makes it the only writer.
  static Result<Log> Open(const DataDir& dir, LogOptions options = {}, uint64_t replay_from = 0,
                          const RecordFn& on_record = {});

  Log(Log&&) noexcept;
  Log& operator=(Log&&) noexcept;
  // Writes and fdatasyncs everything still pending, then stops the writer.
  ~Log();

  // Assigns the next LSN to a record and queues a copy of it; returns the
  // LSN. Never blocks on I/O (it takes a mutex the writer holds only to swap
  // buffers). The record is durable once durable_lsn() reaches the LSN,
  // which needs a RequestSync() or SyncUpTo() (or flush_bytes pending).
  // Precondition: payload.size() <= kMaxPayloadBytes; callers bound their
  // inputs below that (a larger one is a bug and goes to the FatalHandler).
  // Thread-safe.
  uint64_t Append(uint8_t type, uint64_t epoch, std::string_view payload);

  // Appends a record copied from another log (a standby copying its
  // primary's records, DESIGN.md §8) at exactly `lsn`, with the epoch it had
  // there. Ok, or DataError without appending anything when `lsn` is not
  // last_lsn() + 1, when `epoch` is below last_epoch() (epochs never
  // decrease along a log), or when the payload exceeds kMaxPayloadBytes (it
  // came off the network, so that is bad input, not a bug). Otherwise as
  // Append: queued without I/O, durable once durable_lsn() reaches `lsn`.
  // Thread-safe; mixing it with Append on one log is allowed but pointless.
  Status AppendRecord(uint8_t type, uint64_t epoch, uint64_t lsn, std::string_view payload);

  // Asks the writer to make everything appended so far durable, without
  // waiting. Thread-safe; cheap when nothing is pending.
  void RequestSync();

  // Requests a sync and blocks until durable_lsn() >= lsn. Ok, or
  // Status::Internal once the writer has failed (only reachable with a
  // FatalHandler that returns) or for an LSN never assigned. Thread-safe.
  Status SyncUpTo(uint64_t lsn);

  // Every record with an LSN up to this one is durable. Thread-safe.
  uint64_t durable_lsn() const;
  // durable_lsn() and the epoch of the record at it, read together (the pair
  // a replica reports: last_epoch() may already belong to a later record
  // that is not durable yet). The epoch is 0 when no record up to
  // durable_lsn() is in the log (empty, or starting after a snapshot).
  // Thread-safe.
  LogPosition durable_position() const;
  // Every record up to this LSN has been handed to write(2): it survives a
  // crash of this process (the page cache keeps it) but not yet one of the
  // machine. >= durable_lsn(). A primary streams up to here to its replicas
  // while its own fdatasync runs. Thread-safe.
  uint64_t written_lsn() const;
  // The LSN the last Append returned (or the last recovered one).
  uint64_t last_lsn() const;
  // The epoch of the record at last_lsn(): the last appended or recovered
  // one. 0 for an empty log, including one that starts after a snapshot (a
  // snapshot records no epoch; replication keeps that in DIR/epochs).
  uint64_t last_epoch() const;

  // An eventfd that becomes readable each time written_lsn() or
  // durable_lsn() advances, for
  // net::EventLoop::AddFd. Owned by the Log; do not close it.
  int notify_fd() const;
  // Drains notify_fd() (non-blocking) and returns durable_lsn(). Call it from
  // the notify_fd() callback so the level-triggered fd stops firing.
  uint64_t ConsumeNotify();

  // Streams durable records with lsn >= from_lsn (0: from the oldest
  // segment), verifying them as Open does but never repairing: any bad
  // record is corruption. Records made durable after the call starts are not
  // included. Safe while appends continue; DeleteSegmentsBefore() running at
  // the same time may make it fail with NoInput.
  Status Replay(uint64_t from_lsn, const RecordFn& fn) const;

  // Removes every segment all of whose records have LSNs below `lsn` (never
  // the segment being written), then fsyncs the directory. For after a
  // snapshot at lsn-1 is durable (rule 7). Ok also when nothing qualifies.
  Status DeleteSegmentsBefore(uint64_t lsn);

  LogStats stats() const;
  // Bytes appended but not yet handed to the writer, for backpressure.
  size_t pending_bytes() const;

  struct Impl;

 private:
  explicit Log(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Drops every record with an LSN above `lsn`: a replica's divergent tail,
// cut where its primary's history branched off (DESIGN.md §8, catch-up).
// Offline: no Log may be open on `dir` (the caller holds the lock and opens
// its Log afterwards).
//
// First the segment holding `lsn` is read up to that record and verified as
// recovery does: IoError (exit 74) naming the segment and byte offset for a
// damaged record or an LSN out of sequence, and nothing is changed. When the
// log ends before `lsn`, including at a torn tail that the next Log::Open
// repairs, no record is dropped (snapshots above `lsn` still are). Then, in
// an order that leaves a recoverable directory after a crash at any point:
//   1. snapshots with an LSN above `lsn` are deleted (their state includes
//      records being dropped), then snap/ is fsynced;
//   2. the segments after the one holding `lsn` are deleted newest first,
//      fsyncing wal/ after each, so a crash leaves the old log minus some of
//      its last segments: a dense prefix, never a log with a gap;
//   3. that segment is cut right after record `lsn` (ftruncate, fsync).
// After a crash the log ends anywhere between `lsn` and its old end; calling
// this again finishes the job. A failed fsync goes to the FatalHandler.
//
// When `lsn` is below the first LSN of the oldest segment (every retained
// record is above it) all segments are deleted and Ok is returned: the log
// no longer reaches back to `lsn`, and the caller must install a snapshot
// (InstallSnapshot) before opening the Log. The same holds whenever no
// snapshot at or below `lsn` remains from which the surviving segments
// continue, e.g. after `lsn` fell below the only snapshot. The caller can
// tell beforehand from the oldest segment (LogReader::OldestLsn) and
// NewestSnapshot.
Status TruncateLogAfter(const DataDir& dir, uint64_t lsn);

}  // namespace shardkit::wal
