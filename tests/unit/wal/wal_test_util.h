// Shared helpers for the wal tests: temporary directories, deterministic
// payloads, and opening a log that records fatal errors instead of exiting.
#pragma once

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../temp_dir.h"
#include "shardkit/wal/data_dir.h"
#include "shardkit/wal/log.h"

namespace wal_test {

namespace fs = std::filesystem;
using namespace shardkit;
using namespace shardkit::wal;

// A fresh directory under $TMPDIR, removed with everything in it.
using testutil::TempDir;

// The payload the tests write for `lsn`: 0..1499 bytes, content from the LSN,
// so recovery can check every byte of every record it gets back.
inline std::string PayloadFor(uint64_t lsn) {
  std::string p(size_t((lsn * 7919) % 1500), '\0');
  for (size_t i = 0; i < p.size(); ++i) p[i] = char('a' + (lsn + i) % 26);
  return p;
}
inline uint8_t TypeFor(uint64_t lsn) { return uint8_t(lsn % 7); }
inline uint64_t EpochFor(uint64_t lsn) { return 1 + lsn / 1000; }

// Appends the standard record for the next LSN; returns its LSN. Needs a
// single appender (the payload is chosen before the LSN is assigned).
inline uint64_t AppendStandard(Log& log) {
  uint64_t lsn = log.last_lsn() + 1;
  REQUIRE(log.Append(TypeFor(lsn), EpochFor(lsn), PayloadFor(lsn)) == lsn);
  return lsn;
}

// Checks that `r` is the standard record for its LSN.
inline Status CheckStandard(const Record& r) {
  if (r.payload != PayloadFor(r.lsn) || r.type != TypeFor(r.lsn) || r.epoch != EpochFor(r.lsn)) {
    return Status::DataError("record " + std::to_string(r.lsn) + " has the wrong content");
  }
  return Status::Ok();
}

inline Status CheckStandard(const OwnedRecord& r) {
  return CheckStandard(Record{r.type, r.epoch, r.lsn, r.payload});
}

// Captures fatal errors and warnings instead of exiting.
struct Reports {
  std::mutex mu;
  std::vector<std::string> fatal;
  std::vector<std::string> warnings;

  DataDirOptions Options() {
    DataDirOptions o;
    o.on_fatal = [this](const std::string& m) {
      std::lock_guard lock(mu);
      fatal.push_back(m);
    };
    o.on_warning = [this](const std::string& m) {
      std::lock_guard lock(mu);
      warnings.push_back(m);
    };
    return o;
  }
};

// An open data directory and log, with the LSNs that recovery replayed.
struct Opened {
  DataDir dir;
  Log log;
  std::vector<uint64_t> lsns;
};

// Opens DIR and its log, checking every replayed record with CheckStandard
// and collecting the LSNs. Returns the first error.
inline Result<std::unique_ptr<Opened>> OpenChecked(const std::string& path, Reports* reports,
                                                   LogOptions options = {},
                                                   uint64_t replay_from = 0) {
  auto dir = DataDir::Open(path, reports ? reports->Options() : DataDirOptions{});
  if (!dir.ok()) return dir.status();
  std::vector<uint64_t> lsns;
  auto log = Log::Open(*dir, options, replay_from, [&](const Record& r) {
    lsns.push_back(r.lsn);
    return CheckStandard(r);
  });
  if (!log.ok()) return log.status();
  return std::make_unique<Opened>(Opened{std::move(*dir), std::move(*log), std::move(lsns)});
}

// Writes standard records 1..count to a new log in DATA, with segments of
// `segment_bytes`, makes them durable and closes the log.
inline void BuildLog(const std::string& data, uint64_t count, uint64_t segment_bytes) {
  LogOptions options;
  options.segment_bytes = segment_bytes;
  auto o = OpenChecked(data, nullptr, options);
  REQUIRE(o.ok());
  for (uint64_t i = 0; i < count; ++i) AppendStandard((*o)->log);
  REQUIRE((*o)->log.SyncUpTo(count).ok());
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

// The segment files of DIR, sorted.
inline std::vector<std::string> Segments(const std::string& data) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(data + "/wal")) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace wal_test
