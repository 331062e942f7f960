// The simulated writer: the replication half of daemon::Node
// (libcore/src/daemon/node_replication.cpp) on a simulated disk, without a
// transaction core. Each client write is one record.
//
//   standby  appends LINK_APPEND records at their LSNs (a gap: progress and
//            nothing else), fsyncs them, applies them once durable (after an
//            apply lag drawn per seed), and reports progress.
//   primary  stamps each client write with its epoch at the next LSN and
//            answers it once the ack gate passes it: the durable LSN capped
//            by AckedLsn(level, durable, LINK_ACKED positions) (Node::Gate).
//            A write that waits ack_timeout gets "not replicated".
//   paused   refuses new writes (NOT_PRIMARY) and finishes the others.
//
// LinkRole{replica} on a primary, LINK_TRUNCATE and LINK_INSTALL rebuild the
// writer from disk (Node::Rebuild): whatever was appended becomes durable,
// waiting writes get NOT_PRIMARY, the log is cut or replaced, and the
// standby replays it. LinkRole{primary} on a standby first makes the whole
// log durable and applied. A crash keeps the durable prefix (repl_world.cpp).
// Snapshots keep their content in the log; only reads below trim_from fail.
#include "repl_world.h"

namespace replsim {

void World::ToWriter(int h, LinkMsg msg) {
  Host& host = hosts_[h];
  const uint64_t t = std::max(now_ + rng_.Range(0, 1), host.to_writer_t);
  host.to_writer_t = t;
  Ev& ev = Push(Kind::kToWriter, t, h);
  ev.inc = host.host_inc;
  ev.payload = std::move(msg);
}

void World::SendProgress(int h) {
  Host& host = hosts_[h];
  const Writer& w = host.writer;
  const uint64_t t = std::max(now_ + rng_.Range(0, 1), host.to_member_t);
  host.to_member_t = t;
  Ev& ev = Push(Kind::kToMember, t, h);
  ev.inc = host.host_inc;
  // A primary's records count as written once appended: the simulated
  // write(2) is instant, the fsync is not (a crash keeps only the durable
  // prefix, as the machine's would).
  const uint64_t written = w.role == Writer::Role::kStandby ? 0 : w.last_lsn();
  // Paused with the whole log durable: a switchover may hand over.
  const uint64_t quiet =
      w.role == Writer::Role::kPaused && w.durable == w.last_lsn() ? w.role_seq : 0;
  ev.payload = wire::LinkProgress{w.durable, w.applied, w.EpochAt(w.durable), w.snap_lsn, written,
                                  "",        quiet};
}

void World::WriterReceive(int h, LinkMsg& msg) {
  Writer& w = hosts_[h].writer;
  if (auto* r = std::get_if<wire::LinkRole>(&msg)) {
    WriterRole(h, *r);
  } else if (auto* a = std::get_if<wire::LinkAcked>(&msg)) {
    WriterAcked(h, *a);
  } else if (auto* ap = std::get_if<wire::LinkAppend>(&msg)) {
    WriterAppend(h, *ap);
  } else if (auto* t = std::get_if<wire::LinkTruncate>(&msg)) {
    if (w.role != Writer::Role::kStandby) return Trace("  truncate refused: not a standby");
    if (t->after_lsn >= w.last_lsn()) return SendProgress(h);
    WriterRebuild(h, t, nullptr);
  } else if (auto* inst = std::get_if<InstallMsg>(&msg)) {
    if (w.role != Writer::Role::kStandby) return Trace("  install refused: not a standby");
    WriterRebuild(h, nullptr, inst);
  }
}

void World::WriterRole(int h, const wire::LinkRole& r) {
  Writer& w = hosts_[h].writer;
  const auto kind = static_cast<wire::LinkRoleKind>(r.role);
  w.role_seq = r.seq;
  if (kind == wire::LinkRoleKind::kReplica) {
    if (w.role != Writer::Role::kStandby) WriterRebuild(h, nullptr, nullptr);
    return;
  }
  const Writer::Role next =
      kind == wire::LinkRoleKind::kPaused ? Writer::Role::kPaused : Writer::Role::kPrimary;
  if (w.role == Writer::Role::kStandby) {
    // Promotion: everything appended is made durable and replayed first.
    w.durable = w.last_lsn();
    WriterApply(h, w.durable);
    w.epoch = r.epoch;
    w.role = next;
    w.fed = w.durable;
    Trace("  " + hosts_[h].name + " writer promoted in epoch " + std::to_string(w.epoch) +
          " at lsn " + std::to_string(w.last_lsn()));
    checker_.OnWriterPrimary(h, w.epoch, w.log, now_);
    SendProgress(h);
    return;
  }
  if (r.epoch != w.epoch) {
    w.epoch = r.epoch;
    w.acked = {};
    checker_.OnWriterPrimary(h, w.epoch, w.log, now_);
  }
  w.role = next;
  if (next == Writer::Role::kPaused) SendProgress(h);  // maybe quiet already
  Gate(h);
}

void World::WriterAcked(int h, const wire::LinkAcked& a) {
  Writer& w = hosts_[h].writer;
  if (w.role == Writer::Role::kStandby || a.epoch != w.epoch) return;
  if (a.received.size() != a.flushed.size() || a.flushed.size() != a.applied.size()) return;
  w.acked = a;
  Gate(h);
}

void World::WriterAppend(int h, const wire::LinkAppend& a) {
  Writer& w = hosts_[h].writer;
  if (w.role != Writer::Role::kStandby) return Trace("  append refused: not a standby");
  bool resent = false;
  for (const wire::ReplRecord& r : a.records) {
    if (r.lsn <= w.last_lsn()) {  // a resend of what we have
      resent = true;
      continue;
    }
    if (r.lsn != w.last_lsn() + 1) {
      Trace("  replicated record out of sequence");
      SendProgress(h);
      break;
    }
    Rec rec{r.epoch, r.lsn, r.payload, Chain(w.ChainAt(w.last_lsn()), r.epoch, r.lsn, r.payload)};
    checker_.OnFollowerRecord(h, rec, "appended", now_);
    w.log.push_back(std::move(rec));
  }
  if (!a.records.empty()) RequestSync(h);
  if (resent) SendProgress(h);  // as Node::OnAppend: the member may have forgotten
}

void World::WriterRebuild(int h, const wire::LinkTruncate* cut, InstallMsg* install) {
  Host& host = hosts_[h];
  Writer& w = host.writer;
  // Closing the log makes whatever was appended durable.
  w.durable = w.last_lsn();
  ++w.gen;
  int hint = -1;
  if (host.member_up) hint = HostOf(host.member->Report(now_).primary);
  for (const auto& [lsn, p] : w.pending) {
    ReplyClient(h, p.client, ClientMsg{ClientMsg::kNotPrimary, p.rid, "", 0, 0, hint});
  }
  w.pending.clear();
  if (cut != nullptr) {
    Trace("  " + host.name + " writer truncates after lsn " + std::to_string(cut->after_lsn) +
          " (log ends at " + std::to_string(w.last_lsn()) + ")");
    ++stats_.truncations;
    if (w.applied > cut->after_lsn) stats_.applied_then_cut += w.applied - cut->after_lsn;
    if (cut->after_lsn < w.snap_lsn || cut->after_lsn + 1 < w.trim_from) {
      // A real WAL cannot do this: the records before the cut are only in
      // a snapshot that holds the records after it too.
      ++stats_.cut_below_snapshot;
      w.snap_lsn = std::min(w.snap_lsn, cut->after_lsn);
      w.trim_from = std::min(w.trim_from, cut->after_lsn + 1);
    }
    w.log.resize(cut->after_lsn);
  }
  if (install != nullptr) {
    Trace("  " + host.name + " writer installs a snapshot at lsn " + std::to_string(install->lsn));
    ++stats_.resyncs;
    w.log.clear();
    for (const Rec& r : install->records) {
      Rec rec{r.epoch, r.lsn, r.value, Chain(w.ChainAt(w.last_lsn()), r.epoch, r.lsn, r.value)};
      checker_.OnFollowerRecord(h, rec, "installed", now_);
      if (checker_.violation()) return;
      w.log.push_back(std::move(rec));
    }
    w.snap_lsn = install->lsn;
    w.trim_from = install->lsn + 1;
  }
  w.durable = w.last_lsn();
  w.sync_upto = w.durable;
  w.role = Writer::Role::kStandby;
  w.fed = w.durable;
  // The rebuilt standby core replays the whole log.
  w.applied = std::min(w.applied, w.durable);
  WriterApply(h, w.durable);
}

void World::RequestSync(int h) {
  Writer& w = hosts_[h].writer;
  if (w.last_lsn() <= w.sync_upto) return;
  w.sync_upto = w.last_lsn();
  // Group commit: fsyncs complete in order.
  w.sync_t = std::max(now_ + rng_.Range(params_.fsync_min_ms, params_.fsync_max_ms), w.sync_t);
  Ev& ev = Push(Kind::kFsync, w.sync_t, h);
  ev.inc = w.gen;
  ev.id = w.sync_upto;
}

void World::WriterFsync(int h, uint64_t upto) {
  Writer& w = hosts_[h].writer;
  upto = std::min(upto, w.last_lsn());
  if (upto <= w.durable) return;
  w.durable = upto;
  if (w.role != Writer::Role::kStandby) {
    w.applied = w.durable;
    Gate(h);
  } else if (params_.apply_max_ms > 0) {
    Ev& ev = Push(Kind::kApply, now_ + rng_.Range(0, params_.apply_max_ms), h);
    ev.inc = w.gen;
    ev.id = w.durable;
  } else {
    return WriterApply(h, w.durable);
  }
  SendProgress(h);
}

void World::WriterApply(int h, uint64_t upto) {
  Writer& w = hosts_[h].writer;
  upto = std::min(upto, w.durable);
  if (upto <= w.applied) return SendProgress(h);
  for (uint64_t l = w.applied + 1; l <= upto && !checker_.violation(); ++l) {
    checker_.OnFollowerRecord(h, w.log[l - 1], "applied", now_);
  }
  w.applied = upto;
  SendProgress(h);
}

// Node::Gate: the durable LSN, capped by what the ack level confirms, is
// what the core may reveal; each waiting write it covers is answered.
void World::Gate(int h) {
  Writer& w = hosts_[h].writer;
  if (w.role == Writer::Role::kStandby) return;
  uint64_t lsn = w.durable;
  if (w.ack.NeedsReplicas()) {
    lsn = std::min(
        lsn, repl::AckedLsn(w.ack, w.durable, w.acked.received, w.acked.flushed, w.acked.applied));
  }
  if (lsn <= w.fed) return;
  w.fed = lsn;
  while (!w.pending.empty() && w.pending.begin()->first <= lsn) {
    const auto [l, p] = *w.pending.begin();
    w.pending.erase(w.pending.begin());
    const Rec& rec = w.log[l - 1];
    checker_.OnAck(h, rec, now_);
    ReplyClient(h, p.client, ClientMsg{ClientMsg::kOk, p.rid, rec.value, rec.epoch, l, -1});
  }
}

void World::WriterWrite(int h, int client, const ClientMsg& m) {
  Host& host = hosts_[h];
  Writer& w = host.writer;
  if (w.role != Writer::Role::kPrimary) {
    const int hint = host.member_up ? HostOf(host.member->Report(now_).primary) : -1;
    return ReplyClient(h, client, ClientMsg{ClientMsg::kNotPrimary, m.rid, "", 0, 0, hint});
  }
  const uint64_t lsn = w.last_lsn() + 1;
  Rec rec{w.epoch, lsn, m.value, Chain(w.ChainAt(w.last_lsn()), w.epoch, lsn, m.value)};
  checker_.OnPrimaryAppend(h, rec, now_);
  w.log.push_back(std::move(rec));
  w.pending[lsn] = Writer::Pending{client, m.rid};
  RequestSync(h);
  SendProgress(h);  // written: replicad may stream it before the fsync ends
  Ev& ev = Push(Kind::kAckTimeout, now_ + params_.ack_timeout_ms, h);
  ev.inc = w.gen;
  ev.id = lsn;
}

void World::WriterAckTimeout(int h, uint64_t lsn) {
  Writer& w = hosts_[h].writer;
  auto it = w.pending.find(lsn);
  if (it == w.pending.end()) return;
  ReplyClient(h, it->second.client,
              ClientMsg{ClientMsg::kNotReplicated, it->second.rid, "", 0, 0, -1});
  w.pending.erase(it);
}

// A snapshot of the durable log; the segments it covers go, except those a
// primary's replicas still need (LinkAcked::retain_from), unless the
// retention cap says otherwise.
void World::WriterCompact(int h) {
  Writer& w = hosts_[h].writer;
  if (w.durable <= w.snap_lsn) return;
  w.snap_lsn = w.durable;
  uint64_t floor = w.snap_lsn + 1;
  if (w.role != Writer::Role::kStandby && w.acked.retain_from > 0 &&
      !(params_.retention_cap && rng_.Chance(0.5))) {
    floor = std::min(floor, w.acked.retain_from);
  }
  w.trim_from = std::max(w.trim_from, floor);
  Trace("  " + hosts_[h].name + " snapshot at lsn " + std::to_string(w.snap_lsn) +
        ", log kept from " + std::to_string(w.trim_from));
}

void World::ReplyClient(int h, int client, ClientMsg m) {
  if (faults_ && rng_.Chance(params_.drop)) return Trace("  (reply lost)");
  uint64_t& last = fifo_[{h, client}];
  const uint64_t t = std::max(now_ + rng_.Range(1, params_.max_delay_ms), last);
  last = t;
  Ev& ev = Push(Kind::kClientReply, t, client);
  ev.from = h;
  ev.payload = std::move(m);
}

}  // namespace replsim
