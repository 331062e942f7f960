#include "continuum.h"

#include <algorithm>
#include <bit>
#include <cassert>

#include "internal.h"

namespace shardkit::hash::internal {
namespace {

// About one bucket per point: roughly a third of the buckets are empty and
// resolve with a single load, the others scan one or two points. Capped so
// the index never outgrows the points themselves by much.
int IndexBits(size_t points, int bits) {
  int b = points < 2 ? 1 : static_cast<int>(std::bit_width(points - 1));
  return std::clamp(b, 1, std::min(bits, 24));
}

}  // namespace

ContinuumPlacement::ContinuumPlacement(std::vector<Member> members, std::vector<Point> points,
                                       int bits)
    : Placement(std::move(members)),
      points_(std::move(points)),
      bits_(bits),
      max_hash_(bits == 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1) {
  assert(!points_.empty());
  const size_t n = points_.size();
  pos_.resize(n + 1);
  owner_.resize(n + 1);
  for (size_t i = 0; i < n; ++i) {
    pos_[i] = points_[i].pos;
    owner_[i] = points_[i].member;
  }
  pos_[n] = UINT64_MAX;
  owner_[n] = points_[0].member;

  const int b = IndexBits(n, bits);
  shift_ = bits - b;
  const uint64_t buckets = uint64_t{1} << b;
  const uint64_t width = uint64_t{1} << shift_;  // shift_ < 64: b >= 1
  index_.resize(buckets);
  size_t i = 0;  // first point with pos >= the current bucket's low end
  for (uint64_t j = 0; j < buckets; ++j) {
    const uint64_t lo = j << shift_;
    const uint64_t hi = lo + (width - 1);
    while (i < n && points_[i].pos < lo) ++i;
    if (i == n || points_[i].pos > hi) {
      index_[j] = kResolved | owner_[i];  // owner_[n] is the wrap owner
    } else {
      index_[j] = static_cast<uint32_t>(i);
    }
  }
}

uint32_t ContinuumPlacement::LocateHash(uint64_t h) const {
  // A 32-bit continuum given a wider hash: no point is >= h, so it wraps.
  if (h > max_hash_) return owner_.back();
  const uint32_t e = index_[h >> shift_];
  if (e & kResolved) return e & ~kResolved;
  size_t i = e;
  while (pos_[i] < h) ++i;  // stops at the sentinel at the latest
  return owner_[i];
}

size_t ContinuumPlacement::FirstAtOrAfter(uint64_t h) const {
  const auto end = pos_.end() - 1;  // without the sentinel
  const auto it = std::lower_bound(pos_.begin(), end, h);
  return it == end ? 0 : static_cast<size_t>(it - pos_.begin());
}

void ContinuumPlacement::Walk(uint64_t h, const std::function<bool(uint32_t)>& visit) const {
  // Distinct owners clockwise from h, as a client that skips a dead server
  // would find them; members without points (ketama's tiny weights) last.
  SeenSet seen(size());
  size_t left = size();
  const size_t n = points_.size();
  const size_t start = FirstAtOrAfter(h);
  for (size_t k = 0; k < n && left > 0; ++k) {
    size_t i = start + k;
    if (i >= n) i -= n;
    const uint32_t m = points_[i].member;
    if (!seen.Insert(m)) continue;
    --left;
    if (!visit(m)) return;
  }
  for (uint32_t m = 0; m < size() && left > 0; ++m) {
    if (!seen.Insert(m)) continue;
    --left;
    if (!visit(m)) return;
  }
}

std::vector<double> ContinuumPlacement::Shares() const {
  // Exact integer arc lengths: (pos[i-1], pos[i]] belongs to pos[i]'s
  // member, and the wrap arc (last, 2^bits) ∪ [0, first] to the first
  // point's. 128-bit sums hold even a single point's arc of 2^64.
  __extension__ using u128 = unsigned __int128;  // GCC/Clang builtin; no pedantic warning
  const u128 space = u128{1} << bits_;
  std::vector<u128> arcs(size(), 0);
  const size_t n = points_.size();
  arcs[points_[0].member] += space - points_[n - 1].pos + points_[0].pos;
  for (size_t i = 1; i < n; ++i) arcs[points_[i].member] += points_[i].pos - points_[i - 1].pos;
  std::vector<double> shares(size());
  for (size_t m = 0; m < size(); ++m) {
    shares[m] =
        static_cast<double>(static_cast<long double>(arcs[m]) / static_cast<long double>(space));
  }
  return shares;
}

std::vector<uint64_t> ContinuumPlacement::PointCounts() const {
  std::vector<uint64_t> counts(size(), 0);
  for (const Point& p : points_) ++counts[p.member];
  return counts;
}

}  // namespace shardkit::hash::internal
