// Fuzzes WAL recovery (and snapshot reading) over arbitrary file contents.
// Recovery must never crash, hang or allocate without bound: it either
// succeeds, with dense LSNs starting at the segment's name, or returns a
// clean error with a message. A repaired log must then reopen cleanly with
// the same records: truncating a torn tail is idempotent. LogReader, told
// the whole file is durable, must deliver dense records and stop at the first
// damage or the end with a clean error, never more records than recovery
// finds; and TruncateLogAfter at a byte-chosen LSN must either refuse with a
// message or leave a log that opens with at most that many records.
//
// Input: byte 0 picks the layout, the rest is file content.
//   bit 0 clear: one segment, 00000000000000000001.seg
//   bit 0 set:   two segments; bytes 1-2 give where the content splits and
//                byte 3 the second segment's first LSN (1 + byte)
//   bit 1 set:   the content is also read as a snapshot
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "shardkit/wal/data_dir.h"
#include "shardkit/wal/log.h"
#include "shardkit/wal/log_reader.h"
#include "shardkit/wal/snapshot.h"

namespace {

namespace fs = std::filesystem;
using namespace shardkit;
using namespace shardkit::wal;

// On tmpfs when there is one: recovery fsyncs each truncation, and a disk's
// fsync would cap the run at a few dozen inputs a second.
const std::string& Root() {
  static const std::string root = [] {
    fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    std::string tmpl = (base / "wal-fuzz-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    return tmpl;
  }();
  return root;
}

void Write(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

std::string SegmentName(uint64_t lsn) {
  std::string digits = std::to_string(lsn);
  return std::string(20 - digits.size(), '0') + digits + ".seg";
}

DataDirOptions Quiet() {
  DataDirOptions o;
  // An fsync failure here would be the machine's problem, not the input's.
  o.on_fatal = [](const std::string&) { std::abort(); };
  o.on_warning = [](const std::string&) {};
  return o;
}

// Opens the log and collects its records; aborts on any broken promise.
Result<uint64_t> Recover(const std::string& data) {
  auto dir = DataDir::Open(data, Quiet());
  if (!dir.ok()) std::abort();  // the directory itself is always fine
  uint64_t count = 0, expected = 0;
  auto log = Log::Open(*dir, {}, 0, [&](const Record& r) {
    if (expected != 0 && r.lsn != expected) std::abort();
    if (r.payload.size() > kMaxPayloadBytes) std::abort();
    expected = r.lsn + 1;
    ++count;
    return Status::Ok();
  });
  if (!log.ok()) {
    if (log.status().message().empty() || log.status().exit_code() != 74) std::abort();
    return log.status();
  }
  if (log->last_lsn() + 1 < count) std::abort();
  return count;
}

// Streams the log from its first LSN with everything claimed durable, as a
// replicad trusting a wrong durable LSN would; returns the records read.
uint64_t ReadWithLogReader(const std::string& data) {
  auto reader = LogReader::Open(data + "/wal");
  if (!reader.ok()) std::abort();
  auto oldest = reader->OldestLsn();
  if (!oldest.ok() || *oldest == 0) std::abort();  // the segments were just written
  std::vector<OwnedRecord> batch;
  uint64_t next = *oldest, count = 0;
  while (true) {
    // One record a call: a failed Read returns nothing, so a larger budget
    // would hide the records before the damage.
    Status s = reader->Read(next, next + 100000, 1, &batch);
    if (!s.ok()) {
      if (s.message().empty() || !batch.empty()) std::abort();
      if (s.exit_code() != 74 && s.exit_code() != 66) std::abort();
      return count;
    }
    if (batch.size() != 1) std::abort();  // from <= up_to promises a record
    for (const OwnedRecord& r : batch) {
      if (r.lsn != next || r.payload.size() > kMaxPayloadBytes) std::abort();
      ++next;
      ++count;
    }
  }
}

// Truncates after `lsn`; then the log must open with records up to it at most.
void FuzzTruncate(const std::string& data, uint64_t lsn) {
  {
    auto dir = DataDir::Open(data, Quiet());
    if (!dir.ok()) std::abort();
    Status s = TruncateLogAfter(*dir, lsn);
    if (!s.ok()) {
      if (s.message().empty() || s.exit_code() != 74) std::abort();
      return;
    }
  }
  auto dir = DataDir::Open(data, Quiet());
  if (!dir.ok()) std::abort();
  auto log = Log::Open(*dir);
  if (log.ok() && log->last_lsn() > lsn) std::abort();
}

void FuzzSnapshot(const std::string& data, std::string_view bytes) {
  auto dir = DataDir::Open(data, Quiet());
  if (!dir.ok()) std::abort();
  Write(dir->snap_dir() + "/00000000000000000001.snap", bytes);
  auto newest = NewestSnapshot(*dir);
  if (!newest.ok()) {
    if (newest.status().message().empty()) std::abort();
    return;
  }
  if (!newest->has_value()) std::abort();
  auto reader = SnapshotReader::Open(**newest);
  if (!reader.ok()) return;
  std::string entry;
  while (true) {
    auto more = reader->Next(&entry);
    if (!more.ok() || !*more) break;
    if (entry.size() > kMaxSnapshotEntryBytes) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string dir = Root() + "/data";
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir + "/wal");
  fs::create_directories(dir + "/snap");

  if ((mode & 1) == 0) {
    Write(dir + "/wal/" + SegmentName(1), rest);
  } else {
    size_t split = 0;
    uint64_t second = 2;
    if (rest.size() >= 3) {
      split = (size_t(uint8_t(rest[0])) | size_t(uint8_t(rest[1])) << 8);
      second = 1 + uint8_t(rest[2]);
      rest.remove_prefix(3);
    }
    split = std::min(split, rest.size());
    Write(dir + "/wal/" + SegmentName(1), rest.substr(0, split));
    if (second > 1) Write(dir + "/wal/" + SegmentName(second), rest.substr(split));
  }

  const uint64_t streamed = ReadWithLogReader(dir);
  auto first = Recover(dir);
  if (first.ok()) {
    if (streamed > *first) std::abort();
    // Whatever the first open repaired, a second open finds nothing to do.
    auto again = Recover(dir);
    if (!again.ok() || *again != *first) std::abort();
    // The reader now finds exactly what recovery kept.
    if (ReadWithLogReader(dir) != *first) std::abort();
  }
  if (mode & 4) FuzzTruncate(dir, mode >> 3);
  if (mode & 2) FuzzSnapshot(dir, rest);
  return 0;
}
