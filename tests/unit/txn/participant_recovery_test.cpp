// The participant after a restart, in doubt, and under an operator's hand:
// recovery, INQUIRE with backoff, cooperative termination and heuristics.
#include "harness.h"
#include "shardkit/txn/participant.h"

using namespace txntest;

namespace {

ParticipantOptions Opts() { return ParticipantOptions{"p0", 100, 800, 3, 1000}; }

// Runs a fresh participant over `log` and returns it with the recovery
// actions.
std::pair<std::unique_ptr<Participant>, Out> Restart(const Log& log) {
  auto p = std::make_unique<Participant>(Opts());
  Out out = Feed(*p, log.Recover());
  return {std::move(p), std::move(out)};
}

void PrepareDurably(Participant& p, Log& log, const std::string& txid, std::vector<wire::Op> ops) {
  Out a = Deliver(p, "coord", wire::Prepare{txid, {"c1", "c2"}, {"p0", "p1", "p2"}, ops});
  log.Take(a);
  Feed(p, LogDurable{log.next - 1});
}

}  // namespace

TEST_CASE("recovery rebuilds the store and re-takes in-doubt locks before serving",
          "[txn][participant][recovery]") {
  Log log;
  {
    Participant p(Opts());
    Feed(p, Recovered{});
    PrepareDurably(p, log, "done", {Put("a", "1")});
    log.Take(Deliver(p, "coord", wire::Commit{"done"}));
    Feed(p, LogDurable{log.next - 1});
    log.Take(Deliver(p, "cli", wire::PutRequest{"d", "direct"}));
    Feed(p, LogDurable{log.next - 1});
    log.Take(Deliver(p, "coord", wire::CommitOnePhase{"one", {Put("o", "1")}}));
    Feed(p, LogDurable{log.next - 1});
    PrepareDurably(p, log, "doubt", {Put("b", "2"), Get("a")});
    PrepareDurably(p, log, "aborted", {Put("c", "3")});
    log.Take(Deliver(p, "coord", wire::Abort{"aborted"}));
  }
  auto [p, out] = Restart(log);
  CHECK(*p->store().Find("a") == "1");
  CHECK(*p->store().Find("d") == "direct");
  CHECK(*p->store().Find("o") == "1");
  CHECK(p->store().Find("b") == nullptr);
  CHECK(*p->locks().HolderOf("b") == "doubt");
  CHECK(*p->locks().HolderOf("a") == "doubt");
  CHECK(p->locks().HolderOf("c") == nullptr);
  REQUIRE(p->Branches().size() == 1);
  CHECK(p->Branches()[0].txid == "doubt");
  CHECK(p->Branches()[0].state == BranchState::kPrepared);
  CHECK(out.Timers().size() == 1);  // will INQUIRE

  // In doubt: conflicting work is refused, a duplicate PREPARE re-votes YES.
  CHECK(Deliver(*p, "coord", wire::Prepare{"x", {"c1"}, {"p0"}, {Put("b", "9")}})
            .One<wire::Vote>("coord")
            .vote == wire::VoteKind::kNo);
  CHECK(Deliver(*p, "coord", wire::Prepare{"doubt", {"c1"}, {"p0"}, {Put("b", "2"), Get("a")}})
            .One<wire::Vote>("coord")
            .reads == std::vector<wire::ReadResult>{{"a", true, "1"}});
  // Finished transactions stay finished.
  CHECK(*p->FinishedAs("done") == Finish::kCommitted);
  CHECK(*p->FinishedAs("aborted") == Finish::kAborted);
}

TEST_CASE("in doubt: INQUIRE with doubling backoff, then ask the peers too",
          "[txn][participant][termination]") {
  Log log;
  Participant p(Opts());
  Feed(p, Recovered{});
  PrepareDurably(p, log, "t", {Put("k", "v")});
  std::vector<uint32_t> delays;
  std::vector<std::string> asked;
  TimerId timer = 1;  // the inquiry timer armed by the YES vote
  for (int i = 0; i < 6; ++i) {
    Out o = Feed(p, TimerFired{timer});
    REQUIRE(o.Timers().size() == 1);
    timer = o.Timers()[0].id;
    delays.push_back(o.Timers()[0].delay_ms);
    std::string who;
    for (const auto& [to, m] : o.Sent<wire::Inquire>()) who += to + " ";
    asked.push_back(who);
  }
  CHECK(delays == std::vector<uint32_t>{200, 400, 800, 800, 800, 800});
  CHECK(asked[0] == "c1 ");  // coordinator endpoints in turn
  CHECK(asked[1] == "c2 ");
  CHECK(asked[2] == "c1 p1 p2 ");  // cooperative termination, never itself
  CHECK(p.Branches()[0].inquiries == 6);

  // A stale timer id is ignored.
  CHECK(Feed(p, TimerFired{1}).actions.empty());

  // UNKNOWN changes nothing, COMMITTED commits.
  CHECK(Deliver(p, "p1", wire::Outcome{"t", wire::TxOutcome::kUnknown}).actions.empty());
  Out c = Deliver(p, "p1", wire::Outcome{"t", wire::TxOutcome::kCommitted});
  REQUIRE(c.Appends().size() == 1);
  CHECK(c.Appends()[0].force);
  log.Take(c);
  Feed(p, LogDurable{log.next - 1});
  CHECK(*p.store().Find("k") == "v");
  CHECK(p.Idle());
}

