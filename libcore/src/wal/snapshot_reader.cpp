// Streaming, verifying reads of a snapshot (layout in wal/snapshot.h).
#include <fcntl.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "file.h"
#include "record_format.h"
#include "shardkit/wal/snapshot.h"
#include "snapshot_format.h"

namespace shardkit::wal {
namespace {

constexpr const char* kMagic = kSnapshotMagic;
constexpr const char* kEndMagic = kSnapshotEndMagic;
constexpr uint32_t kTrailerMark = kSnapshotTrailerMark;
constexpr size_t kReadChunk = size_t{1} << 20;

}  // namespace

struct SnapshotReader::Impl {
  std::string path;
  uint64_t lsn = 0;
  Fd fd;
  HashState hash;
  std::vector<char> buf;
  size_t begin = 0, end = 0;
  uint64_t offset = 0;  // file offset of buf[begin]
  uint64_t count = 0;
  bool done = false;

  Status Damaged(const std::string& why) const {
    return Status::IoError(path + ": damaged snapshot at offset " + std::to_string(offset) + ": " +
                           why);
  }

  // Makes `want` unread bytes available; false if the file ends first.
  Result<bool> Fill(size_t want) {
    if (end - begin >= want) return true;
    if (begin > 0) {
      std::memmove(buf.data(), buf.data() + begin, end - begin);
      end -= begin;
      begin = 0;
    }
    if (buf.size() < want) buf.resize(want);
    if (buf.size() < kReadChunk) buf.resize(kReadChunk);
    while (end < want) {
      ssize_t n = ::read(fd.get(), buf.data() + end, buf.size() - end);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoStatus("read " + path);
      if (n == 0) return false;
      end += size_t(n);
    }
    return true;
  }

  // Consumes `n` available bytes, hashing them when `hashed`.
  const char* Take(size_t n, bool hashed) {
    const char* p = buf.data() + begin;
    if (hashed) XXH3_64bits_update(hash.get(), p, n);
    begin += n;
    offset += n;
    return p;
  }
};

SnapshotReader::SnapshotReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SnapshotReader::SnapshotReader(SnapshotReader&&) noexcept = default;
SnapshotReader& SnapshotReader::operator=(SnapshotReader&&) noexcept = default;
SnapshotReader::~SnapshotReader() = default;

uint64_t SnapshotReader::lsn() const { return impl_->lsn; }

Result<SnapshotReader> SnapshotReader::Open(const SnapshotInfo& info) {
  auto impl = std::make_unique<Impl>();
  impl->path = info.path;
  impl->fd = Fd(::open(info.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!impl->fd.valid()) return ErrnoStatus("cannot open " + info.path);
  (void)::posix_fadvise(impl->fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  impl->hash = NewHashState();
  if (!impl->hash) return Status::Internal("out of memory for a hash state");
  auto have = impl->Fill(16);
  if (!have.ok()) return have.status();
  if (!*have || std::memcmp(impl->buf.data(), kMagic, 8) != 0) {
    return impl->Damaged("not a shardkit snapshot (bad magic)");
  }
  const char* header = impl->Take(16, true);
  impl->lsn = LoadLe<uint64_t>(header + 8);
  if (impl->lsn != info.lsn) {
    return Status::IoError(info.path + ": snapshot header says LSN " + std::to_string(impl->lsn) +
                           ", its name says " + std::to_string(info.lsn));
  }
  return SnapshotReader(std::move(impl));
}

Result<bool> SnapshotReader::Next(std::string* entry) {
  Impl& r = *impl_;
  if (r.done) return false;
  auto have = r.Fill(4);
  if (!have.ok()) return have.status();
  if (!*have) return r.Damaged("file ends inside an entry length (no trailer)");
  const uint32_t length = LoadLe<uint32_t>(r.buf.data() + r.begin);
  if (length != kTrailerMark) {
    if (length > kMaxSnapshotEntryBytes) {
      return r.Damaged("entry length " + std::to_string(length) + " exceeds the 64 MiB limit");
    }
    have = r.Fill(4 + size_t(length));
    if (!have.ok()) return have.status();
    if (!*have) return r.Damaged("file ends inside an entry (no trailer)");
    r.Take(4, true);
    const char* p = r.Take(length, true);
    entry->assign(p, length);
    ++r.count;
    return true;
  }

  have = r.Fill(28);
  if (!have.ok()) return have.status();
  if (!*have) return r.Damaged("file ends inside the trailer");
  const char* t = r.Take(12, true);
  const uint64_t count = LoadLe<uint64_t>(t + 4);
  const uint64_t expected_hash = XXH3_64bits_digest(r.hash.get());
  const char* rest = r.Take(16, false);
  if (LoadLe<uint64_t>(rest) != expected_hash) return r.Damaged("checksum mismatch");
  if (count != r.count) {
    return r.Damaged("trailer counts " + std::to_string(count) + " entries, the file holds " +
                     std::to_string(r.count));
  }
  if (std::memcmp(rest + 8, kEndMagic, 8) != 0) return r.Damaged("bad end marker");
  have = r.Fill(1);
  if (!have.ok()) return have.status();
  if (*have) return r.Damaged("bytes after the trailer");
  r.done = true;
  return false;
}

}  // namespace shardkit::wal
