// repl::Member as a replica: following a primary, cutting a divergent tail,
// appending and acknowledging.
//
// The replica's epoch history always describes its own log, so it can tell
// where its log and a primary's part (KIP-279's refinement of KIP-101). The
// primary's cut in START covers a tail past the end of the replica's last
// epoch; the replica cuts further when its own history shows an epoch the
// primary never had below that point (FirstDivergence).
//
// The order on START with a cut: the epoch is persisted (fencing) with the
// OLD history, then LinkTruncate, then the primary's history is persisted.
// A crash before the cut is durable leaves a log whose last record's epoch
// disagrees with the persisted history; Started notices (log_suspect) and
// the next START truncates the whole log rather than trust it.
//
// Sessions. Each HELLO conversation has a session (NewSession), sent again
// unchanged while the replica waits; any change of primary, of log end or
// of state (a gap, silence, a stalled resync, an unexpected install) starts
// a new one. The replica acts on a START only if it carries the current
// session and a start_seq above the last one acted on, so a late START, or
// one repeated by the primary after it was already acted on, changes
// nothing. A resync snapshot is installed only when the member answers the
// driver's SnapshotProgress with InstallSnapshot (member_resync.cpp).
//
// The writer's own tail. At start and after leaving the primary role the
// writer may hold records the member never handed it (it was primary); the
// member extends its log end with them from WriterProgress and says HELLO
// again, until the first START, which cuts the writer's log to the
// member's view whether or not it needs cutting (CutWriter): records made
// durable after the member last looked are dropped there rather than
// silently kept under records of another epoch.
#include <algorithm>

#include "member_impl.h"

