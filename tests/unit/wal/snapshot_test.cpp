#include "shardkit/wal/snapshot.h"

#include <catch2/catch.hpp>

#include "shardkit/failpoint/failpoint.h"
#include "wal_test_util.h"

using namespace wal_test;

namespace {

Status WriteEntries(const DataDir& dir, uint64_t lsn, int count) {
  return WriteSnapshot(dir, lsn, [&](SnapshotWriter& w) {
    for (int i = 0; i < count; ++i) {
      SK_RETURN_IF_ERROR(w.Append("key-" + std::to_string(i) + "=" + std::to_string(lsn)));
    }
    // An empty entry and a large one survive the round trip too.
    SK_RETURN_IF_ERROR(w.Append(""));
    return w.Append(std::string(3 << 20, 'v'));
  });
}

std::vector<std::string> ReadAll(const SnapshotInfo& info) {
  auto reader = SnapshotReader::Open(info);
  REQUIRE(reader.ok());
  CHECK(reader->lsn() == info.lsn);
  std::vector<std::string> entries;
  std::string e;
  while (true) {
    auto more = reader->Next(&e);
    REQUIRE(more.ok());
    if (!*more) break;
    entries.push_back(e);
  }
  return entries;
}

}  // namespace

TEST_CASE("snapshots are written, found newest-first and read back", "[wal][snapshot]") {
  TempDir tmp;
  auto dir = DataDir::Open(tmp.data());
  REQUIRE(dir.ok());
  auto none = NewestSnapshot(*dir);
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());

  REQUIRE(WriteEntries(*dir, 100, 10).ok());
  REQUIRE(WriteEntries(*dir, 250, 1000).ok());
  auto newest = NewestSnapshot(*dir);
  REQUIRE(newest.ok());
  REQUIRE(newest->has_value());
  CHECK((*newest)->lsn == 250);
  CHECK((*newest)->path == dir->snap_dir() + "/00000000000000000250.snap");
  auto entries = ReadAll(**newest);
  REQUIRE(entries.size() == 1002);
  CHECK(entries[999] == "key-999=250");
  CHECK(entries[1000].empty());
  CHECK(entries[1001].size() == size_t(3 << 20));

  REQUIRE(DeleteSnapshotsBefore(*dir, 250).ok());
  CHECK_FALSE(fs::exists(dir->snap_dir() + "/00000000000000000100.snap"));
  CHECK(fs::exists((*newest)->path));
}

TEST_CASE("a snapshot that fails to fill or to rename leaves nothing behind", "[wal][snapshot]") {
  TempDir tmp;
  auto dir = DataDir::Open(tmp.data());
  REQUIRE(dir.ok());
  REQUIRE(WriteEntries(*dir, 5, 3).ok());
  Status s = WriteSnapshot(*dir, 9, [](SnapshotWriter& w) {
    SK_RETURN_IF_ERROR(w.Append("partial"));
    return Status::DataError("store changed under the snapshot");
  });
  CHECK(s.code() == Code::kDataError);
  REQUIRE(shardkit::failpoint::Configure("wal.before-snapshot-rename=error").ok());
  s = WriteEntries(*dir, 10, 3);
  REQUIRE(shardkit::failpoint::Configure("").ok());
  CHECK_FALSE(s.ok());
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir->snap_dir())) {
    (void)e;
    ++files;
  }
  CHECK(files == 1);
  CHECK((*NewestSnapshot(*dir))->lsn == 5);
}

TEST_CASE("a leftover temporary snapshot is ignored and removed at open", "[wal][snapshot]") {
  TempDir tmp;
  {
    auto dir = DataDir::Open(tmp.data());
    REQUIRE(dir.ok());
    REQUIRE(WriteEntries(*dir, 7, 3).ok());
    // What a crash between write and rename leaves: a bigger LSN, never renamed.
    WriteFile(dir->snap_dir() + "/00000000000000000900.snap.tmp.Ab12Cd", "SKSNAP01 partial");
    CHECK((*NewestSnapshot(*dir))->lsn == 7);
  }
  Reports reports;
  auto dir = DataDir::Open(tmp.data(), reports.Options());
  REQUIRE(dir.ok());
  CHECK_FALSE(fs::exists(dir->snap_dir() + "/00000000000000000900.snap.tmp.Ab12Cd"));
  REQUIRE(reports.warnings.size() == 1);
  CHECK(reports.warnings[0].find("removed an unfinished snapshot") != std::string::npos);
}

