// nginx `hash $key consistent`: every line of nginx.txt (outputs of a real
// nginx 1.22.1) and the way nginx splits server strings into host and port.
#include <set>

#include "shardkit/hash/hash.h"
#include "vectors.h"

namespace shardkit::hash {
namespace {

using testing::Build;
using testing::Lines;
using testing::ReadVectors;
using testing::Words;

TEST_CASE("nginx reproduces a real nginx's upstream choices (E)", "[nginx][vectors]") {
  const std::string text = ReadVectors("nginx.txt");
  // The upstream blocks the file describes.
  REQUIRE(text.find("'c3' = servers 127.0.0.1:18081, 127.0.0.1:18082, 127.0.0.1:18083 "
                    "(weight 1 each), 'cw' = the same with 127.0.0.1:18083 weight=10") !=
          std::string::npos);
  auto c3 =
      Build(Algorithm::kNginx, {{"127.0.0.1:18081"}, {"127.0.0.1:18082"}, {"127.0.0.1:18083"}});
  auto cw =
      Build(Algorithm::kNginx, {{"127.0.0.1:18081"}, {"127.0.0.1:18082"}, {"127.0.0.1:18083", 10}});
  CHECK(c3->hash_bits() == 32);
  CHECK(c3->PointCounts() == std::vector<uint64_t>{160, 160, 160});
  CHECK(cw->PointCounts() == std::vector<uint64_t>{160, 160, 1600});

  int rows = 0;
  for (const std::string& line : Lines(text)) {
    if (line.empty() || line[0] == '#') continue;
    const auto w = Words(line);
    REQUIRE(w.size() == 3);
    REQUIRE((w[0] == "c3" || w[0] == "cw"));
    const Placement& p = w[0] == "c3" ? *c3 : *cw;
    INFO(line);
    CHECK(p.members()[p.Locate(w[1])].name == "127.0.0.1:" + w[2]);
    ++rows;
  }
  CHECK(rows == 80);
}

// nginx's first point for a server: crc32(HOST "\0" PORT le32(0)).
uint32_t FirstPoint(const std::string& host, const std::string& port) {
  return Crc32(host + std::string(1, '\0') + port + std::string(4, '\0'));
}

TEST_CASE("nginx splits server strings as nginx does", "[nginx]") {
  struct Case {
    std::string server, host, port;
  };
  for (const Case& c :
       {Case{"127.0.0.1:18081", "127.0.0.1", "18081"}, Case{"example.com", "example.com", ""},
        Case{"[::1]:80", "[::1]", "80"}, Case{"unix:/run/app.sock", "/run/app.sock", ""},
        Case{"UNIX:/run/app.sock", "/run/app.sock", ""}, Case{"host:", "host", ""},
        Case{"a:b", "a:b", ""}}) {
    INFO(c.server);
    auto p = Build(Algorithm::kNginx, {{c.server}});
    std::set<uint64_t> points;
    for (const Point& pt : p->points()) points.insert(pt.pos);
    CHECK(points.count(FirstPoint(c.host, c.port)) == 1);
  }
}

TEST_CASE("nginx chains each point on the previous one and drops duplicates", "[nginx]") {
  auto p = Build(Algorithm::kNginx, {{"10.0.0.1:80"}});
  std::set<uint64_t> expected;
  uint32_t prev = 0;
  for (int j = 0; j < 160; ++j) {
    const char le[4] = {static_cast<char>(prev), static_cast<char>(prev >> 8),
                        static_cast<char>(prev >> 16), static_cast<char>(prev >> 24)};
    prev = Crc32(std::string("10.0.0.1") + '\0' + "80" + std::string(le, 4));
    expected.insert(prev);
  }
  std::set<uint64_t> got;
  for (const Point& pt : p->points()) got.insert(pt.pos);
  CHECK(got == expected);
  CHECK(p->points().size() == expected.size());  // no duplicates kept

  // Two members with the same host and port produce identical points; nginx
  // keeps one of each pair, here the first member's.
  auto twins = Build(Algorithm::kNginx, {{"10.0.0.1:80"}, {"10.0.0.1:80"}});
  CHECK(twins->points().size() == 160);
  CHECK(twins->PointCounts() == std::vector<uint64_t>{160, 0});
  CHECK(twins->Shares()[1] == 0);
}

}  // namespace
}  // namespace shardkit::hash
