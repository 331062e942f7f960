// Small POSIX file helpers for the wal module: an owned fd, errno to Status,
// full writes, directory fsync and listing. Private to libcore/src/wal.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shardkit/status/status.h"

namespace shardkit::wal {

// An owned file descriptor, closed on destruction. (net::UniqueFd is the
// same thing, but wal must not depend on net: DESIGN.md §2.)
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      (void)Close();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { (void)Close(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Closes now; returns close()'s result (0 when there was nothing open).
  int Close() { return fd_ < 0 ? 0 : ::close(std::exchange(fd_, -1)); }
  // Gives up ownership and returns the descriptor.
  int Release() { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

// A Status for the current errno: "what: strerror (errno N)". ENOENT maps to
// NoInput, EACCES/EPERM to Permission, anything else to IoError.
Status ErrnoStatus(const std::string& what);
Status ErrnoStatus(const std::string& what, int err);

// "strerror (errno N)" for messages that must name the errno.
std::string ErrnoText(int err);

// Writes all of [data, data+size) at the file offset, retrying on EINTR and
// short writes. On failure returns false with errno set; some prefix may
// have been written.
bool WriteAll(int fd, const char* data, size_t size);

// Reads up to `size` bytes at `offset`, retrying on EINTR and short reads;
// returns the count read (less only at end of file) or -1 with errno set.
ssize_t PreadFull(int fd, char* data, size_t size, uint64_t offset);

// Opens `dir` and fsyncs it, so that entries created, renamed or removed in
// it are durable (DESIGN.md §6 rule 2). Returns 0, or -1 with errno set.
int FsyncDir(const std::string& dir);

// Names in `dir` (not "." or ".."), unsorted.
Result<std::vector<std::string>> ListDir(const std::string& dir);

// The name of a file for `lsn`: 20 zero-padded digits plus `suffix`.
std::string LsnFileName(uint64_t lsn, std::string_view suffix);

// Parses a name made by LsnFileName with the same suffix; false otherwise.
bool ParseLsnFileName(std::string_view name, std::string_view suffix, uint64_t* lsn);

// Appends `value` to *out as a logfmt value (quoted when needed).
void AppendLogfmt(std::string* out, std::string_view value);

// Writes one line to stderr with a single write(2).
void WriteStderrLine(const std::string& line);

}  // namespace shardkit::wal
