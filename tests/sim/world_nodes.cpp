// The simulator as a driver: it runs each core exactly as a daemon would,
// keeping core.h's contract (LSNs, cumulative LogDurable, timers), and
// reports what the cores do to the checker.
#include <cstdio>

#include "world.h"

namespace sim {
namespace {

std::string Txid(const Message& m) {
  return std::visit(
      [](const auto& x) -> std::string {
        if constexpr (requires { x.txid; }) {
          return x.txid;
        } else {
          return "";
        }
      },
      m);
}

std::string Brief(const Message& m) {
  std::string s(wire::MsgTypeName(TypeOf(m)));
  const std::string txid = Txid(m);
  if (!txid.empty()) s += " " + txid;
  if (const auto* v = std::get_if<wire::Vote>(&m)) {
    s += v->vote == wire::VoteKind::kYes  ? " yes"
         : v->vote == wire::VoteKind::kNo ? " no: " + v->reason
                                          : " read-only";
  } else if (const auto* r = std::get_if<wire::SubmitResult>(&m)) {
    s += r->outcome == wire::TxOutcome::kCommitted ? " committed" : " aborted: " + r->reason;
  } else if (const auto* o = std::get_if<wire::Outcome>(&m)) {
    s += o->outcome == wire::TxOutcome::kCommitted ? " committed"
         : o->outcome == wire::TxOutcome::kAborted ? " aborted"
                                                   : " unknown";
  }
  return s;
}

bool SameAction(const Action& a, const Action& b) {
  if (a.index() != b.index()) return false;
  if (const auto* x = std::get_if<Send>(&a)) {
    const auto& y = std::get<Send>(b);
    return x->to == y.to && x->request_id == y.request_id &&
           EncodeTxnMessage(0, x->msg) == EncodeTxnMessage(0, y.msg);
  }
  if (const auto* x = std::get_if<AppendLog>(&a)) {
    const auto& y = std::get<AppendLog>(b);
    return x->lsn == y.lsn && x->type == y.type && x->payload == y.payload && x->force == y.force;
  }
  if (const auto* x = std::get_if<SetTimer>(&a)) {
    const auto& y = std::get<SetTimer>(b);
    return x->id == y.id && x->delay_ms == y.delay_ms;
  }
  if (const auto* x = std::get_if<CancelTimer>(&a)) return x->id == std::get<CancelTimer>(b).id;
  const auto& x = std::get<Resolved>(a);
  const auto& y = std::get<Resolved>(b);
  return x.txid == y.txid && x.outcome == y.outcome;
}

}  // namespace

void IndexRecord(Node& n, const LogEntry& e) {
  const auto type = static_cast<RecordType>(e.type);
  std::string key;
  if (type == RecordType::kPrepared) {
    PreparedRecord r;
    if (DecodeRecord(type, e.payload, &r).ok()) key = "P:" + r.txid;
  } else if (type == RecordType::kCommitted || type == RecordType::kAborted) {
    TxidRecord r;
    if (DecodeRecord(type, e.payload, &r).ok()) {
      key = (type == RecordType::kCommitted ? "C:" : "A:") + r.txid;
    }
  } else if (type == RecordType::kOnePhaseCommitted) {
    OnePhaseRecord r;
    if (DecodeRecord(type, e.payload, &r).ok()) key = "1:" + r.txid;
  } else if (type == RecordType::kCommitDecision) {
    CommitDecisionRecord r;
    if (DecodeRecord(type, e.payload, &r).ok()) {
      key = "D:" + r.txid;
      n.index["DC:" + r.client_txid] = e.lsn;
    }
  }
  if (!key.empty()) n.index[key] = e.lsn;
}

std::unique_ptr<Coordinator> World::NewCoordinator(const Node& n, const std::string& tag) const {
  CoordinatorOptions o;
  // Unique per incarnation (a standby's: per standby).
  o.tag = tag.empty() ? "i" + std::to_string(n.incarnation) : tag;
  o.endpoints = {n.name};
  o.vote_timeout_ms = params_.vote_timeout_ms;
  o.prepare_resend_ms = params_.prepare_resend_ms;
  o.resend_initial_ms = params_.resend_initial_ms;
  o.resend_max_ms = params_.resend_max_ms;
  o.one_phase = params_.one_phase;
  o.unsafe_reveal_commit_before_durable = options_.broken_coordinator;
  return std::make_unique<Coordinator>(
      o, [this](std::string_view key) { return nodes_[Owner(std::string(key))].name; });
}

std::unique_ptr<Participant> World::NewParticipant(const Node& n) const {
  ParticipantOptions o;
  o.self = n.name;
  o.inquire_initial_ms = params_.inquire_initial_ms;
  o.inquire_max_ms = params_.inquire_max_ms;
  o.cooperative_after = params_.cooperative_after;
  return std::make_unique<Participant>(o);
}

void World::MakeCore(int node) {
  Node& n = nodes_[node];
  if (n.coordinator) {
    n.coord = NewCoordinator(n);
  } else {
    n.part = NewParticipant(n);
  }
}

void World::Restart(int node) {
  Node& n = nodes_[node];
  n.up = true;
  MakeCore(node);
  if (options_.verbose) {
    const std::string from =
        n.snapshot.empty() ? "" : "the snapshot at lsn " + std::to_string(n.snapshot_lsn) + " and ";
    std::printf("%8llu   start %s (incarnation %llu) from %s%zu records\n",
                static_cast<unsigned long long>(now_), n.name.c_str(),
                static_cast<unsigned long long>(n.incarnation), from.c_str(), n.log.size());
  }
  const Recovered recovered{n.log, n.NextLsn(), n.snapshot, n.snapshot_lsn};
  if (n.replicated) {
    // As the writer of a replicated directory: passive first.
    Handle(node, StandbyRecovered{recovered});
    if (checker_.violation()) return;
    return StartPassive(node, n.LastLsn());
  }
  std::vector<Action> actions;
  Status s = n.coord != nullptr ? n.coord->Handle(recovered, &actions)
                                : n.part->Handle(recovered, &actions);
  if (!s.ok()) return checker_.Fail("core", n.name + ": " + s.message(), now_);
  if (!n.snapshot.empty()) {
    ++stats_.snapshot_restarts;
    CheckSnapshotRecovery(n, actions);
  }
  if (checker_.violation()) return;
  Perform(node, actions);
  checker_.OnRestart(node, now_);
}

// A core that recovered from the snapshot and the log after it must be
// exactly the one a replay of the whole history gives: the same state (its
// ExportState holds everything replay rebuilds) and the same recovery
// actions.
void World::CheckSnapshotRecovery(const Node& n, const std::vector<Action>& actions) {
  std::vector<LogEntry> history = n.compacted;
  history.insert(history.end(), n.log.begin(), n.log.end());
  const Recovered whole{std::move(history), n.NextLsn(), {}, 0};
  std::vector<Action> want;
  Status s;
  Result<std::string> have = Status::Internal("no core");
  Result<std::string> expected = Status::Internal("no core");
  if (n.coord != nullptr) {
    auto ref = NewCoordinator(n);
    s = ref->Handle(whole, &want);
    if (s.ok()) {
      have = n.coord->ExportState();
      expected = ref->ExportState();
    }
  } else {
    auto ref = NewParticipant(n);
    s = ref->Handle(whole, &want);
    if (s.ok()) {
      have = n.part->ExportState();
      expected = ref->ExportState();
    }
  }
  const auto fail = [&](const std::string& what) {
    checker_.Fail("snapshot",
                  n.name + " recovered from the snapshot at lsn " + std::to_string(n.snapshot_lsn) +
                      " " + what,
                  now_);
  };
  if (!s.ok()) return fail("but the whole history does not recover: " + s.message());
  if (!have.ok() || !expected.ok()) {
    return fail("but cannot export its state: " + have.status().message() +
                expected.status().message());
  }
  if (*have != *expected) return fail("to another state than the whole history gives");
  bool same = actions.size() == want.size();
  for (size_t i = 0; same && i < actions.size(); ++i) same = SameAction(actions[i], want[i]);
  if (!same) fail("with other recovery actions than the whole history gives");
}

void World::Compact(int node) {
  Node& n = nodes_[node];
  if (!n.up) return;  // the daemon's background thread dies with it
  const Lsn durable = n.DurableLsn();
  if (durable <= n.snapshot_lsn) return;
  const Lsn upto = n.snapshot_lsn + compaction_rng_.Range(1, durable - n.snapshot_lsn);
  size_t count = 0;
  while (count < n.log.size() && n.log[count].lsn <= upto) ++count;
  // A fresh core replays the previous snapshot and the durable log up to
  // `upto`; what it exports is the new snapshot. The live core is untouched.
  const Recovered input{std::vector<LogEntry>(n.log.begin(), n.log.begin() + count), upto + 1,
                        n.snapshot, n.snapshot_lsn};
  std::vector<Action> ignored;
  Status s;
  Result<std::string> snap = Status::Internal("no core");
  if (n.coordinator) {
    auto shadow = NewCoordinator(n);
    s = shadow->Handle(input, &ignored);
    if (s.ok()) snap = shadow->ExportState();
  } else {
    auto shadow = NewParticipant(n);
    s = shadow->Handle(input, &ignored);
    if (s.ok()) snap = shadow->ExportState();
  }
  if (s.ok()) s = snap.status();
  if (!s.ok()) {
    return checker_.Fail(
        "snapshot",
        n.name + " cannot take a snapshot at lsn " + std::to_string(upto) + ": " + s.message(),
        now_);
  }
  if (options_.verbose) {
    std::printf("%8llu   %s snapshot at lsn %llu (%zu bytes) replaces %zu records\n",
                static_cast<unsigned long long>(now_), n.name.c_str(),
                static_cast<unsigned long long>(upto), snap->size(), count);
  }
  // The snapshot is durable (temp, fsync, rename) before the log it covers
  // is deleted; a crash in between would leave both, which is fine.
  n.snapshot = std::move(*snap);
  n.snapshot_lsn = upto;
  ++stats_.snapshots;
  n.compacted.insert(n.compacted.end(), std::make_move_iterator(n.log.begin()),
                     std::make_move_iterator(n.log.begin() + static_cast<long>(count)));
  n.log.erase(n.log.begin(), n.log.begin() + static_cast<long>(count));
}

void World::Handle(int node, const Event& e) {
  Node& n = nodes_[node];
  std::vector<Action> actions;
  Status s = n.coord != nullptr ? n.coord->Handle(e, &actions) : n.part->Handle(e, &actions);
  if (!s.ok()) return checker_.Fail("core", n.name + ": " + s.message(), now_);
  Perform(node, actions);
}

void World::Perform(int node, std::vector<Action>& actions) {
  Node& n = nodes_[node];
  const auto log = [&](const std::string& line) {
    if (options_.verbose)
      std::printf("%8llu   %s %s\n", static_cast<unsigned long long>(now_), n.name.c_str(),
                  line.c_str());
  };
  for (Action& a : actions) {
    if (auto* s = std::get_if<Send>(&a)) {
      log("-> " + s->to + " " + Brief(s->msg));
      checker_.OnSend(node, *s, now_);
      SendFrom(n.name, Actor{false, node}, *s);
      MaybeCrashSoon(node, params_.crash_after_send);
    } else if (auto* ap = std::get_if<AppendLog>(&a)) {
      log(std::string("append ") + (ap->force ? "forced " : "") + std::to_string(ap->lsn) + " " +
          DescribeRecord(ap->type, ap->payload));
      if (ap->lsn != n.NextLsn()) {
        return checker_.Fail("driver",
                             n.name + " appended lsn " + std::to_string(ap->lsn) + ", expected " +
                                 std::to_string(n.NextLsn()),
                             now_);
      }
      n.log.push_back(LogEntry{ap->lsn, ap->type, std::move(ap->payload)});
      IndexRecord(n, n.log.back());
      if (n.replicated) Ship(node);
      if (ap->force) MaybeCrashSoon(node, params_.crash_after_force);
      if (ap->force || rng_.Chance(0.5)) {
        auto ev = std::make_unique<Ev>();
        ev->kind = Kind::kSync;
        ev->t = now_ + (ap->force ? rng_.Range(params_.fsync_min_ms, params_.fsync_max_ms)
                                  : rng_.Range(5, 50));
        ev->node = node;
        ev->inc = n.incarnation;
        ev->id = n.Count();
        Push(std::move(ev));
      }
    } else if (auto* t = std::get_if<SetTimer>(&a)) {
      auto ev = std::make_unique<Ev>();
      ev->kind = Kind::kTimer;
      ev->t = now_ + t->delay_ms;
      ev->node = node;
      ev->inc = n.incarnation;
      ev->id = t->id;
      Push(std::move(ev));
    } else if (auto* c = std::get_if<CancelTimer>(&a)) {
      n.cancelled.insert(c->id);
    } else if (auto* r = std::get_if<Resolved>(&a)) {
      log("resolved " + r->txid +
          (r->outcome == wire::TxOutcome::kCommitted ? " committed" : " aborted"));
      checker_.OnResolved(node, *r, now_);
    }
    if (checker_.violation()) return;
  }
}

std::string World::Describe(const Ev& ev) const {
  switch (ev.kind) {
    case Kind::kDeliver:
      return (ev.to_client ? clients_[ev.node].name : nodes_[ev.node].name) + " <- " + ev.from +
             " " + Brief(ev.msg);
    case Kind::kTimer:
      return nodes_[ev.node].name + " timer " + std::to_string(ev.id);
    case Kind::kSync:
      return nodes_[ev.node].name + " fsync up to record " + std::to_string(ev.id);
    case Kind::kCrash:
      return "crash " + nodes_[ev.node].name;
    case Kind::kRestart:
      return "restart " + nodes_[ev.node].name;
    case Kind::kClientWake:
      return clients_[ev.node].name + " wakes";
    case Kind::kClientTimeout:
      return clients_[ev.node].name + " timeout of request " + std::to_string(ev.id);
    case Kind::kPartition:
      return "partition " + nodes_[ev.node].name + " | " + nodes_[ev.id].name + " for " +
             std::to_string(ev.inc) + " ms";
    case Kind::kOperator:
      return "operator resolves an in-doubt transaction at " + nodes_[ev.node].name +
             (ev.id == 1 ? " --commit" : " --abort");
    case Kind::kFaultsEnd:
      return "faults stop: heal, restart everything";
    case Kind::kCompact:
      return nodes_[ev.node].name + " takes a snapshot";
    case Kind::kShip:
      return nodes_[ev.node].name + " streams its log to its standby";
    case Kind::kStandbySync:
      return nodes_[ev.node].name + "'s standby fsyncs up to record " + std::to_string(ev.id);
    case Kind::kStandbyAck:
      return nodes_[ev.node].name + " hears its standby flushed lsn " + std::to_string(ev.id);
    case Kind::kFailover:
      return "failover of " + nodes_[ev.node].name;
  }
  return "?";
}

}  // namespace sim
