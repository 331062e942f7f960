// StatusTable (status_table.h).
#include "status_table.h"

#include <cstdio>
#include <string>

namespace replicad {

using namespace shardkit;

namespace {

std::string Seconds(uint64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ms) / 1000.0);
  return buf;
}

std::string Headroom(const std::string& wal_dir, uint64_t flushed, const RetentionCap& cap) {
  auto kept = BytesFrom(wal_dir, flushed + 1);
  if (!kept.ok()) return "";
  return std::to_string(*kept >= cap.max_bytes ? 0 : cap.max_bytes - *kept);
}

}  // namespace

wire::AdminReply StatusTable(const repl::MemberStatus& s, const repl::Config& config,
                             const wire::LinkProgress& writer, const std::string& wal_dir,
                             const RetentionCap& cap) {
  wire::AdminReply t;
  t.columns = {"name",
               "kind",
               "role",
               "epoch",
               "endpoint",
               "primary",
               "ack",
               "sent_lsn",
               "received_lsn",
               "flushed_lsn",
               "applied_lsn",
               "lag_bytes",
               "lag_seconds",
               "last_ack_age_ms",
               "retention_headroom_bytes",
               "resyncs",
               "last_resync_reason"};
  const std::string role(repl::RoleName(s.role));
  const std::string epoch = std::to_string(s.epoch);
  // This member: its own log as the writer reported it.
  t.rows.push_back({config.name, "self", role, epoch, config.endpoint, s.primary,
                    repl::FormatAckLevel(config.ack), std::to_string(writer.durable_lsn),
                    std::to_string(writer.durable_lsn), std::to_string(writer.durable_lsn),
                    std::to_string(writer.applied_lsn), "0", Seconds(0), "0", "", "0", ""});
  for (const repl::ReplicaStatus& r : s.replicas) {
    t.rows.push_back({r.name, "replica", "replica", epoch, r.endpoint, config.name,
                      repl::FormatAckLevel(config.ack), std::to_string(r.sent_lsn),
                      std::to_string(r.received_lsn), std::to_string(r.flushed_lsn),
                      std::to_string(r.applied_lsn), std::to_string(r.lag_bytes), Seconds(r.lag_ms),
                      std::to_string(r.last_ack_age_ms), Headroom(wal_dir, r.flushed_lsn, cap),
                      std::to_string(r.resyncs), r.last_resync_reason});
  }
  return t;
}

}  // namespace replicad
