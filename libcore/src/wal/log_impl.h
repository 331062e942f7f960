// The state behind wal::Log, shared by the caller-side API (log.cpp) and the
// writer thread (writer.cpp).
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "file.h"
#include "scan.h"
#include "shardkit/wal/log.h"

namespace shardkit::wal {

struct Log::Impl {
  Impl(const DataDir& d, LogOptions o) : wal_dir(d.wal_dir()), reports(d.options()), options(o) {}

  // The writer thread's loop: waits for work, writes a batch, publishes.
  void Run();
  // Seals, writes and fdatasyncs one batch of encoded records, starting new
  // segments as they fill. Any failure has already gone to the FatalHandler.
  Status WriteBatch(std::vector<char>& batch);
  // Closes the current segment (already fdatasynced) and creates the one
  // whose first record is `first_lsn`: create, fsync it, fsync the directory.
  Status Roll(uint64_t first_lsn);
  // Queues an encoded copy of a record whose LSN is next_lsn (the caller
  // holds `mu`, checked the payload size and advances next_lsn). Returns true
  // when the writer must be woken.
  bool QueueLocked(uint8_t type, uint64_t epoch, uint64_t lsn, std::string_view payload);
  // Reports `message` to the FatalHandler; returns Internal(message) if the
  // handler returns.
  Status Fail(const std::string& message);
  void Notify();  // wakes notify_fd()

  // Copied from the DataDir, which may move while the log is open.
  const std::string wal_dir;
  const DataDirOptions reports;
  const LogOptions options;
  Fd notify;  // eventfd, written when written_lsn or durable_lsn advances

  mutable std::mutex mu;
  std::condition_variable writer_cv;   // the writer waits on it for work
  std::condition_variable durable_cv;  // SyncUpTo waits on it
  std::vector<char> pending;           // encoded, unsealed records; guarded by mu
  uint64_t next_lsn = 1;               // guarded by mu
  uint64_t last_epoch = 0;             // guarded by mu; of the record at next_lsn - 1
  bool sync_requested = false;         // guarded by mu
  bool stopping = false;               // guarded by mu
  Status failure;                      // guarded by mu; set once the writer has failed

  std::atomic<uint64_t> durable_lsn{0};  // written by the writer, under mu
  // Handed to write(2), maybe not fsynced yet; >= durable_lsn. Written by
  // the writer thread only.
  std::atomic<uint64_t> written_lsn{0};
  uint64_t durable_epoch = 0;  // guarded by mu; of the record at durable_lsn
  std::atomic<uint64_t> records{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> fsyncs{0};

  mutable std::mutex seg_mu;
  std::vector<SegmentFile> segments;  // guarded by seg_mu; the last is being written

  // Owned by the writer thread once it runs.
  Fd seg_fd;              // the segment being written, or none before the first batch
  std::string seg_path;   // its path
  uint64_t seg_size = 0;  // its size in bytes

  std::thread writer;
};

}  // namespace shardkit::wal
