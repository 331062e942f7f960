// A latency histogram with bounded memory: exact below 128 µs, then 64
// buckets per power of two (under 1.6% relative error), up to hours.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

namespace txpart {

class LatencyHistogram {
 public:
  void Add(uint64_t micros) {
    const size_t i = Index(micros);
    if (i >= counts_.size()) counts_.resize(i + 1, 0);
    ++counts_[i];
    ++total_;
    max_ = std::max(max_, micros);
  }
  uint64_t count() const { return total_; }
  uint64_t max() const { return max_; }

  // The latency below which a fraction q (0..1) of the samples fall: the
  // midpoint of the bucket holding that rank (exact below 128 µs), never
  // above max(). 0 when empty.
  uint64_t Quantile(double q) const {
    if (total_ == 0) return 0;
    const uint64_t rank = std::max<uint64_t>(1, uint64_t(q * double(total_) + 0.5));
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(Mid(i), max_);
    }
    return max_;
  }

 private:
  static constexpr unsigned kSubBits = 6;  // 64 sub-buckets per power of two
  static size_t Index(uint64_t v) {
    if (v < (2u << kSubBits)) return size_t(v);
    const unsigned shift = unsigned(std::bit_width(v)) - (kSubBits + 1);
    return (size_t(shift) + 1) << kSubBits | size_t((v >> shift) - (1u << kSubBits));
  }
  static uint64_t Mid(size_t i) {
    if (i < (2u << kSubBits)) return i;
    const unsigned shift = unsigned(i >> kSubBits) - 1;
    const uint64_t low = (uint64_t(i & ((1u << kSubBits) - 1)) + (1u << kSubBits)) << shift;
    return low + (uint64_t{1} << shift) / 2;
  }

  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
  uint64_t max_ = 0;
};

}  // namespace txpart
