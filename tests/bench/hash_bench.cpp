// Lookup and build costs of the placement algorithms at 1000 members
// (160 points each for the ring types). Keys are 16-byte strings cycled from
// a 16 MiB pool, so lookups touch the whole continuum or table as a stream
// of real keys would, rather than a few hot cache lines.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shardkit/hash/hash.h"
#include "shardkit/hash/placement.h"

namespace shardkit::hash {
namespace {

constexpr size_t kMembers = 1000;
constexpr size_t kKeys = size_t{1} << 20;

std::vector<std::array<char, 16>> MakeKeys() {
  std::vector<std::array<char, 16>> keys(kKeys);
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (auto& k : keys) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift: distinct, unordered keys
    char buf[17];
    std::snprintf(buf, sizeof(buf), "user:%011llu",
                  static_cast<unsigned long long>(x % 100000000000ull));
    std::copy(buf, buf + 16, k.begin());
  }
  return keys;
}

const std::vector<std::array<char, 16>>& Keys() {
  static const std::vector<std::array<char, 16>> keys = MakeKeys();
  return keys;
}

std::vector<Member> Members(Algorithm a) {
  std::vector<Member> members;
  for (size_t i = 0; i < kMembers; ++i) {
    char name[32];
    // Compatibility modes hash server addresses; the native ones node names.
    if (IsRingType(a) && a != Algorithm::kRing) {
      std::snprintf(name, sizeof(name), "10.0.%zu.%zu:11211", i / 250, i % 250 + 1);
    } else {
      std::snprintf(name, sizeof(name), "node-%04zu", i);
    }
    members.push_back({name});
  }
  return members;
}

const Placement& Built(Algorithm a) {
  static std::unique_ptr<Placement> cache[7];
  auto& p = cache[static_cast<int>(a)];
  if (!p) p = std::move(BuildPlacement(a, Members(a), Params{}).value());
  return *p;
}

void BM_Locate(benchmark::State& state, Algorithm a) {
  const Placement& p = Built(a);
  const auto& keys = Keys();
  size_t i = 0;
  for (auto _ : state) {
    const auto& k = keys[i++ & (kKeys - 1)];
    benchmark::DoNotOptimize(p.Locate(std::string_view(k.data(), k.size())));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::to_string(p.size()) + " members, " + std::to_string(p.points().size()) +
                 " points");
}

void BM_LocateHash(benchmark::State& state, Algorithm a) {
  const Placement& p = Built(a);
  std::vector<uint64_t> hashes;
  hashes.reserve(kKeys);
  for (const auto& k : Keys()) hashes.push_back(p.HashKey(std::string_view(k.data(), k.size())));
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(p.LocateHash(hashes[i++ & (kKeys - 1)]));
  state.SetItemsProcessed(state.iterations());
}

void BM_KeyHash(benchmark::State& state, Algorithm a) {
  const Placement& p = Built(a);
  const auto& keys = Keys();
  size_t i = 0;
  for (auto _ : state) {
    const auto& k = keys[i++ & (kKeys - 1)];
    benchmark::DoNotOptimize(p.HashKey(std::string_view(k.data(), k.size())));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Preference3(benchmark::State& state, Algorithm a) {
  const Placement& p = Built(a);
  const auto& keys = Keys();
  std::vector<uint32_t> out;
  size_t i = 0;
  for (auto _ : state) {
    const auto& k = keys[i++ & (kKeys - 1)];
    out.clear();
    p.Preference(p.HashKey(std::string_view(k.data(), k.size())), 3, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Build(benchmark::State& state, Algorithm a) {
  const std::vector<Member> members = Members(a);
  for (auto _ : state) {
    auto p = BuildPlacement(a, members, Params{});
    benchmark::DoNotOptimize(p.ok());
  }
}

#define SK_FOR_ALL(bm)                                           \
  BENCHMARK_CAPTURE(bm, ring, Algorithm::kRing);                 \
  BENCHMARK_CAPTURE(bm, ketama, Algorithm::kKetama);             \
  BENCHMARK_CAPTURE(bm, libmemcached, Algorithm::kLibmemcached); \
  BENCHMARK_CAPTURE(bm, nginx, Algorithm::kNginx);               \
  BENCHMARK_CAPTURE(bm, jump, Algorithm::kJump);                 \
  BENCHMARK_CAPTURE(bm, maglev, Algorithm::kMaglev);             \
  BENCHMARK_CAPTURE(bm, rendezvous, Algorithm::kRendezvous)

SK_FOR_ALL(BM_Locate);
SK_FOR_ALL(BM_LocateHash);
SK_FOR_ALL(BM_KeyHash);
SK_FOR_ALL(BM_Preference3);
BENCHMARK_CAPTURE(BM_Build, ring, Algorithm::kRing)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Build, ketama, Algorithm::kKetama)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Build, nginx, Algorithm::kNginx)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Build, maglev, Algorithm::kMaglev)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace shardkit::hash
