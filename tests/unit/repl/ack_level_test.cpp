// Ack levels: the text a user types after --ack, the order used to check
// that a per-write level only strengthens the group's, and the LSN each
// level confirms from the replicas' cumulative positions.
#include "shardkit/repl/ack_level.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using shardkit::Code;
using namespace shardkit::repl;

namespace {

const AckLevel kNone{AckKind::kNone, 0};
const AckLevel kLocal{AckKind::kLocal, 0};
AckLevel Received(uint32_t k) { return {AckKind::kReceived, k}; }
AckLevel Flushed(uint32_t k) { return {AckKind::kFlushed, k}; }
AckLevel Applied(uint32_t k) { return {AckKind::kApplied, k}; }

const std::string kExpected =
    "expected none, local, received:K, flushed:K, applied:K or K (1 <= K <= 16)";

}  // namespace

TEST_CASE("every ack level parses and prints back", "[repl][ack]") {
  struct Case {
    const char* text;
    AckLevel level;
  };
  for (const Case& c : {Case{"none", kNone}, Case{"local", kLocal}, Case{"received:1", Received(1)},
                        Case{"flushed:2", Flushed(2)}, Case{"applied:16", Applied(16)},
                        Case{"received:16", Received(16)}}) {
    INFO(c.text);
    auto parsed = ParseAckLevel(c.text);
    REQUIRE(parsed.ok());
    CHECK(*parsed == c.level);
    CHECK(FormatAckLevel(c.level) == c.text);
    CHECK(parsed->NeedsReplicas() == (c.level.k > 0));
  }
}

TEST_CASE("a bare count is flushed:K, the DESIGN's --ack 1", "[repl][ack]") {
  CHECK(*ParseAckLevel("1") == Flushed(1));
  CHECK(*ParseAckLevel("16") == Flushed(16));
  CHECK(FormatAckLevel(*ParseAckLevel("3")) == "flushed:3");
}

TEST_CASE("bad ack levels are usage errors naming the text", "[repl][ack]") {
  struct Case {
    const char* text;
    std::string message;
  };
  for (const Case& c : {
           Case{"", "empty ack level, " + kExpected},
           Case{"all", "unknown ack level 'all', " + kExpected},
           Case{"Local", "unknown ack level 'Local', " + kExpected},
           Case{"none:1", "unknown ack level 'none:1', " + kExpected},
           Case{"local:1", "unknown ack level 'local:1', " + kExpected},
           Case{"fsynced:1", "unknown ack level 'fsynced:1', " + kExpected},
           Case{":1", "unknown ack level ':1', " + kExpected},
           Case{"-1", "unknown ack level '-1', " + kExpected},
           Case{"+1", "unknown ack level '+1', " + kExpected},
           Case{" 1", "unknown ack level ' 1', " + kExpected},
           Case{"flushed:", "ack level 'flushed:' has no replica count, " + kExpected},
           Case{"flushed:x", "ack level 'flushed:x': replica count 'x' is not a number"},
           Case{"flushed:+2", "ack level 'flushed:+2': replica count '+2' is not a number"},
           Case{"flushed:2 ", "ack level 'flushed:2 ': replica count '2 ' is not a number"},
           Case{"flushed:2:3", "ack level 'flushed:2:3': replica count '2:3' is not a number"},
           Case{"received:0", "ack level 'received:0': replica count '0' is out of range 1..16"},
           Case{"applied:17", "ack level 'applied:17': replica count '17' is out of range 1..16"},
           Case{"0", "ack level '0': replica count '0' is out of range 1..16"},
           Case{"99999999999999999999999",
                "ack level '99999999999999999999999': replica count '99999999999999999999999' is "
                "out of range 1..16"},
       }) {
    INFO("text '" << c.text << "'");
    auto parsed = ParseAckLevel(c.text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == Code::kUsage);
    CHECK(parsed.status().message() == c.message);
  }
}

