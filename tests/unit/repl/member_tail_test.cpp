// repl::Member and the records its writer holds that the member did not
// hand it: a primary's writer keeps making records durable after the member
// last looked (it stepped down, or replicad restarted while the writer ran
// on). The member must learn where that log really ends before it votes,
// says HELLO or appends, or it builds on a log it does not know.
#include "member_harness.h"

using namespace repltest;

namespace {

Operator Promote(uint64_t token) {
  Operator op;
  op.token = token;
  op.verb = OperatorVerb::kPromote;
  return op;
}

// a, b and c know each other; a is promoted and writes 5 records, which
// reach everyone. Then a's writer takes 2 more that are not durable yet,
// so nobody else has them.
void GroupWithTail(Cluster& c) {
  c.Add("a", {"b", "c"});
  c.Add("b", {"a", "c"});
  c.Add("c", {"a", "b"});
  c.StartAll();
  REQUIRE(c.Operate("a", Promote(1)).ok());
  c.Write("a", 5);
  REQUIRE(c["b"].writer.log == c["a"].writer.log);
  c["a"].writer.auto_flush = false;
  c.Write("a", 2, "tail");
  REQUIRE(c["a"].writer.log.size() == 7);
  REQUIRE(c["a"].writer.durable == 5);
  REQUIRE(c["b"].writer.log.size() == 5);
}

}  // namespace

TEST_CASE("a restarted replicad learns the records its writer made durable meanwhile",
          "[repl][member]") {
  Cluster c;
  GroupWithTail(c);
  Node& a = c["a"];
  // replicad restarts alone: it starts from the durable LSN (5) and tells
  // the writer it is a replica, which makes 6 and 7 durable.
  c.RestartMember("a");
  c.Run();
  CHECK(a.writer.role == wire::LinkRoleKind::kReplica);
  CHECK(a.writer.durable == 7);
  MemberStatus s = a.member->Report(c.now);
  CHECK(s.last_lsn == 7);
  CHECK(s.last_epoch == 1);

  SECTION("it refuses a vote to a candidate that lacks them") {
    wire::ReplVoteRequest q;
    q.epoch = 2;
    q.candidate = "c";
    q.candidate_endpoint = Ep("c");
    q.last_epoch = 1;
    q.last_lsn = 5;
    c.Feed("a", MessageReceived{Ep("c"), q});
    auto votes = a.SentOf<wire::ReplVote>();
    REQUIRE(!votes.empty());
    CHECK_FALSE(std::get<wire::ReplVote>(votes.back().msg).granted);
    CHECK(a.disk.voted_epoch < 2);
  }
  SECTION("a new primary without them makes it cut them, not build on them") {
    REQUIRE(c.Operate("b", Promote(2)).ok());
    c.Write("b", 2, "new");  // lsn 6 and 7 of epoch 2
    c.Advance(300);          // a hears b, says HELLO with its real log end
    CHECK(a.member->epoch() == 2);
    CHECK(a.writer.truncates == std::vector<uint64_t>{5});
    CHECK(a.writer.log == c["b"].writer.log);
    c.Write("b", 1);
    CHECK(a.writer.log == c["b"].writer.log);
    CHECK(c["c"].writer.log == c["b"].writer.log);
  }
}

namespace {

Config Follower() {
  Config cfg;
  cfg.name = "r";
  cfg.endpoint = Ep("r");
  cfg.follow = Ep("p");
  return cfg;
}

DurableState Epoch1() {
  DurableState st;
  st.current_epoch = 1;
  st.history = {{1, 1}};
  return st;
}

}  // namespace

TEST_CASE("a replica says HELLO again when its writer's log turns out longer", "[repl][member]") {
  Solo r(Follower());
  auto hellos = SentMsgs<wire::ReplHello>(r.Feed(Started{Epoch1(), 1, 5, 7}));
  REQUIRE(hellos.size() == 1);
  CHECK(hellos[0].last_lsn == 5);
  // The writer was primary and made 6 and 7 durable meanwhile.
  auto again = SentMsgs<wire::ReplHello>(r.Feed(WriterProgress{7, 7, 1}));
  REQUIRE(again.size() == 1);
  CHECK(again[0].last_lsn == 7);
  CHECK(again[0].session > hellos[0].session);
  // The primary's answer to the first HELLO is stale now.
  wire::ReplStart s;
  s.epoch = 1;
  s.primary = "p";
  s.next_lsn = 6;
  s.history = {{1, 1}};
  s.session = hellos[0].session;
  s.start_seq = 1;
  auto out = r.Deliver(Ep("p"), s);
  CHECK(All<ToWriter>(out).empty());
  CHECK(SentMsgs<wire::ReplAck>(out).empty());
}

TEST_CASE("the first START cuts whatever the writer holds past the member's view",
          "[repl][member]") {
  Solo r(Follower());
  r.Feed(Started{Epoch1(), 1, 5, 7});
  wire::ReplStart s;
  s.epoch = 1;
  s.primary = "p";
  s.next_lsn = 6;
  s.history = {{1, 1}};
  auto out = r.Deliver(Ep("p"), r.Answer(s));
  auto w = All<ToWriter>(out);
  REQUIRE(w.size() == 1);
  CHECK(std::get<wire::LinkTruncate>(w[0].msg).after_lsn == 5);
  const int cut = IndexOf(out, [](const Action& a) { return std::holds_alternative<ToWriter>(a); });
  const int ack = IndexOf(out, [](const Action& a) {
    const auto* x = std::get_if<Send>(&a);
    return x && std::holds_alternative<wire::ReplAck>(x->msg);
  });
  CHECK(cut < ack);
  // A report the writer sent before the cut, about records it made durable
  // after the member started: they are gone, never acknowledged.
  CHECK(SentMsgs<wire::ReplAck>(r.Feed(WriterProgress{7, 7, 1})).empty());
  CHECK(r.member.Report(r.now).last_lsn == 5);
  // Later STARTs cut only what they must.
  wire::ReplStart next = s;
  out = r.Deliver(Ep("p"), r.Answer(next));
  CHECK(All<ToWriter>(out).empty());
}
