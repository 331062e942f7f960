// Reading durable records from a log another process writes (wal/log_reader.h).
#include "shardkit/wal/log_reader.h"

#include <sys/stat.h>

#include <optional>
#include <utility>

#include "file.h"
#include "scan.h"
#include "segment_reader.h"

namespace shardkit::wal {
namespace {

// A position is remembered at the first record start past each megabyte of
// a segment, so going back costs at most this much reading.
constexpr uint64_t kMarkBytes = uint64_t{1} << 20;

Status Corrupt(const std::string& path, uint64_t offset, const std::string& why) {
  return Status::IoError(path + ": corrupt record at offset " + std::to_string(offset) + ": " +
                         why);
}

Status OutOfSequence(const SegmentReader& seg, uint64_t lsn, uint64_t expected) {
  return Corrupt(
      seg.path(), seg.offset(),
      "LSN " + std::to_string(lsn) + " where LSN " + std::to_string(expected) + " was expected");
}

}  // namespace

struct LogReader::Impl {
  std::string wal_dir;
  // The segment being read, positioned at the record `next_lsn`; empty when
  // there is no remembered position.
  std::optional<SegmentReader> seg;
  uint64_t seg_first = 0;  // its first LSN
  uint64_t next_lsn = 0;
  // (lsn, offset) of record starts in `seg`, ascending, the first at offset
  // 0 and then about every kMarkBytes.
  std::vector<std::pair<uint64_t, uint64_t>> marks;

  void Drop() {
    seg.reset();
    marks.clear();
    next_lsn = 0;
  }

  // True while the open segment still has a name: a segment deleted under
  // the reader (trimmed by the writer) must not be read on from the old fd.
  bool Linked() const {
    struct stat st;
    return seg && ::fstat(seg->fd(), &st) == 0 && st.st_nlink > 0;
  }

  void StartSegment(SegmentReader reader, uint64_t first_lsn) {
    seg.emplace(std::move(reader));
    seg_first = next_lsn = first_lsn;
    marks.assign(1, {first_lsn, 0});
  }

  // Counts the record just consumed and remembers its end as a position
  // when the last one is far enough behind.
  void Advance() {
    ++next_lsn;
    if (seg->consumed() - marks.back().second >= kMarkBytes) {
      marks.emplace_back(next_lsn, seg->consumed());
    }
  }

  // "lsn N is no longer retained (oldest is M)", with M listed now.
  Status NotRetained(uint64_t lsn) const {
    auto segments = ListSegments(wal_dir);
    std::string oldest = "the log is empty";
    if (segments.ok() && !segments->empty()) {
      oldest = "oldest is " + std::to_string(segments->front().first_lsn);
    }
    return Status::NoInput("wal: lsn " + std::to_string(lsn) + " is no longer retained (" + oldest +
                           ")");
  }

  // Reads records of the open segment until next_lsn == lsn. False when the
  // segment ends first. Every record below `lsn` is durable, so damage is
  // corruption.
  Result<bool> SkipTo(uint64_t lsn) {
    Record record;
    std::string why;
    while (next_lsn < lsn) {
      auto outcome = seg->Next(&record, &why);
      if (!outcome.ok()) return outcome.status();
      if (*outcome == SegmentReader::Outcome::kEnd) return false;
      if (*outcome == SegmentReader::Outcome::kBad) return Corrupt(seg->path(), seg->offset(), why);
      if (record.lsn != next_lsn) return OutOfSequence(*seg, record.lsn, next_lsn);
      Advance();
    }
    return true;
  }