TEST_CASE("a level is at least another when both its kind and its k are", "[repl][ack]") {
  const std::vector<AckLevel> chain = {kNone, kLocal, Received(1), Flushed(1), Applied(1)};
  for (size_t i = 0; i < chain.size(); ++i) {
    for (size_t j = 0; j < chain.size(); ++j) {
      INFO(FormatAckLevel(chain[i]) << " vs " << FormatAckLevel(chain[j]));
      CHECK(chain[i].AtLeast(chain[j]) == (i >= j));
    }
  }
  CHECK(Flushed(2).AtLeast(Flushed(1)));
  CHECK_FALSE(Flushed(1).AtLeast(Flushed(2)));
  CHECK(Applied(3).AtLeast(Received(2)));
  CHECK(Received(2).AtLeast(kLocal));
  CHECK(Received(2).AtLeast(kNone));
  // Not comparable: more replicas of a weaker kind.
  CHECK_FALSE(Received(2).AtLeast(Flushed(1)));
  CHECK_FALSE(Flushed(1).AtLeast(Received(2)));
  CHECK_FALSE(kLocal.AtLeast(Received(1)));
}

TEST_CASE("none confirms anything and local confirms the own fsync", "[repl][ack]") {
  CHECK(AckedLsn(kNone, 0, {}, {}, {}) == UINT64_MAX);
  CHECK(AckedLsn(kNone, 7, {1}, {1}, {1}) == UINT64_MAX);
  CHECK(AckedLsn(kLocal, 42, {}, {}, {}) == 42);
  CHECK(AckedLsn(kLocal, 42, {100}, {100}, {100}) == 42);
}

TEST_CASE("X:k confirms the k-th highest replica position of kind X", "[repl][ack]") {
  // Three replicas, listed in no particular order, each kind distinct so a
  // mix-up of the vectors shows.
  const std::vector<uint64_t> received = {90, 100, 80};
  const std::vector<uint64_t> flushed = {70, 85, 60};
  const std::vector<uint64_t> applied = {50, 40, 65};
  const uint64_t durable = 1000;

  CHECK(AckedLsn(Received(1), durable, received, flushed, applied) == 100);
  CHECK(AckedLsn(Received(2), durable, received, flushed, applied) == 90);
  CHECK(AckedLsn(Received(3), durable, received, flushed, applied) == 80);
  CHECK(AckedLsn(Flushed(1), durable, received, flushed, applied) == 85);
  CHECK(AckedLsn(Flushed(2), durable, received, flushed, applied) == 70);
  CHECK(AckedLsn(Flushed(3), durable, received, flushed, applied) == 60);
  CHECK(AckedLsn(Applied(1), durable, received, flushed, applied) == 65);
  CHECK(AckedLsn(Applied(2), durable, received, flushed, applied) == 50);
  CHECK(AckedLsn(Applied(3), durable, received, flushed, applied) == 40);
}

TEST_CASE("fewer replicas than k confirm nothing", "[repl][ack]") {
  const std::vector<uint64_t> two = {100, 90};
  CHECK(AckedLsn(Received(3), 1000, two, two, two) == 0);
  CHECK(AckedLsn(Flushed(3), 1000, two, two, two) == 0);
  CHECK(AckedLsn(Applied(3), 1000, two, two, two) == 0);
  CHECK(AckedLsn(Flushed(1), 1000, two, {}, two) == 0);
  // More replicas than k: the best k count.
  CHECK(AckedLsn(Flushed(2), 1000, {}, {5, 100, 7, 90, 1}, {}) == 90);
}

TEST_CASE("a replica position is never confirmed past the primary's own fsync", "[repl][ack]") {
  // Replicas may report positions the primary has not fsynced yet (they
  // fsync faster); the write is still not confirmed before the local fsync.
  const std::vector<uint64_t> ahead = {120, 110};
  CHECK(AckedLsn(Received(1), 100, ahead, ahead, ahead) == 100);
  CHECK(AckedLsn(Flushed(2), 100, ahead, ahead, ahead) == 100);
  CHECK(AckedLsn(Applied(2), 105, ahead, ahead, ahead) == 105);
  CHECK(AckedLsn(Flushed(2), 115, ahead, ahead, ahead) == 110);
}
