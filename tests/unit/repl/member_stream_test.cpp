// repl::Member: start-up, streaming, acknowledgements, windows, resends and
// full resyncs.
#include "member_harness.h"

using namespace repltest;

namespace {

Config Flushed(uint32_t k) {
  Config c;
  c.ack = AckLevel{AckKind::kFlushed, k};
  return c;
}

// a is primary (no peers, no follow); b follows it.
void Pair(Cluster& c, Config base = Config{}) {
  c.Add("a", {}, "", base);
  c.Add("b", {}, "a", base);
  c.StartAll();
}

// a is primary (no peers, no follow); b and c follow it.
void Trio(Cluster& c, Config base = Config{}) {
  c.Add("a", {}, "", base);
  c.Add("b", {}, "a", base);
  c.Add("c", {}, "a", base);
  c.StartAll();
  REQUIRE(c.Primary() == "a");
}

}  // namespace

TEST_CASE("a lone member starts as primary in a new epoch, persisted first", "[repl][member]") {
  Cluster c;
  c.Add("a");
  c.Start("a");
  Node& a = c["a"];
  CHECK(a.role() == Role::kPrimary);
  CHECK(a.member->epoch() == 1);
  CHECK(a.disk.current_epoch == 1);
  CHECK(a.disk.history == History{{1, 1}});
  const int persist = IndexOf(a.trace, IsPersist);
  const int role =
      IndexOf(a.trace, [](const Action& x) { return IsRole(x, wire::LinkRoleKind::kPrimary); });
  REQUIRE(persist >= 0);
  CHECK(persist < role);

  c.Write("a", 4);
  c.Restart("a");
  CHECK(a.member->epoch() == 2);
  CHECK(a.disk.history == History{{1, 1}, {2, 5}});
  CHECK(a.writer.epoch == 2);
  c.Write("a", 1);
  CHECK(a.writer.log.back().epoch == 2);
  CHECK(a.writer.log.back().lsn == 5);
}

TEST_CASE("a replica tells its writer its role first, then says HELLO", "[repl][member]") {
  Cluster c;
  c.Add("a");
  c.Add("b", {}, "a");
  c.Start("a");
  c.Write("a", 3);
  c.Start("b");
  Node& b = c["b"];
  REQUIRE(!b.trace.empty());
  CHECK(IsRole(b.trace[0], wire::LinkRoleKind::kReplica));
  auto hellos = b.SentOf<wire::ReplHello>();
  REQUIRE(hellos.size() == 1);
  CHECK(hellos[0].to == Ep("a"));
  const auto& h = std::get<wire::ReplHello>(hellos[0].msg);
  CHECK(h.name == "b");
  CHECK(h.endpoint == Ep("b"));
  CHECK(h.last_lsn == 0);
  c.Run();
  CHECK(b.writer.log == c["a"].writer.log);
  CHECK(b.disk.history == c["a"].disk.history);
  CHECK(b.disk.current_epoch == 1);
}

TEST_CASE("records stream to two replicas and acks flow back", "[repl][member]") {
  Cluster c;
  Trio(c, Flushed(2));
  c.Write("a", 10);
  Node& a = c["a"];
  CHECK(c["b"].writer.log == a.writer.log);
  CHECK(c["c"].writer.log == a.writer.log);
  REQUIRE(!a.writer.acked.empty());
  const wire::LinkAcked& last = a.writer.acked.back();
  CHECK(last.epoch == 1);
  CHECK(last.received == std::vector<uint64_t>{10, 10});
  CHECK(last.flushed == std::vector<uint64_t>{10, 10});
  CHECK(last.applied == std::vector<uint64_t>{10, 10});
  CHECK(last.retain_from == 11);

  MemberStatus s = a.member->Report(c.now);
  CHECK(s.role == Role::kPrimary);
  CHECK(s.durable_lsn == 10);
  CHECK(s.acked_lsn == 10);
  REQUIRE(s.replicas.size() == 2);
  CHECK(s.replicas[0].name == "b");
  CHECK(s.replicas[0].endpoint == Ep("b"));
  CHECK(s.replicas[0].sent_lsn == 10);
  CHECK(s.replicas[0].flushed_lsn == 10);
  CHECK(s.replicas[0].lag_bytes == 0);
  CHECK(s.replicas[0].lag_ms == 0);

  MemberStatus rb = c["b"].member->Report(c.now);
  CHECK(rb.role == Role::kReplica);
  CHECK(rb.primary == "a");
  CHECK(rb.primary_endpoint == Ep("a"));
  CHECK(rb.last_lsn == 10);
  CHECK(rb.durable_lsn == 10);
}

