#include "shardkit/ring/ring_file.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using shardkit::Code;
using shardkit::ring::EditRing;
using shardkit::ring::FormatRing;
using shardkit::ring::LoadRing;
using shardkit::ring::ParseRing;
using shardkit::ring::RingFile;
using shardkit::ring::SaveRing;

namespace {

const char* kGood =
    "shardkit-ring 1\n"
    "# comment\n"
    "algorithm ring vnodes=100 hash=xxh64\n"
    "\n"
    "node a endpoint=tcp://10.0.0.1:7100 weight=1 zone=rack1\n"
    "node b endpoint=tcp://10.0.0.2:7100,ipc:///tmp/b weight=2.5  # trailing comment\n"
    "node c curve-key=rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7 weight=3\n";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/ringtest.XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
};

}  // namespace

TEST_CASE("a well-formed ring file parses") {
  auto r = ParseRing(kGood, "t.ring");
  REQUIRE(r.ok());
  CHECK(r->algorithm == shardkit::hash::Algorithm::kRing);
  CHECK(r->params.vnodes == 100);
  CHECK(r->params.hash == shardkit::hash::HashKind::kXxh64);
  REQUIRE(r->nodes.size() == 3);
  CHECK(r->nodes[0].zone == "rack1");
  CHECK(r->nodes[1].endpoints.size() == 2);
  CHECK(r->nodes[1].weight == 2.5);
  // '#' inside a Z85 key is not a comment.
  CHECK(r->nodes[2].curve_key == "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7");
}

TEST_CASE("format and parse round-trip to the same ring and generation") {
  auto r = ParseRing(kGood, "t.ring");
  REQUIRE(r.ok());
  std::string text = FormatRing(*r);
  auto again = ParseRing(text, "again");
  REQUIRE(again.ok());
  CHECK(FormatRing(*again) == text);
  CHECK(shardkit::ring::Generation(*again) == shardkit::ring::Generation(*r));
  // Any change in membership changes the generation.
  again->nodes[0].weight = 2;
  CHECK(shardkit::ring::Generation(*again) != shardkit::ring::Generation(*r));
}

