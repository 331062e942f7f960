// The link between a data directory's writer (txpart, txcoord) and the
// replicad beside it (DESIGN.md §8), and the directory's replication file.
//
// replicad binds a ROUTER at LinkEndpoint(DIR); the writer's Node connects a
// DEALER to it. The writer reports its durable and applied LSNs
// (LINK_PROGRESS); replicad tells it its role, epoch and ack level
// (LINK_ROLE), what the replicas acknowledged (LINK_ACKED), and on a
// replica what to append, truncate or install (LINK_APPEND, LINK_TRUNCATE,
// LINK_INSTALL). Either side may start first or restart at any time.
//
// DIR/replication marks a replicated directory. replicad writes it
// (durably) when it first serves DIR, and it holds the group's ack level:
//
//   ack flushed:1
//
// A writer that finds it starts as a standby and waits for replicad to
// make it primary, so a restarted old primary can never accept a write
// before it knows who the primary is, and its ack level never silently
// falls back to local while replicad is away.
#pragma once

#include <optional>
#include <string>

#include "shardkit/repl/ack_level.h"
#include "shardkit/status/status.h"

namespace shardkit::daemon {

// ipc://DIR/repl.sock with DIR made absolute, or an abstract-namespace
// ipc://@shardkit-repl-<hash of DIR> when that path would not fit a Unix
// socket address. Both sides compute it the same way.
std::string LinkEndpoint(const std::string& data_dir);

// The ack level in DIR/replication; nullopt when the file does not exist.
// DataError naming the file and line for anything malformed.
Result<std::optional<repl::AckLevel>> ReadReplicationFile(const std::string& data_dir);
// Replaces DIR/replication durably (temp, fsync, rename, fsync DIR).
Status WriteReplicationFile(const std::string& data_dir, const repl::AckLevel& ack);

}  // namespace shardkit::daemon
