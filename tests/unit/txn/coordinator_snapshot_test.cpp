// Coordinator snapshots: for logs the coordinator itself wrote, recovering
// from ExportState(replay of the log up to L) plus the records after L is
// indistinguishable from replaying the whole log, for every L. Malformed
// snapshots are refused cleanly.
#include <memory>
#include <set>

#include "harness.h"
#include "shardkit/txn/coordinator.h"
#include "shardkit/txn/participant.h"
#include "snapshot_harness.h"

using namespace txntest;

namespace {

const std::vector<std::string> kKeys = {"a1", "a2", "b1", "b2", "c1", "c2"};
const std::vector<std::string> kParts = {"pa", "pb", "pc"};

std::string Route(std::string_view key) { return key.empty() ? "" : "p" + std::string(1, key[0]); }

CoordinatorOptions Opts(std::string tag, size_t outcome_memory) {
  CoordinatorOptions o;
  o.tag = std::move(tag);
  o.endpoints = {"coord"};
  o.vote_timeout_ms = 300;
  o.prepare_resend_ms = 100;
  o.resend_initial_ms = 50;
  o.resend_max_ms = 400;
  o.outcome_memory = outcome_memory;
  return o;
}

std::string Observe(const Coordinator& c, const std::set<std::string>& clients) {
  std::string s = "in flight:";
  for (const CoordTxnInfo& t : c.InFlight()) {
    s += " " + t.txid + "/" + t.client_txid + "/" + std::string(CoordStateName(t.state)) + "/p";
    for (const auto& p : t.participants) s += "," + p;
    s += "/w";
    for (const auto& p : t.waiting_for) s += "," + p;
  }
  s += "\noutcomes:";
  for (const std::string& client : clients) {
    if (const wire::SubmitResult* r = c.OutcomeOf(client)) {
      s += " " + client + "=" + Hex(wire::EncodeBody(*r));
    }
  }
  s += "\nheuristics:";
  for (const HeuristicReportInfo& h : c.Heuristics()) {
    s += " " + h.txid + "/" + h.participant + "/" + std::to_string(static_cast<int>(h.decided)) +
         "/" + std::to_string(static_cast<int>(h.heuristic)) + (h.mismatch ? "/mismatch" : "");
  }
  s += c.Idle() ? "\nidle" : "\nbusy";
  return s;
}

// Drives one coordinator with random clients and participants, crashing it
// now and then, and keeps the log it writes.
struct Scenario {
  explicit Scenario(uint64_t seed) : rng(seed), memory(rng.Chance(50) ? 3 : 1'000'000) {
    Restart();
  }

  Rng rng;
  size_t memory;
  std::vector<LogEntry> log;
  Lsn durable = 0;
  int incarnation = 0;
  std::unique_ptr<Coordinator> c;
  std::set<std::string> clients, txids;
  std::vector<TimerId> timers;
  uint64_t n = 0;

  Lsn Next() const { return log.empty() ? 1 : log.back().lsn + 1; }
  CoordinatorOptions Options() const { return Opts("chk", memory); }

  void Restart() {
    size_t keep = 0;
    while (keep < log.size() && log[keep].lsn <= durable) ++keep;
    keep += rng.Below(log.size() - keep + 1);
    log.resize(keep);
    durable = Next() - 1;
    timers.clear();
    c = std::make_unique<Coordinator>(Opts("r" + std::to_string(++incarnation), memory), Route);
    Apply(Recovered{log, Next(), {}, 0});
  }

  void Apply(const Event& e) {
    std::vector<Action> out;
    Status s = c->Handle(e, &out);
    INFO(s.message());
    REQUIRE(s.ok());
    for (const Action& a : out) {
      if (const auto* ap = std::get_if<AppendLog>(&a)) {
        REQUIRE(ap->lsn == Next());
        log.push_back(LogEntry{ap->lsn, ap->type, ap->payload});
      } else if (const auto* t = std::get_if<SetTimer>(&a)) {
        timers.push_back(t->id);
      } else if (const auto* s = std::get_if<Send>(&a)) {
        if (const auto* p = std::get_if<wire::Prepare>(&s->msg)) txids.insert(p->txid);
        if (const auto* p = std::get_if<wire::CommitOnePhase>(&s->msg)) txids.insert(p->txid);
      }
    }
  }

