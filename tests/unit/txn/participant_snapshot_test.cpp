// Participant snapshots: for logs the participant itself wrote, recovering
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

const std::vector<std::string> kKeys = {"k0", "k1", "k2", "k3", "k4", "k5"};

ParticipantOptions Opts(size_t finished_memory) {
  return ParticipantOptions{"p0", 100, 800, 2, finished_memory};
}

// Everything a driver or an operator can observe, as text.
std::string Observe(const Participant& p, const std::set<std::string>& txids) {
  std::string s = "store:";
  for (const auto& [k, v] : p.store().entries()) s += " " + k + "=" + v;
  s += "\nbranches:";
  for (const BranchInfo& b : p.Branches()) {
    s += " " + b.txid + "/" + std::string(BranchStateName(b.state)) + "/" +
         std::to_string(b.inquiries) + "/c";
    for (const auto& c : b.coordinator) s += "," + c;
    s += "/p";
    for (const auto& x : b.participants) s += "," + x;
    s += "/k";
    for (const auto& k : b.keys) s += "," + k;
  }
  s += "\nheuristics:";
  for (const HeuristicInfo& h : p.Heuristics()) {
    s += " " + h.txid + (h.committed ? "/commit" : "/abort") + (h.reported ? "/reported" : "") +
         "/" + std::to_string(static_cast<int>(h.decided));
  }
  s += "\nfinished:";
  for (const std::string& t : txids) {
    if (const Finish* f = p.FinishedAs(t))
      s += " " + t + "=" + std::to_string(static_cast<int>(*f));
  }
  s += "\nlocks:";
  for (const auto& [k, o] : p.locks().List()) s += " " + k + ":" + o;
  s += p.Idle() ? "\nidle" : "\nbusy";
  return s;
}

// Drives one participant with random traffic, crashing it now and then, and
// keeps the log it writes (what a crash keeps: every durable record and a
// random number of the rest).
struct Scenario {
  explicit Scenario(uint64_t seed) : rng(seed), opts(Opts(rng.Chance(50) ? 4 : 1'000'000)) {
    Restart();
  }

  Rng rng;
  ParticipantOptions opts;
  std::vector<LogEntry> log;
  Lsn durable = 0;
  std::unique_ptr<Participant> p;
  std::set<std::string> txids;
  uint64_t n = 0;

  Lsn Next() const { return log.empty() ? 1 : log.back().lsn + 1; }

  void Restart() {
    size_t keep = 0;
    while (keep < log.size() && log[keep].lsn <= durable) ++keep;
    keep += rng.Below(log.size() - keep + 1);
    log.resize(keep);
    durable = Next() - 1;
    p = std::make_unique<Participant>(opts);
    Apply(Recovered{log, Next(), {}, 0});
  }

  void Apply(const Event& e) {
    std::vector<Action> out;
    Status s = p->Handle(e, &out);
    REQUIRE((s.ok() || std::holds_alternative<OperatorResolve>(e)));
    for (const Action& a : out) {
      if (const auto* ap = std::get_if<AppendLog>(&a)) {
        REQUIRE(ap->lsn == Next());
        log.push_back(LogEntry{ap->lsn, ap->type, ap->payload});
      }
    }
  }

  std::string Txid(const char* prefix) {
    if (!txids.empty() && rng.Chance(25)) {
      return *std::next(txids.begin(), static_cast<long>(rng.Below(txids.size())));
    }
    std::string t = prefix + std::to_string(++n);
    txids.insert(t);
    return t;
  }

  std::vector<wire::Op> Ops() {
    std::vector<wire::Op> ops;
    const size_t count = 1 + rng.Below(3);
    for (size_t i = 0; i < count; ++i) {
      const std::string& k = rng.Pick(kKeys);
      const std::string v = std::to_string(rng.Below(3));
      switch (rng.Below(7)) {
        case 0:
        case 1:
        case 2:
          ops.push_back(Put(k, v));
          break;
        case 3:
          ops.push_back(Del(k));
          break;
        case 4:
          ops.push_back(Get(k));
          break;
        case 5:
          ops.push_back(CheckEq(k, v));
          break;
        default:
          ops.push_back(CheckAbsent(k));
          break;
      }
    }
    return ops;
  }

