#include "shardkit/wal/log.h"

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "shardkit/failpoint/failpoint.h"
#include "wal_test_util.h"

using namespace wal_test;

TEST_CASE("records round-trip across segment roll-overs and reopen", "[wal][log]") {
  TempDir tmp;
  LogOptions small;
  small.segment_bytes = 16 << 10;  // ~20 records per segment
  constexpr uint64_t kRecords = 2000;
  {
    auto o = OpenChecked(tmp.data(), nullptr, small);
    REQUIRE(o.ok());
    CHECK((*o)->log.last_lsn() == 0);
    for (uint64_t i = 0; i < kRecords; ++i) {
      AppendStandard((*o)->log);
      if (i % 97 == 0) (*o)->log.RequestSync();
    }
    REQUIRE((*o)->log.SyncUpTo(kRecords).ok());
    CHECK((*o)->log.durable_lsn() == kRecords);
  }
  auto segments = Segments(tmp.data());
  CHECK(segments.size() > 50);
  CHECK(fs::path(segments.front()).filename() == "00000000000000000001.seg");
  for (const auto& s : segments) CHECK(fs::file_size(s) <= small.segment_bytes);

  auto o = OpenChecked(tmp.data(), nullptr, small);
  REQUIRE(o.ok());
  REQUIRE((*o)->lsns.size() == kRecords);
  for (uint64_t i = 0; i < kRecords; ++i) REQUIRE((*o)->lsns[i] == i + 1);
  // LSNs continue densely after a reopen.
  CHECK(AppendStandard((*o)->log) == kRecords + 1);
  REQUIRE((*o)->log.SyncUpTo(kRecords + 1).ok());

  // Replay from the middle, while the log is open.
  std::vector<uint64_t> replayed;
  REQUIRE((*o)->log
              .Replay(1500,
                      [&](const Record& r) {
                        replayed.push_back(r.lsn);
                        return CheckStandard(r);
                      })
              .ok());
  REQUIRE(replayed.size() == kRecords + 1 - 1499);
  CHECK(replayed.front() == 1500);
  CHECK(replayed.back() == kRecords + 1);
}

TEST_CASE("replay_from at Open skips older segments and rejects missing history", "[wal][log]") {
  TempDir tmp;
  LogOptions small;
  small.segment_bytes = 8 << 10;
  {
    auto o = OpenChecked(tmp.data(), nullptr, small);
    REQUIRE(o.ok());
    for (int i = 0; i < 300; ++i) AppendStandard((*o)->log);
    REQUIRE((*o)->log.SyncUpTo(300).ok());
  }
  auto o = OpenChecked(tmp.data(), nullptr, small, 250);
  REQUIRE(o.ok());
  REQUIRE((*o)->lsns.size() == 51);
  CHECK((*o)->lsns.front() == 250);
  o = Status::Internal("closed");  // releases the lock

  auto past_end = OpenChecked(tmp.data(), nullptr, small, 302);
  REQUIRE_FALSE(past_end.ok());
  CHECK(past_end.status().exit_code() == 74);
  CHECK(past_end.status().message().find("the log ends at LSN 300") != std::string::npos);
}

TEST_CASE("durable_lsn advances and notify_fd becomes readable", "[wal][log]") {
  TempDir tmp;
  auto o = OpenChecked(tmp.data(), nullptr);
  REQUIRE(o.ok());
  Log& log = (*o)->log;
  struct pollfd p = {log.notify_fd(), POLLIN, 0};
  CHECK(::poll(&p, 1, 0) == 0);  // nothing durable yet

  uint64_t lsn = AppendStandard(log);
  AppendStandard(log);
  CHECK(log.durable_lsn() == 0);  // appended, not synced: never reported durable
  CHECK(log.pending_bytes() > 0);
  log.RequestSync();
  // Two wake-ups at most: written, then durable (or both at once).
  uint64_t seen = 0;
  for (int i = 0; i < 2 && seen < lsn; ++i) {
    REQUIRE(::poll(&p, 1, 5000) == 1);
    seen = log.ConsumeNotify();
  }
  CHECK(seen >= lsn);
  CHECK(log.durable_lsn() == 2);
  CHECK(::poll(&p, 1, 0) == 0);  // drained

  LogStats s = log.stats();
  CHECK(s.records == 2);
  CHECK(s.batches == 1);
  CHECK(s.bytes == 2 * kRecordHeaderBytes + PayloadFor(1).size() + PayloadFor(2).size());
  CHECK(s.fsyncs >= 1);

  CHECK_FALSE(log.SyncUpTo(99).ok());  // never assigned
}