TEST_CASE("LinkAcked separates received from flushed", "[repl][member]") {
  Cluster c;
  // At local (or received:k) a replica acks on receipt too; at flushed:k it
  // acks once flushed (the next test).
  Trio(c, Config{});
  c["b"].writer.auto_flush = false;
  c.Write("a", 5, "xyz");
  Node& a = c["a"];
  const wire::LinkAcked& before = a.writer.acked.back();
  CHECK(before.received == std::vector<uint64_t>{5, 5});
  CHECK(before.flushed == std::vector<uint64_t>{0, 5});
  CHECK(before.retain_from == 1);
  MemberStatus s = a.member->Report(c.now);
  // Five records of "xyzN" (4 bytes) plus 25 bytes of fixed fields each.
  CHECK(s.replicas[0].lag_bytes == 5 * (4 + wire::ReplRecord::kMinWireBytes));
  c.now += 40;
  CHECK(a.member->Report(c.now).replicas[0].lag_ms == 40);

  c.Flush("b");
  c.Run();
  const wire::LinkAcked& after = a.writer.acked.back();
  CHECK(after.flushed == std::vector<uint64_t>{5, 5});
  CHECK(after.retain_from == 6);
  CHECK(a.member->Report(c.now).replicas[0].lag_bytes == 0);
}

namespace {

// The RECORDS held in the network: how many, their records, their bytes
// (as the window counts them) in all and in the largest.
struct Held {
  int messages = 0;
  size_t records = 0;
  uint64_t bytes = 0;
  uint64_t largest = 0;
};

Held HeldRecords(const Cluster& c) {
  Held h;
  for (const auto& p : c.net) {
    const auto* r = std::get_if<wire::ReplRecords>(&p.msg);
    if (!r || r->records.empty()) continue;
    uint64_t bytes = 0;
    for (const auto& rec : r->records)
      bytes += rec.payload.size() + wire::ReplRecord::kMinWireBytes;
    ++h.messages;
    h.records += r->records.size();
    h.bytes += bytes;
    h.largest = std::max(h.largest, bytes);
  }
  return h;
}

}  // namespace

TEST_CASE("the window bounds unacknowledged bytes per replica and batch_bytes each RECORDS",
          "[repl][member]") {
  Config base;
  base.window_bytes = 100;
  uint64_t batch = 0;
  SECTION("one RECORDS may fill the window") {}
  SECTION("a RECORDS carries at most batch_bytes: several in the window at once") {
    batch = base.batch_bytes = 20;  // one record a RECORDS
  }
  Cluster c;
  Pair(c, base);
  c.hold = true;
  c.Write("a", 20, "p");  // 3-4 byte payloads, about 28 bytes a record
  const Held h = HeldRecords(c);
  CHECK(h.records > 0);
  CHECK(h.records < 20);
  CHECK(h.bytes <= 100 + 30);  // a read returns at least one record
  if (batch > 0) {
    CHECK(h.largest <= batch + 30);
    CHECK(h.messages >= 3);  // without the cut, one RECORDS would carry the window
  }
  c.hold = false;
  c.Run();
  CHECK(c["b"].writer.log == c["a"].writer.log);
  CHECK(c["b"].writer.log.size() == 20);
}

