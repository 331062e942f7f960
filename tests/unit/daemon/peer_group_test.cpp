// A Node's peer address may be a replica set, "EP1,EP2" (peer_group.h). A
// coordinator Node routes to fake participant members: it moves past a
// standby's NOT_PRIMARY (which the core never sees) and past a member that
// answers nothing for a second, and its core gets every reply from the
// address exactly as it named the peer. A single endpoint is unchanged: its
// NOT_PRIMARY reaches the core.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "fake_member.h"
#include "shardkit/daemon/node.h"
#include "shardkit/net/client.h"
#include "shardkit/txn/coordinator.h"

using namespace shardkit;
using testing::FakeMember;
using Mode = FakeMember::Mode;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/peer_group_test.XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// A coordinator served by a Node on its own thread, routing each key with
// `route`. It records every message its core is given that is not a SUBMIT
// (those come from clients): the participants' answers.
struct Coordinated {
  TempDir dir;
  std::unique_ptr<daemon::Node> node;
  std::optional<txn::Coordinator> core;
  std::thread thread;
  std::mutex mu;
  std::vector<txn::MessageReceived> answers;  // guarded by mu

  explicit Coordinated(txn::Router route) {
    daemon::NodeOptions o;
    o.role = "txcoord";
    o.data_dir = dir.path;
    o.listen.endpoint = "tcp://127.0.0.1:*";
    o.drain_timeout = std::chrono::milliseconds(200);
    auto n = daemon::Node::Open(std::move(o));
    REQUIRE(n.ok());
    node = std::move(*n);
    txn::CoordinatorOptions co;
    co.tag = "test";
    co.endpoints = {node->listen_endpoint()};
    core.emplace(co, std::move(route));
    node->OnMessage([this](const txn::MessageReceived& m) {
      if (std::holds_alternative<wire::Submit>(m.msg)) return;
      std::lock_guard<std::mutex> lock(mu);
      answers.push_back(m);
    });
    thread = std::thread([this] {
      (void)node->Run([this](const txn::Event& e,
                             std::vector<txn::Action>* out) { return core->Handle(e, out); },
                      [this] { return core->Idle(); });
    });
  }
  ~Coordinated() {
    node->loop().Stop();
    thread.join();
  }

  // Submits put k=v for each key and waits up to `timeout` for the result.
  Result<wire::SubmitResult> Submit(const std::string& txid, std::vector<std::string> keys,
                                    int timeout_ms = 5000) {
    zmq::context_t ctx;
    net::ConnectOptions co;
    co.endpoint = node->listen_endpoint();
    co.timeout = std::chrono::milliseconds(timeout_ms);
    co.retries = 0;
    auto client = net::Client::Connect(ctx, co);
    if (!client.ok()) return client.status();
    wire::Submit submit{txid, {}};
    for (const std::string& k : keys) submit.ops.push_back({wire::OpKind::kPut, k, "v"});
    wire::SubmitResult result;
    SK_RETURN_IF_ERROR(client->Call(submit, &result));
    return result;
  }

  std::vector<txn::MessageReceived> Answers() {
    std::lock_guard<std::mutex> lock(mu);
    return answers;
  }
};

bool IsNotPrimary(const txn::MessageReceived& m) {
  const auto* e = std::get_if<wire::ErrorReply>(&m.msg);
  return e != nullptr && e->code == static_cast<uint16_t>(wire::ErrorCode::kNotPrimary);
}

}  // namespace

