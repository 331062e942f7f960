// txcoord serve: the coordinator daemon. daemon::Node does the I/O (WAL,
// sockets, timers, signals); txn::Coordinator decides. This file wires the
// two together, routes keys through the ring, reloads the ring on SIGHUP
// and answers the admin verbs.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common.h"
#include "serve_admin.h"
#include "serve_metrics.h"
#include "shardkit/cli/input.h"
#include "shardkit/cli/log.h"
#include "shardkit/daemon/node.h"
#include "shardkit/ring/ring.h"
#include "shardkit/txn/coordinator.h"
#include "verbs.h"

namespace txcoord {

using namespace shardkit;

namespace {

using RingPtr = std::shared_ptr<const ring::Ring>;

Result<RingPtr> LoadRing(const std::string& path) {
  auto r = ring::OpenRing(path);
  if (!r.ok()) return r.status();
  return RingPtr(std::make_shared<ring::Ring>(std::move(*r)));
}

// Key -> the endpoints of the node that owns it, joined with ',' (its
// replica set, primary first; the Node follows it to the primary). The
// router holds its own reference, so a reload never pulls the ring from
// under it.
txn::Router MakeRouter(RingPtr r) {
  return [r = std::move(r)](std::string_view key) -> std::string {
    const hash::Placement& pl = *r->placement;
    std::string address;
    for (const std::string& ep : r->node(pl.LocateHash(pl.HashKey(key))).endpoints) {
      if (!address.empty()) address += ',';
      address += ep;
    }
    return address;
  };
}

// The CURVE key the ring gives the node with `endpoint` (one member of its
// replica set: the Node asks per member), or "".
std::string KeyFor(const ring::Ring& r, const std::string& endpoint) {
  for (const ring::Node& n : r.file.nodes) {
    for (const std::string& ep : n.endpoints) {
      if (ep == endpoint) return n.curve_key;
    }
  }
  return "";
}

std::vector<std::string> SplitCommas(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const std::string& v : values) {
    size_t start = 0;
    while (start <= v.size()) {
      size_t comma = v.find(',', start);
      if (comma == std::string::npos) comma = v.size();
      if (comma > start) out.push_back(v.substr(start, comma - start));
      start = comma + 1;
    }
  }
  return out;
}

}  // namespace

