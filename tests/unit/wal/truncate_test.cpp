// TruncateLogAfter: cutting a replica's divergent tail, offline.
#include <catch2/catch.hpp>

#include "shardkit/failpoint/failpoint.h"
#include "shardkit/wal/log_reader.h"
#include "shardkit/wal/snapshot.h"
#include "wal_test_util.h"

using namespace wal_test;

namespace {

constexpr uint64_t kSegmentBytes = 4 << 10;  // a few standard records each

// Copies a data directory (without its LOCK) to `to`.
void CopyData(const std::string& from, const std::string& to) {
  fs::create_directories(to);
  fs::copy(from + "/wal", to + "/wal", fs::copy_options::recursive);
  fs::copy(from + "/snap", to + "/snap", fs::copy_options::recursive);
}

// Truncates DATA after `lsn` under its lock and checks the result.
Status Truncate(const std::string& data, uint64_t lsn, Reports* reports = nullptr) {
  auto dir = DataDir::Open(data, reports ? reports->Options() : DataDirOptions{});
  REQUIRE(dir.ok());
  return TruncateLogAfter(*dir, lsn);
}

Status WriteStandardSnapshot(const DataDir& dir, uint64_t lsn) {
  return WriteSnapshot(dir, lsn, [&](SnapshotWriter& w) { return w.Append(PayloadFor(lsn)); });
}

std::vector<uint64_t> SnapshotLsns(const std::string& data) {
  std::vector<uint64_t> lsns;
  for (const auto& e : fs::directory_iterator(data + "/snap")) {
    lsns.push_back(std::stoull(e.path().filename().string()));
  }
  std::sort(lsns.begin(), lsns.end());
  return lsns;
}

}  // namespace

TEST_CASE("truncating at every cut point of a multi-segment log keeps exactly the prefix",
          "[wal][truncate]") {
  TempDir tmp;
  constexpr uint64_t kRecords = 60;
  const std::string base = tmp.path() + "/base";
  BuildLog(base, kRecords, kSegmentBytes);
  const size_t segments = Segments(base).size();
  REQUIRE(segments > 10);

  for (uint64_t cut = 0; cut <= kRecords + 1; ++cut) {
    INFO("cut after LSN " << cut);
    const std::string data = tmp.path() + "/cut" + std::to_string(cut);
    CopyData(base, data);
    Reports reports;
    REQUIRE(Truncate(data, cut, &reports).ok());
    const uint64_t last = std::min(cut, kRecords);
    for (const std::string& seg : Segments(data)) {
      CHECK(std::stoull(fs::path(seg).filename().string()) <= last);
    }
    auto o = OpenChecked(data, &reports, {});
    REQUIRE(o.ok());
    REQUIRE((*o)->lsns.size() == last);  // every one passed CheckStandard
    for (uint64_t i = 0; i < last; ++i) REQUIRE((*o)->lsns[i] == i + 1);
    CHECK((*o)->log.last_lsn() == last);
    CHECK((*o)->log.last_epoch() == (last == 0 ? 0 : EpochFor(last)));
    // Nothing was left to repair, and the log goes on at the next LSN.
    CHECK(reports.warnings.empty());
    CHECK(AppendStandard((*o)->log) == last + 1);
    REQUIRE((*o)->log.SyncUpTo(last + 1).ok());
    o = Status::Internal("closed");
    fs::remove_all(data);
  }
}

TEST_CASE("truncating drops the snapshots above the cut and keeps the others", "[wal][truncate]") {
  TempDir tmp;
  BuildLog(tmp.data(), 60, kSegmentBytes);
  {
    auto dir = DataDir::Open(tmp.data());
    REQUIRE(dir.ok());
    for (uint64_t lsn : {10, 30, 50}) REQUIRE(WriteStandardSnapshot(*dir, lsn).ok());
    REQUIRE(TruncateLogAfter(*dir, 30).ok());
  }
  CHECK(SnapshotLsns(tmp.data()) == std::vector<uint64_t>{10, 30});
  auto o = OpenChecked(tmp.data(), nullptr, {}, 31);
  REQUIRE(o.ok());
  CHECK((*o)->lsns.empty());
  CHECK((*o)->log.last_lsn() == 30);
}

TEST_CASE("truncating below the oldest segment deletes the whole log", "[wal][truncate]") {
  TempDir tmp;
  BuildLog(tmp.data(), 60, kSegmentBytes);
  uint64_t oldest = 0;
  {
    auto o = OpenChecked(tmp.data(), nullptr);
    REQUIRE(o.ok());
    REQUIRE((*o)->log.DeleteSegmentsBefore(30).ok());
    auto reader = LogReader::Open(tmp.data() + "/wal");
    REQUIRE(reader.ok());
    auto first = reader->OldestLsn();
    REQUIRE(first.ok());
    oldest = *first;
    REQUIRE(oldest > 2);
    REQUIRE(oldest <= 30);
  }
  REQUIRE(Truncate(tmp.data(), oldest - 2).ok());
  CHECK(Segments(tmp.data()).empty());
  // The caller installs a snapshot at oldest - 2 next; the empty log would
  // then continue after it.
  auto o = OpenChecked(tmp.data(), nullptr, {}, oldest - 1);
  REQUIRE(o.ok());
  CHECK((*o)->log.last_lsn() == oldest - 2);
}

