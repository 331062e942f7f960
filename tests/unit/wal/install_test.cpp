// InstallSnapshot: a replica's full resync replaces its log and snapshots
// with a snapshot from its primary, crash-safely.
#include <fcntl.h>
#include <signal.h>

#include <catch2/catch.hpp>

#include "shardkit/failpoint/failpoint.h"
#include "shardkit/wal/snapshot.h"
#include "wal_test_util.h"

using namespace wal_test;

namespace {

constexpr uint64_t kSegmentBytes = 4 << 10;
constexpr uint64_t kOldRecords = 60;
constexpr uint64_t kOldSnapshot = 40;
constexpr uint64_t kNew = 500;  // the primary's snapshot LSN

std::vector<std::string> EntriesFor(uint64_t lsn) {
  return {"primary", "state-at-" + std::to_string(lsn), std::string(100 << 10, 'z')};
}

// Writes a snapshot at `lsn` as another process would (its own directory),
// and moves the file to `dest`.
void MakeSnapshotFile(const std::string& scratch, uint64_t lsn, const std::string& dest) {
  {
    auto dir = DataDir::Open(scratch);
    REQUIRE(dir.ok());
    REQUIRE(WriteSnapshot(*dir, lsn, [&](SnapshotWriter& w) {
              for (const std::string& e : EntriesFor(lsn)) SK_RETURN_IF_ERROR(w.Append(e));
              return Status::Ok();
            }).ok());
  }
  fs::rename(scratch + "/snap/" + std::string(20 - std::to_string(lsn).size(), '0') +
                 std::to_string(lsn) + ".snap",
             dest);
  fs::remove_all(scratch);
}

// A replica's directory: kOldRecords records and a snapshot at kOldSnapshot.
void MakeOldState(const std::string& data) {
  BuildLog(data, kOldRecords, kSegmentBytes);
  auto dir = DataDir::Open(data);
  REQUIRE(dir.ok());
  REQUIRE(
      WriteSnapshot(*dir, kOldSnapshot, [](SnapshotWriter& w) { return w.Append("old"); }).ok());
}

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// The directory holds the new state only: the installed snapshot, no
// segment, and a log that continues after it.
void CheckNewState(const std::string& data) {
  CHECK(Names(data + "/snap") == std::vector<std::string>{"00000000000000000500.snap"});
  CHECK(Segments(data).empty());
  Reports reports;
  auto dir = DataDir::Open(data, reports.Options());
  REQUIRE(dir.ok());
  auto newest = NewestSnapshot(*dir);
  REQUIRE(newest.ok());
  REQUIRE(newest->has_value());
  CHECK((*newest)->lsn == kNew);
  auto reader = SnapshotReader::Open(**newest);
  REQUIRE(reader.ok());
  std::vector<std::string> entries;
  std::string e;
  while (true) {
    auto more = reader->Next(&e);
    REQUIRE(more.ok());
    if (!*more) break;
    entries.push_back(e);
  }
  CHECK(entries == EntriesFor(kNew));
  auto log = Log::Open(*dir, {}, kNew + 1);
  REQUIRE(log.ok());
  CHECK(log->last_lsn() == kNew);
  CHECK(log->Append(1, 7, "after") == kNew + 1);
  REQUIRE(log->SyncUpTo(kNew + 1).ok());
}

// The directory still holds the old state, untouched.
void CheckOldState(const std::string& data) {
  CHECK(Names(data + "/snap") == std::vector<std::string>{"00000000000000000040.snap"});
  auto o = OpenChecked(data, nullptr, {}, kOldSnapshot + 1);
  REQUIRE(o.ok());
  CHECK((*o)->lsns.size() == kOldRecords - kOldSnapshot);
  CHECK((*o)->log.last_lsn() == kOldRecords);
}

}  // namespace

