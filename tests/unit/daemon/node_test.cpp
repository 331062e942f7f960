// daemon::Node drives a real Participant over loopback: durable direct
// writes, recovery on the same directory, admin requests, the lock, and the
// failpoint names.
#include "shardkit/daemon/node.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <zmq.hpp>

#include "shardkit/daemon/client.h"
#include "shardkit/failpoint/failpoint.h"
#include "shardkit/net/client.h"
#include "shardkit/txn/participant.h"

using namespace shardkit;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/node_test.XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

daemon::NodeOptions Options(const std::string& dir) {
  daemon::NodeOptions o;
  o.role = "txpart";
  o.data_dir = dir;
  o.listen.endpoint = "tcp://127.0.0.1:*";
  o.drain_timeout = std::chrono::milliseconds(200);
  return o;
}

// A participant served by a Node on its own thread until stopped.
struct Served {
  std::unique_ptr<daemon::Node> node;
  txn::Participant core;
  std::thread thread;
  Status result;

  explicit Served(daemon::NodeOptions options) {
    auto n = daemon::Node::Open(std::move(options));
    REQUIRE(n.ok());
    node = std::move(*n);
    node->OnAdmin([this](const wire::AdminRequest& req, daemon::Node::Respond respond) {
      if (req.verb != "keys") return respond(Status::DataError("unknown admin verb " + req.verb));
      respond(wire::AdminReply{{"keys"}, {{std::to_string(core.store().size())}}});
    });
    thread = std::thread([this] {
      result = node->Run([this](const txn::Event& e,
                                std::vector<txn::Action>* out) { return core.Handle(e, out); },
                         [this] { return core.Idle(); });
    });
  }
  ~Served() { Stop(); }
  void Stop() {
    if (!thread.joinable()) return;
    node->loop().Stop();
    thread.join();
  }
  net::ConnectOptions Connect() const {
    net::ConnectOptions co;
    co.endpoint = node->listen_endpoint();
    co.timeout = std::chrono::milliseconds(2000);
    return co;
  }
};

}  // namespace

TEST_CASE("a put is durable across a restart and admin requests are answered", "[daemon]") {
  TempDir dir;
  std::string endpoint;
  {
    Served s(Options(dir.path));
    zmq::context_t ctx;
    auto client = net::Client::Connect(ctx, s.Connect());
    REQUIRE(client.ok());
    for (int i = 0; i < 100; ++i) {
      wire::PutReply reply;
      REQUIRE(
          client->Call(wire::PutRequest{"k" + std::to_string(i), "v" + std::to_string(i)}, &reply)
              .ok());
      CHECK(reply.lsn == uint64_t(i + 1));
      CHECK(s.node->durable_lsn() >= reply.lsn);  // acknowledged only once durable
    }
    auto table = daemon::CallAdmin(s.Connect(), "keys");
    REQUIRE(table.ok());
    CHECK(table->rows == std::vector<std::vector<std::string>>{{"100"}});
    auto bad = daemon::CallAdmin(s.Connect(), "nope");
    CHECK(bad.status().code() == Code::kDataError);
    s.Stop();
    CHECK(s.result.ok());
  }
  Served again(Options(dir.path));
  zmq::context_t ctx;
  auto client = net::Client::Connect(ctx, again.Connect());
  REQUIRE(client.ok());
  wire::GetReply reply;
  REQUIRE(client->Call(wire::GetRequest{{"k0", "k99", "absent"}}, &reply).ok());
  REQUIRE(reply.reads.size() == 3);
  CHECK(reply.reads[0].value == "v0");
  CHECK(reply.reads[1].value == "v99");
  CHECK_FALSE(reply.reads[2].found);
}

TEST_CASE("a second node on the same directory is refused with exit 75", "[daemon]") {
  TempDir dir;
  Served s(Options(dir.path));
  auto second = daemon::Node::Open(Options(dir.path));
  REQUIRE_FALSE(second.ok());
  CHECK(ExitCodeFor(second.status().code()) == 75);
}

TEST_CASE("unknown message types get UNSUPPORTED, the node keeps serving", "[daemon]") {
  TempDir dir;
  Served s(Options(dir.path));
  zmq::context_t ctx;
  auto client = net::Client::Connect(ctx, s.Connect());
  REQUIRE(client.ok());
  auto r = client->Call(wire::MsgType::kLocateRequest, wire::EncodeBody(wire::LocateRequest{}));
  CHECK(r.status().code() == Code::kUnavailable);
  wire::PutReply put;
  CHECK(client->Call(wire::PutRequest{"a", "b"}, &put).ok());
}

TEST_CASE("failpoint names cover forced records and sends of each role", "[daemon]") {
  auto part = daemon::KnownFailpoints("txpart");
  auto has = [](const std::vector<std::string>& v, const char* name) {
    return std::find(v.begin(), v.end(), name) != v.end();
  };
  CHECK(has(part, "txpart.before-prepare-force"));
  CHECK(has(part, "txpart.after-prepare-force"));
  CHECK(has(part, "txpart.before-vote-send"));
  CHECK(has(part, "txpart.after-commit-force"));
  CHECK_FALSE(has(part, "txpart.before-end-force"));
  auto coord = daemon::KnownFailpoints("txcoord");
  CHECK(has(coord, "txcoord.after-commit-force"));
  CHECK(has(coord, "txcoord.before-prepare-send"));
  CHECK(has(coord, "txcoord.after-submit-result-send"));
  CHECK_FALSE(has(coord, "txcoord.before-vote-send"));
}

TEST_CASE("an injected error before a forced record stops the node", "[daemon]") {
  TempDir dir;
  REQUIRE(failpoint::Configure("txpart.before-direct-write-force=error").ok());
  Served s(Options(dir.path));
  zmq::context_t ctx;
  auto co = s.Connect();
  co.timeout = std::chrono::milliseconds(300);
  co.retries = 0;
  auto client = net::Client::Connect(ctx, co);
  REQUIRE(client.ok());
  wire::PutReply put;
  CHECK_FALSE(client->Call(wire::PutRequest{"a", "b"}, &put).ok());  // never acknowledged
  s.thread.join();
  CHECK(s.result.code() == Code::kIoError);
  REQUIRE(failpoint::Configure("").ok());
}
