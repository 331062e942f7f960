// The replication bodies (repl_messages.h) on the wire: each one round
// trips, survives a big-endian sender, and is rejected when truncated, when
// followed by garbage, or when a bool or length prefix lies. The allocation
// bounds for their vectors are in alloc_test.cpp; their golden encodings in
// corpus_test.cpp.
#include "shardkit/wire/repl_messages.h"

#include <catch2/catch.hpp>
#include <cereal/archives/portable_binary.hpp>
#include <sstream>
#include <string>
#include <tuple>

#include "shardkit/wire/codec.h"
#include "shardkit/wire/messages.h"

using shardkit::Code;
using shardkit::Status;
using namespace shardkit::wire;

namespace {

// One value of every replication body with every field away from its
// default, so a field dropped from serialize() shows as a mismatch.
auto Samples() {
  return std::tuple{
      ReplHello{3, "node-b", "tcp://10.0.0.2:7500", 2, 230, 0x1122334455667788ull},
      ReplStart{3,
                "node-a",
                true,
                200,
                201,
                true,
                {{1, 1}, {2, 101}, {3, 201}},
                0x1122334455667788ull,
                7},
      ReplRecords{3,
                  "node-a",
                  "tcp://10.0.0.1:7500",
                  200,
                  202,
                  {{1, 3, 201, "put user:1 alice"}, {7, 3, 202, std::string("\0\xff", 2)}},
                  "tcp://10.0.0.1:7100"},
      ReplAck{3, "node-b", 202, 201, 199, 0x1122334455667788ull},
      ReplSnapshotChunk{3, 150, 2, 4096, 10000, std::string("snap\0shot", 9),
                        0x1122334455667788ull},
      ReplVoteRequest{4, "node-b", "tcp://10.0.0.2:7500", 3, 202, true},
      ReplVote{4, "node-c", true, "already voted for node-d"},
      ReplTakeover{3, "node-a", 202},
      LinkProgress{202, 199, 3, 150, 204, "tcp://10.0.0.1:7100"},
      LinkRole{static_cast<uint8_t>(LinkRoleKind::kPaused), 4, "tcp://10.0.0.1:7100", "applied:2"},
      LinkAcked{3, {202, 201, UINT64_MAX}, {201, 180, 0}, {199, 0, 1}, 150, 210},
      LinkAppend{{{1, 3, 203, "a"}, {2, 3, 204, ""}, {1, 3, 205, std::string(300, 'x')}}},
      LinkTruncate{UINT64_MAX},
      LinkInstall{"/srv/shard0/repl-resync.snap", 150, 2},
  };
}

template <class F>
void ForEachSample(F&& f) {
  std::apply([&](const auto&... sample) { (f(sample), ...); }, Samples());
}

}  // namespace

TEST_CASE("every replication body round trips", "[wire][repl]") {
  ForEachSample([](const auto& in) {
    using T = std::decay_t<decltype(in)>;
    INFO(MsgTypeName(T::kType));
    for (const T& value : {in, T{}}) {
      const std::string body = EncodeBody(value);
      T out;
      const Status s = DecodeBody(body, &out);
      INFO(s.message());
      REQUIRE(s.ok());
      CHECK(out == value);
    }
    // And as a whole message, typed by its header.
    const auto frames = EncodeMessage(77, in);
    const std::string_view views[] = {frames[0], frames[1]};
    auto m = DecodeMessage(views);
    REQUIRE(m.ok());
    CHECK(m->header.type == T::kType);
    T out;
    REQUIRE(DecodeBody(m->body, &out).ok());
    CHECK(out == in);
  });
}

TEST_CASE("replication bodies from a big-endian sender decode the same", "[wire][repl]") {
  ForEachSample([](const auto& in) {
    using T = std::decay_t<decltype(in)>;
    INFO(MsgTypeName(T::kType));
    std::ostringstream os;
    {
      cereal::PortableBinaryOutputArchive ar(
          os, cereal::PortableBinaryOutputArchive::Options::BigEndian());
      ar(in);
    }
    T out;
    REQUIRE(DecodeBody(os.str(), &out).ok());
    CHECK(out == in);
  });
}

TEST_CASE("a replication body truncated anywhere or followed by garbage is rejected",
          "[wire][repl]") {
  ForEachSample([](const auto& in) {
    using T = std::decay_t<decltype(in)>;
    const std::string name(MsgTypeName(T::kType));
    INFO(name);
    const std::string body = EncodeBody(in);
    for (size_t len = 0; len < body.size(); ++len) {
      INFO("prefix length " << len << " of " << body.size());
      T out = in;
      const Status s = DecodeBody(std::string_view(body).substr(0, len), &out);
      CHECK(s.code() == Code::kDataError);
      CHECK_THAT(s.message(), Catch::StartsWith(name + " body: "));
      CHECK(out == in);  // untouched
    }
    T out;
    const Status s = DecodeBody(body + "zz", &out);
    CHECK(s.message() == name + " body: 2 trailing bytes at offset " + std::to_string(body.size()));
  });
}

TEST_CASE("a replication bool other than 0 or 1 is rejected", "[wire][repl]") {
  // ReplStart: endianness, epoch, primary ("" = 8-byte tag), then truncate.
  std::string body = EncodeBody(ReplStart{});
  const size_t at = 1 + 8 + 8;
  body[at] = 2;
  ReplStart out;
  CHECK(DecodeBody(body, &out).message() == "REPL_START body: bad bool value 2 at offset 17");
}

TEST_CASE("a record's payload longer than the frame is rejected", "[wire][repl]") {
  // One LINK_APPEND record whose payload claims 100 bytes but carries 3
  // (and the 8 bytes of primary_durable_lsn after it).
  std::string body = EncodeBody(LinkAppend{{{1, 2, 3, "abc"}}});
  const size_t payload_len_at = 1 + 8 + 1 + 8 + 8;  // endianness, count, type, epoch, lsn
  body[payload_len_at] = 100;
  LinkAppend out;
  CHECK(DecodeBody(body, &out).message() ==
        "LINK_APPEND body: length prefix at offset 26 claims 100 elements but only 11 bytes "
        "remain");
}

TEST_CASE("every replication type has its name and nothing else in its range does",
          "[wire][repl]") {
  ForEachSample([](const auto& in) {
    using T = std::decay_t<decltype(in)>;
    CHECK(IsKnownMsgType(T::kType));
  });
  CHECK(MsgTypeName(MsgType::kReplHello) == "REPL_HELLO");
  CHECK(MsgTypeName(MsgType::kReplSnapshotChunk) == "REPL_SNAPSHOT_CHUNK");
  CHECK(MsgTypeName(MsgType::kLinkInstall) == "LINK_INSTALL");
  for (uint16_t t : {72, 79, 86, 95}) {
    INFO(t);
    CHECK_FALSE(IsKnownMsgType(static_cast<MsgType>(t)));
  }
}

TEST_CASE("a vote request's transfer flag other than 0 or 1 is rejected", "[wire][repl]") {
  std::string body = EncodeBody(ReplVoteRequest{});
  body.back() = 2;  // transfer is the last field
  ReplVoteRequest out;
  CHECK(DecodeBody(body, &out).message() ==
        "REPL_VOTE_REQUEST body: bad bool value 2 at offset " + std::to_string(body.size() - 1));
}
