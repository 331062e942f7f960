// Recovery at Open: torn tails are truncated, damage followed by valid
// records is refused with 74 naming the segment and offset.
#include <catch2/catch.hpp>

#include "wal_test_util.h"

using namespace wal_test;

namespace {

// Writes `count` standard records (one batch per record, so offsets are
// simple) into a fresh log and returns the segment file paths.
std::vector<std::string> MakeLog(const std::string& data, uint64_t count, LogOptions options = {}) {
  auto o = OpenChecked(data, nullptr, options);
  REQUIRE(o.ok());
  for (uint64_t i = 0; i < count; ++i) REQUIRE((*o)->log.SyncUpTo(AppendStandard((*o)->log)).ok());
  return Segments(data);
}

// Byte offset of record `lsn` (1-based) in a log written from LSN 1 into a
// single segment.
uint64_t OffsetOf(uint64_t lsn) {
  uint64_t off = 0;
  for (uint64_t l = 1; l < lsn; ++l) off += kRecordHeaderBytes + PayloadFor(l).size();
  return off;
}

}  // namespace

TEST_CASE("a torn last record of every length is truncated", "[wal][recovery]") {
  TempDir tmp;
  constexpr uint64_t kRecords = 4;  // the 4th record is 205 bytes: 204 cuts
  const std::string seg = MakeLog(tmp.data(), kRecords).at(0);
  const std::string full = ReadFile(seg);
  const uint64_t last_start = OffsetOf(kRecords);
  REQUIRE(full.size() == OffsetOf(kRecords + 1));
  for (uint64_t cut = last_start + 1; cut < full.size(); ++cut) {
    INFO("cut at " << cut);
    WriteFile(seg, full.substr(0, cut));
    Reports reports;
    auto o = OpenChecked(tmp.data(), &reports);
    REQUIRE(o.ok());
    CHECK((*o)->lsns.size() == kRecords - 1);
    CHECK(fs::file_size(seg) == last_start);
    REQUIRE(reports.warnings.size() == 1);
    CHECK(reports.warnings[0].find("truncated a torn tail of " + seg + " at offset " +
                                   std::to_string(last_start)) != std::string::npos);
    // The next append reuses the LSN whose record was torn.
    CHECK(AppendStandard((*o)->log) == kRecords);
  }
}

TEST_CASE("a zero-filled or garbage tail is truncated", "[wal][recovery]") {
  TempDir tmp;
  const std::string seg = MakeLog(tmp.data(), 5).at(0);
  const std::string full = ReadFile(seg);

  SECTION("zeros after the last record") { WriteFile(seg, full + std::string(4096, '\0')); }
  SECTION("the last record zeroed in place") {
    std::string z = full;
    std::fill(z.begin() + long(OffsetOf(5)), z.end(), '\0');
    WriteFile(seg, z);
  }
  SECTION("random bytes after the last record") {
    std::string junk(777, '\0');
    for (size_t i = 0; i < junk.size(); ++i) junk[i] = char((i * 131 + 17) & 0xff);
    WriteFile(seg, full + junk);
  }
  Reports reports;
  auto o = OpenChecked(tmp.data(), &reports);
  REQUIRE(o.ok());
  CHECK((*o)->lsns.size() >= 4);
  CHECK(reports.warnings.size() == 1);
  CHECK(fs::file_size(seg) == OffsetOf((*o)->lsns.size() + 1));
}

TEST_CASE("a flipped byte in the last record only is a torn tail", "[wal][recovery]") {
  TempDir tmp;
  const std::string seg = MakeLog(tmp.data(), 5).at(0);
  std::string bytes = ReadFile(seg);
  const uint64_t last = OffsetOf(5);
  for (uint64_t at : {last, last + 4, last + 21, uint64_t(bytes.size() - 1)}) {
    INFO("flip at " << at);
    std::string damaged = bytes;
    damaged[at] ^= 0x40;
    WriteFile(seg, damaged);
    auto o = OpenChecked(tmp.data(), nullptr);
    REQUIRE(o.ok());
    CHECK((*o)->lsns.size() == 4);
    CHECK(fs::file_size(seg) == last);
    o = Status::Internal("closed");
  }
}

