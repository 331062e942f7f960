// Node: the writer's half of replication (node.h, link.h; DESIGN.md §8).
//
// Roles, as replicad sets them over the link:
//
//   standby  the core recovered passively; records from LINK_APPEND are
//            appended at their LSNs and epochs, and once durable handed to
//            the core (Replicated). Reads are served, writes refused.
//   primary  the core runs; records are stamped with `epoch`; LogDurable is
//            gated on the ack level (Gate).
//   paused   a primary that refuses new writes (switchover, lost lease) but
//            finishes the ones in flight.
//
// Transitions: standby -> primary feeds Promoted once the whole appended
// log is durable AND the ack level covers it (Gate): until then the core
// stays passive and writes are refused. Without the wait, a member that
// restarts with records its replicas never received (it wrote them as
// primary, then crashed) and is elected again would re-drive a decision
// or re-send a vote that only it holds; lost with it a moment later, the
// next primary would contradict what the participants were told.
//
// primary/paused -> standby rebuilds the core from disk (Rebuild), as do
// LINK_TRUNCATE and LINK_INSTALL, which change the disk with the log
// closed.
#include <fcntl.h>
#include <unistd.h>

#include "node_impl.h"
#include "shardkit/cli/log.h"
#include "shardkit/daemon/link.h"
#include "shardkit/daemon/replica_set.h"
#include "shardkit/net/connect.h"
#include "shardkit/net/socket.h"
#include "shardkit/txn/core.h"
#include "shardkit/wal/snapshot.h"
#include "shardkit/wire/codec.h"

