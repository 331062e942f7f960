// ringctl serve: answer batched locate requests over a ZeroMQ ROUTER socket.
// Reloads the ring on SIGHUP and when the file changes; every reply carries
// the ring's generation so clients see changes.
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <memory>
#include <optional>

#include "common.h"
#include "shardkit/cli/log.h"
#include "shardkit/cli/signals.h"
#include "shardkit/daemon/node.h"
#include "shardkit/net/listen.h"
#include "shardkit/net/loop.h"
#include "shardkit/net/server.h"
#include "shardkit/net/socket.h"
#include "shardkit/net/zap.h"
#include "shardkit/wire/codec.h"
#include "shardkit/wire/messages.h"
#include "verbs.h"

namespace ringctl {

using namespace shardkit;

namespace {

// Bounds one request's work: keys x replicas owners per reply.
constexpr size_t kMaxOwnersPerReply = 1 << 22;
constexpr uint32_t kMaxReplicas = 64;

// The ring being served, with its reply tables precomputed.
struct Served {
  ring::Ring ring;
  std::vector<std::string> names, endpoints;
};

// What identifies the file's current contents cheaply: a rename (as every
// ringctl edit does) changes the inode, an in-place edit the mtime or size.
struct FileStamp {
  ino_t ino = 0;
  timespec mtime{};
  off_t size = -1;
  bool operator==(const FileStamp& o) const {
    return ino == o.ino && mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec &&
           size == o.size;
  }
};

FileStamp Stamp(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return {};
  return {st.st_ino, st.st_mtim, st.st_size};
}

Result<std::unique_ptr<Served>> Load(const std::string& path) {
  auto r = ring::OpenRing(path);
  if (!r.ok()) return r.status();
  auto s = std::make_unique<Served>();
  s->ring = std::move(*r);
  NodeTables(s->ring, &s->names, &s->endpoints);
  return s;
}

net::Server::HandlerResult Answer(const Served& served, const wire::Header& header,
                                  std::string_view body) {
  if (header.type != wire::MsgType::kLocateRequest) return net::Server::Unsupported(header);
  wire::LocateRequest req;
  SK_RETURN_IF_ERROR(wire::DecodeBody(body, &req));
  if (req.replicas == 0 || req.replicas > kMaxReplicas) {
    return Status::DataError("replicas must be 1.." + std::to_string(kMaxReplicas));
  }
  if (req.keys.size() * req.replicas > kMaxOwnersPerReply) {
    return Status::DataError("too many keys in one request");
  }
  const hash::Placement& pl = *served.ring.placement;
  wire::LocateReply reply;
  reply.generation = served.ring.generation;
  reply.replicas = req.replicas;
  reply.owners.reserve(req.keys.size() * req.replicas);
  // The reply's node table holds only the nodes this reply names, so a small
  // request gets a small reply however large the ring is.
  std::vector<uint32_t> local(served.names.size(), wire::kNoOwner);
  auto add = [&](uint32_t node) {
    if (node == wire::kNoOwner) return node;
    if (local[node] == wire::kNoOwner) {
      local[node] = uint32_t(reply.names.size());
      reply.names.push_back(served.names[node]);
      reply.endpoints.push_back(served.endpoints[node]);
    }
    return local[node];
  };
  std::vector<uint32_t> pref;
  for (const std::string& key : req.keys) {
    uint64_t h = pl.HashKey(key);
    if (req.replicas == 1) {
      reply.owners.push_back(add(pl.LocateHash(h)));
      continue;
    }
    pref.clear();
    pl.Preference(h, req.replicas, &pref);
    pref.resize(req.replicas, wire::kNoOwner);
    for (uint32_t node : pref) reply.owners.push_back(add(node));
  }
  std::string encoded = wire::EncodeBody(reply);
  // A reply the client could not receive would look like a dead server.
  if (encoded.size() + wire::kHeaderBytes > wire::kMaxMessageBytes) {
    return Status::DataError("reply would exceed " + std::to_string(wire::kMaxMessageBytes) +
                             " bytes; send fewer keys per request");
  }
  return std::pair{wire::MsgType::kLocateReply, std::move(encoded)};
}

}  // namespace

int RunServe(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "FILE");
  p.Add()("listen", "endpoint to bind, e.g. tcp://127.0.0.1:7300", cxxopts::value<std::string>(),
          "EP")("curve-secret", "serve with CURVE using this NAME.secret file",
                cxxopts::value<std::string>(), "FILE")(
      "allow", "client public keys allowed with CURVE: a file or a directory of .key files",
      cxxopts::value<std::string>(),
      "FILE|DIR")("insecure", "allow plaintext on a non-loopback address");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(1, 1, &rc)) return rc;
  if (!p.Has("listen")) return p.UsageError("--listen is required");
  const std::string path = p.args()[0];

  // Block the signals before libzmq starts its threads, then read them from
  // the event loop.
  cli::SignalFd signals({SIGTERM, SIGINT, SIGHUP});
  if (!signals.status().ok()) return cli::Fail(tool, signals.status());

  auto loaded = Load(path);
  if (!loaded.ok()) return cli::Fail(tool, loaded.status());
  std::unique_ptr<Served> served = std::move(*loaded);
  FileStamp stamp = Stamp(path);

  net::ListenOptions lo;
  lo.endpoint = p.Get<std::string>("listen");
  if (p.Has("curve-secret")) lo.curve_secret_file = p.Get<std::string>("curve-secret");
  if (p.Has("allow")) lo.allow = p.Get<std::string>("allow");
  lo.insecure = p.Has("insecure");

  // Declaration order is destruction order in reverse: the socket closes
  // before the ZAP handler stops, and both before the context.
  zmq::context_t context;
  std::optional<net::ZapHandler> zap;
  if (!lo.curve_secret_file.empty()) {
    auto z = daemon::StartZap(context);
    if (!z.ok()) return cli::Fail(tool, z.status());
    zap.emplace(std::move(*z));
  }
  auto socket = net::Listen(context, lo, zmq::socket_type::router, zap ? &*zap : nullptr);
  if (!socket.ok()) return cli::Fail(tool, socket.status());

  auto reload = [&](const char* why) {
    stamp = Stamp(path);
    auto next = Load(path);
    if (!next.ok()) {
      // Keep serving the last good ring: a bad edit must not take lookups down.
      cli::LogError("reload failed; still serving the previous ring",
                    {{"reason", next.status().message()},
                     {"generation", ring::GenerationHex(served->ring.generation)}});
      return;
    }
    if ((*next)->ring.generation == served->ring.generation) return;
    cli::LogInfo("reloaded ring", {{"trigger", why},
                                   {"generation", ring::GenerationHex((*next)->ring.generation)},
                                   {"nodes", std::to_string((*next)->ring.file.nodes.size())}});
    served = std::move(*next);
  };

  net::Server server(*socket, [&](const wire::Header& h, std::string_view body) {
    return Answer(*served, h, body);
  });
  net::EventLoop loop;
  loop.AddSocket(*socket, [&] {
    if (Status s = server.ServePending(); !s.ok()) loop.Stop(s);
  });
  loop.AddFd(signals.fd(), [&] {
    while (int sig = signals.Read()) {
      if (sig == SIGHUP) {
        reload("SIGHUP");
      } else {
        cli::LogInfo("stopping", {{"signal", sig == SIGTERM ? "TERM" : "INT"}});
        loop.Stop();
      }
    }
  });
  loop.AddTimer(
      std::chrono::seconds(1),
      [&] {
        if (!(Stamp(path) == stamp)) reload("file changed");
      },
      true);
  // With port '*' the system picks a free port: log the one actually bound.
  auto bound = net::LastEndpoint(*socket);
  cli::LogInfo("serving", {{"ring", path},
                           {"listen", bound.ok() ? *bound : lo.endpoint},
                           {"curve", lo.curve_secret_file.empty() ? "off" : "on"},
                           {"generation", ring::GenerationHex(served->ring.generation)}});
  Status s = loop.Run();
  cli::LogInfo("stopped", {{"served", std::to_string(server.served())},
                           {"bad_requests", std::to_string(server.bad_requests())}});
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace ringctl
