// The constants of the snapshot layout in wal/snapshot.h, shared by the
// writer, the reader and InstallSnapshot's header check.
#pragma once

#include <cstddef>
#include <cstdint>

namespace shardkit::wal {

inline constexpr char kSnapshotMagic[8] = {'S', 'K', 'S', 'N', 'A', 'P', '0', '1'};
inline constexpr char kSnapshotEndMagic[8] = {'S', 'K', 'S', 'N', 'E', 'N', 'D', '1'};
inline constexpr size_t kSnapshotHeaderBytes = 16;   // magic, lsn u64
inline constexpr size_t kSnapshotTrailerBytes = 28;  // mark, count, xxh3, end magic
inline constexpr uint32_t kSnapshotTrailerMark = 0xffffffff;

}  // namespace shardkit::wal
