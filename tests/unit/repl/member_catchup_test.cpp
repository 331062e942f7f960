// repl::Member: cutting divergent tails (KIP-101 and the replica's own
// refinement) and fencing stale primaries.
#include "member_harness.h"

using namespace repltest;

namespace {

Operator Promote(uint64_t token, bool accept_data_loss = false) {
  Operator op;
  op.token = token;
  op.verb = OperatorVerb::kPromote;
  op.accept_data_loss = accept_data_loss;
  return op;
}

// a, b and c know each other; a is promoted by hand and writes 5 records.
void Group(Cluster& c) {
  c.Add("a", {"b", "c"});
  c.Add("b", {"a", "c"});
  c.Add("c", {"a", "b"});
  c.StartAll();
  CHECK(c.Primary().empty());  // peers and no follow: wait for a primary
  REQUIRE(c.Operate("a", Promote(1)).ok());
  REQUIRE(c.Primary() == "a");
  c.Write("a", 5);
  REQUIRE(c["b"].writer.log == c["a"].writer.log);
  REQUIRE(c["c"].writer.log == c["a"].writer.log);
}

}  // namespace

TEST_CASE("a divergent tail from an old epoch is cut at the exact LSN", "[repl][member]") {
  Cluster c;
  Group(c);
  c.Isolate("a");
  c.Write("a", 3, "lost");  // lsn 6..8 in epoch 1, only on a
  REQUIRE(c.Operate("b", Promote(2)).ok());
  CHECK(c["b"].member->epoch() == 2);
  CHECK(c["b"].disk.history == History{{1, 1}, {2, 6}});
  c.Write("b", 2, "new");  // lsn 6..7 in epoch 2
  c.Cut("a", "b");         // still cut from a
  REQUIRE(c["c"].writer.log == c["b"].writer.log);

  Node& a = c["a"];
  a.trace.clear();
  c.Heal();
  c.Advance(150);
  CHECK(a.role() == Role::kReplica);
  CHECK(a.member->epoch() == 2);
  CHECK(a.writer.truncates == std::vector<uint64_t>{5});
  CHECK(a.writer.log == c["b"].writer.log);
  CHECK(a.disk.history == c["b"].disk.history);
  auto starts = c["b"].SentOf<wire::ReplStart>();
  REQUIRE(!starts.empty());
  const auto& start = std::get<wire::ReplStart>(starts.back().msg);
  CHECK(start.truncate);
  CHECK(start.truncate_after == 5);  // where epoch 1 ended in b's log
  // Stepping down told the writer before anything was persisted or sent.
  const int role =
      IndexOf(a.trace, [](const Action& x) { return IsRole(x, wire::LinkRoleKind::kReplica); });
  REQUIRE(role >= 0);
  CHECK(role < IndexOf(a.trace, IsPersist));
  const int first_send_in_2 = IndexOf(a.trace, [](const Action& x) {
    const auto* s = std::get_if<Send>(&x);
    return s && std::visit([](const auto& m) { return m.epoch; }, s->msg) == 2;
  });
  CHECK(role < first_send_in_2);

  c.Write("b", 1);
  CHECK(a.writer.log == c["b"].writer.log);
}

TEST_CASE("a replica cuts further where its own history parts from the primary's",
          "[repl][member]") {
  // The replica wrote epoch 2 from lsn 8 (as a primary the others never
  // heard of); the primary's history has epoch 1 until 9. KIP-101 alone
  // would keep lsn 8..9 of epoch 2.
  Config cfg;
  cfg.name = "r";
  cfg.endpoint = Ep("r");
  cfg.follow = Ep("p");
  Solo r(cfg);
  DurableState st;
  st.current_epoch = 2;
  st.history = {{1, 1}, {2, 8}};
  auto out = r.Feed(Started{st, 2, 12});
  auto hello = SentMsgs<wire::ReplHello>(out);
  REQUIRE(hello.size() == 1);
  CHECK(hello[0].last_epoch == 2);
  CHECK(hello[0].last_lsn == 12);

  wire::ReplStart s;
  s.epoch = 3;
  s.primary = "p";
  s.truncate = true;
  s.truncate_after = 9;  // EndOfEpoch({1,1},{3,10}; 2) = (1, 9)
  s.next_lsn = 10;
  s.history = {{1, 1}, {3, 10}};
  out = r.Deliver(Ep("p"), r.Answer(s));
  auto truncs = All<ToWriter>(out);
  REQUIRE(truncs.size() == 1);
  CHECK(std::get<wire::LinkTruncate>(truncs[0].msg).after_lsn == 7);
  auto persists = All<Persist>(out);
  REQUIRE(persists.size() == 2);
  // First the epoch, with the history that still describes the uncut log...
  CHECK(persists[0].state.current_epoch == 3);
  CHECK(persists[0].state.history == st.history);
  // ...then the primary's, once the cut is on its way to the writer.
  CHECK(persists[1].state.history == s.history);
  const int cut = IndexOf(out, [](const Action& a) { return std::holds_alternative<ToWriter>(a); });
  const int second = IndexOf(out, [&](const Action& a) {
    const auto* p = std::get_if<Persist>(&a);
    return p && p->state.history == s.history;
  });
  CHECK(cut < second);
  // The primary would stream from 10: say where the log ends now.
  hello = SentMsgs<wire::ReplHello>(out);
  REQUIRE(hello.size() == 1);
  CHECK(hello[0].epoch == 3);
  CHECK(hello[0].last_epoch == 1);
  CHECK(hello[0].last_lsn == 7);
  CHECK(SentMsgs<wire::ReplAck>(out).empty());
}

