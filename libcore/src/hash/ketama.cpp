// libketama (RJ/ketama libketama/ketama.c), bit-exact: the member name is the
// server address as written ("10.0.1.1:11211"), hashed as "addr-k".
//
// libketama sorts with qsort, which leaves equal points in no defined order;
// here the member listed first owns an equal point (then generation order),
// so the continuum is deterministic. The vectors never hit such a tie.
// libketama itself ignores addresses of 22 characters or more; they are
// hashed here as written.
#include <algorithm>

#include "continuum.h"
#include "internal.h"

namespace shardkit::hash::internal {
namespace {

class Md5ContinuumPlacement final : public ContinuumPlacement {
 public:
  Md5ContinuumPlacement(std::vector<Member> members, std::vector<Point> points)
      : ContinuumPlacement(std::move(members), std::move(points), 32) {}

  uint64_t HashKey(std::string_view key) const override { return Md5Le32(key); }
};

}  // namespace

Result<std::unique_ptr<Placement>> BuildMd5Continuum(std::vector<Member> members,
                                                     const std::vector<std::string>& prefixes,
                                                     const std::vector<uint32_t>& digests) {
  uint64_t total = 0;
  for (uint32_t d : digests) total += uint64_t{4} * d;
  if (total == 0) return Status::DataError("no member gets any points");
  if (total > kMaxPoints) {
    return Status::DataError("continuum would have " + std::to_string(total) +
                             " points, more than " + std::to_string(kMaxPoints));
  }
  std::vector<Point> points;
  points.reserve(total);
  std::string buf;
  for (uint32_t m = 0; m < members.size(); ++m) {
    for (uint32_t k = 0; k < digests[m]; ++k) {
      buf.assign(prefixes[m]).append(std::to_string(k));
      const std::array<uint8_t, 16> d = Md5(buf);
      for (int h = 0; h < 4; ++h) {
        const uint32_t point =
            static_cast<uint32_t>(d[4 * h]) | static_cast<uint32_t>(d[4 * h + 1]) << 8 |
            static_cast<uint32_t>(d[4 * h + 2]) << 16 | static_cast<uint32_t>(d[4 * h + 3]) << 24;
        points.push_back({point, m});
      }
    }
  }
  // Generated in member order, so a stable sort breaks ties by member index.
  std::stable_sort(points.begin(), points.end(),
                   [](const Point& a, const Point& b) { return a.pos < b.pos; });
  return std::unique_ptr<Placement>(
      std::make_unique<Md5ContinuumPlacement>(std::move(members), std::move(points)));
}

Result<std::unique_ptr<Placement>> BuildKetama(std::vector<Member> members) {
  // libketama sums the integer weights as unsigned long and converts the sum
  // to float; for integer weights a double sum converts to the same float.
  double total = 0;
  for (const Member& m : members) total += m.weight;
  std::vector<std::string> prefixes;
  std::vector<uint32_t> digests;
  prefixes.reserve(members.size());
  digests.reserve(members.size());
  for (const Member& m : members) {
    prefixes.push_back(m.name + "-");
    digests.push_back(KetamaDigestCount(m.weight, total, members.size()));
  }
  return BuildMd5Continuum(std::move(members), prefixes, digests);
}

}  // namespace shardkit::hash::internal
