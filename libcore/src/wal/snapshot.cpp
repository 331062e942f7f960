// Writing, finding and reading snapshots (layout in wal/snapshot.h).
#include "shardkit/wal/snapshot.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <xxhash.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "file.h"
#include "record_format.h"
#include "shardkit/failpoint/failpoint.h"
#include "snapshot_format.h"

namespace shardkit::wal {
namespace {

const failpoint::Point kBeforeRename{"wal.before-snapshot-rename"};
const failpoint::Point kAfterRename{"wal.after-snapshot-rename"};

constexpr const char* kMagic = kSnapshotMagic;
constexpr const char* kEndMagic = kSnapshotEndMagic;
constexpr size_t kHeaderBytes = kSnapshotHeaderBytes;
constexpr size_t kTrailerBytes = kSnapshotTrailerBytes;
constexpr uint32_t kTrailerMark = kSnapshotTrailerMark;
constexpr size_t kBufferBytes = size_t{1} << 20;

}  // namespace

struct SnapshotWriter::Impl {
  Fd fd;
  std::string path;
  HashState hash = NewHashState();
  std::vector<char> buf;
  uint64_t count = 0;

  // Hashes and buffers `data`; writes the buffer out when it is full.
  Status Put(const char* data, size_t size) {
    XXH3_64bits_update(hash.get(), data, size);
    buf.insert(buf.end(), data, data + size);
    return buf.size() >= kBufferBytes ? Flush() : Status::Ok();
  }
  Status Flush() {
    if (!WriteAll(fd.get(), buf.data(), buf.size())) return ErrnoStatus("write " + path);
    buf.clear();
    return Status::Ok();
  }
};

Status SnapshotWriter::Append(std::string_view entry) {
  if (entry.size() > kMaxSnapshotEntryBytes) {
    return Status::DataError("snapshot entry of " + std::to_string(entry.size()) +
                             " bytes exceeds the 64 MiB limit");
  }
  char len[4];
  StoreLe<uint32_t>(len, static_cast<uint32_t>(entry.size()));
  SK_RETURN_IF_ERROR(impl_->Put(len, sizeof len));
  SK_RETURN_IF_ERROR(impl_->Put(entry.data(), entry.size()));
  ++impl_->count;
  return Status::Ok();
}

uint64_t SnapshotWriter::entries() const { return impl_->count; }

Status WriteSnapshot(const DataDir& dir, uint64_t lsn,
                     const std::function<Status(SnapshotWriter&)>& fill) {
  const std::string final_path = dir.snap_dir() + "/" + LsnFileName(lsn, ".snap");
  SnapshotWriter::Impl w;
  w.path = final_path + ".tmp.XXXXXX";
  w.fd = Fd(::mkostemp(w.path.data(), O_CLOEXEC));
  if (!w.fd.valid()) return ErrnoStatus("cannot create a temporary file in " + dir.snap_dir());
  // Removes the temporary file on every early return.
  struct Unlinker {
    std::string* path;
    ~Unlinker() {
      if (path) ::unlink(path->c_str());
    }
  } unlinker{&w.path};
  if (!w.hash) return Status::Internal("out of memory for a hash state");
  // mkostemp creates 0600; a snapshot is as readable as the segments.
  if (::fchmod(w.fd.get(), 0644) != 0) return ErrnoStatus("chmod " + w.path);

  char header[kHeaderBytes];
  std::memcpy(header, kMagic, 8);
  StoreLe<uint64_t>(header + 8, lsn);
  SK_RETURN_IF_ERROR(w.Put(header, sizeof header));
  SnapshotWriter writer(&w);
  SK_RETURN_IF_ERROR(fill(writer));

  char trailer[kTrailerBytes];
  StoreLe<uint32_t>(trailer, kTrailerMark);
  StoreLe<uint64_t>(trailer + 4, w.count);
  XXH3_64bits_update(w.hash.get(), trailer, 12);
  StoreLe<uint64_t>(trailer + 12, XXH3_64bits_digest(w.hash.get()));
  std::memcpy(trailer + 20, kEndMagic, 8);
  w.buf.insert(w.buf.end(), trailer, trailer + sizeof trailer);
  SK_RETURN_IF_ERROR(w.Flush());

  // The data must be on disk before the name points at it (rule 3). This
  // fsync failing loses nothing: the log still holds everything.
  if (::fsync(w.fd.get()) != 0) return ErrnoStatus("fsync " + w.path);
  if (w.fd.Close() != 0) return ErrnoStatus("close " + w.path);
  SK_RETURN_IF_ERROR(kBeforeRename.Hit());
  if (::rename(w.path.c_str(), final_path.c_str()) != 0) {
    return ErrnoStatus("rename " + w.path + " to " + final_path);
  }
  unlinker.path = nullptr;
  SK_RETURN_IF_ERROR(kAfterRename.Hit());
  if (FsyncDir(dir.snap_dir()) != 0) {
    std::string m = "fsync directory " + dir.snap_dir() + ": " + ErrnoText(errno);
    dir.Fatal(m);
    return Status::Internal(m);
  }
  return Status::Ok();
}

namespace {

// One attempt: lists `snap_dir`, then checks the newest file's trailer.
// NoInput when that file vanished in between (a writer deleting it).
Result<std::optional<SnapshotInfo>> FindNewest(const std::string& snap_dir) {
  auto names = ListDir(snap_dir);
  if (!names.ok()) return names.status();
  std::optional<SnapshotInfo> newest;
  for (const std::string& name : *names) {
    uint64_t lsn = 0;
    if (!ParseLsnFileName(name, ".snap", &lsn)) continue;
    if (!newest || lsn > newest->lsn) newest = SnapshotInfo{lsn, snap_dir + "/" + name, 0};
  }
  if (!newest) return newest;

  Fd fd(::open(newest->path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus("cannot open " + newest->path);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("stat " + newest->path);
  newest->bytes = uint64_t(st.st_size);
  char trailer[kTrailerBytes];
  if (newest->bytes < kHeaderBytes + kTrailerBytes ||
      PreadFull(fd.get(), trailer, sizeof trailer, newest->bytes - kTrailerBytes) !=
          ssize_t(sizeof trailer) ||
      LoadLe<uint32_t>(trailer) != kTrailerMark || std::memcmp(trailer + 20, kEndMagic, 8) != 0) {
    return Status::IoError(newest->path + ": incomplete or damaged snapshot (bad trailer)");
  }
  return newest;
}

}  // namespace

Result<std::optional<SnapshotInfo>> NewestSnapshot(const DataDir& dir) {
  return FindNewest(dir.snap_dir());
}

Result<std::optional<SnapshotInfo>> NewestSnapshot(const std::string& snap_dir) {
  // A writer deletes its older snapshots only after writing a newer one, so
  // a retry finds that one; a few attempts cover a writer snapshotting fast.
  constexpr int kAttempts = 4;
  for (int attempt = 1;; ++attempt) {
    auto newest = FindNewest(snap_dir);
    if (newest.ok() || newest.status().code() != Code::kNoInput || attempt == kAttempts) {
      return newest;
    }
  }
}

Status DeleteSnapshotsBefore(const DataDir& dir, uint64_t lsn) {
  auto names = ListDir(dir.snap_dir());
  if (!names.ok()) return names.status();
  bool removed = false;
  for (const std::string& name : *names) {
    uint64_t snap_lsn = 0;
    if (!ParseLsnFileName(name, ".snap", &snap_lsn) || snap_lsn >= lsn) continue;
    std::string path = dir.snap_dir() + "/" + name;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("cannot remove " + path);
    removed = true;
  }
  if (removed && FsyncDir(dir.snap_dir()) != 0) {
    std::string m = "fsync directory " + dir.snap_dir() + ": " + ErrnoText(errno);
    dir.Fatal(m);
    return Status::Internal(m);
  }
  return Status::Ok();
}

}  // namespace shardkit::wal
