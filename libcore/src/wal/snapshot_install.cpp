// Installing a snapshot received from a primary in place of the whole local
// state (wal/snapshot.h, InstallSnapshot), and finishing an install that a
// crash interrupted (install.h).
//
// The commit point is the fsynced rename of the verified file to
// snap/<lsn>.snap.install. Everything after it only removes what the new
// state replaces and is repeated by DataDir::Open after a crash:
//
//   verify file -> fsync file -> rename to <lsn>.snap.install -> fsync snap/
//   (commit) -> delete segments -> fsync wal/ -> delete snapshots -> fsync
//   snap/ -> rename to <lsn>.snap -> fsync snap/
//
// The failpoints here are evaluated by name, not declared as
// failpoint::Point, so they stay out of failpoint::Known(): that list drives
// the append-and-crash matrix of tests/fault/wal_fault.bats, whose workload
// never installs a snapshot. tests/unit/wal/install_test.cpp injects errors
// at them to stand in for crashes between the steps.
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "file.h"
#include "install.h"
#include "record_format.h"
#include "scan.h"
#include "shardkit/failpoint/failpoint.h"
#include "shardkit/wal/snapshot.h"
#include "snapshot_format.h"

namespace shardkit::wal {
namespace {

constexpr std::string_view kBeforeCommit = "wal.before-install-commit";
constexpr std::string_view kAfterCommit = "wal.after-install-commit";
constexpr std::string_view kAfterLogDelete = "wal.after-install-log-delete";
constexpr std::string_view kBeforeFinalRename = "wal.before-install-final-rename";

// Fsyncs `dir` or reports a fatal durability failure.
Status SyncDir(const DataDir& dir, const std::string& path) {
  if (FsyncDir(path) == 0) return Status::Ok();
  std::string m = "fsync directory " + path + ": " + ErrnoText(errno);
  dir.Fatal(m);
  return Status::Internal(m);
}

// Reads the whole snapshot in `file`, checking that it is one at `lsn`:
// header, every entry, count, checksum and trailer.
Status VerifySnapshotFile(const std::string& file, uint64_t lsn) {
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus("cannot open " + file);
  char header[kSnapshotHeaderBytes];
  const ssize_t n = PreadFull(fd.get(), header, sizeof header, 0);
  if (n < 0) return ErrnoStatus("read " + file);
  if (size_t(n) < sizeof header || std::memcmp(header, kSnapshotMagic, 8) != 0) {
    return Status::IoError(file + ": not a shardkit snapshot (bad magic)");
  }
  const uint64_t header_lsn = LoadLe<uint64_t>(header + 8);
  if (header_lsn != lsn) {
    return Status::DataError(file + ": the snapshot is at LSN " + std::to_string(header_lsn) +
                             ", not at LSN " + std::to_string(lsn) + " as the install asks");
  }
  auto reader = SnapshotReader::Open(SnapshotInfo{lsn, file, 0});
  if (!reader.ok()) return reader.status();
  std::string entry;
  while (true) {
    auto more = reader->Next(&entry);
    if (!more.ok()) return more.status();
    if (!*more) return Status::Ok();
  }
}

// True when `file` sits in `snap_dir` under a final snapshot name: renaming
// it away would briefly unpublish a snapshot, and it may already be loaded.
bool IsFinalSnapshotName(const std::string& file, const std::string& snap_dir) {
  namespace fs = std::filesystem;
  const fs::path path(file);
  uint64_t lsn = 0;
  if (!ParseLsnFileName(path.filename().string(), ".snap", &lsn)) return false;
  std::error_code ec;
  const fs::path parent = path.has_parent_path() ? path.parent_path() : fs::path(".");
  return fs::equivalent(parent, snap_dir, ec);
}

}  // namespace

Result<std::optional<UnfinishedInstall>> FindUnfinishedInstall(const std::string& snap_dir) {
  auto names = ListDir(snap_dir);
  if (!names.ok()) return names.status();
  std::optional<UnfinishedInstall> found;
  for (const std::string& name : *names) {
    uint64_t lsn = 0;
    if (!ParseLsnFileName(name, kInstallSuffix, &lsn)) continue;
    if (found) {
      return Status::IoError(snap_dir + ": two unfinished snapshot installs (" + found->path +
                             " and " + name + ")");
    }
    found = UnfinishedInstall{lsn, snap_dir + "/" + name};
  }
  return found;
}

Status FinishInstall(const DataDir& dir, const UnfinishedInstall& install) {
  // The whole log goes, so the order of deletion does not matter: until the
  // final rename below the .install file stands for the new state.
  auto segments = ListSegments(dir.wal_dir());
  if (!segments.ok()) return segments.status();
  for (const SegmentFile& seg : *segments) {
    if (::unlink(seg.path.c_str()) != 0 && errno != ENOENT) {
      return ErrnoStatus("cannot remove " + seg.path);
    }
  }
  // Durable before the .install file goes: else a crash could bring old
  // segments back next to the new snapshot.
  SK_RETURN_IF_ERROR(SyncDir(dir, dir.wal_dir()));
  SK_RETURN_IF_ERROR(failpoint::Hit(kAfterLogDelete));

  auto names = ListDir(dir.snap_dir());
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    uint64_t lsn = 0;
    if (!ParseLsnFileName(name, ".snap", &lsn)) continue;  // an old one at `lsn` too
    const std::string path = dir.snap_dir() + "/" + name;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("cannot remove " + path);
  }
  SK_RETURN_IF_ERROR(SyncDir(dir, dir.snap_dir()));
  SK_RETURN_IF_ERROR(failpoint::Hit(kBeforeFinalRename));