  void Step() {
    const auto msg = [&](const Peer& from, Message m) {
      Apply(MessageReceived{from, rng.Below(1000), std::move(m)});
    };
    switch (rng.Below(16)) {
      case 0:
      case 1:
        return msg("c1", wire::Prepare{Txid("t"), {"c1", "c2"}, {"p0", "p1"}, Ops()});
      case 2:
        return msg("c1", wire::Commit{Txid("t")});
      case 3:
        return msg("c1", wire::Abort{Txid("t")});
      case 4:
        return msg("cli", wire::CommitOnePhase{Txid("o"), Ops()});
      case 5:
        return msg("cli", rng.Chance(70) ? Message(wire::PutRequest{rng.Pick(kKeys), "d"})
                                         : Message(wire::DelRequest{rng.Pick(kKeys)}));
      case 6:
      case 7:
      case 8:
        if (Next() - 1 > durable) {
          durable += 1 + rng.Below(Next() - 1 - durable);
          Apply(LogDurable{durable});
        }
        return;
      case 9: {
        for (const BranchInfo& b : p->Branches()) {
          if (b.state == BranchState::kPrepared && rng.Chance(50)) {
            return Apply(OperatorResolve{b.txid, rng.Chance(50)});
          }
        }
        return;
      }
      case 10:
        return msg("p1", wire::Inquire{Txid("t")});
      case 11:
        return msg("c1", wire::Outcome{Txid("t"), rng.Chance(50) ? wire::TxOutcome::kCommitted
                                                                 : wire::TxOutcome::kAborted});
      case 12:
        return msg("c1", wire::Ack{Txid("t")});
      case 13:
        return Apply(TimerFired{1 + rng.Below(30)});
      case 14:
        if (rng.Chance(30)) Restart();
        return;
      default:
        return msg("c1", wire::Prepare{Txid("t"), {"c1"}, {"p0", "p1", "p2"}, Ops()});
    }
  }
};

struct Recovery {
  std::unique_ptr<Participant> p;
  std::string actions;
};

Recovery Recover(const ParticipantOptions& opts, Recovered r) {
  Recovery out{std::make_unique<Participant>(opts), ""};
  std::vector<Action> actions;
  Status s = out.p->Handle(r, &actions);
  INFO(s.message());
  REQUIRE(s.ok());
  out.actions = Describe(actions);
  return out;
}

std::string Export(const Participant& p) {
  Result<std::string> snap = p.ExportState();
  INFO(snap.status().message());
  REQUIRE(snap.ok());
  return *snap;
}

// The same events, in the same order, to two participants: they must answer
// alike (remembered outcomes, in-doubt answers, locks, reads).
void ProbeAlike(Participant& a, Participant& b, const std::set<std::string>& txids) {
  const auto both = [&](const Event& e) {
    std::vector<Action> x, y;
    Status sa = a.Handle(e, &x), sb = b.Handle(e, &y);
    CHECK(sa.code() == sb.code());
    CHECK(Describe(x) == Describe(y));
  };
  const auto msg = [](const Peer& from, Message m) {
    return MessageReceived{from, 7, std::move(m)};
  };
  for (const std::string& t : txids) {
    both(msg("cli", wire::CommitOnePhase{t, {Put("k0", "z"), Get("k1")}}));
    both(msg("c1", wire::Prepare{t, {"c1"}, {"p0", "p1"}, {Put("k1", "z"), Get("k2")}}));
    both(msg("p1", wire::Inquire{t}));
    both(msg("c1", wire::Commit{t}));
    both(OperatorResolve{t, true});
  }
  both(LogDurable{Lsn{1} << 40});
  both(msg("cli", wire::GetRequest{kKeys}));
}

