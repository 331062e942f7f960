// Hot standby for the txn cores (core.h: StandbyRecovered, Replicated,
// Promoted). A standby replays what the primary logged as it arrives, sends
// nothing but answers (reads, and NOT_PRIMARY for everything else), arms no
// timer, and once promoted behaves exactly like a core that recovered from
// the same log: in-doubt locks re-taken and asked about, decisions
// re-driven, appends continuing after the last record it was handed.
#include <algorithm>

#include "harness.h"
#include "shardkit/txn/coordinator.h"
#include "shardkit/txn/participant.h"

using namespace txntest;

namespace {

// ---- participant ----------------------------------------------------------

ParticipantOptions POpts() { return ParticipantOptions{"p0", 100, 800, 3, 1000}; }

const std::vector<std::string> kCoord = {"coord"};
const std::vector<std::string> kParts = {"p0", "p1"};
const std::vector<std::string> kKeys = {"a", "b", "c", "d", "e", "f", "g", "h", "z"};

wire::Prepare MakePrepare(std::string txid, std::vector<wire::Op> ops) {
  return wire::Prepare{std::move(txid), kCoord, kParts, std::move(ops)};
}

// A primary participant's log, made by driving a real one:
//   1 PREPARED t1 {a, b}      in doubt at the end
//   2 DIRECT_WRITE c=c1
//   3 ONE_PHASE_COMMITTED "one" {d=d1}
//   4 PREPARED t3 {e, f, get c}
//   5 COMMITTED t3
//   6 PREPARED t4 {g}
//   7 ABORTED t4
// and with `heuristic`:
//   8 PREPARED t5 {h}
//   9 HEURISTIC_COMMITTED t5  (the operator's guess; reported on activation)
Log PrimaryLog(bool heuristic) {
  Log log;
  Participant p(POpts());
  Feed(p, Recovered{});
  const auto durable = [&](const Out& o) {
    log.Take(o);
    return Feed(p, LogDurable{log.next - 1});
  };
  REQUIRE(durable(Deliver(p, "coord", MakePrepare("t1", {Put("a", "a1"), Put("b", "b1")})))
              .One<wire::Vote>("coord")
              .vote == wire::VoteKind::kYes);
  REQUIRE(durable(Deliver(p, "cli", wire::PutRequest{"c", "c1"})).One<wire::PutReply>("cli").lsn ==
          2);
  REQUIRE(durable(Deliver(p, "coord", wire::CommitOnePhase{"one", {Put("d", "d1")}}))
              .One<wire::OnePhaseResult>("coord")
              .outcome == wire::TxOutcome::kCommitted);
  REQUIRE(
      durable(Deliver(p, "coord", MakePrepare("t3", {Put("e", "e3"), Put("f", "f3"), Get("c")})))
          .One<wire::Vote>("coord")
          .vote == wire::VoteKind::kYes);
  REQUIRE(durable(Deliver(p, "coord", wire::Commit{"t3"})).Sent<wire::Ack>().size() == 1);
  REQUIRE(durable(Deliver(p, "coord", MakePrepare("t4", {Put("g", "g4")})))
              .One<wire::Vote>("coord")
              .vote == wire::VoteKind::kYes);
  log.Take(Deliver(p, "coord", wire::Abort{"t4"}));
  if (heuristic) {
    REQUIRE(durable(Deliver(p, "coord", MakePrepare("t5", {Put("h", "h5")})))
                .One<wire::Vote>("coord")
                .vote == wire::VoteKind::kYes);
    REQUIRE(durable(Feed(p, OperatorResolve{"t5", true})).Resolutions().size() == 1);
  }
  REQUIRE(log.entries.size() == (heuristic ? 9u : 7u));
  return log;
}

// `entries` cut before each index in `cuts` (ascending).
std::vector<std::vector<LogEntry>> Split(const std::vector<LogEntry>& entries,
                                         const std::vector<size_t>& cuts) {
  std::vector<std::vector<LogEntry>> batches;
  size_t from = 0;
  for (size_t cut : cuts) {
    batches.emplace_back(entries.begin() + from, entries.begin() + cut);
    from = cut;
  }
  batches.emplace_back(entries.begin() + from, entries.end());
  return batches;
}

Recovered EmptyLog() { return Recovered{{}, 1, {}, 0}; }

std::vector<wire::ReadResult> Reads(Participant& p, const std::vector<std::string>& keys) {
  return Deliver(p, "reader", wire::GetRequest{keys}).One<wire::GetReply>("reader").reads;
}

// `o` is exactly one ErrorReply{kNotPrimary} to `to`, answering `rid`.
void ExpectNotPrimary(const Out& o, const Peer& to, uint64_t rid) {
  REQUIRE(o.actions.size() == 1);
  const auto* s = std::get_if<Send>(&o.actions[0]);
  REQUIRE(s != nullptr);
  CHECK(s->to == to);
  CHECK(s->request_id == rid);
  const auto* e = std::get_if<wire::ErrorReply>(&s->msg);
  REQUIRE(e != nullptr);
  CHECK(e->code == static_cast<uint16_t>(wire::ErrorCode::kNotPrimary));
}

// Handle() expecting a non-ok Status; returns it with the actions.
template <class Core>
std::pair<Status, std::vector<Action>> Refused(Core& core, Event e) {
  std::vector<Action> out;
  Status s = core.Handle(e, &out);
  CHECK_FALSE(s.ok());
  return {s, out};
}

// Everything a user or the recovery contract can see of a participant:
// reads, in-doubt branches, heuristics, finished memory, lock holders.
void ExpectSameState(Participant& x, Participant& y) {
  CHECK(Reads(x, kKeys) == Reads(y, kKeys));
  const auto bx = x.Branches(), by = y.Branches();
  REQUIRE(bx.size() == by.size());
  for (size_t i = 0; i < bx.size(); ++i) {
    INFO("branch " << bx[i].txid);
    CHECK(bx[i].txid == by[i].txid);
    CHECK(bx[i].state == by[i].state);
    CHECK(bx[i].coordinator == by[i].coordinator);
    CHECK(bx[i].participants == by[i].participants);
    CHECK(bx[i].keys == by[i].keys);
    CHECK(bx[i].inquiries == by[i].inquiries);
  }
  const auto hx = x.Heuristics(), hy = y.Heuristics();
  REQUIRE(hx.size() == hy.size());
  for (size_t i = 0; i < hx.size(); ++i) {
    CHECK(hx[i].txid == hy[i].txid);
    CHECK(hx[i].committed == hy[i].committed);
    CHECK(hx[i].reported == hy[i].reported);
  }
  for (const char* txid : {"t1", "one", "t3", "t4", "t5", "t9"}) {
    INFO("finished " << txid);
    const Finish* fx = x.FinishedAs(txid);
    const Finish* fy = y.FinishedAs(txid);
    REQUIRE((fx == nullptr) == (fy == nullptr));
    if (fx != nullptr) CHECK(*fx == *fy);
  }
  for (const std::string& key : kKeys) {
    INFO("lock " << key);
    const std::string* lx = x.locks().HolderOf(key);
    const std::string* ly = y.locks().HolderOf(key);
    REQUIRE((lx == nullptr) == (ly == nullptr));
    if (lx != nullptr) CHECK(*lx == *ly);
  }
}

std::vector<uint32_t> Delays(const Out& o) {
  std::vector<uint32_t> d;
  for (const SetTimer& t : o.Timers()) d.push_back(t.delay_ms);
  return d;
}

// ---- coordinator ----------------------------------------------------------

// Keys route by their first letter: a.. -> pa, b.. -> pb, c.. -> pc.
std::string Route(std::string_view key) { return key.empty() ? "" : "p" + std::string(1, key[0]); }

CoordinatorOptions COpts(std::string tag) {
  CoordinatorOptions o;
  o.tag = std::move(tag);
  o.endpoints = {"coord"};
  o.vote_timeout_ms = 300;
  o.prepare_resend_ms = 100;
  o.resend_initial_ms = 50;
  o.resend_max_ms = 400;
  return o;
}

// A primary coordinator's log, made by driving a real one:
//   1 COMMIT_DECISION y (client "cy"), pa and pb YES
//   2 END y
//   3 COMMIT_DECISION x (client "cx"), pa and pb YES, pc READ_ONLY; no END
// Returns the log; *x and *y get the protocol txids.
Log CoordinatorLog(std::string* x, std::string* y) {
  Log log;
  Coordinator c(COpts("P"), Route);
  Feed(c, Recovered{});
  const auto vote = [&](const Peer& from, const std::string& txid, wire::VoteKind v) {
    log.Take(Deliver(c, from, wire::Vote{txid, v, "", "", {}}));
  };
  *y = Deliver(c, "client", wire::Submit{"cy", {Put("a2", "1"), Put("b2", "2")}})
           .Sent<wire::Prepare>()[0]
           .second.txid;
  vote("pa", *y, wire::VoteKind::kYes);
  vote("pb", *y, wire::VoteKind::kYes);
  REQUIRE(Feed(c, LogDurable{log.next - 1}).Sent<wire::Commit>().size() == 2);
  log.Take(Deliver(c, "pa", wire::Ack{*y}));
  log.Take(Deliver(c, "pb", wire::Ack{*y}));

  *x = Deliver(c, "client", wire::Submit{"cx", {Put("a1", "1"), Put("b1", "2"), Get("c1")}})
           .Sent<wire::Prepare>()[0]
           .second.txid;
  vote("pa", *x, wire::VoteKind::kYes);
  vote("pb", *x, wire::VoteKind::kYes);
  vote("pc", *x, wire::VoteKind::kReadOnly);
  REQUIRE(Feed(c, LogDurable{log.next - 1}).Sent<wire::Commit>().size() == 2);

  REQUIRE(log.entries.size() == 3);
  CHECK(log.entries[1].type == static_cast<uint8_t>(RecordType::kEnd));
  CHECK(log.entries[2].type == static_cast<uint8_t>(RecordType::kCommitDecision));
  return log;
}

}  // namespace

