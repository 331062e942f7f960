// The shared machinery of the ring-type algorithms (ring, ketama,
// libmemcached, nginx): a sorted continuum of points, an O(1) lookup through
// a prefix index, walks, and exact shares. Each algorithm only decides how
// points and key hashes are made.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "shardkit/hash/placement.h"

namespace shardkit::hash::internal {

class ContinuumPlacement : public Placement {
 public:
  // `points` must be non-empty, sorted by pos, with equal positions already
  // in the algorithm's tie order (the first of equal points owns their arc),
  // and every pos < 2^bits; bits is 32 or 64.
  ContinuumPlacement(std::vector<Member> members, std::vector<Point> points, int bits);

  uint32_t LocateHash(uint64_t h) const final;
  void Walk(uint64_t h, const std::function<bool(uint32_t)>& visit) const final;
  std::span<const Point> points() const final { return points_; }
  int hash_bits() const final { return bits_; }
  std::vector<double> Shares() const final;
  std::vector<uint64_t> PointCounts() const final;

 private:
  // Index entries with this bit set name the owning member directly: no
  // point falls inside their bucket, so every hash in it has the same owner.
  static constexpr uint32_t kResolved = uint32_t{1} << 31;

  // The index of the first point with pos >= h, or 0 when there is none.
  size_t FirstAtOrAfter(uint64_t h) const;

  std::vector<Point> points_;
  int bits_;
  uint64_t max_hash_;  // 2^bits - 1; larger hashes wrap to the first point
  // The lookup path reads only these two arrays and index_, not points_:
  // pos_ ends with a UINT64_MAX sentinel and owner_ with points_[0]'s
  // member, so the scan needs neither a bounds check nor a wrap branch.
  std::vector<uint64_t> pos_;
  std::vector<uint32_t> owner_;
  // index_[j] covers the hashes h with h >> shift_ == j: either
  // kResolved | member, or the index of the first point with pos >= the
  // bucket's lowest hash, from where a short scan finds the owner.
  std::vector<uint32_t> index_;
  int shift_;
};

}  // namespace shardkit::hash::internal