TEST_CASE("a damaged record followed by valid ones is refused with 74", "[wal][recovery]") {
  TempDir tmp;
  const std::string seg = MakeLog(tmp.data(), 8).at(0);
  std::string bytes = ReadFile(seg);
  const uint64_t third = OffsetOf(3);
  // Damage the payload, the length and the LSN fields in turn.
  for (uint64_t at : {third + kRecordHeaderBytes + 1, third + 0, third + 22}) {
    INFO("flip at " << at);
    std::string damaged = bytes;
    damaged[at] ^= 0x01;
    WriteFile(seg, damaged);
    auto o = OpenChecked(tmp.data(), nullptr);
    REQUIRE_FALSE(o.ok());
    CHECK(o.status().exit_code() == 74);
    CHECK(o.status().message().find(seg + ": corrupt record at offset " + std::to_string(third)) !=
          std::string::npos);
    CHECK(o.status().message().find("a valid record follows at offset " +
                                    std::to_string(OffsetOf(4))) != std::string::npos);
    CHECK(ReadFile(seg) == damaged);  // refused, not repaired
  }
}

TEST_CASE("damage in a finished segment is refused even at its end", "[wal][recovery]") {
  TempDir tmp;
  LogOptions small;
  small.segment_bytes = 4 << 10;
  auto segs = MakeLog(tmp.data(), 60, small);
  REQUIRE(segs.size() >= 3);
  std::string bytes = ReadFile(segs[1]);
  bytes[bytes.size() - 1] ^= 0x10;  // last byte of a middle segment
  WriteFile(segs[1], bytes);
  auto o = OpenChecked(tmp.data(), nullptr, small);
  REQUIRE_FALSE(o.ok());
  CHECK(o.status().exit_code() == 74);
  CHECK(o.status().message().find(segs[1] + ": corrupt record at offset ") != std::string::npos);
  CHECK(o.status().message().find("not the last segment") != std::string::npos);
}

TEST_CASE("a missing middle segment is refused", "[wal][recovery]") {
  TempDir tmp;
  LogOptions small;
  small.segment_bytes = 4 << 10;
  auto segs = MakeLog(tmp.data(), 60, small);
  REQUIRE(segs.size() >= 3);
  fs::remove(segs[1]);
  auto o = OpenChecked(tmp.data(), nullptr, small);
  REQUIRE_FALSE(o.ok());
  CHECK(o.status().exit_code() == 74);
  CHECK(o.status().message().find(segs[2] + ": segment starts at LSN") != std::string::npos);
  CHECK(o.status().message().find("a segment is missing") != std::string::npos);
}

TEST_CASE("a record with a valid checksum but the wrong LSN is refused", "[wal][recovery]") {
  TempDir tmp;
  auto segs = MakeLog(tmp.data(), 3);
  // The file's name promises LSN 5; its intact first record says LSN 1.
  fs::rename(segs[0], tmp.data() + "/wal/00000000000000000005.seg");
  auto o = OpenChecked(tmp.data(), nullptr);
  REQUIRE_FALSE(o.ok());
  CHECK(o.status().exit_code() == 74);
  CHECK(o.status().message().find("LSN 1 where LSN 5 was expected") != std::string::npos);
}

TEST_CASE("an empty last segment left by a crash is reused", "[wal][recovery]") {
  TempDir tmp;
  MakeLog(tmp.data(), 3);
  WriteFile(tmp.data() + "/wal/00000000000000000004.seg", "");
  auto o = OpenChecked(tmp.data(), nullptr);
  REQUIRE(o.ok());
  CHECK((*o)->lsns.size() == 3);
  REQUIRE((*o)->log.SyncUpTo(AppendStandard((*o)->log)).ok());
  CHECK(fs::file_size(tmp.data() + "/wal/00000000000000000004.seg") > 0);
}
