// repl::Member operator verbs (promote, demote, switchover) and the lease.
#include "member_harness.h"

using namespace repltest;

namespace {

Operator Verb(uint64_t token, OperatorVerb verb, const std::string& target = "",
              bool accept_data_loss = false) {
  Operator op;
  op.token = token;
  op.verb = verb;
  op.target = target;
  op.accept_data_loss = accept_data_loss;
  return op;
}

// a, b, c know each other (no auto_failover); a is promoted and writes 5.
void Group(Cluster& c, Config base = Config{}) {
  c.Add("a", {"b", "c"}, "", base);
  c.Add("b", {"a", "c"}, "", base);
  c.Add("c", {"a", "b"}, "", base);
  c.StartAll();
  REQUIRE(c.Operate("a", Verb(1, OperatorVerb::kPromote)).ok());
  c.Write("a", 5);
  REQUIRE(c["b"].writer.log.size() == 5);
  REQUIRE(c["c"].writer.log.size() == 5);
}

std::vector<wire::LinkRoleKind> Roles(const Node& n) {
  std::vector<wire::LinkRoleKind> r;
  for (const auto& x : n.writer.roles) r.push_back(static_cast<wire::LinkRoleKind>(x.role));
  return r;
}

}  // namespace

TEST_CASE("promote refuses a replica that may lack acknowledged writes", "[repl][member]") {
  Cluster c;
  c.Add("a");
  c.Add("b", {}, "a");
  c.StartAll();
  c["b"].writer.auto_flush = false;
  c.Write("a", 5);  // b received them, flushed none
  Status s = c.Operate("b", Verb(7, OperatorVerb::kPromote));
  CHECK(s.code() == Code::kNegative);
  CHECK(s.message() ==
        "may lack acknowledged writes: log ends at 0, primary reported durable 5; pass "
        "--accept-data-loss");
  Node& b = c["b"];
  REQUIRE(b.done.size() == 1);
  CHECK(b.done[0].token == 7);
  CHECK(b.done[0].status.code() == Code::kNegative);
  CHECK(b.role() == Role::kReplica);

  SECTION("with accept_data_loss it promotes in a new epoch") {
    CHECK(c.Operate("b", Verb(8, OperatorVerb::kPromote, "", true)).ok());
    REQUIRE(b.done.size() == 2);
    CHECK(b.done[1].token == 8);
    CHECK(b.done[1].status.ok());
    CHECK(b.role() == Role::kPrimary);
    CHECK(b.member->epoch() == 2);
    CHECK(b.writer.role == wire::LinkRoleKind::kPrimary);
    CHECK(b.disk.history == History{{1, 1}, {2, 6}});
  }
  SECTION("once flushed it promotes without") {
    c.Flush("b");
    c.Run();
    CHECK(c.Operate("b", Verb(9, OperatorVerb::kPromote)).ok());
    CHECK(b.role() == Role::kPrimary);
  }
}

TEST_CASE("demote turns a primary into a replica in the same epoch", "[repl][member]") {
  Cluster c;
  Group(c);
  CHECK(c.Operate("a", Verb(3, OperatorVerb::kDemote)).ok());
  Node& a = c["a"];
  CHECK(a.role() == Role::kReplica);
  CHECK(a.writer.role == wire::LinkRoleKind::kReplica);
  CHECK(a.member->epoch() == 1);
  CHECK(c.Operate("a", Verb(4, OperatorVerb::kDemote)).ok());  // already a replica
  CHECK(c.Operate("a", Verb(5, OperatorVerb::kSwitchover, "b")).code() == Code::kNegative);
  REQUIRE(a.done.size() == 4);  // the promote in Group, then one per verb
  CHECK(a.done[1].token == 3);
  CHECK(a.done[2].token == 4);
  CHECK(a.done[3].token == 5);
}

