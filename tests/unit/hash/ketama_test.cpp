// ketama: bit-exact libketama (ketama.txt A1-A5, D, and the float quirk of
// quirks.txt H), read from the vector files at test time.
#include <cinttypes>
#include <cstdio>
#include <map>
#include <regex>
#include <set>

#include "shardkit/hash/hash.h"
#include "vectors.h"

namespace shardkit::hash {
namespace {

using testing::Build;
using testing::ContinuumPoint;
using testing::Lines;
using testing::LineStartingWith;
using testing::ReadVectors;
using testing::Section;
using testing::Words;

std::string Hex(const std::array<uint8_t, 16>& d) {
  std::string s;
  char buf[3];
  for (uint8_t b : d) {
    std::snprintf(buf, sizeof(buf), "%02x", b);
    s += buf;
  }
  return s;
}

// The "addr weight" server list of section A1.
std::vector<Member> A1Servers(const std::string& text) {
  std::vector<Member> members;
  for (const std::string& line : Section(text, "## A1.")) {
    const auto w = Words(line);
    if (w.size() == 2 && w[0].find(':') != std::string::npos &&
        w[1].find_first_not_of("0123456789") == std::string::npos) {
      members.push_back({w[0], std::stod(w[1])});
    }
  }
  REQUIRE(members.size() == 8);
  return members;
}

// ketama_test's output for keys [0, n): "%u %u %s\n" of key hash, point and
// server, after the line ketama_error() printed (empty).
std::string KetamaTestOutput(const Placement& p, uint32_t n, int* mismatches) {
  std::string out = "\n";
  out.reserve(size_t{n} * 36);
  char line[64];
  for (uint32_t i = 0; i < n; ++i) {
    const std::string key = std::to_string(i);
    const uint64_t h = p.HashKey(key);
    const Point& point = ContinuumPoint(p, h);
    if (p.LocateHash(h) != point.member) ++*mismatches;
    const int len = std::snprintf(line, sizeof(line), "%" PRIu64 " %" PRIu64 " ", h, point.pos);
    out.append(line, len).append(p.members()[point.member].name).push_back('\n');
  }
  return out;
}

TEST_CASE("ketama reproduces libketama's 1,000,000-key self-test (A1)", "[ketama][vectors]") {
  const std::string text = ReadVectors("ketama.txt");
  auto p = Build(Algorithm::kKetama, A1Servers(text));
  REQUIRE(p->hash_bits() == 32);

  // Continuum size and points per server, floorf quirk included.
  std::smatch m;
  const std::string size_line = LineStartingWith(text, "continuum size =");
  REQUIRE(std::regex_search(size_line, m, std::regex(R"(= (\d+) points)")));
  CHECK(p->points().size() == std::stoul(m[1].str()));
  const std::vector<uint64_t> counts = p->PointCounts();
  std::map<std::string, uint64_t> by_host;
  for (size_t i = 0; i < p->size(); ++i) {
    by_host[p->members()[i].name.substr(0, p->members()[i].name.find(':'))] = counts[i];
  }
  const std::regex count_re(R"((\d+\.\d+\.\d+\.\d+)=(\d+))");
  int listed = 0;
  for (std::sregex_iterator it(size_line.begin(), size_line.end(), count_re), end; it != end;
       ++it, ++listed) {
    INFO((*it)[0].str());
    CHECK(by_host[(*it)[1].str()] == std::stoull((*it)[2].str()));
  }
  CHECK(listed == 8);
  for (const Point& pt : p->points()) REQUIRE(pt.pos <= UINT32_MAX);

  int mismatches = 0;
  const std::string out = KetamaTestOutput(*p, 1000000, &mismatches);
  CHECK(mismatches == 0);
  REQUIRE(std::regex_search(text, m, std::regex(R"(md5\(whole output\) = ([0-9a-f]{32}))")));
  CHECK(Hex(Md5(out)) == m[1].str());

  // A2: MediaWiki's md5 of the output for keys 0..999.
  REQUIRE(std::regex_search(text, m, std::regex(R"(keys 0\.\.999\) = ([0-9a-f]{32}))")));
  CHECK(Hex(Md5(KetamaTestOutput(*p, 1000, &mismatches))) == m[1].str());
  CHECK(mismatches == 0);
}

TEST_CASE("ketama reproduces the first 100 lines of libketama's test (A2)", "[ketama][vectors]") {
  const std::string text = ReadVectors("ketama.txt");
  auto p = Build(Algorithm::kKetama, A1Servers(text));
  int lines = 0;
  for (const std::string& line : Section(text, "## A2.")) {
    if (line.empty() || line[0] == '#') continue;
    const auto w = Words(line);
    REQUIRE(w.size() == 4);
    INFO(line);
    const uint64_t h = p->HashKey(w[0]);
    CHECK(h == std::stoull(w[1]));
    CHECK(ContinuumPoint(*p, h).pos == std::stoull(w[2]));
    CHECK(p->members()[p->Locate(w[0])].name == w[3]);
    ++lines;
  }
  CHECK(lines == 100);
}

TEST_CASE("ketama matches python_ketama, node-hashring and wrighty/ketama (A3-A5)",
          "[ketama][vectors]") {
  const std::string text = ReadVectors("ketama.txt");
  std::smatch m;

  SECTION("A3: python_ketama") {
    auto p = Build(Algorithm::kKetama, {{"127.0.0.1:11211", 600}, {"127.0.0.1:11212", 400}});
    REQUIRE(std::regex_search(text, m, std::regex(R"(hashi\("test"\) = (\d+))")));
    CHECK(p->HashKey("test") == std::stoull(m[1].str()));
    REQUIRE(
        std::regex_search(text, m, std::regex(R"(get_server\("test"\) = \((\d+), ([0-9.:]+)\))")));
    CHECK(ContinuumPoint(*p, p->HashKey("test")).pos == std::stoull(m[1].str()));
    CHECK(p->members()[p->Locate("test")].name == m[2].str());
    REQUIRE(std::regex_search(text, m, std::regex(R"(len\(points\) = (\d+))")));
    CHECK(p->points().size() == std::stoull(m[1].str()));
  }

  SECTION("A4: node-hashring") {
    const std::vector<std::string> servers =
        Words(LineStartingWith(text, "servers (weight 1 each):").substr(24));
    std::vector<Member> members;
    for (const std::string& s : servers) {
      if (s.find(':') != std::string::npos) members.push_back({s});
    }
    REQUIRE(members.size() == 3);
    auto p = Build(Algorithm::kKetama, members);
    CHECK(p->points().size() == 480);
    const std::regex row(R"((\w+) +-> ([0-9.:]+) +\(keyhash (\d+), point (\d+)\))");
    int rows = 0;
    for (std::sregex_iterator it(text.begin(), text.end(), row), end; it != end; ++it, ++rows) {
      INFO((*it)[0].str());
      const uint64_t h = p->HashKey((*it)[1].str());
      CHECK(h == std::stoull((*it)[3].str()));
      CHECK(ContinuumPoint(*p, h).pos == std::stoull((*it)[4].str()));
      CHECK(p->members()[p->LocateHash(h)].name == (*it)[2].str());
    }
    CHECK(rows == 2);
  }

  SECTION("A5: wrighty/ketama") {
    const std::string line = LineStartingWith(text, "hosts host1,host2");
    auto equal = Build(Algorithm::kKetama, {{"host1"}, {"host2"}});
    REQUIRE(line.find(R"("Hello World!" -> host1)") != std::string::npos);
    REQUIRE(line.find(R"("Hello World" -> host2)") != std::string::npos);
    CHECK(equal->members()[equal->Locate("Hello World!")].name == "host1");
    CHECK(equal->members()[equal->Locate("Hello World")].name == "host2");
    REQUIRE(line.find(R"(weights host1=79 host2=1: "Hello World!" -> host1)") != std::string::npos);
    auto weighted = Build(Algorithm::kKetama, {{"host1", 79}, {"host2", 1}});
    CHECK(weighted->members()[weighted->Locate("Hello World!")].name == "host1");
  }
}

TEST_CASE("ketama names servers 'addr-k' unlike libmemcached (D, libketama column)",
          "[ketama][vectors]") {
  const std::string text = ReadVectors("libmemcached.txt");
  auto p = Build(Algorithm::kKetama, {{"10.0.0.1:11211"}, {"10.0.0.2:11211"}, {"10.0.0.3:11211"}});
  int rows = 0;
  for (const std::string& line : Section(text, "## D.")) {
    if (line.empty() || line[0] != '"') continue;
    const size_t close = line.find('"', 1);
    const std::string key = line.substr(1, close - 1);
    const auto cols = Words(line.substr(close + 1));  // | memcached | libketama
    REQUIRE(cols.size() == 4);
    INFO(line);
    CHECK(p->members()[p->Locate(key)].name == cols[3] + ":11211");
    ++rows;
  }
  CHECK(rows == 9);
}

// The n-list after `marker` in quirks.txt, up to the first '('.
std::set<uint64_t> QuirkList(const std::string& marker) {
  const std::string text = ReadVectors("quirks.txt");
  const size_t at = text.find(marker);
  REQUIRE(at != std::string::npos);
  std::string rest = text.substr(at + marker.size());
  rest = rest.substr(0, rest.find_first_of("(\n"));
  const auto words = Words(rest);
  std::set<uint64_t> ns;
  for (const std::string& w : words) {
    if (w == "#") continue;
    ns.insert(std::stoull(w));
  }
  REQUIRE(ns.size() > 10);
  return ns;
}

TEST_CASE("ketama's floorf quirk gives 156 points for exactly the listed n (H)",
          "[ketama][vectors]") {
  const std::set<uint64_t> expected = QuirkList("floorf(pct*40.0*n): 156 points for n =");
  std::set<uint64_t> got;
  for (uint64_t n = 1; n <= 5000; ++n) {
    const uint32_t digests = KetamaDigestCount(1, static_cast<double>(n), n);
    REQUIRE((digests == 40 || digests == 39));
    if (digests == 39) got.insert(n);
  }
  CHECK(got == expected);

  // The placement uses that count: 61 equal servers get 39 digests each.
  std::vector<Member> members;
  for (int i = 0; i < 61; ++i) members.push_back({"10.1.0." + std::to_string(i) + ":11211"});
  auto p = Build(Algorithm::kKetama, members);
  for (uint64_t c : p->PointCounts()) CHECK(c == 156);
  CHECK(KetamaDigestCount(1, 60, 60) == 40);
}

TEST_CASE("ketama gives a tiny weight no points, and it owns nothing", "[ketama]") {
  auto p = Build(Algorithm::kKetama, {{"a:1", 1000}, {"b:1", 1000}, {"tiny:1", 1}});
  const auto counts = p->PointCounts();
  CHECK(counts[2] == 0);
  CHECK(p->Shares()[2] == 0);
  std::vector<uint32_t> walk;
  p->Walk(p->HashKey("x"), [&](uint32_t m) {
    walk.push_back(m);
    return true;
  });
  REQUIRE(walk.size() == 3);
  CHECK(walk.back() == 2);  // members without points come last
}

}  // namespace
}  // namespace shardkit::hash
