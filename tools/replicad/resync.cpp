// ResyncSender and ResyncReceiver (resync.h).
#include "resync.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "shardkit/wal/snapshot.h"

namespace replicad {

using namespace shardkit;

namespace {

constexpr int kChunksPerPump = 4;

Status Errno(const std::string& what, const std::string& path) {
  return Status::IoError(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

std::optional<ResyncSender::Done> ResyncSender::Queue(Request request) {
  for (Request& waiting : queue_) {
    if (waiting.to != request.to) continue;
    Done replaced{waiting.to, waiting.session, 0, 0,
                  Status::Temporary("replaced by a later resync request")};
    waiting = std::move(request);
    return replaced;
  }
  queue_.push_back(std::move(request));
  return std::nullopt;
}

std::optional<ResyncSender::Done> ResyncSender::Supersede(const std::string& to, uint64_t session) {
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (it->to != to || it->session >= session) continue;
    Done dropped{it->to, it->session, 0, 0, Status::Temporary("the replica started a new session")};
    queue_.erase(it);
    return dropped;
  }
  return std::nullopt;
}

Status ResyncSender::Begin(Request r) {
  current_ = std::move(r);
  auto newest = wal::NewestSnapshot(data_dir_ + "/snap");
  if (!newest.ok()) return newest.status();
  if (!*newest) return Status::NoInput("no snapshot in " + data_dir_ + "/snap to resync from");
  net::UniqueFd fd(::open((*newest)->path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Errno("cannot open", (*newest)->path);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Errno("cannot stat", (*newest)->path);
  fd_ = std::move(fd);
  lsn_ = (*newest)->lsn;
  total_ = static_cast<uint64_t>(st.st_size);
  offset_ = 0;
  // The epoch of the record at lsn_: the newest epoch that began at or
  // before it.
  snapshot_epoch_ = 0;
  for (const wire::EpochStart& e : current_.history) {
    if (e.start_lsn <= lsn_) snapshot_epoch_ = e.epoch;
  }
  return Status::Ok();
}

std::vector<ResyncSender::Done> ResyncSender::Pump(const SendFn& send, uint64_t min_lsn) {
  std::vector<Done> ended;
  waiting_for_ = 0;
  if (fd_.get() < 0 && !queue_.empty() && min_lsn > 0) {
    auto newest = wal::NewestSnapshot(data_dir_ + "/snap");
    if (newest.ok() && (!*newest || (*newest)->lsn < min_lsn)) {
      waiting_for_ = min_lsn;
      return ended;
    }
  }
  while (fd_.get() < 0 && !queue_.empty()) {
    Request next = std::move(queue_.front());
    queue_.pop_front();
    if (Status s = Begin(std::move(next)); !s.ok()) {
      ended.push_back(Done{current_.to, current_.session, 0, 0, s});
    }
  }
  if (fd_.get() < 0) return ended;
  wire::ReplSnapshotChunk chunk;
  for (int i = 0; i < kChunksPerPump && offset_ < total_; ++i) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kChunkBytes, total_ - offset_));
    chunk.data.resize(n);
    const ssize_t got = ::pread(fd_.get(), chunk.data.data(), n, static_cast<off_t>(offset_));
    if (got != static_cast<ssize_t>(n)) {
      fd_ = net::UniqueFd();
      ended.push_back(Done{current_.to, current_.session, lsn_, snapshot_epoch_,
                           Status::IoError("short read of the resync snapshot at offset " +
                                           std::to_string(offset_))});
      return ended;
    }
    chunk.epoch = current_.epoch;
    chunk.snapshot_lsn = lsn_;
    chunk.snapshot_epoch = snapshot_epoch_;
    chunk.offset = offset_;
    chunk.total = total_;
    chunk.session = current_.session;
    send(current_.to, chunk);
    offset_ += n;
  }
  if (offset_ >= total_) {
    fd_ = net::UniqueFd();
    ended.push_back(Done{current_.to, current_.session, lsn_, snapshot_epoch_, Status::Ok()});
  }
  return ended;
}

Result<bool> ResyncReceiver::Add(const wire::ReplSnapshotChunk& c) {
  if (state_ == State::kInstalling) {
    return Status::Temporary("the writer is installing the snapshot of " + std::to_string(lsn_));
  }
  if (c.offset == 0) {
    path_ = data_dir_ + "/resync.tmp";
    fd_ = net::UniqueFd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd_.get() < 0) {
      state_ = State::kIdle;
      return Errno("cannot create", path_);
    }
    lsn_ = c.snapshot_lsn;
    epoch_ = c.snapshot_epoch;
    session_ = c.session;
    total_ = c.total;
    written_ = 0;
    state_ = State::kReceiving;
  }
  if (state_ != State::kReceiving || c.snapshot_lsn != lsn_ || c.session != session_ ||
      c.total != total_ || c.offset != written_ || c.data.size() > total_ - written_) {
    return Status::DataError("chunk at offset " + std::to_string(c.offset) + " of snapshot " +
                             std::to_string(c.snapshot_lsn) + " (session " +
                             std::to_string(c.session) + ") does not continue the one at " +
                             std::to_string(written_) + " of snapshot " + std::to_string(lsn_) +
                             " (session " + std::to_string(session_) + ")");
  }
  const char* p = c.data.data();
  size_t left = c.data.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_.get(), p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      state_ = State::kIdle;
      return Errno("cannot write", path_);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  written_ += c.data.size();
  if (written_ < total_) return false;
  if (::fsync(fd_.get()) != 0) {
    state_ = State::kIdle;
    return Status::Internal("fsync " + path_ + ": " + std::strerror(errno));
  }
  fd_ = net::UniqueFd();
  state_ = State::kComplete;
  return true;
}

void ResyncReceiver::Discard() {
  if (state_ == State::kComplete) (void)::unlink(path_.c_str());
  state_ = State::kIdle;
  fd_ = net::UniqueFd();
}

}  // namespace replicad