TEST_CASE("a participant standby replays as records arrive and serves only reads",
          "[txn][participant][standby]") {
  const Log log = PrimaryLog(false);
  Participant s(POpts());
  CHECK(Feed(s, StandbyRecovered{EmptyLog()}).actions.empty());
  const auto batches = Split(log.entries, {2, 5});  // lsn 1-2, 3-5, 6-7

  // Each batch is visible at once, and replay acts on nothing: no INQUIRE
  // for the in-doubt t1, no timer.
  CHECK(Feed(s, Replicated{batches[0]}).actions.empty());
  CHECK(Reads(s, {"c", "e"}) == std::vector<wire::ReadResult>{{"c", true, "c1"}, {"e", false, ""}});
  CHECK(Feed(s, Replicated{batches[1]}).actions.empty());
  CHECK(Feed(s, Replicated{batches[2]}).actions.empty());

  Out got = Deliver(s, "cli", wire::GetRequest{{"a", "b", "c", "d", "e", "f", "g"}}, 11);
  CHECK(got.One<wire::GetReply>("cli").reads == std::vector<wire::ReadResult>{{"a", false, ""},
                                                                              {"b", false, ""},
                                                                              {"c", true, "c1"},
                                                                              {"d", true, "d1"},
                                                                              {"e", true, "e3"},
                                                                              {"f", true, "f3"},
                                                                              {"g", false, ""}});
  CHECK(got.All<Send>()[0].request_id == 11);
  Out scanned = Deliver(s, "cli", wire::ScanRequest{"", "", 10}, 12);
  const auto scan = scanned.One<wire::ScanReply>("cli");
  CHECK(scan.keys == std::vector<std::string>{"c", "d", "e", "f"});
  CHECK(scan.values == std::vector<std::string>{"c1", "d1", "e3", "f3"});
  REQUIRE(s.Branches().size() == 1);
  CHECK(s.Branches()[0].txid == "t1");
  CHECK(*s.FinishedAs("t3") == Finish::kCommitted);
  CHECK(*s.FinishedAs("t4") == Finish::kAborted);

  // Timers and durability reports mean nothing to a standby.
  CHECK(Feed(s, TimerFired{1}).actions.empty());
  CHECK(Feed(s, LogDurable{7}).actions.empty());

  // Every request that writes, votes, decides or reveals is refused.
  ExpectNotPrimary(Deliver(s, "cli", wire::PutRequest{"c", "new"}, 21), "cli", 21);
  ExpectNotPrimary(Deliver(s, "cli", wire::DelRequest{"d"}, 22), "cli", 22);
  ExpectNotPrimary(Deliver(s, "coord", MakePrepare("t9", {Put("c", "t9")}), 23), "coord", 23);
  ExpectNotPrimary(Deliver(s, "coord", wire::CommitOnePhase{"t10", {Put("d", "t10")}}, 24), "coord",
                   24);
  // Not ABORTED by presumption, not an abort of its own: t1 stays in doubt.
  ExpectNotPrimary(Deliver(s, "p1", wire::Inquire{"t1"}, 25), "p1", 25);
  ExpectNotPrimary(Deliver(s, "coord", wire::Commit{"t1"}, 26), "coord", 26);
  ExpectNotPrimary(Deliver(s, "coord", wire::Abort{"t1"}, 27), "coord", 27);
  CHECK(Reads(s, {"a", "c", "d"}) ==
        std::vector<wire::ReadResult>{{"a", false, ""}, {"c", true, "c1"}, {"d", true, "d1"}});
  CHECK(s.FinishedAs("t9") == nullptr);
  CHECK(s.FinishedAs("t10") == nullptr);
  REQUIRE(s.Branches().size() == 1);
  CHECK(s.Branches()[0].state == BranchState::kPrepared);

  // The operator must resolve on the primary.
  auto [resolve, resolve_out] = Refused(s, OperatorResolve{"t1", true});
  CHECK(resolve.code() == Code::kTemporary);
  CHECK(resolve_out.empty());
  CHECK(s.Heuristics().empty());
  CHECK(*s.StateOf("t1") == BranchState::kPrepared);

  // Promoted: t1's locks are taken and its INQUIRE armed, as after recovery.
  Out promoted = Feed(s, Promoted{});
  CHECK(promoted.Sends() == 0);
  CHECK(promoted.Appends().empty());
  REQUIRE(promoted.Timers().size() == 1);
  CHECK(promoted.Timers()[0].delay_ms == 100);
  CHECK(*s.locks().HolderOf("a") == "t1");
  CHECK(*s.locks().HolderOf("b") == "t1");
  CHECK(Feed(s, TimerFired{promoted.Timers()[0].id}).One<wire::Inquire>("coord").txid == "t1");

  // An undecided holder makes a conflicting PREPARE vote NO, naming the key.
  Out conflict = Deliver(s, "coord2", MakePrepare("t9", {Put("z", "9"), Put("a", "9")}), 31);
  const auto vote = conflict.One<wire::Vote>("coord2");
  CHECK(vote.vote == wire::VoteKind::kNo);
  CHECK(vote.key == "a");
  CHECK(vote.reason == "key 'a' is locked by transaction t1");
  CHECK(conflict.Appends().empty());
  CHECK(Deliver(s, "cli", wire::PutRequest{"b", "x"}, 32).One<wire::ErrorReply>("cli").code ==
        static_cast<uint16_t>(wire::ErrorCode::kTemporary));

  // A PUT to a free key is a primary's: appended right after the last
  // replicated record, answered once durable.
  Out put = Deliver(s, "cli", wire::PutRequest{"z", "zz"}, 33);
  REQUIRE(put.Appends().size() == 1);
  CHECK(put.Appends()[0].lsn == 8);
  CHECK(put.Appends()[0].type == static_cast<uint8_t>(RecordType::kDirectWrite));
  CHECK(put.Appends()[0].force);
  CHECK(put.Sends() == 0);
  Out put_done = Feed(s, LogDurable{8});
  CHECK(put_done.One<wire::PutReply>("cli").lsn == 8);
  CHECK(put_done.All<Send>()[0].request_id == 33);
  CHECK(Reads(s, {"z"}) == std::vector<wire::ReadResult>{{"z", true, "zz"}});

  // The coordinator's COMMIT for t1 now finishes it.
  Out commit = Deliver(s, "coord", wire::Commit{"t1"}, 34);
  REQUIRE(commit.Appends().size() == 1);
  CHECK(commit.Appends()[0].lsn == 9);
  CHECK(Feed(s, LogDurable{9}).One<wire::Ack>("coord").txid == "t1");
  CHECK(Reads(s, {"a", "b"}) ==
        std::vector<wire::ReadResult>{{"a", true, "a1"}, {"b", true, "b1"}});

  // It is a primary now.
  CHECK(Refused(s, Replicated{}).first.code() == Code::kInternal);
  CHECK(Refused(s, Promoted{}).first.code() == Code::kInternal);
}

