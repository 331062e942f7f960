// DataDir: a locked data directory (DESIGN.md §6).
//
//   DIR/LOCK                 flock(LOCK_EX): one process owns DIR; holds its pid
//   DIR/wal/<first-lsn>.seg  log segments (wal/log.h)
//   DIR/snap/<lsn>.snap      snapshots (wal/snapshot.h)
//   DIR/epochs               reserved for replication's epoch history; unused here
//
// The lock is an flock on DIR/LOCK, held for the DataDir's lifetime. flock
// locks belong to an open file description, so a second DataDir::Open of the
// same directory fails even inside the same process; and the kernel drops the
// lock when the process dies, however it dies, so a crash never leaves a
// stale lock behind. (A fork()ed child inherits the locked descriptor until
// it execs; the descriptor is O_CLOEXEC.)
#pragma once

#include <functional>
#include <string>

#include "shardkit/status/status.h"

namespace shardkit::wal {

// Called on an unrecoverable durability failure: a failed write, fsync or
// fdatasync of the log, a segment or a snapshot's directory (DESIGN.md §6
// rule 4: after a failed fsync the page cache may have dropped the dirty
// pages, so retrying could report lost data as durable). `message` names the
// file and the errno. The default logs one logfmt line to stderr and calls
// _exit(70) at once, from whichever thread failed, without running atexit
// handlers or destructors that could block or write more. A test may install
// a handler that returns: the failed operation then reports
// Status::Internal(message) and the log accepts no further writes.
using FatalHandler = std::function<void(const std::string& message)>;

// Receives one human-readable line about something recovery repaired (a
// truncated torn tail, a removed temporary snapshot). The default logs a
// logfmt line at level warn to stderr; a tool routes it into its own log.
using WarningHandler = std::function<void(const std::string& message)>;

struct DataDirOptions {
  FatalHandler on_fatal;      // empty: the default above
  WarningHandler on_warning;  // empty: the default above
};

class DataDir {
 public:
  // Opens DIR, creating it (and missing parents), wal/ and snap/ when absent
  // (fsyncing each directory that gained an entry), and takes DIR/LOCK.
  // Leftover temporary snapshot files from a crash are removed (warned), and
  // snap/ is fsynced, so a rename a crashed process never synced is durable
  // before anyone trims the log on its strength. A snapshot install that a
  // crash interrupted after its commit point (snap/<lsn>.snap.install, see
  // InstallSnapshot) is finished: segments and other snapshots deleted, the
  // file renamed to snap/<lsn>.snap (warned). Errors: Status::Temporary
  // "DIR is locked by another process (pid N)" (exit 75) when another open
  // file description holds the lock; IoError/Permission when a directory
  // cannot be created or opened; a failed fsync of snap/ goes to the
  // FatalHandler. Nothing is left locked on failure.
  static Result<DataDir> Open(const std::string& path, DataDirOptions options = {});

  DataDir(DataDir&& other) noexcept;
  DataDir& operator=(DataDir&& other) noexcept;
  DataDir(const DataDir&) = delete;
  DataDir& operator=(const DataDir&) = delete;
  ~DataDir();  // releases the lock

  const std::string& path() const { return path_; }
  std::string wal_dir() const { return path_ + "/wal"; }
  std::string snap_dir() const { return path_ + "/snap"; }
  std::string epochs_path() const { return path_ + "/epochs"; }  // reserved

  // The handlers in force (the defaults filled in). A Log copies them, so
  // moving the DataDir does not disturb an open Log.
  const DataDirOptions& options() const { return options_; }

  // Reports a fatal durability failure through the configured handler (see
  // FatalHandler). Returns only if a test handler returns.
  void Fatal(const std::string& message) const;
  // Reports a repair through the configured handler.
  void Warn(const std::string& message) const;

 private:
  DataDir(std::string path, DataDirOptions options, int lock_fd);

  std::string path_;
  DataDirOptions options_;
  int lock_fd_ = -1;  // owned; closing it releases the flock
};

}  // namespace shardkit::wal