TEST_CASE("a replica whose writer falls behind holds back its received acks", "[repl][member]") {
  Config base;
  base.window_bytes = 200;
  Cluster c;
  Pair(c, base);
  Node& b = c["b"];
  b.writer.auto_flush = false;
  c.Write("a", 40, "p");  // about 28 bytes a record, 1,100 in all
  // Half a window past its durable LSN (none), plus the window in flight.
  CHECK(b.writer.log.size() >= 4);
  CHECK(b.writer.log.size() <= (100 + 200) / 28 + 2);
  CHECK(c["a"].member->Report(c.now).replicas[0].received_lsn <= 100 / 28 + 1);
  b.writer.auto_flush = true;
  c.Flush("b");
  c.Advance(500);
  CHECK(b.writer.log == c["a"].writer.log);
  CHECK(b.writer.log.size() == 40);
}

TEST_CASE("at flushed:k a replica acks a batch once, when its writer made it durable",
          "[repl][member]") {
  for (const AckKind kind : {AckKind::kLocal, AckKind::kReceived, AckKind::kFlushed}) {
    Config base;
    base.ack = AckLevel{kind, kind == AckKind::kLocal ? 0u : 1u};
    Cluster c;
    Pair(c, base);
    Node& b = c["b"];
    b.writer.auto_flush = false;
    b.trace.clear();
    c.Write("a", 1);
    REQUIRE(b.writer.log.size() == 1);
    const auto on_receipt = SentMsgs<wire::ReplAck>(b.trace);
    c.Flush("b");
    c.Run();
    const auto all = SentMsgs<wire::ReplAck>(b.trace);
    INFO("group level " << FormatAckLevel(base.ack));
    if (kind == AckKind::kFlushed) {
      CHECK(on_receipt.empty());
      REQUIRE(all.size() == 1);
    } else {
      REQUIRE(on_receipt.size() == 1);  // received:k needs it at once
      CHECK(on_receipt[0].received == 1);
      CHECK(on_receipt[0].flushed == 0);
      REQUIRE(all.size() == 2);
    }
    CHECK(all.back().received == 1);
    CHECK(all.back().flushed == 1);
    CHECK(c["a"].writer.acked.back().flushed == std::vector<uint64_t>{1});
  }
}

TEST_CASE("records the writer lost on the link are asked for again", "[repl][member]") {
  Cluster c;
  Pair(c);
  Node& b = c["b"];
  b.writer.drop_appends = 1;
  c.Write("a", 3);
  CHECK(b.writer.log.empty());
  c.Write("a", 2);  // a gap: the writer refuses these too (the harness checks)
  c.Advance(3900);
  CHECK(!b.HasNote("writer stalled"));
  c.Advance(400);  // 4 election timeouts without the writer's durable LSN moving
  CHECK(b.HasNote("writer stalled: asking for records again"));
  CHECK(b.writer.log == c["a"].writer.log);
  CHECK(b.writer.log.size() == 5);
}

TEST_CASE("lost acknowledgements make the primary go back and resend", "[repl][member]") {
  Config base;
  base.heartbeat_ms = 100;
  Cluster c;
  Pair(c, base);
  c.drop = [](const Packet& p) { return std::holds_alternative<wire::ReplAck>(p.msg); };
  c.Write("a", 4);
  CHECK(c["b"].writer.log.size() == 4);
  c.Advance(450);  // more than 3 heartbeats without ack progress
  CHECK(c["a"].HasNote("resending"));
  c.drop = nullptr;
  c.Advance(300);
  MemberStatus s = c["a"].member->Report(c.now);
  CHECK(s.replicas[0].received_lsn == 4);
  CHECK(c["b"].writer.log == c["a"].writer.log);  // resent records were not appended twice
}

