// txcoord bench: a closed-loop load generator, like pgbench. --clients
// simulated clients each keep one transaction in flight; all of them share
// one DEALER connection and this one thread, matched by request id, so the
// generator costs little next to the cluster it measures.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <unordered_map>

#include "common.h"
#include "shardkit/cli/histogram.h"
#include "shardkit/cli/log.h"
#include "shardkit/cli/progress.h"
#include "shardkit/daemon/client.h"
#include "shardkit/net/client.h"
#include "shardkit/ring/ring.h"
#include "shardkit/wire/codec.h"
#include "verbs.h"

namespace txcoord {

using namespace shardkit;

namespace {

using Clock = std::chrono::steady_clock;

std::string BenchKey(uint64_t n) { return "bench:" + std::to_string(n); }

// The coordinator's `status` rows, by name.
struct StatusSnapshot {
  uint64_t fsyncs = 0, committed = 0;
  Clock::time_point when;
};

Result<StatusSnapshot> Snapshot(const net::ConnectOptions& co) {
  auto reply = daemon::CallAdmin(co, "status");
  if (!reply.ok()) return reply.status();
  StatusSnapshot s;
  s.when = Clock::now();
  for (const auto& row : reply->rows) {
    if (row.size() < 2) continue;
    if (row[0] == "wal_fsyncs") s.fsyncs = std::strtoull(row[1].c_str(), nullptr, 10);
    if (row[0] == "committed") s.committed = std::strtoull(row[1].c_str(), nullptr, 10);
  }
  return s;
}

// Chooses the keys of each transaction.
class KeyChooser {
 public:
  KeyChooser(uint64_t keys, size_t ops, uint64_t seed) : keys_(keys), ops_(ops), rng_(seed) {}

  // Spreads each transaction over `shards` distinct nodes of `r`.
  Status UseShards(const ring::Ring& r, size_t shards) {
    std::vector<std::vector<uint32_t>> by_node(r.file.nodes.size());
    const hash::Placement& pl = *r.placement;
    for (uint64_t k = 0; k < keys_; ++k) {
      by_node[pl.Locate(BenchKey(k))].push_back(static_cast<uint32_t>(k));
    }
    for (auto& b : by_node) {
      if (!b.empty()) buckets_.push_back(std::move(b));
    }
    if (buckets_.size() < shards) {
      return Status::Usage("--shards " + std::to_string(shards) + ": the keys land on only " +
                           std::to_string(buckets_.size()) + " nodes of the ring");
    }
    shards_ = shards;
    return Status::Ok();
  }

  void Next(std::vector<wire::Op>* ops, uint64_t value) {
    ops->clear();
    const std::string v = "v" + std::to_string(value);
    if (shards_ == 0) {
      std::uniform_int_distribution<uint64_t> pick(0, keys_ - 1);
      for (size_t i = 0; i < ops_; ++i) {
        ops->push_back(wire::Op{wire::OpKind::kPut, BenchKey(pick(rng_)), v});
      }
      return;
    }
    order_.resize(buckets_.size());
    for (size_t i = 0; i < order_.size(); ++i) order_[i] = i;
    for (size_t i = 0; i < shards_; ++i) {  // partial Fisher-Yates
      std::uniform_int_distribution<size_t> j(i, order_.size() - 1);
      std::swap(order_[i], order_[j(rng_)]);
    }
    for (size_t i = 0; i < ops_; ++i) {
      const auto& b = buckets_[order_[i % shards_]];
      std::uniform_int_distribution<size_t> pick(0, b.size() - 1);
      ops->push_back(wire::Op{wire::OpKind::kPut, BenchKey(b[pick(rng_)]), v});
    }
  }

 private:
  uint64_t keys_;
  size_t ops_;
  size_t shards_ = 0;
  std::mt19937_64 rng_;
  std::vector<std::vector<uint32_t>> buckets_;  // key numbers per non-empty node
  std::vector<size_t> order_;
};

std::string Ms(uint64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(us) / 1000.0);
  return buf;
}

}  // namespace

