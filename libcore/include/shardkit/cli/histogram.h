// A bounded latency histogram for status and bench output: fixed memory
// whatever it records, with a relative error of at most 1/16 (6.25%) on any
// percentile.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace shardkit::cli {

class LatencyHistogram {
 public:
  // Records one latency in microseconds.
  void Record(uint64_t us);

  uint64_t count() const { return count_; }
  uint64_t max_us() const { return max_; }
  // The q-quantile (0 < q <= 1) in microseconds: the upper bound of the
  // bucket that holds it, never above max_us(). 0 when empty.
  uint64_t Percentile(double q) const;

  // Counts by power of two: (upper bound in microseconds, count) for
  // [0, 1], (1, 2], (2, 4], ... up to the bucket holding max_us(). For
  // printing a coarse text histogram.
  std::vector<std::pair<uint64_t, uint64_t>> PowersOfTwo() const;

 private:
  static constexpr int kSubBits = 4;  // 16 buckets per power of two
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kBuckets = (64 - kSubBits + 1) * kSub;

  static int Index(uint64_t us);
  static uint64_t UpperBound(int index);

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t max_ = 0;
};

}  // namespace shardkit::cli
