// Cutting a log back to an LSN, offline (wal/log.h, TruncateLogAfter): a
// replica drops the tail that diverged from its new primary's history.
//
// The failpoint is evaluated by name rather than declared as a
// failpoint::Point, for the reason given in snapshot_install.cpp: the
// append-and-crash matrix of tests/fault/wal_fault.bats never truncates.
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <optional>

#include "file.h"
#include "scan.h"
#include "segment_reader.h"
#include "shardkit/failpoint/failpoint.h"
#include "shardkit/wal/log.h"

namespace shardkit::wal {
namespace {

constexpr std::string_view kAfterSegmentsDelete = "wal.after-truncate-segments-delete";

Status Corrupt(const std::string& path, uint64_t offset, const std::string& why) {
  return Status::IoError(path + ": corrupt record at offset " + std::to_string(offset) + ": " +
                         why);
}

// Reads `seg` from its start up to record `lsn`, verifying each record, and
// returns the offset just past it; nullopt when the log ends before `lsn`
// (only possible in the last segment: its end, or a torn tail with no valid
// record after it). IoError for anything recovery would call corruption.
Result<std::optional<uint64_t>> EndOfRecord(const SegmentFile& seg, bool last, uint64_t lsn,
                                            uint64_t next_first_lsn) {
  auto reader = SegmentReader::Open(seg.path);
  if (!reader.ok()) return reader.status();
  uint64_t expected = seg.first_lsn;
  Record record;
  std::string why;
  while (true) {
    auto outcome = reader->Next(&record, &why);
    if (!outcome.ok()) return outcome.status();
    if (*outcome == SegmentReader::Outcome::kEnd) {
      if (last) return std::optional<uint64_t>();
      return Status::IoError(seg.path + ": segment ends at LSN " + std::to_string(expected - 1) +
                             " but the next one starts at LSN " + std::to_string(next_first_lsn) +
                             " (a segment is missing or damaged)");
    }
    if (*outcome == SegmentReader::Outcome::kBad) {
      const uint64_t at = reader->offset();
      if (!last) {
        return Corrupt(seg.path, at, why + " (not the last segment, so not a torn write)");
      }
      auto next = FindValidRecordAfter(reader->fd(), seg.path, at + 1, expected);
      if (!next.ok()) return next.status();
      if (next->has_value()) {
        return Corrupt(seg.path, at,
                       why + ", and a valid record follows at offset " + std::to_string(**next) +
                           ", so this is not a torn write");
      }
      return std::optional<uint64_t>();  // a torn tail: Log::Open cuts it
    }
    if (record.lsn != expected) {
      return Corrupt(seg.path, reader->offset(),
                     "LSN " + std::to_string(record.lsn) + " where LSN " +
                         std::to_string(expected) + " was expected");
    }
    if (record.lsn == lsn) return std::optional<uint64_t>(reader->consumed());
    ++expected;
  }
}

Status SyncDirOrFatal(const DataDir& dir, const std::string& path) {
  if (FsyncDir(path) == 0) return Status::Ok();
  std::string m = "fsync directory " + path + ": " + ErrnoText(errno);
  dir.Fatal(m);
  return Status::Internal(m);
}

}  // namespace

Status TruncateLogAfter(const DataDir& dir, uint64_t lsn) {
  auto segments = ListSegments(dir.wal_dir());
  if (!segments.ok()) return segments.status();
  // Segments [0, keep) hold LSNs up to `lsn`; the last of them holds `lsn`
  // itself, if the log reaches that far.
  size_t keep = 0;
  while (keep < segments->size() && (*segments)[keep].first_lsn <= lsn) ++keep;

  // Verify before changing anything.
  std::optional<uint64_t> cut;
  if (keep > 0) {
    const bool last = keep == segments->size();
    auto end =
        EndOfRecord((*segments)[keep - 1], last, lsn, last ? 0 : (*segments)[keep].first_lsn);
    if (!end.ok()) return end.status();
    cut = *end;
  }

  // 1. Snapshots whose state includes dropped records.
  auto names = ListDir(dir.snap_dir());
  if (!names.ok()) return names.status();
  bool removed = false;
  for (const std::string& name : *names) {
    uint64_t snap_lsn = 0;
    if (!ParseLsnFileName(name, ".snap", &snap_lsn) || snap_lsn <= lsn) continue;
    const std::string path = dir.snap_dir() + "/" + name;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("cannot remove " + path);
    removed = true;
  }
  if (removed) SK_RETURN_IF_ERROR(SyncDirOrFatal(dir, dir.snap_dir()));

  // 2. Later segments, newest first, each removal durable before the next:
  // a crash leaves a dense prefix of the old log, never a gap.
  for (size_t i = segments->size(); i > keep; --i) {
    const std::string& path = (*segments)[i - 1].path;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("cannot remove " + path);
    SK_RETURN_IF_ERROR(SyncDirOrFatal(dir, dir.wal_dir()));
  }
  SK_RETURN_IF_ERROR(failpoint::Hit(kAfterSegmentsDelete));

  // 3. The tail of the segment holding `lsn`.
  if (!cut) return Status::Ok();
  const std::string& path = (*segments)[keep - 1].path;
  Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus("cannot open " + path);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("stat " + path);
  if (uint64_t(st.st_size) <= *cut) return Status::Ok();
  if (::ftruncate(fd.get(), off_t(*cut)) != 0) return ErrnoStatus("truncate " + path);
  if (::fsync(fd.get()) != 0) {
    std::string m = "fsync " + path + ": " + ErrnoText(errno);
    dir.Fatal(m);
    return Status::Internal(m);
  }
  return Status::Ok();
}

}  // namespace shardkit::wal