TEST_CASE("InstallSnapshot replaces log and snapshots, and the log continues after it",
          "[wal][install]") {
  TempDir tmp;
  MakeOldState(tmp.data());
  // One file in DIR itself, one under snap/ with a temporary name.
  for (const std::string& file :
       {tmp.data() + "/incoming.snap", tmp.data() + "/snap/resync.tmp.partial"}) {
    INFO(file);
    {
      Reports reports;
      auto dir = DataDir::Open(tmp.data(), reports.Options());
      REQUIRE(dir.ok());
      MakeSnapshotFile(tmp.path() + "/primary", kNew, file);
      REQUIRE(InstallSnapshot(*dir, file, kNew).ok());
      CHECK_FALSE(fs::exists(file));
      CHECK(reports.fatal.empty());
      CHECK(reports.warnings.empty());
    }
    CheckNewState(tmp.data());
    // The record appended after it is recovered from LSN kNew + 1.
    auto dir = DataDir::Open(tmp.data());
    REQUIRE(dir.ok());
    std::vector<uint64_t> lsns;
    auto log = Log::Open(*dir, {}, kNew + 1, [&](const Record& r) {
      lsns.push_back(r.lsn);
      return Status::Ok();
    });
    REQUIRE(log.ok());
    CHECK(lsns == std::vector<uint64_t>{kNew + 1});
    CHECK(log->last_epoch() == 7);
  }
}

TEST_CASE("InstallSnapshot checks the file before it touches anything", "[wal][install]") {
  TempDir tmp;
  MakeOldState(tmp.data());
  const std::string file = tmp.data() + "/incoming.snap";
  MakeSnapshotFile(tmp.path() + "/primary", kNew, file);
  const std::string good = ReadFile(file);
  {
    auto dir = DataDir::Open(tmp.data());
    REQUIRE(dir.ok());

    Status s = InstallSnapshot(*dir, file, kNew + 1);
    CHECK(s.code() == Code::kDataError);
    CHECK(s.message() == file + ": the snapshot is at LSN 500, not at LSN 501 as the install asks");

    std::string damaged = good;
    damaged[damaged.size() / 2] ^= 1;
    WriteFile(file, damaged);
    s = InstallSnapshot(*dir, file, kNew);
    CHECK(s.code() == Code::kIoError);
    CHECK(s.message().find(file + ": damaged snapshot at offset") == 0);
    CHECK(s.message().find("checksum mismatch") != std::string::npos);

    WriteFile(file, good.substr(0, good.size() - 10));
    s = InstallSnapshot(*dir, file, kNew);
    CHECK(s.code() == Code::kIoError);

    WriteFile(file, "not a snapshot at all");
    s = InstallSnapshot(*dir, file, kNew);
    CHECK(s.code() == Code::kIoError);
    CHECK(s.message() == file + ": not a shardkit snapshot (bad magic)");

    s = InstallSnapshot(*dir, tmp.data() + "/missing.snap", kNew);
    CHECK(s.code() == Code::kNoInput);

    // A file already published under a snapshot's name is refused.
    s = InstallSnapshot(*dir, dir->snap_dir() + "/00000000000000000040.snap", kOldSnapshot);
    CHECK(s.code() == Code::kUsage);
  }
  CheckOldState(tmp.data());
}

// Hidden: the child of the crash test below; installs with a failpoint set
// to crash, so the process dies by SIGKILL between two steps.
TEST_CASE("child: install and crash", "[.][wal-install-child]") {
  const char* data = std::getenv("SHARDKIT_TEST_DIR");
  const char* file = std::getenv("SHARDKIT_TEST_FILE");
  if (data == nullptr || file == nullptr) ::_exit(64);
  auto dir = DataDir::Open(data);
  if (!dir.ok()) ::_exit(65);
  Status s = InstallSnapshot(*dir, file, kNew);
  ::_exit(s.ok() ? 0 : 66);
}

