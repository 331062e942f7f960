#include "segment_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "record_format.h"

namespace shardkit::wal {
namespace {

// Large reads keep recovery near the disk's sequential bandwidth; 4 MiB is
// past the point where bigger reads stop helping. Small files get a buffer
// their size (but at least kMinChunk, in case they grow while being read).
constexpr size_t kReadChunk = size_t{4} << 20;
constexpr size_t kMinChunk = size_t{64} << 10;

Result<uint64_t> FileSize(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoStatus("stat " + path);
  return uint64_t(st.st_size);
}

}  // namespace

Result<SegmentReader> SegmentReader::Open(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus("cannot open " + path);
  (void)::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  auto size = FileSize(fd.get(), path);
  if (!size.ok()) return size.status();
  return SegmentReader(path, std::move(fd), *size);
}

Status SegmentReader::Fill(size_t want) {
  if (end_ - begin_ >= want) return Status::Ok();
  // Slide the unread bytes to the front, then grow if one record needs more.
  if (begin_ > 0) {
    std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (capacity_ < want) {
    const uint64_t left = size_hint_ > buf_file_pos_ ? size_hint_ - buf_file_pos_ : 0;
    const size_t chunk = size_t(std::clamp<uint64_t>(left, kMinChunk, kReadChunk));
    const size_t size = std::max(want, chunk);
    auto bigger = std::make_unique_for_overwrite<char[]>(size);
    if (end_ > 0) std::memcpy(bigger.get(), buf_.get(), end_);
    buf_ = std::move(bigger);
    capacity_ = size;
  }
  // Keep reading (a file still being appended to may grow) until `want`
  // bytes are here or read() reports the end.
  while (end_ < want) {
    ssize_t n = ::read(fd_.get(), buf_.get() + end_, capacity_ - end_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("read " + path_);
    if (n == 0) break;
    end_ += size_t(n);
  }
  return Status::Ok();
}

Status SegmentReader::SeekTo(uint64_t offset) {
  if (::lseek(fd_.get(), off_t(offset), SEEK_SET) < 0) return ErrnoStatus("seek " + path_);
  begin_ = end_ = 0;
  buf_file_pos_ = offset_ = offset;
  return Status::Ok();
}

Result<SegmentReader::Outcome> SegmentReader::Next(Record* record, std::string* why) {
  offset_ = buf_file_pos_;
  SK_RETURN_IF_ERROR(Fill(kRecordHeaderBytes));
  size_t avail = end_ - begin_;
  if (avail == 0) return Outcome::kEnd;
  if (avail < kRecordHeaderBytes) {
    *why = "short header (" + std::to_string(avail) + " bytes before the end of the file)";
    return Outcome::kBad;
  }
  const uint32_t length = RecordLength(buf_.get() + begin_);
  if (length > kMaxPayloadBytes) {
    *why = "record length " + std::to_string(length) + " exceeds the 64 MiB limit";
    return Outcome::kBad;
  }
  const size_t need = kRecordHeaderBytes + length;
  if (avail < need && need > capacity_ - begin_) {
    // Growing the buffer: first check the file really holds that much, so a
    // garbage length in a small file never costs a 64 MiB allocation.
    auto size = FileSize(fd_.get(), path_);
    if (!size.ok()) return size.status();
    if (*size < offset_ || *size - offset_ < need) {
      *why = "short record (needs " + std::to_string(need) + " bytes, the file has " +
             std::to_string(*size - std::min(*size, offset_)) + ")";
      return Outcome::kBad;
    }
  }
  SK_RETURN_IF_ERROR(Fill(need));
  avail = end_ - begin_;
  if (avail < need) {
    *why = "short record (needs " + std::to_string(need) + " bytes, the file has " +
           std::to_string(avail) + ")";
    return Outcome::kBad;
  }
  const char* p = buf_.get() + begin_;
  if (!ChecksumMatches(p)) {
    *why = "checksum mismatch";
    return Outcome::kBad;
  }
  *record = DecodeRecord(p);
  begin_ += need;
  buf_file_pos_ += need;
  return Outcome::kRecord;
}

Result<std::optional<uint64_t>> FindValidRecordAfter(int fd, const std::string& path, uint64_t from,
                                                     uint64_t min_lsn) {
  auto size = FileSize(fd, path);
  if (!size.ok()) return size.status();
  const uint64_t file_size = *size;
  if (file_size < from + kRecordHeaderBytes) return std::optional<uint64_t>();
  // No record in the range can carry an LSN beyond this: every record takes
  // at least a header's worth of bytes.
  const uint64_t max_lsn = min_lsn + (file_size - from) / kRecordHeaderBytes;

  std::vector<char> window(
      size_t(std::min<uint64_t>(kReadChunk + kRecordHeaderBytes, file_size - from)));
  std::vector<char> candidate;
  uint64_t pos = from;  // file offset of window[0]
  while (pos + kRecordHeaderBytes <= file_size) {
    ssize_t n = PreadFull(fd, window.data(), window.size(), pos);
    if (n < 0) return ErrnoStatus("read " + path);
    if (size_t(n) < kRecordHeaderBytes) break;
    // Headers starting in this window; the last kRecordHeaderBytes-1 bytes
    // are re-read as the start of the next window.
    const size_t starts = size_t(n) - kRecordHeaderBytes + 1;
    for (size_t i = 0; i < starts; ++i) {
      const char* h = window.data() + i;
      const uint64_t lsn = RecordLsn(h);
      if (lsn < min_lsn || lsn > max_lsn) continue;
      const uint64_t at = pos + i;
      const uint32_t length = RecordLength(h);
      if (length > kMaxPayloadBytes || at + kRecordHeaderBytes + length > file_size) continue;
      const size_t total = kRecordHeaderBytes + length;
      candidate.resize(total);
      ssize_t got = PreadFull(fd, candidate.data(), total, at);
      if (got < 0) return ErrnoStatus("read " + path);
      if (size_t(got) == total && ChecksumMatches(candidate.data())) return std::optional(at);
    }
    pos += starts;
  }
  return std::optional<uint64_t>();
}

}  // namespace shardkit::wal
