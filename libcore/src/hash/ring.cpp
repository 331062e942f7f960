// The native ring (the default algorithm): round(vnodes * weight) xxh3 (or
// xxh64) points per member at H(name + "_" + i), first point >= H(key),
// wrapping. With hash=xxh64 it is Envoy's ring_hash: the same point strings,
// the same hash and the same lookup (see envoy.txt).
#include <algorithm>
#include <charconv>
#include <cmath>

#include "continuum.h"
#include "internal.h"

namespace shardkit::hash::internal {
namespace {

class RingPlacement final : public ContinuumPlacement {
 public:
  RingPlacement(std::vector<Member> members, std::vector<Point> points, HashKind kind)
      : ContinuumPlacement(std::move(members), std::move(points), 64), kind_(kind) {}

  uint64_t HashKey(std::string_view key) const override { return HashWith(kind_, key); }

 private:
  HashKind kind_;
};

// round(vnodes * weight), but at least 1: unlike ketama, a small weight
// never silently drops a member from the ring.
uint64_t PointsFor(uint32_t vnodes, double weight) {
  const double exact = static_cast<double>(vnodes) * weight;
  if (!(exact < static_cast<double>(kMaxPoints))) return kMaxPoints + 1;
  return std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(exact)));
}

}  // namespace

Result<std::unique_ptr<Placement>> BuildRing(std::vector<Member> members, const Params& params) {
  if (params.vnodes == 0) return Status::DataError("ring needs vnodes > 0, got 0");
  uint64_t total = 0;
  for (const Member& m : members) {
    total += PointsFor(params.vnodes, m.weight);
    if (total > kMaxPoints) {
      return Status::DataError("ring would have more than " + std::to_string(kMaxPoints) +
                               " points (member '" + m.name + "' weight " + FormatWeight(m.weight) +
                               ", vnodes " + std::to_string(params.vnodes) + ")");
    }
  }

  struct Raw {
    uint64_t pos;
    uint32_t member;
    uint32_t vnode;
  };
  std::vector<Raw> raw;
  raw.reserve(total);
  std::string buf;
  for (uint32_t m = 0; m < members.size(); ++m) {
    const uint64_t count = PointsFor(params.vnodes, members[m].weight);
    buf.assign(members[m].name).push_back('_');
    const size_t prefix = buf.size();
    for (uint32_t i = 0; i < count; ++i) {
      char digits[16];
      char* end = std::to_chars(digits, digits + sizeof(digits), i).ptr;
      buf.resize(prefix);
      buf.append(digits, end);
      raw.push_back({HashWith(params.hash, buf), m, i});
    }
  }
  // Ties go to the smaller name, so the ring does not depend on the order
  // in which members are listed (the index only separates equal names).
  std::sort(raw.begin(), raw.end(), [&members](const Raw& a, const Raw& b) {
    if (a.pos != b.pos) return a.pos < b.pos;
    if (a.member != b.member) {
      const int c = members[a.member].name.compare(members[b.member].name);
      if (c != 0) return c < 0;
      return a.member < b.member;
    }
    return a.vnode < b.vnode;
  });
  std::vector<Point> points;
  points.reserve(raw.size());
  for (const Raw& r : raw) points.push_back({r.pos, r.member});
  return std::unique_ptr<Placement>(
      std::make_unique<RingPlacement>(std::move(members), std::move(points), params.hash));
}

}  // namespace shardkit::hash::internal
