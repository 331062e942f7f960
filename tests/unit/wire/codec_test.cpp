#include "shardkit/wire/codec.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cereal/archives/portable_binary.hpp>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "shardkit/wire/messages.h"

using shardkit::Code;
using shardkit::Status;
using namespace shardkit::wire;

namespace {

ErrorReply SampleError() { return {static_cast<uint16_t>(ErrorCode::kNotPrimary), "try node b"}; }

LocateRequest SampleRequest() {
  // Keys are raw bytes: NUL, high bytes and an empty key must survive.
  return {3, {"user:1", std::string("a\0b", 3), "", "\xff\xfe"}};
}

LocateReply SampleReply() {
  LocateReply r;
  r.generation = 0xdeadbeefcafef00dull;
  r.names = {"a", "b"};
  r.endpoints = {"tcp://10.0.0.1:7100", ""};
  r.replicas = 3;
  r.owners = {0, 1, kNoOwner, 1, 0, kNoOwner};
  return r;
}

template <class T>
void CheckRoundTrip(const T& in) {
  const std::string body = EncodeBody(in);
  T out;
  const Status s = DecodeBody(body, &out);
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK(out == in);
}

// Every strict prefix of a valid body must be rejected, and must leave the
// destination untouched.
template <class T>
void CheckEveryTruncationFails(const T& in) {
  const std::string body = EncodeBody(in);
  for (size_t len = 0; len < body.size(); ++len) {
    INFO("prefix length " << len << " of " << body.size());
    T out = in;
    const Status s = DecodeBody(std::string_view(body).substr(0, len), &out);
    CHECK(s.code() == Code::kDataError);
    CHECK(out == in);
  }
}

template <class T>
void CheckTrailingGarbageFails(const T& in) {
  const std::string body = EncodeBody(in) + "zz";
  T out;
  const Status s = DecodeBody(body, &out);
  CHECK(s.code() == Code::kDataError);
  CHECK_THAT(s.message(), Catch::Contains("2 trailing bytes"));
}

}  // namespace

TEST_CASE("every message body round trips", "[wire][codec]") {
  CheckRoundTrip(SampleError());
  CheckRoundTrip(ErrorReply{});
  CheckRoundTrip(SampleRequest());
  CheckRoundTrip(LocateRequest{});
  CheckRoundTrip(SampleReply());
  CheckRoundTrip(LocateReply{});

  LocateRequest big;
  for (int i = 0; i < 1000; ++i) big.keys.push_back("user:" + std::to_string(i));
  CheckRoundTrip(big);
}

TEST_CASE("a body from a big-endian sender decodes the same", "[wire][codec]") {
  // The first body byte names the sender's byte order; a big-endian host
  // writes it as 0 and we must swap every number.
  std::ostringstream os;
  {
    cereal::PortableBinaryOutputArchive ar(
        os, cereal::PortableBinaryOutputArchive::Options::BigEndian());
    ar(SampleReply());
  }
  const std::string body = os.str();
  REQUIRE(body[0] == 0);
  LocateReply out;
  REQUIRE(DecodeBody(body, &out).ok());
  CHECK(out == SampleReply());
}

TEST_CASE("a body truncated at any length is rejected", "[wire][codec]") {
  CheckEveryTruncationFails(SampleError());
  CheckEveryTruncationFails(SampleRequest());
  CheckEveryTruncationFails(SampleReply());
}

TEST_CASE("trailing bytes after a body are rejected", "[wire][codec]") {
  CheckTrailingGarbageFails(SampleError());
  CheckTrailingGarbageFails(SampleRequest());
  CheckTrailingGarbageFails(SampleReply());
}

TEST_CASE("decode errors name the message and the reason", "[wire][codec]") {
  LocateRequest out;
  Status s = DecodeBody(std::string_view(), &out);
  CHECK(s.message() == "LOCATE_REQUEST body: empty body (missing endianness byte)");

  s = DecodeBody(std::string_view("\x07", 1), &out);
  CHECK(s.message() == "LOCATE_REQUEST body: bad endianness byte 7 at offset 0, expected 0 or 1");

  s = DecodeBody(std::string_view("\x01\x01\x00", 3), &out);
  CHECK(s.message() == "LOCATE_REQUEST body: truncated at offset 1: need 4 bytes, 2 left");

  const std::string huge(kMaxMessageBytes + 1, '\0');
  s = DecodeBody(huge, &out);
  CHECK_THAT(s.message(), Catch::Contains("exceeds the 16777216-byte limit"));
}

TEST_CASE("a length prefix longer than the frame is rejected", "[wire][codec]") {
  // A 1-key request whose key claims 100 bytes but carries 3.
  std::string body = EncodeBody(LocateRequest{1, {"abc"}});
  const size_t key_len_at = 1 + 4 + 8;  // endianness, replicas, keys count
  body[key_len_at] = 100;
  LocateRequest out;
  const Status s = DecodeBody(body, &out);
  CHECK(s.code() == Code::kDataError);
  CHECK(s.message() ==
        "LOCATE_REQUEST body: length prefix at offset 13 claims 100 elements but only 3 bytes "
        "remain");
}

