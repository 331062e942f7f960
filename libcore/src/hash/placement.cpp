// The algorithm-independent part of placement: names, validation and
// dispatch in BuildPlacement, and zone-aware preference lists.
#include "shardkit/hash/placement.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <unordered_set>

#include "internal.h"

namespace shardkit::hash {
namespace {

struct AlgorithmInfo {
  Algorithm algorithm;
  std::string_view name;
  bool ring_type;
};

constexpr AlgorithmInfo kAlgorithms[] = {
    {Algorithm::kRing, "ring", true},
    {Algorithm::kKetama, "ketama", true},
    {Algorithm::kLibmemcached, "libmemcached", true},
    {Algorithm::kNginx, "nginx", true},
    {Algorithm::kJump, "jump", false},
    {Algorithm::kMaglev, "maglev", false},
    {Algorithm::kRendezvous, "rendezvous", false},
};

const AlgorithmInfo& Info(Algorithm a) {
  for (const AlgorithmInfo& info : kAlgorithms) {
    if (info.algorithm == a) return info;
  }
  return kAlgorithms[0];  // unreachable for a valid enumerator
}

// ketama, libmemcached and nginx have their hash fixed by the system they
// are compatible with.
bool HasFixedHash(Algorithm a) {
  return a == Algorithm::kKetama || a == Algorithm::kLibmemcached || a == Algorithm::kNginx;
}

std::string_view FixedHashName(Algorithm a) { return a == Algorithm::kNginx ? "crc32" : "md5"; }

}  // namespace

std::string_view AlgorithmName(Algorithm a) { return Info(a).name; }

std::optional<Algorithm> ParseAlgorithm(std::string_view name) {
  for (const AlgorithmInfo& info : kAlgorithms) {
    if (info.name == name) return info.algorithm;
  }
  return std::nullopt;
}

std::string_view HashKindName(HashKind h) { return h == HashKind::kXxh64 ? "xxh64" : "xxh3"; }

std::optional<HashKind> ParseHashKind(std::string_view name) {
  if (name == "xxh3") return HashKind::kXxh3;
  if (name == "xxh64") return HashKind::kXxh64;
  return std::nullopt;
}

bool IsRingType(Algorithm a) { return Info(a).ring_type; }

Placement::Placement(std::vector<Member> members) : members_(std::move(members)) {
  std::unordered_set<uint32_t> zones;
  for (const Member& m : members_) zones.insert(m.zone);
  zone_count_ = zones.size();
}

void Placement::Preference(uint64_t h, size_t n, std::vector<uint32_t>* out) const {
  n = std::min(n, size());
  if (n == 0) return;
  // Members are taken in walk order, but one from a zone already chosen is
  // set aside until every zone has one pick (or the walk ends): a replica
  // list should survive the loss of a rack before it holds two copies in one.
  std::vector<uint32_t> zones_taken;
  std::vector<uint32_t> skipped;
  size_t taken = 0;
  Walk(h, [&](uint32_t m) {
    const uint32_t zone = members_[m].zone;
    if (std::find(zones_taken.begin(), zones_taken.end(), zone) == zones_taken.end()) {
      zones_taken.push_back(zone);
      out->push_back(m);
      ++taken;
    } else {
      skipped.push_back(m);
    }
    // Once every zone is represented nothing later can outrank what was
    // skipped, so the walk may stop as soon as the skipped fill the list.
    return taken < n && !(zones_taken.size() == zone_count_ && taken + skipped.size() >= n);
  });
  for (size_t i = 0; i < skipped.size() && taken < n; ++i, ++taken) out->push_back(skipped[i]);
}

uint32_t KetamaDigestCount(double weight, double total_weight, size_t members) {
  // libketama: float pct = (float)memory / (float)total;
  //            unsigned ks = floorf(pct * 40.0 * (float)numservers);
  // pct * 40.0 is a double product, then the double result is narrowed to
  // float by floorf's prototype before the floor.
  const float pct = static_cast<float>(weight) / static_cast<float>(total_weight);
  const double product =
      static_cast<double>(pct) * 40.0 * static_cast<double>(static_cast<float>(members));
  const float ks = std::floor(static_cast<float>(product));
  return ks <= 0 ? 0 : static_cast<uint32_t>(ks);
}

uint32_t LibmemcachedDigestCount(double weight, double total_weight, size_t members) {
  // libmemcached hosts.cc (and twemproxy nc_ketama.c):
  //   float pct = (float)weight / (float)total_weight;
  //   floor((float)(pct * 160 / 4 * (float)live_servers + 0.0000000001))
  // Everything up to the + is float arithmetic (160 and 4 are ints); the
  // double literal promotes the sum, which is narrowed back to float.
  const float pct = static_cast<float>(weight) / static_cast<float>(total_weight);
  float f = pct * 160.0f;
  f = f / 4.0f;
  f = f * static_cast<float>(members);
  const double sum = static_cast<double>(f) + 0.0000000001;
  const double digests = std::floor(static_cast<double>(static_cast<float>(sum)));
  return digests <= 0 ? 0 : static_cast<uint32_t>(digests);
}

namespace internal {

std::string FormatWeight(double w) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", w);
  return buf;
}

}  // namespace internal

Result<std::unique_ptr<Placement>> BuildPlacement(Algorithm algorithm, std::vector<Member> members,
                                                  const Params& params) {
  const std::string_view name = AlgorithmName(algorithm);
  if (members.empty()) {
    return Status::DataError(std::string(name) + " placement needs at least one member");
  }
  if (members.size() >= (size_t{1} << 31)) {
    return Status::DataError("too many members: " + std::to_string(members.size()));
  }
  for (const Member& m : members) {
    if (!std::isfinite(m.weight) || !(m.weight > 0)) {
      return Status::DataError("member '" + m.name + "' has weight " +
                               internal::FormatWeight(m.weight) + ", which is not > 0");
    }
  }
  if (HasFixedHash(algorithm) && params.hash != HashKind::kXxh3) {
    return Status::DataError(
        std::string(name) + " always hashes with " + std::string(FixedHashName(algorithm)) +
        "; hash=" + std::string(HashKindName(params.hash)) + " is not supported");
  }
  switch (algorithm) {
    case Algorithm::kRing:
      return internal::BuildRing(std::move(members), params);
    case Algorithm::kKetama:
      return internal::BuildKetama(std::move(members));
    case Algorithm::kLibmemcached:
      return internal::BuildLibmemcached(std::move(members));
    case Algorithm::kNginx:
      return internal::BuildNginx(std::move(members));
    case Algorithm::kJump:
      return internal::BuildJump(std::move(members), params);
    case Algorithm::kMaglev:
      return internal::BuildMaglev(std::move(members), params);
    case Algorithm::kRendezvous:
      return internal::BuildRendezvous(std::move(members), params);
  }
  return Status::Internal("unknown algorithm " + std::to_string(static_cast<int>(algorithm)));
}

}  // namespace shardkit::hash
