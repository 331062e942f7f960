// The group-commit writer thread.
//
// Everything appended while one batch is being written and fdatasynced
// becomes the next batch, so under load one fdatasync covers many records
// and at low load a lone record is synced at once. The writer never holds
// `mu` across I/O; callers only ever wait for it in SyncUpTo.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "log_impl.h"
#include "record_format.h"
#include "shardkit/failpoint/failpoint.h"

namespace shardkit::wal {
namespace {

const failpoint::Point kBeforeWrite{"wal.before-write"};
const failpoint::Point kAfterWrite{"wal.after-write"};
const failpoint::Point kBeforeFsync{"wal.before-fsync"};
const failpoint::Point kAfterFsync{"wal.after-fsync"};
const failpoint::Point kBeforeSegmentCreate{"wal.before-segment-create"};
const failpoint::Point kAfterSegmentCreate{"wal.after-segment-create"};

}  // namespace

Status Log::Impl::Fail(const std::string& message) {
  reports.on_fatal(message);
  return Status::Internal(message);
}

Status Log::Impl::Roll(uint64_t first_lsn) {
  // The old segment's data was fdatasynced with its last batch, so a
  // finished segment is always complete: recovery relies on that to treat
  // damage anywhere but in the last segment as corruption.
  seg_fd.Close();
  if (Status s = kBeforeSegmentCreate.Hit(); !s.ok()) return Fail(s.message());
  std::string path = wal_dir + "/" + LsnFileName(first_lsn, ".seg");
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) return Fail("create " + path + ": " + ErrnoText(errno));
  if (::fsync(fd.get()) != 0) return Fail("fsync " + path + ": " + ErrnoText(errno));
  fsyncs.fetch_add(1, std::memory_order_relaxed);
  // Rule 2: the new name is durable before any record in it is reported so.
  if (FsyncDir(wal_dir) != 0) {
    return Fail("fsync directory " + wal_dir + ": " + ErrnoText(errno));
  }
  fsyncs.fetch_add(1, std::memory_order_relaxed);
  if (Status s = kAfterSegmentCreate.Hit(); !s.ok()) return Fail(s.message());
  {
    std::lock_guard lock(seg_mu);
    segments.push_back({first_lsn, path});
  }
  seg_fd = std::move(fd);
  seg_path = std::move(path);
  seg_size = 0;
  return Status::Ok();
}

Status Log::Impl::WriteBatch(std::vector<char>& batch) {
  size_t pos = 0;
  while (pos < batch.size()) {
    const size_t first = kRecordHeaderBytes + RecordLength(batch.data() + pos);
    if (!seg_fd.valid() || (seg_size > 0 && seg_size + first > options.segment_bytes)) {
      SK_RETURN_IF_ERROR(Roll(RecordLsn(batch.data() + pos)));
    }
    // The chunk is every record that still fits in this segment (at least
    // one, so an oversized record gets a segment of its own).
    size_t end = pos, last = pos;
    while (end < batch.size()) {
      const size_t size = kRecordHeaderBytes + RecordLength(batch.data() + end);
      if (end > pos && seg_size + (end - pos) + size > options.segment_bytes) break;
      SealRecord(batch.data() + end);
      last = end;
      end += size;
    }
    if (Status s = kBeforeWrite.Hit(); !s.ok()) return Fail(s.message());
    if (!WriteAll(seg_fd.get(), batch.data() + pos, end - pos)) {
      return Fail("write " + seg_path + ": " + ErrnoText(errno));
    }
    if (Status s = kAfterWrite.Hit(); !s.ok()) return Fail(s.message());
    // In the page cache now: a crash of this process keeps these records
    // (only the machine's can lose them), so a primary may ship them to its
    // replicas while the fdatasync runs (DESIGN.md §8, streaming).
    written_lsn.store(RecordLsn(batch.data() + last), std::memory_order_release);
    Notify();
    if (Status s = kBeforeFsync.Hit(); !s.ok()) return Fail(s.message());
    if (::fdatasync(seg_fd.get()) != 0) {
      return Fail("fdatasync " + seg_path + ": " + ErrnoText(errno));
    }
    fsyncs.fetch_add(1, std::memory_order_relaxed);
    if (Status s = kAfterFsync.Hit(); !s.ok()) return Fail(s.message());
    seg_size += end - pos;
    pos = end;
  }
  return Status::Ok();
}

void Log::Impl::Run() {
  std::vector<char> batch;
  while (true) {
    uint64_t batch_last = 0, batch_epoch = 0;
    {
      std::unique_lock lock(mu);
      writer_cv.wait(lock, [this] {
        return stopping ||
               (!pending.empty() && (sync_requested || pending.size() >= options.flush_bytes));
      });
      if (pending.empty()) return;  // stopping, and everything is written
      // Swap rather than copy: appenders continue into the buffer this
      // thread used last time, keeping its capacity.
      batch.swap(pending);
      pending.clear();
      sync_requested = false;
      batch_last = next_lsn - 1;
      batch_epoch = last_epoch;
    }
    Status s = WriteBatch(batch);
    batch.clear();
    {
      std::lock_guard lock(mu);
      if (!s.ok()) {
        failure = s;
      } else {
        durable_lsn.store(batch_last, std::memory_order_release);
        durable_epoch = batch_epoch;
      }
    }
    durable_cv.notify_all();
    if (!s.ok()) return;  // never retry after a failed write or fsync (rule 4)
    batches.fetch_add(1, std::memory_order_relaxed);
    Notify();
  }
}

void Log::Impl::Notify() {
  const uint64_t one = 1;
  // An eventfd write fails only when the counter would overflow, which
  // still leaves it readable: nothing to handle.
  (void)!::write(notify.get(), &one, sizeof one);
}

}  // namespace shardkit::wal