TEST_CASE("a node moves a replica set past a standby to the primary", "[daemon]") {
  FakeMember standby(Mode::kStandby), primary(Mode::kPrimary);
  const std::string group = standby.endpoint() + "," + primary.endpoint();
  Coordinated c([group](std::string_view) { return group; });
  auto result = c.Submit("one", {"k"});  // one participant: COMMIT_ONE_PHASE
  REQUIRE(result.ok());
  CHECK(result->outcome == wire::TxOutcome::kCommitted);
  CHECK(standby.requests(wire::MsgType::kCommitOnePhase) >= 1);
  CHECK(primary.requests(wire::MsgType::kCommitOnePhase) >= 1);
  const auto answers = c.Answers();
  REQUIRE_FALSE(answers.empty());
  for (const txn::MessageReceived& m : answers) {
    CHECK(m.from == group);        // as the core named the peer
    CHECK_FALSE(IsNotPrimary(m));  // the group's business, not the core's
  }
  // The group stays with the primary: a second transaction does not touch
  // the standby again.
  const int standby_before = standby.requests();
  auto again = c.Submit("two", {"k"});
  REQUIRE(again.ok());
  CHECK(again->outcome == wire::TxOutcome::kCommitted);
  CHECK(standby.requests() == standby_before);
}

TEST_CASE("two-phase commit runs through replica sets", "[daemon]") {
  FakeMember standby(Mode::kStandby, ""), primary_a(Mode::kPrimary), primary_b(Mode::kPrimary);
  FakeMember hinting(Mode::kStandby, primary_b.endpoint());
  // Shard a: a standby listed first. Shard b: a standby naming its primary,
  // which is listed after another standby that must be skipped.
  const std::string a = standby.endpoint() + "," + primary_a.endpoint();
  FakeMember skipped(Mode::kStandby);
  const std::string b = hinting.endpoint() + "," + skipped.endpoint() + "," + primary_b.endpoint();
  Coordinated c([a, b](std::string_view key) { return key == "a" ? a : b; });
  auto result = c.Submit("2pc", {"a", "b"});
  REQUIRE(result.ok());
  CHECK(result->outcome == wire::TxOutcome::kCommitted);
  CHECK(primary_a.requests(wire::MsgType::kPrepare) >= 1);
  CHECK(primary_b.requests(wire::MsgType::kPrepare) >= 1);
  CHECK(skipped.requests() == 0);
  // COMMIT is sent once the decision is durable; wait for the ACKs.
  for (int i = 0; i < 100 && (primary_a.requests(wire::MsgType::kCommit) == 0 ||
                              primary_b.requests(wire::MsgType::kCommit) == 0);
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(primary_a.requests(wire::MsgType::kCommit) >= 1);
  CHECK(primary_b.requests(wire::MsgType::kCommit) >= 1);
  for (const txn::MessageReceived& m : c.Answers()) {
    CHECK((m.from == a || m.from == b));
    CHECK_FALSE(IsNotPrimary(m));
  }
}

TEST_CASE("a node moves a replica set past a member silent for a second", "[daemon]") {
  FakeMember silent(Mode::kSilent), primary(Mode::kPrimary);
  const std::string group = silent.endpoint() + "," + primary.endpoint();
  Coordinated c([group](std::string_view) { return group; });
  const auto start = std::chrono::steady_clock::now();
  auto result = c.Submit("quiet", {"k"});
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(result.ok());
  CHECK(result->outcome == wire::TxOutcome::kCommitted);
  CHECK(silent.requests() >= 2);  // the first send and resends within the second
  CHECK(primary.requests() >= 1);
  CHECK(took >= std::chrono::seconds(1));  // not before the silence
  for (const txn::MessageReceived& m : c.Answers()) CHECK(m.from == group);
}

TEST_CASE("a single peer endpoint hands NOT_PRIMARY to the core, as before", "[daemon]") {
  FakeMember standby(Mode::kStandby);
  const std::string only = standby.endpoint();
  Coordinated c([only](std::string_view) { return only; });
  auto result = c.Submit("alone", {"k"}, 1000);
  CHECK(result.status().code() == Code::kTemporary);  // never decided
  const auto answers = c.Answers();
  REQUIRE_FALSE(answers.empty());
  for (const txn::MessageReceived& m : answers) {
    CHECK(m.from == only);
    CHECK(IsNotPrimary(m));
  }
  CHECK(standby.requests() >= 2);  // the core keeps resending to the same endpoint
}
