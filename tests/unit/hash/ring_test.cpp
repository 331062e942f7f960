// The native ring: Envoy ring_hash compatibility (envoy.txt), the prefix
// index against plain binary search, point counts, exact shares, balance,
// movement and determinism.
#include <random>
#include <regex>

#include "distribution.h"
#include "shardkit/hash/hash.h"
#include "vectors.h"

namespace shardkit::hash {
namespace {

using testing::Build;
using testing::ContinuumPoint;
using testing::KeyHashes;
using testing::Lines;
using testing::LineStartingWith;
using testing::Measure;
using testing::Nodes;
using testing::NodesWithout;
using testing::PeakToMean;
using testing::ReadVectors;
using testing::Report;
using testing::Words;

std::vector<Member> EnvoyHosts(const std::string& prefix) {
  std::vector<Member> hosts;
  for (int port = 90; port <= 95; ++port) hosts.push_back({prefix + std::to_string(port)});
  return hosts;
}

TEST_CASE("ring with xxh64 and 2 vnodes is Envoy's ring_hash (F)", "[ring][vectors]") {
  const std::string text = ReadVectors("envoy.txt");
  Params params;
  params.hash = HashKind::kXxh64;
  params.vnodes = 2;
  auto p = Build(Algorithm::kRing, EnvoyHosts("127.0.0.1:"), params);

  // The 12 ring entries, in ring order.
  std::vector<std::pair<std::string, uint64_t>> expected;
  const std::regex entry(R"(^  (127\.0\.0\.1:\d+) (\d+)$)");
  for (const std::string& line : Lines(text)) {
    std::smatch m;
    if (std::regex_match(line, m, entry))
      expected.emplace_back(m[1].str(), std::stoull(m[2].str()));
  }
  REQUIRE(expected.size() == 12);
  REQUIRE(p->points().size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("ring entry " << i);
    CHECK(p->points()[i].pos == expected[i].second);
    CHECK(p->members()[p->points()[i].member].name == expected[i].first);
  }

  // lookup(h)->:port, including the wrap and the exact-point cases.
  const std::string lookups = LineStartingWith(text, "lookup(0)");
  const std::regex lookup(R"(lookup\(([^)]+)\)->:(\d+))");
  int n = 0;
  for (std::sregex_iterator it(lookups.begin(), lookups.end(), lookup), end; it != end; ++it, ++n) {
    const std::string arg = (*it)[1].str();
    const uint64_t h = arg == "2^64-1" ? UINT64_MAX : std::stoull(arg);
    INFO((*it)[0].str());
    CHECK(p->members()[p->LocateHash(h)].name == "127.0.0.1:" + (*it)[2].str());
  }
  CHECK(n == 4);

  // use_hostname_for_hashing: the names are just "90".."95".
  auto by_name = Build(Algorithm::kRing, EnvoyHosts(""), params);
  const std::string line = LineStartingWith(text, "ring_hash use_hostname_for_hashing");
  const std::regex pair(R"((\d+):(\d+))");
  size_t i = 0;
  for (std::sregex_iterator it(line.begin(), line.end(), pair), end; it != end; ++it, ++i) {
    INFO((*it)[0].str());
    REQUIRE(i < by_name->points().size());
    CHECK(by_name->points()[i].pos == std::stoull((*it)[2].str()));
    CHECK(by_name->members()[by_name->points()[i].member].name == (*it)[1].str());
  }
  CHECK(i == 3);
}

TEST_CASE("ring points are H(name_i) and keys H(key) for both hash kinds", "[ring]") {
  for (HashKind kind : {HashKind::kXxh3, HashKind::kXxh64}) {
    Params params;
    params.hash = kind;
    params.vnodes = 3;
    auto p = Build(Algorithm::kRing, {{"alpha"}}, params);
    auto h = [kind](const std::string& s) { return kind == HashKind::kXxh3 ? Xxh3(s) : Xxh64(s); };
    std::vector<uint64_t> expected = {h("alpha_0"), h("alpha_1"), h("alpha_2")};
    std::sort(expected.begin(), expected.end());
    REQUIRE(p->points().size() == 3);
    for (size_t i = 0; i < 3; ++i) CHECK(p->points()[i].pos == expected[i]);
    CHECK(p->HashKey("some key") == h("some key"));
    CHECK(p->hash_bits() == 64);
  }
}

TEST_CASE("ring point counts are round(vnodes * weight), never 0", "[ring]") {
  Params params;
  params.vnodes = 10;
  auto p =
      Build(Algorithm::kRing, {{"a", 1}, {"b", 2}, {"c", 0.25}, {"d", 0.001}, {"e", 0.26}}, params);
  CHECK(p->PointCounts() == std::vector<uint64_t>{10, 20, 3, 1, 3});
  CHECK(p->points().size() == 37);
}

TEST_CASE("ring lookups through the prefix index equal a binary search", "[ring]") {
  std::mt19937_64 rng(42);
  for (size_t members : {1, 2, 7, 100, 1000}) {
    for (uint32_t vnodes : {1u, 3u, 160u}) {
      Params params;
      params.vnodes = vnodes;
      std::vector<Member> ms = Nodes(members);
      for (size_t i = 0; i < ms.size(); i += 3) ms[i].weight = 1 + static_cast<double>(i % 5);
      auto p = Build(Algorithm::kRing, ms, params);
      INFO(members << " members, " << vnodes << " vnodes");
      std::vector<uint64_t> probes = {0, 1, UINT64_MAX, UINT64_MAX - 1};
      for (const Point& pt : p->points()) {
        probes.push_back(pt.pos);
        probes.push_back(pt.pos + 1);
        probes.push_back(pt.pos - 1);
      }
      for (int i = 0; i < 20000; ++i) probes.push_back(rng());
      for (uint64_t h : probes) REQUIRE(p->LocateHash(h) == ContinuumPoint(*p, h).member);
    }
  }
}

TEST_CASE("ring shares are exact arc lengths", "[ring]") {
  // One point owns the whole circle, whose length 2^64 does not fit in u64.
  Params one;
  one.vnodes = 1;
  CHECK(Build(Algorithm::kRing, {{"only"}}, one)->Shares() == std::vector<double>{1.0});

  auto p = Build(Algorithm::kRing, {{"a", 1}, {"b", 3}, {"c", 1}});
  const std::vector<double> shares = p->Shares();
  CHECK(std::accumulate(shares.begin(), shares.end(), 0.0) == Approx(1.0).epsilon(1e-12));
  // Independent arc sum in long double, wrap arc included.
  std::vector<long double> arcs(3, 0);
  const auto points = p->points();
  for (size_t i = 1; i < points.size(); ++i)
    arcs[points[i].member] += points[i].pos - points[i - 1].pos;
  arcs[points[0].member] += 18446744073709551616.0L - points.back().pos + points[0].pos;
  for (size_t m = 0; m < 3; ++m) {
    CHECK(shares[m] ==
          Approx(static_cast<double>(arcs[m] / 18446744073709551616.0L)).epsilon(1e-12));
  }
  // And the keys agree with the arcs.
  const auto hashes = KeyHashes(*p, 300000);
  std::vector<double> sampled(3, 0);
  for (uint64_t h : hashes) sampled[p->LocateHash(h)] += 1.0 / hashes.size();
  for (size_t m = 0; m < 3; ++m) CHECK(sampled[m] == Approx(shares[m]).margin(0.005));
  CHECK(shares[1] > 2 * shares[0]);
}

TEST_CASE("ring balance at 100 nodes x 160 vnodes", "[ring][balance]") {
  auto p = Build(Algorithm::kRing, Nodes(100));
  const double peak = PeakToMean(p->Shares());
  Report("ring 100x160 peak/mean (exact shares)", peak, 1.35);
  CHECK(peak <= 1.35);
}

TEST_CASE("ring movement: only keys to or from the changed node move", "[ring][movement]") {
  const size_t n = 100;
  auto base = Build(Algorithm::kRing, Nodes(n));
  const auto hashes = KeyHashes(*base, 1000000);

  auto added = Build(Algorithm::kRing, Nodes(n + 1));
  const auto add = Measure(*base, *added, hashes, "node-100");
  Report("ring add 1 to 100: moved fraction", add.moved, 1.3 / (n + 1));
  CHECK(add.unrelated == 0);
  CHECK(add.moved <= 1.3 / (n + 1));
  // What moved is exactly the new node's arcs.
  CHECK(add.moved == Approx(added->Shares()[n]).margin(0.002));

  auto removed = Build(Algorithm::kRing, NodesWithout(n, 37));
  const auto rm = Measure(*base, *removed, hashes, "node-37");
  Report("ring remove node-37 of 100: moved fraction", rm.moved, 1.3 / n);
  CHECK(rm.unrelated == 0);
  CHECK(rm.moved <= 1.3 / n);
  CHECK(rm.moved == Approx(base->Shares()[37]).margin(0.002));
}

TEST_CASE("ring is deterministic and independent of member order", "[ring]") {
  auto a = Build(Algorithm::kRing, Nodes(50));
  auto b = Build(Algorithm::kRing, Nodes(50));
  REQUIRE(a->points().size() == b->points().size());
  for (size_t i = 0; i < a->points().size(); ++i) {
    REQUIRE(a->points()[i].pos == b->points()[i].pos);
    REQUIRE(a->points()[i].member == b->points()[i].member);
  }
  std::vector<Member> shuffled = Nodes(50);
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(7));
  auto c = Build(Algorithm::kRing, shuffled);
  for (uint64_t i = 0; i < 20000; ++i) {
    const std::string key = testing::Key(i);
    REQUIRE(a->Locate(key) == b->Locate(key));
    REQUIRE(a->members()[a->Locate(key)].name == c->members()[c->Locate(key)].name);
  }
}

TEST_CASE("ring ties between equal points go to the member listed first", "[ring]") {
  // Equal names are the only way to make xxh3 points collide on purpose
  // (so the tie-break by name before index cannot be forced here): every
  // point of the second "twin" ties with one of the first's.
  auto p = Build(Algorithm::kRing, {{"twin"}, {"other"}, {"twin"}});
  CHECK(p->PointCounts()[0] == 160);
  CHECK(p->Shares()[2] == 0);  // the later twin never owns a tied arc
  for (size_t i = 1; i < p->points().size(); ++i) {
    const Point& prev = p->points()[i - 1];
    const Point& cur = p->points()[i];
    if (prev.pos == cur.pos) CHECK(prev.member < cur.member);
  }
}

TEST_CASE("ring walk visits distinct owners clockwise", "[ring]") {
  auto p = Build(Algorithm::kRing, Nodes(20), Params{.vnodes = 4});
  for (uint64_t i = 0; i < 200; ++i) {
    const uint64_t h = p->HashKey(testing::Key(i));
    std::vector<uint32_t> expected;
    const auto points = p->points();
    size_t start = &ContinuumPoint(*p, h) - points.data();
    for (size_t k = 0; k < points.size(); ++k) {
      const uint32_t m = points[(start + k) % points.size()].member;
      if (std::find(expected.begin(), expected.end(), m) == expected.end()) expected.push_back(m);
    }
    std::vector<uint32_t> walk;
    p->Walk(h, [&](uint32_t m) {
      walk.push_back(m);
      return true;
    });
    REQUIRE(walk == expected);
    REQUIRE(walk.size() == 20);
  }
}

}  // namespace
}  // namespace shardkit::hash
