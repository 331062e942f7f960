#include "shardkit/cli/progress.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "shardkit/cli/log.h"

namespace shardkit::cli {

Progress::Progress(std::string label, uint64_t total)
    : label_(std::move(label)),
      total_(total),
      tty_(isatty(STDERR_FILENO) && std::getenv("NO_COLOR") == nullptr),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

Progress::~Progress() {
  if (tty_ && drawn_) std::fputc('\n', stderr);
}

void Progress::Draw(uint64_t done, bool final) {
  if (!LogEnabled(LogLevel::kInfo)) return;
  auto now = std::chrono::steady_clock::now();
  auto since = now - last_;
  if (!final && since < (tty_ ? std::chrono::milliseconds(200) : std::chrono::seconds(5))) return;
  if (final && !drawn_ && now - start_ < std::chrono::seconds(1)) return;  // too quick to matter
  last_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  double rate = secs > 0 ? done / secs : 0;
  std::string pct = total_ ? " (" + std::to_string(done * 100 / total_) + "%)" : "";
  if (tty_) {
    std::fprintf(stderr, "\r%s: %llu%s%s, %.0f/s ", label_.c_str(), (unsigned long long)done,
                 total_ ? ("/" + std::to_string(total_)).c_str() : "", pct.c_str(), rate);
    std::fflush(stderr);
    drawn_ = true;
  } else {
    Log(LogLevel::kInfo, "progress",
        {{"task", label_},
         {"done", std::to_string(done)},
         {"total", std::to_string(total_)},
         {"rate", std::to_string(uint64_t(rate))}});
    drawn_ = true;
  }
}

}  // namespace shardkit::cli
