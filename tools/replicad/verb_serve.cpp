// replicad serve: replicate one data directory's log (DESIGN.md §8).
//
// Runs next to the directory's writer (txpart serve or txcoord serve, which
// connect to it over ipc). With neither --follow nor --peers it is the
// primary of a group of one that replicas join with --follow; with --peers
// (every other member's replicad endpoint) it waits for a primary or, with
// --auto-failover, elects one.
#include <sstream>

#include "driver.h"
#include "shardkit/cli/log.h"
#include "shardkit/failpoint/failpoint.h"
#include "shardkit/net/curve.h"
#include "verbs.h"

namespace replicad {

using namespace shardkit;

namespace {

std::vector<std::string> SplitCommas(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const std::string& v : values) {
    std::stringstream ss(v);
    std::string item;
    while (std::getline(ss, item, ',')) {
      if (!item.empty()) out.push_back(item);
    }
  }
  return out;
}

}  // namespace

int RunServe(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "");
  p.Add()("data", "the data directory its writer (txpart or txcoord) serves",
          cxxopts::value<std::string>(),
          "DIR")("listen", "endpoint to bind for members and operators, e.g. tcp://127.0.0.1:7201",
                 cxxopts::value<std::string>(), "EP")(
      "name", "this member's name (default: its endpoint)", cxxopts::value<std::string>(), "NAME")(
      "advertise", "this member's endpoint as other members reach it (default: bound)",
      cxxopts::value<std::string>(), "EP")(
      "follow", "the primary's replicad endpoint to replicate from", cxxopts::value<std::string>(),
      "EP")("peers", "every other member's replicad endpoint, comma-separated",
            cxxopts::value<std::vector<std::string>>(), "EP,...")(
      "ack", "ack level: none, local, received:K, flushed:K or applied:K (K alone: flushed:K)",
      cxxopts::value<std::string>(),
      "LEVEL")("auto-failover", "elect a new primary by majority vote when the primary is silent")(
      "heartbeat", "milliseconds between heartbeats",
      cxxopts::value<uint32_t>()->default_value("100"),
      "MS")("lease", "a primary pauses writes when its ack level was not met for this long",
            cxxopts::value<uint32_t>()->default_value("1000"), "MS")(
      "election-timeout", "milliseconds without a primary before an election (jittered up to 2x)",
      cxxopts::value<uint32_t>()->default_value("600"),
      "MS")("switchover-timeout", "milliseconds a switchover waits for the target to catch up",
            cxxopts::value<uint32_t>()->default_value("5000"),
            "MS")("resync-interval", "minimum milliseconds between full resyncs of one replica",
                  cxxopts::value<uint32_t>()->default_value("30000"), "MS")(
      "retain-bytes", "most bytes of log kept for lagging replicas (beyond: full resync)",
      cxxopts::value<uint64_t>()->default_value("1073741824"),
      "N")("retain-age", "oldest log segment, in seconds, kept for lagging replicas",
           cxxopts::value<uint32_t>()->default_value("3600"), "S")(
      "curve-secret", "serve with CURVE using this NAME.secret file (also the member keypair)",
      cxxopts::value<std::string>(),
      "FILE")("allow", "client public keys allowed with CURVE: a file or a directory of .key files",
              cxxopts::value<std::string>(),
              "FILE|DIR")("insecure", "allow plaintext on a non-loopback address")(
      "peer-key", "CURVE public key of the other members: Z85 or a .key file",
      cxxopts::value<std::string>(), "KEY|FILE");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(0, 0, &rc)) return rc;
  if (!p.Has("data")) return p.UsageError("--data is required");
  if (!p.Has("listen")) return p.UsageError("--listen is required");
  if (Status s = failpoint::InitFromEnv(); !s.ok()) return cli::Fail(tool, s);

  DriverOptions o;
  o.data_dir = p.Get<std::string>("data");
  o.listen.endpoint = p.Get<std::string>("listen");
  if (p.Has("curve-secret")) o.listen.curve_secret_file = p.Get<std::string>("curve-secret");
  if (p.Has("allow")) o.listen.allow = p.Get<std::string>("allow");
  o.listen.insecure = p.Has("insecure");
  if (p.Has("peer-key")) {
    o.peer_key = p.Get<std::string>("peer-key");
    if (!net::IsZ85Key(o.peer_key)) {
      auto key = net::ReadPublicKey(o.peer_key);
      if (!key.ok()) return cli::Fail(tool, key.status().Prefixed("--peer-key"));
      o.peer_key = *key;
    }
  }
  repl::Config& c = o.config;
  if (p.Has("name")) c.name = p.Get<std::string>("name");
  if (p.Has("advertise")) c.endpoint = p.Get<std::string>("advertise");
  if (p.Has("follow")) c.follow = p.Get<std::string>("follow");
  if (p.Has("peers")) c.peers = SplitCommas(p.Get<std::vector<std::string>>("peers"));
  c.auto_failover = p.Has("auto-failover");
  if (c.auto_failover && c.peers.empty()) {
    return p.UsageError("--auto-failover needs --peers (a majority of the group elects)");
  }
  // DESIGN.md §8: flushed:1 is the default once there are replicas.
  const bool grouped = !c.peers.empty() || !c.follow.empty();
  auto ack = repl::ParseAckLevel(p.Has("ack") ? p.Get<std::string>("ack")
                                              : std::string(grouped ? "flushed:1" : "local"));
  if (!ack.ok()) return p.UsageError("--ack: " + ack.status().message());
  c.ack = *ack;
  // With --peers the group is known: an ack level that needs more replicas
  // than there are could never be met, and every write would time out.
  if (!c.peers.empty() && c.ack.NeedsReplicas() && c.ack.k > c.peers.size()) {
    return p.UsageError("--ack " + repl::FormatAckLevel(c.ack) + " needs " +
                        std::to_string(c.ack.k) + " replicas, but --peers names " +
                        std::to_string(c.peers.size()) + " other members");
  }
  c.heartbeat_ms = p.Get<uint32_t>("heartbeat");
  c.lease_ms = p.Get<uint32_t>("lease");
  c.election_ms = p.Get<uint32_t>("election-timeout");
  c.switchover_ms = p.Get<uint32_t>("switchover-timeout");
  c.resync_min_interval_ms = p.Get<uint32_t>("resync-interval");
  if (c.heartbeat_ms == 0 || c.lease_ms == 0 || c.election_ms == 0 || c.switchover_ms == 0) {
    return p.UsageError(
        "--heartbeat, --lease, --election-timeout and --switchover-timeout must "
        "be positive");
  }
  if (c.lease_ms <= c.heartbeat_ms || c.election_ms <= c.heartbeat_ms) {
    return p.UsageError("--lease and --election-timeout must be longer than --heartbeat");
  }
  o.retention.max_bytes = p.Get<uint64_t>("retain-bytes");
  o.retention.max_age = std::chrono::seconds(p.Get<uint32_t>("retain-age"));
  if (o.retention.max_bytes == 0) return p.UsageError("--retain-bytes must be positive");
  c.seed = static_cast<uint64_t>(::getpid()) * 0x9E3779B97F4A7C15ull ^
           static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());

  auto driver = Driver::Open(std::move(o));
  if (!driver.ok()) return cli::Fail(tool, driver.status());
  Status s = (*driver)->Run();
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace replicad