  std::string Pick(const std::set<std::string>& set) {
    return *std::next(set.begin(), static_cast<long>(rng.Below(set.size())));
  }

  std::vector<wire::Op> Ops() {
    std::vector<wire::Op> ops;
    const size_t count = 1 + rng.Below(3);
    for (size_t i = 0; i < count; ++i) {
      const std::string& k = rng.Pick(kKeys);
      switch (rng.Below(3)) {
        case 0:
          ops.push_back(Get(k));
          break;
        case 1:
          ops.push_back(CheckAbsent(k));
          break;
        default:
          ops.push_back(Put(k, "v"));
      }
    }
    return ops;
  }

  void Step() {
    const auto msg = [&](const Peer& from, Message m) {
      Apply(MessageReceived{from, rng.Below(1000), std::move(m)});
    };
    const std::vector<CoordTxnInfo> live = c->InFlight();
    switch (rng.Below(14)) {
      case 0:
      case 1: {
        std::string client;
        if (!clients.empty() && rng.Chance(20)) {
          client = Pick(clients);
        } else if (rng.Chance(80)) {
          client = "x" + std::to_string(++n);
        }
        if (!client.empty()) clients.insert(client);
        return msg("cli", wire::Submit{client, Ops()});
      }
      case 2:
      case 3:
      case 4: {  // a vote from a participant the coordinator waits for
        for (const CoordTxnInfo& t : live) {
          if (t.state != CoordState::kVoting || t.waiting_for.empty() || !rng.Chance(60)) continue;
          const uint64_t r = rng.Below(100);
          const wire::VoteKind v = r < 60   ? wire::VoteKind::kYes
                                   : r < 75 ? wire::VoteKind::kNo
                                            : wire::VoteKind::kReadOnly;
          return msg(rng.Pick(t.waiting_for), wire::Vote{t.txid, v, "", "", {}});
        }
        return;
      }
      case 5: {  // an ACK, or a one-phase result
        for (const CoordTxnInfo& t : live) {
          if (t.state == CoordState::kCommitted && !t.waiting_for.empty()) {
            return msg(rng.Pick(t.waiting_for), wire::Ack{t.txid});
          }
          if (t.state == CoordState::kOnePhase) {
            return msg(t.participants[0],
                       wire::OnePhaseResult{
                           t.txid,
                           rng.Chance(70) ? wire::TxOutcome::kCommitted : wire::TxOutcome::kAborted,
                           "",
                           "",
                           {}});
          }
        }
        return;
      }
      case 6:
      case 7:
        if (Next() - 1 > durable) {
          durable += 1 + rng.Below(Next() - 1 - durable);
          Apply(LogDurable{durable});
        }
        return;
      case 8:
        if (!txids.empty()) msg(rng.Pick(kParts), wire::Inquire{Pick(txids)});
        return;
      case 9:
        if (!txids.empty()) {
          msg(rng.Pick(kParts), wire::HeuristicReport{Pick(txids), rng.Pick(kParts),
                                                      rng.Chance(50) ? wire::TxOutcome::kCommitted
                                                                     : wire::TxOutcome::kAborted});
        }
        return;
      case 10:
        if (!timers.empty()) Apply(TimerFired{rng.Pick(timers)});
        return;
      case 11:
        if (!txids.empty())
          msg(rng.Pick(kParts), wire::Vote{Pick(txids), wire::VoteKind::kYes, "", "", {}});
        return;
      case 12:
        if (rng.Chance(30)) Restart();
        return;
      default:
        if (!live.empty()) Apply(TimerFired{rng.Pick(timers)});
        return;
    }
  }
};

struct Recovery {
  std::unique_ptr<Coordinator> c;
  std::string actions;
};

Recovery Recover(const CoordinatorOptions& opts, Recovered r) {
  Recovery out{std::make_unique<Coordinator>(opts, Route), ""};
  std::vector<Action> actions;
  Status s = out.c->Handle(r, &actions);
  INFO(s.message());
  REQUIRE(s.ok());
  out.actions = Describe(actions);
  return out;
}

std::string Export(const Coordinator& c) {
  Result<std::string> snap = c.ExportState();
  INFO(snap.status().message());
  REQUIRE(snap.ok());
  return *snap;
}

void ProbeAlike(Coordinator& a, Coordinator& b, const std::set<std::string>& clients,
                const std::set<std::string>& txids) {
  const auto both = [&](const Event& e) {
    std::vector<Action> x, y;
    Status sa = a.Handle(e, &x), sb = b.Handle(e, &y);
    CHECK(sa.code() == sb.code());
    CHECK(Describe(x) == Describe(y));
  };
  const auto msg = [](const Peer& from, Message m) {
    return MessageReceived{from, 7, std::move(m)};
  };
  for (const std::string& client : clients) {
    both(msg("cli", wire::Submit{client, {Put("a1", "z"), Get("b1")}}));
  }
  for (const std::string& t : txids) {
    both(msg("pa", wire::Inquire{t}));
    both(msg("pb", wire::HeuristicReport{t, "pb", wire::TxOutcome::kCommitted}));
    both(msg("pa", wire::Vote{t, wire::VoteKind::kYes, "", "", {}}));
    both(msg("pa", wire::Ack{t}));
  }
  both(LogDurable{Lsn{1} << 40});
}

void CheckEveryCut(const Scenario& sc) {
  const Lsn next = sc.Next();
  const CoordinatorOptions opts = sc.Options();
  std::string previous;
  for (Lsn cut = 0; cut < next; ++cut) {
    INFO("cut at lsn " << cut << " of " << next - 1);
    Recovery shadow = Recover(opts, Recovered{Slice(sc.log, 0, cut), cut + 1, {}, 0});
    const std::string snap = Export(*shadow.c);
    if (cut > 0) {
      Recovery chained =
          Recover(opts, Recovered{Slice(sc.log, cut - 1, cut), cut + 1, previous, cut - 1});
      CHECK(Export(*chained.c) == snap);
    }
    previous = snap;

    Recovery full = Recover(opts, Recovered{sc.log, next, {}, 0});
    Recovery restored = Recover(opts, Recovered{Slice(sc.log, cut, next - 1), next, snap, cut});
    CHECK(restored.actions == full.actions);
    CHECK(Observe(*restored.c, sc.clients) == Observe(*full.c, sc.clients));
    CHECK(Export(*restored.c) == Export(*full.c));
    if (cut % 5 == 0 || cut + 1 == next) {
      ProbeAlike(*restored.c, *full.c, sc.clients, sc.txids);
      CHECK(Observe(*restored.c, sc.clients) == Observe(*full.c, sc.clients));
    }
  }
}

}  // namespace

