// repl::Member full resyncs under loss and late messages: a lost snapshot
// is sent again, and a stale or repeated HELLO or START never starts a
// second resync or drops records a replica acknowledged.
#include "member_harness.h"

using namespace repltest;

namespace {

// a is a lone primary with 10 records, the first 6 only in a snapshot; d
// follows it and needs a full resync. Nothing runs yet.
void PrimaryWithSnapshot(Cluster& c, Config base = Config{}) {
  c.Add("a", {}, "", base);
  c.Start("a");
  c.Write("a", 10);
  c.Compact("a", 6);
  c.Add("d", {}, "a", base);
}

template <class M>
bool Is(const Packet& p) {
  return !p.snapshot && std::holds_alternative<M>(p.msg);
}

}  // namespace

TEST_CASE("a lost resync snapshot is sent again", "[repl][member]") {
  Cluster c;
  PrimaryWithSnapshot(c);
  int snapshots = 0;
  c.drop = [&](const Packet& p) { return p.snapshot && ++snapshots == 1; };
  c.Start("d");
  c.Run();
  Node& a = c["a"];
  Node& d = c["d"];
  CHECK(d.writer.log.empty());
  // The first resync never completed, so resync_min_interval_ms (30 s)
  // does not hold the second back: the replica's timeout does the asking.
  c.Advance(6000);
  CHECK(snapshots == 2);
  CHECK(a.Traced<SendSnapshot>().size() == 2);
  CHECK(d.writer.log == a.writer.log);
  c.Write("a", 2);
  CHECK(d.writer.log == a.writer.log);
  CHECK(a.member->Report(c.now).replicas[0].flushed_lsn == 12);
}

TEST_CASE("a repeated HELLO does not start a second resync", "[repl][member]") {
  Config base;
  base.resync_min_interval_ms = 0;  // nothing but the protocol stops it
  Cluster c;
  PrimaryWithSnapshot(c, base);
  std::vector<Packet> hellos;
  c.drop = [&](const Packet& p) {
    if (Is<wire::ReplHello>(p)) hellos.push_back(p);
    return false;
  };
  c.Start("d");
  c.Run();
  Node& a = c["a"];
  Node& d = c["d"];
  REQUIRE(d.writer.log == a.writer.log);
  c.Write("a", 3);
  REQUIRE(a.member->Report(c.now).replicas[0].flushed_lsn == 13);
  REQUIRE(!hellos.empty());

  c.drop = nullptr;
  for (const Packet& p : hellos) c.net.push_back(p);  // the same HELLOs, late
  c.Run();
  c.Advance(500);
  CHECK(a.Traced<SendSnapshot>().size() == 1);
  CHECK(d.writer.installs == std::vector<uint64_t>{6});
  CHECK(d.writer.log == a.writer.log);
  CHECK(a.member->Report(c.now).replicas[0].flushed_lsn == 13);
}

TEST_CASE("a stale START does not strand a streaming replica", "[repl][member]") {
  Cluster c;
  PrimaryWithSnapshot(c);
  std::vector<Packet> starts;
  c.drop = [&](const Packet& p) {
    if (Is<wire::ReplStart>(p)) starts.push_back(p);
    return false;
  };
  c.Start("d");
  c.Run();
  Node& a = c["a"];
  Node& d = c["d"];
  REQUIRE(d.writer.log == a.writer.log);
  REQUIRE(starts.size() == 1);
  REQUIRE(std::get<wire::ReplStart>(starts[0].msg).resync);

  c.drop = nullptr;
  c.net.push_back(starts[0]);  // START{resync}, late
  c.Run();
  c.Write("a", 2);
  CHECK(d.writer.log == a.writer.log);
  CHECK(a.member->Report(c.now).replicas[0].flushed_lsn == 12);
}

namespace {

Config Replica() {
  Config cfg;
  cfg.name = "r";
  cfg.endpoint = Ep("r");
  cfg.follow = Ep("p");
  return cfg;
}

// r streams from p in epoch 1 and has acknowledged 1..8 as flushed.
void StreamingReplica(Solo& r) {
  DurableState st;
  st.current_epoch = 1;
  st.history = {{1, 1}};
  r.Feed(Started{st, 1, 4, 7});
  wire::ReplStart s;
  s.epoch = 1;
  s.primary = "p";
  s.next_lsn = 5;
  s.history = {{1, 1}};
  r.Deliver(Ep("p"), r.Answer(s));
  wire::ReplRecords recs;
  recs.epoch = 1;
  recs.primary = "p";
  recs.primary_endpoint = Ep("p");
  recs.prev_lsn = 4;
  for (uint64_t l = 5; l <= 8; ++l) recs.records.push_back({1, 1, l, "x"});
  r.Deliver(Ep("p"), recs);
  auto acks = SentMsgs<wire::ReplAck>(r.Feed(WriterProgress{8, 8, 1}));
  REQUIRE(acks.size() == 1);
  REQUIRE(acks[0].flushed == 8);
  REQUIRE(acks[0].session == r.session);
}

wire::ReplStart ResyncStart() {
  wire::ReplStart s;
  s.epoch = 1;
  s.primary = "p";
  s.resync = true;
  s.history = {{1, 1}};
  return s;
}

}  // namespace

