// Snapshots: the state as of an LSN, so recovery reads only the log after it
// (DESIGN.md §6 rules 3 and 7).
//
// DIR/snap/<lsn>.snap (20-digit zero-padded LSN) holds opaque entries; the
// kv module decides what an entry means. Layout, little-endian:
//
//   "SKSNAP01" | lsn u64                               header, 16 bytes
//   ( length u32 (< 0xffffffff, <= 64 MiB) | bytes )*  entries
//   0xffffffff | count u64 | xxh3 u64 | "SKSNEND1"     trailer, 28 bytes
//
// xxh3 covers every byte before it. A snapshot is written to a temporary
// file, fsynced, renamed to its final name and the directory fsynced, so a
// crash leaves either the old set of snapshots or the new one; a file under
// the final name that still fails its trailer or checksum is corruption and
// is refused, never loaded in part.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "shardkit/status/status.h"
#include "shardkit/wal/data_dir.h"

namespace shardkit::wal {

inline constexpr size_t kMaxSnapshotEntryBytes = size_t{64} << 20;

struct SnapshotInfo {
  uint64_t lsn = 0;  // the state includes every record up to this LSN
  std::string path;
  uint64_t bytes = 0;
};

// Receives the entries of a snapshot being written (buffered).
class SnapshotWriter {
 public:
  // Adds one entry (at most kMaxSnapshotEntryBytes: DataError otherwise).
  // IoError if the buffered write fails; the snapshot is then abandoned.
  Status Append(std::string_view entry);
  uint64_t entries() const;

  struct Impl;
  explicit SnapshotWriter(Impl* impl) : impl_(impl) {}

 private:
  Impl* impl_;  // owned by WriteSnapshot
};

// Writes DIR/snap/<lsn>.snap with the entries `fill` appends: temporary file,
// fsync, rename, fsync of the directory. On any error (from `fill` too) the
// temporary file is removed and no snapshot appears; that includes a failed
// fsync of the temporary file, which is discarded, so none of its possibly
// dropped pages can ever be read back. A failed fsync of the directory after
// the rename goes to the FatalHandler (the rename may or may not survive a
// crash, and segments must not be deleted on its strength).
// Replaces an existing snapshot at the same LSN. Failpoints:
// wal.before-snapshot-rename, wal.after-snapshot-rename. Safe to run on a
// background thread while the Log appends.
Status WriteSnapshot(const DataDir& dir, uint64_t lsn,
                     const std::function<Status(SnapshotWriter&)>& fill);

// The snapshot with the highest LSN, nullopt when there is none. Temporary
// files are ignored. Checks the newest file's header and trailer (not its
// checksum: SnapshotReader does that while streaming) and returns IoError
// (exit 74) naming the file when they are wrong, rather than falling back to
// an older snapshot whose log may already be deleted.
Result<std::optional<SnapshotInfo>> NewestSnapshot(const DataDir& dir);

// The same for a snapshot directory (DIR/snap) that another process owns,
// without its lock: replicad picks the snapshot for a full resync this way
// while the writer runs. The writer may delete the newest snapshot at any
// moment once it has written a newer one; a file that vanishes between the
// listing and the check is looked up again (a few times, then NoInput).
// Once SnapshotReader::Open has the file open, a deletion no longer matters:
// the open descriptor keeps the data readable.
Result<std::optional<SnapshotInfo>> NewestSnapshot(const std::string& snap_dir);

// Removes the snapshots with LSNs below `lsn` and fsyncs the directory.
Status DeleteSnapshotsBefore(const DataDir& dir, uint64_t lsn);

// Replaces the whole state of `dir` with the snapshot in `file`, for a
// replica's full resync (DESIGN.md §8): afterwards snap/<lsn>.snap is the
// only snapshot and wal/ holds no segment, so Log::Open(dir, options,
// lsn + 1) starts an empty log at lsn + 1 (with replay_from 0 it would start
// at 1). Offline: no Log may be open on `dir`.
//
// `file` is a complete snapshot (the layout above) at `lsn`, written and
// fsynced by another process, inside DIR's file system, and not itself
// named like a snapshot in snap/: a name containing ".tmp" under snap/ is
// best, so that DataDir::Open removes a half-received file after a crash.
// Before anything is changed the file is verified whole, header, entries,
// checksum and trailer: IoError (exit 74) naming the file when it is
// damaged, DataError when its header holds another LSN, NoInput when it is
// missing, Usage when it has a final snapshot name in snap/.
//
// Crash safety comes from one commit point. The file is fsynced and renamed
// to snap/<lsn>.snap.install, and snap/ is fsynced: before that a crash
// leaves the old state untouched (plus the caller's file); after it the new
// state is decided. Then every segment is deleted and wal/ fsynced, every
// other snapshot deleted and snap/ fsynced, and the .install file renamed
// to snap/<lsn>.snap and snap/ fsynced. A crash anywhere in those steps
// leaves the .install file, and the next DataDir::Open repeats them (they
// are idempotent) before it returns: so no Log ever sees old segments next
// to the new snapshot. If this returns an error after the commit point the
// same holds; until the DataDir is reopened, Log::Open refuses the
// directory. A failed fsync goes to the FatalHandler.
Status InstallSnapshot(const DataDir& dir, const std::string& file, uint64_t lsn);

// Streams the entries of one snapshot, verifying it.
class SnapshotReader {
 public:
  // Opens the snapshot and checks its header (magic, and the LSN against the
  // file name). NoInput if it is missing, IoError if it is damaged.
  static Result<SnapshotReader> Open(const SnapshotInfo& info);

  SnapshotReader(SnapshotReader&&) noexcept;
  SnapshotReader& operator=(SnapshotReader&&) noexcept;
  ~SnapshotReader();

  // Reads the next entry into *entry and returns true; returns false once
  // the trailer has been read and the checksum and entry count verified.
  // IoError naming the file and offset on any damage: a caller must discard
  // whatever it built from the entries so far.
  Result<bool> Next(std::string* entry);

  uint64_t lsn() const;

  struct Impl;

 private:
  explicit SnapshotReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace shardkit::wal
