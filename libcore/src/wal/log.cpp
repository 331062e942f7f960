// The caller side of wal::Log: recovery at Open, Append, syncs, replay and
// segment deletion. The writer thread is in writer.cpp.
#include "shardkit/wal/log.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "install.h"
#include "log_impl.h"
#include "record_format.h"

namespace shardkit::wal {

Result<Log> Log::Open(const DataDir& dir, LogOptions options, uint64_t replay_from,
                      const RecordFn& on_record) {
  if (options.segment_bytes == 0) return Status::Usage("wal segment size must be positive");
  // An install that failed after its commit point left the segments half
  // deleted; only DataDir::Open finishes it (see InstallSnapshot).
  auto unfinished = FindUnfinishedInstall(dir.snap_dir());
  if (!unfinished.ok()) return unfinished.status();
  if (*unfinished) {
    return Status::IoError((*unfinished)->path +
                           ": a snapshot install is unfinished; reopen the data directory "
                           "to finish it");
  }

  auto segments = ListSegments(dir.wal_dir());
  if (!segments.ok()) return segments.status();

  ScanOptions scan_options;
  scan_options.from_lsn = replay_from;
  scan_options.repair_tail = true;
  auto scan = ScanLog(dir.wal_dir(), dir.options(), *segments, scan_options, on_record);
  if (!scan.ok()) return scan.status();

  uint64_t next_lsn = scan->next_lsn;
  if (segments->empty()) {
    next_lsn = std::max<uint64_t>(1, replay_from);
  } else if (replay_from > next_lsn) {
    return Status::IoError(dir.wal_dir() + ": the log ends at LSN " + std::to_string(next_lsn - 1) +
                           " but records from LSN " + std::to_string(replay_from) +
                           " are needed (records were lost)");
  }

  auto impl = std::make_unique<Impl>(dir, options);
  impl->next_lsn = next_lsn;
  impl->last_epoch = segments->empty() ? 0 : scan->last_epoch;
  impl->durable_epoch = impl->last_epoch;
  impl->durable_lsn.store(next_lsn - 1);
  impl->written_lsn.store(next_lsn - 1);
  if (!segments->empty()) {
    const SegmentFile& last = segments->back();
    impl->seg_fd = Fd(::open(last.path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!impl->seg_fd.valid()) return ErrnoStatus("cannot open " + last.path);
    if (::lseek(impl->seg_fd.get(), off_t(scan->last_segment_size), SEEK_SET) < 0) {
      return ErrnoStatus("seek " + last.path);
    }
    impl->seg_path = last.path;
    impl->seg_size = scan->last_segment_size;
    // Recovery may have read records the previous process wrote but never
    // synced: a process crash keeps them in the page cache. Make them
    // durable before anything is built on them, and before a roll-over
    // leaves this segment behind unsynced. (Finished segments were synced
    // before their successor was created, so only the last can be dirty.)
    if (::fdatasync(impl->seg_fd.get()) != 0 || FsyncDir(dir.wal_dir()) != 0) {
      std::string m = "fsync " + last.path + ": " + ErrnoText(errno);
      dir.Fatal(m);
      return Status::Internal(m);
    }
  }
  impl->segments = std::move(*segments);
  impl->notify = Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!impl->notify.valid()) return ErrnoStatus("eventfd");
  Impl* raw = impl.get();
  impl->writer = std::thread([raw] { raw->Run(); });
  return Log(std::move(impl));
}

Log::Log(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Log::Log(Log&&) noexcept = default;

Log& Log::operator=(Log&& other) noexcept {
  if (this != &other) {
    Log old(std::move(*this));  // stops this log's writer first
    impl_ = std::move(other.impl_);
  }
  return *this;
}

Log::~Log() {
  if (!impl_) return;
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->writer_cv.notify_one();
  if (impl_->writer.joinable()) impl_->writer.join();
}

uint64_t Log::Append(uint8_t type, uint64_t epoch, std::string_view payload) {
  Impl& m = *impl_;
  if (payload.size() > kMaxPayloadBytes) {
    m.reports.on_fatal("wal: a record of " + std::to_string(payload.size()) +
                       " bytes exceeds the 64 MiB limit (a caller must bound its inputs)");
    return 0;
  }
  bool wake = false;
  uint64_t lsn = 0;
  {
    std::lock_guard lock(m.mu);
    lsn = m.next_lsn++;
    wake = m.QueueLocked(type, epoch, lsn, payload);
  }
  if (wake) m.writer_cv.notify_one();
  return lsn;
}

Status Log::AppendRecord(uint8_t type, uint64_t epoch, uint64_t lsn, std::string_view payload) {
  Impl& m = *impl_;
  if (payload.size() > kMaxPayloadBytes) {
    return Status::DataError("wal: record " + std::to_string(lsn) + " has " +
                             std::to_string(payload.size()) +
                             " payload bytes, over the 64 MiB limit");
  }
  bool wake = false;
  {
    std::lock_guard lock(m.mu);
    if (lsn != m.next_lsn) {
      return Status::DataError("wal: record " + std::to_string(lsn) +
                               " cannot be appended: the log ends at LSN " +
                               std::to_string(m.next_lsn - 1));
    }
    if (epoch < m.last_epoch) {
      return Status::DataError("wal: record " + std::to_string(lsn) + " has epoch " +
                               std::to_string(epoch) + ", below the log's last epoch " +
                               std::to_string(m.last_epoch));
    }
    ++m.next_lsn;
    wake = m.QueueLocked(type, epoch, lsn, payload);
  }
  if (wake) m.writer_cv.notify_one();
  return Status::Ok();
}

bool Log::Impl::QueueLocked(uint8_t type, uint64_t epoch, uint64_t lsn, std::string_view payload) {
  char header[kRecordHeaderBytes];
  EncodeHeader(header, type, epoch, lsn, static_cast<uint32_t>(payload.size()));
  const size_t before = pending.size();
  pending.insert(pending.end(), header, header + kRecordHeaderBytes);
  pending.insert(pending.end(), payload.begin(), payload.end());
  last_epoch = epoch;
  records.fetch_add(1, std::memory_order_relaxed);
  bytes.fetch_add(kRecordHeaderBytes + payload.size(), std::memory_order_relaxed);
  // Wake the writer only on crossing the threshold, not on every append.
  return before < options.flush_bytes && pending.size() >= options.flush_bytes;
}

void Log::RequestSync() {
  Impl& m = *impl_;
  bool wake = false;
  {
    std::lock_guard lock(m.mu);
    // With nothing pending, any batch in flight already covers every record.
    if (!m.pending.empty() && !m.sync_requested) {
      m.sync_requested = true;
      wake = true;
    }
  }
  if (wake) m.writer_cv.notify_one();
}

Status Log::SyncUpTo(uint64_t lsn) {
  Impl& m = *impl_;
  std::unique_lock lock(m.mu);
  if (lsn >= m.next_lsn) {
    return Status::Internal("wal: cannot sync up to LSN " + std::to_string(lsn) +
                            ": the last LSN is " + std::to_string(m.next_lsn - 1));
  }
  if (m.durable_lsn.load(std::memory_order_acquire) >= lsn) return Status::Ok();
  if (!m.failure.ok()) return m.failure;
  if (!m.pending.empty() && !m.sync_requested) {
    m.sync_requested = true;
    m.writer_cv.notify_one();
  }
  m.durable_cv.wait(lock, [&] {
    return m.durable_lsn.load(std::memory_order_acquire) >= lsn || !m.failure.ok();
  });
  return m.durable_lsn.load(std::memory_order_acquire) >= lsn ? Status::Ok() : m.failure;
}

uint64_t Log::durable_lsn() const { return impl_->durable_lsn.load(std::memory_order_acquire); }

uint64_t Log::written_lsn() const { return impl_->written_lsn.load(std::memory_order_acquire); }

uint64_t Log::last_lsn() const {
  std::lock_guard lock(impl_->mu);
  return impl_->next_lsn - 1;
}

LogPosition Log::durable_position() const {
  std::lock_guard lock(impl_->mu);
  return LogPosition{impl_->durable_epoch, impl_->durable_lsn.load(std::memory_order_relaxed)};
}

uint64_t Log::last_epoch() const {
  std::lock_guard lock(impl_->mu);
  return impl_->last_epoch;
}

int Log::notify_fd() const { return impl_->notify.get(); }

uint64_t Log::ConsumeNotify() {
  uint64_t count = 0;
  (void)!::read(impl_->notify.get(), &count, sizeof count);  // EAGAIN: nothing new
  return durable_lsn();
}

Status Log::Replay(uint64_t from_lsn, const RecordFn& fn) const {
  // Read the limit before listing segments: every record up to it is in a
  // segment that is already listed.
  ScanOptions options;
  options.from_lsn = from_lsn;
  options.limit_lsn = durable_lsn();
  std::vector<SegmentFile> segments;
  {
    std::lock_guard lock(impl_->seg_mu);
    segments = impl_->segments;
  }
  if (options.from_lsn > options.limit_lsn) return Status::Ok();
  auto scan = ScanLog(impl_->wal_dir, impl_->reports, segments, options, fn);
  return scan.status();
}

Status Log::DeleteSegmentsBefore(uint64_t lsn) {
  Impl& m = *impl_;
  std::vector<std::string> doomed;
  {
    std::lock_guard lock(m.seg_mu);
    // Segment i holds LSNs [first_i, first_{i+1}); all are below `lsn` when
    // first_{i+1} <= lsn. The last segment is never deleted.
    size_t n = 0;
    while (n + 1 < m.segments.size() && m.segments[n + 1].first_lsn <= lsn) ++n;
    for (size_t i = 0; i < n; ++i) doomed.push_back(m.segments[i].path);
    m.segments.erase(m.segments.begin(), m.segments.begin() + ptrdiff_t(n));
  }
  if (doomed.empty()) return Status::Ok();
  for (const std::string& path : doomed) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("cannot remove " + path);
  }
  if (FsyncDir(m.wal_dir) != 0) {
    return m.Fail("fsync directory " + m.wal_dir + ": " + ErrnoText(errno));
  }
  return Status::Ok();
}

LogStats Log::stats() const {
  LogStats s;
  s.records = impl_->records.load(std::memory_order_relaxed);
  s.bytes = impl_->bytes.load(std::memory_order_relaxed);
  s.batches = impl_->batches.load(std::memory_order_relaxed);
  s.fsyncs = impl_->fsyncs.load(std::memory_order_relaxed);
  return s;
}

size_t Log::pending_bytes() const {
  std::lock_guard lock(impl_->mu);
  return impl_->pending.size();
}

}  // namespace shardkit::wal