TEST_CASE("a log whose tail disagrees with the history is truncated whole", "[repl][member]") {
  // A crash after the primary's history was persisted but before the cut
  // reached the disk: record 12 is epoch 2, the history says epoch 3.
  Config cfg;
  cfg.name = "r";
  cfg.endpoint = Ep("r");
  cfg.follow = Ep("p");
  Solo r(cfg);
  DurableState st;
  st.current_epoch = 3;
  st.history = {{1, 1}, {3, 10}};
  auto out = r.Feed(Started{st, 2, 12});
  CHECK(!All<Note>(out).empty());
  wire::ReplStart s;
  s.epoch = 3;
  s.primary = "p";
  s.truncate = true;
  s.truncate_after = 9;
  s.next_lsn = 10;
  s.history = st.history;
  out = r.Deliver(Ep("p"), r.Answer(s));
  auto w = All<ToWriter>(out);
  REQUIRE(w.size() == 1);
  CHECK(std::get<wire::LinkTruncate>(w[0].msg).after_lsn == 0);
  auto hello = SentMsgs<wire::ReplHello>(out);
  REQUIRE(hello.size() == 1);
  CHECK(hello[0].last_lsn == 0);
}

TEST_CASE("a stale primary's records are refused and it steps down", "[repl][member]") {
  Cluster c;
  Group(c);
  c.Isolate("a");
  REQUIRE(c.Operate("b", Promote(2)).ok());
  c.Advance(150);  // c hears b (epoch 2) and follows it
  REQUIRE(c["c"].member->epoch() == 2);
  c.Write("a", 2, "stale");  // epoch 1, a still thinks it leads
  c.Write("b", 1, "fresh");
  const auto c_log = c["c"].writer.log;
  REQUIRE(c_log.size() == 6);

  // a can reach c again, not b.
  c.cut.erase({"a", "c"});
  c.cut.erase({"c", "a"});
  c["a"].trace.clear();
  c.Advance(150);
  Node& a = c["a"];
  CHECK(c["c"].writer.log == c_log);  // nothing of a's epoch 1 got in
  CHECK(a.role() == Role::kReplica);
  CHECK(a.writer.role == wire::LinkRoleKind::kReplica);
  CHECK(a.member->epoch() == 2);
  CHECK(a.disk.current_epoch == 2);
  CHECK(a.HasNote("stepped down"));
  const int role =
      IndexOf(a.trace, [](const Action& x) { return IsRole(x, wire::LinkRoleKind::kReplica); });
  REQUIRE(role >= 0);
  CHECK(role < IndexOf(a.trace, IsPersist));

  c.Heal();
  c.Advance(200);
  CHECK(a.writer.log == c["b"].writer.log);
  CHECK(a.writer.truncates == std::vector<uint64_t>{5});
}

TEST_CASE("a HELLO from an older epoch is answered with the new epoch", "[repl][member]") {
  Config cfg;
  cfg.name = "p";
  cfg.endpoint = Ep("p");
  Solo p(cfg);
  DurableState st;
  st.current_epoch = 4;
  st.history = {{1, 1}, {4, 3}};
  p.Feed(Started{st, 4, 6});
  REQUIRE(p.member.role() == Role::kPrimary);  // in epoch 5
  wire::ReplHello h;
  h.epoch = 2;
  h.name = "r";
  h.endpoint = Ep("r");
  h.last_epoch = 1;
  h.last_lsn = 2;
  auto out = p.Deliver(Ep("r"), h);
  auto recs = SentMsgs<wire::ReplRecords>(out);
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].epoch == 5);
  CHECK(recs[0].primary_endpoint == Ep("p"));
  CHECK(All<ReadLog>(out).empty());
  CHECK(p.member.Report(p.now).replicas.empty());
}

