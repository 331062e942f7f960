// Client and Server over real loopback TCP, on ports chosen at run time.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "shardkit/net/client.h"
#include "shardkit/net/listen.h"
#include "shardkit/net/loop.h"
#include "shardkit/net/server.h"
#include "shardkit/net/socket.h"
#include "shardkit/wire/codec.h"

using shardkit::Code;
using shardkit::Status;
using namespace shardkit::net;
using namespace shardkit::wire;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

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
  std::thread thread_;  // last: starts once the members it uses exist
};

// A loopback ROUTER on a free port; returns the socket and its endpoint.
std::pair<zmq::socket_t, std::string> ListenLoopback(zmq::context_t& context) {
  auto socket =
      Listen(context, ListenOptions{"tcp://127.0.0.1:*", "", "", false}, zmq::socket_type::router);
  REQUIRE(socket.ok());
  auto endpoint = LastEndpoint(*socket);
  REQUIRE(endpoint.ok());
  return {std::move(*socket), *endpoint};
}

// Answers a LocateRequest with one node owning every key; generation is
// the key count so a reply can be traced to its request.
Server::HandlerResult Locate(const Header& header, std::string_view body) {
  if (header.type != MsgType::kLocateRequest) return Server::Unsupported(header);
  LocateRequest request;
  SK_RETURN_IF_ERROR(DecodeBody(body, &request));
  if (!request.keys.empty() && request.keys[0] == "busy") {
    return Status::Temporary("node is busy");
  }
  LocateReply reply;
  reply.generation = request.keys.size();
  reply.names = {"a", "b", "c"};
  reply.endpoints = {"tcp://10.0.0.1:7100", "", ""};
  reply.replicas = request.replicas;
  reply.owners.resize(request.keys.size() * request.replicas);
  for (size_t i = 0; i < reply.owners.size(); ++i) reply.owners[i] = i % 3;
  return std::pair{MsgType::kLocateReply, EncodeBody(reply)};
}

ConnectOptions Options(const std::string& endpoint, std::chrono::milliseconds timeout = 2000ms,
                       int retries = 0) {
  ConnectOptions o;
  o.endpoint = endpoint;
  o.timeout = timeout;
  o.retries = retries;
  return o;
}

// Receives one message on a raw socket within 2 s.
std::vector<zmq::message_t> Receive(zmq::socket_t& socket) {
  std::vector<zmq::message_t> frames;
  zmq_pollitem_t item = {socket.handle(), 0, ZMQ_POLLIN, 0};
  REQUIRE(zmq_poll(&item, 1, 2000) == 1);
  REQUIRE(*ReceiveFrames(socket, &frames) > 0);
  return frames;
}

}  // namespace

TEST_CASE("a client and a server round trip over loopback TCP", "[net][client]") {
  zmq::context_t context;
  auto [socket, endpoint] = ListenLoopback(context);
  CHECK(endpoint.starts_with("tcp://127.0.0.1:"));
  ServerThread server(std::move(socket), Locate);

  auto client = Client::Connect(context, Options(endpoint));
  REQUIRE(client.ok());
  for (size_t n : {0, 1, 1000}) {
    LocateRequest request{2, {}};
    for (size_t i = 0; i < n; ++i) request.keys.push_back("user:" + std::to_string(i));
    LocateReply reply;
    const Status s = client->Call(request, &reply);
    INFO(s.message());
    REQUIRE(s.ok());
    CHECK(reply.generation == n);
    CHECK(ValidateLocateReply(reply, n).ok());
  }
}

