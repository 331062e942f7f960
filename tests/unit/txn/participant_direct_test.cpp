// The participant's direct single-shard verbs: get, put, del, scan.
#include "harness.h"
#include "shardkit/txn/participant.h"

using namespace txntest;

namespace {

struct Fixture {
  Participant p;
  Log log;
  Fixture() { Feed(p, Recovered{}); }

  void DurablePut(std::string k, std::string v) {
    log.Take(Deliver(p, "cli", wire::PutRequest{std::move(k), std::move(v)}));
    Feed(p, LogDurable{log.next - 1});
  }
};

}  // namespace

TEST_CASE("put and del are durable before the reply", "[txn][direct]") {
  Fixture f;
  Out a = Deliver(f.p, "cli", wire::PutRequest{"k", "v"}, 11);
  REQUIRE(a.Appends().size() == 1);
  CHECK(a.Appends()[0].type == static_cast<uint8_t>(RecordType::kDirectWrite));
  CHECK(a.Appends()[0].force);
  CHECK(a.Sends() == 0);
  CHECK(f.p.store().Find("k") == nullptr);
  f.log.Take(a);
  Out b = Feed(f.p, LogDurable{1});
  CHECK(b.One<wire::PutReply>("cli").lsn == 1);
  CHECK(b.All<Send>()[0].request_id == 11);
  CHECK(*f.p.store().Find("k") == "v");

  f.log.Take(Deliver(f.p, "cli", wire::DelRequest{"k"}));
  f.log.Take(Deliver(f.p, "cli", wire::DelRequest{"k"}));
  Out c = Feed(f.p, LogDurable{3});
  auto dels = c.Sent<wire::DelReply>();
  REQUIRE(dels.size() == 2);
  CHECK(dels[0].second == wire::DelReply{2, true});
  CHECK(dels[1].second == wire::DelReply{3, false});  // applied in log order
}

TEST_CASE("a direct write to a key a transaction holds is refused as temporary", "[txn][direct]") {
  Fixture f;
  f.log.Take(Deliver(f.p, "coord", wire::Prepare{"t", {"c"}, {"p"}, {Put("k", "tx")}}));
  Out a = Deliver(f.p, "cli", wire::PutRequest{"k", "direct"});
  auto err = a.One<wire::ErrorReply>("cli");
  CHECK(err.code == static_cast<uint16_t>(wire::ErrorCode::kTemporary));
  CHECK(err.reason == "key 'k' is locked by transaction t");
  CHECK(a.Appends().empty());
}

TEST_CASE("a PREPARE on a key with a direct write in flight waits for it", "[txn][direct]") {
  // The direct write is decided: it only waits for its fsync. Refusing the
  // PREPARE would abort a client's next transaction for no reason.
  Fixture f;
  f.log.Take(Deliver(f.p, "cli", wire::PutRequest{"k", "v"}));
  Out a =
      Deliver(f.p, "coord", wire::Prepare{"t", {"c"}, {"p"}, {CheckEq("k", "v"), Put("k", "x")}});
  CHECK(a.Sends() == 0);
  CHECK(a.Appends().empty());
  // Once the write is durable the PREPARE runs, and its check sees the write.
  Out b = Feed(f.p, LogDurable{1});
  CHECK(b.One<wire::PutReply>("cli").lsn == 1);
  REQUIRE(b.Appends().size() == 1);
  f.log.Take(b);
  auto vote = Feed(f.p, LogDurable{2}).One<wire::Vote>("coord");
  CHECK(vote.vote == wire::VoteKind::kYes);
}

TEST_CASE("a PREPARE blocked by an undecided transaction still votes no at once", "[txn][direct]") {
  Fixture f;
  f.log.Take(Deliver(f.p, "coord", wire::Prepare{"t1", {"c"}, {"p"}, {Put("k", "1")}}));
  f.log.Take(Feed(f.p, LogDurable{1}));  // t1 prepared: in doubt, undecided
  auto vote = Deliver(f.p, "coord", wire::Prepare{"t2", {"c"}, {"p"}, {Put("k", "2")}})
                  .One<wire::Vote>("coord");
  CHECK(vote.vote == wire::VoteKind::kNo);
  CHECK(vote.reason == "key 'k' is locked by transaction t1");
}

TEST_CASE("a PREPARE behind a committing transaction waits for its COMMITTED record",
          "[txn][direct]") {
  Fixture f;
  f.log.Take(Deliver(f.p, "coord", wire::Prepare{"t1", {"c"}, {"p"}, {Put("k", "1")}}));
  f.log.Take(Feed(f.p, LogDurable{1}));
  f.log.Take(Deliver(f.p, "coord", wire::Commit{"t1"}));  // COMMITTED appended at 2
  Out a = Deliver(f.p, "coord", wire::Prepare{"t2", {"c"}, {"p"}, {CheckEq("k", "1")}});
  CHECK(a.Sends() == 0);
  Out b = Feed(f.p, LogDurable{2});
  CHECK(b.One<wire::Ack>("coord").txid == "t1");
  CHECK(b.One<wire::Vote>("coord").vote == wire::VoteKind::kReadOnly);
}

TEST_CASE("get reads committed state without locks", "[txn][direct]") {
  Fixture f;
  f.DurablePut("a", "1");
  f.log.Take(Deliver(f.p, "coord", wire::Prepare{"t", {"c"}, {"p"}, {Put("a", "2")}}));
  Out a = Deliver(f.p, "cli", wire::GetRequest{{"a", "missing"}});
  CHECK(a.One<wire::GetReply>("cli").reads ==
        std::vector<wire::ReadResult>{{"a", true, "1"}, {"missing", false, ""}});
}

TEST_CASE("scan pages by prefix", "[txn][direct]") {
  Fixture f;
  for (int i = 0; i < 5; ++i) f.DurablePut("user:" + std::to_string(i), std::to_string(i));
  f.DurablePut("other", "x");
  Out a = Deliver(f.p, "cli", wire::ScanRequest{"user:", "", 3});
  auto r = a.One<wire::ScanReply>("cli");
  CHECK(r.keys == std::vector<std::string>{"user:0", "user:1", "user:2"});
  CHECK(r.values == std::vector<std::string>{"0", "1", "2"});
  CHECK(r.more);
  auto r2 =
      Deliver(f.p, "cli", wire::ScanRequest{"user:", "user:2", 3}).One<wire::ScanReply>("cli");
  CHECK(r2.keys == std::vector<std::string>{"user:3", "user:4"});
  CHECK_FALSE(r2.more);
}

TEST_CASE("bad direct requests get BAD_REQUEST and change nothing", "[txn][direct]") {
  Fixture f;
  Out a = Deliver(f.p, "cli", wire::PutRequest{"", "v"});
  CHECK(a.One<wire::ErrorReply>("cli").code == static_cast<uint16_t>(wire::ErrorCode::kBadRequest));
  CHECK(a.Appends().empty());
  Out b = Deliver(f.p, "cli", wire::PutRequest{std::string(wire::kMaxKeyBytes + 1, 'k'), "v"});
  CHECK(b.One<wire::ErrorReply>("cli").reason == "op 1: key is 65537 bytes, limit 65536");
  // Requests meant for a coordinator are unsupported; replies are ignored.
  CHECK(Deliver(f.p, "x", wire::Submit{"t", {Put("a", "1")}}).One<wire::ErrorReply>("x").code ==
        static_cast<uint16_t>(wire::ErrorCode::kUnsupported));
  CHECK(Deliver(f.p, "x", wire::ErrorReply{1, "whatever"}).actions.empty());
}
