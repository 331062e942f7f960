// Proves that a frame claiming an absurd element count is rejected before
// anything that size is allocated. Global operator new is replaced in this
// test binary so each test can record the largest single allocation made
// while it decodes.
#include <atomic>
#include <catch2/catch.hpp>
#include <cereal/archives/portable_binary.hpp>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sstream>
#include <string>

#include "shardkit/wire/codec.h"
#include "shardkit/wire/messages.h"

namespace {

std::atomic<bool> g_tracking{false};
std::atomic<size_t> g_largest{0};

// Records the largest allocation made while alive. Not reentrant.
class AllocationTracker {
 public:
  AllocationTracker() {
    g_largest = 0;
    g_tracking = true;
  }
  ~AllocationTracker() { g_tracking = false; }
  size_t largest() const { return g_largest.load(); }
};

constexpr size_t kSmall = size_t{1} << 20;  // 1 MiB
constexpr uint64_t kHuge = uint64_t{1} << 60;

void AppendLittle(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

}  // namespace

void* operator new(std::size_t size) {
  if (g_tracking.load(std::memory_order_relaxed)) {
    size_t seen = g_largest.load(std::memory_order_relaxed);
    while (size > seen && !g_largest.compare_exchange_weak(seen, size)) {
    }
  }
  // Refuse absurd sizes without asking malloc, which under ASan aborts on
  // them instead of returning null.
  if (size > (size_t{1} << 40)) throw std::bad_alloc();
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
// The nothrow forms too, or a sanitizer runtime's own would pair with our
// free()-based delete.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return ::operator new(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return ::operator new(size, tag);
}
// GCC cannot see that these deletes pair with the malloc-based news above.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
#pragma GCC diagnostic pop

using shardkit::Code;
using shardkit::Status;
using namespace shardkit::wire;

TEST_CASE("the allocation tracker sees an unbounded cereal decode allocate", "[wire][alloc]") {
  // Control: plain cereal trusts the prefix and tries to allocate it. If
  // this ever stops holding, the tests below prove nothing.
  std::string frame(1, '\x01');
  AppendLittle(&frame, kHuge, 8);
  frame += "abc";
  std::istringstream is(frame);
  std::string out;
  size_t largest = 0;
  {
    AllocationTracker tracker;
    try {
      cereal::PortableBinaryInputArchive ar(is);
      ar(out);
    } catch (...) {
    }
    largest = tracker.largest();
  }
  CHECK(largest >= kHuge);
}

TEST_CASE("a 2^60-element claim is rejected without a large allocation", "[wire][alloc]") {
  SECTION("vector<string> (LocateRequest::keys)") {
    std::string frame(1, '\x01');
    AppendLittle(&frame, 1, 4);      // replicas
    AppendLittle(&frame, kHuge, 8);  // keys count
    frame += "abcdefgh";
    LocateRequest out;
    Status s;
    size_t largest = 0;
    {
      AllocationTracker tracker;
      s = DecodeBody(frame, &out);
      largest = tracker.largest();
    }
    CHECK(s.code() == Code::kDataError);
    CHECK(s.message() ==
          "LOCATE_REQUEST body: length prefix at offset 5 claims 1152921504606846976 elements "
          "but only 8 bytes remain");
    CHECK(largest < kSmall);
  }

  SECTION("vector<uint32_t> (LocateReply::owners)") {
    std::string frame = EncodeBody(LocateReply{});
    // The last field is owners: replace its zero count with 2^60 and give it
    // a few bytes that could be mistaken for elements.
    frame.resize(frame.size() - 8);
    const size_t at = frame.size();
    AppendLittle(&frame, kHuge, 8);
    frame += std::string(64, '\x01');
    LocateReply out;
    Status s;
    size_t largest = 0;
    {
      AllocationTracker tracker;
      s = DecodeBody(frame, &out);
      largest = tracker.largest();
    }
    CHECK(s.code() == Code::kDataError);
    CHECK_THAT(s.message(), Catch::Contains("offset " + std::to_string(at) +
                                            " claims 1152921504606846976 elements"));
    CHECK(largest < kSmall);
  }

  SECTION("string (ErrorReply::reason)") {
    std::string frame(1, '\x01');
    AppendLittle(&frame, 1, 2);      // code
    AppendLittle(&frame, kHuge, 8);  // reason length
    frame += "why";
    ErrorReply out;
    Status s;
    size_t largest = 0;
    {
      AllocationTracker tracker;
      s = DecodeBody(frame, &out);
      largest = tracker.largest();
    }
    CHECK(s.code() == Code::kDataError);
    CHECK(s.message() ==
          "ERROR body: length prefix at offset 3 claims 1152921504606846976 elements but only 3 "
          "bytes remain");
    CHECK(largest < kSmall);
  }
}

TEST_CASE("a count that fits the bytes but not the element size is rejected", "[wire][alloc]") {
  // 1000 bytes can hold at most 125 strings (8-byte length each): a claim of
  // 1000 strings must fail before resize() allocates 1000 std::strings.
  std::string frame(1, '\x01');
  AppendLittle(&frame, 1, 4);
  AppendLittle(&frame, 1000, 8);
  frame.append(1000, '\0');
  LocateRequest out;
  const Status s = DecodeBody(frame, &out);
  CHECK(s.message() ==
        "LOCATE_REQUEST body: length prefix at offset 5 claims 1000 elements of at least 8 bytes "
        "but only 1000 bytes remain");
}

TEST_CASE("a vector of structs grows with the bytes present, not the count claimed",
          "[wire][alloc]") {
  // A SUBMIT claiming as many ops as its 1 MiB could hold at 17 bytes each,
  // whose bytes then run out after one op: sizing the vector from the claim
  // would allocate ~61,000 ops (about 4 MiB) before failing.
  std::string frame(1, '\x01');
  AppendLittle(&frame, 0, 8);  // txid ""
  const size_t room = size_t{1} << 20;
  AppendLittle(&frame, room / Op::kMinWireBytes, 8);       // ops count: fits the bytes left
  frame += std::string(Op::kMinWireBytes, '\0');           // one op (kind 0, "", "")
  frame += std::string(room - Op::kMinWireBytes, '\xff');  // then a huge key length
  Submit out;
  Status s;
  size_t largest = 0;
  {
    AllocationTracker tracker;
    s = DecodeBody(frame, &out);
    largest = tracker.largest();
  }
  CHECK(s.code() == Code::kDataError);
  CHECK(largest < kSmall);
}

namespace {

// Decodes `frame` as a T under the tracker; *largest is the biggest single
// allocation made meanwhile.
template <class T>
Status TrackedDecode(const std::string& frame, size_t* largest) {
  T out;
  Status s;
  {
    AllocationTracker tracker;
    s = DecodeBody(frame, &out);
    *largest = tracker.largest();
  }
  return s;
}

// `body` with its last 8 bytes (a length prefix of 0: the last field is an
// empty vector or string) replaced by `count`, then `tail`. With `after`,
// the vector or string is followed by that many bytes of other fields
// (fields appended later), which are dropped: the claim swallows the rest.
std::string WithLastCount(std::string body, uint64_t count, const std::string& tail,
                          size_t after = 0) {
  REQUIRE(body.size() >= 9 + after);
  body.resize(body.size() - 8 - after);
  AppendLittle(&body, count, 8);
  return body + tail;
}

std::string Claim(size_t offset, size_t left) {
  return "length prefix at offset " + std::to_string(offset) +
         " claims 1152921504606846976 elements but only " + std::to_string(left) + " bytes remain";
}

}  // namespace

TEST_CASE("replication bodies claiming 2^60 records or payload bytes are rejected cheaply",
          "[wire][alloc][repl]") {
  size_t largest = 0;
  const std::string tail(64, '\x01');

  SECTION("ReplRecords::records") {
    const std::string body = EncodeBody(ReplRecords{3, "node-a", "tcp://a:1", 200, 202, {}, ""});
    const Status s = TrackedDecode<ReplRecords>(WithLastCount(body, kHuge, tail), &largest);
    CHECK(s.message() == "REPL_RECORDS body: " + Claim(body.size() - 8, 64));
    CHECK(largest < kSmall);
  }
  SECTION("ReplRecord::payload inside REPL_RECORDS") {
    const std::string body =
        EncodeBody(ReplRecords{3, "node-a", "tcp://a:1", 200, 201, {{1, 3, 201, ""}}, ""});
    const Status s = TrackedDecode<ReplRecords>(WithLastCount(body, kHuge, "abc"), &largest);
    CHECK(s.message() == "REPL_RECORDS body: " + Claim(body.size() - 8, 3));
    CHECK(largest < kSmall);
  }
  SECTION("LinkAppend::records") {
    // records is followed by primary_durable_lsn (8 bytes).
    const std::string body = EncodeBody(LinkAppend{});
    const Status s = TrackedDecode<LinkAppend>(WithLastCount(body, kHuge, tail, 8), &largest);
    CHECK(s.message() == "LINK_APPEND body: " + Claim(1, 64));
    CHECK(largest < kSmall);
  }
  SECTION("ReplRecord::payload inside LINK_APPEND") {
    const std::string body = EncodeBody(LinkAppend{{{1, 3, 203, ""}}});
    const Status s = TrackedDecode<LinkAppend>(WithLastCount(body, kHuge, "abc", 8), &largest);
    CHECK(s.message() == "LINK_APPEND body: " + Claim(26, 3));
    CHECK(largest < kSmall);
  }
  SECTION("ReplStart::history") {
    // history is followed by session and start_seq (16 bytes).
    const std::string body = EncodeBody(ReplStart{});
    const Status s = TrackedDecode<ReplStart>(WithLastCount(body, kHuge, tail, 16), &largest);
    CHECK(s.message() == "REPL_START body: " + Claim(body.size() - 24, 64));
    CHECK(largest < kSmall);
  }
  SECTION("ReplSnapshotChunk::data") {
    // data is followed by session (8 bytes).
    const std::string body = EncodeBody(ReplSnapshotChunk{});
    const Status s =
        TrackedDecode<ReplSnapshotChunk>(WithLastCount(body, kHuge, tail, 8), &largest);
    CHECK(s.message() == "REPL_SNAPSHOT_CHUNK body: " + Claim(body.size() - 16, 64));
    CHECK(largest < kSmall);
  }
  SECTION("LinkAcked::received") {
    std::string frame(1, '\x01');
    AppendLittle(&frame, 3, 8);      // epoch
    AppendLittle(&frame, kHuge, 8);  // received count
    frame += tail;
    const Status s = TrackedDecode<LinkAcked>(frame, &largest);
    CHECK(s.message() == "LINK_ACKED body: " + Claim(9, 64));
    CHECK(largest < kSmall);
  }
}

TEST_CASE("a record vector grows with the records present, not the count claimed",
          "[wire][alloc][repl]") {
  // A LINK_APPEND claiming as many records as 1 MiB holds at 25 bytes each,
  // whose bytes run out after one record: sizing the vector from the claim
  // would allocate ~42,000 records (about 2 MiB) before failing.
  const size_t room = size_t{1} << 20;
  std::string frame(1, '\x01');
  AppendLittle(&frame, room / ReplRecord::kMinWireBytes, 8);
  frame += std::string(ReplRecord::kMinWireBytes, '\0');           // one empty record
  frame += std::string(room - ReplRecord::kMinWireBytes, '\xff');  // then a huge payload length
  size_t largest = 0;
  const Status s = TrackedDecode<LinkAppend>(frame, &largest);
  CHECK(s.code() == Code::kDataError);
  CHECK(largest < kSmall);
}

TEST_CASE("a record or epoch count that fits the bytes but not the element size is rejected",
          "[wire][alloc][repl]") {
  // 64 bytes hold at most 2 records (25 bytes each) or 4 epoch starts (16).
  std::string body = EncodeBody(LinkAppend{});
  LinkAppend append;
  CHECK(DecodeBody(WithLastCount(body, 3, std::string(64, '\0'), 8), &append).message() ==
        "LINK_APPEND body: length prefix at offset 1 claims 3 elements of at least 25 bytes but "
        "only 64 bytes remain");
  body = EncodeBody(ReplStart{});
  ReplStart start;
  CHECK(DecodeBody(WithLastCount(body, 5, std::string(64, '\0'), 16), &start).message() ==
        "REPL_START body: length prefix at offset " + std::to_string(body.size() - 24) +
            " claims 5 elements of at least 16 bytes but only 64 bytes remain");
  // At the bound it decodes: 3 epoch starts of zeros, then session and
  // start_seq (4 would leave nothing for them).
  CHECK(DecodeBody(WithLastCount(body, 3, std::string(64, '\0'), 16), &start).ok());
  CHECK(start.history.size() == 3);
  CHECK(DecodeBody(WithLastCount(body, 4, std::string(64, '\0'), 16), &start).code() ==
        Code::kDataError);
}
