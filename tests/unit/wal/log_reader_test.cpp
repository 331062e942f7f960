// LogReader: durable records read from a log that another process (here:
// another thread, without the lock) is writing.
#include "shardkit/wal/log_reader.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <thread>

#include "wal_test_util.h"

using namespace wal_test;

namespace {

constexpr uint64_t kSegmentBytes = 8 << 10;

uint64_t FirstLsnOf(const std::string& segment) {
  return std::stoull(fs::path(segment).filename().string());
}

size_t DiskBytes(const std::vector<OwnedRecord>& records) {
  size_t n = 0;
  for (const OwnedRecord& r : records) n += kRecordHeaderBytes + r.payload.size();
  return n;
}

// Reads [from, up_to] in batches of `max_bytes`, checking every record and
// every batch's size; returns the LSNs.
std::vector<uint64_t> ReadRange(LogReader& reader, uint64_t from, uint64_t up_to,
                                size_t max_bytes) {
  std::vector<uint64_t> lsns;
  std::vector<OwnedRecord> batch;
  while (from <= up_to) {
    Status s = reader.Read(from, up_to, max_bytes, &batch);
    REQUIRE(s.ok());
    REQUIRE_FALSE(batch.empty());
    // Roughly max_bytes: only the last record may cross the limit.
    CHECK(DiskBytes(batch) - (kRecordHeaderBytes + batch.back().payload.size()) < max_bytes);
    for (const OwnedRecord& r : batch) {
      REQUIRE(r.lsn == from);
      REQUIRE(CheckStandard(r).ok());
      lsns.push_back(r.lsn);
      ++from;
    }
  }
  return lsns;
}

}  // namespace

TEST_CASE("LogReader reads ranges across segment boundaries within a byte budget",
          "[wal][reader]") {
  TempDir tmp;
  constexpr uint64_t kRecords = 400;
  BuildLog(tmp.data(), kRecords, kSegmentBytes);
  REQUIRE(Segments(tmp.data()).size() > 20);
  auto reader = LogReader::Open(tmp.data() + "/wal");
  REQUIRE(reader.ok());
  auto oldest = reader->OldestLsn();
  REQUIRE(oldest.ok());
  CHECK(*oldest == 1);

  // Sequential, in batches smaller and larger than a segment.
  for (size_t budget : {size_t{1}, size_t{5000}, size_t{30000}, size_t{1} << 20}) {
    INFO("budget " << budget);
    auto lsns = ReadRange(*reader, 1, kRecords, budget);
    REQUIRE(lsns.size() == kRecords);
  }
  // up_to bounds the read, however large the budget.
  std::vector<OwnedRecord> batch;
  REQUIRE(reader->Read(100, 120, 1 << 20, &batch).ok());
  REQUIRE(batch.size() == 21);
  CHECK(batch.back().lsn == 120);
  // Nothing to read is not an error.
  REQUIRE(reader->Read(kRecords + 1, kRecords, 1 << 20, &batch).ok());
  CHECK(batch.empty());
  // Backwards and forwards jumps, within one segment and across several.
  std::mt19937 rng(42);
  for (int i = 0; i < 200; ++i) {
    const uint64_t from = 1 + rng() % kRecords;
    const uint64_t up_to = std::min<uint64_t>(kRecords, from + rng() % 30);
    INFO("from " << from << " to " << up_to);
    auto lsns = ReadRange(*reader, from, up_to, 1 << 20);
    REQUIRE(lsns.size() == up_to - from + 1);
  }
}

TEST_CASE("LogReader tails a log that another thread appends to and syncs", "[wal][reader]") {
  TempDir tmp;
  LogOptions small;
  small.segment_bytes = 16 << 10;
  auto o = OpenChecked(tmp.data(), nullptr, small);
  REQUIRE(o.ok());
  Log& log = (*o)->log;
  constexpr uint64_t kRecords = 3000;
  std::atomic<uint64_t> durable{0};  // what the writer "reports"
  std::atomic<bool> failed{false};
  // No Catch2 assertions on this thread: they are not thread-safe.
  std::thread writer([&] {
    std::mt19937 rng(7);
    uint64_t lsn = 0;
    while (lsn < kRecords) {
      for (int n = 1 + int(rng() % 40); n > 0 && lsn < kRecords; --n) {
        ++lsn;
        if (log.Append(TypeFor(lsn), EpochFor(lsn), PayloadFor(lsn)) != lsn) failed = true;
      }
      if (!log.SyncUpTo(lsn).ok()) failed = true;
      // The reader learns of it only now, as replicad would from the
      // writer's message; meanwhile it may see the bytes being written.
      durable.store(lsn);
    }
  });

  auto reader = LogReader::Open(tmp.data() + "/wal");
  REQUIRE(reader.ok());
  std::vector<OwnedRecord> batch;
  uint64_t next = 1;
  size_t reads = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (next <= kRecords && std::chrono::steady_clock::now() < deadline) {
    const uint64_t up_to = durable.load();
    if (next > up_to) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    Status s = reader->Read(next, up_to, 8 << 10, &batch);
    REQUIRE(s.ok());
    ++reads;
    for (const OwnedRecord& r : batch) {
      REQUIRE(r.lsn == next);
      REQUIRE(CheckStandard(r).ok());
      ++next;
    }
  }
  writer.join();
  CHECK_FALSE(failed);
  CHECK(next == kRecords + 1);
  CHECK(reads > 10);
  CHECK(Segments(tmp.data()).size() > 10);
}