TEST_CASE("malformed ring files get a precise file:line error and exit 65") {
  struct Case {
    std::string text;
    std::string error;
  };
  const std::string h = "shardkit-ring 1\nalgorithm ring\n";
  const std::vector<Case> cases = {
      {"", "t.ring: empty ring file"},
      {"# only a comment\n", "t.ring: empty ring file"},
      {"shardkit-ring\n", "t.ring:1: expected 'shardkit-ring 1'"},
      {"shardkit-ring 2\n", "t.ring:1: unsupported ring file version '2'"},
      {"shardkit-ring 1 extra\n", "t.ring:1: expected 'shardkit-ring 1'"},
      {"algorithm ring\n", "t.ring:1: not a ring file"},
      {"shardkit-ring 1\n", "t.ring:1: missing 'algorithm' line"},
      {"shardkit-ring 1\nalgorithm ketma\n", "t.ring:2: unknown algorithm 'ketma'"},
      {"shardkit-ring 1\nalgorithm\n", "t.ring:2: 'algorithm' needs a name"},
      {h + "algorithm ring\n", "t.ring:3: duplicate 'algorithm' line"},
      {"shardkit-ring 1\nnode a\n", "t.ring:2: 'node' before the 'algorithm' line"},
      {"shardkit-ring 1\nalgorithm ring vnodes=abc\n", "t.ring:2: vnodes must be a whole number"},
      {"shardkit-ring 1\nalgorithm ring vnodes=0\n", "t.ring:2: vnodes must be at least 1"},
      {"shardkit-ring 1\nalgorithm ring vnodes=-5\n", "t.ring:2: vnodes must be a whole number"},
      {"shardkit-ring 1\nalgorithm ring vnodes=99999999999999999999\n",
       "t.ring:2: vnodes must be a whole number"},
      {"shardkit-ring 1\nalgorithm ring vnodes=200000\n",
       "t.ring:2: vnodes 200000 is larger than 100000"},
      {"shardkit-ring 1\nalgorithm ring vnodes=1 vnodes=2\n",
       "t.ring:2: duplicate parameter 'vnodes'"},
      {"shardkit-ring 1\nalgorithm ring hash=md5\n", "t.ring:2: unknown hash 'md5'"},
      {"shardkit-ring 1\nalgorithm ketama hash=xxh3\n",
       "t.ring:2: unknown parameter 'hash' for algorithm ketama"},
      {"shardkit-ring 1\nalgorithm ketama vnodes=10\n", "t.ring:2: unknown parameter 'vnodes'"},
      {"shardkit-ring 1\nalgorithm maglev table-size=100\n",
       "t.ring:2: table-size 100 is not a prime"},
      {"shardkit-ring 1\nalgorithm maglev table-size=7\nnode a\nnode b\nnode c\nnode d\nnode "
       "e\nnode f\nnode g\nnode h\n",
       "maglev table-size 7 is smaller than the 8 nodes"},
      {"shardkit-ring 1\nalgorithm ring banana\n", "t.ring:2: expected key=value, got 'banana'"},
      {h + "node\n", "t.ring:3: 'node' needs a name"},
      {h + "node a\nnode a\n", "t.ring:4: duplicate node 'a' (first defined on line 3)"},
      {h + "node a weight=0\n", "t.ring:3: weight must be greater than 0"},
      {h + "node a weight=-1\n", "t.ring:3: weight must be greater than 0"},
      {h + "node a weight=abc\n", "t.ring:3: weight must be a number, got 'abc'"},
      {h + "node a weight=nan\n", "t.ring:3: weight must be a number"},
      {h + "node a weight=inf\n", "t.ring:3: weight must be a number"},
      {h + "node a weight=1e300\n", "t.ring:3: weight 1e300 is larger than 1e6"},
      {h + "node a weight=1 weight=2\n", "t.ring:3: duplicate attribute 'weight'"},
      {h + "node a color=red\n", "t.ring:3: unknown node attribute 'color'"},
      {h + "node a zone\n", "t.ring:3: expected key=value, got 'zone'"},
      {h + "node a endpoint=\n", "t.ring:3: empty endpoint"},
      {h + "node a endpoint=http://x:1\n",
       "t.ring:3: malformed endpoint 'http://x:1': expected tcp://"},
      {h + "node a endpoint=tcp://host\n",
       "t.ring:3: malformed endpoint 'tcp://host': missing :PORT"},
      {h + "node a endpoint=tcp://host:0\n", "port must be 1-65535"},
      {h + "node a endpoint=tcp://host:65536\n", "port must be 1-65535"},
      {h + "node a endpoint=tcp://host:12ab\n", "port must be 1-65535"},
      {h + "node a endpoint=tcp://:7100\n", "missing host"},
      {h + "node a endpoint=tcp://::1:7100\n", "an IPv6 address must be in brackets"},
      {h + "node a endpoint=tcp://a:1,,tcp://b:2\n", "t.ring:3: empty endpoint"},
      {h + "node a endpoint=ipc://\n", "empty path"},
      {h + "node a curve-key=short\n",
       "curve-key of node 'a' must be a 40-character Z85 public key"},
      {h + "node a zone=\n", "t.ring:3: empty zone"},
      {h + "node " + std::string(300, 'x') + "\n", "t.ring:3: node name longer than 255 bytes"},
      {h + "node a\xff\n", "t.ring:3: bad character in node name 'a\\xff'"},
      {h + "node a,b\n", "t.ring:3: bad character in node name"},
      {h + "node a=b\n", "t.ring:3: bad character in node name"},
      {h + "node a\x01\n", "t.ring:3: control character in line"},
      {h + std::string("node a\0b\n", 9), "t.ring:3: NUL byte"},
      {h + "nodes a\n", "t.ring:3: unknown directive 'nodes'"},
      {h + "shardkit-ring 1\n", "t.ring:3: duplicate 'shardkit-ring' header"},
      {h + "node a\nalgorithm ring\n", "t.ring:4: duplicate 'algorithm' line"},
      {"shardkit-ring 1\nalgorithm ketama\nnode a weight=1.5\n",
       "t.ring:3: ketama needs whole-number weights"},
      {"shardkit-ring 1\nalgorithm nginx\nnode a weight=0.5\n",
       "t.ring:3: nginx needs whole-number weights"},
  };
  for (const auto& c : cases) {
    INFO("input: " << c.text);
    auto r = ParseRing(c.text, "t.ring");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kDataError);
    CHECK(r.status().exit_code() == 65);
    CHECK_THAT(r.status().message(), Catch::Matchers::Contains(c.error));
  }
}

