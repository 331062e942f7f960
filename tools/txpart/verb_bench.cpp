// txpart bench: a closed-loop load of durable single-shard puts
// (daemon/put_load.h). The server's fsync count before and after (from its
// status table) shows group commit at work.
#include <cmath>

#include "common.h"
#include "shardkit/cli/log.h"
#include "shardkit/daemon/client.h"
#include "shardkit/daemon/put_load.h"
#include "verbs.h"

namespace txpart {

using namespace shardkit;

namespace {

// The server's wal_fsyncs_total, or NaN when its status cannot be read.
double FsyncCount(daemon::Conn& conn) {
  auto table = conn.Admin("status");
  if (!table.ok()) {
    cli::LogWarn("cannot read the server's fsync count", {{"reason", table.status().message()}});
    return NAN;
  }
  for (const auto& row : table->rows) {
    if (row.size() == 2 && row[0] == "wal_fsyncs_total")
      return std::strtod(row[1].c_str(), nullptr);
  }
  return NAN;
}

}  // namespace

int RunBench(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "");
  // A put with --ack waits up to the server's --ack-timeout (5000 ms by
  // default), then is answered NOT_REPLICATED: wait longer than that.
  daemon::AddConnectFlags(p, "the txpart serve endpoint", 10000);
  p.Add()("clients", "concurrent clients, one put in flight each",
          cxxopts::value<uint64_t>()->default_value("64"),
          "N")("duration", "seconds to run", cxxopts::value<double>()->default_value("10"), "S")(
      "keys", "distinct keys, chosen uniformly",
      cxxopts::value<uint64_t>()->default_value("100000"),
      "K")("value-size", "bytes per value", cxxopts::value<uint64_t>()->default_value("100"), "B");
  AddAckFlag(p);
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(0, 0, &rc)) return rc;
  auto clients = PositiveFlag(p, "clients", 4096);
  if (!clients.ok()) return p.UsageError(clients.status().message());
  auto keys = PositiveFlag(p, "keys", 1'000'000'000);
  if (!keys.ok()) return p.UsageError(keys.status().message());
  auto ack = AckFlag(p);
  if (!ack.ok()) return p.UsageError(ack.status().message());
  const uint64_t value_size = p.Get<uint64_t>("value-size");
  if (value_size > wire::kMaxValueBytes) {
    return p.UsageError("--value-size must be at most " + std::to_string(wire::kMaxValueBytes));
  }
  const double duration = p.Get<double>("duration");
  if (!(duration > 0 && duration <= 86400)) return p.UsageError("--duration must be 0..86400");
  net::ConnectOptions options;
  if (Status s = daemon::ConnectFlags(p, &options); !s.ok()) {
    return s.code() == Code::kUsage ? p.UsageError(s.message()) : cli::Fail(tool, s);
  }

  // The admin connection also proves the server is there (69 otherwise).
  auto admin = daemon::Conn::Open(options);
  if (!admin.ok()) return cli::Fail(tool, admin.status());
  const double fsyncs_before = FsyncCount(**admin);
  if (std::isnan(fsyncs_before)) {
    // Tell "down" from "status unreadable" before loading it.
    wire::GetReply ignored;
    if (Status s = (*admin)->Call(wire::GetRequest{}, &ignored); !s.ok()) {
      return cli::Fail(tool, s);
    }
  }

  daemon::PutLoadOptions load;
  load.connect = options;
  load.clients = *clients;
  load.keys = *keys;
  load.value_size = value_size;
  load.duration_s = duration;
  load.ack = *ack;
  auto run = daemon::RunPutLoad(load);
  if (!run.ok()) return cli::Fail(tool, run.status());
  const double secs = run->seconds;
  const uint64_t puts = run->puts;
  const cli::LatencyHistogram& latency = run->latency;
  const double fsyncs = FsyncCount(**admin) - fsyncs_before;
  auto ms = [](uint64_t us) { return double(us) / 1000.0; };
  cli::Writer w;
  cli::Record(w, p.json())
      .Uint("clients", *clients)
      .Double("duration_s", secs, 2)
      .Uint("puts", puts)
      .Uint("errors", run->errors)
      .Double("puts_per_s", secs > 0 ? double(puts) / secs : 0, 0)
      .Double("p50_ms", ms(latency.Percentile(0.50)), 3)
      .Double("p95_ms", ms(latency.Percentile(0.95)), 3)
      .Double("p99_ms", ms(latency.Percentile(0.99)), 3)
      .Double("max_ms", ms(latency.max_us()), 3)
      .Double("fsyncs", fsyncs, 0)
      .Double("fsyncs_per_s", secs > 0 ? fsyncs / secs : NAN, 0)
      .Double("puts_per_fsync", fsyncs > 0 ? double(puts) / fsyncs : NAN, 1)
      .End();
  Status s = w.Flush();
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace txpart
