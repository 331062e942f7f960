// The participant's two-phase-commit rules, one scripted sequence each.
#include "shardkit/txn/participant.h"

#include "harness.h"

using namespace txntest;

namespace {

const std::vector<std::string> kCoord = {"coord"};
const std::vector<std::string> kParts = {"p0", "p1"};

wire::Prepare MakePrepare(std::string txid, std::vector<wire::Op> ops) {
  return wire::Prepare{std::move(txid), kCoord, kParts, std::move(ops)};
}

struct Fixture {
  Participant p{ParticipantOptions{"p0", 1000, 8000, 3, 1000}};
  Log log;

  Fixture() { Feed(p, Recovered{}); }

  // PREPARE with writes through the forced PREPARED record to the YES vote.
  void Prepared(const std::string& txid, std::vector<wire::Op> ops) {
    Out a = Deliver(p, "coord", MakePrepare(txid, std::move(ops)));
    log.Take(a);
    Out b = Feed(p, LogDurable{log.next - 1});
    REQUIRE(b.One<wire::Vote>("coord").vote == wire::VoteKind::kYes);
  }
};

}  // namespace

TEST_CASE("prepare forces PREPARED and votes yes only once it is durable", "[txn][participant]") {
  Fixture f;
  Out a = Deliver(f.p, "coord", MakePrepare("t1", {Put("x", "1"), Get("y")}), 7);
  REQUIRE(a.Appends().size() == 1);
  const AppendLog rec = a.Appends()[0];
  CHECK(rec.force);
  CHECK(rec.lsn == 1);
  CHECK(rec.type == static_cast<uint8_t>(RecordType::kPrepared));
  PreparedRecord pr;
  REQUIRE(DecodeRecord(RecordType::kPrepared, rec.payload, &pr).ok());
  CHECK(pr == PreparedRecord{"t1", kCoord, kParts, {Put("x", "1"), Get("y")}});
  CHECK(a.Sends() == 0);  // no vote before the record is durable
  CHECK(*f.p.locks().HolderOf("x") == "t1");
  CHECK(*f.p.locks().HolderOf("y") == "t1");  // reads are locked too (strict 2PL)
  CHECK(*f.p.StateOf("t1") == BranchState::kPreparing);

  Out early = Feed(f.p, LogDurable{0});
  CHECK(early.Sends() == 0);
  Out b = Feed(f.p, LogDurable{1});
  auto vote = b.One<wire::Vote>("coord");
  CHECK(vote.vote == wire::VoteKind::kYes);
  CHECK(vote.reads == std::vector<wire::ReadResult>{{"y", false, ""}});
  CHECK(b.All<Send>()[0].request_id == 7);
  CHECK(b.Timers().size() == 1);  // inquiry timer armed
  CHECK(*f.p.StateOf("t1") == BranchState::kPrepared);
}

TEST_CASE("a lock conflict votes no naming the key and holder, logging nothing",
          "[txn][participant]") {
  Fixture f;
  f.Prepared("t1", {Put("x", "1")});
  Out a = Deliver(f.p, "coord", MakePrepare("t2", {Put("z", "1"), Put("x", "2")}));
  auto vote = a.One<wire::Vote>("coord");
  CHECK(vote.vote == wire::VoteKind::kNo);
  CHECK(vote.key == "x");
  CHECK(vote.reason == "key 'x' is locked by transaction t1");
  CHECK(a.Appends().empty());
  CHECK(f.p.locks().HolderOf("z") == nullptr);
  CHECK(*f.p.FinishedAs("t2") == Finish::kUnilateralAbort);
  // A duplicate PREPARE gets the same answer.
  CHECK(Deliver(f.p, "coord", MakePrepare("t2", {Put("x", "2")})).One<wire::Vote>("coord").vote ==
        wire::VoteKind::kNo);
}

TEST_CASE("a failed check votes no and releases the locks", "[txn][participant]") {
  Fixture f;
  Out a = Deliver(f.p, "coord", MakePrepare("t1", {CheckEq("x", "5"), Put("x", "6")}));
  auto vote = a.One<wire::Vote>("coord");
  CHECK(vote.vote == wire::VoteKind::kNo);
  CHECK(vote.key == "x");
  CHECK(vote.reason == "check failed: key 'x' is absent, expected '5'");
  CHECK(a.Appends().empty());
  CHECK(f.p.locks().size() == 0);
}

TEST_CASE("a read-only participant votes READ_ONLY, releases and logs nothing",
          "[txn][participant]") {
  Fixture f;
  f.Prepared("w", {Put("k", "v")});
  f.log.Take(Deliver(f.p, "coord", wire::Commit{"w"}));
  Feed(f.p, LogDurable{f.log.next - 1});
  Out a = Deliver(f.p, "coord", MakePrepare("r", {Get("k"), CheckEq("k", "v"), CheckAbsent("q")}));
  auto vote = a.One<wire::Vote>("coord");
  CHECK(vote.vote == wire::VoteKind::kReadOnly);
  CHECK(vote.reads == std::vector<wire::ReadResult>{{"k", true, "v"}});
  CHECK(a.Appends().empty());
  CHECK(f.p.locks().size() == 0);
  CHECK(f.p.Idle());
}