namespace shardkit::daemon {

namespace {

// A read's freshness bounds: (min_lsn, max_staleness_ms), or nullopt for a
// message that is not a read.
std::optional<std::pair<uint64_t, uint64_t>> ReadBounds(const txn::Message& msg) {
  if (const auto* g = std::get_if<wire::GetRequest>(&msg)) {
    return std::pair{g->min_lsn, g->max_staleness_ms};
  }
  if (const auto* r = std::get_if<wire::ScanRequest>(&msg)) {
    return std::pair{r->min_lsn, r->max_staleness_ms};
  }
  return std::nullopt;
}

// The ack level a write asked for ("" for none, or not a write).
const std::string& WriteAck(const txn::Message& msg) {
  static const std::string kNone;
  if (const auto* p = std::get_if<wire::PutRequest>(&msg)) return p->ack;
  if (const auto* d = std::get_if<wire::DelRequest>(&msg)) return d->ack;
  return kNone;
}

// The LSN a write's reply reports (0: not a write's success).
txn::Lsn ReplyLsn(const txn::Message& msg) {
  if (const auto* p = std::get_if<wire::PutReply>(&msg)) return p->lsn;
  if (const auto* d = std::get_if<wire::DelReply>(&msg)) return d->lsn;
  return 0;
}

// A standby keeps at most this many unapplied freshness marks; beyond, the
// oldest go (its staleness then reads higher than it is, never lower).
constexpr size_t kMaxPrimaryMarks = 4096;

const char* RoleText(Node::Impl::Role r) {
  switch (r) {
    case Node::Impl::Role::kPrimary:
      return "primary";
    case Node::Impl::Role::kStandby:
      return "standby";
    case Node::Impl::Role::kPaused:
      return "paused";
  }
  return "?";
}

template <class T>
void SendLink(zmq::socket_t& link, const T& msg) {
  if (!link) return;
  const std::vector<std::string> frames = wire::EncodeMessage(0, msg);
  const std::string_view views[] = {frames[0], frames[1]};
  // No replicad (yet): dropped. Progress is resent every tick anyway.
  (void)net::SendFrames(link, views, /*dontwait=*/true);
}

}  // namespace

std::string Node::role() const { return impl_->promoting ? "promoting" : RoleText(impl_->role); }
uint64_t Node::epoch() const { return impl_->epoch; }
std::string Node::ack_level() const { return repl::FormatAckLevel(impl_->ack); }

Status Node::Impl::OpenLink() {
  net::ConnectOptions co;
  co.endpoint = LinkEndpoint(options.data_dir);
  co.immediate = true;
  auto socket = net::Connect(context, co, zmq::socket_type::dealer);
  if (!socket.ok()) return socket.status().Prefixed("replication link");
  link = std::move(*socket);
  loop.AddSocket(link, [this] { OnLink(); });
  return Status::Ok();
}

void Node::Impl::SendProgress() {
  // The epoch of the record at the durable LSN, read together with it.
  const wal::LogPosition pos = log->durable_position();
  wire::LinkProgress p;
  p.durable_lsn = pos.lsn;
  p.applied_lsn = role == Role::kStandby ? durable : pos.lsn;  // a standby replays as it syncs
  p.last_epoch = pos.epoch;
  p.snapshot_lsn = snap_lsn;
  if (role != Role::kStandby) p.written_lsn = std::max(pos.lsn, log->written_lsn());
  p.client_endpoint = endpoint;
  if (role == Role::kPaused && log->last_lsn() == pos.lsn) p.quiet_seq = role_seq;
  progress_written = p.written_lsn;
  SendLink(link, p);
}

void Node::Impl::OnLink() {
  std::vector<zmq::message_t> in;
  for (int i = 0; i < 256 && running; ++i) {
    auto total = net::ReceiveFrames(link, &in, /*dontwait=*/true);
    if (!total.ok()) return Fail(total.status());
    if (*total == 0) return;
    if (*total != wire::kMessageFrames) continue;
    const std::string_view views[] = {net::View(in[0]), net::View(in[1])};
    auto m = wire::DecodeMessage(views);
    if (!m.ok()) {
      cli::LogWarn("malformed message on the replication link", {{"reason", m.status().message()}});
      continue;
    }
    Status s;
    switch (m->header.type) {
      case wire::MsgType::kLinkRole: {
        wire::LinkRole r;
        s = wire::DecodeBody(m->body, &r);
        if (s.ok()) OnRole(r);
        break;
      }
      case wire::MsgType::kLinkAcked: {
        wire::LinkAcked a;
        s = wire::DecodeBody(m->body, &a);
        if (s.ok()) OnAcked(a);
        break;
      }
      case wire::MsgType::kLinkAppend: {
        wire::LinkAppend a;
        s = wire::DecodeBody(m->body, &a);
        if (s.ok()) OnAppend(a);
        break;
      }
      case wire::MsgType::kLinkTruncate: {
        wire::LinkTruncate t;
        s = wire::DecodeBody(m->body, &t);
        if (!s.ok()) break;
        if (role != Role::kStandby) {
          cli::LogWarn("truncate refused: not a standby",
                       {{"after_lsn", std::to_string(t.after_lsn)}});
          break;
        }
        if (t.after_lsn >= log->last_lsn()) {
          SendProgress();
          break;
        }
        cli::LogWarn("truncating a divergent log tail",
                     {{"after_lsn", std::to_string(t.after_lsn)},
                      {"last_lsn", std::to_string(log->last_lsn())}});
        s = Rebuild([this, lsn = t.after_lsn] { return wal::TruncateLogAfter(*dir, lsn); });
        if (!s.ok()) return Fail(s);
        break;
      }
      case wire::MsgType::kLinkInstall: {
        wire::LinkInstall inst;
        s = wire::DecodeBody(m->body, &inst);
        if (!s.ok()) break;
        if (role != Role::kStandby) {
          cli::LogWarn("snapshot install refused: not a standby", {{"path", inst.path}});
          break;
        }
        cli::LogWarn("installing a full-resync snapshot",
                     {{"lsn", std::to_string(inst.snapshot_lsn)}, {"path", inst.path}});
        s = Rebuild(
            [this, inst] { return wal::InstallSnapshot(*dir, inst.path, inst.snapshot_lsn); });
        if (!s.ok()) return Fail(s);
        break;
      }
      default:
        s = Status::DataError("unexpected message type " +
                              std::string(wire::MsgTypeName(m->header.type)));
    }
    if (!s.ok()) {
      cli::LogWarn("bad message on the replication link", {{"reason", s.message()}});
    }
  }
}

void Node::Impl::OnRole(const wire::LinkRole& r) {
  if (!r.ack.empty()) {
    auto level = repl::ParseAckLevel(r.ack);
    if (level.ok() && !(*level == ack)) {
      cli::LogInfo("ack level", {{"ack", repl::FormatAckLevel(*level)}});
      ack = *level;
    }
  }
  primary_hint = r.primary_hint;
  role_seq = r.seq;
  const auto kind = static_cast<wire::LinkRoleKind>(r.role);
  if (kind == wire::LinkRoleKind::kReplica) {
    if (role == Role::kStandby) return;
    cli::LogWarn("stepping down to standby", {{"epoch", std::to_string(r.epoch)}});
    if (Status s = Rebuild(nullptr); !s.ok()) Fail(s);
    return;
  }
  if (role == Role::kStandby) {
    // Everything replicad handed us must be durable and replayed first: the
    // new primary's log continues right after it.
    if (Status s = log->SyncUpTo(log->last_lsn()); !s.ok()) return Fail(s);
    OnDurableReport(log->durable_lsn());
    epoch = r.epoch;
    role = kind == wire::LinkRoleKind::kPaused ? Role::kPaused : Role::kPrimary;
    fed = durable;
    fed_advanced = Clock::now();
    acked = {};
    promoting = true;
    promote_lsn = log->last_lsn();
    if (ack.NeedsReplicas()) {
      cli::LogInfo("promotion waits for the ack level to cover the log",
                   {{"epoch", std::to_string(epoch)},
                    {"lsn", std::to_string(promote_lsn)},
                    {"ack", repl::FormatAckLevel(ack)}});
    }
    SendProgress();
    Gate();
    return;
  }
  if (r.epoch != epoch) {
    cli::LogInfo("new epoch", {{"epoch", std::to_string(r.epoch)}});
    epoch = r.epoch;
    acked = {};
  }
  const Role next = kind == wire::LinkRoleKind::kPaused ? Role::kPaused : Role::kPrimary;
  if (next != role) cli::LogInfo(next == Role::kPaused ? "writes paused" : "writes resumed");
  role = next;
  if (role == Role::kPaused) {
    // Finish what was taken before the pause, and say when the log is still
    // (SendProgress: quiet_seq).
    log->RequestSync();
    SendProgress();
  }
  Gate();
}

void Node::Impl::OnAcked(const wire::LinkAcked& a) {
  if (role == Role::kStandby || a.epoch != epoch) return;
  if (a.received.size() != a.flushed.size() || a.flushed.size() != a.applied.size()) return;
  const bool cap_moved = a.retain_from > acked.retain_from;
  acked = a;
  // A full resync waits for a snapshot the retained log continues from.
  if (a.snapshot_wanted > snap_lsn) StartSnapshot();
  if (cap_moved) {
    Status s = TrimLog();
    if (!s.ok()) cli::LogWarn("log trim failed", {{"reason", s.message()}});
  }
  Gate();
}

txn::Lsn Node::Impl::AckedFor(const repl::AckLevel& level) const {
  return repl::AckedLsn(level, durable, acked.received, acked.flushed, acked.applied);
}

// LogDurable for the core: the local durable LSN, capped at what the ack
// level confirms.
void Node::Impl::Gate() {
  if (role == Role::kStandby || !running) return;
  if (promoting) {
    if (ack.NeedsReplicas() && AckedFor(ack) < promote_lsn) return;
    promoting = false;
    cli::LogInfo("promoted", {{"epoch", std::to_string(epoch)},
                              {"next_lsn", std::to_string(log->last_lsn() + 1)},
                              {"ack", repl::FormatAckLevel(ack)}});
    if (Status s = Feed(txn::Promoted{}); !s.ok() || !running) return;
  }
  if (!held.empty()) ReleaseHeld();
  txn::Lsn lsn = durable;
  if (ack.NeedsReplicas()) lsn = std::min<txn::Lsn>(lsn, AckedFor(ack));
  if (lsn <= fed) return;
  fed = lsn;
  fed_advanced = Clock::now();
  (void)Feed(txn::LogDurable{lsn});
}

void Node::Impl::ForgetWriteLevel(const std::pair<std::string, uint64_t>& key) {
  auto it = write_levels.find(key);
  if (it != write_levels.end() && --it->second.writes <= 0) write_levels.erase(it);
}

bool Node::Impl::HoldReply(const txn::Send& send, const std::string& body) {
  auto it = write_levels.find({send.to, send.request_id});
  if (it == write_levels.end()) return false;
  const repl::AckLevel level = it->second.level;
  ForgetWriteLevel(it->first);
  const txn::Lsn lsn = ReplyLsn(send.msg);
  if (lsn == 0 || AckedFor(level) >= lsn) return false;
  held.push_back(
      HeldReply{send.to, send.request_id, txn::TypeOf(send.msg), body, lsn, level, Clock::now()});
  return true;
}

void Node::Impl::ReleaseHeld() {
  std::erase_if(held, [this](const HeldReply& h) {
    if (AckedFor(h.level) < h.lsn) return false;
    (void)server->Reply(std::string_view(h.handle).substr(1), h.type, h.rid, h.body);
    return true;
  });
}

void Node::Impl::OnAppend(const wire::LinkAppend& a) {
  if (role != Role::kStandby) {
    if (!a.records.empty()) {
      cli::LogWarn("append refused: not a standby",
                   {{"records", std::to_string(a.records.size())}});
    }
    return;
  }
  {
    // (0 too: a primary that has written nothing yet.)
    const auto now = Clock::now();
    if (a.primary_durable_lsn <= durable) {
      in_sync_at = now;
    } else {
      // A later mark at or below a queued one (a new primary's durable LSN
      // may be lower) makes that one useless: applying it means more.
      while (!primary_marks.empty() && primary_marks.back().first >= a.primary_durable_lsn) {
        primary_marks.pop_back();
      }
      if (primary_marks.size() >= kMaxPrimaryMarks) primary_marks.pop_front();
      primary_marks.emplace_back(a.primary_durable_lsn, now);
    }
  }
  if (a.records.empty()) return;
  bool resent = false;
  for (const wire::ReplRecord& r : a.records) {
    if (r.lsn <= log->last_lsn()) {  // a resend of what we have
      resent = true;
      continue;
    }
    Status s = log->AppendRecord(r.type, r.epoch, r.lsn, r.payload);
    if (!s.ok()) {
      // A gap: replicad resends from our progress, which says where we are.
      cli::LogWarn("replicated record out of sequence", {{"reason", s.message()}});
      SendProgress();
      return;
    }
    standby_pending.push_back(txn::LogEntry{r.lsn, r.type, r.payload});
  }
  log->RequestSync();
  // replicad may have forgotten how far this log goes (it asked again after
  // a stall, or a report crossed a snapshot install): say it again.
  if (resent) SendProgress();
}

// From OnDurable: the standby half.
void Node::Impl::OnDurableReport(txn::Lsn lsn) {
  if (lsn > durable) durable = lsn;
  while (!primary_marks.empty() && primary_marks.front().first <= durable) {
    in_sync_at = primary_marks.front().second;
    primary_marks.pop_front();
  }
  txn::Replicated batch;
  while (!standby_pending.empty() && standby_pending.front().lsn <= durable) {
    batch.records.push_back(std::move(standby_pending.front()));
    standby_pending.pop_front();
  }
  if (!batch.records.empty()) {
    if (Status s = Feed(batch); !s.ok()) return Fail(s);
  }
  SendProgress();
}

Status Node::Impl::Rebuild(const std::function<Status()>& offline) {
  if (!reset_core) return Status::Internal("this node cannot rebuild its core (no OnReset)");
  if (compactor.joinable()) compactor.join();  // it reads the log we are about to close
  if (compacting) {
    compacting = false;
    uint64_t count;
    (void)!::read(compact_done.get(), &count, sizeof count);
  }
  for (const auto& [key, when] : pending_writes) {
    ReplyError(
        key.first, key.second, wire::ErrorCode::kNotPrimary,
        "stepped down" + (primary_hint.empty() ? std::string() : "; primary " + primary_hint));
  }
  pending_writes.clear();
  for (const HeldReply& h : held) {
    ReplyError(h.handle, h.rid, wire::ErrorCode::kNotPrimary,
               "stepped down before ack level " + repl::FormatAckLevel(h.level) +
                   " was met; durable on this member" +
                   (primary_hint.empty() ? std::string() : "; primary " + primary_hint));
  }
  held.clear();
  write_levels.clear();
  primary_marks.clear();
  promoting = false;
  for (const auto& [id, loop_id] : timers) loop.CancelTimer(loop_id);
  timers.clear();
  forced.clear();
  standby_pending.clear();
  loop.RemoveFd(log->notify_fd());
  log.reset();  // makes whatever was appended durable, then stops the writer
  if (offline) SK_RETURN_IF_ERROR(offline());
  SK_RETURN_IF_ERROR(OpenLog());
  WatchLog();
  durable = log->durable_lsn();
  fed = durable;
  role = Role::kStandby;
  reset_core();
  std::vector<txn::Action> actions;
  SK_RETURN_IF_ERROR(core(txn::StandbyRecovered{TakeRecovered()}, &actions));
  for (const txn::Action& a : actions) SK_RETURN_IF_ERROR(Perform(a));
  cli::LogInfo("standby rebuilt from disk", {{"last_lsn", std::to_string(log->last_lsn())},
                                             {"snapshot_lsn", std::to_string(snap_lsn)}});
  SendProgress();
  return Status::Ok();
}

void Node::Impl::ReplyError(const std::string& handle, uint64_t rid, wire::ErrorCode code,
                            const std::string& reason) {
  std::string body;
  wire::EncodeBodyTo(wire::ErrorReply{static_cast<uint16_t>(code), reason}, &body);
  (void)server->Reply(std::string_view(handle).substr(1), wire::MsgType::kError, rid, body);
}

bool Node::Impl::Refuse(const std::string& handle, uint64_t rid, const txn::Message& msg) {
  if (auto bounds = ReadBounds(msg)) {
    // Read-your-writes: a standby has applied what is durable; a primary
    // what its core was told is durable (the LSNs its replies carry).
    const auto [want, max_stale_ms] = *bounds;
    const txn::Lsn have = role == Role::kStandby ? durable : fed;
    if (want > have) {
      ReplyError(handle, rid, wire::ErrorCode::kTemporary,
                 std::string(kBehindPrefix) + " applied up to lsn " + std::to_string(have) +
                     ", the read needs lsn " + std::to_string(want));
      return true;
    }
    // Bounded staleness: only a standby can be stale.
    if (max_stale_ms == 0 || role != Role::kStandby) return false;
    const auto age =
        in_sync_at
            ? std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - *in_sync_at)
                  .count()
            : -1;
    if (age >= 0 && uint64_t(age) <= max_stale_ms) return false;
    ReplyError(handle, rid, wire::ErrorCode::kTemporary,
               std::string(kBehindPrefix) +
                   (age < 0 ? std::string(" not in sync with a primary since start")
                            : " last in sync with the primary " + std::to_string(age) + " ms ago") +
                   ", the read allows " + std::to_string(max_stale_ms) + " ms");
    return true;
  }
  if (promoting) {
    // This is the primary-elect: a NOT_PRIMARY hint would name itself.
    ReplyError(handle, rid, wire::ErrorCode::kTemporary,
               "promotion waits for ack level " + repl::FormatAckLevel(ack) + " to cover lsn " +
                   std::to_string(promote_lsn));
    return true;
  }
  if (role != Role::kPrimary) {
    std::string reason = role == Role::kPaused ? "writes are paused" : "this is a standby";
    if (!primary_hint.empty()) reason += "; primary " + primary_hint;
    ReplyError(handle, rid, wire::ErrorCode::kNotPrimary, reason);
    return true;
  }
  if (const std::string& asked = WriteAck(msg); !asked.empty()) {
    auto level = repl::ParseAckLevel(asked);
    if (!level.ok()) {
      ReplyError(handle, rid, wire::ErrorCode::kBadRequest, level.status().message());
      return true;
    }
    // Held after the core's answer (HoldReply) until the level is met; the
    // group's level may change meanwhile, so it is kept even if that one
    // covers it now.
    if (level->NeedsReplicas()) {
      WriteLevel& w = write_levels[{handle, rid}];
      w.level = *level;
      ++w.writes;
    }
  }
  if (ack.NeedsReplicas()) pending_writes[{handle, rid}] = Clock::now();
  return false;
}

// Every tick: a write whose reply waited ack_timeout while replication
// stalled gets the distinct "not replicated" answer.
void Node::Impl::SweepPendingWrites() {
  const auto now = Clock::now();
  std::erase_if(held, [&](const HeldReply& h) {
    if (now - h.since < options.ack_timeout) return false;
    ReplyError(h.handle, h.rid, wire::ErrorCode::kNotReplicated,
               "ack level " + repl::FormatAckLevel(h.level) + " not met within " +
                   std::to_string(options.ack_timeout.count()) + " ms");
    return true;
  });
  if (pending_writes.empty()) return;
  const bool stalled = fed < durable && now - fed_advanced >= options.ack_timeout;
  if (!stalled) return;
  for (auto it = pending_writes.begin(); it != pending_writes.end();) {
    if (now - it->second < options.ack_timeout) {
      ++it;
      continue;
    }
    ReplyError(it->first.first, it->first.second, wire::ErrorCode::kNotReplicated,
               "ack level " + repl::FormatAckLevel(ack) + " not met within " +
                   std::to_string(options.ack_timeout.count()) + " ms");
    ForgetWriteLevel(it->first);  // answered: the core's late reply is not held again
    it = pending_writes.erase(it);
  }
}

}  // namespace shardkit::daemon