TEST_CASE("a truncated or damaged snapshot is refused, never loaded in part", "[wal][snapshot]") {
  TempDir tmp;
  auto dir = DataDir::Open(tmp.data());
  REQUIRE(dir.ok());
  REQUIRE(WriteEntries(*dir, 42, 100).ok());
  const std::string path = dir->snap_dir() + "/00000000000000000042.snap";
  const std::string good = ReadFile(path);

  SECTION("truncated: no trailer") {
    WriteFile(path, good.substr(0, good.size() / 2));
    auto newest = NewestSnapshot(*dir);
    REQUIRE_FALSE(newest.ok());
    CHECK(newest.status().exit_code() == 74);
    CHECK(newest.status().message().find(path) != std::string::npos);
  }
  SECTION("a flipped byte in an entry: the checksum catches it at the end") {
    std::string bad = good;
    bad[bad.find("key-50=") + 2] ^= 0x01;
    WriteFile(path, bad);
    auto newest = NewestSnapshot(*dir);
    REQUIRE(newest.ok());
    auto reader = SnapshotReader::Open(**newest);
    REQUIRE(reader.ok());
    std::string e;
    Result<bool> more = true;
    while (more.ok() && *more) more = reader->Next(&e);
    REQUIRE_FALSE(more.ok());
    CHECK(more.status().exit_code() == 74);
    CHECK(more.status().message().find("checksum mismatch") != std::string::npos);
  }
}

TEST_CASE("deleting segments before a snapshot keeps everything after it", "[wal][snapshot]") {
  TempDir tmp;
  LogOptions small;
  small.segment_bytes = 8 << 10;
  uint64_t snapshot_lsn = 0;
  {
    auto o = OpenChecked(tmp.data(), nullptr, small);
    REQUIRE(o.ok());
    Log& log = (*o)->log;
    for (int i = 0; i < 400; ++i) AppendStandard(log);
    REQUIRE(log.SyncUpTo(400).ok());
    snapshot_lsn = 300;
    REQUIRE(WriteEntries((*o)->dir, snapshot_lsn, 5).ok());
    const size_t before = Segments(tmp.data()).size();
    REQUIRE(log.DeleteSegmentsBefore(snapshot_lsn + 1).ok());
    const size_t after = Segments(tmp.data()).size();
    CHECK(after < before);
    CHECK(after >= 2);
    // The log keeps going, and a replay from the snapshot still works.
    for (int i = 0; i < 50; ++i) AppendStandard(log);
    REQUIRE(log.SyncUpTo(450).ok());
    uint64_t n = 0;
    REQUIRE(log.Replay(snapshot_lsn + 1,
                       [&](const Record& r) {
                         ++n;
                         return CheckStandard(r);
                       })
                .ok());
    CHECK(n == 150);
    // Deleting everything keeps the segment being written.
    REQUIRE(log.DeleteSegmentsBefore(1000).ok());
    CHECK(Segments(tmp.data()).size() == 1);
  }
  auto all = OpenChecked(tmp.data(), nullptr, small, 1);
  REQUIRE_FALSE(all.ok());
  CHECK(all.status().exit_code() == 74);
  CHECK(all.status().message().find("records from LSN 1 are needed") != std::string::npos);
  auto o = OpenChecked(tmp.data(), nullptr, small, 0);
  REQUIRE(o.ok());
  CHECK((*o)->lsns.back() == 450);
  CHECK(AppendStandard((*o)->log) == 451);
}

TEST_CASE("an empty log continues after the snapshot that replaced it", "[wal][snapshot]") {
  TempDir tmp;
  auto o = OpenChecked(tmp.data(), nullptr, {}, 1001);
  REQUIRE(o.ok());
  CHECK((*o)->log.last_lsn() == 1000);
  CHECK(AppendStandard((*o)->log) == 1001);
  REQUIRE((*o)->log.SyncUpTo(1001).ok());
  CHECK(fs::exists(tmp.data() + "/wal/00000000000000001001.seg"));
}
