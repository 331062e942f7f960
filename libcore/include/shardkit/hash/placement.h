// Placement algorithms: which member owns a key, and in what order the others
// follow. See DESIGN.md §4 and shardkit-ring(5).
//
// A Placement is immutable once built and safe to share between threads.
// Members are identified by their index in the span given to BuildPlacement;
// the member's name is what gets hashed, so renaming a member moves keys
// while changing its endpoints does not.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shardkit/status/status.h"

namespace shardkit::hash {

enum class Algorithm { kRing, kKetama, kLibmemcached, kNginx, kJump, kMaglev, kRendezvous };
// The key and point hash of the native algorithms (`hash=` in a ring file).
// Compatibility algorithms have a fixed hash and reject any other.
enum class HashKind { kXxh3, kXxh64 };

std::string_view AlgorithmName(Algorithm a);
std::optional<Algorithm> ParseAlgorithm(std::string_view name);
std::string_view HashKindName(HashKind h);
std::optional<HashKind> ParseHashKind(std::string_view name);
// True for algorithms whose shares and movement come exactly from points.
bool IsRingType(Algorithm a);

struct Member {
  std::string name;   // the hashed identity ("10.0.1.1:11211" for ketama)
  double weight = 1;  // > 0
  uint32_t zone = 0;  // zone id; members with equal ids share a zone
};

struct Params {
  uint32_t vnodes = 160;  // ring: points per unit weight
  HashKind hash = HashKind::kXxh3;
  uint32_t table_size = 65537;  // maglev: a prime
};

// One point of a ring-type continuum: keys hashing to (previous pos, pos]
// belong to `member` (wrapping past the last point to the first).
struct Point {
  uint64_t pos;
  uint32_t member;
};

class Placement {
 public:
  virtual ~Placement() = default;

  // The key's position in this algorithm's hash space.
  virtual uint64_t HashKey(std::string_view key) const = 0;
  // The member that owns hashed position `h`.
  virtual uint32_t LocateHash(uint64_t h) const = 0;
  uint32_t Locate(std::string_view key) const { return LocateHash(HashKey(key)); }

  // Visits every member once, in preference order for `h` (the first is
  // LocateHash(h)), until `visit` returns false. The order: ring types, the
  // distinct owners of the points clockwise from h, then members without
  // points; maglev, distinct members in table order from h's entry; jump,
  // JumpHash of h and then of rehashed h (see jump.cpp); rendezvous, by
  // descending score. Any members left over follow in index order.
  virtual void Walk(uint64_t h, const std::function<bool(uint32_t)>& visit) const = 0;

  // Appends up to n distinct members in preference order to *out, taking
  // members from zones not yet chosen first, then filling with the rest in
  // preference order.
  void Preference(uint64_t h, size_t n, std::vector<uint32_t>* out) const;

  // The sorted continuum for ring-type algorithms; empty otherwise.
  virtual std::span<const Point> points() const { return {}; }
  // log2 of the size of the hash space: 32 for ketama, libmemcached and
  // nginx; 64 otherwise.
  virtual int hash_bits() const { return 64; }
  // Each member's share of the key space, summing to 1: exact from arcs for
  // ring types, from table entries for maglev, from weights otherwise.
  virtual std::vector<double> Shares() const = 0;
  // Number of points per member (ring types), or table entries (maglev);
  // empty for jump and rendezvous.
  virtual std::vector<uint64_t> PointCounts() const { return {}; }

  size_t size() const { return members_.size(); }
  const std::vector<Member>& members() const { return members_; }

 protected:
  explicit Placement(std::vector<Member> members);

 private:
  std::vector<Member> members_;
  size_t zone_count_;  // distinct zones among members_, so Preference can stop early
};

// Builds a placement. Fails with kDataError for an empty member list, a
// weight <= 0, unequal weights under jump, a hash kind the algorithm does not
// support, or a maglev table size that is not a prime >= the member count.
// A member that gets zero points (possible under ketama and libmemcached for
// tiny weights) is allowed: it owns nothing, as in those systems.
//
// Also kDataError, so that a bad ring file fails cleanly instead of exhausting
// memory: a non-finite weight, vnodes == 0 under ring, more than 2^24 points
// in one continuum, a maglev table_size above 2^24, 2^31 or more members.
//
// Hash kinds: ketama, libmemcached and nginx hash with md5 or crc32 whatever
// Params::hash says, but only the default kXxh3 is accepted for them, so that
// an explicit hash=xxh64 is an error rather than silently ignored. Maglev
// places its table with Envoy's xxh64 and uses Params::hash for keys only.
//
// Members with equal names hash identically; the caller rejects duplicates.
Result<std::unique_ptr<Placement>> BuildPlacement(Algorithm algorithm, std::vector<Member> members,
                                                  const Params& params);

// The number of MD5 digests (4 points each) that libketama gives a member of
// weight `weight` out of `total_weight` among `members` members:
// floorf((float)w / (float)total * 40.0 * (float)n) with libketama's mix of
// float and double arithmetic. Equal weights give 40, except that for some n
// (61, 122, ...) the float rounding gives 39. Exposed so that tools can
// explain point counts and tests can check the quirk for many n cheaply.
uint32_t KetamaDigestCount(double weight, double total_weight, size_t members);
// The same for libmemcached KETAMA_WEIGHTED (and twemproxy):
// floor((float)(pct * 160 / 4 * (float)n + 1e-10)) with pct a float, the
// product in float and the 1e-10 added in double. Equal weights give 39
// instead of 40 for n = 25, 47, 50, ...
uint32_t LibmemcachedDigestCount(double weight, double total_weight, size_t members);

}  // namespace shardkit::hash