TEST_CASE("error replies reach the caller as the matching status", "[net][client]") {
  zmq::context_t context;
  auto [socket, endpoint] = ListenLoopback(context);
  ServerThread server(std::move(socket), Locate);
  auto client = Client::Connect(context, Options(endpoint));
  REQUIRE(client.ok());

  auto busy = client->Call(MsgType::kLocateRequest, EncodeBody(LocateRequest{1, {"busy"}}));
  CHECK(busy.status().code() == Code::kTemporary);
  CHECK(busy.status().message() == endpoint + ": temporary failure: node is busy");

  auto unknown = client->Call(static_cast<MsgType>(999), "x");
  CHECK(unknown.status().code() == Code::kUnavailable);
  CHECK(unknown.status().message() ==
        endpoint + ": unsupported: unsupported message type 999 (UNKNOWN)");

  auto garbage = client->Call(MsgType::kLocateRequest, "\x01\x02");
  CHECK(garbage.status().code() == Code::kDataError);
  CHECK(garbage.status().message() ==
        endpoint +
            ": bad request: LOCATE_REQUEST body: truncated at offset 1: need 4 bytes, 1 left");

  // The typed call also refuses a reply of the wrong type.
  ErrorReply wrong;
  const Status s = client->Call(LocateRequest{1, {"k"}}, &wrong);
  CHECK(s.code() == Code::kDataError);
  CHECK(s.message() == endpoint + ": expected a ERROR reply, got LOCATE_REPLY");
}

TEST_CASE("a malformed message gets BAD_REQUEST and the server keeps serving", "[net][server]") {
  zmq::context_t context;
  auto [socket, endpoint] = ListenLoopback(context);
  ServerThread server(std::move(socket), Locate);

  auto raw = Connect(context, Options(endpoint));
  REQUIRE(raw.ok());
  const std::string good_header = EncodeHeader(Header{1, MsgType::kLocateRequest, 0, 77});
  std::string bad_magic = good_header;
  bad_magic[1] = 'Z';
  const std::string body = EncodeBody(LocateRequest{1, {"k"}});

  struct Case {
    std::vector<std::string_view> frames;
    uint64_t echoed_id;
    std::string reason;
  };
  const Case cases[] = {
      {{good_header}, 77, "message has 1 frames after routing, expected 2 (header, body)"},
      {{good_header, body, body},
       77,
       "message has 3 frames after routing, expected 2 (header, body)"},
      {{bad_magic, body}, 0, "bad magic 0x535a in header, expected 0x534b ('SK')"},
      {{"", body}, 0, "header frame is 0 bytes, expected 15"},
      {{good_header, std::string_view(body).substr(0, 9)},
       77,
       "LOCATE_REQUEST body: truncated at offset 5: need 8 bytes, 4 left"},
  };
  for (const Case& c : cases) {
    INFO(c.reason);
    REQUIRE(SendFrames(*raw, c.frames, /*dontwait=*/false).ok());
    auto frames = Receive(*raw);
    REQUIRE(frames.size() == 2);
    Header header;
    REQUIRE(DecodeHeader(View(frames[0]), &header).ok());
    CHECK(header.type == MsgType::kError);
    CHECK(header.request_id == c.echoed_id);
    ErrorReply error;
    REQUIRE(DecodeBody(View(frames[1]), &error).ok());
    CHECK(error.code == static_cast<uint16_t>(ErrorCode::kBadRequest));
    CHECK(error.reason == c.reason);
  }

  // Same connection, next good request: served normally.
  const std::string_view good[] = {good_header, body};
  REQUIRE(SendFrames(*raw, good, /*dontwait=*/false).ok());
  auto frames = Receive(*raw);
  REQUIRE(frames.size() == 2);
  Header header;
  REQUIRE(DecodeHeader(View(frames[0]), &header).ok());
  CHECK(header.type == MsgType::kLocateReply);
  CHECK(header.request_id == 77);
}

