// repl::Member as a primary: catch-up, streaming, acks and the lease.
//
// Per replica (Follower, keyed by member name) the stream moves through:
//
//   HELLO of a new session --> kStarting. The KIP-101 cut is computed from
//        the HELLO's log end (EndOfEpoch) and one ReadLog is issued from the
//        next LSN. A HELLO of an older session is stale and ignored; a
//        repeat of the current one (the replica did not get the START) gets
//        the same START again, never a second resync.
//   kStarting --LogRead--> kStreaming: START{truncate?, next_lsn} then
//        RECORDS. A replica already at the durable LSN gets START at once.
//   kStarting/kStreaming --LogRead gone--> kResyncing: START{resync} and
//        SendSnapshot (held back while a transfer to that endpoint is still
//        out, so that an older transfer never completes this one); or
//        kResyncWait when the replica completed a resync less than
//        resync_min_interval_ms ago (a timer retries the read).
//   kResyncing --ResyncSent of its session--> kStreaming from the snapshot
//        LSN, once the replica acks it (floor): the resync is complete.
//        A failed transfer leaves it in kResyncing: the replica times out
//        and says HELLO in a new session, which starts over.
//   kStreaming --ACK--> more RECORDS while durable_lsn > sent and fewer than
//        window_bytes are unacknowledged; one ReadLog in flight at a time.
//   kStreaming --3 heartbeats without ack progress--> go back to
//        received + 1 (a RECORDS was lost).
//
// Every heartbeat sends an empty RECORDS (prev_lsn = sent, so a replica
// notices lost records) to each replica and to each configured peer that is
// not one, so a member without a primary finds this one.
#include <algorithm>

#include "member_impl.h"