TEST_CASE("a promoted participant standby ends where recovery from the same log ends",
          "[txn][participant][standby]") {
  const Log log = PrimaryLog(true);  // 9 records, t1 in doubt, t5 heuristic
  Participant fresh(POpts());
  Out recovered = Feed(fresh, log.Recover());

  Participant s(POpts());
  SECTION("empty start, one batch") {
    Feed(s, StandbyRecovered{EmptyLog()});
    CHECK(Feed(s, Replicated{log.entries}).actions.empty());
  }
  SECTION("empty start, one record a batch") {
    Feed(s, StandbyRecovered{EmptyLog()});
    for (const LogEntry& e : log.entries) CHECK(Feed(s, Replicated{{e}}).actions.empty());
  }
  SECTION("empty start, three batches") {
    Feed(s, StandbyRecovered{EmptyLog()});
    for (const auto& batch : Split(log.entries, {3, 7})) {
      CHECK(Feed(s, Replicated{batch}).actions.empty());
    }
  }
  SECTION("its own log's first records, then the rest") {
    const std::vector<LogEntry> head(log.entries.begin(), log.entries.begin() + 4);
    CHECK(Feed(s, StandbyRecovered{Recovered{head, 5, {}, 0}}).actions.empty());
    const std::vector<LogEntry> rest(log.entries.begin() + 4, log.entries.end());
    CHECK(Feed(s, Replicated{rest}).actions.empty());
  }
  SECTION("a snapshot of the first records, then the rest") {
    Participant shadow(POpts());
    const std::vector<LogEntry> head(log.entries.begin(), log.entries.begin() + 5);
    Feed(shadow, Recovered{head, 6, {}, 0});
    Result<std::string> snap = shadow.ExportState();
    REQUIRE(snap.ok());
    CHECK(Feed(s, StandbyRecovered{Recovered{{}, 6, *snap, 5}}).actions.empty());
    const std::vector<LogEntry> rest(log.entries.begin() + 5, log.entries.end());
    CHECK(Feed(s, Replicated{rest}).actions.empty());
  }

  Out promoted = Feed(s, Promoted{});
  // The same actions as recovery: t1's INQUIRE timer and t5's heuristic
  // report (with its retry timer).
  CHECK(Delays(promoted) == Delays(recovered));
  CHECK(promoted.Sent<wire::HeuristicReport>() == recovered.Sent<wire::HeuristicReport>());
  REQUIRE(promoted.Sent<wire::HeuristicReport>().size() == 1);
  CHECK(promoted.Sent<wire::HeuristicReport>()[0].second.txid == "t5");
  CHECK(promoted.Appends().empty());

  // Both have handled nothing since replay and activation, which is when
  // ExportState is defined: the snapshots must be identical.
  Result<std::string> from_standby = s.ExportState();
  Result<std::string> from_recovery = fresh.ExportState();
  REQUIRE(from_standby.ok());
  REQUIRE(from_recovery.ok());
  CHECK(*from_standby == *from_recovery);

  ExpectSameState(s, fresh);
  CHECK(*s.locks().HolderOf("a") == "t1");
  CHECK(*s.FinishedAs("t5") == Finish::kHeuristicCommitted);

  // The next append goes to the same LSN on both.
  Out put_s = Deliver(s, "cli", wire::PutRequest{"z", "1"});
  Out put_f = Deliver(fresh, "cli", wire::PutRequest{"z", "1"});
  REQUIRE(put_s.Appends().size() == 1);
  REQUIRE(put_f.Appends().size() == 1);
  CHECK(put_s.Appends()[0].lsn == 10);
  CHECK(put_f.Appends()[0].lsn == 10);
}