void CheckEveryCut(const Scenario& sc) {
  const Lsn next = sc.Next();
  std::string previous;  // the snapshot at the previous cut
  for (Lsn cut = 0; cut < next; ++cut) {
    INFO("cut at lsn " << cut << " of " << next - 1);
    // The snapshot at `cut`, by shadow replay of the log up to it...
    Recovery shadow = Recover(sc.opts, Recovered{Slice(sc.log, 0, cut), cut + 1, {}, 0});
    const std::string snap = Export(*shadow.p);
    // ...equals the one made from the previous snapshot plus one record
    // (chained compaction), byte for byte.
    if (cut > 0) {
      Recovery chained =
          Recover(sc.opts, Recovered{Slice(sc.log, cut - 1, cut), cut + 1, previous, cut - 1});
      CHECK(Export(*chained.p) == snap);
    }
    previous = snap;

    Recovery full = Recover(sc.opts, Recovered{sc.log, next, {}, 0});
    Recovery restored = Recover(sc.opts, Recovered{Slice(sc.log, cut, next - 1), next, snap, cut});
    CHECK(restored.actions == full.actions);
    CHECK(Observe(*restored.p, sc.txids) == Observe(*full.p, sc.txids));
    CHECK(Export(*restored.p) == Export(*full.p));
    if (cut % 7 == 0 || cut + 1 == next) ProbeAlike(*restored.p, *full.p, sc.txids);
  }
}

}  // namespace

TEST_CASE("participant: snapshot + tail recovers exactly what the whole log does, at every cut",
          "[txn][participant][snapshot]") {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    INFO("seed " << seed);
    Scenario sc(seed);
    for (int i = 0; i < 160; ++i) sc.Step();
    sc.Restart();  // the final log is one a restart could find
    CheckEveryCut(sc);
  }
}

TEST_CASE("participant: a snapshot carries every kind of state a restart needs",
          "[txn][participant][snapshot]") {
  Log log;
  {
    Participant p(Opts(1'000'000));
    Feed(p, Recovered{});
    const auto durable = [&](const Out& o) {
      log.Take(o);
      Feed(p, LogDurable{log.next - 1});
    };
    durable(Deliver(p, "cli", wire::PutRequest{"d", "direct"}));
    durable(Deliver(p, "cli", wire::CommitOnePhase{"one", {Put("o", "1")}}, 5));
    durable(Deliver(p, "c1", wire::Prepare{"doubt", {"c1", "c2"}, {"p0", "p1"}, {Put("b", "2")}}));
    durable(Deliver(p, "c1", wire::Prepare{"forced", {"c1"}, {"p0", "p1"}, {Put("f", "3")}}));
    log.Take(Feed(p, OperatorResolve{"forced", true}));
    Feed(p, LogDurable{log.next - 1});
    log.Take(Deliver(p, "c1", wire::Abort{"never-prepared"}));  // memory only
  }
  Recovery shadow = Recover(Opts(1'000'000), log.Recover());
  const std::string snap = Export(*shadow.p);

  // Everything before the snapshot is gone from the log.
  Recovery p = Recover(Opts(1'000'000), Recovered{{}, log.next, snap, log.next - 1});
  CHECK(*p.p->store().Find("d") == "direct");
  CHECK(*p.p->store().Find("o") == "1");
  CHECK(*p.p->store().Find("f") == "3");
  REQUIRE(p.p->Branches().size() == 1);
  CHECK(p.p->Branches()[0].txid == "doubt");
  CHECK(p.p->Branches()[0].coordinator == std::vector<std::string>{"c1", "c2"});
  CHECK(*p.p->locks().HolderOf("b") == "doubt");
  REQUIRE(p.p->Heuristics().size() == 1);
  CHECK(p.p->Heuristics()[0].committed);
  CHECK_FALSE(p.p->Heuristics()[0].reported);
  CHECK(p.p->FinishedAs("never-prepared") == nullptr);  // never logged
  REQUIRE(p.p->FinishedAs("one") != nullptr);
  CHECK(*p.p->FinishedAs("one") == Finish::kCommitted);
  // Recovery asks about the in-doubt one and reports the heuristic again.
  CHECK(p.actions.find("timer") != std::string::npos);
  CHECK(p.actions.find(Hex(EncodeTxnMessage(
            0, wire::HeuristicReport{"forced", "p0", wire::TxOutcome::kCommitted})[1])) !=
        std::string::npos);

  // A duplicate one-phase retry is answered from memory, not re-executed.
  Out retry = Deliver(*p.p, "cli", wire::CommitOnePhase{"one", {Put("o", "2")}}, 9);
  CHECK(retry.Appends().empty());
  CHECK(retry.One<wire::OnePhaseResult>("cli").outcome == wire::TxOutcome::kCommitted);
  CHECK(*p.p->store().Find("o") == "1");
  // The in-doubt transaction still commits when told to.
  Out commit = Deliver(*p.p, "c1", wire::Commit{"doubt"});
  REQUIRE(commit.Appends().size() == 1);
  Feed(*p.p, LogDurable{commit.Appends()[0].lsn});
  CHECK(*p.p->store().Find("b") == "2");
}