  const std::string final_path = dir.snap_dir() + "/" + LsnFileName(install.lsn, ".snap");
  if (::rename(install.path.c_str(), final_path.c_str()) != 0) {
    return ErrnoStatus("rename " + install.path + " to " + final_path);
  }
  return SyncDir(dir, dir.snap_dir());
}

Status InstallSnapshot(const DataDir& dir, const std::string& file, uint64_t lsn) {
  if (IsFinalSnapshotName(file, dir.snap_dir())) {
    return Status::Usage(file + ": cannot install a file that already has a snapshot's name in " +
                         dir.snap_dir() + " (write it under a temporary name)");
  }
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) return ErrnoStatus("cannot install " + file);
  if (!S_ISREG(st.st_mode)) return Status::Usage(file + ": not a regular file");
  SK_RETURN_IF_ERROR(VerifySnapshotFile(file, lsn));
  {
    // The writer promised an fsync; make sure, since everything else is
    // deleted on the strength of this file. A failure here changes nothing.
    Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return ErrnoStatus("cannot open " + file);
    if (::fsync(fd.get()) != 0) return ErrnoStatus("fsync " + file);
  }

  // DataDir::Open finished any earlier install; one that failed in this
  // process after its commit point is finished here, before it is replaced,
  // so that there is never more than one .install file.
  auto earlier = FindUnfinishedInstall(dir.snap_dir());
  if (!earlier.ok()) return earlier.status();
  if (*earlier) SK_RETURN_IF_ERROR(FinishInstall(dir, **earlier));

  SK_RETURN_IF_ERROR(failpoint::Hit(kBeforeCommit));
  const UnfinishedInstall install{lsn, dir.snap_dir() + "/" + LsnFileName(lsn, kInstallSuffix)};
  if (::rename(file.c_str(), install.path.c_str()) != 0) {
    return ErrnoStatus("rename " + file + " to " + install.path);
  }
  // The commit point: once snap/ is synced the new state is decided. The
  // source directory too, so that the file cannot reappear there.
  SK_RETURN_IF_ERROR(SyncDir(dir, dir.snap_dir()));
  const std::filesystem::path source = std::filesystem::path(file).parent_path();
  std::error_code ec;
  if (!source.empty() && !std::filesystem::equivalent(source, dir.snap_dir(), ec)) {
    SK_RETURN_IF_ERROR(SyncDir(dir, source.string()));
  }
  SK_RETURN_IF_ERROR(failpoint::Hit(kAfterCommit));
  return FinishInstall(dir, install);
}

}  // namespace shardkit::wal