TEST_CASE("coordinator: snapshot + tail recovers exactly what the whole log does, at every cut",
          "[txn][coordinator][snapshot]") {
  for (uint64_t seed = 1; seed <= 16; ++seed) {
    INFO("seed " << seed);
    Scenario sc(seed);
    for (int i = 0; i < 300; ++i) sc.Step();
    sc.Restart();
    CheckEveryCut(sc);
  }
}

TEST_CASE("coordinator: a snapshot re-drives open decisions and remembers outcomes",
          "[txn][coordinator][snapshot]") {
  Log log;
  {
    Coordinator c(Opts("T", 1'000'000), Route);
    Feed(c, Recovered{});
    // x1 commits and ENDs; x2 commits, pb never ACKs; x3 aborts (not logged).
    for (const std::string client : {"x1", "x2"}) {
      Deliver(c, "cli", wire::Submit{client, {Put("a1", "1"), Put("b1", "1")}});
      const std::string txid = c.InFlight().back().txid;
      Deliver(c, "pa", wire::Vote{txid, wire::VoteKind::kYes, "", "", {}});
      log.Take(Deliver(c, "pb", wire::Vote{txid, wire::VoteKind::kYes, "", "", {}}));
      Feed(c, LogDurable{log.next - 1});
      log.Take(Deliver(c, "pa", wire::Ack{txid}));
      if (client == "x1") log.Take(Deliver(c, "pb", wire::Ack{txid}));
    }
    Deliver(c, "cli", wire::Submit{"x3", {Put("a1", "1"), Put("b1", "1")}});
    Deliver(c, "pa", wire::Vote{c.InFlight().back().txid, wire::VoteKind::kNo, "", "", {}});
    log.Take(Deliver(c, "pc", wire::HeuristicReport{"x1@T.1", "pc", wire::TxOutcome::kAborted}));
  }
  Recovery shadow = Recover(Opts("S", 1'000'000), log.Recover());
  const std::string snap = Export(*shadow.c);
  Recovery c = Recover(Opts("U", 1'000'000), Recovered{{}, log.next, snap, log.next - 1});
  REQUIRE(c.c->InFlight().size() == 1);
  CHECK(c.c->InFlight()[0].client_txid == "x2");
  // ACKs are not logged: both YES voters get COMMIT again.
  CHECK(c.c->InFlight()[0].waiting_for == std::vector<std::string>{"pa", "pb"});
  CHECK(c.actions.find("send pa") != std::string::npos);
  CHECK(c.actions.find("send pb") != std::string::npos);
  REQUIRE(c.c->OutcomeOf("x1") != nullptr);
  CHECK(c.c->OutcomeOf("x1")->outcome == wire::TxOutcome::kCommitted);
  CHECK(c.c->OutcomeOf("x3") == nullptr);  // aborts are not logged
  REQUIRE(c.c->Heuristics().size() == 1);
  CHECK(c.c->Heuristics()[0].mismatch);
  // A retry of x1 is answered from memory.
  Out retry = Deliver(*c.c, "cli", wire::Submit{"x1", {Put("a1", "1"), Put("b1", "1")}}, 4);
  CHECK(retry.One<wire::SubmitResult>("cli").outcome == wire::TxOutcome::kCommitted);
  CHECK(retry.Sent<wire::Prepare>().empty());
}