TEST_CASE("the primary cuts a HELLO's log where its last epoch ended (KIP-101)", "[repl][member]") {
  Config cfg;
  cfg.name = "p";
  cfg.endpoint = Ep("p");
  cfg.peers = {Ep("r")};
  Solo p(cfg);
  DurableState st;
  st.current_epoch = 5;
  st.history = {{1, 1}, {3, 10}, {5, 20}};
  p.Feed(Started{st, 5, 25});
  REQUIRE(p.Feed(Operator{1, OperatorVerb::kPromote, true, ""}).size() > 0);
  REQUIRE(p.member.role() == Role::kPrimary);  // epoch 6 from lsn 26
  uint64_t session = 0;
  auto start_for = [&](uint64_t last_epoch, uint64_t last_lsn) {
    wire::ReplHello h;
    h.epoch = 6;
    h.name = "r";
    h.endpoint = Ep("r");
    h.last_epoch = last_epoch;
    h.last_lsn = last_lsn;
    h.session = ++session;  // each a new conversation
    auto out = p.Deliver(Ep("r"), h);
    auto starts = SentMsgs<wire::ReplStart>(out);
    if (starts.empty()) {
      // The replica is behind: START waits for the first read.
      auto reads = All<ReadLog>(out);
      REQUIRE(reads.size() == 1);
      LogRead lr;
      lr.to = reads[0].to;
      lr.from_lsn = reads[0].from_lsn;
      for (uint64_t l = lr.from_lsn; l <= 25; ++l) lr.records.push_back({1, 5, l, "x"});
      starts = SentMsgs<wire::ReplStart>(p.Feed(lr));
    }
    REQUIRE(starts.size() == 1);
    return starts[0];
  };
  wire::ReplStart s = start_for(3, 15);  // inside epoch 3: nothing to cut
  CHECK_FALSE(s.truncate);
  CHECK(s.next_lsn == 16);
  s = start_for(1, 12);  // epoch 1 ended at 9
  CHECK(s.truncate);
  CHECK(s.truncate_after == 9);
  CHECK(s.next_lsn == 10);
  s = start_for(4, 22);  // never had epoch 4: cut where epoch 3 ended
  CHECK(s.truncate);
  CHECK(s.truncate_after == 19);
  s = start_for(0, 5);  // records from before any epoch are not trusted
  CHECK(s.truncate);
  CHECK(s.truncate_after == 0);
  CHECK(s.next_lsn == 1);
  s = start_for(5, 25);
  CHECK_FALSE(s.truncate);
  CHECK(s.next_lsn == 26);
  CHECK(s.history == History{{1, 1}, {3, 10}, {5, 20}, {6, 26}});
}

TEST_CASE("a record of an epoch the history lacks is preceded by a persisted line",
          "[repl][member]") {
  Config cfg;
  cfg.name = "r";
  cfg.endpoint = Ep("r");
  cfg.follow = Ep("p");
  Solo r(cfg);
  r.Feed(Started{DurableState{}, 0, 0});
  wire::ReplStart s;
  s.epoch = 2;
  s.primary = "p";
  s.next_lsn = 1;
  s.history = {{1, 1}};
  r.Deliver(Ep("p"), r.Answer(s));
  wire::ReplRecords recs;
  recs.epoch = 2;
  recs.primary = "p";
  recs.primary_endpoint = Ep("p");
  recs.prev_lsn = 0;
  recs.records = {{1, 1, 1, "a"}, {1, 2, 2, "b"}};
  auto out = r.Deliver(Ep("p"), recs);
  const int persist = IndexOf(out, IsPersist);
  const int append = IndexOf(out, [](const Action& a) {
    const auto* w = std::get_if<ToWriter>(&a);
    return w && std::holds_alternative<wire::LinkAppend>(w->msg);
  });
  REQUIRE(persist >= 0);
  CHECK(persist < append);
  CHECK(All<Persist>(out)[0].state.history == History{{1, 1}, {2, 2}});
  auto acks = SentMsgs<wire::ReplAck>(out);
  REQUIRE(acks.size() == 1);
  CHECK(acks[0].received == 2);
  CHECK(acks[0].flushed == 0);
}

