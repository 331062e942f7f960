// The coordinator's rules, one scripted sequence each.
#include "shardkit/txn/coordinator.h"

#include "harness.h"

using namespace txntest;

namespace {

// Keys route by their first letter: a.. -> pa, b.. -> pb, c.. -> pc.
std::string Route(std::string_view key) { return key.empty() ? "" : "p" + std::string(1, key[0]); }

CoordinatorOptions Opts() {
  CoordinatorOptions o;
  o.tag = "T";
  o.endpoints = {"coord"};
  o.vote_timeout_ms = 300;
  o.prepare_resend_ms = 100;
  o.resend_initial_ms = 50;
  o.resend_max_ms = 400;
  return o;
}

struct Fixture {
  Coordinator c{Opts(), Route};
  Log log;
  Fixture() { Feed(c, Recovered{}); }

  Out Vote(const std::string& from, const std::string& txid, wire::VoteKind v,
           std::vector<wire::ReadResult> reads = {}) {
    Out o = Deliver(c, from, wire::Vote{txid, v, "", "", std::move(reads)});
    log.Take(o);
    return o;
  }
};

}  // namespace

TEST_CASE("commit: prepare all, force the decision, then reveal it, then END",
          "[txn][coordinator]") {
  Fixture f;
  Out a = Deliver(f.c, "client", wire::Submit{"", {Put("a1", "x"), Get("b1"), Put("b2", "y")}}, 5);
  auto prepares = a.Sent<wire::Prepare>();
  REQUIRE(prepares.size() == 2);
  CHECK(prepares[0].first == "pa");
  CHECK(prepares[0].second.ops == std::vector<wire::Op>{Put("a1", "x")});
  CHECK(prepares[1].second.ops == std::vector<wire::Op>{Get("b1"), Put("b2", "y")});
  CHECK(prepares[1].second.participants == std::vector<std::string>{"pa", "pb"});
  CHECK(prepares[1].second.coordinator == std::vector<std::string>{"coord"});
  const std::string txid = prepares[0].second.txid;
  CHECK(txid == "T.1");
  CHECK(a.Appends().empty());  // presumed abort: nothing logged while voting

  CHECK(f.Vote("pa", txid, wire::VoteKind::kYes).actions.empty());
  Out b = f.Vote("pb", txid, wire::VoteKind::kYes, {{"b1", true, "old"}});
  REQUIRE(b.Appends().size() == 1);
  const AppendLog decision = b.Appends()[0];
  CHECK(decision.force);
  CommitDecisionRecord rec;
  REQUIRE(DecodeRecord(RecordType::kCommitDecision, decision.payload, &rec).ok());
  CHECK(rec == CommitDecisionRecord{txid, "T.1", {"pa", "pb"}, {"pa", "pb"}});
  CHECK(b.Sends() == 0);  // nothing revealed before the commit point is durable
  CHECK(f.c.InFlight()[0].state == CoordState::kDeciding);

  Out c = Feed(f.c, LogDurable{decision.lsn});
  auto result = c.One<wire::SubmitResult>("client");
  CHECK(result.outcome == wire::TxOutcome::kCommitted);
  CHECK(result.txid == "T.1");
  CHECK(result.reads == std::vector<wire::ReadResult>{{"b1", true, "old"}});
  CHECK(c.All<Send>()[0].request_id == 5);
  CHECK(c.Sent<wire::Commit>().size() == 2);

  CHECK(Deliver(f.c, "pa", wire::Ack{txid}).Appends().empty());
  Out d = Deliver(f.c, "pb", wire::Ack{txid});
  REQUIRE(d.Appends().size() == 1);
  CHECK(d.Appends()[0].type == static_cast<uint8_t>(RecordType::kEnd));
  CHECK_FALSE(d.Appends()[0].force);
  CHECK(f.c.Idle());
}