TEST_CASE("participant: a large store spans several sections", "[txn][participant][snapshot]") {
  Log log;
  {
    Participant p(Opts(10));
    Feed(p, Recovered{});
    for (int i = 0; i < 40; ++i) {
      log.Take(Deliver(
          p, "cli",
          wire::PutRequest{"key" + std::to_string(i), std::string(64 << 10, 'a' + i % 26)}));
    }
    for (int i = 0; i < 30; ++i) {  // more finished txids than the memory keeps
      log.Take(Deliver(p, "cli", wire::CommitOnePhase{"o" + std::to_string(i), {Put("x", "1")}}));
      Feed(p, LogDurable{log.next - 1});
    }
  }
  Recovery shadow = Recover(Opts(10), log.Recover());
  const std::string snap = Export(*shadow.p);
  CHECK(snap.size() > 2 * kSnapshotBatchBytes);
  Recovery p = Recover(Opts(10), Recovered{{}, log.next, snap, log.next - 1});
  CHECK(p.p->store() == shadow.p->store());
  CHECK(p.p->FinishedAs("o19") == nullptr);
  CHECK(p.p->FinishedAs("o20") != nullptr);
  CHECK(Export(*p.p) == snap);
  // A core that remembers less evicts the oldest, as replay would.
  Recovery small = Recover(Opts(3), Recovered{{}, log.next, snap, log.next - 1});
  CHECK(small.p->FinishedAs("o26") == nullptr);
  CHECK(small.p->FinishedAs("o27") != nullptr);
}

TEST_CASE("participant: ExportState only on a core that has only recovered",
          "[txn][participant][snapshot]") {
  Participant fresh;
  CHECK(fresh.ExportState().status().code() == Code::kInternal);
  Participant p;
  Feed(p, Recovered{});
  CHECK(p.ExportState().ok());
  Feed(p, TimerFired{1});
  CHECK(p.ExportState().status().code() == Code::kInternal);
}

TEST_CASE("participant: inconsistent snapshot arguments are refused",
          "[txn][participant][snapshot]") {
  Log log;
  {
    Participant p;
    Feed(p, Recovered{});
    log.Take(Deliver(p, "cli", wire::PutRequest{"a", "1"}));
    log.Take(Deliver(p, "cli", wire::PutRequest{"b", "2"}));
  }
  Recovery shadow = Recover({}, Recovered{Slice(log.entries, 0, 1), 2, {}, 0});
  const std::string snap = Export(*shadow.p);
  const auto recover = [](Recovered r) {
    Participant p;
    std::vector<Action> out;
    return p.Handle(r, &out);
  };
  CHECK(recover(Recovered{Slice(log.entries, 1, 2), 3, snap, 1}).ok());
  // Records the snapshot already holds.
  Status s = recover(Recovered{log.entries, 3, snap, 1});
  CHECK(s.code() == Code::kIoError);
  CHECK(s.message() == "log record lsn 1 is out of order (previous the snapshot's 1, next 3)");
  // The snapshot is of another LSN than the caller says.
  s = recover(Recovered{Slice(log.entries, 2, 2), 3, snap, 2});
  CHECK(s.code() == Code::kIoError);
  CHECK(s.message().find("the snapshot is of lsn 1, but was loaded as lsn 2") != std::string::npos);
  // An LSN without a snapshot, or not below next_lsn.
  CHECK(recover(Recovered{{}, 3, "", 2}).code() == Code::kIoError);
  CHECK(recover(Recovered{{}, 1, snap, 1}).code() == Code::kIoError);
  // A coordinator's snapshot.
  CoordinatorOptions co;
  co.tag = "T";
  Coordinator c(co, [](std::string_view) { return std::string("p"); });
  std::vector<Action> out;
  REQUIRE(c.Handle(Recovered{{}, 2, {}, 0}, &out).ok());
  s = recover(Recovered{{}, 2, *c.ExportState(), 1});
  CHECK(s.code() == Code::kIoError);
  CHECK(s.message().find("a coordinator snapshot, expected a participant one") !=
        std::string::npos);
}

