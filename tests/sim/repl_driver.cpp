// The simulator as replicad: it runs each repl::Member exactly as
// tools/replicad/driver.cpp does, keeping the driver contract of
// repl/member.h (events queued while actions are performed, Persist before
// anything after it, ReadLog from the writer's durable log, full resyncs
// from the writer's newest snapshot), and reports every action to the
// checker.
#include <algorithm>
#include <cstdio>

#include "repl_world.h"

namespace replsim {
namespace {

const char* MsgName(const ReplMsg& m) {
  const char* names[] = {"HELLO", "START", "RECORDS", "ACK", "VOTE_REQUEST", "VOTE", "TAKEOVER"};
  return names[m.index()];
}

}  // namespace

repl::Config World::MemberConfig(int h) const {
  repl::Config c;
  c.name = hosts_[h].name;
  c.endpoint = hosts_[h].endpoint;
  for (const Host& other : hosts_) {
    if (&other != &hosts_[h]) c.peers.push_back(other.endpoint);
  }
  c.ack = params_.ack;
  c.auto_failover = true;
  c.heartbeat_ms = params_.heartbeat_ms;
  c.lease_ms = params_.lease_ms;
  c.election_ms = params_.election_ms;
  c.switchover_ms = params_.switchover_ms;
  c.window_bytes = params_.window_bytes;
  c.resync_min_interval_ms = params_.resync_min_interval_ms;
  c.seed = options_.seed;
  c.test_accept_lower_epoch = options_.broken_replica;
  return c;
}

// replicad starts once its writer connects: Started carries the persisted
// state and where the writer's durable log ends.
void World::StartMember(int h) {
  Host& host = hosts_[h];
  const Writer& w = host.writer;
  host.member = std::make_unique<repl::Member>(MemberConfig(h));
  host.member_up = true;
  host.progress = wire::LinkProgress{w.durable, w.applied, w.EpochAt(w.durable), w.snap_lsn, 0, ""};
  repl::Started s;
  s.state = host.disk;
  s.last_epoch = w.EpochAt(w.durable);
  s.last_lsn = w.durable;
  Feed(h, s);
}

void World::Feed(int h, repl::Event e) {
  Host& host = hosts_[h];
  host.queue.push_back(std::move(e));
  if (host.feeding) return;  // the outer Feed drains the queue
  host.feeding = true;
  std::vector<repl::Action> actions;
  while (!host.queue.empty() && host.member && !checker_.violation()) {
    repl::Event ev = std::move(host.queue.front());
    host.queue.pop_front();
    actions.clear();
    Status s = host.member->Handle(ev, now_, &actions);
    if (!s.ok() && !std::holds_alternative<repl::Operator>(ev)) {
      checker_.Fail("core", host.name + ": " + s.message(), now_);
      break;
    }
    for (repl::Action& a : actions) {
      Perform(h, a);
      if (checker_.violation()) break;
    }
  }
  host.feeding = false;
}

void World::Perform(int h, repl::Action& action) {
  Host& host = hosts_[h];
  Writer& w = host.writer;
  if (auto* p = std::get_if<repl::Persist>(&action)) {
    checker_.OnPersist(h, host.disk, p->state, now_);
    Trace("  " + host.name + " persists epoch " + std::to_string(p->state.current_epoch) +
          ", vote " + std::to_string(p->state.voted_epoch) + ":" + p->state.voted_for);
    host.disk = p->state;
  } else if (auto* s = std::get_if<repl::Send>(&action)) {
    checker_.OnSend(h, s->to, s->msg, host.disk, now_);
    if (options_.verbose)
      Trace("  " + host.name + " -> " + s->to.substr(6) + " " + MsgName(s->msg));
    Net(h, s->to, std::move(s->msg));
  } else if (auto* tw = std::get_if<repl::ToWriter>(&action)) {
    checker_.OnToWriter(h, tw->msg, host.disk, now_);
    std::visit([&](auto& m) { ToWriter(h, LinkMsg(std::move(m))); }, tw->msg);
  } else if (auto* r = std::get_if<repl::ReadLog>(&action)) {
    // The driver reads the WAL up to what the writer reported written.
    repl::LogRead lr;
    lr.to = r->to;
    lr.from_lsn = r->from_lsn;
    if (r->from_lsn < w.trim_from) {
      lr.gone = true;
    } else {
      const uint64_t upto = std::min<uint64_t>(
          std::max(host.progress.durable_lsn, host.progress.written_lsn), w.last_lsn());
      uint64_t bytes = 0;
      for (uint64_t l = r->from_lsn; l <= upto; ++l) {
        if (!lr.records.empty() && bytes >= r->max_bytes) break;
        const Rec& rec = w.log[l - 1];
        lr.records.push_back(wire::ReplRecord{1, rec.epoch, rec.lsn, rec.value});
        bytes += rec.value.size() + wire::ReplRecord::kMinWireBytes;
      }
    }
    host.queue.push_back(std::move(lr));
  } else if (auto* ss = std::get_if<repl::SendSnapshot>(&action)) {
    const int to = HostOf(ss->to);
    if (to < 0) return checker_.Fail("core", host.name + " resyncs unknown " + ss->to, now_);
    // The contract (member.h, 6) wants every SendSnapshot answered with a
    // ResyncSent; ResyncSender streams one at a time, so the others wait.
    // (tools/replicad's driver logs "cannot start a full resync" instead and
    // drops the request, which leaves that replica waiting for ever.)
    if (!host.resync_active) return StartResync(h, to);
    if (std::find(host.resync_queue.begin(), host.resync_queue.end(), to) ==
        host.resync_queue.end()) {
      host.resync_queue.push_back(to);
    }
  } else if (auto* t = std::get_if<repl::SetTimer>(&action)) {
    host.timers.insert(t->id);
    Ev& ev = Push(Kind::kTimer, now_ + t->delay_ms, h);
    ev.inc = host.member_inc;
    ev.id = t->id;
  } else if (auto* c = std::get_if<repl::CancelTimer>(&action)) {
    host.timers.erase(c->id);
  } else if (auto* n = std::get_if<repl::Note>(&action)) {
    Trace("  " + host.name + " note: " + n->text);
  } else if (auto* d = std::get_if<repl::OperatorDone>(&action)) {
    Trace("  " + host.name + " operator " + std::to_string(d->token) +
          " done: " + (d->status.ok() ? "ok" : d->status.message()));
    if (host.operators.erase(d->token) == 0) {
      checker_.Fail("core",
                    host.name + " answered operator request " + std::to_string(d->token) +
                        " that it was not asked or had answered",
                    now_);
    }
  }
}

void World::OnProgress(int h, const wire::LinkProgress& p) {
  Host& host = hosts_[h];
  if (!host.member_up) return;  // a new replicad hears the writer when it connects
  host.progress = p;
  if (host.installing && p.snapshot_lsn == host.installing->first &&
      p.durable_lsn >= host.installing->first) {
    const repl::SnapshotInstalled done{host.installing->first, host.installing->second};
    host.installing.reset();
    Feed(h, done);
  }
  Feed(h, repl::ToWriterProgress(p));
}

void World::StartResync(int h, int to) {
  Host& host = hosts_[h];
  const Writer& w = host.writer;
  if (w.snap_lsn == 0) {
    // The log was never compacted, so nothing can be gone: unreachable.
    return checker_.Fail("core", host.name + " asked for a full resync without a snapshot", now_);
  }
  Snapshot snap;
  snap.from = h;
  snap.to = to;
  snap.serial = ++host.resync_serial;
  snap.chunk_epoch = host.member->epoch();
  snap.lsn = w.snap_lsn;
  snap.epoch = w.EpochAt(w.snap_lsn);
  snap.records.assign(w.log.begin(), w.log.begin() + static_cast<long>(w.snap_lsn));
  host.resync_active = true;
  Ev& ev = Push(Kind::kResyncSent, now_ + 5 + w.snap_lsn / 8, h);
  ev.inc = host.member_inc;
  ev.id = snap.serial;
  ev.payload = std::move(snap);
}

// The sender streamed the last chunk: the snapshot travels (as one message)
// and the member hears ResyncSent. With --lossy-resync a partition or a
// drop loses it; by default it is delivered once the path is open again,
// as by a transport that retransmits (see repl_sim.h).
void World::OnResyncSent(int h, Ev& ev) {
  Snapshot& snap = std::get<Snapshot>(ev.payload);
  const int to = snap.to;
  const repl::ResyncSent sent{hosts_[to].endpoint, snap.lsn, snap.epoch};
  if (options_.lossy_resync && (Cut(h, to) || (faults_ && rng_.Chance(params_.drop)))) {
    Trace("  (resync snapshot lost)");
  } else {
    uint64_t& latest = latest_[{h, to}];
    latest = std::max(latest + 1, now_ + rng_.Range(1, params_.max_delay_ms));
    Ev& arrive = Push(Kind::kSnapshot, latest, to);
    arrive.from = h;
    arrive.payload = std::move(snap);
  }
  Host& host = hosts_[h];
  host.resync_active = false;
  Feed(h, sent);
  if (!host.resync_active && !host.resync_queue.empty() && host.member_up) {
    const int next = host.resync_queue.front();
    host.resync_queue.pop_front();
    StartResync(h, next);
  }
}

// tools/replicad's receiver: chunks of a lower epoch are fenced; a complete
// snapshot goes to the writer (LINK_INSTALL), and SnapshotInstalled follows
// the writer's progress that shows it.
void World::OnSnapshot(int h, Snapshot& snap) {
  Host& host = hosts_[h];
  if (!host.up || !host.member_up || Cut(snap.from, h)) {
    if (options_.lossy_resync) return Trace("  (resync snapshot lost)");
    Ev& again = Push(Kind::kSnapshot, now_ + rng_.Range(20, 50), h);
    again.from = snap.from;
    again.payload = std::move(snap);
    return;
  }
  if (snap.chunk_epoch < host.member->epoch()) return;
  host.installing = std::make_pair(snap.lsn, snap.epoch);
  ToWriter(h, InstallMsg{snap.lsn, snap.epoch, std::move(snap.records)});
}

}  // namespace replsim
