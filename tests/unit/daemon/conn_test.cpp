// daemon::Conn with a replica set's endpoint list: it moves past standbys
// (following their hints), dead and silent members, remembers the member
// that answered, gives up after kRounds visits per member, and keeps the
// 69/75 rule: 69 only when no member could be reached at all.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "fake_member.h"
#include "shardkit/daemon/client.h"

using namespace shardkit;
using testing::FakeMember;
using Mode = FakeMember::Mode;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/conn_test.XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  // An endpoint nobody listens on: connecting to it is refused at once.
  std::string Dead(const std::string& name) const { return "ipc://" + path + "/" + name; }
};

net::ConnectOptions Options(const std::string& list, int timeout_ms = 300, int retries = 0) {
  net::ConnectOptions co;
  co.endpoint = list;
  co.timeout = std::chrono::milliseconds(timeout_ms);
  co.retries = retries;
  return co;
}

std::unique_ptr<daemon::Conn> Open(const net::ConnectOptions& co) {
  auto conn = daemon::Conn::Open(co);
  REQUIRE(conn.ok());
  return std::move(*conn);
}

Status Get(daemon::Conn& conn) {
  wire::GetReply reply;
  Status s = conn.Call(wire::GetRequest{{"k"}}, &reply);
  if (s.ok()) CHECK(reply.reads.size() == 1);
  return s;
}

}  // namespace

TEST_CASE("conn moves from a standby to the primary and stays there", "[daemon]") {
  FakeMember standby(Mode::kStandby), primary(Mode::kPrimary);
  auto conn = Open(Options(standby.endpoint() + "," + primary.endpoint()));
  REQUIRE(Get(*conn).ok());
  CHECK(conn->endpoint() == primary.endpoint());
  CHECK(standby.requests() == 1);
  CHECK(primary.requests() == 1);
  REQUIRE(Get(*conn).ok());  // remembered: straight to the primary
  CHECK(standby.requests() == 1);
  CHECK(primary.requests() == 2);
}

TEST_CASE("conn follows the primary a NOT_PRIMARY names", "[daemon]") {
  FakeMember primary(Mode::kPrimary), other(Mode::kStandby);
  FakeMember hinting(Mode::kStandby, primary.endpoint());
  auto conn = Open(Options(hinting.endpoint() + "," + other.endpoint() + "," + primary.endpoint()));
  REQUIRE(Get(*conn).ok());
  CHECK(hinting.requests() == 1);
  CHECK(other.requests() == 0);  // skipped: the hint pointed past it
  CHECK(primary.requests() == 1);
}

TEST_CASE("conn skips a dead first endpoint", "[daemon]") {
  TempDir dir;
  FakeMember primary(Mode::kPrimary);
  auto conn = Open(Options(dir.Dead("a") + "," + primary.endpoint()));
  REQUIRE(Get(*conn).ok());
  CHECK(conn->endpoint() == primary.endpoint());
  // An admin table through a list, as every admin verb sends it.
  auto table = daemon::CallAdmin(Options(dir.Dead("a") + "," + primary.endpoint()), "status");
  REQUIRE(table.ok());
  CHECK(table->rows == std::vector<std::vector<std::string>>{{primary.endpoint()}});
}

TEST_CASE("conn leaves a member that answers nothing after its retries", "[daemon]") {
  FakeMember silent(Mode::kSilent), primary(Mode::kPrimary);
  auto conn = Open(Options(silent.endpoint() + "," + primary.endpoint(), 200, 1));
  REQUIRE(Get(*conn).ok());
  CHECK(silent.requests() == 2);  // the first try and one resend, then the next member
  CHECK(primary.requests() == 1);
}

TEST_CASE("conn gives up after two rounds of standbys with exit 75", "[daemon]") {
  FakeMember a(Mode::kStandby), b(Mode::kStandby);
  auto conn = Open(Options(a.endpoint() + "," + b.endpoint(), 300, 2));
  Status s = Get(*conn);
  CHECK(s.code() == Code::kTemporary);
  CHECK(s.exit_code() == 75);
  CHECK(s.message().find("not primary") != std::string::npos);
  CHECK(a.requests() == daemon::Conn::kRounds);
  CHECK(b.requests() == daemon::Conn::kRounds);
}

TEST_CASE("conn exits 69 only when no member could be reached", "[daemon]") {
  TempDir dir;
  {
    auto conn = Open(Options(dir.Dead("a") + "," + dir.Dead("b"), 200));
    Status s = Get(*conn);
    CHECK(s.exit_code() == 69);
    CHECK(s.message().find("cannot reach any of") != std::string::npos);
  }
  {
    FakeMember silent(Mode::kSilent);
    auto conn = Open(Options(silent.endpoint() + "," + dir.Dead("b"), 200));
    Status s = Get(*conn);
    CHECK(s.exit_code() == 75);  // reached, never answered
    CHECK(silent.requests() == daemon::Conn::kRounds);
  }
  {
    FakeMember standby(Mode::kStandby);
    auto conn = Open(Options(dir.Dead("a") + "," + standby.endpoint(), 200));
    CHECK(Get(*conn).exit_code() == 75);  // answered, if only NOT_PRIMARY
  }
}

TEST_CASE("conn with one endpoint returns NOT_PRIMARY at once, as before lists", "[daemon]") {
  FakeMember standby(Mode::kStandby);
  auto conn = Open(Options(standby.endpoint(), 300, 2));
  Status s = Get(*conn);
  CHECK(s.code() == Code::kTemporary);
  CHECK(s.message() == standby.endpoint() + ": not primary: this is a standby");
  CHECK(standby.requests() == 1);
}

TEST_CASE("conn refuses a malformed endpoint list", "[daemon]") {
  auto conn = daemon::Conn::Open(Options("tcp://127.0.0.1:1,,tcp://127.0.0.1:2"));
  REQUIRE_FALSE(conn.ok());
  CHECK(conn.status().code() == Code::kUsage);
  CHECK(conn.status().message() ==
        "endpoint list 'tcp://127.0.0.1:1,,tcp://127.0.0.1:2' has an empty item");
}
