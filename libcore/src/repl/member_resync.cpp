// repl::Member: full resyncs, both ends (DESIGN.md §8).
//
// When the records a replica needs are gone from the primary's log, the
// primary sends its newest snapshot instead, and streams the log after it:
//
//   primary  ReadLog gone --> START{resync} and SendSnapshot (OnGone), unless
//            the replica completed a resync less than resync_min_interval_ms
//            ago (kResyncWait and a timer: OnRetry). One SendSnapshot per
//            replica is outstanding (`transfers`); a new session's resync
//            waits for the older transfer's ResyncSent (IssueSnapshot), so
//            an older transfer never stands in for a newer one. ResyncSent of
//            the follower's session --> stream from the snapshot LSN once the
//            replica acks it (floor); that ack completes the resync, and only
//            completed resyncs count for the rate limit. A failed transfer
//            completes nothing: the replica times out and asks again.
//   replica  START{resync} of its session --> kSnapshot, with the floor it
//            must not go below: what it acknowledged as flushed, unless the
//            primary's cut goes lower (OnStart). The driver reports chunks
//            (SnapshotProgress); the member answers a complete snapshot of
//            its epoch and session, at or above the floor, with
//            InstallSnapshot, and nothing else moves the log until
//            SnapshotInstalled; then the primary's history is persisted and
//            it streams. 4 * election_ms in kSnapshot without a chunk: HELLO
//            in a new session (ReplicaTick), which starts the resync over.
//
// Why all of it: a resync the replica did not ask for, arriving after it
// caught up, would replace records it acknowledged as flushed with an older
// snapshot; and one that is lost must not leave both ends waiting for ever.
#include <algorithm>

#include "member_impl.h"