TEST_CASE("replicated records out of place are refused and not applied",
          "[txn][participant][standby]") {
  const Log log = PrimaryLog(false);
  const auto& e = log.entries;
  Participant s(POpts());
  Feed(s, StandbyRecovered{EmptyLog()});

  // A gap: lsn 2 while 1 is next.
  auto [gap, gap_out] = Refused(s, Replicated{{e[1]}});
  CHECK(gap.code() == Code::kInternal);
  CHECK(gap.message() == "standby: replicated record lsn 2, expected 1");
  CHECK(gap_out.empty());
  CHECK(Reads(s, {"c"}) == std::vector<wire::ReadResult>{{"c", false, ""}});
  CHECK(s.Branches().empty());

  // The standby is not wedged: the right records still apply.
  CHECK(Feed(s, Replicated{{e[0], e[1]}}).actions.empty());
  CHECK(Reads(s, {"c"}) == std::vector<wire::ReadResult>{{"c", true, "c1"}});

  // A record handed twice.
  CHECK(Refused(s, Replicated{{e[1]}}).first.code() == Code::kInternal);
  // Reordered: 4 before 3.
  CHECK(Refused(s, Replicated{{e[3], e[2]}}).first.code() == Code::kInternal);
  CHECK(Reads(s, {"d"}) == std::vector<wire::ReadResult>{{"d", false, ""}});
  CHECK(s.StateOf("t3") == nullptr);

  // A corrupt record (a COMMITTED for a transaction never prepared) names
  // its LSN and leaves the standby where it was.
  const LogEntry bogus{3, static_cast<uint8_t>(RecordType::kCommitted),
                       EncodeRecord(TxidRecord{"never"})};
  auto [corrupt, corrupt_out] = Refused(s, Replicated{{bogus}});
  CHECK(corrupt.message().find("lsn 3") != std::string::npos);
  CHECK(corrupt_out.empty());
  const LogEntry garbage{3, 200, "\x01\x02"};
  CHECK(Refused(s, Replicated{{garbage}}).first.message().find("lsn 3") != std::string::npos);
  CHECK(Feed(s, Replicated{{e[2], e[3], e[4]}}).actions.empty());
  CHECK(Reads(s, {"d", "e"}) ==
        std::vector<wire::ReadResult>{{"d", true, "d1"}, {"e", true, "e3"}});

  // A gap inside a batch: the record after the gap is not applied.
  LogEntry late = e[6];  // ABORTED t4, moved from lsn 7 to 8
  late.lsn = 8;
  auto [inner, inner_out] = Refused(s, Replicated{{e[5], late}});
  CHECK(inner.code() == Code::kInternal);
  CHECK(inner.message() == "standby: replicated record lsn 8, expected 7");
  CHECK(inner_out.empty());
  CHECK(s.FinishedAs("t4") == nullptr);
}