TEST_CASE("a NO vote aborts: ABORT to the others, nothing forced", "[txn][coordinator]") {
  Fixture f;
  Out a = Deliver(f.c, "client", wire::Submit{"", {Put("a", "1"), Put("b", "2"), Put("c", "3")}});
  const std::string txid = a.Sent<wire::Prepare>()[0].second.txid;
  f.Vote("pa", txid, wire::VoteKind::kYes);
  Out b = Deliver(f.c, "pb", wire::Vote{txid, wire::VoteKind::kNo, "key 'b' is locked", "b", {}});
  CHECK(b.Appends().empty());
  auto aborts = b.Sent<wire::Abort>();
  REQUIRE(aborts.size() == 2);  // the YES voter and the silent one, not the NO voter
  CHECK(aborts[0].first == "pa");
  CHECK(aborts[1].first == "pc");
  auto result = b.One<wire::SubmitResult>("client");
  CHECK(result.outcome == wire::TxOutcome::kAborted);
  CHECK(result.reason == "participant pb voted no: key 'b' is locked");
  CHECK(result.key == "b");
  CHECK(f.c.Idle());
  // A late YES is told to abort; an INQUIRE hears ABORTED.
  CHECK(Deliver(f.c, "pc", wire::Vote{txid, wire::VoteKind::kYes, "", "", {}})
            .One<wire::Abort>("pc")
            .txid == txid);
  CHECK(Deliver(f.c, "pc", wire::Inquire{txid}).One<wire::Outcome>("pc").outcome ==
        wire::TxOutcome::kAborted);
}

TEST_CASE("silent participants get PREPARE again, then the vote timeout aborts",
          "[txn][coordinator]") {
  Fixture f;
  Out a = Deliver(f.c, "client", wire::Submit{"", {Put("a", "1"), Put("b", "2")}});
  const std::string txid = a.Sent<wire::Prepare>()[0].second.txid;
  f.Vote("pa", txid, wire::VoteKind::kYes);
  TimerId t = a.Timers()[0].id;
  Out r1 = Feed(f.c, TimerFired{t});
  CHECK(r1.One<wire::Prepare>("pb").txid == txid);
  Out r2 = Feed(f.c, TimerFired{r1.Timers()[0].id});
  Out r3 = Feed(f.c, TimerFired{r2.Timers()[0].id});
  auto result = r3.One<wire::SubmitResult>("client");
  CHECK(result.outcome == wire::TxOutcome::kAborted);
  CHECK(result.reason == "vote timeout: no answer from pb");
  CHECK(r3.Sent<wire::Abort>().size() == 2);
  CHECK(r3.Appends().empty());
}

TEST_CASE("read-only voters get no phase two, and all read-only logs nothing",
          "[txn][coordinator]") {
  Fixture f;
  Out a = Deliver(f.c, "client", wire::Submit{"", {Get("a"), Put("b", "2")}});
  const std::string t1 = a.Sent<wire::Prepare>()[0].second.txid;
  f.Vote("pa", t1, wire::VoteKind::kReadOnly, {{"a", false, ""}});
  Out b = f.Vote("pb", t1, wire::VoteKind::kYes);
  CommitDecisionRecord rec;
  REQUIRE(DecodeRecord(RecordType::kCommitDecision, b.Appends()[0].payload, &rec).ok());
  CHECK(rec.yes_voters == std::vector<std::string>{"pb"});
  Out c = Feed(f.c, LogDurable{b.Appends()[0].lsn});
  CHECK(c.One<wire::Commit>("pb").txid == t1);

  Out d = Deliver(f.c, "client", wire::Submit{"", {Get("a"), Get("b")}});
  const std::string t2 = d.Sent<wire::Prepare>()[0].second.txid;
  f.Vote("pa", t2, wire::VoteKind::kReadOnly, {{"a", false, ""}});
  Out e = f.Vote("pb", t2, wire::VoteKind::kReadOnly, {{"b", true, "2"}});
  CHECK(e.Appends().empty());
  CHECK(e.Sent<wire::Commit>().empty());
  CHECK(e.One<wire::SubmitResult>("client").reads ==
        std::vector<wire::ReadResult>{{"a", false, ""}, {"b", true, "2"}});
}

