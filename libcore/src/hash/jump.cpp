// Jump consistent hash (Lamping & Veach) over H(key), members in the given
// order. It has no weights and no names: adding a member at the end moves
// only the keys it takes, but removing any member other than the last
// renumbers the ones after it and moves their keys too.
#include "internal.h"

namespace shardkit::hash::internal {
namespace {

// How many rehashed candidates Walk draws before falling back to index
// order. Each draw is a fresh jump, so the first few preferences are as
// stable under growth as the owner; the tail just needs to end.
constexpr uint64_t kDrawsPerMember = 4;

class JumpPlacement final : public Placement {
 public:
  JumpPlacement(std::vector<Member> members, HashKind kind)
      : Placement(std::move(members)), kind_(kind) {}

  uint64_t HashKey(std::string_view key) const override { return HashWith(kind_, key); }

  uint32_t LocateHash(uint64_t h) const override {
    return static_cast<uint32_t>(JumpHash(h, static_cast<int32_t>(size())));
  }

  // Candidates: JumpHash(h, n), then JumpHash(Rehash(h, seed = a), n) for
  // a = 1, 2, ... (H over the 8 little-endian bytes of h, seeded with a),
  // skipping members already visited; after kDrawsPerMember * n draws, the
  // members not yet visited in index order. Adding a member at the end
  // changes each candidate only into the new member, so replica lists move
  // as little as the owner does.
  void Walk(uint64_t h, const std::function<bool(uint32_t)>& visit) const override {
    const int32_t n = static_cast<int32_t>(size());
    SeenSet seen(size());
    size_t left = size();
    const uint64_t draws = kDrawsPerMember * size();
    for (uint64_t a = 0; a <= draws && left > 0; ++a) {
      const uint64_t key = a == 0 ? h : Rehash(kind_, h, a);
      const uint32_t m = static_cast<uint32_t>(JumpHash(key, n));
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

  std::vector<double> Shares() const override {
    return std::vector<double>(size(), 1.0 / static_cast<double>(size()));
  }

 private:
  HashKind kind_;
};

}  // namespace

Result<std::unique_ptr<Placement>> BuildJump(std::vector<Member> members, const Params& params) {
  // BuildPlacement's limit of 2^31 - 1 members fits JumpHash's int32.
  for (const Member& m : members) {
    if (m.weight != members[0].weight) {
      return Status::DataError("jump does not support unequal weights: member '" + m.name +
                               "' has weight " + FormatWeight(m.weight) + ", member '" +
                               members[0].name + "' has " + FormatWeight(members[0].weight));
    }
  }
  return std::unique_ptr<Placement>(
      std::make_unique<JumpPlacement>(std::move(members), params.hash));
}

}  // namespace shardkit::hash::internal
