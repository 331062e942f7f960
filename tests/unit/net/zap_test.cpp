// CURVE listening sockets and the supervised ZAP handler, over loopback TCP.
#include "shardkit/net/zap.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "../temp_dir.h"
#include "shardkit/net/client.h"
#include "shardkit/net/curve.h"
#include "shardkit/net/listen.h"
#include "shardkit/net/loop.h"
#include "shardkit/net/server.h"
#include "shardkit/net/socket.h"

using shardkit::Code;
using shardkit::Status;
using namespace shardkit::net;
using namespace shardkit::wire;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

using testutil::TempDir;

// Runs a Server on `socket` in its own thread until destroyed.
class ServerThread {
 public:
  ServerThread(zmq::socket_t socket, Server::Handler handler)
      : socket_(std::move(socket)), handler_(std::move(handler)), thread_([this] { Run(); }) {}
  ~ServerThread() {
    loop_.Stop();
    thread_.join();
  }

 private:
  void Run() {
    Server server(socket_, handler_);
    loop_.AddSocket(socket_, [&] {
      if (Status s = server.ServePending(); !s.ok()) loop_.Stop(s);
    });
    (void)loop_.Run();
  }

  zmq::socket_t socket_;
  Server::Handler handler_;
  EventLoop loop_;
  std::thread thread_;
};

Server::HandlerResult Echo(const Header& header, std::string_view body) {
  return std::pair{header.type, std::string(body)};
}

// Collects ZAP events from the handler's threads.
class EventLog {
 public:
  ZapHandler::LogFn Fn() {
    return [this](const ZapEvent& e) {
      std::lock_guard lock(mu_);
      events_.push_back(e);
    };
  }
  std::vector<ZapEvent> Take() {
    std::lock_guard lock(mu_);
    return std::exchange(events_, {});
  }
  // Waits (up to 2 s) for an event of `kind`; returns it, or a default one.
  ZapEvent WaitFor(ZapEvent::Kind kind) {
    const auto deadline = Clock::now() + 2s;
    while (Clock::now() < deadline) {
      {
        std::lock_guard lock(mu_);
        for (const ZapEvent& e : events_) {
          if (e.kind == kind) return e;
        }
      }
      std::this_thread::sleep_for(5ms);
    }
    return ZapEvent{ZapEvent::Kind::kAllow, "", "", "", "", "<no such event>"};
  }

 private:
  std::mutex mu_;
  std::vector<ZapEvent> events_;  // guarded by mu_
};

// A CURVE server (keys and allow list written to a temp dir) and a client
// keypair that it allows.
struct CurveFixture {
  TempDir dir;
  Keypair server = *GenerateKeypair();
  Keypair client = *GenerateKeypair();
  std::string server_secret = dir / "server.secret";
  std::string client_secret = dir / "client.secret";
  std::string allow = dir / "allow";

  CurveFixture() {
    REQUIRE(WriteKeypair(dir / "server", server).ok());
    REQUIRE(WriteKeypair(dir / "client", client).ok());
    std::ofstream(allow) << "# the one client\n" << client.public_z85 << "\n";
  }
  ListenOptions Listening() const { return {"tcp://127.0.0.1:*", server_secret, allow, false}; }
  ConnectOptions Connecting(const std::string& endpoint, std::chrono::milliseconds timeout) const {
    ConnectOptions o;
    o.endpoint = endpoint;
    o.server_key = server.public_z85;
    o.curve_secret_file = client_secret;
    o.timeout = timeout;
    o.retries = 0;
    return o;
  }
};

Status Ping(zmq::context_t& context, const ConnectOptions& options) {
  auto client = Client::Connect(context, options);
  if (!client.ok()) return client.status();
  auto reply = client->Call(MsgType::kLocateRequest, "ping");
  if (!reply.ok()) return reply.status();
  return reply->body() == "ping" ? Status::Ok() : Status::Internal("wrong echo");
}

}  // namespace

TEST_CASE("a CURVE server serves allowed keys and refuses everyone else", "[net][curve][zap]") {
  CurveFixture f;
  zmq::context_t context;
  EventLog log;
  auto zap = ZapHandler::Start(context, log.Fn());
  REQUIRE(zap.ok());
  {
    auto socket = Listen(context, f.Listening(), zmq::socket_type::router, &*zap);
    REQUIRE(socket.ok());
    const std::string endpoint = *LastEndpoint(*socket);
    ServerThread server(std::move(*socket), Echo);

    SECTION("an allowed client key is served") {
      const Status s = Ping(context, f.Connecting(endpoint, 2000ms));
      INFO(s.message());
      CHECK(s.ok());
      const ZapEvent allowed = log.WaitFor(ZapEvent::Kind::kAllow);
      CHECK(allowed.mechanism == "CURVE");
      CHECK(allowed.client_key == f.client.public_z85);
      CHECK(allowed.address == "127.0.0.1");
    }

    SECTION("an unknown client key gets no reply") {
      ConnectOptions o = f.Connecting(endpoint, 300ms);
      o.curve_secret_file.clear();  // an ephemeral key nobody allowed
      const Status s = Ping(context, o);
      CHECK(s.code() == Code::kTemporary);
      CHECK(s.message() == "no reply from " + endpoint + ": timed out after 1 try");
      const ZapEvent denied = log.WaitFor(ZapEvent::Kind::kDeny);
      CHECK(denied.reason == "client key not in allow list");
      CHECK(denied.client_key != f.client.public_z85);
    }

    SECTION("a plaintext client gets no reply") {
      ConnectOptions o;
      o.endpoint = endpoint;
      o.timeout = 300ms;
      o.retries = 0;
      const Status s = Ping(context, o);
      CHECK(s.code() == Code::kTemporary);
    }
  }
}