TEST_CASE("INQUIRE: unknown is aborted, voting decides abort first, deciding waits",
          "[txn][coordinator]") {
  Fixture f;
  CHECK(Deliver(f.c, "pz", wire::Inquire{"who"}).One<wire::Outcome>("pz").outcome ==
        wire::TxOutcome::kAborted);

  Out a = Deliver(f.c, "client", wire::Submit{"", {Put("a", "1"), Put("b", "2")}});
  const std::string t1 = a.Sent<wire::Prepare>()[0].second.txid;
  f.Vote("pa", t1, wire::VoteKind::kYes);
  Out b = Deliver(f.c, "pa", wire::Inquire{t1});
  CHECK(b.One<wire::SubmitResult>("client").outcome == wire::TxOutcome::kAborted);
  CHECK(b.Sent<wire::Outcome>()[0].second.outcome == wire::TxOutcome::kAborted);
  // ...and can never commit it afterwards.
  Out c = Deliver(f.c, "pb", wire::Vote{t1, wire::VoteKind::kYes, "", "", {}});
  CHECK(c.Appends().empty());
  CHECK(c.One<wire::Abort>("pb").txid == t1);

  Out d = Deliver(f.c, "client", wire::Submit{"", {Put("a", "1"), Put("b", "2")}});
  const std::string t2 = d.Sent<wire::Prepare>()[0].second.txid;
  f.Vote("pa", t2, wire::VoteKind::kYes);
  Out e = f.Vote("pb", t2, wire::VoteKind::kYes);
  CHECK(Deliver(f.c, "pa", wire::Inquire{t2}).actions.empty());  // deciding
  Feed(f.c, LogDurable{e.Appends()[0].lsn});
  CHECK(Deliver(f.c, "pa", wire::Inquire{t2}).One<wire::Outcome>("pa").outcome ==
        wire::TxOutcome::kCommitted);
}

TEST_CASE("restart re-drives every decision without END", "[txn][coordinator]") {
  Fixture f;
  std::string t1, t2;
  for (std::string* t : {&t1, &t2}) {
    Out a = Deliver(f.c, "client",
                    wire::Submit{*t == t1 ? "mine" : "", {Put("a", "1"), Put("b", "2")}});
    *t = a.Sent<wire::Prepare>()[0].second.txid;
    f.Vote("pa", *t, wire::VoteKind::kYes);
    f.Vote("pb", *t, wire::VoteKind::kYes);
    Feed(f.c, LogDurable{f.log.next - 1});
  }
  CHECK(t1 == "mine@T.1");
  f.log.Take(Deliver(f.c, "pa", wire::Ack{t2}));
  f.log.Take(Deliver(f.c, "pb", wire::Ack{t2}));  // t2 ENDed

  Coordinator again(Opts(), Route);
  Out r = Feed(again, f.log.Recover());
  auto commits = r.Sent<wire::Commit>();
  REQUIRE(commits.size() == 2);
  CHECK(commits[0].second.txid == t1);
  REQUIRE(again.InFlight().size() == 1);
  CHECK(again.InFlight()[0].state == CoordState::kCommitted);
  // The client's retry is answered from the log, not run again.
  Out s = Deliver(again, "client", wire::Submit{"mine", {Put("a", "1"), Put("b", "2")}});
  CHECK(s.Sent<wire::Prepare>().empty());
  // Still running: the retry waits; once ACKed the answer comes from memory.
  Deliver(again, "pa", wire::Ack{t1});
  Deliver(again, "pb", wire::Ack{t1});
  auto res = Deliver(again, "client", wire::Submit{"mine", {Get("a"), Put("b", "2")}})
                 .One<wire::SubmitResult>("client");
  CHECK(res.outcome == wire::TxOutcome::kCommitted);
  CHECK(res.reason == "get results are not kept across a coordinator restart");
}