TEST_CASE("participant: damaged snapshots are refused, never crash",
          "[txn][participant][snapshot]") {
  Scenario sc(99);
  for (int i = 0; i < 120; ++i) sc.Step();
  sc.Restart();
  const Lsn lsn = sc.Next() - 1;
  Recovery shadow = Recover(sc.opts, Recovered{sc.log, lsn + 1, {}, 0});
  const std::string snap = Export(*shadow.p);
  REQUIRE(snap.size() > 64);
  const auto load = [&](const std::string& bytes) {
    Participant p(sc.opts);
    std::vector<Action> out;
    return p.Handle(Recovered{{}, lsn + 1, bytes, lsn}, &out);
  };
  REQUIRE(load(snap).ok());
  // Every truncation is refused: the END section is missing or cut.
  for (size_t len = 1; len < snap.size(); ++len) {
    Status s = load(snap.substr(0, len));
    INFO("length " << len);
    CHECK(s.code() == Code::kIoError);
  }
  CHECK(load(snap + '\0').code() == Code::kIoError);  // trailing bytes
  // Random byte flips: refused with IoError or, if the damage happens to
  // decode (a flipped value byte), accepted; never anything else.
  Rng rng(7);
  int refused = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string bad = snap;
    const int flips = 1 + static_cast<int>(rng.Below(4));
    for (int f = 0; f < flips; ++f) {
      bad[rng.Below(bad.size())] ^= static_cast<char>(1 + rng.Below(255));
    }
    Status s = load(bad);
    CHECK((s.ok() || s.code() == Code::kIoError));
    refused += s.ok() ? 0 : 1;
  }
  CHECK(refused > 1500);
}

TEST_CASE("participant: a lying length in a snapshot is refused before allocating",
          "[txn][participant][snapshot]") {
  // A STORE section whose body claims 2^60 keys.
  std::string body = wire::EncodeBody(SnapshotStoreBatch{{"a"}, {"1"}});
  const uint64_t huge = uint64_t{1} << 60;
  for (int i = 0; i < 8; ++i) body[1 + i] = static_cast<char>((huge >> (8 * i)) & 0xff);
  SnapshotEncoder enc(SnapshotRole::kParticipant, 0);
  enc.Add(SnapshotSection::kStore, SnapshotStoreBatch{});
  std::string snap = *std::move(enc).Finish();
  // Splice the hostile body in place of the empty STORE body.
  const size_t store_at = kSnapshotMagic.size() + 5 + wire::EncodeBody(SnapshotHeader{}).size();
  const std::string empty = wire::EncodeBody(SnapshotStoreBatch{});
  REQUIRE(snap[store_at] == static_cast<char>(SnapshotSection::kStore));
  std::string framed(1, static_cast<char>(SnapshotSection::kStore));
  for (int i = 0; i < 4; ++i) framed.push_back(static_cast<char>((body.size() >> (8 * i)) & 0xff));
  snap.replace(store_at, 5 + empty.size(), framed + body);
  Participant p;
  std::vector<Action> out;
  Status s = p.Handle(Recovered{{}, 1, snap, 0}, &out);
  CHECK(s.code() == Code::kIoError);
  CHECK(s.message().find("STORE section") != std::string::npos);
}