TEST_CASE("switchover hands over once the target has everything", "[repl][member]") {
  Cluster c;
  Group(c);
  Node& a = c["a"];
  Node& b = c["b"];
  b.writer.auto_flush = false;
  c.Write("a", 2);  // b received 7, flushed 0
  CHECK(c.Operate("a", Verb(11, OperatorVerb::kSwitchover, "b")).ok());
  CHECK(a.role() == Role::kPaused);
  CHECK(a.writer.role == wire::LinkRoleKind::kPaused);
  CHECK(a.done.size() == 1);  // still waiting

  a.trace.clear();
  c.Flush("b");
  c.Run();
  REQUIRE(a.done.size() == 2);
  CHECK(a.done[1].token == 11);
  CHECK(a.done[1].status.ok());
  CHECK(a.role() == Role::kReplica);
  CHECK(Roles(a) ==
        std::vector<wire::LinkRoleKind>{wire::LinkRoleKind::kReplica, wire::LinkRoleKind::kPrimary,
                                        wire::LinkRoleKind::kPaused, wire::LinkRoleKind::kReplica});
  // Demoted before the TAKEOVER left.
  const int demote =
      IndexOf(a.trace, [](const Action& x) { return IsRole(x, wire::LinkRoleKind::kReplica); });
  const int takeover = IndexOf(a.trace, [](const Action& x) {
    const auto* s = std::get_if<Send>(&x);
    return s && std::holds_alternative<wire::ReplTakeover>(s->msg);
  });
  REQUIRE(takeover >= 0);
  CHECK(demote < takeover);
  CHECK(b.role() == Role::kPrimary);
  CHECK(b.member->epoch() == 2);
  CHECK(b.disk.history == History{{1, 1}, {2, 8}});

  b.writer.auto_flush = true;
  c.Advance(200);
  c.Write("b", 3);
  CHECK(a.writer.log == b.writer.log);
  CHECK(c["c"].writer.log == b.writer.log);
  CHECK(a.writer.log.size() == 10);
  CHECK(a.writer.truncates.empty());
}

TEST_CASE("switchover waits for the paused writer to finish the writes it took", "[repl][member]") {
  Cluster c;
  Group(c);
  Node& a = c["a"];
  Node& b = c["b"];
  a.writer.auto_flush = false;
  c.Write("a", 2);  // taken before the pause: lsn 6 and 7, not yet written
  CHECK(c.Operate("a", Verb(13, OperatorVerb::kSwitchover, "b")).ok());
  CHECK(a.role() == Role::kPaused);
  // b has everything a made durable, but a's log does not end there.
  CHECK(a.done.size() == 1);
  c.Written("a");
  CHECK(b.writer.durable == 7);
  CHECK(a.done.size() == 1);  // written, not yet durable
  c.Flush("a");
  c.Run();
  REQUIRE(a.done.size() == 2);
  CHECK(a.done[1].status.ok());
  CHECK(b.role() == Role::kPrimary);
  CHECK(b.disk.history == History{{1, 1}, {2, 8}});
  c.Advance(200);
  c.Write("b", 1);
  CHECK(a.writer.log == b.writer.log);
  CHECK(a.writer.log.size() == 8);
  CHECK(a.writer.truncates.empty());
}

TEST_CASE("switchover gives up after switchover_ms and the primary resumes", "[repl][member]") {
  Config base;
  base.switchover_ms = 1000;
  Cluster c;
  Group(c, base);
  c["b"].writer.auto_flush = false;
  c.Write("a", 1);
  CHECK(c.Operate("a", Verb(12, OperatorVerb::kSwitchover, "b")).ok());
  Node& a = c["a"];
  c.Advance(999);
  CHECK(a.role() == Role::kPaused);
  c.Advance(2);
  REQUIRE(a.done.size() == 2);
  CHECK(a.done[1].token == 12);
  CHECK(a.done[1].status.code() == Code::kTemporary);
  CHECK(a.done[1].status.message() ==
        "switchover to b timed out after 1000 ms: b flushed 5, primary durable 6");
  CHECK(a.role() == Role::kPrimary);
  CHECK(a.writer.role == wire::LinkRoleKind::kPrimary);
  CHECK(c["b"].role() == Role::kReplica);
  c.Write("a", 1);
  CHECK(c["c"].writer.log == a.writer.log);
}