TEST_CASE("the ZAP handler refuses non-CURVE mechanisms and unknown domains", "[net][zap]") {
  CurveFixture f;
  zmq::context_t context;
  EventLog log;
  auto zap = ZapHandler::Start(context, log.Fn());
  REQUIRE(zap.ok());
  auto domain = zap->AddCurveDomain({f.client.public_z85});
  REQUIRE(domain.ok());

  auto socket = MakeSocket(context, zmq::socket_type::router);
  REQUIRE(socket.ok());
  ConnectOptions client;
  std::string zap_domain;
  std::string reason;
  SECTION("a plaintext socket placed in a CURVE domain") {
    // libzmq asks the handler about NULL-mechanism peers when the socket
    // has a ZAP domain; a CURVE domain must say no.
    zap_domain = *domain;
    reason = "mechanism NULL refused: CURVE required";
  }
  SECTION("a CURVE socket in a domain the handler does not know") {
    socket->set(zmq::sockopt::curve_server, 1);
    socket->set(zmq::sockopt::curve_secretkey, f.server.secret_z85);
    zap_domain = "no-such-domain";
    client = f.Connecting("", 300ms);
    reason = "unknown ZAP domain 'no-such-domain'";
  }
  socket->set(zmq::sockopt::zap_domain, zap_domain);
  REQUIRE(BindEndpoint(*socket, "tcp://127.0.0.1:*").ok());
  client.endpoint = *LastEndpoint(*socket);
  client.timeout = 300ms;
  client.retries = 0;
  {
    ServerThread server(std::move(*socket), Echo);
    CHECK(Ping(context, client).code() == Code::kTemporary);
  }
  const ZapEvent denied = log.WaitFor(ZapEvent::Kind::kDeny);
  CHECK(denied.domain == zap_domain);
  CHECK(denied.reason == reason);
  for (const ZapEvent& e : log.Take()) CHECK(e.kind == ZapEvent::Kind::kDeny);
}

TEST_CASE("a dead ZAP worker is restarted and handshakes still complete", "[net][zap]") {
  CurveFixture f;
  zmq::context_t context;
  EventLog log;
  auto zap = ZapHandler::Start(context, log.Fn());
  REQUIRE(zap.ok());
  {
    auto socket = Listen(context, f.Listening(), zmq::socket_type::router, &*zap);
    REQUIRE(socket.ok());
    const std::string endpoint = *LastEndpoint(*socket);
    ServerThread server(std::move(*socket), Echo);
    REQUIRE(Ping(context, f.Connecting(endpoint, 2000ms)).ok());

    // Kill the worker and connect at once: the handshake's ZAP request waits
    // in the still-bound socket and is answered by the restarted worker.
    zap->KillWorkerForTesting();
    const Status s = Ping(context, f.Connecting(endpoint, 3000ms));
    INFO(s.message());
    CHECK(s.ok());
    CHECK(zap->restarts() == 1);
    const ZapEvent restart = log.WaitFor(ZapEvent::Kind::kRestart);
    CHECK(restart.reason == "ZAP worker died: killed by test hook");

    // And it still refuses unknown keys after the restart.
    ConnectOptions o = f.Connecting(endpoint, 300ms);
    o.curve_secret_file.clear();
    CHECK(Ping(context, o).code() == Code::kTemporary);

    // Repeated deaths keep being repaired.
    zap->KillWorkerForTesting();
    const auto deadline = Clock::now() + 2s;
    while (zap->restarts() < 2 && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
    CHECK(zap->restarts() == 2);
    CHECK(Ping(context, f.Connecting(endpoint, 3000ms)).ok());
  }
}

TEST_CASE("CURVE listen options are checked before binding", "[net][curve][zap]") {
  CurveFixture f;
  zmq::context_t context;
  auto zap = ZapHandler::Start(context);
  REQUIRE(zap.ok());

  // One handler per context.
  auto second = ZapHandler::Start(context);
  CHECK(second.status().code() == Code::kConfig);

  ListenOptions o = f.Listening();
  o.allow.clear();
  auto no_allow = Listen(context, o, zmq::socket_type::router, &*zap);
  CHECK(no_allow.status().code() == Code::kUsage);
  CHECK(no_allow.status().message() ==
        "--curve-secret needs --allow FILE|DIR: without it any client key would be accepted");

  o = f.Listening();
  o.curve_secret_file.clear();
  CHECK(Listen(context, o, zmq::socket_type::router, &*zap).status().message() ==
        "--allow needs --curve-secret: client keys are only checked with CURVE");

  o = f.Listening();
  CHECK(Listen(context, o, zmq::socket_type::router, nullptr).status().code() == Code::kInternal);

  o.curve_secret_file = f.dir / "missing.secret";
  CHECK(Listen(context, o, zmq::socket_type::router, &*zap).status().code() == Code::kNoInput);

  // Plaintext off loopback is refused by the policy. CURVE off loopback
  // passes it and gets as far as bind(), which fails only because the
  // address (TEST-NET-1) is not ours: tests never listen off loopback.
  o = ListenOptions{"tcp://192.0.2.1:*", "", "", false};
  auto plaintext = Listen(context, o, zmq::socket_type::router);
  CHECK(plaintext.status().code() == Code::kConfig);
  CHECK(plaintext.status().message() ==
        "refusing to listen on tcp://192.0.2.1:* without CURVE; pass --curve-secret FILE or "
        "--insecure");
  o = f.Listening();
  o.endpoint = "tcp://192.0.2.1:*";
  auto curve = Listen(context, o, zmq::socket_type::router, &*zap);
  CHECK(curve.status().code() == Code::kUnavailable);
  CHECK(curve.status().message() ==
        "cannot bind tcp://192.0.2.1:*: Cannot assign requested address");
}
