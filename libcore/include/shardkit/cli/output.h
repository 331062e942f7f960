// Machine-readable output: TSV by default, JSON Lines with --json.
//
// Both forms are stable interfaces (DESIGN.md §9): a field is never renamed or
// reordered without a version change. TSV fields escape tab, newline, CR and
// backslash C-style (\t \n \r \\) so that one record is always one line.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shardkit/status/status.h"

namespace shardkit::cli {

// A buffered writer over a file descriptor. Not thread-safe.
class Writer {
 public:
  explicit Writer(int fd = 1, size_t capacity = 1 << 16);
  ~Writer();  // flushes; a failure here is lost, so call Flush() first
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void Put(std::string_view s) {
    if (buf_.size() - len_ < s.size())
      Spill(s);
    else {
      s.copy(buf_.data() + len_, s.size());
      len_ += s.size();
    }
  }
  void Put(char c) {
    if (len_ == buf_.size()) (void)Flush();
    buf_[len_++] = c;
  }
  void PutUint(uint64_t v);
  void PutInt(int64_t v);
  // Fixed notation with `digits` decimals.
  void PutDouble(double v, int digits = 6);
  // Writes everything buffered. kIoError on a write failure.
  Status Flush();

 private:
  void Spill(std::string_view s);
  int fd_;
  std::vector<char> buf_;
  size_t len_ = 0;
  bool failed_ = false;
};

// Appends `s` with TSV escapes (\t \n \r \\).
void PutTsvField(Writer& w, std::string_view s);
// Appends `s` as a JSON string literal, quotes included. Bytes that are not
// valid UTF-8 are written as \u00XX so that the line stays valid JSON.
void PutJsonString(Writer& w, std::string_view s);

// One output record, printed as a TSV line or a JSON object:
//   Record(w, json).Str("key", k).Str("node", n).End();
// prints "k<TAB>n\n" or {"key":"k","node":"n"}\n.
class Record {
 public:
  Record(Writer& w, bool json) : w_(w), json_(json) {}
  Record& Str(std::string_view name, std::string_view value);
  Record& Uint(std::string_view name, uint64_t value);
  Record& Int(std::string_view name, int64_t value);
  Record& Double(std::string_view name, double value, int digits = 6);
  Record& Bool(std::string_view name, bool value);
  // TSV: comma-joined; JSON: an array of strings.
  Record& List(std::string_view name, std::span<const std::string> values);
  void End();

 private:
  void Sep(std::string_view name);
  Writer& w_;
  bool json_;
  bool first_ = true;
};

}  // namespace shardkit::cli