TEST_CASE("switchover refuses an unknown target and a second request", "[repl][member]") {
  Cluster c;
  Group(c);
  c["b"].writer.auto_flush = false;
  c.Write("a", 1);
  Status s = c.Operate("a", Verb(20, OperatorVerb::kSwitchover, "zz"));
  CHECK(s.code() == Code::kNegative);
  CHECK(s.message() == "unknown replica 'zz'");
  CHECK(c.Operate("a", Verb(21, OperatorVerb::kSwitchover, "b")).ok());
  CHECK(c.Operate("a", Verb(22, OperatorVerb::kSwitchover, "c")).code() == Code::kTemporary);
  CHECK(c.Operate("a", Verb(23, OperatorVerb::kDemote)).ok());
  Node& a = c["a"];
  // 20, 22 refused at once; 21 abandoned by the demote; 23 done.
  std::vector<uint64_t> tokens;
  for (const auto& d : a.done) tokens.push_back(d.token);
  CHECK(tokens == std::vector<uint64_t>{1, 20, 22, 21, 23});
  CHECK(a.done[3].status.code() == Code::kTemporary);
}

TEST_CASE("the primary pauses when the lease lapses and resumes when acks return",
          "[repl][member]") {
  Config base;
  base.ack = AckLevel{AckKind::kFlushed, 1};
  base.lease_ms = 500;
  base.heartbeat_ms = 100;
  Cluster c;
  c.Add("a", {}, "", base);
  c.Add("b", {}, "a", base);
  c.StartAll();
  c.Write("a", 2);
  Node& a = c["a"];
  c.Advance(1000);
  CHECK(a.role() == Role::kPrimary);  // heartbeats keep the lease

  c.Isolate("b");
  c.Advance(700);
  CHECK(a.role() == Role::kPaused);
  CHECK(a.writer.role == wire::LinkRoleKind::kPaused);
  CHECK(a.HasNote("lease lost"));

  c.Heal();
  c.Advance(200);
  CHECK(a.role() == Role::kPrimary);
  CHECK(a.writer.role == wire::LinkRoleKind::kPrimary);
  CHECK(Roles(a) == std::vector<wire::LinkRoleKind>{wire::LinkRoleKind::kPrimary,
                                                    wire::LinkRoleKind::kPaused,
                                                    wire::LinkRoleKind::kPrimary});
}

TEST_CASE("a new primary without replicas pauses once its first lease runs out", "[repl][member]") {
  Config base;
  base.ack = AckLevel{AckKind::kFlushed, 1};
  base.lease_ms = 500;
  Cluster c;
  c.Add("a", {}, "", base);
  c.StartAll();
  c.Advance(400);
  CHECK(c["a"].role() == Role::kPrimary);
  c.Advance(200);
  CHECK(c["a"].role() == Role::kPaused);
  c.Add("b", {}, "a", base);
  c.Start("b");
  c.Run();
  CHECK(c["a"].role() == Role::kPrimary);
}

TEST_CASE("a restarted replica that has not heard a primary needs --accept-data-loss",
          "[repl][member]") {
  Config cfg;
  cfg.name = "r";
  cfg.endpoint = Ep("r");
  cfg.peers = {Ep("p")};
  Solo r(cfg);
  DurableState st;
  st.current_epoch = 3;
  st.history = {{1, 1}, {3, 10}};
  r.Feed(Started{st, 3, 12});
  std::vector<Action> out;
  Status s = r.member.Handle(Operator{1, OperatorVerb::kPromote, false, ""}, r.now, &out);
  CHECK(s.code() == Code::kNegative);
  CHECK(s.message().find("no word from a primary") != std::string::npos);
  CHECK(r.member.role() == Role::kReplica);
  REQUIRE(r.Feed(Operator{2, OperatorVerb::kPromote, true, ""}).size() > 0);
  CHECK(r.member.role() == Role::kPrimary);
  CHECK(r.member.epoch() == 4);
}

