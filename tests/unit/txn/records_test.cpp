// Log records and message framing of the txn cores: round trips, bounded
// decoding, and op validation.
#include "shardkit/txn/records.h"

#include <catch2/catch.hpp>

#include "harness.h"
#include "shardkit/txn/ops.h"

using namespace txntest;

namespace {

template <class T>
void RoundTrip(RecordType type, const T& rec) {
  const std::string bytes = EncodeRecord(rec);
  T back;
  REQUIRE(DecodeRecord(type, bytes, &back).ok());
  CHECK(back == rec);
  for (size_t n = 0; n < bytes.size(); ++n) {
    T partial = rec;
    Status s = DecodeRecord(type, std::string_view(bytes).substr(0, n), &partial);
    CHECK(s.code() == Code::kDataError);
    CHECK(partial == rec);  // unchanged on failure
  }
  CHECK_FALSE(DecodeRecord(type, bytes + "x", &back).ok());
}

}  // namespace

TEST_CASE("every record type round-trips and rejects truncation", "[txn][records]") {
  RoundTrip(RecordType::kPrepared,
            PreparedRecord{"t1",
                           {"tcp://c:1", "tcp://c:2"},
                           {"a", "b"},
                           {Put("k", std::string("\0v", 2)), CheckAbsent("z")}});
  RoundTrip(RecordType::kCommitted, TxidRecord{"t1"});
  RoundTrip(RecordType::kOnePhaseCommitted, OnePhaseRecord{"t", {Del("k")}});
  RoundTrip(RecordType::kDirectWrite, DirectWriteRecord{{Put("k", "v")}});
  RoundTrip(RecordType::kCommitDecision, CommitDecisionRecord{"x@T.1", "x", {"a", "b"}, {"b"}});
  RoundTrip(
      RecordType::kHeuristicMismatch,
      HeuristicMismatchRecord{"t", "a", wire::TxOutcome::kCommitted, wire::TxOutcome::kAborted});
}

TEST_CASE("a lying length prefix is refused before allocating", "[txn][records]") {
  // Endianness byte, then a txid length of 2^60.
  std::string bytes(1, '\1');
  const uint64_t huge = uint64_t{1} << 60;
  bytes.append(reinterpret_cast<const char*>(&huge), 8);
  TxidRecord r;
  Status s = DecodeRecord(RecordType::kCommitted, bytes, &r);
  CHECK(s.code() == Code::kDataError);
  CHECK(s.message().rfind("COMMITTED record: ", 0) == 0);
}

TEST_CASE("records describe themselves for logs", "[txn][records]") {
  CHECK(DescribeRecord(static_cast<uint8_t>(RecordType::kPrepared),
                       EncodeRecord(PreparedRecord{"t1", {"c"}, {"a", "b"}, {Put("k", "v")}})) ==
        "PREPARED txid=t1 ops=1 coordinator=c participants=a,b");
  CHECK(DescribeRecord(static_cast<uint8_t>(RecordType::kEnd), EncodeRecord(TxidRecord{"t"})) ==
        "END txid=t");
  CHECK(DescribeRecord(99, "") == "unknown record type 99");
  CHECK(DescribeRecord(static_cast<uint8_t>(RecordType::kEnd), "") ==
        "END record: message body: empty body (missing endianness byte)");
}

TEST_CASE("every txn message frames and decodes by its wire type", "[txn][codec]") {
  const std::vector<Message> all = {
      wire::ErrorReply{1, "bad"},
      wire::Prepare{"t", {"c"}, {"a", "b"}, {Put("k", "v")}},
      wire::Vote{"t", wire::VoteKind::kNo, "locked", "k", {{"g", true, "v"}}},
      wire::Commit{"t"},
      wire::Abort{"t"},
      wire::Ack{"t"},
      wire::CommitOnePhase{"t", {Get("k")}},
      wire::OnePhaseResult{"t", wire::TxOutcome::kCommitted, "", "", {}},
      wire::Inquire{"t"},
      wire::Outcome{"t", wire::TxOutcome::kUnknown},
      wire::HeuristicReport{"t", "a", wire::TxOutcome::kAborted},
      wire::Submit{"", {CheckEq("k", "v")}},
      wire::SubmitResult{"t", wire::TxOutcome::kAborted, "why", "k", {}},
      wire::GetRequest{{"a", "b"}},
      wire::GetReply{{{"a", false, ""}}},
      wire::PutRequest{"k", "v"},
      wire::PutReply{42},
      wire::DelRequest{"k"},
      wire::DelReply{43, true},
      wire::ScanRequest{"p", "p1", 10},
      wire::ScanReply{{"p2"}, {"v"}, true},
  };
  REQUIRE(all.size() == std::variant_size_v<Message>);
  for (const Message& m : all) {
    const auto frames = EncodeTxnMessage(77, m);
    const std::string_view views[] = {frames[0], frames[1]};
    auto view = wire::DecodeMessage(views);
    REQUIRE(view.ok());
    CHECK(view->header.type == TypeOf(m));
    CHECK(view->header.request_id == 77);
    CHECK(wire::IsKnownMsgType(TypeOf(m)));
    Result<Message> back = DecodeTxnMessage(view->header.type, view->body);
    REQUIRE(back.ok());
    CHECK(*back == m);
  }
  CHECK(DecodeTxnMessage(wire::MsgType::kLocateRequest, "").status().code() == Code::kUnavailable);
  CHECK(DecodeTxnMessage(wire::MsgType::kCommit, "\1").status().code() == Code::kDataError);
}

TEST_CASE("op and txid validation", "[txn][ops]") {
  CHECK(ValidateTxid("abc-123@T.9").ok());
  CHECK(ValidateTxid(std::string(wire::kMaxTxidBytes, 'a')).ok());
  CHECK(ValidateTxid(std::string(wire::kMaxTxidBytes + 1, 'a')).message() ==
        "transaction id is 201 bytes, limit 200");
  CHECK(ValidateTxid("tab\there").message() ==
        "transaction id has a byte outside printable ascii at offset 3");
  CHECK(ValidateOps(std::vector<wire::Op>{Put("k", "v"), Get("g")}).ok());
  CHECK(ValidateOps(std::vector<wire::Op>{Get("g"), wire::Op{wire::OpKind::kGet, "g", "x"}})
            .message() == "op 2: get carries a value");
  CHECK(ValidateOps(std::vector<wire::Op>(wire::kMaxOpsPerTxn + 1, Get("k"))).message() ==
        "transaction has 10001 ops, limit 10000");
  CHECK(ValidateOps(std::vector<wire::Op>{Put("k", std::string(wire::kMaxValueBytes + 1, 'v'))})
            .message() == "op 1: value is 8388609 bytes, limit 8388608");
  std::vector<wire::Op> big(2, Put("k", std::string(wire::kMaxValueBytes, 'v')));
  CHECK(ValidateOps(big).message() == "op 2: transaction exceeds 12582912 bytes");
}