TEST_CASE("OUTCOME(ABORTED) from an INQUIRE aborts the in-doubt transaction",
          "[txn][participant][termination]") {
  Log log;
  Participant p(Opts());
  Feed(p, Recovered{});
  PrepareDurably(p, log, "t", {Put("k", "v")});
  Out o = Deliver(p, "c1", wire::Outcome{"t", wire::TxOutcome::kAborted});
  CHECK(o.Appends()[0].type == static_cast<uint8_t>(RecordType::kAborted));
  CHECK(p.locks().size() == 0);
  CHECK(p.Idle());
}

TEST_CASE("answering a peer's INQUIRE reveals only binding outcomes",
          "[txn][participant][termination]") {
  Log log;
  Participant p(Opts());
  Feed(p, Recovered{});
  const auto ask = [&](const std::string& txid) {
    return Deliver(p, "peer", wire::Inquire{txid}, 3);
  };
  CHECK(ask("nobody-knows").One<wire::Outcome>("peer").outcome == wire::TxOutcome::kUnknown);

  PrepareDurably(p, log, "doubt", {Put("a", "1")});
  CHECK(ask("doubt").One<wire::Outcome>("peer").outcome == wire::TxOutcome::kUnknown);

  PrepareDurably(p, log, "won", {Put("b", "1")});
  log.Take(Deliver(p, "coord", wire::Commit{"won"}));
  CHECK(ask("won").One<wire::Outcome>("peer").outcome ==
        wire::TxOutcome::kCommitted);  // committing: the coordinator decided
  Feed(p, LogDurable{log.next - 1});
  CHECK(ask("won").One<wire::Outcome>("peer").outcome == wire::TxOutcome::kCommitted);

  // A NO vote is not binding until an ABORTED record is durable.
  Deliver(p, "coord", wire::Prepare{"lost", {"c1"}, {"p0"}, {CheckEq("zz", "1"), Put("zz", "2")}});
  Out q = ask("lost");
  REQUIRE(q.Appends().size() == 1);
  CHECK(q.Appends()[0].force);
  CHECK(q.Sent<wire::Outcome>().empty());
  log.Take(q);
  Out r = Feed(p, LogDurable{log.next - 1});
  CHECK(r.One<wire::Outcome>("peer").outcome == wire::TxOutcome::kAborted);
  CHECK(ask("lost").One<wire::Outcome>("peer").outcome == wire::TxOutcome::kAborted);

  // Not yet voted: abort unilaterally, forced, and never vote YES.
  Out s = Deliver(p, "coord", wire::Prepare{"slow", {"c1"}, {"p0"}, {Put("s", "1")}});
  log.Take(s);
  Out t = ask("slow");
  REQUIRE(t.Appends().size() == 1);
  CHECK(t.Appends()[0].force);
  log.Take(t);
  CHECK(p.locks().HolderOf("s") == nullptr);
  Out u = Feed(p, LogDurable{log.next - 1});
  CHECK(u.Sent<wire::Vote>().empty());
  CHECK(u.One<wire::Outcome>("peer").outcome == wire::TxOutcome::kAborted);
  CHECK(Deliver(p, "coord", wire::Prepare{"slow", {"c1"}, {"p0"}, {Put("s", "1")}})
            .One<wire::Vote>("coord")
            .vote == wire::VoteKind::kNo);
}

