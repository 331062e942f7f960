// Driver: runs one repl::Member (libcore/repl, sans-IO) with real sockets,
// files and timers (DESIGN.md §2, §8). replicad serve is this plus flags.
//
//   listen ROUTER  other members' messages (REPL_*) and operators' ADMIN_REQUEST
//   peer DEALERs   one per member endpoint the core sends to
//   link ROUTER    ipc to the data directory's writer (daemon/link.h)
//   DIR/epochs, DIR/vote   the member's durable state (repl/epochs.h)
//   DIR/wal (read-only)    the records a primary streams (wal::LogReader)
//   DIR/snap (read-only)   the snapshot a full resync sends
//   DIR/resync.tmp         the snapshot a replica receives, until installed
//
// replicad never opens DIR/LOCK: the writer owns the log. It takes its own
// lock, DIR/replicad.lock, so two replicads never serve one directory.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "retention.h"
#include "shardkit/net/listen.h"
#include "shardkit/repl/member.h"
#include "shardkit/status/status.h"

namespace replicad {

struct DriverOptions {
  std::string data_dir;
  shardkit::net::ListenOptions listen;
  std::string peer_key;  // server key for peers (z85), "" for plaintext
  shardkit::repl::Config config;
  RetentionCap retention;
  std::chrono::milliseconds drain_timeout{1000};
};

class Driver {
 public:
  // Blocks SIGTERM/SIGINT/SIGHUP, takes DIR/replicad.lock (75 when another
  // replicad has it), reads DIR/epochs and DIR/vote (74 when malformed),
  // writes DIR/replication, binds the listen socket and the link.
  static shardkit::Result<std::unique_ptr<Driver>> Open(DriverOptions options);
  ~Driver();

  // Waits for the writer's first progress report, starts the member and
  // serves until SIGTERM/SIGINT.
  shardkit::Status Run();

  const std::string& listen_endpoint() const;

  struct Impl;

 private:
  explicit Driver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace replicad