TEST_CASE("LogReader reports NoInput for records no longer retained", "[wal][reader]") {
  TempDir tmp;
  LogOptions small;
  small.segment_bytes = kSegmentBytes;
  BuildLog(tmp.data(), 300, kSegmentBytes);
  auto o = OpenChecked(tmp.data(), nullptr, small);
  REQUIRE(o.ok());
  auto reader = LogReader::Open(tmp.data() + "/wal");
  REQUIRE(reader.ok());
  std::vector<OwnedRecord> batch;
  REQUIRE(reader->Read(1, 300, 1, &batch).ok());  // the reader now sits in segment 1
  REQUIRE(batch.size() == 1);

  REQUIRE((*o)->log.DeleteSegmentsBefore(200).ok());
  auto oldest = reader->OldestLsn();
  REQUIRE(oldest.ok());
  REQUIRE(*oldest > 100);
  REQUIRE(*oldest <= 200);
  const std::string retained = "(oldest is " + std::to_string(*oldest) + ")";

  // Continuing in the deleted segment, and starting afresh below the oldest.
  Status s = reader->Read(2, 300, 1 << 20, &batch);
  CHECK(s.code() == Code::kNoInput);
  CHECK(s.message() == "wal: lsn 2 is no longer retained " + retained);
  CHECK(batch.empty());
  s = reader->Read(*oldest - 1, 300, 1 << 20, &batch);
  CHECK(s.code() == Code::kNoInput);
  CHECK(s.message() ==
        "wal: lsn " + std::to_string(*oldest - 1) + " is no longer retained " + retained);
  // What is retained still reads.
  CHECK(ReadRange(*reader, *oldest, 300, 4096).size() == 300 - *oldest + 1);

  // An empty log retains nothing.
  TempDir empty;
  auto dir = DataDir::Open(empty.data());
  REQUIRE(dir.ok());
  auto none = LogReader::Open(empty.data() + "/wal");
  REQUIRE(none.ok());
  CHECK(*none->OldestLsn() == 0);
  s = none->Read(1, 1, 1, &batch);
  CHECK(s.code() == Code::kNoInput);
  CHECK(s.message() == "wal: lsn 1 is no longer retained (the log is empty)");

  CHECK(LogReader::Open(empty.path() + "/nowhere").status().code() == Code::kNoInput);
}

TEST_CASE("LogReader names the segment and offset of damage", "[wal][reader]") {
  TempDir tmp;
  BuildLog(tmp.data(), 300, kSegmentBytes);
  const auto segments = Segments(tmp.data());
  const std::string victim = segments[3];
  const uint64_t first = FirstLsnOf(victim);
  // The second record of the segment: its checksum.
  const uint64_t second_at = kRecordHeaderBytes + PayloadFor(first).size();
  std::string bytes = ReadFile(victim);
  bytes[second_at + 4] ^= 0x01;
  WriteFile(victim, bytes);

  auto reader = LogReader::Open(tmp.data() + "/wal");
  REQUIRE(reader.ok());
  std::vector<OwnedRecord> batch;
  uint64_t next = 1;
  Status s;
  while (next <= 300) {
    s = reader->Read(next, 300, 1, &batch);  // one record a call
    if (!s.ok()) break;
    next += batch.size();
  }
  CHECK(next == first + 1);  // everything before the damage was delivered
  CHECK(batch.empty());
  CHECK(s.code() == Code::kIoError);
  CHECK(s.message() ==
        victim + ": corrupt record at offset " + std::to_string(second_at) + ": checksum mismatch");
  // Jumping straight past it still verifies the way there.
  s = reader->Read(FirstLsnOf(segments[4]) - 1, 300, 4096, &batch);
  CHECK(s.code() == Code::kIoError);
  CHECK(batch.empty());

  // A missing segment in the middle is a gap.
  bytes[second_at + 4] ^= 0x01;
  WriteFile(victim, bytes);
  fs::remove(segments[5]);
  const uint64_t gap = FirstLsnOf(segments[5]);
  s = reader->Read(gap - 1, 300, 1 << 20, &batch);
  CHECK(s.code() == Code::kIoError);
  CHECK(s.message() == segments[4] + ": segment ends at LSN " + std::to_string(gap - 1) +
                           " but the next one starts at LSN " +
                           std::to_string(FirstLsnOf(segments[6])) +
                           " (a segment is missing or damaged)");

  // A durable LSN the log does not hold is refused, not waited for.
  s = reader->Read(300, 301, 1 << 20, &batch);
  CHECK(s.code() == Code::kIoError);
  CHECK(s.message() ==
        tmp.data() + "/wal: the log ends at LSN 300 but LSN 301 was reported durable");
}
