#include "serve_admin.h"

#include <cstdio>

#include "common.h"
#include "shardkit/ring/ring_file.h"

namespace txcoord {

using namespace shardkit;

namespace {

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string Ms(uint64_t us) { return Fixed(static_cast<double>(us) / 1000.0, 3); }

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}

}  // namespace

wire::AdminReply StatusTable(const StatusInputs& in) {
  const txn::CoordinatorStats& st = in.core->stats();
  const cli::LatencyHistogram& lat = in.metrics->latency();
  wire::AdminReply t;
  t.columns = {"name", "value"};
  auto row = [&](std::string name, std::string value) {
    t.rows.push_back({std::move(name), std::move(value)});
  };
  auto num = [&](std::string name, uint64_t v) { row(std::move(name), std::to_string(v)); };
  row("tag", in.tag);
  num("submitted", st.submitted);
  num("committed", st.committed);
  num("aborted", st.aborted);
  num("one_phase", st.one_phase);
  num("read_only", st.read_only);
  num("retries", st.retries);
  num("inquiries", st.inquiries);
  num("heuristic_mismatches", st.heuristic_mismatches);
  num("heuristics", in.core->Heuristics().size());
  num("in_flight", in.core->InFlight().size());
  row("commit_rate", Fixed(in.metrics->CommitRate(), 1));
  row("abort_rate", Fixed(in.metrics->AbortRate(), 1));
  num("latency_count", lat.count());
  row("latency_p50_ms", Ms(lat.Percentile(0.50)));
  row("latency_p95_ms", Ms(lat.Percentile(0.95)));
  row("latency_p99_ms", Ms(lat.Percentile(0.99)));
  row("latency_max_ms", Ms(lat.max_us()));
  num("wal_records", in.log.records);
  num("wal_bytes", in.log.bytes);
  num("wal_batches", in.log.batches);
  num("wal_fsyncs", in.log.fsyncs);
  row("ring_generation", ring::GenerationHex(in.ring_generation));
  return t;
}

wire::AdminReply InflightTable(const txn::Coordinator& core) {
  wire::AdminReply t;
  t.columns = {"txid", "client_txid", "state", "participants", "waiting_for"};
  for (const txn::CoordTxnInfo& info : core.InFlight()) {
    t.rows.push_back({info.txid, info.client_txid, std::string(txn::CoordStateName(info.state)),
                      Join(info.participants), Join(info.waiting_for)});
  }
  return t;
}

wire::AdminReply HeuristicsTable(const txn::Coordinator& core) {
  wire::AdminReply t;
  t.columns = {"txid", "participant", "decided", "heuristic", "mismatch"};
  for (const txn::HeuristicReportInfo& h : core.Heuristics()) {
    t.rows.push_back({h.txid, h.participant, std::string(OutcomeName(h.decided)),
                      std::string(OutcomeName(h.heuristic)), h.mismatch ? "yes" : "no"});
  }
  return t;
}

Result<wire::AdminReply> OutcomeTable(const txn::Coordinator& core,
                                      const std::vector<std::string>& args) {
  if (args.size() != 1) return Status::Usage("outcome takes exactly one TXID");
  const std::string& txid = args[0];
  wire::AdminReply t;
  t.columns = {"txid", "outcome", "reason", "key"};
  if (const wire::SubmitResult* r = core.OutcomeOf(txid)) {
    t.rows.push_back({txid, std::string(OutcomeName(r->outcome)), r->reason, r->key});
    return t;
  }
  for (const txn::CoordTxnInfo& info : core.InFlight()) {
    if (info.client_txid == txid || info.txid == txid) {
      t.rows.push_back({txid, "running", std::string(txn::CoordStateName(info.state)), ""});
      return t;
    }
  }
  t.rows.push_back({txid, "unknown",
                    "not running and not remembered: never submitted here, forgotten, or "
                    "aborted before a coordinator restart",
                    ""});
  return t;
}

}  // namespace txcoord