TEST_CASE("a replica installs only the snapshot it waits for, never below what it acked",
          "[repl][member]") {
  Solo r(Replica());
  StreamingReplica(r);
  const uint64_t session = r.session;
  // Before any START{resync}: not waiting for a snapshot.
  auto out = r.Feed(SnapshotProgress{1, session, 9, 1, 10, 10});
  CHECK(All<InstallSnapshot>(out).empty());

  r.Deliver(Ep("p"), r.Answer(ResyncStart()));               // the log went: resync mid-stream
  out = r.Feed(SnapshotProgress{1, session, 6, 1, 10, 10});  // a stale one: cuts 7..8
  CHECK(All<InstallSnapshot>(out).empty());
  REQUIRE(All<Note>(out).size() == 1);
  CHECK(All<Note>(out)[0].text ==
        "msg=\"resync snapshot refused\" lsn=6 reason=\"lsn 6 is below the acknowledged 8\"");
  out = r.Feed(SnapshotProgress{1, session - 1, 9, 1, 10, 10});  // another session's
  CHECK(All<InstallSnapshot>(out).empty());
  out = r.Feed(SnapshotProgress{1, session, 9, 1, 4, 10});  // not complete yet
  CHECK(out.empty());
  out = r.Feed(SnapshotProgress{1, session, 9, 1, 10, 10});
  auto installs = All<InstallSnapshot>(out);
  REQUIRE(installs.size() == 1);
  CHECK(installs[0].snapshot_lsn == 9);
  CHECK(installs[0].snapshot_epoch == 1);

  // Until the writer has installed it, nothing moves the log.
  std::vector<Action> refused;
  CHECK(r.member.Handle(Operator{1, OperatorVerb::kPromote, true, ""}, r.now, &refused).code() ==
        Code::kTemporary);
  wire::ReplStart again;
  again.epoch = 1;
  again.primary = "p";
  again.next_lsn = 9;
  again.history = {{1, 1}};
  CHECK(All<ToWriter>(r.Deliver(Ep("p"), r.Answer(again))).empty());

  auto acks = SentMsgs<wire::ReplAck>(r.Feed(SnapshotInstalled{9, 1}));
  REQUIRE(acks.size() == 1);
  CHECK(acks[0].received == 9);
  CHECK(acks[0].flushed == 9);
  CHECK(acks[0].session == session);
}

TEST_CASE("a stalled resync makes the replica say HELLO in a new session", "[repl][member]") {
  Config cfg = Replica();
  cfg.election_ms = 100;
  Solo r(cfg);
  StreamingReplica(r);
  const uint64_t first = r.session;
  r.Deliver(Ep("p"), r.Answer(ResyncStart()));
  // Heartbeats keep coming, so the primary is not silent; no chunk does.
  wire::ReplRecords hb;
  hb.epoch = 1;
  hb.primary = "p";
  hb.primary_endpoint = Ep("p");
  hb.prev_lsn = 8;
  std::vector<wire::ReplHello> hellos;
  TimerId heartbeat = 1;  // the first timer Started armed
  for (int i = 0; i < 50 && hellos.empty(); ++i) {
    r.now += 10;
    r.Deliver(Ep("p"), hb);
    auto out = r.Feed(TimerFired{heartbeat});
    REQUIRE(!All<SetTimer>(out).empty());
    heartbeat = All<SetTimer>(out)[0].id;  // re-armed first
    hellos = SentMsgs<wire::ReplHello>(out);
  }
  REQUIRE(hellos.size() == 1);
  CHECK(hellos[0].session > first);
  CHECK(hellos[0].last_lsn == 8);
  CHECK(r.now - 1000 >= 4 * 100);
}

