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
