// What `txcoord status` reports beyond the core's counters: client-seen
// latency of SUBMITs and commit/abort rates over the last ten seconds.
// Fixed memory: the histogram is bounded and at most kMaxTracked SUBMITs
// are timed at once (others are served, just not timed).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>

#include "shardkit/cli/histogram.h"

namespace txcoord {

class ServeMetrics {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kMaxTracked = size_t{1} << 20;

  // A SUBMIT arrived from reply handle `from` with `request_id`.
  void SubmitArrived(const std::string& from, uint64_t request_id, Clock::time_point now);
  // A reply (SUBMIT_RESULT, or an ERROR refusing the SUBMIT) went to it. A
  // SUBMIT_RESULT records its latency; an ERROR only stops the timing.
  void Replied(const std::string& to, uint64_t request_id, bool result, Clock::time_point now);

  // Samples the cumulative counters; call about once a second.
  void Tick(uint64_t committed, uint64_t aborted, Clock::time_point now);
  // Per-second rates over the samples of the last ~10 s (0 before two).
  double CommitRate() const;
  double AbortRate() const;

  const shardkit::cli::LatencyHistogram& latency() const { return latency_; }

 private:
  struct Sample {
    Clock::time_point when;
    uint64_t committed, aborted;
  };
  static std::string TrackKey(const std::string& peer, uint64_t request_id);
  double Rate(uint64_t Sample::*field) const;

  std::unordered_map<std::string, Clock::time_point> started_;
  std::deque<Sample> samples_;  // at most 11, oldest first
  shardkit::cli::LatencyHistogram latency_;
};

}  // namespace txcoord