TEST_CASE("group commit: concurrent appenders share fsyncs", "[wal][log]") {
  TempDir tmp;
  auto o = OpenChecked(tmp.data(), nullptr);
  REQUIRE(o.ok());
  Log& log = (*o)->log;
  constexpr int kThreads = 16;
  constexpr int kPerThread = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string payload(100, char('A' + t));
      for (int i = 0; i < kPerThread; ++i) {
        uint64_t lsn = log.Append(1, 1, payload);
        // Each appender waits for its own record, as a client waits for
        // its ack: only group commit lets them share an fsync.
        if (!log.SyncUpTo(lsn).ok() || log.durable_lsn() < lsn) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  LogStats s = log.stats();
  const uint64_t records = kThreads * kPerThread;
  CHECK(s.records == records);
  INFO("fsyncs " << s.fsyncs << " batches " << s.batches << " records " << records);
  CHECK(s.fsyncs < records / 2);
  CHECK(s.batches < records / 2);
}

TEST_CASE("the destructor makes pending records durable", "[wal][log]") {
  TempDir tmp;
  {
    auto o = OpenChecked(tmp.data(), nullptr);
    REQUIRE(o.ok());
    for (int i = 0; i < 10; ++i) AppendStandard((*o)->log);  // no sync requested
  }
  auto o = OpenChecked(tmp.data(), nullptr);
  REQUIRE(o.ok());
  CHECK((*o)->lsns.size() == 10);
}

TEST_CASE("a failed write or fsync is fatal and nothing after it is durable", "[wal][log]") {
  for (const char* config : {"wal.before-fsync=error@2", "wal.before-write=error@2",
                             "wal.after-fsync=error@2", "wal.before-segment-create=error@2"}) {
    INFO(config);
    TempDir tmp;
    Reports reports;
    LogOptions small;
    small.segment_bytes = 1;  // a new segment for every batch
    auto o = OpenChecked(tmp.data(), &reports, small);
    REQUIRE(o.ok());
    Log& log = (*o)->log;
    REQUIRE(shardkit::failpoint::Configure(config).ok());
    REQUIRE(log.SyncUpTo(AppendStandard(log)).ok());
    const uint64_t second = AppendStandard(log);
    Status s = log.SyncUpTo(second);
    REQUIRE(shardkit::failpoint::Configure("").ok());
    CHECK(s.code() == Code::kInternal);
    CHECK(s.message().find("injected error") != std::string::npos);
    CHECK(log.durable_lsn() == 1);
    REQUIRE(reports.fatal.size() == 1);
    // The writer never retries: later records are never reported durable.
    const uint64_t third = AppendStandard(log);
    CHECK_FALSE(log.SyncUpTo(third).ok());
    CHECK(log.durable_lsn() == 1);
    CHECK(reports.fatal.size() == 1);
  }
}

TEST_CASE("Known lists every wal failpoint", "[wal][failpoint]") {
  auto known = shardkit::failpoint::Known();
  for (const char* name :
       {"wal.before-write", "wal.after-write", "wal.before-fsync", "wal.after-fsync",
        "wal.before-segment-create", "wal.after-segment-create", "wal.before-snapshot-rename",
        "wal.after-snapshot-rename"}) {
    CHECK(std::count(known.begin(), known.end(), name) == 1);
  }
}

TEST_CASE("the default fatal handler logs one line and exits 70", "[wal][log]") {
  TempDir tmp;
  int err[2];
  REQUIRE(::pipe(err) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(err[1], STDERR_FILENO);
    auto dir = DataDir::Open(tmp.data());
    if (!dir.ok()) ::_exit(10);
    auto log = Log::Open(*dir);
    if (!log.ok()) ::_exit(11);
    (void)shardkit::failpoint::Configure("wal.before-fsync=error");
    (void)log->SyncUpTo(log->Append(1, 1, "x"));
    ::_exit(12);  // not reached: the writer exits the process
  }
  ::close(err[1]);
  std::string text;
  char buf[256];
  ssize_t n;
  while ((n = ::read(err[0], buf, sizeof buf)) > 0) text.append(buf, size_t(n));
  ::close(err[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 70);
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);
  CHECK(text.find("level=error") != std::string::npos);
  CHECK(text.find("wal.before-fsync") != std::string::npos);
  CHECK(text.find("exit=70") != std::string::npos);
}

TEST_CASE("AppendRecord lands a copied record at exactly its LSN or not at all", "[wal][log]") {
  TempDir tmp;
  Reports reports;
  constexpr uint64_t kRecords = 2500;  // EpochFor moves from 1 to 3
  {
    auto o = OpenChecked(tmp.data(), &reports);
    REQUIRE(o.ok());
    Log& log = (*o)->log;
    CHECK(log.last_epoch() == 0);
    REQUIRE(log.AppendRecord(TypeFor(1), EpochFor(1), 1, PayloadFor(1)).ok());

    Status gap = log.AppendRecord(TypeFor(3), EpochFor(3), 3, PayloadFor(3));
    CHECK(gap.code() == Code::kDataError);
    CHECK(gap.message() == "wal: record 3 cannot be appended: the log ends at LSN 1");
    Status repeat = log.AppendRecord(TypeFor(1), EpochFor(1), 1, PayloadFor(1));
    CHECK(repeat.code() == Code::kDataError);
    CHECK(log.last_lsn() == 1);

    for (uint64_t lsn = 2; lsn <= kRecords; ++lsn) {
      REQUIRE(log.AppendRecord(TypeFor(lsn), EpochFor(lsn), lsn, PayloadFor(lsn)).ok());
    }
    CHECK(log.last_epoch() == EpochFor(kRecords));
    Status older = log.AppendRecord(1, EpochFor(kRecords) - 1, kRecords + 1, "x");
    CHECK(older.code() == Code::kDataError);
    CHECK(older.message().find("below the log's last epoch 3") != std::string::npos);
    Status huge = log.AppendRecord(1, 9, kRecords + 1, std::string(kMaxPayloadBytes + 1, 'h'));
    CHECK(huge.code() == Code::kDataError);
    CHECK(log.last_lsn() == kRecords);
    CHECK(log.last_epoch() == EpochFor(kRecords));  // refused records leave no trace

    // Append continues the same sequence.
    CHECK(AppendStandard(log) == kRecords + 1);
    CHECK(log.last_epoch() == EpochFor(kRecords + 1));
    REQUIRE(log.SyncUpTo(kRecords + 1).ok());
  }
  auto o = OpenChecked(tmp.data(), &reports);
  REQUIRE(o.ok());
  REQUIRE((*o)->lsns.size() == kRecords + 1);  // and every one passed CheckStandard
  for (uint64_t i = 0; i < kRecords + 1; ++i) REQUIRE((*o)->lsns[i] == i + 1);
  CHECK((*o)->log.last_epoch() == EpochFor(kRecords + 1));
  CHECK(reports.fatal.empty());
}

TEST_CASE("last_epoch is recovered, also from before an empty last segment", "[wal][log]") {
  TempDir tmp;
  LogOptions small;
  small.segment_bytes = 8 << 10;
  BuildLog(tmp.data(), 1200, small.segment_bytes);
  {
    auto o = OpenChecked(tmp.data(), nullptr, small, 1100);
    REQUIRE(o.ok());
    CHECK((*o)->log.last_epoch() == EpochFor(1200));
  }
  // A crash right after creating the next segment leaves it empty; the
  // epoch of LSN 1200 must still be found, even though recovery from LSN
  // 1201 starts at that empty segment.
  WriteFile(tmp.data() + "/wal/00000000000000001201.seg", "");
  auto o = OpenChecked(tmp.data(), nullptr, small, 1201);
  REQUIRE(o.ok());
  CHECK((*o)->lsns.empty());
  CHECK((*o)->log.last_lsn() == 1200);
  CHECK((*o)->log.last_epoch() == EpochFor(1200));
  CHECK(EpochFor(1200) == 2);
}

TEST_CASE("durable_position pairs the durable LSN with its record's epoch", "[wal][log]") {
  TempDir tmp;
  {
    auto o = OpenChecked(tmp.data(), nullptr);
    REQUIRE(o.ok());
    Log& log = (*o)->log;
    CHECK(log.durable_position().epoch == 0);
    CHECK(log.durable_position().lsn == 0);
    REQUIRE(log.AppendRecord(1, 4, 1, "a").ok());
    REQUIRE(log.SyncUpTo(1).ok());
    // A record of a later epoch, appended but not durable yet.
    REQUIRE(log.AppendRecord(1, 5, 2, "b").ok());
    CHECK(log.last_epoch() == 5);
    CHECK(log.durable_position().epoch == 4);
    CHECK(log.durable_position().lsn == 1);
    REQUIRE(log.SyncUpTo(2).ok());
    CHECK(log.durable_position().epoch == 5);
    CHECK(log.durable_position().lsn == 2);
  }
  auto dir = DataDir::Open(tmp.data());
  REQUIRE(dir.ok());
  auto log = Log::Open(*dir);
  REQUIRE(log.ok());
  CHECK(log->durable_position().epoch == 5);
  CHECK(log->durable_position().lsn == 2);
}

TEST_CASE("written_lsn is published after write(2), before the fdatasync ends", "[wal][log]") {
  TempDir tmp;
  auto o = OpenChecked(tmp.data(), nullptr);
  REQUIRE(o.ok());
  Log& log = (*o)->log;
  CHECK(log.written_lsn() == 0);
  REQUIRE(shardkit::failpoint::Configure("wal.before-fsync=sleep(400)").ok());
  AppendStandard(log);
  const uint64_t second = AppendStandard(log);
  log.RequestSync();
  struct pollfd p = {log.notify_fd(), POLLIN, 0};
  // The first wake-up is the write: the fsync is still asleep.
  REQUIRE(::poll(&p, 1, 5000) == 1);
  (void)log.ConsumeNotify();
  CHECK(log.written_lsn() == second);
  CHECK(log.durable_lsn() == 0);
  REQUIRE(log.SyncUpTo(second).ok());
  REQUIRE(shardkit::failpoint::Configure("").ok());
  CHECK(log.durable_lsn() == second);
  CHECK(log.written_lsn() == second);
}

TEST_CASE("a reopened log counts everything it recovered as written", "[wal][log]") {
  TempDir tmp;
  {
    auto o = OpenChecked(tmp.data(), nullptr);
    REQUIRE(o.ok());
    Log& log = (*o)->log;
    REQUIRE(log.SyncUpTo(AppendStandard(log)).ok());
    AppendStandard(log);
  }
  auto o = OpenChecked(tmp.data(), nullptr);
  REQUIRE(o.ok());
  CHECK((*o)->log.written_lsn() == 2);
  CHECK((*o)->log.durable_lsn() == 2);
}