int RunServe(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "");
  p.Add()("data", "the data directory (created if missing)", cxxopts::value<std::string>(), "DIR")(
      "ring", "the ring file that routes keys to participants", cxxopts::value<std::string>(),
      "FILE")("listen", "endpoint to bind, e.g. tcp://127.0.0.1:7400",
              cxxopts::value<std::string>(), "EP")(
      "advertise", "endpoints participants use to reach this coordinator (default: the bound one)",
      cxxopts::value<std::vector<std::string>>(), "EP,...")(
      "curve-secret", "serve with CURVE using this NAME.secret file", cxxopts::value<std::string>(),
      "FILE")("allow", "client public keys allowed with CURVE: a file or a directory of .key files",
              cxxopts::value<std::string>(),
              "FILE|DIR")("insecure", "allow plaintext on a non-loopback address")(
      "vote-timeout", "abort a transaction whose votes are not all in after MS milliseconds",
      cxxopts::value<uint32_t>()->default_value("2000"),
      "MS")("snapshot-bytes", "take a snapshot each time the log grows by this many bytes",
            cxxopts::value<uint64_t>()->default_value("268435456"),
            "N")("segment-bytes", "start a new log segment once one holds this many bytes",
                 cxxopts::value<uint64_t>()->default_value("67108864"), "N")(
      "standby", "start as a hot standby of a replicated coordinator (replicad promotes it)")(
      "ack-timeout",
      "answer a transaction 'not replicated' (75) after waiting this long for its ack level",
      cxxopts::value<uint32_t>()->default_value("5000"), "MS");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(0, 0, &rc)) return rc;
  if (!p.Has("data")) return p.UsageError("--data is required");
  if (!p.Has("ring")) return p.UsageError("--ring is required");
  if (!p.Has("listen")) return p.UsageError("--listen is required");
  const uint32_t vote_timeout = p.Get<uint32_t>("vote-timeout");
  if (vote_timeout == 0) return p.UsageError("--vote-timeout must be positive");
  const std::string ring_path = p.Get<std::string>("ring");

  auto loaded = LoadRing(ring_path);
  if (!loaded.ok()) return cli::Fail(tool, loaded.status().Prefixed(ring_path));
  RingPtr current = std::move(*loaded);
  auto tag = RandomHex(16);
  if (!tag.ok()) return cli::Fail(tool, tag.status());

  daemon::NodeOptions no;
  no.role = "txcoord";
  no.data_dir = p.Get<std::string>("data");
  no.listen.endpoint = p.Get<std::string>("listen");
  if (p.Has("curve-secret")) no.listen.curve_secret_file = p.Get<std::string>("curve-secret");
  if (p.Has("allow")) no.listen.allow = p.Get<std::string>("allow");
  no.listen.insecure = p.Has("insecure");
  no.key_for_endpoint = [&current](const std::string& endpoint) {
    return KeyFor(*current, endpoint);
  };
  no.snapshot_bytes = p.Get<uint64_t>("snapshot-bytes");
  if (no.snapshot_bytes == 0) return p.UsageError("--snapshot-bytes must be positive");
  no.standby = p.Has("standby");
  no.log.segment_bytes = p.Get<uint64_t>("segment-bytes");
  if (no.log.segment_bytes < 4096) return p.UsageError("--segment-bytes must be at least 4096");
  no.ack_timeout = std::chrono::milliseconds(p.Get<uint32_t>("ack-timeout"));
  if (no.ack_timeout.count() == 0) return p.UsageError("--ack-timeout must be positive");
  // Snapshots replay the log into a shadow coordinator with the same
  // options (filled in below, before Run starts any compaction); it only
  // recovers, so it never routes.
  txn::CoordinatorOptions shadow_options;
  no.compact = daemon::ShadowCompactor([&shadow_options] {
    return std::make_unique<txn::Coordinator>(shadow_options,
                                              [](std::string_view) { return std::string(); });
  });
  auto node = daemon::Node::Open(std::move(no));
  if (!node.ok()) return cli::Fail(tool, node.status());
  daemon::Node& n = **node;

  txn::CoordinatorOptions co;
  co.tag = *tag;
  co.vote_timeout_ms = vote_timeout;
  co.endpoints = p.Has("advertise") ? SplitCommas(p.Get<std::vector<std::string>>("advertise"))
                                    : std::vector<std::string>{n.listen_endpoint()};
  if (co.endpoints.empty()) return p.UsageError("--advertise needs at least one endpoint");
  if (Status s = txn::ValidateCoordinatorOptions(co); !s.ok()) return cli::Fail(tool, s);
  shadow_options = co;
  std::string advertised;
  for (const std::string& ep : co.endpoints) advertised += (advertised.empty() ? "" : ",") + ep;
  // Held in an optional so a standby rebuild can recreate it in place.
  std::optional<txn::Coordinator> holder(std::in_place, co, MakeRouter(current));
  txn::Coordinator& core = *holder;
  n.OnReset([&] { holder.emplace(co, MakeRouter(current)); });

  ServeMetrics metrics;
  n.OnMessage([&](const txn::MessageReceived& m) {
    if (std::holds_alternative<wire::Submit>(m.msg)) {
      metrics.SubmitArrived(m.from, m.request_id, ServeMetrics::Clock::now());
    }
  });
  n.OnAction([&](const txn::Action& a) {
    const auto* send = std::get_if<txn::Send>(&a);
    if (send == nullptr || send->request_id == 0) return;
    const bool result = std::holds_alternative<wire::SubmitResult>(send->msg);
    if (result || std::holds_alternative<wire::ErrorReply>(send->msg)) {
      metrics.Replied(send->to, send->request_id, result, ServeMetrics::Clock::now());
    }
  });
  n.OnHangup([&] {
    auto next = LoadRing(ring_path);
    if (!next.ok()) {
      // Keep routing with the last good ring: a bad edit must not stop commits.
      cli::LogError("ring reload failed; still routing with the previous ring",
                    {{"ring", ring_path},
                     {"reason", next.status().message()},
                     {"generation", ring::GenerationHex(current->generation)}});
      return;
    }
    if ((*next)->generation == current->generation) {
      cli::LogInfo("ring unchanged", {{"generation", ring::GenerationHex(current->generation)}});
      return;
    }
    current = std::move(*next);
    core.SetRouter(MakeRouter(current));
    cli::LogInfo("reloaded ring", {{"trigger", "SIGHUP"},
                                   {"generation", ring::GenerationHex(current->generation)},
                                   {"nodes", std::to_string(current->file.nodes.size())}});
  });
  n.OnAdmin([&](const wire::AdminRequest& r, daemon::Node::Respond respond) {
    if (r.verb == "status") {
      respond(StatusTable({&core, &metrics, n.log_stats(), current->generation, co.tag}));
    } else if (r.verb == "inflight") {
      respond(InflightTable(core));
    } else if (r.verb == "heuristics") {
      respond(HeuristicsTable(core));
    } else if (r.verb == "outcome") {
      respond(OutcomeTable(core, r.args));
    } else {
      respond(Status::Usage("unknown admin verb '" + r.verb + "'"));
    }
  });
  n.loop().AddTimer(
      std::chrono::seconds(1),
      [&] {
        metrics.Tick(core.stats().committed, core.stats().aborted, ServeMetrics::Clock::now());
      },
      true);

  cli::LogInfo("coordinator starting", {{"tag", co.tag},
                                        {"ring", ring_path},
                                        {"generation", ring::GenerationHex(current->generation)},
                                        {"advertise", advertised}});
  Status s =
      n.Run([&](const txn::Event& e, std::vector<txn::Action>* out) { return core.Handle(e, out); },
            [&] { return core.Idle(); });
  const txn::CoordinatorStats& st = core.stats();
  cli::LogInfo("coordinator stopped", {{"committed", std::to_string(st.committed)},
                                       {"aborted", std::to_string(st.aborted)},
                                       {"in_flight", std::to_string(core.InFlight().size())}});
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace txcoord
