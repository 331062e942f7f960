#include "serve_admin.h"

#include <cstdio>
#include <set>

#include "shardkit/cli/log.h"
#include "shardkit/txn/records.h"
#include "shardkit/txn/script.h"

namespace txpart {

using namespace shardkit;

namespace {

// Rates cover about this much history.
constexpr auto kRateWindow = std::chrono::seconds(10);
// Bytes of cells one admin reply may carry, far below a frame (16 MiB):
// only a pathological lock table (thousands of 64 KiB keys) reaches it.
constexpr size_t kMaxReplyBytes = size_t{4} << 20;

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string Join(const std::vector<std::string>& items, char sep) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

// Keys as escaped fields separated by spaces: an escaped field holds no
// blank, so the list splits back unambiguously.
std::string JoinKeys(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) {
    if (!out.empty()) out += ' ';
    out += txn::EscapeField(k);
  }
  return out;
}

size_t RowBytes(const std::vector<std::string>& row) {
  size_t n = 0;
  for (const auto& cell : row) n += cell.size() + 1;
  return n;
}

wire::AdminReply ResolveRow(const std::string& txid, const std::string& outcome,
                            const std::string& error) {
  return wire::AdminReply{{"txid", "outcome", "error"}, {{txid, outcome, error}}};
}

}  // namespace

ServeAdmin::ServeAdmin(daemon::Node& node, const txn::Participant& core, std::string self)
    : node_(node), core_(core), self_(std::move(self)), started_(Clock::now()) {
  samples_.push_back(Now());
}

ServeAdmin::Sample ServeAdmin::Now() const {
  const auto& st = core_.stats();
  return Sample{Clock::now(), st.committed, st.direct_writes, node_.log_stats().fsyncs};
}

void ServeAdmin::Tick() {
  samples_.push_back(Now());
  while (samples_.size() > 2 && samples_.back().at - samples_[1].at >= kRateWindow) {
    samples_.pop_front();
  }
  NoteBranches(core_.Branches());
}

void ServeAdmin::NoteBranches(const std::vector<txn::BranchInfo>& branches) {
  const auto now = Clock::now();
  std::set<std::string_view> live;
  for (const auto& b : branches) {
    first_seen_.emplace(b.txid, now);
    live.insert(b.txid);
  }
  for (auto it = first_seen_.begin(); it != first_seen_.end();) {
    it = live.count(it->first) ? std::next(it) : first_seen_.erase(it);
  }
}

size_t ServeAdmin::pending_resolves() const {
  size_t n = 0;
  for (const auto& [txid, waiting] : resolving_) n += waiting.size();
  return n;
}

void ServeAdmin::Handle(const wire::AdminRequest& req, daemon::Node::Respond respond) {
  const bool no_args = req.args.empty();
  if (req.verb == "resolve") return Resolve(req.args, std::move(respond));
  if (!no_args) {
    return respond(Status::DataError("admin verb '" + req.verb + "' takes no arguments"));
  }
  if (req.verb == "status") return respond(StatusTable());
  if (req.verb == "prepared") return respond(PreparedTable());
  if (req.verb == "locks") return respond(LocksTable());
  if (req.verb == "heuristics") return respond(HeuristicsTable());
  respond(shardkit::Status::DataError("unknown admin verb '" + req.verb + "'"));
}

wire::AdminReply ServeAdmin::StatusTable() const {
  const auto& st = core_.stats();
  const auto log = node_.log_stats();
  const auto branches = core_.Branches();
  const auto heuristics = core_.Heuristics();
  uint64_t in_doubt = 0, unreported = 0, mismatch = 0;
  for (const auto& b : branches) in_doubt += b.state == txn::BranchState::kPrepared;
  for (const auto& h : heuristics) {
    unreported += !h.reported;
    const auto chosen = h.committed ? wire::TxOutcome::kCommitted : wire::TxOutcome::kAborted;
    mismatch += h.decided != wire::TxOutcome::kUnknown && h.decided != chosen;
  }
  const Sample now = Now(), &old = samples_.front();
  const double secs = std::chrono::duration<double>(now.at - old.at).count();
  auto rate = [&](uint64_t a, uint64_t b) { return Fixed(secs > 0 ? double(a - b) / secs : 0, 1); };

  wire::AdminReply t{{"name", "value"}, {}};
  auto add = [&](const char* name, std::string value) {
    t.rows.push_back({name, std::move(value)});
  };
  auto num = [&](const char* name, uint64_t v) { add(name, std::to_string(v)); };
  add("self", self_);
  add("uptime_s", Fixed(std::chrono::duration<double>(now.at - started_).count(), 1));
  num("durable_lsn", node_.durable_lsn());
  num("keys", core_.store().size());
  num("store_bytes", core_.store().bytes());
  num("locks", core_.locks().size());
  num("lock_owners", core_.locks().owner_count());
  num("unfinished", branches.size());
  num("in_doubt", in_doubt);
  num("heuristic_outcomes", heuristics.size());
  num("heuristic_unreported", unreported);
  num("heuristic_mismatches", mismatch);
  num("prepared_total", st.prepared);
  num("committed_total", st.committed);
  num("aborted_total", st.aborted);
  num("read_only_total", st.read_only);
  num("one_phase_total", st.one_phase);
  num("conflicts_total", st.conflicts);
  num("check_failures_total", st.check_failures);
  num("direct_writes_total", st.direct_writes);
  num("inquiries_total", st.inquiries);
  num("heuristic_total", st.heuristic);
  num("wal_records_total", log.records);
  num("wal_bytes_total", log.bytes);
  num("wal_batches_total", log.batches);
  num("wal_fsyncs_total", log.fsyncs);
  add("rate_window_s", Fixed(secs, 1));
  add("commits_per_s", rate(now.commits, old.commits));
  add("writes_per_s", rate(now.writes, old.writes));
  add("fsyncs_per_s", rate(now.fsyncs, old.fsyncs));
  add("role", node_.role());
  num("epoch", node_.epoch());
  add("ack_level", node_.ack_level());
  return t;
}

