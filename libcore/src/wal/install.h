// The roll-forward half of InstallSnapshot (wal/snapshot.h), shared with
// DataDir::Open, which finishes an install a crash interrupted, and with
// Log::Open, which refuses a directory while one is unfinished.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "shardkit/status/status.h"
#include "shardkit/wal/data_dir.h"

namespace shardkit::wal {

// snap/<lsn>.snap.install: a verified, fsynced snapshot whose install is
// decided but not finished.
inline constexpr char kInstallSuffix[] = ".snap.install";

struct UnfinishedInstall {
  uint64_t lsn = 0;
  std::string path;
};

// The unfinished install in `snap_dir`, nullopt when there is none. IoError
// when there are several (InstallSnapshot finishes one before it starts the
// next, so that cannot happen) or snap/ cannot be listed.
Result<std::optional<UnfinishedInstall>> FindUnfinishedInstall(const std::string& snap_dir);

// Finishes the install of `install`: deletes every segment and fsyncs wal/,
// deletes every snapshot and fsyncs snap/, renames the file to
// snap/<lsn>.snap and fsyncs snap/. Idempotent, so a crash at any point is
// repaired by running it again. A failed fsync goes to the FatalHandler.
Status FinishInstall(const DataDir& dir, const UnfinishedInstall& install);

}  // namespace shardkit::wal
