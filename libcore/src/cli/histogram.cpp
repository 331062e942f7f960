#include "shardkit/cli/histogram.h"

#include <bit>

namespace shardkit::cli {

int LatencyHistogram::Index(uint64_t us) {
  if (us < kSub) return static_cast<int>(us);
  const int msb = 63 - std::countl_zero(us);  // >= kSubBits
  const int shift = msb - kSubBits;
  return (msb - kSubBits + 1) * kSub + static_cast<int>((us >> shift) & (kSub - 1));
}

uint64_t LatencyHistogram::UpperBound(int index) {
  if (index < kSub) return static_cast<uint64_t>(index);
  const int msb = index / kSub + kSubBits - 1;
  const uint64_t minor = static_cast<uint64_t>(index % kSub);
  const int shift = msb - kSubBits;
  return ((kSub + minor) << shift) + ((uint64_t{1} << shift) - 1);
}

void LatencyHistogram::Record(uint64_t us) {
  ++counts_[Index(us)];
  ++count_;
  if (us > max_) max_ = us;
}

uint64_t LatencyHistogram::Percentile(double q) const {
  if (count_ == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(count_) + 0.5);
  if (rank < 1) rank = 1;
  if (rank > count_) rank = count_;
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const uint64_t upper = UpperBound(i);
      return upper < max_ ? upper : max_;
    }
  }
  return max_;
}

std::vector<std::pair<uint64_t, uint64_t>> LatencyHistogram::PowersOfTwo() const {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  if (count_ == 0) return out;
  // Bin k holds (2^(k-1), 2^k]; bin 0 holds [0, 1].
  const int top = max_ <= 1 ? 0 : 64 - std::countl_zero(max_ - 1);
  out.resize(static_cast<size_t>(top) + 1);
  for (int k = 0; k <= top; ++k) out[k].first = uint64_t{1} << k;
  // Every fine bucket lies inside one power-of-two range of its values; a
  // value v goes to the bin of its own upper bound, so counts stay exact
  // up to the bucket width.
  for (int i = 0; i < kBuckets; ++i) {
    if (counts_[i] == 0) continue;
    const uint64_t v = UpperBound(i);
    int k = v <= 1 ? 0 : 64 - std::countl_zero(v - 1);
    if (k > top) k = top;
    out[k].second += counts_[i];
  }
  return out;
}

}  // namespace shardkit::cli