  Status Seek(uint64_t lsn);
  Status NextSegment(uint64_t up_to_lsn);
  Status ReadInto(uint64_t from_lsn, uint64_t up_to_lsn, size_t max_bytes,
                  std::vector<OwnedRecord>* out);
};

// Positions the reader at `lsn`: within the open segment when it holds
// `lsn` (from the nearest remembered position), else by listing wal/ and
// reading the segment that holds it from its start.
Status LogReader::Impl::Seek(uint64_t lsn) {
  if (Linked() && lsn >= seg_first) {
    if (lsn < next_lsn) {
      auto mark = marks.begin();
      while (mark + 1 != marks.end() && (mark + 1)->first <= lsn) ++mark;
      SK_RETURN_IF_ERROR(seg->SeekTo(mark->second));
      next_lsn = mark->first;
      marks.erase(mark + 1, marks.end());
    }
    auto reached = SkipTo(lsn);
    if (!reached.ok()) return reached.status();
    if (*reached) return Status::Ok();
  }
  Drop();
  auto segments = ListSegments(wal_dir);
  if (!segments.ok()) return segments.status();
  if (segments->empty() || lsn < segments->front().first_lsn) return NotRetained(lsn);
  size_t i = 0;
  while (i + 1 < segments->size() && (*segments)[i + 1].first_lsn <= lsn) ++i;
  const SegmentFile& found = (*segments)[i];
  auto reader = SegmentReader::Open(found.path);
  if (!reader.ok()) {
    // Deleted since the listing: trimmed by the writer.
    return reader.status().code() == Code::kNoInput ? NotRetained(lsn) : reader.status();
  }
  StartSegment(std::move(*reader), found.first_lsn);
  auto reached = SkipTo(lsn);
  if (!reached.ok()) return reached.status();
  if (*reached) return Status::Ok();
  if (!Linked()) return NotRetained(lsn);
  if (i + 1 < segments->size()) {
    return Status::IoError(found.path + ": segment ends at LSN " + std::to_string(next_lsn - 1) +
                           " but the next one starts at LSN " +
                           std::to_string((*segments)[i + 1].first_lsn) +
                           " (a segment is missing or damaged)");
  }
  return Status::IoError(wal_dir + ": lsn " + std::to_string(lsn) +
                         " is not in the log (it ends at LSN " + std::to_string(next_lsn - 1) +
                         ") though it was reported durable");
}

// The open segment ended before `up_to_lsn`: the next record starts the
// segment named after it (the writer creates it before writing into it).
Status LogReader::Impl::NextSegment(uint64_t up_to_lsn) {
  if (next_lsn == seg_first) {  // this one is empty, so the next has the same name
    return Status::IoError(seg->path() + ": the segment is empty but LSN " +
                           std::to_string(up_to_lsn) + " was reported durable");
  }
  const std::string path = wal_dir + "/" + LsnFileName(next_lsn, ".seg");
  auto reader = SegmentReader::Open(path);
  if (reader.ok()) {
    StartSegment(std::move(*reader), next_lsn);
    return Status::Ok();
  }
  if (reader.status().code() != Code::kNoInput) return reader.status();
  if (!Linked()) return NotRetained(next_lsn);
  auto segments = ListSegments(wal_dir);
  if (!segments.ok()) return segments.status();
  for (const SegmentFile& s : *segments) {
    if (s.first_lsn > next_lsn) {
      return Status::IoError(seg->path() + ": segment ends at LSN " + std::to_string(next_lsn - 1) +
                             " but the next one starts at LSN " + std::to_string(s.first_lsn) +
                             " (a segment is missing or damaged)");
    }
  }
  return Status::IoError(wal_dir + ": the log ends at LSN " + std::to_string(next_lsn - 1) +
                         " but LSN " + std::to_string(up_to_lsn) + " was reported durable");
}

Status LogReader::Impl::ReadInto(uint64_t from_lsn, uint64_t up_to_lsn, size_t max_bytes,
                                 std::vector<OwnedRecord>* out) {
  if (!(seg && next_lsn == from_lsn && Linked())) SK_RETURN_IF_ERROR(Seek(from_lsn));
  size_t bytes = 0;
  Record record;
  std::string why;
  while (next_lsn <= up_to_lsn && (out->empty() || bytes < max_bytes)) {
    auto outcome = seg->Next(&record, &why);
    if (!outcome.ok()) return outcome.status();
    switch (*outcome) {
      case SegmentReader::Outcome::kRecord:
        if (record.lsn != next_lsn) return OutOfSequence(*seg, record.lsn, next_lsn);
        out->push_back(
            OwnedRecord{record.type, record.epoch, record.lsn, std::string(record.payload)});
        bytes += kRecordHeaderBytes + record.payload.size();
        Advance();
        break;
      case SegmentReader::Outcome::kEnd:
        SK_RETURN_IF_ERROR(NextSegment(up_to_lsn));
        break;
      case SegmentReader::Outcome::kBad:
        // Durable records are whole: this is damage, not a write in progress.
        return Corrupt(seg->path(), seg->offset(), why);
    }
  }
  return Status::Ok();
}

Result<LogReader> LogReader::Open(const std::string& wal_dir) {
  auto names = ListDir(wal_dir);
  if (!names.ok()) return names.status();
  auto impl = std::make_unique<Impl>();
  impl->wal_dir = wal_dir;
  return LogReader(std::move(impl));
}

LogReader::LogReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LogReader::LogReader(LogReader&&) noexcept = default;
LogReader& LogReader::operator=(LogReader&&) noexcept = default;
LogReader::~LogReader() = default;

Status LogReader::Read(uint64_t from_lsn, uint64_t up_to_lsn, size_t max_bytes,
                       std::vector<OwnedRecord>* out) {
  out->clear();
  if (from_lsn > up_to_lsn) return Status::Ok();
  Status s = impl_->ReadInto(from_lsn, up_to_lsn, max_bytes, out);
  if (!s.ok()) {
    out->clear();
    impl_->Drop();
  }
  return s;
}

Result<uint64_t> LogReader::OldestLsn() const {
  auto segments = ListSegments(impl_->wal_dir);
  if (!segments.ok()) return segments.status();
  return segments->empty() ? uint64_t{0} : segments->front().first_lsn;
}

void LogReader::Reset() { impl_->Drop(); }

}  // namespace shardkit::wal