TEST_CASE("standby events out of turn are the driver's bug", "[txn][standby]") {
  SECTION("participant") {
    Participant unrecovered(POpts());
    CHECK(Refused(unrecovered, Replicated{}).first.code() == Code::kInternal);
    CHECK(Refused(unrecovered, Promoted{}).first.code() == Code::kInternal);

    Participant primary(POpts());
    Feed(primary, Recovered{});
    const Log log = PrimaryLog(false);
    CHECK(Refused(primary, Replicated{{log.entries[0]}}).first.code() == Code::kInternal);
    CHECK(primary.Branches().empty());  // not applied
    CHECK(Refused(primary, Promoted{}).first.code() == Code::kInternal);
    CHECK(Refused(primary, StandbyRecovered{EmptyLog()}).first.code() == Code::kInternal);

    Participant standby(POpts());
    Feed(standby, StandbyRecovered{EmptyLog()});
    CHECK(Refused(standby, Recovered{}).first.code() == Code::kInternal);
    CHECK(Refused(standby, StandbyRecovered{EmptyLog()}).first.code() == Code::kInternal);
  }
  SECTION("coordinator") {
    Coordinator unrecovered(COpts("S"), Route);
    CHECK(Refused(unrecovered, Replicated{}).first.code() == Code::kInternal);
    CHECK(Refused(unrecovered, Promoted{}).first.code() == Code::kInternal);

    Coordinator primary(COpts("S"), Route);
    Feed(primary, Recovered{});
    CHECK(Refused(primary, Replicated{}).first.code() == Code::kInternal);
    CHECK(Refused(primary, Promoted{}).first.code() == Code::kInternal);
    CHECK(Refused(primary, StandbyRecovered{EmptyLog()}).first.code() == Code::kInternal);

    Coordinator standby(COpts("S"), Route);
    Feed(standby, StandbyRecovered{EmptyLog()});
    CHECK(Refused(standby, Recovered{}).first.code() == Code::kInternal);
  }
}

