// Private to libcore/src/hash: the per-algorithm builders that BuildPlacement
// dispatches to, and small helpers they share.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shardkit/hash/hash.h"
#include "shardkit/hash/placement.h"
#include "shardkit/status/status.h"

namespace shardkit::hash::internal {

// Upper bound on the points of one continuum and on a maglev table: a ring
// file with weight=1e12 must fail cleanly instead of exhausting memory.
inline constexpr uint64_t kMaxPoints = uint64_t{1} << 24;

// Each builder may assume what BuildPlacement has already checked: at least
// one member, fewer than 2^31 of them, every weight finite and > 0, and a
// hash kind the algorithm accepts. It checks everything specific to itself.
Result<std::unique_ptr<Placement>> BuildRing(std::vector<Member> members, const Params& params);
Result<std::unique_ptr<Placement>> BuildKetama(std::vector<Member> members);
Result<std::unique_ptr<Placement>> BuildLibmemcached(std::vector<Member> members);
Result<std::unique_ptr<Placement>> BuildNginx(std::vector<Member> members);
Result<std::unique_ptr<Placement>> BuildJump(std::vector<Member> members, const Params& params);
Result<std::unique_ptr<Placement>> BuildMaglev(std::vector<Member> members, const Params& params);
Result<std::unique_ptr<Placement>> BuildRendezvous(std::vector<Member> members,
                                                   const Params& params);

// The md5 continuum shared by ketama and libmemcached: member m gets
// digests[m] MD5 digests of prefixes[m] + decimal k (k = 0, 1, ...), each
// digest giving four little-endian u32 points. Equal points keep member
// index order, then generation order. Keys hash with Md5Le32.
Result<std::unique_ptr<Placement>> BuildMd5Continuum(std::vector<Member> members,
                                                     const std::vector<std::string>& prefixes,
                                                     const std::vector<uint32_t>& digests);

// The key hash of the native algorithms.
inline uint64_t HashWith(HashKind kind, std::string_view data, uint64_t seed = 0) {
  return kind == HashKind::kXxh64 ? Xxh64(data, seed) : Xxh3(data, seed);
}

// Rehashes a 64-bit hash (jump's further candidates, rendezvous' per-member
// draws): H over its 8 little-endian bytes with the given seed.
inline uint64_t Rehash(HashKind kind, uint64_t h, uint64_t seed) {
  char le[8];
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(le, &h, sizeof(le));
  } else {
    for (int i = 0; i < 8; ++i) le[i] = static_cast<char>(h >> (8 * i));
  }
  return HashWith(kind, std::string_view(le, sizeof(le)), seed);
}

// "%g" of a weight, for error messages.
std::string FormatWeight(double w);

// The set of members already visited by a Walk. Up to 1024 members it lives
// on the stack, so walking a typical cluster allocates nothing.
class SeenSet {
 public:
  explicit SeenSet(size_t members) {
    if (members > small_.size() * 64) {
      large_.assign((members + 63) / 64, 0);
      bits_ = large_.data();
    }
  }
  SeenSet(const SeenSet&) = delete;
  SeenSet& operator=(const SeenSet&) = delete;

  // True when `m` was not in the set (and now is).
  bool Insert(uint32_t m) {
    uint64_t& word = bits_[m / 64];
    const uint64_t bit = uint64_t{1} << (m % 64);
    if (word & bit) return false;
    word |= bit;
    return true;
  }

 private:
  std::array<uint64_t, 16> small_{};
  std::vector<uint64_t> large_;
  uint64_t* bits_ = small_.data();
};

}  // namespace shardkit::hash::internal