namespace shardkit::repl {

// ---- the primary's end -------------------------------------------------------

void Member::Impl::OnGone(Follower& f, uint64_t lsn) {
  // The limit is on resyncs that completed (a storm of them); one that
  // never did (its snapshot was lost) is retried at once.
  if (f.last_resync_ms && now - *f.last_resync_ms < config.resync_min_interval_ms) {
    const uint64_t wait = *f.last_resync_ms + config.resync_min_interval_ms - now;
    Log(Note::kWarn, "msg=\"resync rate-limited\" replica=" + Quote(f.name) +
                         " lsn=" + std::to_string(lsn) + " retry_in_ms=" + std::to_string(wait));
    f.phase = Phase::kResyncWait;
    Disarm(&f.retry_timer);
    f.retry_timer = Arm(static_cast<uint32_t>(std::min<uint64_t>(wait, UINT32_MAX)));
    return;
  }
  ++f.resyncs;
  f.last_resync_reason = "lsn " + std::to_string(lsn) + " no longer retained";
  f.phase = Phase::kResyncing;
  f.resync_open = false;
  f.unacked.Clear();
  f.unflushed.Clear();
  Log(Note::kWarn, "msg=\"full resync\" replica=" + Quote(f.name) + " reason=" +
                       Quote(f.last_resync_reason) + " resyncs=" + std::to_string(f.resyncs));
  SendStart(f, true);
  if (transfers.count(f.endpoint)) {
    // An older transfer to it is still out: its ResyncSent must not be
    // taken for this one's, so this one starts when that one ends.
    f.snapshot_queued = true;
    return;
  }
  IssueSnapshot(f);
}

void Member::Impl::IssueSnapshot(Follower& f) {
  f.snapshot_queued = false;
  transfers[f.endpoint] = f.session;
  Emit(SendSnapshot{f.endpoint, f.session});
}

void Member::Impl::OnRetry(Follower& f) {
  if (f.phase != Phase::kResyncWait) return;
  f.phase = f.start_sent ? Phase::kStreaming : Phase::kStarting;
  Pump(f);
}

void Member::Impl::OnResyncSent(const ResyncSent& r) {
  uint64_t session = r.session;
  if (auto it = transfers.find(r.to);
      it != transfers.end() && (session == 0 || session == it->second)) {
    session = it->second;
    transfers.erase(it);
  }
  Follower* f = FindByEndpoint(r.to);
  if (!f || !IsPrimary() || f->phase != Phase::kResyncing) return;
  if (f->snapshot_queued) {
    IssueSnapshot(*f);  // that was the older transfer: now this session's
    return;
  }
  if (session != f->session) return;  // a transfer for an older session
  if (r.failed) {
    // Nothing reaches the replica: it times out in kSnapshot and says
    // HELLO again, and that session's resync starts over.
    Log(Note::kWarn, "msg=\"full resync transfer failed\" replica=" + Quote(f->name));
    return;
  }
  f->phase = Phase::kStreaming;
  f->resync_open = true;
  f->sent = r.snapshot_lsn;
  f->floor = r.snapshot_lsn;
  f->unacked.Clear();
  f->unflushed.Clear();
  f->waiting_since_ms = now;
  Pump(*f);
}

// ---- the replica's end --------------------------------------------------------

void Member::Impl::OnSnapshotProgress(const SnapshotProgress& p) {
  if (IsPrimary()) return;
  const bool complete = p.received_bytes >= p.total_bytes;
  std::string refuse;
  if (sync != Sync::kSnapshot || install_pending) {
    refuse = "not waiting for a snapshot";
  } else if (p.epoch != ds.current_epoch) {
    refuse = "epoch " + std::to_string(p.epoch) + " is not the current " +
             std::to_string(ds.current_epoch);
  } else if (p.session != hello_session) {
    refuse = "session " + std::to_string(p.session) + " is not the current " +
             std::to_string(hello_session);
  } else if (!complete) {
    snapshot_wait_ms = now;  // progress: not stalled
    return;
  } else if (p.snapshot_lsn < resync_floor) {
    refuse = "lsn " + std::to_string(p.snapshot_lsn) + " is below the acknowledged " +
             std::to_string(resync_floor);
  } else if (EpochAt(resync_history, p.snapshot_lsn) != p.snapshot_epoch) {
    refuse = "epoch " + std::to_string(p.snapshot_epoch) + " at lsn " +
             std::to_string(p.snapshot_lsn) + " disagrees with the history";
  }
  if (!refuse.empty()) {
    if (complete) {
      Log(Note::kWarn, "msg=\"resync snapshot refused\" lsn=" + std::to_string(p.snapshot_lsn) +
                           " reason=" + Quote(refuse));
    }
    return;
  }
  install_pending = std::make_pair(p.snapshot_lsn, p.snapshot_epoch);
  Emit(InstallSnapshot{p.snapshot_lsn, p.snapshot_epoch});
}

void Member::Impl::OnSnapshotInstalled(const SnapshotInstalled& s) {
  if (IsPrimary()) return;
  // Asked for (InstallSnapshot), or, from a driver that installs every
  // snapshot it gets, while waiting for one.
  const bool expected =
      install_pending ? install_pending->first == s.snapshot_lsn : sync == Sync::kSnapshot;
  install_pending.reset();
  own_tail = false;
  to_writer.Clear();
  last_lsn = durable_lsn = applied_lsn = s.snapshot_lsn;
  last_epoch = s.snapshot_epoch;
  // The log is now the primary's up to the snapshot: its history, persisted
  // after the install (as after a cut). A snapshot that history does not
  // describe leaves the log untrusted: the next START replaces it whole.
  if (resync_epoch == ds.current_epoch && !resync_history.empty() &&
      EpochAt(resync_history, s.snapshot_lsn) == s.snapshot_epoch) {
    if (ds.history != resync_history) {
      ds.history = resync_history;
      Persist();
    }
    log_suspect = false;
  } else {
    log_suspect = EpochAt(ds.history, s.snapshot_lsn) != s.snapshot_epoch;
  }
  // What it acknowledged above the snapshot stays promised, unless the
  // resync was asked for with a cut below it (those records were divergent).
  if (s.snapshot_lsn >= flushed_acked || (expected && s.snapshot_lsn >= resync_floor)) {
    flushed_acked = s.snapshot_lsn;
    flushed_acked_epoch = s.snapshot_epoch;
  }
  if (expected && sync == Sync::kSnapshot) {
    sync = Sync::kStreaming;
    Log(Note::kInfo, "msg=\"resync snapshot installed\" lsn=" + std::to_string(s.snapshot_lsn));
    SendAck();
    return;
  }
  Log(Note::kWarn,
      "msg=\"snapshot installed while not waiting for it\" lsn=" + std::to_string(s.snapshot_lsn));
  if (role == Role::kCandidate) {
    // The votes it asked for were for the log it had: it must not lead
    // with this one, which may lack what it acknowledged.
    Log(Note::kWarn,
        "msg=\"candidacy abandoned: the log changed\" epoch=" + std::to_string(ds.current_epoch));
    role = Role::kReplica;
    votes.clear();
    takeover_candidate = false;
    ArmElection();
  }
  if (!follow.empty()) HelloAgain();
}

}  // namespace shardkit::repl
