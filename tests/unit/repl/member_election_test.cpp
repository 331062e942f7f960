// repl::Member elections: one durable vote per epoch, log-end checks,
// failover and determinism.
#include <sstream>

#include "member_harness.h"

using namespace repltest;

namespace {

wire::ReplVoteRequest Request(uint64_t epoch, const std::string& candidate, uint64_t last_epoch,
                              uint64_t last_lsn) {
  wire::ReplVoteRequest q;
  q.epoch = epoch;
  q.candidate = candidate;
  q.candidate_endpoint = Ep(candidate);
  q.last_epoch = last_epoch;
  q.last_lsn = last_lsn;
  return q;
}

Config Voter() {
  Config cfg;
  cfg.name = "v";
  cfg.endpoint = Ep("v");
  cfg.peers = {Ep("c1"), Ep("c2")};
  cfg.auto_failover = true;
  return cfg;
}

wire::ReplVote OneVote(const std::vector<Action>& out) {
  auto votes = SentMsgs<wire::ReplVote>(out);
  REQUIRE(votes.size() == 1);
  return votes[0];
}

Operator Promote(uint64_t token) {
  Operator op;
  op.token = token;
  op.verb = OperatorVerb::kPromote;
  return op;
}

// a, b, c know each other with auto_failover; a is promoted by hand.
void Group(Cluster& c, uint32_t election_b, uint32_t election_c) {
  Config base;
  base.auto_failover = true;
  base.heartbeat_ms = 50;
  base.election_ms = 300;
  c.Add("a", {"b", "c"}, "", base);
  base.election_ms = election_b;
  c.Add("b", {"a", "c"}, "", base);
  base.election_ms = election_c;
  c.Add("c", {"a", "b"}, "", base);
  c.StartAll();
  REQUIRE(c.Operate("a", Promote(1)).ok());
  c.Advance(60);
  c.Write("a", 5);
  REQUIRE(c["b"].writer.log == c["a"].writer.log);
  REQUIRE(c["c"].writer.log == c["a"].writer.log);
}

// b misses the last 3 of a's 8 records, then a dies.
void BehindThenCrash(Cluster& c) {
  c.Cut("a", "b");
  c.Write("a", 3);
  REQUIRE(c["c"].writer.log.size() == 8);
  REQUIRE(c["b"].writer.log.size() == 5);
  c.Crash("a");
  c.Heal();
}

}  // namespace

TEST_CASE("a member votes once per epoch, and the vote survives a restart", "[repl][member]") {
  Solo v(Voter());
  v.Feed(Started{DurableState{}, 0, 0});
  auto out = v.Deliver(Ep("c1"), Request(5, "c1", 0, 0));
  wire::ReplVote vote = OneVote(out);
  CHECK(vote.granted);
  CHECK(vote.epoch == 5);
  const int persist = IndexOf(out, IsPersist);
  const int send = IndexOf(out, [](const Action& a) { return std::holds_alternative<Send>(a); });
  REQUIRE(persist >= 0);
  CHECK(persist < send);
  const DurableState disk = All<Persist>(out).back().state;
  CHECK(disk.voted_epoch == 5);
  CHECK(disk.voted_for == "c1");
  CHECK(disk.current_epoch == 5);

  SECTION("the same member, restarted from its disk") {
    Solo again(Voter());
    again.Feed(Started{disk, 0, 0});
    vote = OneVote(again.Deliver(Ep("c2"), Request(5, "c2", 0, 0)));
    CHECK_FALSE(vote.granted);
    CHECK(vote.reason == "already voted for c1 in epoch 5");
    // The same candidate asking again gets the same answer.
    CHECK(OneVote(again.Deliver(Ep("c1"), Request(5, "c1", 0, 0))).granted);
    // A later epoch is a new vote.
    CHECK(OneVote(again.Deliver(Ep("c2"), Request(6, "c2", 0, 0))).granted);
    CHECK_FALSE(OneVote(again.Deliver(Ep("c1"), Request(4, "c1", 9, 9))).granted);
  }
}

TEST_CASE("a vote needs a log end at least the voter's", "[repl][member]") {
  Solo v(Voter());
  DurableState st;
  st.current_epoch = 2;
  st.history = {{1, 1}, {2, 4}};
  v.Feed(Started{st, 2, 6});
  wire::ReplVote vote = OneVote(v.Deliver(Ep("c1"), Request(3, "c1", 2, 5)));
  CHECK_FALSE(vote.granted);
  CHECK(vote.reason == "candidate log ends at (2, 5), before mine (2, 6)");
  vote = OneVote(v.Deliver(Ep("c1"), Request(3, "c1", 1, 90)));
  CHECK_FALSE(vote.granted);  // a longer log of an older epoch is not newer
  CHECK(OneVote(v.Deliver(Ep("c2"), Request(3, "c2", 2, 6))).granted);
  CHECK(v.member.epoch() == 3);
}

TEST_CASE("a member that hears a live primary refuses votes and keeps its epoch",
          "[repl][member]") {
  Cluster c;
  Group(c, 300, 300);
  const uint64_t epoch = c["b"].member->epoch();
  c.Feed("b", MessageReceived{Ep("x"), Request(epoch + 5, "x", 9, 99)});
  auto votes = c["b"].SentOf<wire::ReplVote>();
  REQUIRE(votes.size() == 1);
  const auto& v = std::get<wire::ReplVote>(votes[0].msg);
  CHECK_FALSE(v.granted);
  CHECK(v.reason.find("heard primary a") == 0);
  CHECK(c["b"].member->epoch() == epoch);
  // And a primary never grants.
  c.Feed("a", MessageReceived{Ep("x"), Request(epoch + 5, "x", 9, 99)});
  REQUIRE(c["a"].SentOf<wire::ReplVote>().size() == 1);
  CHECK_FALSE(std::get<wire::ReplVote>(c["a"].SentOf<wire::ReplVote>()[0].msg).granted);
  CHECK(c.Primary() == "a");
}

