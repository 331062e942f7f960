#include "shardkit/cli/input.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace shardkit::cli {

LineReader::~LineReader() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

Status LineReader::Open(const std::string& path, size_t max_line) {
  max_line_ = max_line;
  name_ = path == "-" ? "<stdin>" : path;
  if (path == "-") {
    fd_ = STDIN_FILENO;
  } else {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      int e = errno;
      return e == ENOENT ? Status::NoInput(path + ": no such file")
                         : Status::IoError(path + ": " + std::strerror(e));
    }
    owns_fd_ = true;
  }
  // Room for one maximal line plus a read's worth after it.
  buf_.resize(std::min<size_t>(max_line_ + 1, 1 << 16) + (1 << 16));
  return Status::Ok();
}

bool LineReader::Fill() {
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buf_.size()) {
    if (buf_.size() > max_line_) return false;  // a full buffer without '\n'
    buf_.resize(std::min(buf_.size() * 2, max_line_ + 2));
  }
  while (true) {
    ssize_t n = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status_ = Status::IoError(name_ + ": " + std::strerror(errno));
      return false;
    }
    if (n == 0) eof_ = true;
    end_ += size_t(n);
    return n > 0;
  }
}

bool LineReader::Next(std::string_view* line) {
  if (fd_ < 0 || !status_.ok()) return false;
  size_t scanned = begin_;
  while (true) {
    const char* start = buf_.data() + scanned;
    const void* nl = std::memchr(start, '\n', end_ - scanned);
    if (nl != nullptr) {
      size_t pos = size_t(static_cast<const char*>(nl) - buf_.data());
      std::string_view l(buf_.data() + begin_, pos - begin_);
      ++line_no_;
      if (l.size() > max_line_) {
        status_ = Status::DataError(name_ + ":" + std::to_string(line_no_) + ": line longer than " +
                                    std::to_string(max_line_) + " bytes");
        return false;
      }
      if (std::memchr(l.data(), '\0', l.size()) != nullptr) {
        status_ = Status::DataError(name_ + ":" + std::to_string(line_no_) + ": NUL byte in input");
        return false;
      }
      begin_ = pos + 1;
      *line = l;
      return true;
    }
    size_t pending = end_ - begin_;
    if (eof_) {
      if (pending == 0) return false;
      ++line_no_;
      if (std::memchr(buf_.data() + begin_, '\0', pending) != nullptr) {
        status_ = Status::DataError(name_ + ":" + std::to_string(line_no_) + ": NUL byte in input");
        return false;
      }
      *line = std::string_view(buf_.data() + begin_, pending);
      begin_ = end_;
      return true;
    }
    if (pending > max_line_) {
      status_ = Status::DataError(name_ + ":" + std::to_string(line_no_ + 1) +
                                  ": line longer than " + std::to_string(max_line_) + " bytes");
      return false;
    }
    size_t seen = pending;
    if (!Fill()) {
      if (!status_.ok()) return false;
      if (!eof_) {
        status_ = Status::DataError(name_ + ":" + std::to_string(line_no_ + 1) +
                                    ": line longer than " + std::to_string(max_line_) + " bytes");
        return false;
      }
    }
    scanned = begin_ + seen;
  }
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace shardkit::cli
