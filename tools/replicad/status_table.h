// The table `replicad status` prints: one row for this member, then one per
// replica it streams to (a primary). Columns are stable (DESIGN.md §9).
// retention_headroom_bytes is how much more log the primary can write
// before that replica falls behind the retention cap and needs a full
// resync.
#pragma once

#include "retention.h"
#include "shardkit/repl/member.h"
#include "shardkit/wire/messages.h"

namespace replicad {

shardkit::wire::AdminReply StatusTable(const shardkit::repl::MemberStatus& s,
                                       const shardkit::repl::Config& config,
                                       const shardkit::wire::LinkProgress& writer,
                                       const std::string& wal_dir, const RetentionCap& cap);

}  // namespace replicad
