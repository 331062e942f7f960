// Process crashes: kill -9 at random moments, and a crash at every wal
// failpoint (through SHARDKIT_FAILPOINTS). After each, recovery must succeed
// and every record acknowledged before the crash must be there.
#include <fcntl.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <random>

#include "shardkit/wal/snapshot.h"
#include "wal_test_util.h"

using namespace wal_test;

namespace {

LogOptions SmallSegments() {
  LogOptions o;
  o.segment_bytes = 16 << 10;
  return o;
}

// Child side: appends standard records in batches and writes the last LSN
// of each batch to `ack_fd` only once SyncUpTo says it is durable. Every
// `snapshot_every` batches (0: never) it also writes a snapshot. Never
// returns normally; exits 0 after `batches` batches.
[[noreturn]] void AppendAndAck(const std::string& data, int ack_fd, unsigned seed, int batches,
                               int snapshot_every) {
  auto dir = DataDir::Open(data);
  if (!dir.ok()) ::_exit(dir.status().exit_code());
  auto log = Log::Open(*dir, SmallSegments());
  if (!log.ok()) ::_exit(log.status().exit_code());
  std::mt19937 rng(seed);
  for (int b = 0; b < batches; ++b) {
    uint64_t last = 0;
    for (int n = 1 + int(rng() % 20); n > 0; --n) {
      last = log->last_lsn() + 1;
      log->Append(TypeFor(last), EpochFor(last), PayloadFor(last));
    }
    if (!log->SyncUpTo(last).ok()) ::_exit(71);
    if (::write(ack_fd, &last, sizeof last) != sizeof last) ::_exit(72);
    if (snapshot_every > 0 && b % snapshot_every == snapshot_every - 1) {
      Status s = WriteSnapshot(*dir, last, [last](SnapshotWriter& w) {
        for (uint64_t l = 10; l <= last; l += 10) SK_RETURN_IF_ERROR(w.Append(PayloadFor(l)));
        return Status::Ok();
      });
      if (!s.ok()) ::_exit(73);
    }
  }
  ::_exit(0);
}

// Reads every acknowledged LSN the child managed to write; returns the max.
uint64_t MaxAcked(int fd) {
  uint64_t max = 0, lsn = 0;
  while (::read(fd, &lsn, sizeof lsn) == ssize_t(sizeof lsn)) max = std::max(max, lsn);
  return max;
}

// Reopens DATA and checks: recovery succeeds, LSNs are dense from 1, every
// record's content is right, nothing acknowledged is missing, and the newest
// snapshot (if any) reads back complete.
void CheckRecovered(const std::string& data, uint64_t acked) {
  Reports reports;
  auto o = OpenChecked(data, &reports, SmallSegments());
  REQUIRE(o.ok());
  const auto& lsns = (*o)->lsns;
  for (size_t i = 0; i < lsns.size(); ++i) REQUIRE(lsns[i] == i + 1);
  CHECK(lsns.size() >= acked);
  for (const auto& e : fs::directory_iterator(data + "/snap")) {
    CHECK(e.path().string().find(".tmp") == std::string::npos);  // removed at Open
  }
  auto snap = NewestSnapshot((*o)->dir);
  REQUIRE(snap.ok());
  if (snap->has_value()) {
    auto reader = SnapshotReader::Open(**snap);
    REQUIRE(reader.ok());
    std::string entry;
    uint64_t l = 10;
    while (true) {
      auto more = reader->Next(&entry);
      REQUIRE(more.ok());
      if (!*more) break;
      REQUIRE(entry == PayloadFor(l));
      l += 10;
    }
    CHECK(l == ((*snap)->lsn / 10) * 10 + 10);
  }
}

}  // namespace

TEST_CASE("kill -9 at random times loses no acknowledged record", "[wal][crash]") {
  TempDir tmp;
  std::random_device rd;
  const unsigned seed = rd();
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  uint64_t acked = 0;
  for (int iteration = 0; iteration < 20; ++iteration) {
    INFO("iteration " << iteration);
    int ack[2];
    REQUIRE(::pipe(ack) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(ack[0]);
      AppendAndAck(tmp.data(), ack[1], seed + unsigned(iteration), 1 << 30, 0);
    }
    ::close(ack[1]);
    ::usleep(useconds_t(2000 + rng() % 40000));
    ::kill(pid, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    acked = std::max(acked, MaxAcked(ack[0]));
    ::close(ack[0]);
    INFO("child status " << status);
    REQUIRE(WIFSIGNALED(status));
    CheckRecovered(tmp.data(), acked);
  }
  CHECK(acked > 0);
}

// Hidden: run by the failpoint test below in a fresh process, so that
// SHARDKIT_FAILPOINTS is read from the environment as a daemon would.
TEST_CASE("child: append, ack and snapshot", "[.][wal-crash-child]") {
  const char* data = std::getenv("SHARDKIT_TEST_DIR");
  const char* fd = std::getenv("SHARDKIT_TEST_ACK_FD");
  if (data == nullptr || fd == nullptr) ::_exit(64);
  AppendAndAck(data, std::atoi(fd), 7, 60, 5);
}

TEST_CASE("a crash at every wal failpoint loses no acknowledged record", "[wal][crash]") {
  for (const char* point :
       {"wal.before-write", "wal.after-write", "wal.before-fsync", "wal.after-fsync",
        "wal.before-segment-create", "wal.after-segment-create", "wal.before-snapshot-rename",
        "wal.after-snapshot-rename"}) {
    for (int hit : {1, 3}) {
      const std::string config = std::string(point) + "=crash@" + std::to_string(hit);
      INFO("SHARDKIT_FAILPOINTS=" << config);
      TempDir tmp;
      int ack[2], err[2];
      REQUIRE(::pipe(ack) == 0);
      REQUIRE(::pipe(err) == 0);
      pid_t pid = ::fork();
      REQUIRE(pid >= 0);
      if (pid == 0) {
        ::close(ack[0]);
        ::close(err[0]);
        ::setenv("SHARDKIT_FAILPOINTS", config.c_str(), 1);
        ::setenv("SHARDKIT_TEST_DIR", tmp.data().c_str(), 1);
        ::setenv("SHARDKIT_TEST_ACK_FD", std::to_string(ack[1]).c_str(), 1);
        int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, STDOUT_FILENO);
        ::dup2(err[1], STDERR_FILENO);
        ::execl("/proc/self/exe", "unit_wal", "[wal-crash-child]", static_cast<char*>(nullptr));
        ::_exit(127);
      }
      ::close(ack[1]);
      ::close(err[1]);
      const uint64_t acked = MaxAcked(ack[0]);
      std::string stderr_text;
      char buf[512];
      ssize_t n;
      while ((n = ::read(err[0], buf, sizeof buf)) > 0) stderr_text.append(buf, size_t(n));
      ::close(ack[0]);
      ::close(err[0]);
      int status = 0;
      REQUIRE(::waitpid(pid, &status, 0) == pid);
      INFO("child stderr: " << stderr_text);
      REQUIRE(WIFSIGNALED(status));
      CHECK(WTERMSIG(status) == SIGKILL);
      CHECK(stderr_text.find(std::string("failpoint=") + point) != std::string::npos);
      CheckRecovered(tmp.data(), acked);
    }
  }
}