TEST_CASE("a lost request is resent with the same id", "[net][client]") {
  zmq::context_t context;
  auto [socket, endpoint] = ListenLoopback(context);
  std::atomic<bool> stop{false};
  std::vector<uint64_t> seen;  // written by the server thread until joined
  // A raw ROUTER that loses the first request it gets and answers the rest.
  std::thread server([&, socket = std::move(socket)]() mutable {
    std::vector<zmq::message_t> frames;
    while (!stop) {
      zmq_pollitem_t item = {socket.handle(), 0, ZMQ_POLLIN, 0};
      if (zmq_poll(&item, 1, 20) <= 0) continue;
      if (*ReceiveFrames(socket, &frames) != 3) continue;
      Header h;
      if (!DecodeHeader(View(frames[1]), &h).ok()) continue;
      seen.push_back(h.request_id);
      if (seen.size() == 1) continue;  // lost
      auto reply = Locate(h, View(frames[2]));
      const std::string header = EncodeHeader(Header{1, reply->first, 0, h.request_id});
      const std::string_view out[] = {View(frames[0]), header, reply->second};
      (void)SendFrames(socket, out);
    }
  });

  auto client = Client::Connect(context, Options(endpoint, 200ms, 2));
  REQUIRE(client.ok());
  LocateReply reply;
  const auto start = Clock::now();
  const Status s = client->Call(LocateRequest{1, {"k1", "k2"}}, &reply);
  const auto elapsed = Clock::now() - start;
  stop = true;
  server.join();
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK(reply.generation == 2);
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == seen[1]);  // the resend reuses the request id
  CHECK(elapsed >= 200ms);    // it was answered on the second try
}

TEST_CASE("a late reply to an earlier try is not taken for the next call", "[net][client]") {
  zmq::context_t context;
  auto [socket, endpoint] = ListenLoopback(context);
  std::atomic<int> calls{0};
  std::mutex mu;
  std::vector<uint64_t> seen;  // guarded by mu
  ServerThread server(std::move(socket), [&](const Header& h, std::string_view body) {
    {
      std::lock_guard lock(mu);
      seen.push_back(h.request_id);
    }
    // Slower than the client's timeout once: the client resends, and the
    // copies are answered too, leaving stale replies in its queue.
    if (calls++ == 0) std::this_thread::sleep_for(250ms);
    return Locate(h, body);
  });
  auto client = Client::Connect(context, Options(endpoint, 100ms, 5));
  REQUIRE(client.ok());

  LocateReply first;
  REQUIRE(client->Call(LocateRequest{1, {"a"}}, &first).ok());
  CHECK(first.generation == 1);
  LocateReply second;
  REQUIRE(client->Call(LocateRequest{1, {"a", "b", "c", "d", "e"}}, &second).ok());
  CHECK(second.generation == 5);  // its own reply, not a stale one

  std::lock_guard lock(mu);
  REQUIRE(seen.size() >= 3);
  CHECK(seen.front() != seen.back());
  CHECK(seen[0] == seen[1]);
}

TEST_CASE("a client gives up after its retries", "[net][client]") {
  zmq::context_t context;

  SECTION("the server never answers") {
    auto [socket, endpoint] = ListenLoopback(context);  // bound, never read
    auto client = Client::Connect(context, Options(endpoint, 100ms, 2));
    REQUIRE(client.ok());
    const auto start = Clock::now();
    auto r = client->Call(MsgType::kLocateRequest, EncodeBody(LocateRequest{}));
    const auto elapsed = Clock::now() - start;
    CHECK(r.status().code() == Code::kTemporary);
    CHECK(r.status().message() == "no reply from " + endpoint + ": timed out after 3 tries");
    CHECK(elapsed >= 300ms);
    CHECK(elapsed < 3s);
  }

  SECTION("nothing listens on the port") {
    std::string endpoint;
    {
      auto [socket, bound] = ListenLoopback(context);
      endpoint = bound;
    }  // closed: connections to it are refused
    auto client = Client::Connect(context, Options(endpoint, 100ms, 1));
    REQUIRE(client.ok());
    auto r = client->Call(MsgType::kLocateRequest, EncodeBody(LocateRequest{}));
    CHECK(r.status().code() == Code::kTemporary);
    CHECK(r.status().message() == "no reply from " + endpoint + ": timed out after 2 tries");
    CHECK(r.status().exit_code() == 75);
  }
}