TEST_CASE("a primary starts a replica's new resync only after the transfer still out",
          "[repl][member]") {
  Config cfg;
  cfg.name = "p";
  cfg.endpoint = Ep("p");
  Solo p(cfg);
  p.Feed(Started{DurableState{}, 0, 0, 7});  // alone: primary in epoch 1
  p.Feed(WriterProgress{10, 10, 1});         // 1..10, the first 6 only in a snapshot
  auto hello = [&](uint64_t session) {
    wire::ReplHello h;
    h.epoch = 1;
    h.name = "r";
    h.endpoint = Ep("r");
    h.session = session;
    auto reads = All<ReadLog>(p.Deliver(Ep("r"), h));
    REQUIRE(reads.size() == 1);
    LogRead gone;
    gone.to = Ep("r");
    gone.from_lsn = reads[0].from_lsn;
    gone.gone = true;
    return p.Feed(gone);
  };
  auto out = hello(10);
  REQUIRE(SentMsgs<wire::ReplStart>(out).size() == 1);
  CHECK(SentMsgs<wire::ReplStart>(out)[0].session == 10);
  REQUIRE(All<SendSnapshot>(out).size() == 1);
  CHECK(All<SendSnapshot>(out)[0].session == 10);

  // The replica timed out and asks again while that transfer is still out.
  out = hello(11);
  REQUIRE(SentMsgs<wire::ReplStart>(out).size() == 1);
  CHECK(SentMsgs<wire::ReplStart>(out)[0].session == 11);
  CHECK(SentMsgs<wire::ReplStart>(out)[0].resync);
  CHECK(All<SendSnapshot>(out).empty());
  // The old transfer ends (a driver that does not know sessions): the new
  // one starts, and the old one completes nothing.
  out = p.Feed(ResyncSent{Ep("r"), 6, 1, 0, false});
  REQUIRE(All<SendSnapshot>(out).size() == 1);
  CHECK(All<SendSnapshot>(out)[0].session == 11);
  CHECK(All<ReadLog>(out).empty());

  SECTION("its completion streams after the snapshot once the replica acks it") {
    out = p.Feed(ResyncSent{Ep("r"), 6, 1, 11, false});
    CHECK(All<ReadLog>(out).empty());  // nothing before the replica has it
    wire::ReplAck stale;
    stale.epoch = 1;
    stale.name = "r";
    stale.received = stale.flushed = 6;
    stale.session = 10;
    p.Deliver(Ep("r"), stale);
    CHECK(p.member.Report(p.now).replicas[0].flushed_lsn == 0);
    wire::ReplAck ack = stale;
    ack.session = 11;
    p.Deliver(Ep("r"), ack);
    CHECK(p.member.Report(p.now).replicas[0].flushed_lsn == 6);
  }
  SECTION("a failed transfer is started over by the replica's next HELLO") {
    out = p.Feed(ResyncSent{Ep("r"), 0, 0, 11, true});
    CHECK(p.member.Report(p.now).replicas[0].resyncs == 2);
    out = hello(12);
    REQUIRE(All<SendSnapshot>(out).size() == 1);  // not rate-limited: it never completed
    CHECK(All<SendSnapshot>(out)[0].session == 12);
  }
}

TEST_CASE("a replica whose log lost what it acknowledged neither runs nor elects a shorter log",
          "[repl][member]") {
  // A driver that installs whatever snapshot arrives (not asking the
  // member) can put an old one under a replica that acknowledged more.
  Config cfg = Replica();
  cfg.peers = {Ep("p"), Ep("x")};
  cfg.auto_failover = true;
  cfg.election_ms = 100;
  Solo r(cfg);
  StreamingReplica(r);  // acknowledged 1..8 as flushed
  auto out = r.Feed(SnapshotInstalled{6, 1});
  CHECK(r.member.Report(r.now).last_lsn == 6);
  CHECK(!SentMsgs<wire::ReplHello>(out).empty());  // it asks its primary again

  wire::ReplVoteRequest q;
  q.epoch = 2;
  q.candidate = "x";
  q.candidate_endpoint = Ep("x");
  q.last_epoch = 1;
  q.last_lsn = 7;
  r.now += 1000;  // long after the primary was last heard
  auto votes = SentMsgs<wire::ReplVote>(r.Deliver(Ep("x"), q));
  REQUIRE(votes.size() == 1);
  CHECK_FALSE(votes[0].granted);
  CHECK(votes[0].reason == "candidate log ends at (1, 7), before mine (1, 8)");

  // Its own election timer comes and goes: no candidacy with 6 records.
  for (TimerId id = 1; id < 20; ++id) {
    CHECK(SentMsgs<wire::ReplVoteRequest>(r.Feed(TimerFired{id})).empty());
  }
  CHECK(r.member.role() == Role::kReplica);
  std::vector<Action> refused;
  CHECK(r.member.Handle(Operator{1, OperatorVerb::kPromote, false, ""}, r.now, &refused).code() ==
        Code::kNegative);
}