TEST_CASE("a coordinator standby re-drives nothing until promoted, then commits",
          "[txn][coordinator][standby]") {
  std::string x, y;
  const Log log = CoordinatorLog(&x, &y);
  Coordinator s(COpts("S"), Route);
  CHECK(Feed(s, StandbyRecovered{EmptyLog()}).actions.empty());
  CHECK(Feed(s, Replicated{{log.entries[0], log.entries[1]}}).actions.empty());
  CHECK(Feed(s, Replicated{{log.entries[2]}}).actions.empty());

  // A standby takes no transaction and answers no question about one: an
  // ABORTED by presumption here would contradict the logged decision.
  Out submit = Deliver(s, "client", wire::Submit{"new", {Put("a9", "1"), Put("b9", "2")}}, 41);
  ExpectNotPrimary(submit, "client", 41);
  ExpectNotPrimary(Deliver(s, "client", wire::Submit{"cx", {Put("a1", "1")}}, 42), "client", 42);
  ExpectNotPrimary(Deliver(s, "pa", wire::Inquire{x}, 43), "pa", 43);
  ExpectNotPrimary(Deliver(s, "pa", wire::HeuristicReport{x, "pa", wire::TxOutcome::kAborted}, 44),
                   "pa", 44);
  CHECK(Feed(s, TimerFired{1}).actions.empty());
  CHECK(Feed(s, LogDurable{3}).actions.empty());
  CHECK(s.Heuristics().empty());

  Out promoted = Feed(s, Promoted{});
  auto commits = promoted.Sent<wire::Commit>();
  REQUIRE(commits.size() == 2);  // the YES voters of x; not pc, not the ENDed y
  CHECK(commits[0] == std::make_pair(Peer("pa"), wire::Commit{x}));
  CHECK(commits[1] == std::make_pair(Peer("pb"), wire::Commit{x}));
  CHECK(promoted.Sends() == 2);
  CHECK(promoted.Appends().empty());
  REQUIRE(promoted.Timers().size() == 1);
  CHECK(promoted.Timers()[0].delay_ms == 50);
  REQUIRE(s.InFlight().size() == 1);
  CHECK(s.InFlight()[0].txid == x);
  CHECK(s.InFlight()[0].state == CoordState::kCommitted);
  CHECK(s.InFlight()[0].waiting_for == std::vector<std::string>{"pa", "pb"});

  // The same as a coordinator that recovered from the whole log.
  Coordinator fresh(COpts("S"), Route);
  Out recovered = Feed(fresh, log.Recover());
  CHECK(recovered.Sent<wire::Commit>() == commits);
  Result<std::string> from_standby = s.ExportState();
  Result<std::string> from_recovery = fresh.ExportState();
  REQUIRE(from_standby.ok());
  REQUIRE(from_recovery.ok());
  CHECK(*from_standby == *from_recovery);

  Out inquired = Deliver(s, "pa", wire::Inquire{x}, 45);
  CHECK(inquired.One<wire::Outcome>("pa") == wire::Outcome{x, wire::TxOutcome::kCommitted});
  CHECK(inquired.All<Send>()[0].request_id == 45);

  // The client's retry is answered from the replicated decision.
  Out retry = Deliver(s, "client", wire::Submit{"cx", {Put("a1", "1")}}, 46);
  CHECK(retry.One<wire::SubmitResult>("client").outcome == wire::TxOutcome::kCommitted);
  CHECK(retry.Sent<wire::Prepare>().empty());

  // COMMIT is resent until ACKed, then END goes right after the last
  // replicated record.
  Out resent = Feed(s, TimerFired{promoted.Timers()[0].id});
  CHECK(resent.Sent<wire::Commit>().size() == 2);
  CHECK(Deliver(s, "pa", wire::Ack{x}).Appends().empty());
  Out end = Deliver(s, "pb", wire::Ack{x});
  REQUIRE(end.Appends().size() == 1);
  CHECK(end.Appends()[0].lsn == 4);
  CHECK(end.Appends()[0].type == static_cast<uint8_t>(RecordType::kEnd));
  CHECK(s.Idle());

  // New work runs under this process's tag.
  Out fresh_submit = Deliver(s, "client", wire::Submit{"", {Put("a5", "1"), Put("b5", "2")}});
  REQUIRE(fresh_submit.Sent<wire::Prepare>().size() == 2);
  CHECK(fresh_submit.Sent<wire::Prepare>()[0].second.txid == "S.1");
}

TEST_CASE("a coordinator standby refuses replicated records out of place",
          "[txn][coordinator][standby]") {
  std::string x, y;
  const Log log = CoordinatorLog(&x, &y);
  Coordinator s(COpts("S"), Route);
  Feed(s, StandbyRecovered{EmptyLog()});
  auto [gap, gap_out] = Refused(s, Replicated{{log.entries[2]}});
  CHECK(gap.code() == Code::kInternal);
  CHECK(gap.message() == "standby: replicated record lsn 3, expected 1");
  CHECK(gap_out.empty());
  // Not applied: promotion re-drives nothing.
  Out promoted = Feed(s, Promoted{});
  CHECK(promoted.actions.empty());
  CHECK(s.InFlight().empty());
}
