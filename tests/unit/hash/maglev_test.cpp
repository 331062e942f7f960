// Maglev: Envoy's tables (envoy.txt), balance, movement (more than a ring:
// reported and bounded honestly), determinism and walks.
#include <random>
#include <regex>

#include "distribution.h"
#include "shardkit/hash/hash.h"
#include "vectors.h"

namespace shardkit::hash {
namespace {

using testing::Build;
using testing::KeyHashes;
using testing::LineStartingWith;
using testing::Measure;
using testing::Nodes;
using testing::NodesWithout;
using testing::PeakToMean;
using testing::ReadVectors;
using testing::Report;
using testing::SampledPeakToMean;
using testing::Words;

// The table as Envoy's tests print it: the owner of hash i is table[i % M].
std::vector<std::string> Table(const Placement& p, uint32_t table_size, const std::string& strip) {
  std::vector<std::string> names;
  for (uint64_t i = 0; i < table_size; ++i) {
    std::string name = p.members()[p.LocateHash(i)].name;
    names.push_back(name.substr(strip.size()));
  }
  return names;
}

std::vector<std::string> Expected(const std::string& line, const std::string& after,
                                  const std::string& until) {
  const size_t start = line.find(after);
  REQUIRE(start != std::string::npos);
  std::string list = line.substr(start + after.size());
  if (!until.empty()) list = list.substr(0, list.find(until));
  return Words(list);
}

TEST_CASE("maglev builds Envoy's tables (F)", "[maglev][vectors]") {
  const std::string text = ReadVectors("envoy.txt");
  Params params;
  params.table_size = 7;

  std::vector<Member> hosts;
  std::vector<Member> names;
  for (int port = 90; port <= 95; ++port) {
    hosts.push_back({"127.0.0.1:" + std::to_string(port)});
    names.push_back({std::to_string(port)});
  }
  // Envoy sorts hosts by name, so listing them in another order must not matter.
  std::reverse(hosts.begin(), hosts.end());
  auto p = Build(Algorithm::kMaglev, hosts, params);
  CHECK(Table(*p, 7, "127.0.0.1:") ==
        Expected(LineStartingWith(text, "maglev table_size=7, hosts"), "): ", ""));

  auto by_name = Build(Algorithm::kMaglev, names, params);
  CHECK(Table(*by_name, 7, "") ==
        Expected(LineStartingWith(text, "maglev table_size=7, hostnames"), ": ", ""));

  params.table_size = 17;
  auto weighted = Build(Algorithm::kMaglev, {{"127.0.0.1:90", 1}, {"127.0.0.1:91", 2}}, params);
  const std::string line = LineStartingWith(text, "maglev weighted");
  CHECK(Table(*weighted, 17, "127.0.0.1:") == Expected(line, "table_size=17: ", "entries"));
  std::smatch m;
  REQUIRE(std::regex_search(line, m,
                            std::regex(R"('127\.0\.0\.1:90': (\d+), '127\.0\.0\.1:91': (\d+))")));
  CHECK(weighted->PointCounts() ==
        std::vector<uint64_t>{std::stoull(m[1].str()), std::stoull(m[2].str())});
  CHECK(weighted->Shares()[0] == Approx(std::stod(m[1].str()) / 17));
}

TEST_CASE("maglev looks keys up as table[H(key) % M]", "[maglev]") {
  Params params;
  params.table_size = 101;
  auto p = Build(Algorithm::kMaglev, Nodes(10), params);
  for (uint64_t i = 0; i < 1000; ++i) {
    const std::string key = testing::Key(i);
    CHECK(p->HashKey(key) == Xxh3(key));
    CHECK(p->Locate(key) == p->LocateHash(Xxh3(key) % 101));
  }
  params.hash = HashKind::kXxh64;
  CHECK(Build(Algorithm::kMaglev, Nodes(10), params)->HashKey("k") == Xxh64("k"));
}

TEST_CASE("maglev balance at 100 nodes", "[maglev][balance]") {
  auto p = Build(Algorithm::kMaglev, Nodes(100));
  std::vector<double> entries;
  for (uint64_t c : p->PointCounts()) entries.push_back(static_cast<double>(c));
  const double exact = PeakToMean(entries);
  Report("maglev 100 nodes, M=65537 peak/mean (table entries)", exact, 1.02);
  CHECK(exact <= 1.02);
  const double sampled = SampledPeakToMean(*p, KeyHashes(*p, 1000000));
  Report("maglev 100 nodes peak/mean (1M keys)", sampled, 1.05);
  CHECK(sampled <= 1.05);
}

TEST_CASE("maglev movement on adding and removing a node", "[maglev][movement]") {
  const size_t n = 100;
  auto base = Build(Algorithm::kMaglev, Nodes(n));
  const auto hashes = KeyHashes(*base, 1000000);
  // Maglev trades minimal disruption for balance: besides the keys that
  // must move, some shift between unchanged nodes. Bound: 2.5x ideal.
  auto added = Build(Algorithm::kMaglev, Nodes(n + 1));
  const auto add = Measure(*base, *added, hashes, "node-100");
  Report("maglev add 1 to 100: moved fraction", add.moved, 2.5 / (n + 1));
  Report("maglev add 1 to 100: moved between unchanged nodes", add.unrelated, 1.5 / (n + 1));
  CHECK(add.moved <= 2.5 / (n + 1));
  CHECK(add.moved >= 1.0 / (n + 1) * 0.95);
  CHECK(add.unrelated <= 1.5 / (n + 1));

  auto removed = Build(Algorithm::kMaglev, NodesWithout(n, 37));
  const auto rm = Measure(*base, *removed, hashes, "node-37");
  Report("maglev remove node-37 of 100: moved fraction", rm.moved, 2.5 / n);
  Report("maglev remove node-37 of 100: moved between unchanged nodes", rm.unrelated, 1.5 / n);
  CHECK(rm.moved <= 2.5 / n);
  CHECK(rm.unrelated <= 1.5 / n);
}

TEST_CASE("maglev is deterministic and independent of member order", "[maglev]") {
  Params params;
  params.table_size = 1009;
  auto a = Build(Algorithm::kMaglev, Nodes(40), params);
  auto b = Build(Algorithm::kMaglev, Nodes(40), params);
  std::vector<Member> shuffled = Nodes(40);
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(3));
  auto c = Build(Algorithm::kMaglev, shuffled, params);
  for (uint64_t i = 0; i < 1009; ++i) {
    REQUIRE(a->LocateHash(i) == b->LocateHash(i));
    REQUIRE(a->members()[a->LocateHash(i)].name == c->members()[c->LocateHash(i)].name);
  }
}

TEST_CASE("maglev walk: distinct members in table order from the key's entry", "[maglev]") {
  Params params;
  params.table_size = 31;
  auto p = Build(Algorithm::kMaglev, Nodes(5), params);
  for (uint64_t h = 0; h < 100; ++h) {
    std::vector<uint32_t> expected;
    for (uint64_t k = 0; k < 31; ++k) {
      const uint32_t m = p->LocateHash((h + k) % 31);
      if (std::find(expected.begin(), expected.end(), m) == expected.end()) expected.push_back(m);
    }
    std::vector<uint32_t> walk;
    p->Walk(h, [&](uint32_t m) {
      walk.push_back(m);
      return true;
    });
    REQUIRE(walk == expected);
    REQUIRE(walk.size() == 5);
  }
}

}  // namespace
}  // namespace shardkit::hash
