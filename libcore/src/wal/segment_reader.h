// Sequential, verifying reads of one segment file, and the search that tells
// a torn tail from corruption.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "file.h"
#include "shardkit/status/status.h"
#include "shardkit/wal/record.h"

namespace shardkit::wal {

class SegmentReader {
 public:
  enum class Outcome {
    kRecord,  // a record with a matching checksum
    kEnd,     // clean end of file, exactly at a record boundary
    kBad,     // a short header, a short payload, an oversized length or a checksum mismatch
  };

  // Opens `path` for reading. NoInput if it is missing, IoError otherwise.
  static Result<SegmentReader> Open(const std::string& path);

  // Reads the record at offset(). On kRecord fills *record (its payload
  // points into this reader and stays valid until the next call) and moves
  // past it; on kBad sets *why and stays put. A read error is a non-ok Result.
  Result<Outcome> Next(Record* record, std::string* why);

  // Moves to `offset`, which must be a record boundary (a consumed() value
  // seen earlier), dropping the read-ahead buffer. IoError if lseek fails.
  Status SeekTo(uint64_t offset);

  // The offset of the record Next() last looked at: the one it returned, or
  // the bad one. After kEnd, the file size.
  uint64_t offset() const { return offset_; }
  // Bytes consumed: the offset just past the last record returned.
  uint64_t consumed() const { return buf_file_pos_; }
  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }

 private:
  SegmentReader(std::string path, Fd fd, uint64_t size_hint)
      : path_(std::move(path)), fd_(std::move(fd)), size_hint_(size_hint) {}

  // Makes at least `want` unread bytes available unless the file ends
  // first. Refuses nothing itself; callers bound `want` beforehand.
  Status Fill(size_t want);

  std::string path_;
  Fd fd_;
  uint64_t size_hint_;  // the file size at Open; the file may grow later
  // Not a vector: resizing one would zero megabytes that read() overwrites.
  std::unique_ptr<char[]> buf_;
  size_t capacity_ = 0;
  size_t begin_ = 0;           // first unread byte in buf_
  size_t end_ = 0;             // one past the last valid byte in buf_
  uint64_t buf_file_pos_ = 0;  // file offset of buf_[begin_]
  uint64_t offset_ = 0;
};

// Looks for a record with a matching checksum and an LSN of at least
// `min_lsn` anywhere in [from, end of file) of `fd`, at any byte offset.
// Returns its offset, or nullopt when there is none: then everything from
// `from` on is a torn or garbage tail rather than a damaged record in the
// middle of the log. Reads the range once, plus each plausible candidate.
Result<std::optional<uint64_t>> FindValidRecordAfter(int fd, const std::string& path, uint64_t from,
                                                     uint64_t min_lsn);

}  // namespace shardkit::wal