wire::AdminReply ServeAdmin::PreparedTable() {
  const auto branches = core_.Branches();
  NoteBranches(branches);
  const auto now = Clock::now();
  wire::AdminReply t{{"txid", "state", "age_s", "coordinator", "participants", "keys", "inquiries"},
                     {}};
  size_t bytes = 0;
  for (const auto& b : branches) {
    const auto seen = first_seen_.find(b.txid);
    const double age =
        seen == first_seen_.end() ? 0 : std::chrono::duration<double>(now - seen->second).count();
    std::vector<std::string> row{b.txid,
                                 std::string(txn::BranchStateName(b.state)),
                                 Fixed(age, 1),
                                 Join(b.coordinator, ','),
                                 Join(b.participants, ','),
                                 JoinKeys(b.keys),
                                 std::to_string(b.inquiries)};
    bytes += RowBytes(row);
    if (bytes > kMaxReplyBytes) {
      cli::LogWarn("prepared list cut short", {{"rows", std::to_string(t.rows.size())},
                                               {"unfinished", std::to_string(branches.size())}});
      break;
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

wire::AdminReply ServeAdmin::LocksTable() const {
  wire::AdminReply t{{"key", "txid"}, {}};
  size_t bytes = 0;
  for (auto& [key, owner] : core_.locks().List()) {
    std::vector<std::string> row{txn::EscapeField(key), owner};
    bytes += RowBytes(row);
    if (bytes > kMaxReplyBytes) {
      cli::LogWarn("lock list cut short", {{"rows", std::to_string(t.rows.size())},
                                           {"locks", std::to_string(core_.locks().size())}});
      break;
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

wire::AdminReply ServeAdmin::HeuristicsTable() const {
  wire::AdminReply t{{"txid", "outcome", "reported", "decided", "mismatch"}, {}};
  for (const auto& h : core_.Heuristics()) {
    const auto chosen = h.committed ? wire::TxOutcome::kCommitted : wire::TxOutcome::kAborted;
    const bool mismatch = h.decided != wire::TxOutcome::kUnknown && h.decided != chosen;
    t.rows.push_back({h.txid, std::string(txn::OutcomeName(chosen)), h.reported ? "true" : "false",
                      std::string(txn::OutcomeName(h.decided)), mismatch ? "true" : "false"});
  }
  return t;
}

void ServeAdmin::Resolve(const std::vector<std::string>& args, daemon::Node::Respond respond) {
  if (args.size() != 2 || (args[1] != "commit" && args[1] != "abort")) {
    return respond(shardkit::Status::DataError("resolve takes TXID commit|abort"));
  }
  const std::string& txid = args[0];
  const bool commit = args[1] == "commit";
  const std::string wanted = commit ? "committed" : "aborted";
  // Idempotent, so that a client's retry of a slow answer is not refused:
  // an outcome already forced the same way is answered again, and a
  // resolve already waiting for its record is joined.
  if (const txn::Finish* f = core_.FinishedAs(txid)) {
    const bool heuristic =
        *f == txn::Finish::kHeuristicCommitted || *f == txn::Finish::kHeuristicAborted;
    const bool committed = *f == txn::Finish::kHeuristicCommitted || *f == txn::Finish::kCommitted;
    if (heuristic && committed == commit) return respond(ResolveRow(txid, wanted, ""));
    return respond(ResolveRow(txid, "",
                              "transaction " + txid + " already " +
                                  (heuristic ? "resolved as " : "") +
                                  (committed ? "committed" : "aborted") + " here"));
  }
  if (auto it = resolving_.find(txid); it != resolving_.end()) {
    const txn::BranchState* state = core_.StateOf(txid);
    if (state != nullptr && *state == txn::BranchState::kResolving) {
      it->second.push_back(std::move(respond));
      return;
    }
  }
  auto& waiting = resolving_[txid];
  waiting.push_back(std::move(respond));
  const shardkit::Status s = node_.Handle(txn::OperatorResolve{txid, commit});
  if (s.ok()) {
    cli::LogWarn("heuristic outcome forced by operator", {{"txid", txid}, {"outcome", wanted}});
    return;
  }
  // Refused: nothing changed. Answer whoever joined (only this request).
  auto refused = std::move(resolving_[txid]);
  resolving_.erase(txid);
  for (auto& r : refused) {
    if (s.code() == Code::kNegative) {
      r(ResolveRow(txid, "", s.message()));
    } else {
      r(s);
    }
  }
}

void ServeAdmin::OnAction(const txn::Action& action) {
  const auto* resolved = std::get_if<txn::Resolved>(&action);
  if (resolved == nullptr) return;
  auto it = resolving_.find(resolved->txid);
  if (it == resolving_.end()) return;
  auto waiting = std::move(it->second);
  resolving_.erase(it);
  for (auto& r : waiting)
    r(ResolveRow(resolved->txid, std::string(txn::OutcomeName(resolved->outcome)), ""));
}

}  // namespace txpart