TEST_CASE("a read-only branch never reveals its own abort to a peer",
          "[txn][participant][termination]") {
  // It voted READ_ONLY (which the coordinator may count as consent) and then
  // forgot, as read-only branches do; a duplicate PREPARE now conflicts and
  // votes NO. Answering a peer ABORTED could contradict a commit.
  Log log;
  Participant p(Opts());
  Feed(p, Recovered{});
  const wire::Prepare ro{"t", {"c1"}, {"p0", "p1"}, {Get("k")}};
  CHECK(Deliver(p, "coord", ro).One<wire::Vote>("coord").vote == wire::VoteKind::kReadOnly);
  PrepareDurably(p, log, "other", {Put("k", "x")});
  CHECK(Deliver(p, "coord", ro).One<wire::Vote>("coord").vote == wire::VoteKind::kNo);
  Out a = Deliver(p, "peer", wire::Inquire{"t"});
  CHECK(a.Appends().empty());
  CHECK(a.One<wire::Outcome>("peer").outcome == wire::TxOutcome::kUnknown);
}

TEST_CASE("operator resolve logs a forced heuristic and reports it until ACKed",
          "[txn][participant][heuristic]") {
  Log log;
  Participant p(Opts());
  Feed(p, Recovered{});
  std::vector<Action> out;
  CHECK(p.Handle(OperatorResolve{"nope", true}, &out).code() == Code::kNegative);
  PrepareDurably(p, log, "t", {Put("k", "v")});
  Out a = Feed(p, OperatorResolve{"t", true});
  REQUIRE(a.Appends().size() == 1);
  CHECK(a.Appends()[0].type == static_cast<uint8_t>(RecordType::kHeuristicCommitted));
  CHECK(a.Appends()[0].force);
  CHECK(p.store().Find("k") == nullptr);
  log.Take(a);
  Out b = Feed(p, LogDurable{log.next - 1});
  CHECK(*p.store().Find("k") == "v");
  auto report = b.One<wire::HeuristicReport>("c1");
  CHECK(report.participant == "p0");
  CHECK(report.outcome == wire::TxOutcome::kCommitted);
  CHECK(b.Resolutions()[0].outcome == wire::TxOutcome::kCommitted);
  CHECK_FALSE(p.Idle());

  const TimerId timer = b.Timers()[0].id;
  CHECK(Feed(p, TimerFired{timer}).One<wire::HeuristicReport>("c2").txid == "t");
  Deliver(p, "c2", wire::Ack{"t"});
  CHECK(p.Idle());
  CHECK(p.Heuristics()[0].reported);

  // The coordinator's real outcome arrives later: ACK, and remember it.
  CHECK(Deliver(p, "coord", wire::Abort{"t"}).Sent<wire::Ack>().size() == 1);
  CHECK(p.Heuristics()[0].decided == wire::TxOutcome::kAborted);
  CHECK(Deliver(p, "peer", wire::Inquire{"t"}).One<wire::Outcome>("peer").outcome ==
        wire::TxOutcome::kUnknown);

  // After a restart the heuristic is still known and reported again.
  auto [q, rout] = Restart(log);
  CHECK(*q->store().Find("k") == "v");
  CHECK(rout.Sent<wire::HeuristicReport>().size() == 1);
  CHECK(q->locks().size() == 0);
}

TEST_CASE("recovery refuses inconsistent logs", "[txn][participant][recovery]") {
  const auto recover = [](std::vector<LogEntry> records, Lsn next) {
    Participant p;
    std::vector<Action> out;
    return p.Handle(Recovered{std::move(records), next, {}, 0}, &out);
  };
  const uint8_t committed = static_cast<uint8_t>(RecordType::kCommitted);
  Status s = recover({{1, committed, EncodeRecord(TxidRecord{"t"})}}, 2);
  CHECK(s.code() == Code::kIoError);
  CHECK(s.message() == "log record lsn 1: COMMITTED for transaction t that is not prepared");

  s = recover({{1, static_cast<uint8_t>(RecordType::kPrepared), "garbage"}}, 2);
  CHECK(s.code() == Code::kIoError);

  s = recover({{3, committed, EncodeRecord(TxidRecord{"t"})}}, 2);
  CHECK(s.code() == Code::kIoError);  // LSN not below next_lsn

  s = recover({{1, static_cast<uint8_t>(RecordType::kEnd), EncodeRecord(TxidRecord{"t"})}}, 2);
  CHECK(s.message() == "log record lsn 1: record type 17 does not belong in a participant log");

  // Two in-doubt transactions on one key cannot both be prepared.
  const uint8_t prepared = static_cast<uint8_t>(RecordType::kPrepared);
  s = recover({{1, prepared, EncodeRecord(PreparedRecord{"a", {"c"}, {"p"}, {Put("k", "1")}})},
               {2, prepared, EncodeRecord(PreparedRecord{"b", {"c"}, {"p"}, {Put("k", "2")}})}},
              3);
  CHECK(s.code() == Code::kIoError);
  CHECK(s.message() == "recovery: in-doubt transactions a and b both hold key 'k'");
}
