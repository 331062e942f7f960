// Streaming line input: constant memory whatever the input size.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "shardkit/status/status.h"

namespace shardkit::cli {

class LineReader {
 public:
  static constexpr size_t kDefaultMaxLine = 1 << 20;

  // Reads from `path`, or stdin when path is "-". Open() reports a missing
  // file as kNoInput and other failures as kIoError.
  LineReader() = default;
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  Status Open(const std::string& path, size_t max_line = kDefaultMaxLine);

  // Sets *line to the next line without its '\n' (valid until the next call)
  // and returns true; returns false at the end of input or on error, after
  // which status() tells which. A line longer than max_line is kDataError,
  // as is a NUL byte. A last line without '\n' is returned as usual.
  bool Next(std::string_view* line);
  const Status& status() const { return status_; }
  // 1-based number of the line last returned.
  size_t line_number() const { return line_no_; }
  const std::string& name() const { return name_; }

 private:
  bool Fill();
  int fd_ = -1;
  bool owns_fd_ = false;
  bool eof_ = false;
  std::string name_;
  std::vector<char> buf_;
  size_t begin_ = 0, end_ = 0;
  size_t max_line_ = kDefaultMaxLine;
  size_t line_no_ = 0;
  Status status_;
};

// Splits `line` on runs of spaces and tabs.
std::vector<std::string_view> SplitFields(std::string_view line);

}  // namespace shardkit::cli