TEST_CASE("a lost RECORDS is noticed from the heartbeat and refilled", "[repl][member]") {
  Cluster c;
  Pair(c);
  bool dropped = false;
  c.drop = [&](const Packet& p) {
    const auto* r = std::get_if<wire::ReplRecords>(&p.msg);
    if (!dropped && r && !r->records.empty()) return dropped = true;
    return false;
  };
  c.Write("a", 3);
  CHECK(c["b"].writer.log.empty());
  c.Advance(250);
  CHECK(c["b"].writer.log == c["a"].writer.log);
  CHECK(c["b"].HasNote("gap in stream"));
}

TEST_CASE("a replica whose records are gone gets a full resync", "[repl][member]") {
  Cluster c;
  c.Add("a");
  c.Start("a");
  c.Write("a", 10);
  c.Compact("a", 6);
  c.Add("d", {}, "a");
  c.Start("d");
  c.Run();
  Node& a = c["a"];
  Node& d = c["d"];
  CHECK(d.writer.log == a.writer.log);
  CHECK(a.Traced<SendSnapshot>().size() == 1);
  MemberStatus s = a.member->Report(c.now);
  REQUIRE(s.replicas.size() == 1);
  CHECK(s.replicas[0].resyncs == 1);
  CHECK(s.replicas[0].last_resync_reason == "lsn 1 no longer retained");
  CHECK(s.replicas[0].flushed_lsn == 10);
  c.Write("a", 2);
  CHECK(d.writer.log == a.writer.log);

  SECTION("a second resync within resync_min_interval_ms waits") {
    d.writer = FakeWriter{};  // the replica loses its disk
    d.disk = DurableState{};
    c.Restart("d");
    c.Advance(2000);
    CHECK(a.Traced<SendSnapshot>().size() == 1);
    CHECK(a.HasNote("resync rate-limited"));
    CHECK(d.writer.log.empty());
    // Its HELLO said its log is empty: the old positions no longer count.
    CHECK(a.member->Report(c.now).replicas[0].flushed_lsn == 0);
    CHECK(a.writer.acked.back().received == std::vector<uint64_t>{0});
    CHECK(a.writer.acked.back().flushed == std::vector<uint64_t>{0});
    c.Advance(30000);
    CHECK(a.Traced<SendSnapshot>().size() == 2);
    CHECK(d.writer.log == a.writer.log);
    CHECK(a.member->Report(c.now).replicas[0].resyncs == 2);
  }
}

TEST_CASE("Started with an inconsistent state is refused", "[repl][member]") {
  Config cfg;
  cfg.name = "r";
  cfg.endpoint = Ep("r");
  cfg.follow = Ep("p");
  std::vector<Action> out;
  {
    Member m(cfg);
    DurableState st;
    st.current_epoch = 1;
    st.history = {{2, 1}};  // beyond the current epoch
    Status s = m.Handle(Started{st, 0, 0}, 0, &out);
    CHECK(s.code() == Code::kInternal);
    CHECK(s.message().find("beyond current epoch") != std::string::npos);
  }
  {
    Member m(cfg);
    DurableState st;
    st.current_epoch = 3;
    st.history = {{2, 5}, {1, 7}};
    CHECK(m.Handle(Started{st, 0, 0}, 0, &out).code() == Code::kInternal);
  }
  {
    Member m(cfg);
    CHECK(m.Handle(TimerFired{1}, 0, &out).code() == Code::kInternal);
  }
}

TEST_CASE("replicas find a lone primary that restarted in a new epoch", "[repl][member]") {
  Cluster c;
  Trio(c);
  c.Write("a", 3);
  c.Restart("a");  // epoch 2; it has forgotten its replicas
  REQUIRE(c["a"].member->epoch() == 2);
  c.Write("a", 2);
  CHECK(c["b"].writer.log.size() == 3);
  c.Advance(1200);  // the replicas notice the silence and say HELLO again
  CHECK(c["b"].member->epoch() == 2);
  CHECK(c["b"].writer.log == c["a"].writer.log);
  CHECK(c["c"].writer.log == c["a"].writer.log);
  CHECK(c["b"].disk.history == History{{1, 1}, {2, 4}});
  CHECK(c["b"].HasNote("primary silent"));
}

