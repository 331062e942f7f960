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

// Removes the snapshots with LSNs below `lsn` and fsyncs the directory.
Status DeleteSnapshotsBefore(const DataDir& dir, uint64_t lsn);

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