TEST_CASE("coordinator: ExportState only on a core that has only recovered",
          "[txn][coordinator][snapshot]") {
  Coordinator fresh(Opts("T", 10), Route);
  CHECK(fresh.ExportState().status().code() == Code::kInternal);
  Coordinator c(Opts("T", 10), Route);
  Feed(c, Recovered{});
  CHECK(c.ExportState().ok());
  Deliver(c, "cli", wire::Submit{"x", {Put("a1", "1")}});
  CHECK(c.ExportState().status().code() == Code::kInternal);
}

TEST_CASE("coordinator: damaged or foreign snapshots are refused, never crash",
          "[txn][coordinator][snapshot]") {
  Scenario sc(5);
  for (int i = 0; i < 300; ++i) sc.Step();
  sc.Restart();
  const Lsn lsn = sc.Next() - 1;
  Recovery shadow = Recover(sc.Options(), Recovered{sc.log, lsn + 1, {}, 0});
  const std::string snap = Export(*shadow.c);
  REQUIRE(snap.size() > 64);
  const auto load = [&](const std::string& bytes, Lsn at) {
    Coordinator c(sc.Options(), Route);
    std::vector<Action> out;
    return c.Handle(Recovered{{}, at + 1, bytes, at}, &out);
  };
  REQUIRE(load(snap, lsn).ok());
  CHECK(load(snap, lsn + 1).code() == Code::kIoError);
  for (size_t len = 0; len < snap.size(); ++len) {
    INFO("length " << len);
    CHECK(load(snap.substr(0, len), lsn).code() == Code::kIoError);
  }
  Rng rng(11);
  int refused = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string bad = snap;
    const int flips = 1 + static_cast<int>(rng.Below(4));
    for (int f = 0; f < flips; ++f) {
      bad[rng.Below(bad.size())] ^= static_cast<char>(1 + rng.Below(255));
    }
    Status s = load(bad, lsn);
    CHECK((s.ok() || s.code() == Code::kIoError));
    refused += s.ok() ? 0 : 1;
  }
  CHECK(refused > 1000);

  // A participant's snapshot.
  Participant p;
  std::vector<Action> out;
  REQUIRE(p.Handle(Recovered{{}, 1, {}, 0}, &out).ok());
  Status s = load(*p.ExportState(), 0);
  CHECK(s.code() == Code::kIoError);
  CHECK(s.message().find("a participant snapshot, expected a coordinator one") !=
        std::string::npos);
  // Garbage.
  CHECK(load("not a snapshot at all", 0).code() == Code::kIoError);
}
