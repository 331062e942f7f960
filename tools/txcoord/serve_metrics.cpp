#include "serve_metrics.h"

namespace txcoord {

std::string ServeMetrics::TrackKey(const std::string& peer, uint64_t request_id) {
  std::string key = peer;
  key.append(reinterpret_cast<const char*>(&request_id), sizeof request_id);
  return key;
}

void ServeMetrics::SubmitArrived(const std::string& from, uint64_t request_id,
                                 Clock::time_point now) {
  if (started_.size() >= kMaxTracked) return;
  // A resent SUBMIT (same id) keeps the first arrival: the client waited
  // since then.
  started_.emplace(TrackKey(from, request_id), now);
}

void ServeMetrics::Replied(const std::string& to, uint64_t request_id, bool result,
                           Clock::time_point now) {
  auto it = started_.find(TrackKey(to, request_id));
  if (it == started_.end()) return;
  if (result) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - it->second).count();
    latency_.Record(us < 0 ? 0 : static_cast<uint64_t>(us));
  }
  started_.erase(it);
}

void ServeMetrics::Tick(uint64_t committed, uint64_t aborted, Clock::time_point now) {
  samples_.push_back({now, committed, aborted});
  while (samples_.size() > 11) samples_.pop_front();
}

double ServeMetrics::Rate(uint64_t Sample::*field) const {
  if (samples_.size() < 2) return 0;
  const Sample& a = samples_.front();
  const Sample& b = samples_.back();
  const double secs = std::chrono::duration<double>(b.when - a.when).count();
  return secs > 0 ? static_cast<double>(b.*field - a.*field) / secs : 0;
}

double ServeMetrics::CommitRate() const { return Rate(&Sample::committed); }
double ServeMetrics::AbortRate() const { return Rate(&Sample::aborted); }

}  // namespace txcoord