namespace shardkit::repl {

Follower* Member::Impl::FindByEndpoint(const std::string& endpoint) {
  for (auto& [name, f] : followers) {
    if (f.endpoint == endpoint) return &f;
  }
  return nullptr;
}

void Member::Impl::OnHello(const wire::ReplHello& h) {
  if (h.epoch > ds.current_epoch) {
    AdoptEpoch(h.epoch, "hello from " + h.name);
    FollowConfigured();
    return;
  }
  if (!IsPrimary() || h.name.empty() || h.endpoint.empty() || h.name == config.name) return;
  if (h.epoch < ds.current_epoch) {
    // Fenced: tell it who leads now. It adopts the epoch and says HELLO again.
    SendTo(h.endpoint, Heartbeat(durable_lsn));
    return;
  }
  auto [it, added] = followers.try_emplace(h.name);
  Follower& f = it->second;
  if (!added && h.session < f.session) return;  // stale: it has said HELLO since
  if (!added && h.session == f.session) {
    // A repeat: the replica waits for the START of this session (lost), or
    // it is a duplicate. Never a second stream or resync for one session.
    if (!f.session_acked && f.start) {
      SendTo(f.endpoint, *f.start);
      if (f.phase == Phase::kStreaming && !f.start->resync) GoBack(f);
      Pump(f);
    }
    return;
  }
  f.name = h.name;
  f.endpoint = h.endpoint;
  f.session = h.session;
  f.session_acked = false;
  f.start.reset();
  f.snapshot_queued = false;
  f.resync_open = false;
  if (added) f.caught_up_ms = now;

  // KIP-101: where the replica's last epoch ended here. A replica log that
  // runs past it, or whose last epoch this log never had, is cut there.
  uint64_t keep = h.last_lsn;
  f.truncate = false;
  f.truncate_after = 0;
  if (h.last_lsn > 0) {
    // This log ends where the streams may go (written, maybe not durable
    // yet): a replica holding the records written last keeps them, as their
    // acknowledgement may already count them.
    const EpochEnd end = EndOfEpoch(ds.history, h.last_epoch, StreamEnd());
    if (h.last_lsn > end.end_lsn || end.epoch != h.last_epoch) {
      keep = std::min(h.last_lsn, end.end_lsn);
      f.truncate = true;
      f.truncate_after = keep;
    }
  }
  // A HELLO states the replica's log end: positions above it are stale.
  f.received = std::min(f.received, keep);
  f.flushed = std::min(f.flushed, keep);
  f.applied = std::min(f.applied, keep);
  f.phase = Phase::kStarting;
  f.start_sent = false;
  f.sent = keep;
  f.base = keep;
  f.floor = 0;
  f.unacked.Clear();
  f.unflushed.Clear();
  f.waiting_since_ms = now;
  Disarm(&f.retry_timer);
  Log(Note::kInfo, "msg=\"replica hello\" replica=" + Quote(h.name) + " endpoint=" +
                       Quote(h.endpoint) + " last_epoch=" + std::to_string(h.last_epoch) +
                       " last_lsn=" + std::to_string(h.last_lsn) +
                       (f.truncate ? " truncate_after=" + std::to_string(keep) : ""));
  EmitAcked();
  Pump(f);
}

void Member::Impl::SendStart(Follower& f, bool resync) {
  wire::ReplStart s;
  s.epoch = ds.current_epoch;
  s.primary = config.name;
  s.truncate = f.truncate;
  s.truncate_after = f.truncate_after;
  s.next_lsn = resync ? 0 : f.sent + 1;
  s.resync = resync;
  s.history = ds.history;
  s.session = f.session;
  s.start_seq = ++start_seq;
  f.start = s;
  SendTo(f.endpoint, std::move(s));
  f.start_sent = true;
}

void Member::Impl::Pump(Follower& f) {
  if (!IsPrimary() || f.read_from) return;
  if (f.phase == Phase::kStarting) {
    if (f.sent >= durable_lsn) {
      SendStart(f, false);
      f.phase = Phase::kStreaming;
      return;
    }
    f.read_from = f.sent + 1;
    Emit(ReadLog{f.endpoint, f.sent + 1, std::min(config.batch_bytes, config.window_bytes)});
    return;
  }
  if (f.phase != Phase::kStreaming) return;
  if (f.received < f.floor) return;  // the resync snapshot is not installed yet
  if (f.sent >= StreamEnd() || f.unacked.bytes >= config.window_bytes) return;
  f.read_from = f.sent + 1;
  Emit(ReadLog{f.endpoint, f.sent + 1,
               std::min(config.batch_bytes, config.window_bytes - f.unacked.bytes)});
}

void Member::Impl::OnLogRead(const LogRead& r) {
  Follower* fp = FindByEndpoint(r.to);
  if (!fp || !fp->read_from || *fp->read_from != r.from_lsn) return;  // stale
  Follower& f = *fp;
  f.read_from.reset();
  if (!IsPrimary()) return;
  if (r.from_lsn != f.sent + 1 || (f.phase != Phase::kStarting && f.phase != Phase::kStreaming)) {
    Pump(f);  // the stream was restarted while the read was out
    return;
  }
  if (r.gone) {
    OnGone(f, r.from_lsn);
    return;
  }
  // Keep the dense run that continues the stream, written records only.
  std::vector<wire::ReplRecord> recs;
  for (const auto& rec : r.records) {
    if (rec.lsn != f.sent + 1 + recs.size() || rec.lsn > StreamEnd()) break;
    recs.push_back(rec);
  }
  if (f.phase == Phase::kStarting) {
    SendStart(f, false);
    f.phase = Phase::kStreaming;
  }
  if (recs.empty()) return;  // nothing usable: the next heartbeat or progress retries

  wire::ReplRecords msg = Heartbeat(f.sent);
  if (f.unacked.q.empty()) f.waiting_since_ms = now;
  for (const auto& rec : recs) {
    const uint64_t bytes = rec.payload.size() + wire::ReplRecord::kMinWireBytes;
    f.unacked.Push({rec.lsn, bytes});
    f.unflushed.Push({rec.lsn, bytes});
    bytes_sent_total += bytes;
    ++records_sent_total;
  }
  f.sent = recs.back().lsn;
  msg.records = std::move(recs);
  SendTo(f.endpoint, std::move(msg));
  Pump(f);
}

void Member::Impl::OnAck(const wire::ReplAck& a) {
  if (a.epoch > ds.current_epoch) {
    AdoptEpoch(a.epoch, "ack from " + a.name);
    FollowConfigured();
    return;
  }
  if (!IsPrimary() || a.epoch < ds.current_epoch) return;
  auto it = followers.find(a.name);
  if (it == followers.end()) return;  // it must say HELLO first
  Follower& f = it->second;
  if (a.session != f.session) return;  // about another conversation: stale
  f.session_acked = true;
  f.acked = true;
  f.last_ack_ms = now;
  bool progress = false;
  if (a.received > f.received) {
    f.received = a.received;
    progress = true;
  }
  if (a.flushed > f.flushed) {
    f.flushed = a.flushed;
    progress = true;
  }
  if (a.applied > f.applied) {
    f.applied = a.applied;
    progress = true;
  }
  f.unacked.DropThrough(f.received);
  f.unflushed.DropThrough(f.flushed);
  if (f.resync_open && f.flushed >= f.floor) {
    f.resync_open = false;  // installed: a completed resync, for the rate limit
    f.last_resync_ms = now;
  }
  if (f.flushed >= durable_lsn) f.caught_up_ms = now;
  if (progress) {
    f.waiting_since_ms = now;
    EmitAcked();
  }
  CheckLease();
  CheckSwitchover();
  Pump(f);
}

Status Member::Impl::OnPrimaryProgress(const WriterProgress& p) {
  applied_lsn = std::max(applied_lsn, p.applied_lsn);
  const uint64_t written = std::max(p.durable_lsn, p.written_lsn);
  uint64_t streamed = 0;
  for (const auto& [name, f] : followers) streamed = std::max(streamed, f.sent);
  if (written < streamed) {
    return Status::Internal("repl member: the writer's log ends at lsn " + std::to_string(written) +
                            " but lsn " + std::to_string(streamed) +
                            " was already sent to a replica (records lost: a failed fsync?); "
                            "restart replicad to begin a new epoch");
  }
  const bool more = written > written_lsn;
  written_lsn = std::max(written_lsn, written);
  writer_quiet_seq = p.quiet_seq;
  if (p.durable_lsn > durable_lsn) {
    for (auto& [name, f] : followers) {
      if (f.flushed >= durable_lsn) f.caught_up_ms = now;  // caught up until now
    }
    durable_lsn = p.durable_lsn;
    if (durable_lsn > last_lsn) {
      last_lsn = durable_lsn;
      last_epoch = p.last_epoch;
    }
  } else if (!more) {
    CheckSwitchover();  // the writer may have just gone quiet
    return Status::Ok();
  }
  for (auto& [name, f] : followers) Pump(f);
  CheckSwitchover();
  return Status::Ok();
}

void Member::Impl::GoBack(Follower& f) {
  // Never below where the stream started: the replica holds that much.
  const uint64_t from = std::max({f.received, f.floor, f.base});
  Log(Note::kInfo, "msg=\"resending\" replica=" + Quote(f.name) + " from_lsn=" +
                       std::to_string(from + 1) + " sent_lsn=" + std::to_string(f.sent));
  f.sent = from;
  f.unacked.Clear();
  f.unflushed.DropAfter(from);
  f.waiting_since_ms = now;
  // A read in flight comes back with a from_lsn that no longer fits: dropped.
}

void Member::Impl::PrimaryTick() {
  const uint64_t stall = uint64_t{3} * config.heartbeat_ms;
  for (auto& [name, f] : followers) {
    if (f.phase == Phase::kStreaming && !f.unacked.q.empty() && f.received < f.sent &&
        now - f.waiting_since_ms >= stall) {
      GoBack(f);
    }
    SendTo(f.endpoint, Heartbeat(f.sent));
    Pump(f);
  }
  for (const auto& peer : config.peers) {
    if (peer == config.endpoint || FindByEndpoint(peer)) continue;
    SendTo(peer, Heartbeat(durable_lsn));
  }
  CheckLease();
}

void Member::Impl::CheckLease() {
  if (!IsPrimary() || !config.ack.NeedsReplicas()) return;
  uint32_t fresh = 0;
  for (const auto& [name, f] : followers) {
    if (f.acked && now - f.last_ack_ms < config.lease_ms) ++fresh;
  }
  const bool held = fresh >= config.ack.k || now - primary_since_ms < config.lease_ms;
  if (!held && !lease_lost) {
    lease_lost = true;
    Log(Note::kWarn, "msg=\"lease lost: pausing writes\" acked_within_lease=" +
                         std::to_string(fresh) + " needed=" + std::to_string(config.ack.k) +
                         " lease_ms=" + std::to_string(config.lease_ms));
    UpdateWriterRole();
  } else if (held && lease_lost) {
    lease_lost = false;
    Log(Note::kInfo,
        "msg=\"lease regained: resuming writes\" acked_within_lease=" + std::to_string(fresh));
    UpdateWriterRole();
  }
}

void Member::Impl::UpdateWriterRole() {
  if (!IsPrimary()) return;
  const Role want = lease_lost || switchover ? Role::kPaused : Role::kPrimary;
  if (want == role) return;
  role = want;
  TellRole(want == Role::kPaused ? wire::LinkRoleKind::kPaused : wire::LinkRoleKind::kPrimary);
}

void Member::Impl::EmitAcked() {
  wire::LinkAcked a;
  a.epoch = ds.current_epoch;
  uint64_t min_flushed = UINT64_MAX;
  for (const auto& [name, f] : followers) {
    a.received.push_back(f.received);
    a.flushed.push_back(f.flushed);
    a.applied.push_back(f.applied);
    min_flushed = std::min(min_flushed, f.flushed);
  }
  a.retain_from = followers.empty() ? 0 : min_flushed + 1;
  TellWriter(std::move(a));
}

}  // namespace shardkit::repl