TEST_CASE("commit forces COMMITTED, then applies, releases and ACKs", "[txn][participant]") {
  Fixture f;
  f.Prepared("t1", {Put("x", "1"), Del("gone")});
  Out a = Deliver(f.p, "coord", wire::Commit{"t1"}, 9);
  REQUIRE(a.Appends().size() == 1);
  CHECK(a.Appends()[0].type == static_cast<uint8_t>(RecordType::kCommitted));
  CHECK(a.Appends()[0].force);
  CHECK(a.Sends() == 0);
  CHECK(a.Count<CancelTimer>() == 1);       // no more inquiries
  CHECK(f.p.store().Find("x") == nullptr);  // not applied before durable
  f.log.Take(a);

  // A duplicate COMMIT while committing is ACKed too, once durable.
  Out dup = Deliver(f.p, "coord2", wire::Commit{"t1"});
  CHECK(dup.Sends() == 0);
  CHECK(dup.Appends().empty());

  Out b = Feed(f.p, LogDurable{f.log.next - 1});
  CHECK(b.Sent<wire::Ack>().size() == 2);
  CHECK(b.All<Send>()[0].request_id == 9);
  CHECK(*f.p.store().Find("x") == "1");
  CHECK(f.p.locks().size() == 0);
  CHECK(b.Resolutions()[0].outcome == wire::TxOutcome::kCommitted);
  CHECK(f.p.Idle());

  // Finished: COMMIT is ACKed, PREPARE is not re-executed or answered.
  CHECK(Deliver(f.p, "coord", wire::Commit{"t1"}).Sent<wire::Ack>().size() == 1);
  Out again = Deliver(f.p, "coord", MakePrepare("t1", {Put("x", "1")}));
  CHECK(again.Sends() == 0);
  CHECK(again.Appends().empty());
}

TEST_CASE("abort logs ABORTED without force, releases and ACKs at once", "[txn][participant]") {
  Fixture f;
  f.Prepared("t1", {Put("x", "1")});
  Out a = Deliver(f.p, "coord", wire::Abort{"t1"});
  REQUIRE(a.Appends().size() == 1);
  CHECK(a.Appends()[0].type == static_cast<uint8_t>(RecordType::kAborted));
  CHECK_FALSE(a.Appends()[0].force);
  CHECK(a.Sent<wire::Ack>().size() == 1);
  CHECK(f.p.locks().size() == 0);
  CHECK(f.p.store().Find("x") == nullptr);
  // Late or duplicate PREPARE after the abort gets NO.
  CHECK(Deliver(f.p, "coord", MakePrepare("t1", {Put("x", "1")})).One<wire::Vote>("coord").vote ==
        wire::VoteKind::kNo);
}

TEST_CASE("ABORT before PREPARE (reordered) makes the late PREPARE vote no", "[txn][participant]") {
  Fixture f;
  CHECK(Deliver(f.p, "coord", wire::Abort{"t9"}).Sent<wire::Ack>().size() == 1);
  Out a = Deliver(f.p, "coord", MakePrepare("t9", {Put("x", "1")}));
  CHECK(a.One<wire::Vote>("coord").vote == wire::VoteKind::kNo);
  CHECK(f.p.locks().size() == 0);
}

TEST_CASE("an unknown txid on COMMIT is ACKed", "[txn][participant]") {
  Fixture f;
  Out a = Deliver(f.p, "coord", wire::Commit{"never-seen"});
  CHECK(a.Sent<wire::Ack>().size() == 1);
  CHECK(a.Appends().empty());
}

TEST_CASE("ABORT while PREPARED is in flight: the YES vote is never sent", "[txn][participant]") {
  Fixture f;
  Out a = Deliver(f.p, "coord", MakePrepare("t1", {Put("x", "1")}));
  Out b = Deliver(f.p, "coord", wire::Abort{"t1"});
  CHECK(b.Sent<wire::Ack>().size() == 1);
  CHECK(f.p.locks().size() == 0);
  Out c = Feed(f.p, LogDurable{2});
  CHECK(c.Sent<wire::Vote>().empty());
  CHECK(f.p.Idle());
}

TEST_CASE("a duplicate PREPARE re-sends YES with the same reads", "[txn][participant]") {
  Fixture f;
  f.Prepared("t1", {Get("a"), Put("a", "new")});
  Out a = Deliver(f.p, "coord", MakePrepare("t1", {Get("a"), Put("a", "new")}));
  auto vote = a.One<wire::Vote>("coord");
  CHECK(vote.vote == wire::VoteKind::kYes);
  CHECK(vote.reads == std::vector<wire::ReadResult>{{"a", false, ""}});
  CHECK(a.Appends().empty());
  // While PREPARED is still in flight a duplicate gets nothing yet.
  Deliver(f.p, "coord", MakePrepare("t2", {Put("b", "1")}));
  CHECK(Deliver(f.p, "coord", MakePrepare("t2", {Put("b", "1")})).Sends() == 0);
}