TEST_CASE("a client txid is idempotent while running and after", "[txn][coordinator]") {
  Fixture f;
  Out a = Deliver(f.c, "client", wire::Submit{"job-7", {Put("a", "1"), Put("b", "2")}}, 1);
  const std::string txid = a.Sent<wire::Prepare>()[0].second.txid;
  Out retry = Deliver(f.c, "client", wire::Submit{"job-7", {Put("a", "1"), Put("b", "2")}}, 2);
  CHECK(retry.actions.empty());
  Out b = Deliver(f.c, "pa", wire::Vote{txid, wire::VoteKind::kNo, "check failed", "a", {}});
  auto results = b.Sent<wire::SubmitResult>();
  REQUIRE(results.size() == 2);  // both submissions answered
  CHECK(results[0].second.txid == "job-7");
  Out c = Deliver(f.c, "client", wire::Submit{"job-7", {Put("a", "1"), Put("b", "2")}}, 3);
  CHECK(c.One<wire::SubmitResult>("client").outcome == wire::TxOutcome::kAborted);
  CHECK(f.c.stats().retries == 2);
}

TEST_CASE("a retry after the commit is revealed is answered at once", "[txn][coordinator]") {
  Fixture f;
  Out a = Deliver(f.c, "client", wire::Submit{"r", {Put("a", "1"), Get("b")}}, 1);
  const std::string txid = a.Sent<wire::Prepare>()[0].second.txid;
  f.Vote("pa", txid, wire::VoteKind::kYes);
  Out b = f.Vote("pb", txid, wire::VoteKind::kReadOnly, {{"b", true, "x"}});
  Out d = Deliver(f.c, "client", wire::Submit{"r", {Put("a", "1"), Get("b")}}, 2);
  CHECK(d.actions.empty());  // deciding: it waits for the outcome
  Out c = Feed(f.c, LogDurable{b.Appends()[0].lsn});
  CHECK(c.Sent<wire::SubmitResult>().size() == 2);
  // COMMITTED, waiting for pa's ACK: a retry must not wait for that.
  Out e = Deliver(f.c, "client", wire::Submit{"r", {Put("a", "1"), Get("b")}}, 3);
  auto result = e.One<wire::SubmitResult>("client");
  CHECK(result.outcome == wire::TxOutcome::kCommitted);
  CHECK(result.reads == std::vector<wire::ReadResult>{{"b", true, "x"}});
  CHECK(e.All<Send>()[0].request_id == 3);
}

TEST_CASE("one participant uses COMMIT_ONE_PHASE, retried until answered", "[txn][coordinator]") {
  Fixture f;
  Out a = Deliver(f.c, "client", wire::Submit{"", {Put("a1", "1"), Get("a2")}});
  auto one = a.One<wire::CommitOnePhase>("pa");
  CHECK(a.Sent<wire::Prepare>().empty());
  Out r = Feed(f.c, TimerFired{a.Timers()[0].id});
  CHECK(r.One<wire::CommitOnePhase>("pa").txid == one.txid);
  CHECK(r.Timers()[0].delay_ms == 100);  // doubling
  Out b = Deliver(
      f.c, "pa",
      wire::OnePhaseResult{one.txid, wire::TxOutcome::kCommitted, "", "", {{"a2", true, "v"}}});
  auto result = b.One<wire::SubmitResult>("client");
  CHECK(result.outcome == wire::TxOutcome::kCommitted);
  CHECK(result.reads == std::vector<wire::ReadResult>{{"a2", true, "v"}});
  CHECK(f.c.Idle());
}

