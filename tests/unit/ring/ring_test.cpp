#include "shardkit/ring/ring.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <string>

using shardkit::hash::Algorithm;
using shardkit::ring::BuildRing;
using shardkit::ring::ComputeShares;
using shardkit::ring::DiffRings;
using shardkit::ring::Ring;
using shardkit::ring::RingFile;

namespace {

RingFile MakeFile(Algorithm algo, int nodes, int first = 0) {
  RingFile f;
  f.algorithm = algo;
  for (int i = first; i < first + nodes; ++i) {
    f.nodes.push_back({"10.0.0." + std::to_string(i) + ":11211", {}, double(1 + i % 3), "", ""});
  }
  if (algo == Algorithm::kJump) {
    for (auto& n : f.nodes) n.weight = 1;
  }
  return f;
}

Ring Build(const RingFile& f) {
  auto r = BuildRing(f);
  REQUIRE(r.ok());
  return std::move(*r);
}

}  // namespace

TEST_CASE("shares sum to one and match sampled ownership") {
  for (Algorithm algo : {Algorithm::kRing, Algorithm::kKetama, Algorithm::kLibmemcached,
                         Algorithm::kNginx, Algorithm::kMaglev}) {
    INFO("algorithm " << shardkit::hash::AlgorithmName(algo));
    Ring r = Build(MakeFile(algo, 10));
    auto shares = ComputeShares(r);
    CHECK(shares.exact);
    double sum = 0;
    for (const auto& s : shares.nodes) sum += s.share;
    CHECK(sum == Approx(1.0).epsilon(1e-9));
    // An independent estimate: owners of 200,000 keys.
    std::vector<double> seen(10, 0);
    const int kKeys = 200000;
    for (int k = 0; k < kKeys; ++k) seen[r.placement->Locate("k" + std::to_string(k))] += 1;
    for (size_t i = 0; i < 10; ++i) {
      CHECK(std::fabs(seen[i] / kKeys - shares.nodes[i].share) < 0.006);
    }
  }
}

TEST_CASE("exact diff on a join: only the new node gains, by exactly its share") {
  for (Algorithm algo : {Algorithm::kRing, Algorithm::kNginx}) {
    INFO("algorithm " << shardkit::hash::AlgorithmName(algo));
    RingFile before = MakeFile(algo, 20);
    RingFile after = before;
    after.nodes.push_back({"newcomer:11211", {}, 1, "", ""});
    Ring a = Build(before), b = Build(after);
    auto d = DiffRings(a, b, 1000);
    REQUIRE(d.exact);
    for (const auto& m : d.moves) CHECK(m.to == "newcomer:11211");
    {
      auto shares = ComputeShares(b);
      CHECK(d.moved == Approx(shares.nodes.back().share).epsilon(1e-9));
    }
  }
}

TEST_CASE("exact diff on a leave moves exactly the leaver's share") {
  RingFile before = MakeFile(Algorithm::kRing, 30);
  RingFile after = before;
  after.nodes.erase(after.nodes.begin() + 7);
  Ring a = Build(before), b = Build(after);
  auto d = DiffRings(a, b, 1000);
  REQUIRE(d.exact);
  CHECK(d.moved == Approx(ComputeShares(a).nodes[7].share).epsilon(1e-9));
  for (const auto& m : d.moves) CHECK(m.from == before.nodes[7].name);
}

TEST_CASE("exact and sampled diffs agree") {
  for (Algorithm algo : {Algorithm::kRing, Algorithm::kMaglev, Algorithm::kLibmemcached}) {
    INFO("algorithm " << shardkit::hash::AlgorithmName(algo));
    RingFile before = MakeFile(algo, 12);
    RingFile after = MakeFile(algo, 12, 3);  // three leave, three join
    Ring a = Build(before), b = Build(after);
    auto exact = DiffRings(a, b, 1000);
    REQUIRE(exact.exact);
    // Same rings under a different hash space force sampling.
    uint64_t moved = 0;
    const int kKeys = 300000;
    for (int k = 0; k < kKeys; ++k) {
      std::string key = "x" + std::to_string(k);
      if (before.nodes[a.placement->Locate(key)].name != after.nodes[b.placement->Locate(key)].name)
        ++moved;
    }
    CHECK(std::fabs(double(moved) / kKeys - exact.moved) < 0.006);
  }
}

TEST_CASE("diff between different algorithms is sampled and says so") {
  Ring a = Build(MakeFile(Algorithm::kRing, 5));
  Ring b = Build(MakeFile(Algorithm::kRendezvous, 5));
  auto d = DiffRings(a, b, 20000);
  CHECK_FALSE(d.exact);
  CHECK(d.sampled == 20000);
  CHECK(d.moved > 0.5);  // unrelated placements disagree on most keys
  auto same = DiffRings(a, a, 20000);
  CHECK(same.moved == 0);
  CHECK(same.moves.empty());
}

TEST_CASE("bounded loads cap every node at ceil(c * mean)") {
  RingFile f = MakeFile(Algorithm::kRing, 8);
  for (auto& n : f.nodes) n.weight = 1;
  Ring r = Build(f);
  std::vector<uint64_t> hashes;
  for (int k = 0; k < 10000; ++k) hashes.push_back(r.placement->HashKey("k" + std::to_string(k)));
  for (double c : {1.0, 1.05, 1.25}) {
    auto owners = shardkit::ring::AssignBounded(r, hashes, c);
    std::vector<uint64_t> load(8, 0);
    for (uint32_t o : owners) ++load[o];
    uint64_t cap = uint64_t(std::ceil(c * 10000 / 8));
    for (uint64_t l : load) CHECK(l <= cap);
  }
  // With room to spare, every key goes to its first choice.
  auto owners = shardkit::ring::AssignBounded(r, hashes, 100);
  for (size_t i = 0; i < hashes.size(); ++i) CHECK(owners[i] == r.placement->LocateHash(hashes[i]));
}
