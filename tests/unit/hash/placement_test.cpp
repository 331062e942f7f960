// What every algorithm shares: names, BuildPlacement's errors, walks that
// visit each member once, shares that sum to 1, and zone-aware preference
// lists.
#include <set>

#include "shardkit/hash/hash.h"
#include "vectors.h"

namespace shardkit::hash {
namespace {

using testing::Build;
using testing::Nodes;

constexpr Algorithm kAll[] = {Algorithm::kRing,      Algorithm::kKetama, Algorithm::kLibmemcached,
                              Algorithm::kNginx,     Algorithm::kJump,   Algorithm::kMaglev,
                              Algorithm::kRendezvous};

TEST_CASE("algorithm and hash kind names round-trip", "[placement]") {
  std::set<std::string_view> names;
  for (Algorithm a : kAll) {
    names.insert(AlgorithmName(a));
    REQUIRE(ParseAlgorithm(AlgorithmName(a)) == a);
  }
  CHECK(names == std::set<std::string_view>{"ring", "ketama", "libmemcached", "nginx", "jump",
                                            "maglev", "rendezvous"});
  CHECK_FALSE(ParseAlgorithm("ketma").has_value());
  CHECK_FALSE(ParseAlgorithm("").has_value());
  CHECK(ParseHashKind("xxh3") == HashKind::kXxh3);
  CHECK(ParseHashKind("xxh64") == HashKind::kXxh64);
  CHECK(HashKindName(HashKind::kXxh64) == "xxh64");
  CHECK_FALSE(ParseHashKind("md5").has_value());
  for (Algorithm a :
       {Algorithm::kRing, Algorithm::kKetama, Algorithm::kLibmemcached, Algorithm::kNginx}) {
    CHECK(IsRingType(a));
  }
  for (Algorithm a : {Algorithm::kJump, Algorithm::kMaglev, Algorithm::kRendezvous}) {
    CHECK_FALSE(IsRingType(a));
  }
}

// The error of a build that must fail.
Status BuildError(Algorithm a, std::vector<Member> members, const Params& params = {}) {
  auto built = BuildPlacement(a, std::move(members), params);
  REQUIRE_FALSE(built.ok());
  return built.status();
}

TEST_CASE("BuildPlacement rejects bad input with kDataError", "[placement][errors]") {
  for (Algorithm a : kAll) {
    INFO(AlgorithmName(a));
    Status s = BuildError(a, {});
    CHECK(s.code() == Code::kDataError);
    CHECK(s.message() == std::string(AlgorithmName(a)) + " placement needs at least one member");

    s = BuildError(a, {{"a"}, {"b", 0}});
    CHECK(s.code() == Code::kDataError);
    CHECK(s.message() == "member 'b' has weight 0, which is not > 0");

    s = BuildError(a, {{"a", -2.5}});
    CHECK(s.message() == "member 'a' has weight -2.5, which is not > 0");

    s = BuildError(a, {{"a", std::nan("")}});
    CHECK(s.message() == "member 'a' has weight nan, which is not > 0");
    s = BuildError(a, {{"a", INFINITY}});
    CHECK(s.code() == Code::kDataError);
  }

  Status s = BuildError(Algorithm::kJump, {{"a"}, {"b"}, {"c", 2}});
  CHECK(s.code() == Code::kDataError);
  CHECK(s.message() ==
        "jump does not support unequal weights: member 'c' has weight 2, member 'a' has 1");
  CHECK(BuildPlacement(Algorithm::kJump, {{"a", 3}, {"b", 3}}, {}).ok());

  Params params;
  params.table_size = 65536;
  s = BuildError(Algorithm::kMaglev, Nodes(3), params);
  CHECK(s.code() == Code::kDataError);
  CHECK(s.message() == "maglev table_size 65536 is not a prime");
  params.table_size = 1;
  CHECK(BuildError(Algorithm::kMaglev, Nodes(3), params).message() ==
        "maglev table_size 1 is not a prime");
  params.table_size = 3;
  CHECK(BuildPlacement(Algorithm::kMaglev, Nodes(3), params).ok());
  params.table_size = 2;
  CHECK(BuildError(Algorithm::kMaglev, Nodes(3), params).message() ==
        "maglev table_size 2 is smaller than the member count 3");
  params.table_size = 16777259;  // a prime above 2^24
  CHECK(BuildError(Algorithm::kMaglev, Nodes(3), params).message() ==
        "maglev table_size 16777259 is larger than 16777216");

  params = {};
  params.vnodes = 0;
  CHECK(BuildError(Algorithm::kRing, Nodes(3), params).message() == "ring needs vnodes > 0, got 0");
  params = {};
  s = BuildError(Algorithm::kRing, {{"a"}, {"huge", 1e9}}, params);
  CHECK(s.code() == Code::kDataError);
  CHECK(s.message() ==
        "ring would have more than 16777216 points (member 'huge' weight 1e+09, vnodes 160)");
  s = BuildError(Algorithm::kNginx, {{"a:1", 1e6}});
  CHECK(s.code() == Code::kDataError);
}

TEST_CASE("compatibility algorithms refuse a hash they do not use", "[placement][errors]") {
  Params params;
  params.hash = HashKind::kXxh64;
  CHECK(BuildError(Algorithm::kKetama, Nodes(2), params).message() ==
        "ketama always hashes with md5; hash=xxh64 is not supported");
  CHECK(BuildError(Algorithm::kLibmemcached, Nodes(2), params).message() ==
        "libmemcached always hashes with md5; hash=xxh64 is not supported");
  CHECK(BuildError(Algorithm::kNginx, Nodes(2), params).message() ==
        "nginx always hashes with crc32; hash=xxh64 is not supported");
  for (Algorithm a :
       {Algorithm::kRing, Algorithm::kJump, Algorithm::kMaglev, Algorithm::kRendezvous}) {
    CHECK(BuildPlacement(a, Nodes(2), params).ok());
  }
}

TEST_CASE("every walk visits every member exactly once, owner first", "[placement]") {
  for (Algorithm a : kAll) {
    INFO(AlgorithmName(a));
    Params params;
    params.table_size = 101;
    auto p = Build(a, Nodes(17), params);
    for (uint64_t i = 0; i < 200; ++i) {
      const uint64_t h = p->HashKey(testing::Key(i));
      std::vector<uint32_t> walk;
      p->Walk(h, [&](uint32_t m) {
        walk.push_back(m);
        return true;
      });
      REQUIRE(walk.size() == 17);
      REQUIRE(walk[0] == p->LocateHash(h));
      REQUIRE(std::set<uint32_t>(walk.begin(), walk.end()).size() == 17);

      int calls = 0;
      p->Walk(h, [&](uint32_t) { return ++calls < 2; });
      REQUIRE(calls == 2);  // stops when told to
    }
  }
}

TEST_CASE("shares sum to 1 and point counts are reported per type", "[placement]") {
  for (Algorithm a : kAll) {
    INFO(AlgorithmName(a));
    auto p = Build(a, Nodes(9));
    const std::vector<double> shares = p->Shares();
    REQUIRE(shares.size() == 9);
    CHECK(std::accumulate(shares.begin(), shares.end(), 0.0) == Approx(1.0).epsilon(1e-9));
    const std::vector<uint64_t> counts = p->PointCounts();
    if (a == Algorithm::kJump || a == Algorithm::kRendezvous) {
      CHECK(counts.empty());
    } else {
      REQUIRE(counts.size() == 9);
      const uint64_t total = std::accumulate(counts.begin(), counts.end(), uint64_t{0});
      CHECK(total == (a == Algorithm::kMaglev ? 65537 : p->points().size()));
    }
    CHECK(p->hash_bits() ==
          (a == Algorithm::kKetama || a == Algorithm::kLibmemcached || a == Algorithm::kNginx
               ? 32
               : 64));
  }
}

TEST_CASE("a single member owns everything", "[placement]") {
  for (Algorithm a : kAll) {
    INFO(AlgorithmName(a));
    auto p = Build(a, {{"solo:11211"}});
    for (uint64_t i = 0; i < 100; ++i) CHECK(p->Locate(testing::Key(i)) == 0);
    CHECK(p->LocateHash(0) == 0);
    CHECK(p->LocateHash(UINT64_MAX) == 0);
    CHECK(p->Shares() == std::vector<double>{1.0});
  }
}

std::vector<Member> Zoned() {
  // 12 members over zones 1..3, four each.
  std::vector<Member> members = Nodes(12);
  for (size_t i = 0; i < members.size(); ++i) members[i].zone = static_cast<uint32_t>(i % 3 + 1);
  return members;
}

TEST_CASE("preference takes distinct zones first, then the rest in walk order",
          "[placement][preference]") {
  for (Algorithm a : kAll) {
    INFO(AlgorithmName(a));
    auto p = Build(a, Zoned());
    for (uint64_t i = 0; i < 300; ++i) {
      const uint64_t h = p->HashKey(testing::Key(i));
      std::vector<uint32_t> walk;
      p->Walk(h, [&](uint32_t m) {
        walk.push_back(m);
        return true;
      });
      for (size_t n : {1, 2, 3, 4, 5, 12, 20}) {
        std::vector<uint32_t> pref = {999};  // Preference appends
        p->Preference(h, n, &pref);
        REQUIRE(pref.front() == 999);
        pref.erase(pref.begin());
        REQUIRE(pref.size() == std::min<size_t>(n, 12));
        REQUIRE(std::set<uint32_t>(pref.begin(), pref.end()).size() == pref.size());
        REQUIRE(pref[0] == p->LocateHash(h));
        // The first min(n, 3) come from distinct zones, in walk order.
        std::set<uint32_t> zones;
        for (size_t k = 0; k < std::min<size_t>(n, 3); ++k) {
          zones.insert(p->members()[pref[k]].zone);
        }
        REQUIRE(zones.size() == std::min<size_t>(n, 3));
        // Expected: the first member of each zone in walk order, then the
        // others in walk order.
        std::vector<uint32_t> expected;
        std::set<uint32_t> seen_zones;
        std::vector<uint32_t> rest;
        for (uint32_t m : walk) {
          if (seen_zones.insert(p->members()[m].zone).second) {
            expected.push_back(m);
          } else {
            rest.push_back(m);
          }
        }
        expected.insert(expected.end(), rest.begin(), rest.end());
        expected.resize(std::min<size_t>(n, 12));
        REQUIRE(pref == expected);
      }
    }
  }
}

TEST_CASE("preference without zones is the walk order", "[placement][preference]") {
  auto p = Build(Algorithm::kRing, Nodes(10));
  for (uint64_t i = 0; i < 100; ++i) {
    const uint64_t h = p->HashKey(testing::Key(i));
    std::vector<uint32_t> walk;
    p->Walk(h, [&](uint32_t m) {
      walk.push_back(m);
      return walk.size() < 4;
    });
    std::vector<uint32_t> pref;
    p->Preference(h, 4, &pref);
    CHECK(pref == walk);
  }
  std::vector<uint32_t> none;
  p->Preference(0, 0, &none);
  CHECK(none.empty());
}

}  // namespace
}  // namespace shardkit::hash