TEST_CASE("message frames are counted and the header checked", "[wire][codec]") {
  const auto frames = EncodeMessage(42, SampleRequest());
  REQUIRE(frames.size() == 2);
  std::vector<std::string_view> views(frames.begin(), frames.end());

  auto m = DecodeMessage(views);
  REQUIRE(m.ok());
  CHECK(m->header.type == MsgType::kLocateRequest);
  CHECK(m->header.request_id == 42);
  LocateRequest req;
  REQUIRE(DecodeBody(m->body, &req).ok());
  CHECK(req == SampleRequest());

  for (size_t n : {0, 1, 3, 9}) {
    INFO(n << " frames");
    std::vector<std::string_view> wrong(n, views[0]);
    auto bad = DecodeMessage(wrong);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().code() == Code::kDataError);
    CHECK(bad.status().message() ==
          "message has " + std::to_string(n) + " frames after routing, expected 2 (header, body)");
  }

  std::vector<std::string_view> bad_header = {std::string_view("SK"), views[1]};
  CHECK(DecodeMessage(bad_header).status().message() == "header frame is 2 bytes, expected 15");
}

TEST_CASE("error replies map to the status a user should see", "[wire][messages]") {
  struct Case {
    ErrorCode code;
    Code status;
  };
  for (const Case c :
       {Case{ErrorCode::kBadRequest, Code::kDataError},
        Case{ErrorCode::kUnsupported, Code::kUnavailable},
        Case{ErrorCode::kInternal, Code::kInternal}, Case{ErrorCode::kNotPrimary, Code::kTemporary},
        Case{ErrorCode::kUnavailable, Code::kUnavailable},
        Case{ErrorCode::kTemporary, Code::kTemporary},
        Case{ErrorCode::kPermission, Code::kPermission}, Case{ErrorCode::kRefused, Code::kNegative},
        Case{ErrorCode::kNotReplicated, Code::kTemporary}}) {
    const Status s = StatusFromErrorReply({static_cast<uint16_t>(c.code), "why"});
    CHECK(s.code() == c.status);
    CHECK(s.message() == std::string(ErrorCodeName(c.code)) + ": why");
  }
  // A write that is durable on the primary but whose ack level was not met
  // in time: exit 75, and the message says so.
  const Status not_replicated = StatusFromErrorReply(
      {static_cast<uint16_t>(ErrorCode::kNotReplicated), "flushed:1 not met in 2000 ms"});
  CHECK(not_replicated.exit_code() == 75);
  CHECK(not_replicated.message() ==
        "durable on the primary, replication not confirmed: flushed:1 not met in 2000 ms");
  const Status unknown = StatusFromErrorReply({999, "new"});
  CHECK(unknown.code() == Code::kInternal);
  CHECK(unknown.message() == "unknown error 999: new");

  CHECK(ErrorReplyFromStatus(Status::DataError("x")).code ==
        static_cast<uint16_t>(ErrorCode::kBadRequest));
  CHECK(ErrorReplyFromStatus(Status::Temporary("x")).code ==
        static_cast<uint16_t>(ErrorCode::kTemporary));
  CHECK(ErrorReplyFromStatus(Status::Negative("not in doubt")).code ==
        static_cast<uint16_t>(ErrorCode::kRefused));
  CHECK(ErrorReplyFromStatus(Status::IoError("disk")) ==
        ErrorReply{static_cast<uint16_t>(ErrorCode::kInternal), "disk"});
}

TEST_CASE("locate replies are checked against the request", "[wire][messages]") {
  LocateReply r = SampleReply();
  CHECK(ValidateLocateReply(r, 2).ok());
  CHECK(ValidateLocateReply(r, 3).message() ==
        "locate reply has 6 owners, expected 3 keys x 3 replicas");
  CHECK(ValidateLocateReply(r, SIZE_MAX / 2).code() == Code::kDataError);  // no overflow
  r.owners[0] = 2;
  CHECK(ValidateLocateReply(r, 2).message() ==
        "locate reply owner 0 is node 2 but there are only 2 nodes");
  r = SampleReply();
  r.endpoints.pop_back();
  CHECK(ValidateLocateReply(r, 2).message() == "locate reply has 2 node names but 1 endpoints");
  r = SampleReply();
  r.replicas = 0;
  CHECK(ValidateLocateReply(r, 2).message() == "locate reply has replicas=0");
}

namespace {

// Every body struct with a kType. A new MsgType must be added here, to
// wire_fuzz.cpp and to corpus_test.cpp.
template <class... T>
struct BodyList {
  static constexpr MsgType kTypes[] = {T::kType...};
};
using AllBodies =
    BodyList<ErrorReply, LocateRequest, LocateReply, Prepare, Vote, Commit, Abort, Ack,
             CommitOnePhase, OnePhaseResult, Inquire, Outcome, HeuristicReport, Submit,
             SubmitResult, GetRequest, GetReply, PutRequest, PutReply, DelRequest, DelReply,
             ScanRequest, ScanReply, AdminRequest, AdminReply, ReplHello, ReplStart, ReplRecords,
             ReplAck, ReplSnapshotChunk, ReplVoteRequest, ReplVote, ReplTakeover, LinkProgress,
             LinkRole, LinkAcked, LinkAppend, LinkTruncate, LinkInstall>;

}  // namespace

TEST_CASE("every known message type has exactly one body struct", "[wire][messages]") {
  size_t known = 0;
  for (uint32_t t = 0; t <= UINT16_MAX; ++t) {
    const auto type = static_cast<MsgType>(t);
    if (!IsKnownMsgType(type)) continue;
    ++known;
    INFO(MsgTypeName(type) << " (" << t << ")");
    CHECK(std::count(std::begin(AllBodies::kTypes), std::end(AllBodies::kTypes), type) == 1);
  }
  CHECK(known == std::size(AllBodies::kTypes));
}