TEST_CASE("the switchover target is elected: no majority, no primary", "[repl][member]") {
  Cluster c;
  Group(c);
  Node& b = c["b"];
  // The target gets the TAKEOVER but none of the votes: it must not lead
  // epoch 2, which another member could win meanwhile.
  c.drop = [](const Packet& p) {
    return !p.snapshot && (std::holds_alternative<wire::ReplVoteRequest>(p.msg) ||
                           std::holds_alternative<wire::ReplVote>(p.msg));
  };
  CHECK(c.Operate("a", Verb(30, OperatorVerb::kSwitchover, "b")).ok());
  CHECK(c["a"].role() == Role::kReplica);
  CHECK(b.role() != Role::kPrimary);
  CHECK(b.writer.role == wire::LinkRoleKind::kReplica);
  CHECK(c.Primary().empty());

  c.drop = nullptr;  // the votes get through: the election completes
  c.Advance(3000);
  CHECK(c.Primary() == "b");
  CHECK(b.writer.role == wire::LinkRoleKind::kPrimary);
  c.Write("b", 2);
  CHECK(c["a"].writer.log == b.writer.log);
  CHECK(c["c"].writer.log == b.writer.log);
}

TEST_CASE("a manual promote spends the member's vote in its new epoch", "[repl][member]") {
  Config cfg;
  cfg.name = "r";
  cfg.endpoint = Ep("r");
  cfg.peers = {Ep("x")};
  Solo r(cfg);
  DurableState st;
  st.current_epoch = 3;
  st.history = {{1, 1}, {3, 10}};
  r.Feed(Started{st, 3, 12});
  auto out = r.Feed(Operator{1, OperatorVerb::kPromote, true, ""});
  auto persists = All<Persist>(out);
  REQUIRE(!persists.empty());
  CHECK(persists[0].state.current_epoch == 4);
  CHECK(persists[0].state.voted_epoch == 4);
  CHECK(persists[0].state.voted_for == "r");
  const int persist = IndexOf(out, IsPersist);
  const int role =
      IndexOf(out, [](const Action& a) { return IsRole(a, wire::LinkRoleKind::kPrimary); });
  CHECK(persist < role);
  r.Feed(Operator{2, OperatorVerb::kDemote, false, ""});
  // Another member asks for epoch 4 with a longer log: refused, voted.
  wire::ReplVoteRequest q;
  q.epoch = 4;
  q.candidate = "x";
  q.candidate_endpoint = Ep("x");
  q.last_epoch = 4;
  q.last_lsn = 99;
  q.transfer = true;
  auto votes = SentMsgs<wire::ReplVote>(r.Deliver(Ep("x"), q));
  REQUIRE(votes.size() == 1);
  CHECK_FALSE(votes[0].granted);
  CHECK(votes[0].reason == "already voted for r in epoch 4");
}

TEST_CASE("a switchover target with no peers asks the old primary for its vote", "[repl][member]") {
  Cluster c;
  c.Add("a");
  c.Add("b", {}, "a");
  c.StartAll();
  c.Write("a", 3);
  CHECK(c.Operate("a", Verb(40, OperatorVerb::kSwitchover, "b")).ok());
  Node& a = c["a"];
  Node& b = c["b"];
  CHECK(b.role() == Role::kPrimary);
  CHECK(b.member->epoch() == 2);
  CHECK(a.disk.voted_epoch == 2);
  CHECK(a.disk.voted_for == "b");
  c.Advance(300);
  c.Write("b", 2);
  CHECK(a.writer.log == b.writer.log);
}