TEST_CASE("a crash between any two install steps leaves the old state or the new one",
          "[wal][install]") {
  struct Case {
    const char* point;
    bool committed;
  };
  for (const Case& c :
       {Case{"wal.before-install-commit", false}, Case{"wal.after-install-commit", true},
        Case{"wal.after-install-log-delete", true},
        Case{"wal.before-install-final-rename", true}}) {
    INFO(c.point);
    TempDir tmp;
    MakeOldState(tmp.data());
    const std::string file = tmp.data() + "/incoming.snap";
    MakeSnapshotFile(tmp.path() + "/primary", kNew, file);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::setenv("SHARDKIT_FAILPOINTS", (std::string(c.point) + "=crash").c_str(), 1);
      ::setenv("SHARDKIT_TEST_DIR", tmp.data().c_str(), 1);
      ::setenv("SHARDKIT_TEST_FILE", file.c_str(), 1);
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
      ::execl("/proc/self/exe", "unit_wal", "[wal-install-child]", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);
    if (!c.committed) {
      CheckOldState(tmp.data());
      CHECK(fs::exists(file));  // the caller's, to retry with or remove
      continue;
    }
    // Past the commit point: the next DataDir::Open finishes the install.
    Reports reports;
    {
      auto dir = DataDir::Open(tmp.data(), reports.Options());
      REQUIRE(dir.ok());
    }
    REQUIRE(reports.warnings.size() == 1);
    CHECK(reports.warnings[0] ==
          "finished an interrupted snapshot install at LSN 500 (the log and older snapshots "
          "were replaced)");
    CheckNewState(tmp.data());
  }
}

TEST_CASE("after an install fails past its commit point, Log::Open waits for a reopen",
          "[wal][install]") {
  TempDir tmp;
  MakeOldState(tmp.data());
  const std::string file = tmp.data() + "/incoming.snap";
  MakeSnapshotFile(tmp.path() + "/primary", kNew, file);
  {
    auto dir = DataDir::Open(tmp.data());
    REQUIRE(dir.ok());
    REQUIRE(failpoint::Configure("wal.after-install-log-delete=error").ok());
    Status s = InstallSnapshot(*dir, file, kNew);
    REQUIRE(failpoint::Configure("").ok());
    CHECK(s.message() == "failpoint wal.after-install-log-delete: injected error");
    CHECK(Segments(tmp.data()).empty());
    // The old snapshot is still there, but the log it needs is gone: a Log
    // opened now would start after the old snapshot with records missing.
    auto log = Log::Open(*dir, {}, kOldSnapshot + 1);
    REQUIRE_FALSE(log.ok());
    CHECK(log.status().code() == Code::kIoError);
    CHECK(log.status().message() ==
          dir->snap_dir() +
              "/00000000000000000500.snap.install: a snapshot install is unfinished; reopen the "
              "data directory to finish it");

    // A second install in the same process finishes the first, then
    // replaces it.
    MakeSnapshotFile(tmp.path() + "/primary", kNew + 100, file);
    REQUIRE(InstallSnapshot(*dir, file, kNew + 100).ok());
    CHECK(Names(dir->snap_dir()) == std::vector<std::string>{"00000000000000000600.snap"});
    auto after = Log::Open(*dir, {}, kNew + 101);
    REQUIRE(after.ok());
    CHECK(after->last_lsn() == kNew + 100);
  }
}

TEST_CASE("NewestSnapshot by path reads another process's directory", "[wal][snapshot]") {
  TempDir tmp;
  auto dir = DataDir::Open(tmp.data());  // held, as the writer holds it
  REQUIRE(dir.ok());
  auto none = NewestSnapshot(dir->snap_dir());
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  for (uint64_t lsn : {10, 30, 20}) {
    REQUIRE(WriteSnapshot(*dir, lsn, [](SnapshotWriter& w) { return w.Append("x"); }).ok());
  }
  auto newest = NewestSnapshot(dir->snap_dir());
  REQUIRE(newest.ok());
  REQUIRE(newest->has_value());
  CHECK((*newest)->lsn == 30);
  CHECK((*newest)->path == dir->snap_dir() + "/00000000000000000030.snap");
  CHECK((*newest)->bytes == fs::file_size((*newest)->path));

  WriteFile(dir->snap_dir() + "/00000000000000000040.snap", "SKSNAP01 truncated");
  auto damaged = NewestSnapshot(dir->snap_dir());
  CHECK(damaged.status().code() == Code::kIoError);

  auto missing = NewestSnapshot(tmp.path() + "/nowhere");
  CHECK(missing.status().code() == Code::kNoInput);
}
