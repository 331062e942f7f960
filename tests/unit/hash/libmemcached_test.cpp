// libmemcached KETAMA_WEIGHTED: bit-exact against libmemcached's own ketama
// fixture (libmemcached.txt B1, all 99 keys with key hash and point), the
// derived naming table D, and the float point-count quirk (quirks.txt H).
#include <regex>
#include <set>

#include "shardkit/hash/hash.h"
#include "vectors.h"

namespace shardkit::hash {
namespace {

using testing::Build;
using testing::ContinuumPoint;
using testing::LineStartingWith;
using testing::ReadVectors;
using testing::Section;
using testing::Words;

// The fixture writes keys as C string literals.
std::string Unescape(const std::string& literal) {
  std::string out;
  for (size_t i = 0; i < literal.size(); ++i) {
    if (literal[i] != '\\') {
      out += literal[i];
      continue;
    }
    REQUIRE(i + 1 < literal.size());
    const char c = literal[++i];
    INFO("escape \\" << c << " in " << literal);
    REQUIRE((c == '\\' || c == '"' || c == '\''));
    out += c;
  }
  return out;
}

std::vector<std::string> SplitBars(const std::string& line) {
  std::vector<std::string> cols;
  size_t start = 0;
  for (size_t bar; (bar = line.find(" | ", start)) != std::string::npos; start = bar + 3) {
    cols.push_back(line.substr(start, bar - start));
  }
  cols.push_back(line.substr(start));
  return cols;
}

// "# servers: 10.0.1.1:11211 600,10.0.1.2:11211 300,..."
std::vector<Member> B1Servers(const std::string& text) {
  std::string list = LineStartingWith(text, "# servers:").substr(10);
  std::vector<Member> members;
  std::replace(list.begin(), list.end(), ',', ' ');
  const auto words = Words(list);
  for (size_t i = 0; i + 1 < words.size(); i += 2) {
    members.push_back({words[i], std::stod(words[i + 1])});
  }
  REQUIRE(members.size() == 8);
  return members;
}

std::string Host(const std::string& name) { return name.substr(0, name.rfind(':')); }

TEST_CASE("libmemcached reproduces its ketama fixture: hash, point, server (B1)",
          "[libmemcached][vectors]") {
  const std::string text = ReadVectors("libmemcached.txt");
  const std::vector<Member> servers = B1Servers(text);
  auto p = Build(Algorithm::kLibmemcached, servers);
  auto libketama = Build(Algorithm::kKetama, servers);
  REQUIRE(p->hash_bits() == 32);

  int rows = 0;
  int same_under_libketama = 0;
  for (const std::string& line : Section(text, "## B1.")) {
    if (line.empty() || line[0] == '#') continue;
    const auto cols = SplitBars(line);
    REQUIRE(cols.size() == 4);
    const std::string key = Unescape(cols[0]);
    INFO(line << "  (key " << key << ")");
    const uint64_t h = p->HashKey(key);
    CHECK(h == std::stoull(cols[1]));
    CHECK(ContinuumPoint(*p, h).pos == std::stoull(cols[2]));
    CHECK(Host(p->members()[p->LocateHash(h)].name) == cols[3]);
    if (Host(libketama->members()[libketama->Locate(key)].name) == cols[3]) {
      ++same_under_libketama;
    }
    ++rows;
  }
  CHECK(rows == 99);
  // The fixture's note: libketama's "addr:port-k" strings agree on 19 keys.
  std::smatch m;
  REQUIRE(std::regex_search(text, m, std::regex(R"(only (\d+)/99 of these keys)")));
  CHECK(same_under_libketama == std::stoi(m[1].str()));

  // The wrap case: a hash above the last point goes to continuum[0].
  const std::string wrap = LineStartingWith(text, "# VDEAAAAA hashes to");
  REQUIRE(std::regex_search(
      wrap, m, std::regex(R"(0x([0-9a-f]+) \(> last point 0x([0-9a-f]+)\).*server ([0-9.]+))")));
  const uint64_t h = p->HashKey("VDEAAAAA");
  CHECK(h == std::stoull(m[1].str(), nullptr, 16));
  CHECK(p->points().back().pos == std::stoull(m[2].str(), nullptr, 16));
  CHECK(p->LocateHash(h) == p->points().front().member);
  CHECK(Host(p->members()[p->LocateHash(h)].name) == m[3].str());
}

TEST_CASE("libmemcached drops the default port from point strings (D)", "[libmemcached][vectors]") {
  const std::string text = ReadVectors("libmemcached.txt");
  auto p =
      Build(Algorithm::kLibmemcached, {{"10.0.0.1:11211"}, {"10.0.0.2:11211"}, {"10.0.0.3:11211"}});
  int rows = 0;
  for (const std::string& line : Section(text, "## D.")) {
    if (line.empty() || line[0] != '"') continue;
    const size_t close = line.find('"', 1);
    const std::string key = line.substr(1, close - 1);
    const auto cols = Words(line.substr(close + 1));  // | memcached | libketama
    REQUIRE(cols.size() == 4);
    INFO(line);
    CHECK(Host(p->members()[p->Locate(key)].name) == cols[1]);
    ++rows;
  }
  CHECK(rows == 9);
}

// The four little-endian points of md5(s), sorted.
std::vector<uint64_t> DigestPoints(const std::string& s) {
  const auto d = Md5(s);
  std::vector<uint64_t> points;
  for (int h = 0; h < 4; ++h) {
    points.push_back(static_cast<uint32_t>(d[4 * h]) | static_cast<uint32_t>(d[4 * h + 1]) << 8 |
                     static_cast<uint32_t>(d[4 * h + 2]) << 16 |
                     static_cast<uint32_t>(d[4 * h + 3]) << 24);
  }
  return points;
}

TEST_CASE("libmemcached point strings: 'host-k', 'host:port-k', bare names", "[libmemcached]") {
  struct Case {
    std::string name;
    std::string first_string;  // the string hashed for digest 0
  };
  for (const Case& c :
       {Case{"10.0.0.1:11211", "10.0.0.1-0"}, Case{"10.0.0.1:11212", "10.0.0.1:11212-0"},
        Case{"cache.local", "cache.local-0"}, Case{"h:011211", "h-0"}}) {
    INFO(c.name);
    auto p = Build(Algorithm::kLibmemcached, {{c.name}});
    std::set<uint64_t> points;
    for (const Point& pt : p->points()) points.insert(pt.pos);
    for (uint64_t expected : DigestPoints(c.first_string)) CHECK(points.count(expected) == 1);
  }
}

TEST_CASE("libmemcached's float formula gives 156 points for exactly the listed n (H)",
          "[libmemcached][vectors]") {
  const std::string text = ReadVectors("quirks.txt");
  const std::string line =
      LineStartingWith(text, "# equal weights:") + "\n";  // the list is on the next line
  const size_t at = text.find(line);
  std::string list = text.substr(at + line.size());
  list = list.substr(0, list.find('('));
  std::set<uint64_t> expected;
  for (const std::string& w : Words(list)) {
    if (w != "#") expected.insert(std::stoull(w));
  }
  std::smatch m;
  REQUIRE(std::regex_search(text, m, std::regex(R"(\(n<=1000; (\d+) of n<=5000\))")));
  const size_t expected_to_5000 = std::stoul(m[1].str());

  std::set<uint64_t> got;
  size_t got_to_5000 = 0;
  for (uint64_t n = 1; n <= 5000; ++n) {
    const uint32_t digests = LibmemcachedDigestCount(1, static_cast<double>(n), n);
    REQUIRE((digests == 40 || digests == 39));
    if (digests == 39) {
      ++got_to_5000;
      if (n <= 1000) got.insert(n);
    }
  }
  CHECK(got == expected);
  CHECK(got_to_5000 == expected_to_5000);

  // The placement uses that count: 25 equal servers get 156 points each.
  std::vector<Member> members;
  for (int i = 0; i < 25; ++i) members.push_back({"10.1.0." + std::to_string(i) + ":11211"});
  auto p = Build(Algorithm::kLibmemcached, members);
  for (uint64_t c : p->PointCounts()) CHECK(c == 156);
}

}  // namespace
}  // namespace shardkit::hash