TEST_CASE("a candidate with a shorter log loses and the most up-to-date replica wins",
          "[repl][member]") {
  Cluster c;
  Group(c, 200, 1000);  // b, the one behind, times out first
  BehindThenCrash(c);
  c.Advance(5000);
  CHECK(c.Primary() == "c");
  CHECK(c["b"].HasNote("election started"));
  CHECK(c["c"].HasNote("vote refused"));
  Node& cn = c["c"];
  CHECK(cn.writer.log.size() == 8);  // every record a wrote is still there
  CHECK(c["b"].writer.log == cn.writer.log);
  CHECK(cn.disk.voted_for == "c");
  CHECK(cn.disk.history.back().epoch == cn.member->epoch());
  c.Write("c", 2);
  CHECK(c["b"].writer.log == cn.writer.log);
}

TEST_CASE("failover elects the most up-to-date replica whoever times out first", "[repl][member]") {
  Cluster c;
  Group(c, 1000, 200);  // c, the one ahead, times out first
  BehindThenCrash(c);
  c.Advance(3000);
  CHECK(c.Primary() == "c");
  CHECK(c["b"].writer.log == c["c"].writer.log);
  CHECK(c["b"].writer.log.size() == 8);

  SECTION("the old primary rejoins as a replica") {
    c.Start("a");
    c.Advance(1000);
    CHECK(c.Primary() == "c");
    CHECK(c["a"].writer.log == c["c"].writer.log);
  }
}

TEST_CASE("elections are deterministic for a seed", "[repl][member]") {
  auto run = []() {
    Cluster c;
    Group(c, 300, 300);
    BehindThenCrash(c);
    c.Advance(4000);
    std::ostringstream os;
    for (auto& [name, n] : c.nodes) {
      os << name << ":";
      for (const auto& a : n.trace) {
        os << a.index();
        if (const auto* t = std::get_if<SetTimer>(&a)) os << "/" << t->delay_ms;
        if (const auto* s = std::get_if<Send>(&a)) os << ">" << s->to << s->msg.index();
      }
      os << "\n";
    }
    return os.str();
  };
  const std::string first = run();
  CHECK(first == run());
  CHECK(first.find("/") != std::string::npos);
}

TEST_CASE("a candidate needs a strict majority of the group", "[repl][member]") {
  Config cfg;
  cfg.name = "x";
  cfg.endpoint = Ep("x");
  cfg.peers = {Ep("p1"), Ep("p2"), Ep("p3")};  // a group of 4: 3 votes
  cfg.auto_failover = true;
  cfg.election_ms = 100;
  Solo x(cfg);
  auto out = x.Feed(Started{DurableState{}, 0, 0});
  auto timers = All<SetTimer>(out);
  REQUIRE(timers.size() == 2);  // heartbeat, election
  CHECK(timers[1].delay_ms >= 100);
  CHECK(timers[1].delay_ms < 200);
  x.now += timers[1].delay_ms;
  out = x.Feed(TimerFired{timers[1].id});
  CHECK(x.member.role() == Role::kCandidate);
  auto requests = SentMsgs<wire::ReplVoteRequest>(out);
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].epoch == 1);
  CHECK(IndexOf(out, IsPersist) <
        IndexOf(out, [](const Action& a) { return std::holds_alternative<Send>(a); }));
  auto vote = [&](const std::string& voter, bool granted) {
    wire::ReplVote v;
    v.epoch = 1;
    v.voter = voter;
    v.granted = granted;
    return x.Deliver(Ep(voter), v);
  };
  vote("p1", true);
  vote("p1", true);  // a duplicate counts once
  vote("p2", false);
  CHECK(x.member.role() == Role::kCandidate);
  out = vote("p3", true);
  CHECK(x.member.role() == Role::kPrimary);
  CHECK(x.member.epoch() == 1);
  CHECK(IndexOf(out, IsPersist) <
        IndexOf(out, [](const Action& a) { return IsRole(a, wire::LinkRoleKind::kPrimary); }));
  CHECK(SentMsgs<wire::ReplRecords>(out).size() == 3);  // heartbeats to every peer at once
}

TEST_CASE("a lost vote does not cost the candidate its election: requests repeat each heartbeat",
          "[repl][member]") {
  Cluster c;
  Group(c, 200, 1000);  // b times out first
  c.Crash("a");
  std::optional<uint64_t> lost_epoch;  // of the first granted vote, dropped
  c.drop = [&](const Packet& p) {
    const auto* v = std::get_if<wire::ReplVote>(&p.msg);
    if (!v || !v->granted || lost_epoch) return false;
    lost_epoch = v->epoch;
    return true;
  };
  c.Advance(3000);
  REQUIRE(lost_epoch);
  CHECK(c.Primary() == "b");
  // Won the very election whose vote was lost, with the repeated request's
  // answer: no second candidacy, no epoch burned.
  CHECK(c["b"].member->epoch() == *lost_epoch);
}