TEST_CASE("pipelined requests are matched to replies by id", "[net][client]") {
  zmq::context_t context;
  auto [socket, endpoint] = ListenLoopback(context);
  ServerThread server(std::move(socket), Locate);
  auto client = Client::Connect(context, Options(endpoint));
  REQUIRE(client.ok());

  std::map<uint64_t, size_t> in_flight;  // request id -> key count
  size_t sent = 0;
  size_t received = 0;
  const size_t total = 200;
  const size_t window = 16;
  while (received < total) {
    while (sent < total && in_flight.size() < window) {
      LocateRequest request{1, std::vector<std::string>(sent % 7, "k")};
      auto id = client->Send(MsgType::kLocateRequest, EncodeBody(request));
      REQUIRE(id.ok());
      in_flight[*id] = request.keys.size();
      ++sent;
    }
    auto reply = client->Receive(2s);
    REQUIRE(reply.ok());
    REQUIRE(client->ReplyStatus(*reply).ok());
    const auto it = in_flight.find(reply->header.request_id);
    REQUIRE(it != in_flight.end());
    LocateReply body;
    REQUIRE(DecodeBody(reply->body(), &body).ok());
    CHECK(body.generation == it->second);
    in_flight.erase(it);
    ++received;
  }
  CHECK(in_flight.empty());
  auto none = client->Receive(50ms);
  CHECK(none.status().code() == Code::kTemporary);
  CHECK(none.status().message() == "no reply from " + endpoint + " within 50 ms");
}

TEST_CASE("loopback round trip and pipelined locate throughput", "[.][bench]") {
  // Not a pass/fail test: run `unit_net "[bench]"` to print the figures.
  LocateRequest request{1, {}};
  for (int i = 0; i < 1000; ++i) request.keys.push_back("user:" + std::to_string(1000000 + i));

  // Codec only: encode request, decode it, encode reply, decode it.
  {
    const int batches = 2000;
    std::string buffer;
    const auto start = Clock::now();
    for (int i = 0; i < batches; ++i) {
      EncodeBodyTo(request, &buffer);
      LocateRequest decoded;
      REQUIRE(DecodeBody(buffer, &decoded).ok());
      auto reply = Locate(Header{1, MsgType::kLocateRequest, 0, 1}, buffer);
      LocateReply out;
      REQUIRE(DecodeBody(reply->second, &out).ok());
    }
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("codec: %d x 1000-key locate encode+decode (both ways): %.0f keys/s\n", batches,
                batches * 1000 / secs);
  }

  zmq::context_t context;
  auto [socket, endpoint] = ListenLoopback(context);
  ServerThread server(std::move(socket), Locate);
  auto client = Client::Connect(context, Options(endpoint));
  REQUIRE(client.ok());

  {
    const int calls = 5000;
    const std::string small = EncodeBody(LocateRequest{1, {"k"}});
    const auto start = Clock::now();
    for (int i = 0; i < calls; ++i) REQUIRE(client->Call(MsgType::kLocateRequest, small).ok());
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("round trip: %d sync 1-key calls over %s: %.1f us/call\n", calls, endpoint.c_str(),
                secs / calls * 1e6);
  }

  for (size_t window : {1, 4, 16}) {
    const size_t batches = 3000;
    std::string body;
    size_t sent = 0;
    size_t received = 0;
    const auto start = Clock::now();
    while (received < batches) {
      while (sent < batches && sent - received < window) {
        EncodeBodyTo(request, &body);
        REQUIRE(client->Send(MsgType::kLocateRequest, body).ok());
        ++sent;
      }
      auto reply = client->Receive(2s);
      REQUIRE(reply.ok());
      LocateReply out;
      REQUIRE(DecodeBody(reply->body(), &out).ok());
      REQUIRE(out.owners.size() == 1000);
      ++received;
    }
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("pipelined: %zu x 1000-key LocateRequest/Reply, window %zu: %.0f keys/s\n", batches,
                window, batches * 1000 / secs);
  }
}
