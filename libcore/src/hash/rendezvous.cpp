// Weighted rendezvous (highest random weight) hashing: every member draws
// u in (0, 1) from (key, member) and scores -w / ln(u); the highest score
// wins. That is the weighted HRW of Schindelhauer & Schomaker: a member's
// chance to win is exactly its weight share, and a membership change moves
// only the keys the changed member wins or loses. O(n) per key.
#include <algorithm>
#include <cmath>
#include <numeric>

// Inlined here (and only here): a lookup draws once per member, and the
// call into the shared library would cost more than hashing 8 bytes.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "internal.h"

namespace shardkit::hash::internal {
namespace {

class RendezvousPlacement final : public Placement {
 public:
  RendezvousPlacement(std::vector<Member> members, HashKind kind)
      : Placement(std::move(members)), kind_(kind) {
    seeds_.reserve(size());
    for (const Member& m : this->members()) seeds_.push_back(HashWith(kind_, m.name));
    // Equal scores go to the smaller name, whatever the member order.
    std::vector<uint32_t> order(size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [this](uint32_t a, uint32_t b) {
      return this->members()[a].name < this->members()[b].name;
    });
    rank_.resize(size());
    for (uint32_t r = 0; r < order.size(); ++r) rank_[order[r]] = r;
    equal_weights_ =
        std::all_of(this->members().begin(), this->members().end(),
                    [this](const Member& m) { return m.weight == this->members()[0].weight; });
  }

  uint64_t HashKey(std::string_view key) const override { return HashWith(kind_, key); }

  uint32_t LocateHash(uint64_t h) const override {
    if (equal_weights_) {
      // -w / ln(u) increases with u, and u with the draw's top 53 bits: with
      // equal weights the largest draw wins, without a logarithm per member.
      uint32_t best = 0;
      uint64_t best_draw = Draw(h, 0);
      for (uint32_t m = 1; m < size(); ++m) {
        const uint64_t d = Draw(h, m);
        if (d > best_draw || (d == best_draw && rank_[m] < rank_[best])) {
          best = m;
          best_draw = d;
        }
      }
      return best;
    }
    uint32_t best = 0;
    double best_score = Score(h, 0);
    for (uint32_t m = 1; m < size(); ++m) {
      const double s = Score(h, m);
      if (s > best_score || (s == best_score && rank_[m] < rank_[best])) {
        best = m;
        best_score = s;
      }
    }
    return best;
  }

  void Walk(uint64_t h, const std::function<bool(uint32_t)>& visit) const override {
    struct Scored {
      double score;
      uint32_t member;
    };
    std::vector<Scored> scored(size());
    // With equal weights the draw orders members as the score does (see
    // LocateHash); draws are below 2^53, so as doubles they stay exact.
    for (uint32_t m = 0; m < size(); ++m) {
      scored[m] = {equal_weights_ ? static_cast<double>(Draw(h, m)) : Score(h, m), m};
    }
    const auto before = [this](const Scored& a, const Scored& b) {
      if (a.score != b.score) return a.score > b.score;
      return rank_[a.member] < rank_[b.member];
    };
    // Replica lists stop after a few members: pick those by linear scans,
    // whose branches predict well, and sort only if the walk goes on.
    constexpr size_t kScans = 8;
    for (size_t i = 0; i < scored.size(); ++i) {
      if (i < kScans) {
        size_t best = i;
        for (size_t j = i + 1; j < scored.size(); ++j) {
          if (before(scored[j], scored[best])) best = j;
        }
        std::swap(scored[i], scored[best]);
      } else if (i == kScans) {
        std::sort(scored.begin() + i, scored.end(), before);
      }
      if (!visit(scored[i].member)) return;
    }
  }

  std::vector<double> Shares() const override {
    double sum = 0;
    for (const Member& m : members()) sum += m.weight;
    std::vector<double> shares;
    shares.reserve(size());
    for (const Member& m : members()) shares.push_back(m.weight / sum);
    return shares;
  }

 private:
  // The API hands LocateHash the key's hash, not the key, so the per-member
  // draw hashes that: x = H(le64(h), seed = H(name)), and u takes the top 53
  // bits of x, offset by half a step so that u is never 0 or 1.
  uint64_t Draw(uint64_t h, uint32_t m) const {
    char le[8];
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(le, &h, sizeof(le));
    } else {
      for (int i = 0; i < 8; ++i) le[i] = static_cast<char>(h >> (8 * i));
    }
    const uint64_t x = kind_ == HashKind::kXxh64 ? XXH64(le, sizeof(le), seeds_[m])
                                                 : XXH3_64bits_withSeed(le, sizeof(le), seeds_[m]);
    return x >> 11;
  }

  double Score(uint64_t h, uint32_t m) const {
    const double u = (static_cast<double>(Draw(h, m)) + 0.5) * 0x1p-53;
    return -members()[m].weight / std::log(u);
  }

  HashKind kind_;
  std::vector<uint64_t> seeds_;  // H(name) per member
  std::vector<uint32_t> rank_;   // position of each member in name order
  bool equal_weights_;
};

}  // namespace

Result<std::unique_ptr<Placement>> BuildRendezvous(std::vector<Member> members,
                                                   const Params& params) {
  return std::unique_ptr<Placement>(
      std::make_unique<RendezvousPlacement>(std::move(members), params.hash));
}

}  // namespace shardkit::hash::internal
