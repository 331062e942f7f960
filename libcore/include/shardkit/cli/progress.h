// Progress for long work, on stderr (DESIGN.md §9). On a terminal it redraws
// one line; when stderr is not a TTY, or NO_COLOR is set, it prints a plain
// line at most every few seconds. Silent below log level info.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace shardkit::cli {

class Progress {
 public:
  // total == 0 means unknown.
  Progress(std::string label, uint64_t total);
  ~Progress();  // ends a redrawn line
  void Update(uint64_t done) {
    if (++calls_ % 4096 == 0) Draw(done, false);
  }
  void Finish(uint64_t done) { Draw(done, true); }

 private:
  void Draw(uint64_t done, bool final);
  std::string label_;
  uint64_t total_;
  uint64_t calls_ = 0;
  bool tty_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace shardkit::cli
