#include "scan.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include "file.h"
#include "segment_reader.h"

namespace shardkit::wal {
namespace {

Status Corrupt(const std::string& path, uint64_t offset, const std::string& why) {
  return Status::IoError(path + ": corrupt record at offset " + std::to_string(offset) + ": " +
                         why);
}

// Cuts the torn tail of the last segment at `offset` and makes the cut
// durable before anything is appended after it.
Status TruncateTail(const DataDirOptions& reports, const std::string& path, uint64_t offset,
                    const std::string& why) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus("cannot open " + path);
  struct stat st;
  uint64_t old_size = ::fstat(fd.get(), &st) == 0 ? uint64_t(st.st_size) : 0;
  if (::ftruncate(fd.get(), off_t(offset)) != 0) return ErrnoStatus("truncate " + path);
  if (::fsync(fd.get()) != 0) {
    std::string m = "fsync " + path + ": " + ErrnoText(errno);
    reports.on_fatal(m);
    return Status::Internal(m);
  }
  reports.on_warning(
      "wal: truncated a torn tail of " + path + " at offset " + std::to_string(offset) + " (" +
      std::to_string(old_size - std::min(old_size, offset)) + " bytes dropped: " + why + ")");
  return Status::Ok();
}

// The epoch of the last record in `seg`, a finished segment that must end
// at LSN `last_lsn`, verifying every record on the way as the scan does.
Result<uint64_t> LastEpochOf(const SegmentFile& seg, uint64_t last_lsn) {
  auto reader = SegmentReader::Open(seg.path);
  if (!reader.ok()) return reader.status();
  uint64_t expected = seg.first_lsn, epoch = 0;
  Record record;
  std::string why;
  while (true) {
    auto outcome = reader->Next(&record, &why);
    if (!outcome.ok()) return outcome.status();
    if (*outcome == SegmentReader::Outcome::kEnd) break;
    if (*outcome == SegmentReader::Outcome::kBad) {
      return Corrupt(seg.path, reader->offset(),
                     why + " (not the last segment, so not a torn write)");
    }
    if (record.lsn != expected) {
      return Corrupt(seg.path, reader->offset(),
                     "LSN " + std::to_string(record.lsn) + " where LSN " +
                         std::to_string(expected) + " was expected");
    }
    epoch = record.epoch;
    ++expected;
  }
  if (expected != last_lsn + 1) {
    return Status::IoError(seg.path + ": segment ends at LSN " + std::to_string(expected - 1) +
                           " but the next one starts at LSN " + std::to_string(last_lsn + 1) +
                           " (a segment is missing or damaged)");
  }
  return epoch;
}

}  // namespace

Result<std::vector<SegmentFile>> ListSegments(const std::string& wal_dir) {
  auto names = ListDir(wal_dir);
  if (!names.ok()) return names.status();
  std::vector<SegmentFile> segments;
  for (const std::string& name : *names) {
    uint64_t lsn = 0;
    if (ParseLsnFileName(name, ".seg", &lsn)) segments.push_back({lsn, wal_dir + "/" + name});
  }
  std::sort(segments.begin(), segments.end(),
            [](const SegmentFile& a, const SegmentFile& b) { return a.first_lsn < b.first_lsn; });
  return segments;
}

Result<ScanResult> ScanLog(const std::string& wal_dir, const DataDirOptions& reports,
                           const std::vector<SegmentFile>& segments, const ScanOptions& options,
                           const RecordFn& fn) {
  ScanResult result;
  if (segments.empty()) return result;

  size_t start = 0;
  if (options.from_lsn != 0) {
    if (options.from_lsn < segments.front().first_lsn) {
      return Status::IoError(wal_dir + ": records from LSN " + std::to_string(options.from_lsn) +
                             " are needed but the oldest segment starts at LSN " +
                             std::to_string(segments.front().first_lsn));
    }
    while (start + 1 < segments.size() && segments[start + 1].first_lsn <= options.from_lsn) {
      ++start;
    }
  }

  uint64_t expected = segments[start].first_lsn;
  for (size_t i = start; i < segments.size(); ++i) {
    const SegmentFile& seg = segments[i];
    const bool last = i + 1 == segments.size();
    if (seg.first_lsn != expected) {
      return Status::IoError(seg.path + ": segment starts at LSN " + std::to_string(seg.first_lsn) +
                             " but the log before it ends at LSN " + std::to_string(expected - 1) +
                             " (a segment is missing or damaged)");
    }
    if (expected > options.limit_lsn) break;
    auto reader = SegmentReader::Open(seg.path);
    if (!reader.ok()) return reader.status();
    Record record;
    std::string why;
    while (expected <= options.limit_lsn) {
      auto outcome = reader->Next(&record, &why);
      if (!outcome.ok()) return outcome.status();
      if (*outcome == SegmentReader::Outcome::kEnd) break;
      if (*outcome == SegmentReader::Outcome::kBad) {
        const uint64_t at = reader->offset();
        if (!last || !options.repair_tail) {
          return Corrupt(seg.path, at,
                         why + (last ? "" : " (not the last segment, so not a torn write)"));
        }
        auto next = FindValidRecordAfter(reader->fd(), seg.path, at + 1, expected);
        if (!next.ok()) return next.status();
        if (next->has_value()) {
          return Corrupt(seg.path, at,
                         why + ", and a valid record follows at offset " + std::to_string(**next) +
                             ", so this is not a torn write");
        }
        SK_RETURN_IF_ERROR(TruncateTail(reports, seg.path, at, why));
        break;
      }
      if (record.lsn != expected) {
        return Corrupt(seg.path, reader->offset(),
                       "LSN " + std::to_string(record.lsn) + " where LSN " +
                           std::to_string(expected) + " was expected");
      }
      if (fn && record.lsn >= options.from_lsn) SK_RETURN_IF_ERROR(fn(record));
      result.last_epoch = record.epoch;
      ++expected;
    }
    if (last) result.last_segment_size = reader->consumed();
  }
  result.next_lsn = expected;
  // Only the last segment can be empty (an empty one before it would leave
  // a gap, refused above); then the last record is in the one before.
  if (expected == segments[start].first_lsn && start > 0 && expected <= options.limit_lsn) {
    auto epoch = LastEpochOf(segments[start - 1], expected - 1);
    if (!epoch.ok()) return epoch.status();
    result.last_epoch = *epoch;
  }
  return result;
}

}  // namespace shardkit::wal
