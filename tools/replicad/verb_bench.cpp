// replicad bench: replication throughput and ack latency per ack level. It
// runs the same closed-loop put load (daemon/put_load.h) against the
// primary's writer once per level, each put asking for that level
// (PutRequest::ack), and prints one row per level with its throughput
// relative to the first level's (by default local: the primary's fsync
// alone) and the p50 latency it adds to it.
//
// A put waits for the group's level as well as its own, so a level weaker
// than the group's measures the group's: run it on a group serving with
// --ack local (or none) to see every level; the group_ack column says
// which applied.
#include <cmath>

#include "shardkit/cli/log.h"
#include "shardkit/daemon/client.h"
#include "shardkit/daemon/put_load.h"
#include "shardkit/repl/ack_level.h"
#include "shardkit/wire/protocol.h"
#include "verbs.h"

namespace replicad {

using namespace shardkit;

namespace {

// The value of row `name` of the writer's status table ("" if absent).
std::string StatusValue(const wire::AdminReply& table, const std::string& name) {
  for (const auto& row : table.rows) {
    if (row.size() == 2 && row[0] == name) return row[1];
  }
  return "";
}

Result<std::vector<repl::AckLevel>> ParseLevels(const std::string& text) {
  std::vector<repl::AckLevel> levels;
  size_t from = 0;
  while (from <= text.size()) {
    const size_t comma = std::min(text.find(',', from), text.size());
    auto level = repl::ParseAckLevel(text.substr(from, comma - from));
    if (!level.ok()) return level.status().Prefixed("--levels");
    levels.push_back(*level);
    if (levels.size() > 16) return Status::Usage("--levels: at most 16 levels");
    from = comma + 1;
  }
  return levels;
}

}  // namespace

int RunBench(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "");
  // A put waits up to the writer's --ack-timeout (5000 ms by default) for
  // its level, then is answered NOT_REPLICATED: wait longer than that.
  daemon::AddConnectFlags(p, "the client endpoint of the primary's writer (txpart serve)", 10000);
  p.Add()("levels", "comma-separated ack levels to measure, in order; the first is the baseline",
          cxxopts::value<std::string>()->default_value("local,received:1,flushed:1,applied:1"),
          "LIST")("clients", "concurrent clients, one put in flight each",
                  cxxopts::value<uint64_t>()->default_value("64"), "N")(
      "duration", "seconds per level", cxxopts::value<double>()->default_value("5"), "S")(
      "keys", "distinct keys, chosen uniformly",
      cxxopts::value<uint64_t>()->default_value("100000"),
      "K")("value-size", "bytes per value", cxxopts::value<uint64_t>()->default_value("100"), "B");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(0, 0, &rc)) return rc;
  auto levels = ParseLevels(p.Get<std::string>("levels"));
  if (!levels.ok()) return p.UsageError(levels.status().message());
  daemon::PutLoadOptions load;
  load.clients = p.Get<uint64_t>("clients");
  if (load.clients == 0 || load.clients > 4096) return p.UsageError("--clients must be 1..4096");
  load.keys = p.Get<uint64_t>("keys");
  if (load.keys == 0 || load.keys > 1'000'000'000) {
    return p.UsageError("--keys must be 1..1000000000");
  }
  load.value_size = p.Get<uint64_t>("value-size");
  if (load.value_size > wire::kMaxValueBytes) {
    return p.UsageError("--value-size must be at most " + std::to_string(wire::kMaxValueBytes));
  }
  load.duration_s = p.Get<double>("duration");
  if (!(load.duration_s > 0 && load.duration_s <= 3600)) {
    return p.UsageError("--duration must be more than 0 and at most 3600");
  }
  if (Status s = daemon::ConnectFlags(p, &load.connect); !s.ok()) {
    return s.code() == Code::kUsage ? p.UsageError(s.message()) : cli::Fail(tool, s);
  }

  // The writer's status: it must be the primary, and its group's level
  // says what each row measures.
  auto status = daemon::CallAdmin(load.connect, "status");
  if (!status.ok()) return cli::Fail(tool, status.status());
  const std::string role = StatusValue(*status, "role");
  if (role != "primary") {
    return cli::Fail(tool, Status::Unavailable(load.connect.endpoint + " is " +
                                               (role.empty() ? "not a replicated writer" : role) +
                                               ": run the bench against the primary's writer"));
  }
  auto group = repl::ParseAckLevel(StatusValue(*status, "ack_level"));
  if (!group.ok()) group = repl::AckLevel{};

  cli::Writer w;
  double base_rate = 0, base_p50 = 0;
  for (size_t i = 0; i < levels->size(); ++i) {
    const repl::AckLevel& level = (*levels)[i];
    load.ack = repl::FormatAckLevel(level);
    load.progress = "bench " + load.ack;
    if (!level.AtLeast(*group)) {
      cli::LogWarn("the group's ack level applies to this level too",
                   {{"level", load.ack}, {"group_ack", repl::FormatAckLevel(*group)}});
    }
    auto run = daemon::RunPutLoad(load);
    if (!run.ok()) return cli::Fail(tool, run.status());
    const double rate = run->seconds > 0 ? double(run->puts) / run->seconds : 0;
    const double p50 = double(run->latency.Percentile(0.50)) / 1000.0;
    if (i == 0) base_rate = rate, base_p50 = p50;
    cli::Record(w, p.json())
        .Str("level", load.ack)
        .Str("group_ack", repl::FormatAckLevel(*group))
        .Uint("clients", load.clients)
        .Double("duration_s", run->seconds, 2)
        .Uint("puts", run->puts)
        .Uint("errors", run->errors)
        .Double("puts_per_s", rate, 0)
        .Double("vs_first", base_rate > 0 ? rate / base_rate : NAN, 3)
        .Double("p50_ms", p50, 3)
        .Double("p99_ms", double(run->latency.Percentile(0.99)) / 1000.0, 3)
        .Double("added_p50_ms", p50 - base_p50, 3)
        .End();
    if (Status s = w.Flush(); !s.ok()) return cli::Fail(tool, s);
  }
  return 0;
}

}  // namespace replicad
