// txpart serve: run the participant of one shard (DESIGN.md §7).
//
// daemon::Node does the I/O (data directory, WAL with group commit, the
// listening ROUTER, peer DEALERs, timers, signals, failpoints) and
// txn::Participant decides; this file wires them together and adds the
// operator's admin requests (serve_admin.h). In-doubt transactions re-take
// their locks from the log before the socket is read (Node::Run hands the
// core its Recovered event first).
#include <chrono>
#include <optional>

#include "serve_admin.h"
#include "shardkit/cli/log.h"
#include "shardkit/daemon/node.h"
#include "shardkit/failpoint/failpoint.h"
#include "shardkit/net/curve.h"
#include "shardkit/txn/participant.h"
#include "verbs.h"

namespace txpart {

using namespace shardkit;

int RunServe(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "");
  p.Add()("data", "the data directory (created if missing; one serve at a time)",
          cxxopts::value<std::string>(), "DIR")(
      "listen", "endpoint to bind, e.g. tcp://127.0.0.1:7401", cxxopts::value<std::string>(), "EP")(
      "advertise",
      "this participant's address as coordinators know it (default: the bound endpoint)",
      cxxopts::value<std::string>(),
      "EP")("curve-secret", "serve with CURVE using this NAME.secret file (also the peer keypair)",
            cxxopts::value<std::string>(), "FILE")(
      "allow", "client public keys allowed with CURVE: a file or a directory of .key files",
      cxxopts::value<std::string>(),
      "FILE|DIR")("insecure", "allow plaintext on a non-loopback address")(
      "peer-key", "CURVE public key of coordinators and peers: Z85 or a .key file",
      cxxopts::value<std::string>(),
      "KEY|FILE")("inquire-initial", "milliseconds in doubt before the first INQUIRE",
                  cxxopts::value<uint32_t>()->default_value("3000"),
                  "MS")("inquire-max", "longest delay between INQUIREs, in milliseconds",
                        cxxopts::value<uint32_t>()->default_value("30000"), "MS")(
      "snapshot-bytes", "take a snapshot each time the log grows by this many bytes",
      cxxopts::value<uint64_t>()->default_value("268435456"),
      "N")("segment-bytes", "start a new log segment once one holds this many bytes",
           cxxopts::value<uint64_t>()->default_value("67108864"),
           "N")("standby", "start as a hot standby: follow the log replicad writes, serve reads")(
      "ack-timeout",
      "answer a write 'not replicated' (75) after waiting this long for its ack level",
      cxxopts::value<uint32_t>()->default_value("5000"), "MS");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(0, 0, &rc)) return rc;
  if (!p.Has("data")) return p.UsageError("--data is required");
  if (!p.Has("listen")) return p.UsageError("--listen is required");
  txn::ParticipantOptions popts;
  popts.inquire_initial_ms = p.Get<uint32_t>("inquire-initial");
  popts.inquire_max_ms = p.Get<uint32_t>("inquire-max");
  if (popts.inquire_initial_ms == 0) return p.UsageError("--inquire-initial must be positive");
  if (popts.inquire_max_ms < popts.inquire_initial_ms) {
    return p.UsageError("--inquire-max must be at least --inquire-initial");
  }
  // A malformed SHARDKIT_FAILPOINTS must fail here (exit 78), not on the
  // first hit.
  if (Status s = failpoint::InitFromEnv(); !s.ok()) return cli::Fail(tool, s);

  daemon::NodeOptions options;
  options.role = "txpart";
  options.data_dir = p.Get<std::string>("data");
  options.listen.endpoint = p.Get<std::string>("listen");
  if (p.Has("curve-secret")) options.listen.curve_secret_file = p.Get<std::string>("curve-secret");
  if (p.Has("allow")) options.listen.allow = p.Get<std::string>("allow");
  options.listen.insecure = p.Has("insecure");
  options.snapshot_bytes = p.Get<uint64_t>("snapshot-bytes");
  options.standby = p.Has("standby");
  options.log.segment_bytes = p.Get<uint64_t>("segment-bytes");
  if (options.log.segment_bytes < 4096)
    return p.UsageError("--segment-bytes must be at least 4096");
  options.ack_timeout = std::chrono::milliseconds(p.Get<uint32_t>("ack-timeout"));
  if (options.ack_timeout.count() == 0) return p.UsageError("--ack-timeout must be positive");
  if (options.snapshot_bytes == 0) return p.UsageError("--snapshot-bytes must be positive");
  options.compact =
      daemon::ShadowCompactor([popts] { return std::make_unique<txn::Participant>(popts); });
  if (p.Has("peer-key")) {
    options.peer_key = p.Get<std::string>("peer-key");
    if (!net::IsZ85Key(options.peer_key)) {
      auto key = net::ReadPublicKey(options.peer_key);
      if (!key.ok()) return cli::Fail(tool, key.status().Prefixed("--peer-key"));
      options.peer_key = *key;
    }
  }

  // Blocks the signals before any thread starts, locks --data (75 when
  // another serve has it), recovers the WAL (74 on corruption) and binds.
  auto node = daemon::Node::Open(std::move(options));
  if (!node.ok()) return cli::Fail(tool, node.status());
  popts.self = p.Has("advertise") ? p.Get<std::string>("advertise") : (*node)->listen_endpoint();
  // Held in an optional so a standby rebuild can recreate it in place:
  // `core` and the references the admin hooks keep stay valid.
  std::optional<txn::Participant> holder(std::in_place, popts);
  txn::Participant& core = *holder;
  (*node)->OnReset([&] { holder.emplace(popts); });
  ServeAdmin admin(**node, core, popts.self);

  (*node)->OnAdmin([&](const wire::AdminRequest& r, daemon::Node::Respond respond) {
    admin.Handle(r, std::move(respond));
  });
  (*node)->OnAction([&](const txn::Action& a) { admin.OnAction(a); });
  (*node)->loop().AddTimer(
      std::chrono::seconds(1), [&] { admin.Tick(); }, /*repeat=*/true);
  cli::LogInfo("participant starting",
               {{"self", popts.self},
                {"inquire_initial_ms", std::to_string(popts.inquire_initial_ms)},
                {"inquire_max_ms", std::to_string(popts.inquire_max_ms)}});

  Status s = (*node)->Run(
      [&](const txn::Event& e, std::vector<txn::Action>* out) { return core.Handle(e, out); },
      [&] { return core.Idle(); });
  const auto& st = core.stats();
  const auto log = (*node)->log_stats();
  cli::LogInfo("participant stopped", {{"committed", std::to_string(st.committed)},
                                       {"aborted", std::to_string(st.aborted)},
                                       {"direct_writes", std::to_string(st.direct_writes)},
                                       {"unfinished", std::to_string(core.Branches().size())},
                                       {"durable_lsn", std::to_string((*node)->durable_lsn())},
                                       {"wal_fsyncs", std::to_string(log.fsyncs)}});
  if (size_t n = admin.pending_resolves(); n > 0) {
    cli::LogWarn("stopped with resolve requests unanswered", {{"requests", std::to_string(n)}});
  }
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace txpart