TEST_CASE("truncating cuts a torn tail off with the dropped records", "[wal][truncate]") {
  TempDir tmp;
  BuildLog(tmp.data(), 20, 1 << 20);  // one segment
  const std::string seg = Segments(tmp.data()).front();
  const std::string intact = ReadFile(seg);
  WriteFile(seg, intact + std::string(100, '\xee'));  // a torn write after LSN 20

  Reports reports;
  REQUIRE(Truncate(tmp.data(), 12, &reports).ok());
  auto o = OpenChecked(tmp.data(), &reports);
  REQUIRE(o.ok());
  CHECK((*o)->lsns.size() == 12);
  CHECK(reports.warnings.empty());  // the cut left no tail to repair

  // Past the end of a log with a torn tail there is nothing to drop; the
  // next Open repairs the tail as usual.
  o = Status::Internal("closed");
  WriteFile(seg, ReadFile(seg) + std::string(50, '\xee'));
  REQUIRE(Truncate(tmp.data(), 15, &reports).ok());
  o = OpenChecked(tmp.data(), &reports);
  REQUIRE(o.ok());
  CHECK((*o)->lsns.size() == 12);
  CHECK(reports.warnings.size() == 1);
}

TEST_CASE("truncating refuses a damaged log and changes nothing", "[wal][truncate]") {
  TempDir tmp;
  BuildLog(tmp.data(), 60, kSegmentBytes);
  {
    auto dir = DataDir::Open(tmp.data());
    REQUIRE(dir.ok());
    REQUIRE(WriteStandardSnapshot(*dir, 50).ok());
  }
  const auto segments = Segments(tmp.data());
  // Damage the checksum of the first record of the second segment.
  const std::string victim = segments[1];
  std::string bytes = ReadFile(victim);
  bytes[5] ^= 0x40;
  WriteFile(victim, bytes);
  const uint64_t in_victim = std::stoull(fs::path(victim).filename().string());

  Status s = Truncate(tmp.data(), in_victim + 1);
  CHECK(s.code() == Code::kIoError);
  CHECK(s.message() == victim +
                           ": corrupt record at offset 0: checksum mismatch (not the last "
                           "segment, so not a torn write)");
  CHECK(Segments(tmp.data()) == segments);
  CHECK(ReadFile(victim) == bytes);
  CHECK(SnapshotLsns(tmp.data()) == std::vector<uint64_t>{50});

  // A cut point whose segment is missing is a gap, refused too.
  bytes[5] ^= 0x40;
  WriteFile(victim, bytes);
  fs::remove(segments[2]);
  const uint64_t in_missing = std::stoull(fs::path(segments[2]).filename().string());
  s = Truncate(tmp.data(), in_missing);
  CHECK(s.code() == Code::kIoError);
  CHECK(s.message().find(victim + ": segment ends at LSN " + std::to_string(in_missing - 1)) == 0);
  CHECK(s.message().find("(a segment is missing or damaged)") != std::string::npos);
  CHECK(Segments(tmp.data()).size() == segments.size() - 1);
  CHECK(SnapshotLsns(tmp.data()) == std::vector<uint64_t>{50});
}

TEST_CASE("a crash in the middle of truncating leaves a prefix, and a rerun finishes it",
          "[wal][truncate]") {
  TempDir tmp;
  BuildLog(tmp.data(), 60, kSegmentBytes);
  REQUIRE(failpoint::Configure("wal.after-truncate-segments-delete=error").ok());
  Status s = Truncate(tmp.data(), 25);
  REQUIRE(failpoint::Configure("").ok());
  CHECK(s.message() == "failpoint wal.after-truncate-segments-delete: injected error");
  {
    // Later segments are gone, the one holding LSN 25 is still whole.
    auto o = OpenChecked(tmp.data(), nullptr);
    REQUIRE(o.ok());
    const auto& lsns = (*o)->lsns;
    CHECK(lsns.size() >= 25);
    CHECK(lsns.size() < 60);
    for (size_t i = 0; i < lsns.size(); ++i) REQUIRE(lsns[i] == i + 1);
  }
  REQUIRE(Truncate(tmp.data(), 25).ok());
  auto o = OpenChecked(tmp.data(), nullptr);
  REQUIRE(o.ok());
  CHECK((*o)->log.last_lsn() == 25);
}