TEST_CASE("every RECORDS, a heartbeat too, tells the writer the primary's durable LSN",
          "[repl][member]") {
  // A standby's staleness bound (GetRequest::max_staleness_ms) is measured
  // from these: without them an idle standby could not tell it is fresh.
  Config cfg;
  cfg.name = "r";
  cfg.endpoint = Ep("r");
  cfg.follow = Ep("p");
  Solo r(cfg);
  r.Feed(Started{DurableState{}, 0, 0});
  wire::ReplStart s;
  s.epoch = 1;
  s.primary = "p";
  s.next_lsn = 1;
  s.history = {{1, 1}};
  r.Deliver(Ep("p"), r.Answer(s));
  wire::ReplRecords recs;
  recs.epoch = 1;
  recs.primary = "p";
  recs.primary_endpoint = Ep("p");
  recs.prev_lsn = 0;
  recs.durable_lsn = 1;
  recs.records = {{1, 1, 1, "a"}, {1, 1, 2, "b"}};
  auto with_records = ToWriterMsgs<wire::LinkAppend>(r.Deliver(Ep("p"), recs));
  REQUIRE(with_records.size() == 1);
  CHECK(with_records[0].records.size() == 2);
  CHECK(with_records[0].primary_durable_lsn == 1);
  wire::ReplRecords beat = recs;
  beat.prev_lsn = 2;
  beat.durable_lsn = 2;
  beat.records.clear();
  auto heartbeat = ToWriterMsgs<wire::LinkAppend>(r.Deliver(Ep("p"), beat));
  REQUIRE(heartbeat.size() == 1);
  CHECK(heartbeat[0].records.empty());
  CHECK(heartbeat[0].primary_durable_lsn == 2);
  // A stale primary's heartbeat says nothing about freshness.
  wire::ReplRecords stale = beat;
  stale.epoch = 0;
  CHECK(ToWriterMsgs<wire::LinkAppend>(r.Deliver(Ep("p"), stale)).empty());
}

TEST_CASE("a replica obeys the primary's cut even where the histories agree", "[repl][member]") {
  // Records from before any epoch (a standalone log) are not trusted: the
  // primary's log has its own epoch-0 records.
  Config cfg;
  cfg.name = "r";
  cfg.endpoint = Ep("r");
  cfg.follow = Ep("p");
  Solo r(cfg);
  r.Feed(Started{DurableState{}, 0, 5});
  wire::ReplStart s;
  s.epoch = 1;
  s.primary = "p";
  s.truncate = true;
  s.truncate_after = 0;
  s.next_lsn = 1;
  s.history = {{1, 6}};
  auto out = r.Deliver(Ep("p"), r.Answer(s));
  auto w = All<ToWriter>(out);
  REQUIRE(w.size() == 1);
  CHECK(std::get<wire::LinkTruncate>(w[0].msg).after_lsn == 0);
  auto acks = SentMsgs<wire::ReplAck>(out);
  REQUIRE(acks.size() == 1);
  CHECK(acks[0].received == 0);
}

TEST_CASE("a writer report about truncated records is not acknowledged", "[repl][member]") {
  Config cfg;
  cfg.name = "r";
  cfg.endpoint = Ep("r");
  cfg.follow = Ep("p");
  Solo r(cfg);
  DurableState st;
  st.current_epoch = 1;
  st.history = {{1, 1}};
  r.Feed(Started{st, 1, 8});
  wire::ReplStart s;
  s.epoch = 2;
  s.primary = "p";
  s.truncate = true;
  s.truncate_after = 5;
  s.next_lsn = 6;
  s.history = {{1, 1}, {2, 6}};
  r.Deliver(Ep("p"), r.Answer(s));
  wire::ReplRecords recs;
  recs.epoch = 2;
  recs.primary = "p";
  recs.primary_endpoint = Ep("p");
  recs.prev_lsn = 5;
  recs.records = {{1, 2, 6, "x"}, {1, 2, 7, "y"}, {1, 2, 8, "z"}};
  auto acks = SentMsgs<wire::ReplAck>(r.Deliver(Ep("p"), recs));
  REQUIRE(acks.size() == 1);
  CHECK(acks[0].received == 8);
  CHECK(acks[0].flushed == 5);
  // Sent by the writer before it cut the old lsn 6..8 of epoch 1.
  CHECK(SentMsgs<wire::ReplAck>(r.Feed(WriterProgress{8, 8, 1})).empty());
  CHECK(r.member.Report(r.now).durable_lsn == 5);
  acks = SentMsgs<wire::ReplAck>(r.Feed(WriterProgress{8, 8, 2}));
  REQUIRE(acks.size() == 1);
  CHECK(acks[0].flushed == 8);
  CHECK(acks[0].applied == 8);
}