TEST_CASE("a demoted primary counts the writes that became durable after it", "[repl][member]") {
  Cluster c;
  c.Add("a", {"b"});
  c.Add("b", {"a"});
  c.StartAll();
  Operator promote;
  promote.token = 1;
  promote.verb = OperatorVerb::kPromote;
  REQUIRE(c.Operate("a", promote).ok());
  c.Write("a", 2);
  Node& a = c["a"];
  a.writer.auto_flush = false;
  c.Write("a", 3);  // accepted, not yet durable
  Operator demote;
  demote.token = 2;
  demote.verb = OperatorVerb::kDemote;
  REQUIRE(c.Operate("a", demote).ok());  // the writer steps down: 3..5 become durable
  MemberStatus s = a.member->Report(c.now);
  CHECK(s.last_lsn == 5);
  CHECK(s.durable_lsn == 5);
  CHECK(s.last_epoch == 1);
  // b never had them: a cuts them when it rejoins b.
  promote.token = 3;
  REQUIRE(c.Operate("b", promote).ok());
  a.writer.auto_flush = true;
  c.Advance(300);
  CHECK(a.writer.truncates == std::vector<uint64_t>{2});
  CHECK(a.writer.log == c["b"].writer.log);
}

TEST_CASE("a primary streams what its writer wrote while its own fsync runs", "[repl][member]") {
  Cluster c;
  Pair(c, Flushed(1));
  Node& a = c["a"];
  Node& b = c["b"];
  a.writer.auto_flush = false;
  c.Write("a", 3);
  // Not reported written yet: nothing goes out.
  CHECK(b.writer.log.empty());
  c.Written("a");
  // The replica holds and flushed them although the primary has not: the
  // two fsyncs overlap. The primary's writer still gates its replies on
  // its own durable LSN (Node::Gate), which is 0.
  CHECK(a.writer.durable == 0);
  CHECK(b.writer.log == a.writer.log);
  CHECK(b.writer.durable == 3);
  REQUIRE(!a.writer.acked.empty());
  CHECK(a.writer.acked.back().flushed == std::vector<uint64_t>{3});
  c.Flush("a");
  c.Run();
  CHECK(a.member->Report(c.now).replicas.at(0).flushed_lsn == 3);
}

TEST_CASE("a replica's HELLO keeps the records its primary wrote but has not yet made durable",
          "[repl][member]") {
  Config base = Flushed(1);
  base.election_ms = 300;
  Cluster c;
  Pair(c, base);
  Node& a = c["a"];
  Node& b = c["b"];
  a.writer.auto_flush = false;
  c.Write("a", 3);
  c.Written("a");
  REQUIRE(b.writer.durable == 3);  // flushed, and so acknowledged once a's fsync ends
  // b loses the primary for a moment and says HELLO again, stating lsn 3.
  c.Cut("a", "b");
  c.Advance(700);
  c.Heal();
  c.Advance(200);
  REQUIRE(b.HasNote("saying hello again"));
  // Epoch 1 ends at 3 in a's log too, written if not yet durable: a cut
  // after its durable LSN (0) would drop what a's writer is about to
  // acknowledge.
  CHECK(b.writer.truncates.empty());
  CHECK(b.writer.log == a.writer.log);
  CHECK(b.writer.durable == 3);
}

TEST_CASE("a writer that lost records its primary streamed stops the member", "[repl][member]") {
  Cluster c;
  Pair(c, Flushed(1));
  Node& a = c["a"];
  a.writer.auto_flush = false;
  c.Write("a", 3);
  c.Written("a");
  REQUIRE(c["b"].writer.last_lsn() == 3);
  // The writer came back (a failed fdatasync) with one record: going on in
  // this epoch would give LSNs 2 and 3 a second meaning.
  Status s = c.FeedStatus("a", WriterProgress{1, 1, a.writer.EpochOf(1), 1});
  CHECK(!s.ok());
  CHECK(s.message().find("was already sent to a replica") != std::string::npos);
}
