// WAL figures on this disk (DESIGN.md §6; issue 3 §6):
//   - the raw rate of "append 4 KiB, fdatasync" (the baseline group commit
//     has to beat);
//   - group-commit throughput with 1, 8 and 64 appender threads, each
//     waiting for its own record like a client waiting for its ack, with
//     fsyncs/s next to records/s;
//   - recovery MB/s over a 256 MiB log, with the page cache warm and cold;
//   - LogReader MB/s streaming the same log from LSN 1 in 1 MiB batches, as
//     replicad does for a replica that is far behind (warm and cold).
// Files go to $SHARDKIT_BENCH_DIR, default $TMPDIR or /tmp: point it at the
// disk a daemon would use.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "shardkit/wal/data_dir.h"
#include "shardkit/wal/log.h"
#include "shardkit/wal/log_reader.h"

namespace shardkit::wal {
namespace {

namespace fs = std::filesystem;

// A scratch directory removed at exit.
class Scratch {
 public:
  Scratch() {
    const char* base = std::getenv("SHARDKIT_BENCH_DIR");
    std::string tmpl =
        ((base ? fs::path(base) : fs::temp_directory_path()) / "wal-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void BM_RawFdatasync4KiB(benchmark::State& state) {
  Scratch dir;
  std::string path = dir.path() + "/raw";
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    state.SkipWithError("cannot create the file");
    return;
  }
  std::string block(4096, 'x');
  for (auto _ : state) {
    if (::write(fd, block.data(), block.size()) != ssize_t(block.size()) || ::fdatasync(fd) != 0) {
      state.SkipWithError("write or fdatasync failed");
      break;
    }
  }
  ::close(fd);
  state.counters["fsyncs/s"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RawFdatasync4KiB)->UseRealTime()->MinTime(1.0);

// One iteration: `threads` appenders each append and await
// kRecordsPerIteration/threads 100-byte records.
void BM_GroupCommit(benchmark::State& state) {
  const int threads = int(state.range(0));
  constexpr int kRecordsPerIteration = 8192;
  Scratch scratch;
  auto dir = DataDir::Open(scratch.path() + "/data");
  if (!dir.ok()) {
    state.SkipWithError(dir.status().message().c_str());
    return;
  }
  auto log = Log::Open(*dir);
  if (!log.ok()) {
    state.SkipWithError(log.status().message().c_str());
    return;
  }
  const std::string payload(100, 'p');
  const LogStats before = log->stats();
  for (auto _ : state) {
    std::vector<std::thread> workers;
    std::atomic<bool> failed{false};
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&] {
        for (int i = 0; i < kRecordsPerIteration / threads; ++i) {
          if (!log->SyncUpTo(log->Append(1, 1, payload)).ok()) failed = true;
        }
      });
    }
    for (auto& w : workers) w.join();
    if (failed) state.SkipWithError("SyncUpTo failed");
  }
  const LogStats after = log->stats();
  const double records = double(after.records - before.records);
  state.counters["records/s"] = benchmark::Counter(records, benchmark::Counter::kIsRate);
  state.counters["fsyncs/s"] =
      benchmark::Counter(double(after.fsyncs - before.fsyncs), benchmark::Counter::kIsRate);
  state.counters["records/fsync"] =
      records / double(std::max<uint64_t>(1, after.fsyncs - before.fsyncs));
}
BENCHMARK(BM_GroupCommit)
    ->Arg(1)
    ->Arg(8)
    ->Arg(64)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(1.0);

constexpr uint64_t kBigLogRecords = 256 * 1024;

// A 256 MiB log of 1 KiB records, written once per process.
const std::string& BigLog() {
  static Scratch scratch;
  static const std::string data = [] {
    std::string path = scratch.path() + "/data";
    auto dir = DataDir::Open(path);
    if (!dir.ok()) std::abort();
    auto log = Log::Open(*dir);
    if (!log.ok()) std::abort();
    const std::string payload(1024 - kRecordHeaderBytes, 'r');
    for (uint64_t i = 0; i < kBigLogRecords; ++i) log->Append(2, 1, payload);
    if (!log->SyncUpTo(log->last_lsn()).ok()) std::abort();
    return path;
  }();
  return data;
}

// Evicts a file's clean pages so the next read comes from the disk.
void DropCache(const std::string& dir) {
  for (const auto& e : fs::directory_iterator(dir + "/wal")) {
    int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

// Arg 0: page cache warm; 1: cold (evicted before each run).
void BM_Recovery(benchmark::State& state) {
  const std::string& path = BigLog();
  const bool cold = state.range(0) == 1;
  uint64_t bytes = 0;
  for (auto _ : state) {
    if (cold) {
      state.PauseTiming();
      DropCache(path);
      state.ResumeTiming();
    }
    auto dir = DataDir::Open(path);
    if (!dir.ok()) {
      state.SkipWithError(dir.status().message().c_str());
      break;
    }
    uint64_t n = 0;
    auto log = Log::Open(*dir, {}, 0, [&](const Record& r) {
      n += kRecordHeaderBytes + r.payload.size();
      return Status::Ok();
    });
    if (!log.ok()) {
      state.SkipWithError(log.status().message().c_str());
      break;
    }
    bytes += n;
  }
  state.SetBytesProcessed(int64_t(bytes));
  state.counters["MB/s"] = benchmark::Counter(double(bytes) / 1e6, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Recovery)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(3);

// Arg 0: page cache warm; 1: cold. The whole log, from LSN 1, in batches of
// about 1 MiB, each record copied out as an OwnedRecord.
void BM_LogReaderSequential(benchmark::State& state) {
  const std::string& path = BigLog();
  const bool cold = state.range(0) == 1;
  uint64_t bytes = 0;
  std::vector<OwnedRecord> batch;
  for (auto _ : state) {
    if (cold) {
      state.PauseTiming();
      DropCache(path);
      state.ResumeTiming();
    }
    auto reader = LogReader::Open(path + "/wal");
    if (!reader.ok()) {
      state.SkipWithError(reader.status().message().c_str());
      break;
    }
    uint64_t next = 1;
    while (next <= kBigLogRecords) {
      Status s = reader->Read(next, kBigLogRecords, size_t{1} << 20, &batch);
      if (!s.ok()) {
        state.SkipWithError(s.message().c_str());
        return;
      }
      for (const OwnedRecord& r : batch) bytes += kRecordHeaderBytes + r.payload.size();
      next += batch.size();
    }
  }
  state.SetBytesProcessed(int64_t(bytes));
  state.counters["MB/s"] = benchmark::Counter(double(bytes) / 1e6, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LogReaderSequential)
    ->Arg(0)
    ->Arg(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

}  // namespace
}  // namespace shardkit::wal