int RunBench(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "");
  daemon::AddConnectFlags(p, "the txcoord serve endpoint", 5000);
  p.Add()("clients", "simulated clients, each with one transaction in flight",
          cxxopts::value<size_t>()->default_value("64"),
          "N")("duration", "seconds to run", cxxopts::value<double>()->default_value("10"), "S")(
      "keys", "distinct keys, bench:0 to bench:K-1",
      cxxopts::value<uint64_t>()->default_value("100000"),
      "K")("ops-per-tx", "puts per transaction", cxxopts::value<size_t>()->default_value("2"), "M")(
      "shards", "spread each transaction over S distinct nodes (needs --ring)",
      cxxopts::value<size_t>(), "S")("ring", "the coordinator's ring file, to choose keys by node",
                                     cxxopts::value<std::string>(), "FILE");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(0, 0, &rc)) return rc;
  net::ConnectOptions co;
  if (Status s = daemon::ConnectFlags(p, &co); !s.ok()) {
    return s.code() == Code::kUsage ? p.UsageError(s.message()) : cli::Fail(tool, s);
  }
  const size_t clients = p.Get<size_t>("clients");
  const double duration = p.Get<double>("duration");
  const uint64_t keys = p.Get<uint64_t>("keys");
  const size_t ops = p.Get<size_t>("ops-per-tx");
  if (clients == 0 || clients > 4096) return p.UsageError("--clients must be 1..4096");
  if (!(duration > 0) || duration > 86400) return p.UsageError("--duration must be 0..86400");
  if (keys == 0 || keys > 100'000'000) return p.UsageError("--keys must be 1..100000000");
  if (ops == 0 || ops > 1000) return p.UsageError("--ops-per-tx must be 1..1000");

  std::random_device rd;
  KeyChooser chooser(keys, ops, (uint64_t{rd()} << 32) | rd());
  if (p.Has("shards")) {
    const size_t shards = p.Get<size_t>("shards");
    if (shards == 0 || shards > ops) return p.UsageError("--shards must be 1..--ops-per-tx");
    if (!p.Has("ring")) return p.UsageError("--shards needs --ring");
    auto r = ring::OpenRing(p.Get<std::string>("ring"));
    if (!r.ok()) return cli::Fail(tool, r.status().Prefixed(p.Get<std::string>("ring")));
    if (Status s = chooser.UseShards(*r, shards); !s.ok()) return p.UsageError(s.message());
  } else if (p.Has("ring")) {
    return p.UsageError("--ring is only used with --shards");
  }

  auto before = Snapshot(co);
  if (!before.ok()) return cli::Fail(tool, before.status());
  zmq::context_t context;
  auto client = net::Client::Connect(context, co);
  if (!client.ok()) return cli::Fail(tool, client.status());

  struct Slot {
    uint64_t id = 0;
    Clock::time_point start;
  };
  std::vector<Slot> slots(clients);
  std::unordered_map<uint64_t, size_t> by_id;  // request id -> slot
  by_id.reserve(clients * 2);
  std::vector<wire::Op> tx_ops;
  std::string body;
  uint64_t issued = 0, committed = 0, aborted = 0, timeouts = 0;
  cli::LatencyHistogram latency;

  auto issue = [&](size_t slot) -> Status {
    chooser.Next(&tx_ops, issued++);
    wire::EncodeBodyTo(wire::Submit{"", tx_ops}, &body);
    auto id = client->Send(wire::MsgType::kSubmit, body);
    if (!id.ok()) return id.status();
    slots[slot] = {*id, Clock::now()};
    by_id[*id] = slot;
    return Status::Ok();
  };

  cli::Progress progress("bench: transactions", 0);
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration));
  for (size_t i = 0; i < clients; ++i) {
    if (Status s = issue(i); !s.ok()) return cli::Fail(tool, s);
  }
  auto last_check = start;
  bool running = true;
  while (running || !by_id.empty()) {
    auto now = Clock::now();
    if (running && now >= end) running = false;
    // After the end, wait at most one timeout for the stragglers.
    if (!running && now >= end + co.timeout) break;
    auto reply = client->Receive(std::chrono::milliseconds(50));
    now = Clock::now();
    if (reply.ok()) {
      auto it = by_id.find(reply->header.request_id);
      if (it == by_id.end()) continue;  // timed out earlier
      const size_t slot = it->second;
      by_id.erase(it);
      wire::SubmitResult r;
      bool ok = reply->header.type == wire::MsgType::kSubmitResult &&
                wire::DecodeBody(reply->body(), &r).ok();
      if (!ok) {
        Status s = client->ReplyStatus(*reply);
        return cli::Fail(tool, s.ok() ? Status::DataError("bad SUBMIT_RESULT") : s);
      }
      if (slots[slot].start < end) {
        if (r.outcome == wire::TxOutcome::kCommitted) {
          ++committed;
          auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - slots[slot].start);
          latency.Record(static_cast<uint64_t>(us.count()));
        } else {
          ++aborted;
        }
        progress.Update(committed + aborted);
      }
      if (running) {
        if (Status s = issue(slot); !s.ok()) return cli::Fail(tool, s);
      }
    } else if (reply.status().code() != Code::kTemporary) {
      return cli::Fail(tool, reply.status());
    }
    if (running && now - last_check >= std::chrono::milliseconds(100)) {
      last_check = now;
      for (size_t i = 0; i < clients; ++i) {
        if (slots[i].id == 0 || !by_id.count(slots[i].id)) continue;
        if (now - slots[i].start < co.timeout) continue;
        ++timeouts;
        by_id.erase(slots[i].id);
        if (Status s = issue(i); !s.ok()) return cli::Fail(tool, s);
      }
    }
  }
  progress.Finish(committed + aborted);
  const double secs = std::chrono::duration<double>(end - start).count();
  auto after = Snapshot(co);
  if (!after.ok()) return cli::Fail(tool, after.status());
  const double status_secs = std::chrono::duration<double>(after->when - before->when).count();
  const uint64_t fsyncs = after->fsyncs - before->fsyncs;
  const uint64_t coord_commits = after->committed - before->committed;

  // Summary: TSV name<TAB>value lines, or one JSON object; then the
  // histogram: TSV hist<TAB>le_ms<TAB>count<TAB>bar, JSON {"le_ms":..,"count":..}.
  struct Metric {
    const char* name;
    double value;
    int digits;  // -1: an integer
  };
  const uint64_t done = committed + aborted;
  const Metric metrics[] = {
      {"clients", static_cast<double>(clients), -1},
      {"duration_s", secs, 3},
      {"committed", static_cast<double>(committed), -1},
      {"aborted", static_cast<double>(aborted), -1},
      {"timeouts", static_cast<double>(timeouts), -1},
      {"tx_per_s", static_cast<double>(committed) / secs, 1},
      {"abort_rate", done ? static_cast<double>(aborted) / static_cast<double>(done) : 0, 4},
      {"p50_ms", static_cast<double>(latency.Percentile(0.50)) / 1000, 3},
      {"p95_ms", static_cast<double>(latency.Percentile(0.95)) / 1000, 3},
      {"p99_ms", static_cast<double>(latency.Percentile(0.99)) / 1000, 3},
      {"max_ms", static_cast<double>(latency.max_us()) / 1000, 3},
      {"coordinator_fsyncs_per_s", static_cast<double>(fsyncs) / status_secs, 1},
      {"commits_per_fsync",
       fsyncs ? static_cast<double>(coord_commits) / static_cast<double>(fsyncs) : 0, 2},
  };
  const bool json = p.json();
  cli::Writer w;
  if (json) {
    cli::Record rec(w, true);
    for (const Metric& m : metrics) {
      if (m.digits < 0) {
        rec.Uint(m.name, static_cast<uint64_t>(m.value));
      } else {
        rec.Double(m.name, m.value, m.digits);
      }
    }
    rec.End();
  } else {
    for (const Metric& m : metrics) {
      w.Put(m.name);
      w.Put('\t');
      if (m.digits < 0) {
        w.PutUint(static_cast<uint64_t>(m.value));
      } else {
        w.PutDouble(m.value, m.digits);
      }
      w.Put('\n');
    }
  }
  const auto bins = latency.PowersOfTwo();
  uint64_t peak = 0;
  for (const auto& [le, n] : bins) peak = std::max(peak, n);
  bool started = false;
  for (const auto& [le, n] : bins) {
    if (n == 0 && !started) continue;
    started = true;
    if (json) {
      cli::Record(w, true)
          .Double("le_ms", static_cast<double>(le) / 1000, 3)
          .Uint("count", n)
          .End();
    } else {
      const size_t bar = peak ? static_cast<size_t>((n * 50 + peak - 1) / peak) : 0;
      cli::Record(w, false)
          .Str("hist", "hist")
          .Str("le_ms", Ms(le))
          .Uint("count", n)
          .Str("bar", std::string(bar, '#'))
          .End();
    }
  }
  Status s = w.Flush();
  if (!s.ok()) return cli::Fail(tool, s);
  if (committed == 0) return cli::Fail(tool, Status::Temporary("no transaction committed"));
  return 0;
}

}  // namespace txcoord