TEST_CASE("CRLF line endings and tabs are accepted") {
  auto r = ParseRing("shardkit-ring 1\r\nalgorithm\tring\r\nnode\ta\tweight=2\r\n", "t");
  REQUIRE(r.ok());
  CHECK(r->nodes[0].weight == 2);
}

TEST_CASE("an oversized ring file is refused before parsing") {
  std::string big(shardkit::ring::kMaxRingFileBytes + 1, '#');
  auto r = ParseRing(big, "big.ring");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Matchers::Contains("larger than 64 MiB"));
}

TEST_CASE("a missing ring file is exit 66") {
  auto r = LoadRing("/nonexistent/x.ring");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().exit_code() == 66);
}

TEST_CASE("SaveRing writes atomically and leaves no temp file") {
  TempDir d;
  auto r = ParseRing(kGood, "t");
  REQUIRE(r.ok());
  std::string path = d.path + "/c.ring";
  REQUIRE(SaveRing(path, *r).ok());
  CHECK(ReadFile(path) == FormatRing(*r));
  struct stat st;
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(d.path)) {
    (void)e;
    ++entries;
  }
  CHECK(entries == 1);
}

TEST_CASE("an edit keeps the file's mode and goes through a symlink to its target") {
  TempDir d;
  auto r = ParseRing(kGood, "t");
  REQUIRE(r.ok());
  std::string real = d.path + "/real.ring", link = d.path + "/link.ring";
  REQUIRE(SaveRing(real, *r).ok());
  REQUIRE(chmod(real.c_str(), 0600) == 0);
  REQUIRE(symlink("real.ring", link.c_str()) == 0);
  REQUIRE(EditRing(link, [](RingFile* f) {
            f->nodes.pop_back();
            return shardkit::Status::Ok();
          }).ok());
  struct stat st;
  REQUIRE(lstat(link.c_str(), &st) == 0);
  CHECK(S_ISLNK(st.st_mode));
  REQUIRE(stat(real.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto edited = LoadRing(real);
  REQUIRE(edited.ok());
  CHECK(edited->nodes.size() == r->nodes.size() - 1);
}

TEST_CASE("a failed edit leaves the file byte-for-byte untouched") {
  TempDir d;
  std::string path = d.path + "/c.ring";
  {
    std::ofstream out(path);
    out << kGood;
  }
  auto s = EditRing(path, [](RingFile* f) {
    f->nodes.clear();
    return shardkit::Status::DataError("refused");
  });
  CHECK_FALSE(s.ok());
  CHECK(ReadFile(path) == kGood);

  // A malformed file is reported and also left alone.
  std::string bad = std::string(kGood) + "node a\n";
  {
    std::ofstream out(path);
    out << bad;
  }
  s = EditRing(path, [](RingFile*) { return shardkit::Status::Ok(); });
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Matchers::Contains(path + ":8: duplicate node 'a'"));
  CHECK(ReadFile(path) == bad);
}

TEST_CASE("concurrent edits do not lose each other's nodes") {
  TempDir d;
  std::string path = d.path + "/c.ring";
  {
    std::ofstream out(path);
    out << "shardkit-ring 1\nalgorithm ring\n";
  }
  constexpr int kProcs = 8;
  std::vector<pid_t> kids;
  for (int i = 0; i < kProcs; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      auto s = EditRing(path, [i](RingFile* f) {
        f->nodes.push_back({"n" + std::to_string(i), {}, 1, "", ""});
        return shardkit::Status::Ok();
      });
      _exit(s.ok() ? 0 : 1);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  auto r = LoadRing(path);
  REQUIRE(r.ok());
  CHECK(r->nodes.size() == kProcs);
}