TEST_CASE("malformed PREPAREs vote no and change nothing", "[txn][participant]") {
  Fixture f;
  CHECK(Deliver(f.p, "coord", MakePrepare("", {Put("x", "1")})).One<wire::Vote>("coord").reason ==
        "bad request: empty transaction id");
  CHECK(Deliver(f.p, "coord", MakePrepare("t", {})).One<wire::Vote>("coord").reason ==
        "bad request: empty transaction");
  wire::Op bad{static_cast<wire::OpKind>(99), "k", ""};
  CHECK(Deliver(f.p, "coord", MakePrepare("t", {bad})).One<wire::Vote>("coord").reason ==
        "bad request: op 1: unknown op kind 99");
  CHECK(f.p.locks().size() == 0);
}

TEST_CASE("one-phase commit forces its record, applies and replies", "[txn][participant]") {
  Fixture f;
  Out a = Deliver(f.p, "coord", wire::CommitOnePhase{"t1", {Put("x", "1"), Get("x")}}, 4);
  REQUIRE(a.Appends().size() == 1);
  CHECK(a.Appends()[0].type == static_cast<uint8_t>(RecordType::kOnePhaseCommitted));
  CHECK(a.Appends()[0].force);
  CHECK(a.Sends() == 0);
  Out b = Feed(f.p, LogDurable{1});
  auto r = b.One<wire::OnePhaseResult>("coord");
  CHECK(r.outcome == wire::TxOutcome::kCommitted);
  CHECK(r.reads == std::vector<wire::ReadResult>{{"x", false, ""}});  // state before the txn
  CHECK(*f.p.store().Find("x") == "1");
  CHECK(f.p.locks().size() == 0);

  // A retry gets the remembered outcome, not a second execution.
  Out c = Deliver(f.p, "coord", wire::CommitOnePhase{"t1", {Put("x", "1"), Get("x")}});
  CHECK(c.One<wire::OnePhaseResult>("coord").outcome == wire::TxOutcome::kCommitted);
  CHECK(c.Appends().empty());

  // A failed check aborts. We decide alone and the reply is what the client
  // will hear, so the abort is forced before the reply: a crash that forgot
  // it could let a late retry of the same txid commit after all.
  Out d = Deliver(f.p, "coord", wire::CommitOnePhase{"t2", {CheckAbsent("x"), Put("y", "2")}});
  REQUIRE(d.Appends().size() == 1);
  CHECK(d.Appends()[0].type == static_cast<uint8_t>(RecordType::kAborted));
  CHECK(d.Appends()[0].force);
  CHECK(d.Sends() == 0);
  CHECK(f.p.locks().size() == 0);  // released at once; only the reply waits
  // A retry while the record is in flight waits for it too.
  CHECK(Deliver(f.p, "coord", wire::CommitOnePhase{"t2", {Put("y", "2")}}).Sends() == 0);
  Out e = Feed(f.p, LogDurable{d.Appends()[0].lsn});
  auto results = e.Sent<wire::OnePhaseResult>();
  REQUIRE(results.size() == 2);
  CHECK(results[0].second.outcome == wire::TxOutcome::kAborted);
  CHECK(results[0].second.key == "x");
  CHECK(results[1].second.reason == "transaction already aborted here");
  // Afterwards a retry is answered at once, from the durable abort.
  CHECK(Deliver(f.p, "coord", wire::CommitOnePhase{"t2", {Put("y", "2")}})
            .One<wire::OnePhaseResult>("coord")
            .outcome == wire::TxOutcome::kAborted);
}

TEST_CASE("one-phase conflict with a prepared transaction aborts", "[txn][participant]") {
  Fixture f;
  f.Prepared("t1", {Put("x", "1")});
  Out a = Deliver(f.p, "coord", wire::CommitOnePhase{"t2", {Put("x", "2")}});
  f.log.Take(a);
  auto r = Feed(f.p, LogDurable{f.log.next - 1}).One<wire::OnePhaseResult>("coord");
  CHECK(r.outcome == wire::TxOutcome::kAborted);
  CHECK(r.reason == "key 'x' is locked by transaction t1");
}

TEST_CASE("events before Recovered are refused", "[txn][participant]") {
  Participant p;
  std::vector<Action> out;
  CHECK(p.Handle(LogDurable{1}, &out).code() == Code::kInternal);
  REQUIRE(p.Handle(Recovered{}, &out).ok());
  CHECK(p.Handle(Recovered{}, &out).code() == Code::kInternal);
}
