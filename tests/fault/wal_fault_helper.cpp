// A small WAL client for the fault suites (wal_fault.bats): it appends and
// acknowledges like a daemon would, under whatever fault the test injects
// (SHARDKIT_FAILPOINTS, an LD_PRELOAD shim, strace, a full disk), and then
// verifies what recovery brings back.
//
//   wal_fault_helper list-failpoints
//       every failpoint linked into this binary, one per line
//   wal_fault_helper append DIR COUNT [PAYLOAD_BYTES] [SNAPSHOT_EVERY]
//       appends COUNT records one at a time, into 8 KiB segments so that
//       short runs cross many roll-overs; after each is durable
//       (SyncUpTo), prints "acked<TAB>LSN" on stdout with one write(2), so
//       the line exists only if the acknowledgement happened. Every
//       SNAPSHOT_EVERY records (0: never) it also writes a snapshot.
//   wal_fault_helper verify DIR ACKED
//       recovers DIR, checks every record's content and that LSNs 1..ACKED
//       are all there, reads the newest snapshot through; prints
//       "recovered<TAB>N". Exit 1 if anything acknowledged is missing.
//
// Failures exit with the Status's code (DESIGN.md §9), so the suites can
// check for 70, 74 and 75.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "shardkit/failpoint/failpoint.h"
#include "shardkit/wal/data_dir.h"
#include "shardkit/wal/log.h"
#include "shardkit/wal/snapshot.h"

namespace {

using namespace shardkit;
using namespace shardkit::wal;

// "LSN:" then filler that depends on the LSN: verify checks every byte
// without knowing the payload size the writer used.
std::string Payload(uint64_t lsn, size_t size) {
  std::string p = std::to_string(lsn) + ":";
  for (size_t i = p.size(); i < size; ++i) p.push_back(char('a' + (lsn + i) % 26));
  return p;
}

bool PayloadOk(uint64_t lsn, std::string_view p) {
  std::string prefix = std::to_string(lsn) + ":";
  if (!p.starts_with(prefix)) return false;
  for (size_t i = prefix.size(); i < p.size(); ++i) {
    if (p[i] != char('a' + (lsn + i) % 26)) return false;
  }
  return true;
}

int Fail(const Status& s) {
  std::fprintf(stderr, "wal_fault_helper: %s\n", s.message().c_str());
  return s.exit_code();
}

void Print(const std::string& line) {
  // One write(2) per line, unbuffered: a crash right after cannot lose or
  // half-print an acknowledgement the test will count.
  (void)!::write(STDOUT_FILENO, line.data(), line.size());
}

// Small segments, so that a short run crosses many roll-overs (and their
// failpoints).
LogOptions Options() {
  LogOptions o;
  o.segment_bytes = 8 << 10;
  return o;
}

int Append(const std::string& path, uint64_t count, size_t payload_bytes, uint64_t snap_every) {
  auto dir = DataDir::Open(path);
  if (!dir.ok()) return Fail(dir.status());
  auto log = Log::Open(*dir, Options());
  if (!log.ok()) return Fail(log.status());
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t next = log->last_lsn() + 1;
    const uint64_t lsn = log->Append(1, 1, Payload(next, payload_bytes));
    if (Status s = log->SyncUpTo(lsn); !s.ok()) return Fail(s);
    Print("acked\t" + std::to_string(lsn) + "\n");
    if (snap_every != 0 && lsn % snap_every == 0) {
      Status s = WriteSnapshot(*dir, lsn, [lsn](SnapshotWriter& w) {
        for (uint64_t l = 1; l <= lsn; ++l) SK_RETURN_IF_ERROR(w.Append(std::to_string(l)));
        return Status::Ok();
      });
      if (!s.ok()) return Fail(s);
    }
  }
  return 0;
}

int Verify(const std::string& path, uint64_t acked) {
  auto dir = DataDir::Open(path);
  if (!dir.ok()) return Fail(dir.status());
  uint64_t expected = 0, recovered = 0;
  auto log = Log::Open(*dir, Options(), 0, [&](const Record& r) {
    if (expected != 0 && r.lsn != expected) return Status::DataError("LSN out of order");
    if (!PayloadOk(r.lsn, r.payload)) {
      return Status::DataError("record " + std::to_string(r.lsn) + " has the wrong content");
    }
    expected = r.lsn + 1;
    ++recovered;
    return Status::Ok();
  });
  if (!log.ok()) return Fail(log.status());
  if (log->last_lsn() < acked) {
    return Fail(Status::Negative("acknowledged LSN " + std::to_string(acked) +
                                 " is missing: recovered up to " +
                                 std::to_string(log->last_lsn())));
  }
  auto snap = NewestSnapshot(*dir);
  if (!snap.ok()) return Fail(snap.status());
  if (snap->has_value()) {
    auto reader = SnapshotReader::Open(**snap);
    if (!reader.ok()) return Fail(reader.status());
    std::string entry;
    uint64_t n = 0;
    while (true) {
      auto more = reader->Next(&entry);
      if (!more.ok()) return Fail(more.status());
      if (!*more) break;
      if (entry != std::to_string(++n)) return Fail(Status::DataError("bad snapshot entry"));
    }
    if (n != reader->lsn()) return Fail(Status::DataError("snapshot entry count"));
  }
  Print("recovered\t" + std::to_string(recovered) + "\n");
  return 0;
}

uint64_t Number(const char* s) { return std::strtoull(s, nullptr, 10); }

}  // namespace

int main(int argc, char** argv) {
  if (Status s = failpoint::InitFromEnv(); !s.ok()) return Fail(s);
  std::string_view verb = argc > 1 ? argv[1] : "";
  if (verb == "list-failpoints" && argc == 2) {
    for (const std::string& name : failpoint::Known()) Print(name + "\n");
    return 0;
  }
  if (verb == "append" && argc >= 4 && argc <= 6) {
    return Append(argv[2], Number(argv[3]), argc > 4 ? Number(argv[4]) : 100,
                  argc > 5 ? Number(argv[5]) : 0);
  }
  if (verb == "verify" && argc == 4) return Verify(argv[2], Number(argv[3]));
  std::fprintf(stderr,
               "usage: wal_fault_helper list-failpoints | append DIR COUNT [PAYLOAD_BYTES "
               "[SNAPSHOT_EVERY]] | verify DIR ACKED\n");
  return 64;
}