TEST_CASE("heuristic reports are ACKed and mismatches flagged", "[txn][coordinator]") {
  Fixture f;
  Out a = Deliver(f.c, "client", wire::Submit{"", {Put("a", "1"), Put("b", "2")}});
  const std::string txid = a.Sent<wire::Prepare>()[0].second.txid;
  f.Vote("pa", txid, wire::VoteKind::kYes);
  f.Vote("pb", txid, wire::VoteKind::kYes);
  Feed(f.c, LogDurable{f.log.next - 1});
  Out m = Deliver(f.c, "r1", wire::HeuristicReport{txid, "pb", wire::TxOutcome::kAborted});
  REQUIRE(m.Appends().size() == 1);
  CHECK(m.Appends()[0].type == static_cast<uint8_t>(RecordType::kHeuristicMismatch));
  CHECK(m.Appends()[0].force);
  CHECK(m.Sends() == 0);  // the ACK waits for the mismatch record
  CHECK_FALSE(f.c.Idle());
  CHECK(Deliver(f.c, "r1", wire::HeuristicReport{txid, "pb", wire::TxOutcome::kAborted})
            .actions.empty());  // a repeat while it is in flight
  CHECK(Feed(f.c, LogDurable{m.Appends()[0].lsn}).One<wire::Ack>("r1").txid == txid);
  CHECK(Deliver(f.c, "r1", wire::HeuristicReport{txid, "pb", wire::TxOutcome::kAborted})
            .One<wire::Ack>("r1")
            .txid == txid);  // a repeat afterwards: ACK again, no new record
  Out ok = Deliver(f.c, "r2", wire::HeuristicReport{txid, "pa", wire::TxOutcome::kCommitted});
  CHECK(ok.Appends().empty());
  CHECK(ok.One<wire::Ack>("r2").txid == txid);
  REQUIRE(f.c.Heuristics().size() == 2);
  CHECK(f.c.Heuristics()[0].mismatch);
  CHECK_FALSE(f.c.Heuristics()[1].mismatch);
  CHECK(f.c.stats().heuristic_mismatches == 1);
  // A heuristic commit of something never decided is a mismatch too.
  Deliver(f.c, "r3", wire::HeuristicReport{"ghost", "pa", wire::TxOutcome::kCommitted});
  CHECK(f.c.Heuristics()[2].mismatch);
}

TEST_CASE("the unsafe flag reveals the commit before it is durable", "[txn][coordinator]") {
  CoordinatorOptions o = Opts();
  o.unsafe_reveal_commit_before_durable = true;
  Coordinator c(o, Route);
  Feed(c, Recovered{});
  Out a = Deliver(c, "client", wire::Submit{"", {Put("a", "1"), Put("b", "2")}});
  const std::string txid = a.Sent<wire::Prepare>()[0].second.txid;
  Deliver(c, "pa", wire::Vote{txid, wire::VoteKind::kYes, "", "", {}});
  Out b = Deliver(c, "pb", wire::Vote{txid, wire::VoteKind::kYes, "", "", {}});
  CHECK(b.Appends().size() == 1);
  CHECK(b.Sent<wire::Commit>().size() == 2);  // the bug: before LogDurable
}

TEST_CASE("bad submits and bad options are refused", "[txn][coordinator]") {
  Fixture f;
  CHECK(Deliver(f.c, "client", wire::Submit{"", {}}).One<wire::ErrorReply>("client").reason ==
        "empty transaction");
  CHECK(Deliver(f.c, "client", wire::Submit{"has space", {Put("a", "1")}})
            .One<wire::ErrorReply>("client")
            .reason == "transaction id has a byte outside printable ascii at offset 3");
  Coordinator none(Opts(), [](std::string_view) { return std::string(); });
  Feed(none, Recovered{});
  CHECK(Deliver(none, "client", wire::Submit{"", {Put("a", "1")}})
            .One<wire::ErrorReply>("client")
            .reason == "no participant owns key 'a'");

  CoordinatorOptions bad = Opts();
  bad.tag = "no/slash";
  Coordinator c(bad, Route);
  std::vector<Action> out;
  CHECK(c.Handle(Recovered{}, &out).code() == Code::kConfig);
}