namespace shardkit::repl {

void Member::Impl::NewSession() {
  // Above every earlier session, also those of an earlier run (Started).
  hello_session = std::max(hello_session + 1, (session_base + now) << 16);
  start_seq_seen = 0;
  received_acked = 0;
}

void Member::Impl::HelloAgain() {
  NewSession();
  sync = Sync::kHello;
  SendHello();
}

void Member::Impl::SendHello() {
  if (install_pending) return;  // the log end changes when the writer is done
  wire::ReplHello h;
  h.epoch = ds.current_epoch;
  h.name = config.name;
  h.endpoint = config.endpoint;
  h.last_epoch = last_epoch;
  h.last_lsn = last_lsn;
  h.session = hello_session;
  SendTo(follow, std::move(h));
}

void Member::Impl::SendAck() {
  wire::ReplAck a;
  a.epoch = ds.current_epoch;
  a.name = config.name;
  a.flushed = std::min(durable_lsn, last_lsn);
  a.received = last_lsn;
  if (to_writer.bytes > config.window_bytes / 2) {
    // Backpressure: received only as far as half a window past what the
    // writer made durable.
    uint64_t bytes = 0;
    a.received = a.flushed;
    for (const Flight& f : to_writer.q) {
      bytes += f.bytes;
      if (bytes > config.window_bytes / 2) break;
      a.received = std::max(a.received, f.lsn);
    }
    a.received = std::min(std::max(a.received, received_acked), last_lsn);
  }
  received_acked = a.received;
  a.applied = std::min(applied_lsn, a.flushed);
  a.session = hello_session;
  if (a.flushed > flushed_acked) {
    flushed_acked = a.flushed;
    flushed_acked_epoch = EpochAt(ds.history, a.flushed);
  }
  SendTo(follow, std::move(a));
}

void Member::Impl::CutWriter(uint64_t keep) {
  TellWriter(wire::LinkTruncate{keep});
  to_writer.DropAfter(keep);
  if (keep < last_lsn) {
    last_epoch = EpochAt(ds.history, keep);
    last_lsn = keep;
  }
  durable_lsn = std::min(durable_lsn, keep);
  applied_lsn = std::min(applied_lsn, keep);
  if (flushed_acked > keep) {  // the primary cut them: never committed
    flushed_acked = keep;
    flushed_acked_epoch = EpochAt(ds.history, keep);
  }
  own_tail = false;
}

void Member::Impl::Follow(const std::string& endpoint, const std::string& name) {
  follow = endpoint;
  primary_name = name;
  HelloAgain();
}

void Member::Impl::FollowConfigured() {
  if (IsPrimary() || config.follow.empty() || config.follow == config.endpoint) return;
  Follow(config.follow, "");
}

void Member::Impl::ReplicaTick() {
  if (install_pending) return;  // the writer is replacing the log: wait for it
  if ((sync == Sync::kStreaming || sync == Sync::kSnapshot) &&
      (!primary_heard_ms || now - *primary_heard_ms >= config.election_ms)) {
    // A primary that restarted (in a new epoch) no longer knows this
    // replica: say HELLO until somebody answers.
    Log(Note::kInfo, "msg=\"primary silent: saying hello again\" primary=" + Quote(primary_name));
    HelloAgain();
  } else if (sync == Sync::kSnapshot &&
             now - snapshot_wait_ms >= uint64_t{kResyncStallElections} * config.election_ms) {
    // The snapshot (or the START before it) was lost: a new session makes
    // the primary start the resync again.
    Log(Note::kWarn, "msg=\"resync stalled: saying hello again\" primary=" + Quote(primary_name) +
                         " waited_ms=" + std::to_string(now - snapshot_wait_ms));
    HelloAgain();
  } else if (sync == Sync::kStreaming && !to_writer.q.empty() &&
             now - writer_moved_ms >= uint64_t{kResyncStallElections} * config.election_ms) {
    // Nothing handed to the writer became durable: the link dropped some
    // (it was full), or the writer is stuck. Ask the primary for the rest
    // from what is durable; a writer that has them skips the resend.
    Log(Note::kWarn, "msg=\"writer stalled: asking for records again\" durable_lsn=" +
                         std::to_string(durable_lsn) + " last_lsn=" + std::to_string(last_lsn) +
                         " waited_ms=" + std::to_string(now - writer_moved_ms));
    // The writer may still hold some of them: its reports may extend the
    // log again until the next START (own_tail).
    to_writer.Clear();
    last_lsn = durable_lsn;
    last_epoch = EpochAt(ds.history, durable_lsn);
    own_tail = true;
    HelloAgain();
  } else if (sync == Sync::kHello) {
    SendHello();  // the same session: the START may be on its way
  }
  if (!takeover_target.empty() && takeover_epoch == ds.current_epoch) {
    // The old primary after a switchover: until the target leads a new
    // epoch, repeat the TAKEOVER in case it was lost.
    wire::ReplTakeover t;
    t.epoch = ds.current_epoch;
    t.from = config.name;
    t.last_lsn = durable_lsn;
    SendTo(takeover_target, std::move(t));
  }
}

bool Member::Impl::AcceptPrimary(const std::string& endpoint, const std::string& name) {
  if (IsPrimary()) {
    if (name != config.name) {
      Log(Note::kError, "msg=\"another primary in my epoch\" epoch=" +
                            std::to_string(ds.current_epoch) + " other=" + Quote(name));
    }
    return false;
  }
  if (role == Role::kCandidate) {
    Log(Note::kInfo, "msg=\"election lost\" epoch=" + std::to_string(ds.current_epoch) +
                         " primary=" + Quote(name));
    role = Role::kReplica;
    votes.clear();
    takeover_candidate = false;
    ArmElection();
  }
  primary_heard_ms = now;
  if (sync == Sync::kSearching || (sync == Sync::kHello && primary_name != name)) {
    if (follow == endpoint && sync == Sync::kHello) {
      primary_name = name;  // the member we already said HELLO to
    } else if (!endpoint.empty()) {
      Follow(endpoint, name);
    }
    return false;
  }
  if (primary_name.empty()) primary_name = name;
  return primary_name == name;
}

uint64_t Member::Impl::KeepFor(const wire::ReplStart& s) const {
  if (log_suspect) return 0;
  uint64_t keep = last_lsn;
  if (s.truncate) keep = std::min(keep, s.truncate_after);
  keep = std::min(keep, FirstDivergence(ds.history, s.history, keep) - 1);
  // The primary streams from next_lsn: whatever this log holds from there
  // on, the primary does not know about.
  if (!s.resync && s.next_lsn > 0) keep = std::min(keep, s.next_lsn - 1);
  return keep;
}

void Member::Impl::OnStart(const std::string& from, const wire::ReplStart& s) {
  if (s.epoch < ds.current_epoch) {
    // A stale primary: answer in my epoch so it steps down.
    wire::ReplAck a;
    a.epoch = ds.current_epoch;
    a.name = config.name;
    SendTo(from, std::move(a));
    return;
  }
  if (s.history.empty() || s.history.back().epoch > s.epoch || !ValidateHistory(s.history).ok()) {
    Log(Note::kError, "msg=\"bad START ignored\" primary=" + Quote(s.primary) +
                          " reason=\"invalid epoch history\"");
    return;
  }
  if (s.epoch > ds.current_epoch) {
    const std::string asked = follow;
    AdoptEpoch(s.epoch, "start from " + s.primary);
    follow = asked;
  } else if (IsPrimary()) {
    Log(Note::kError, "msg=\"another primary in my epoch\" epoch=" +
                          std::to_string(ds.current_epoch) + " other=" + Quote(s.primary));
    return;
  }
  if (role == Role::kCandidate) {
    role = Role::kReplica;
    votes.clear();
    takeover_candidate = false;
  }
  // Only the answer to the current HELLO, and each START of it once: a late
  // or repeated one would cut or strand a replica that has moved on.
  if (install_pending || s.session != hello_session || s.start_seq <= start_seq_seen) return;
  if (sync == Sync::kSearching || follow.empty()) {
    follow = from;
  } else if (!primary_name.empty() && primary_name != s.primary && sync != Sync::kHello) {
    return;  // not the primary this member follows
  }
  start_seq_seen = s.start_seq;
  primary_name = s.primary;
  primary_heard_ms = now;
  takeover_target.clear();

  const uint64_t keep = KeepFor(s);
  if (s.resync) {
    // The snapshot replaces the log; it must not end below a record this
    // member acknowledged as flushed, unless that record is cut anyway.
    resync_floor = std::min(flushed_acked, keep);
    // The primary's history describes the snapshot, not this log: adopted
    // once the snapshot is installed. Until then (it may be lost) the log
    // and its history stay as they are.
    resync_history = s.history;
    resync_epoch = s.epoch;
    sync = Sync::kSnapshot;
    snapshot_wait_ms = now;
    Log(Note::kInfo, "msg=\"full resync from primary\" primary=" + Quote(s.primary) +
                         " floor_lsn=" + std::to_string(resync_floor));
    return;
  }

  if (log_suspect && last_lsn > 0) {
    Log(Note::kWarn, "msg=\"truncating an untrusted log\" last_lsn=" + std::to_string(last_lsn));
  }
  if (keep < last_lsn) {
    Log(Note::kWarn, "msg=\"truncating divergent tail\" after_lsn=" + std::to_string(keep) +
                         " last_lsn=" + std::to_string(last_lsn) + " primary=" + Quote(s.primary));
  }
  // Also when nothing is to be cut but the writer may hold a tail this
  // member never heard of: the writer's log ends where the member says.
  if (keep < last_lsn || own_tail) CutWriter(keep);
  log_suspect = false;
  if (ds.history != s.history) {
    ds.history = s.history;  // agrees with the log up to last_lsn now
    Persist();
  }
  if (last_lsn + 1 < s.next_lsn) {
    // The primary would stream from past my log end (I cut more than it
    // asked): say where the log ends now.
    HelloAgain();
    return;
  }
  sync = Sync::kStreaming;
  SendAck();
}

void Member::Impl::OnRecords(const wire::ReplRecords& r) {
  if (r.epoch < ds.current_epoch && config.test_accept_lower_epoch && r.prev_lsn <= last_lsn) {
    // The simulator-only fault (Config::test_accept_lower_epoch): append
    // what extends the log and acknowledge it in the stale epoch.
    std::vector<wire::ReplRecord> fresh;
    for (const auto& rec : r.records) {
      if (rec.lsn == last_lsn + 1 + fresh.size()) fresh.push_back(rec);
    }
    if (!fresh.empty()) {
      last_lsn = fresh.back().lsn;
      last_epoch = fresh.back().epoch;
      TellWriter(wire::LinkAppend{std::move(fresh)});
    }
    wire::ReplAck a;
    a.epoch = r.epoch;
    a.name = config.name;
    a.session = hello_session;
    a.received = last_lsn;
    a.flushed = std::min(durable_lsn, last_lsn);
    a.applied = std::min(applied_lsn, a.flushed);
    SendTo(r.primary_endpoint, std::move(a));
    return;
  }
  if (r.epoch < ds.current_epoch) {
    // Fencing: an ACK in my epoch makes the stale primary step down.
    wire::ReplAck a;
    a.epoch = ds.current_epoch;
    a.name = config.name;
    SendTo(r.primary_endpoint, std::move(a));
    return;
  }
  primary_client = r.primary_client;
  primary_client_of = r.primary;
  if (r.epoch > ds.current_epoch) {
    AdoptEpoch(r.epoch, "records from " + r.primary);
    primary_heard_ms = now;
    primary_durable = r.durable_lsn;
    primary_heard = true;
    Follow(r.primary_endpoint, r.primary);
    return;
  }
  if (!AcceptPrimary(r.primary_endpoint, r.primary)) {
    if (!IsPrimary() && primary_name == r.primary) {
      primary_durable = r.durable_lsn;
      primary_heard = true;
    }
    return;
  }
  primary_durable = r.durable_lsn;
  primary_heard = true;
  if (sync != Sync::kStreaming) return;  // waiting for START or a snapshot
  if (r.prev_lsn > last_lsn) {
    Log(Note::kInfo, "msg=\"gap in stream\" prev_lsn=" + std::to_string(r.prev_lsn) +
                         " last_lsn=" + std::to_string(last_lsn));
    HelloAgain();
    return;
  }
  // Records must be dense from prev_lsn + 1, in non-decreasing epochs no
  // newer than the message's.
  uint64_t epoch_floor = 0;
  for (size_t i = 0; i < r.records.size(); ++i) {
    const auto& rec = r.records[i];
    if (rec.lsn != r.prev_lsn + 1 + i || rec.epoch > r.epoch || rec.epoch < epoch_floor) {
      Log(Note::kWarn, "msg=\"malformed RECORDS ignored\" primary=" + Quote(r.primary) +
                           " index=" + std::to_string(i) + " lsn=" + std::to_string(rec.lsn));
      return;
    }
    epoch_floor = rec.epoch;
  }
  std::vector<wire::ReplRecord> fresh;
  for (const auto& rec : r.records) {
    if (rec.lsn > last_lsn) fresh.push_back(rec);
  }
  if (!fresh.empty()) {
    bool changed = false;
    for (const auto& rec : fresh) {
      const uint64_t newest = ds.history.empty() ? 0 : ds.history.back().epoch;
      if (rec.epoch > newest) {
        AddEpochLine(&ds.history, rec.epoch, rec.lsn);
        changed = true;
      }
    }
    if (changed) Persist();  // before the writer holds a record of the epoch
    last_lsn = fresh.back().lsn;
    last_epoch = fresh.back().epoch;
    uint64_t bytes = 0;
    for (const auto& rec : fresh) bytes += rec.payload.size() + wire::ReplRecord::kMinWireBytes;
    if (to_writer.q.empty()) writer_moved_ms = now;
    to_writer.Push(Flight{last_lsn, bytes});
  }
  // Also for a heartbeat: the standby's freshness (LinkAppend).
  const bool handed = !fresh.empty();
  TellWriter(wire::LinkAppend{std::move(fresh), r.durable_lsn});
  // A group that waits for flushed (or applied) positions gains nothing
  // from a received-only ACK: the one the writer's fsync brings carries it,
  // a moment later, at half the messages per batch.
  if (handed && config.ack.kind >= AckKind::kFlushed) return;
  SendAck();
}

void Member::Impl::OnTakeover(const wire::ReplTakeover& t) {
  if (t.epoch > ds.current_epoch) {
    AdoptEpoch(t.epoch, "takeover from " + t.from);
    FollowConfigured();
    return;
  }
  if (t.epoch < ds.current_epoch || IsPrimary()) return;
  std::string refuse;
  if (t.from != primary_name || sync != Sync::kStreaming) {
    refuse = "not from the primary this member follows";
  } else if (durable_lsn < t.last_lsn) {
    refuse = "flushed " + std::to_string(durable_lsn) + " < " + std::to_string(t.last_lsn);
  }
  if (!refuse.empty()) {
    Log(Note::kWarn, "msg=\"takeover refused\" from=" + Quote(t.from) + " reason=" + Quote(refuse));
    return;
  }
  // Not a promotion: an election at once, flagged as a transfer so voters
  // that heard the old primary lately still vote. It wins only with a
  // majority, so nobody else can lead the same epoch.
  takeover_candidate = true;
  StartElection(/*transfer=*/true);
}

void Member::Impl::OnReplicaProgress(const WriterProgress& p) {
  // A report about records since truncated names another epoch for that LSN
  // than the history does (one primary per epoch): ignore it.
  if (EpochAt(ds.history, p.durable_lsn) != p.last_epoch) return;
  if (p.durable_lsn > last_lsn) {
    // Only the writer's own tail (a former primary's writes, records it
    // held at start) may extend the log behind the member's back; past the
    // first START it was cut, and a longer report predates the cut.
    if (!own_tail || install_pending) return;
    last_lsn = p.durable_lsn;
    last_epoch = p.last_epoch;
    // A HELLO that stated the shorter end would have the primary build on
    // records it does not know: state the real one.
    if (sync == Sync::kHello) HelloAgain();
  }
  const uint64_t durable = std::max(durable_lsn, p.durable_lsn);
  const uint64_t applied = std::max(applied_lsn, std::min(p.applied_lsn, durable));
  if (durable == durable_lsn && applied == applied_lsn) return;
  if (durable > durable_lsn) {
    writer_moved_ms = now;
    to_writer.DropThrough(durable);
  }
  durable_lsn = durable;
  applied_lsn = applied;
  if (sync == Sync::kStreaming) SendAck();
}

}  // namespace shardkit::repl
