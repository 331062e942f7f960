// repl::Member: dispatch, start-up, epochs, timers and status (DESIGN.md §8).
//
// ROLES and what moves each on (the function behind each transition):
//
//   (start) --no peers, no follow--> primary in current_epoch + 1
//        (BecomePrimary). History line {epoch, last_lsn + 1} and the epoch
//        PERSISTED before LinkRole{primary}: the writer stamps records with
//        that epoch, so the epoch must survive a crash first.
//   (start) --otherwise--> replica. LinkRole{replica} first, so a restarted
//        writer never takes a write before the member decided; HELLO to
//        Config::follow if set.
//   replica --START of its HELLO session (epoch >= current)--> streaming
//        (OnStart). Epoch persisted, the divergent tail cut (LinkTruncate;
//        the first START after start or step-down always cuts, to the
//        member's view), then the primary's history persisted; resync:
//        kSnapshot until SnapshotInstalled (asked for with InstallSnapshot).
//   replica --RECORDS (epoch == current, prev_lsn == last)--> replica
//        (OnRecords): a history line for a new epoch PERSISTED before the
//        LinkAppend that carries its first record, then ACK. Every RECORDS
//        (a heartbeat too) gives the writer a LinkAppend with the primary's
//        durable LSN: how fresh a standby is.
//   replica --RECORDS, gap--> HELLO again. --higher epoch--> adopt it,
//        follow primary_endpoint, HELLO.
//   replica --no primary heard for the jittered election timeout-->
//        candidate (StartElection): current_epoch + 1 and a vote for itself
//        PERSISTED before any VOTE_REQUEST.
//   candidate --VOTE granted by a majority--> primary (BecomePrimary, as at
//        start, in the candidate's epoch). --timeout--> candidate in a new
//        epoch. --RECORDS of its epoch or any higher epoch--> replica.
//   replica --TAKEOVER from its primary, same epoch, flushed >= last_lsn-->
//        candidate at once (StartElection, a transfer). --Operator promote-->
//        primary in current_epoch + 1 without votes, unless it may lack
//        acknowledged writes.
//   primary --fewer than k replicas acked within lease_ms--> paused
//        (LinkRole{paused}); --they ack again--> primary.
//   primary --Operator switchover--> paused; --the writer says its log is
//        still (WriterProgress::quiet_seq of this pause: the writes it took
//        before the pause are durable) and the target flushed all of it-->
//        replica (LinkRole{replica}), TAKEOVER to the target, follow it;
//        --switchover_ms--> primary again, OperatorDone Temporary.
//   primary, paused --any message of a higher epoch--> replica (AdoptEpoch):
//        LinkRole{replica} BEFORE the epoch is persisted or anything sent.
//   primary --Operator demote--> replica, same epoch.
//
// Votes (member_election.cpp) are PERSISTED before the VOTE is sent, so a
// restarted member cannot vote twice in one epoch.
#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "member_impl.h"

namespace shardkit::repl {

namespace {

// FNV-1a, so members that share the default seed still jitter apart.
uint64_t HashName(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kReplica:
      return "replica";
    case Role::kCandidate:
      return "candidate";
    case Role::kPrimary:
      return "primary";
    case Role::kPaused:
      return "paused";
  }
  return "unknown";
}

// ---- history helpers ---------------------------------------------------------

uint64_t EpochAt(const History& h, uint64_t lsn) {
  uint64_t epoch = 0;
  if (lsn == 0) return 0;
  for (const auto& e : h) {
    if (e.start_lsn > lsn) break;
    epoch = e.epoch;
  }
  return epoch;
}

uint64_t FirstDivergence(const History& a, const History& b, uint64_t upto) {
  // Epochs change only at start LSNs, so the first difference is at 1 or at
  // one of them.
  std::vector<uint64_t> points{1};
  for (const auto& e : a) points.push_back(e.start_lsn);
  for (const auto& e : b) points.push_back(e.start_lsn);
  std::sort(points.begin(), points.end());
  for (uint64_t x : points) {
    if (x == 0) continue;
    if (x > upto) break;
    if (EpochAt(a, x) != EpochAt(b, x)) return x;
  }
  return upto + 1;
}

void AddEpochLine(History* h, uint64_t epoch, uint64_t start) {
  while (!h->empty() && h->back().epoch >= epoch) h->pop_back();
  for (auto& e : *h) e.start_lsn = std::min(e.start_lsn, start);
  h->push_back(wire::EpochStart{epoch, start});
}

std::string Quote(std::string_view s) {
  std::string r = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') r += '\\';
    r += c;
  }
  r += '"';
  return r;
}

// ---- Member ------------------------------------------------------------------

Member::Member(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Member::~Member() = default;
Member::Member(Member&&) noexcept = default;
Member& Member::operator=(Member&&) noexcept = default;

Member::Impl::Impl(Config c) : config(std::move(c)) {
  rng = config.seed ^ HashName(config.name);
  if (config.heartbeat_ms == 0) config.heartbeat_ms = 1;
  if (config.election_ms == 0) config.election_ms = 1;
}

Status Member::Handle(const Event& event, uint64_t now_ms, std::vector<Action>* out) {
  Impl& m = *impl_;
  m.now = std::max(m.now, now_ms);  // a clock that steps back is held still
  m.out = out;
  if (const auto* s = std::get_if<Started>(&event)) return m.OnStarted(*s);
  if (!m.started) return Status::Internal("repl member: event before Started");
  if (const auto* msg = std::get_if<MessageReceived>(&event)) {
    m.OnMessage(*msg);
  } else if (const auto* t = std::get_if<TimerFired>(&event)) {
    m.OnTimer(t->id);
  } else if (const auto* p = std::get_if<WriterProgress>(&event)) {
    if (m.IsPrimary()) {
      return m.OnPrimaryProgress(*p);
    } else {
      m.OnReplicaProgress(*p);
    }
  } else if (const auto* r = std::get_if<LogRead>(&event)) {
    m.OnLogRead(*r);
  } else if (const auto* rs = std::get_if<ResyncSent>(&event)) {
    m.OnResyncSent(*rs);
  } else if (const auto* sp = std::get_if<SnapshotProgress>(&event)) {
    m.OnSnapshotProgress(*sp);
  } else if (const auto* si = std::get_if<SnapshotInstalled>(&event)) {
    m.OnSnapshotInstalled(*si);
  } else if (const auto* op = std::get_if<Operator>(&event)) {
    return m.OnOperator(*op);
  }
  return Status::Ok();
}

MemberStatus Member::Report(uint64_t now_ms) const { return impl_->Report(now_ms); }
const std::string& Member::primary_client() const {
  static const std::string kNone;
  const Impl& m = *impl_;
  if (m.role != Role::kReplica || m.primary_name.empty() || m.primary_client_of != m.primary_name) {
    return kNone;
  }
  return m.primary_client;
}
Role Member::role() const { return impl_->role; }
uint64_t Member::epoch() const { return impl_->ds.current_epoch; }

// ---- start-up ----------------------------------------------------------------

Status Member::Impl::OnStarted(const Started& s) {
  if (started) return Status::Internal("repl member: Started twice");
  DurableState st = s.state;
  if (Status v = ValidateHistory(st.history); !v.ok()) {
    return Status::Internal("repl member: epoch history: " + v.message());
  }
  if (!st.history.empty() && st.history.back().epoch > st.current_epoch) {
    return Status::Internal("repl member: epoch history reaches epoch " +
                            std::to_string(st.history.back().epoch) + " beyond current epoch " +
                            std::to_string(st.current_epoch));
  }
  if (s.last_epoch > st.current_epoch) {
    return Status::Internal("repl member: the log ends in epoch " + std::to_string(s.last_epoch) +
                            " beyond current epoch " + std::to_string(st.current_epoch));
  }
  if (s.last_epoch > 0 && s.last_lsn == 0) {
    return Status::Internal("repl member: an empty log cannot end in epoch " +
                            std::to_string(s.last_epoch));
  }
  // DIR/vote and DIR/epochs are separate files: a crash between the two
  // writes may leave the vote one epoch ahead. The vote is the promise.
  st.current_epoch = std::max(st.current_epoch, st.voted_epoch);

  started = true;
  ds = std::move(st);
  last_epoch = s.last_epoch;
  last_lsn = s.last_lsn;
  durable_lsn = s.last_lsn;  // recovery hands back only what survived
  applied_lsn = 0;
  flushed_acked = s.last_lsn;  // what it acknowledged before the restart, at most
  flushed_acked_epoch = s.last_epoch;
  session_base = s.session_base;
  // Role numbers of an earlier run are below these: a progress report it
  // was sent (quiet_seq) never matches a pause of this one.
  role_seq = (session_base + now) << 16;
  log_suspect = last_lsn > 0 && EpochAt(ds.history, last_lsn) != last_epoch;

  if (config.peers.empty() && config.follow.empty()) {
    BecomePrimary(ds.current_epoch + 1, "start");
    heartbeat_timer = Arm(config.heartbeat_ms);
    return Status::Ok();
  }
  role = Role::kReplica;
  TellRole(wire::LinkRoleKind::kReplica);  // first: no write before the member decided
  // A writer that ran on (replicad restarted) may hold more than it had
  // made durable when it reported: count it until the first START.
  own_tail = true;
  heartbeat_timer = Arm(config.heartbeat_ms);
  if (log_suspect) {
    Log(Note::kWarn,
        "msg=\"log tail disagrees with the epoch history; the next START truncates "
        "the whole log\" last_epoch=" +
            std::to_string(last_epoch) + " last_lsn=" + std::to_string(last_lsn) +
            " history_epoch=" + std::to_string(EpochAt(ds.history, last_lsn)));
  }
  FollowConfigured();
  ArmElection();
  return Status::Ok();
}

// ---- small helpers -------------------------------------------------------------

void Member::Impl::SendTo(const std::string& to, ReplMsg msg) {
  if (to.empty() || to == config.endpoint) return;
  Emit(Send{to, std::move(msg)});
}

void Member::Impl::TellRole(wire::LinkRoleKind kind) {
  wire::LinkRole r;
  r.role = static_cast<uint8_t>(kind);
  r.epoch = ds.current_epoch;
  r.seq = ++role_seq;
  TellWriter(std::move(r));
}

TimerId Member::Impl::Arm(uint32_t delay_ms) {
  TimerId id = next_timer++;
  Emit(SetTimer{id, delay_ms});
  return id;
}

void Member::Impl::Disarm(TimerId* id) {
  if (*id == 0) return;
  Emit(CancelTimer{*id});
  *id = 0;
}

uint64_t Member::Impl::NextRandom() {  // splitmix64
  uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

wire::ReplRecords Member::Impl::Heartbeat(uint64_t prev_lsn) const {
  wire::ReplRecords r;
  r.epoch = ds.current_epoch;
  r.primary = config.name;
  r.primary_endpoint = config.endpoint;
  r.prev_lsn = prev_lsn;
  r.durable_lsn = durable_lsn;
  r.primary_client = config.client_endpoint;
  return r;
}

void Member::Impl::AdoptEpoch(uint64_t epoch, std::string_view why) {
  const bool was_primary = IsPrimary();
  const uint64_t old = ds.current_epoch;
  ds.current_epoch = epoch;
  if (was_primary) {
    TellRole(wire::LinkRoleKind::kReplica);  // before anything else
    LeavePrimary("stepped down: epoch " + std::to_string(epoch) + " seen");
  } else if (role == Role::kCandidate) {
    role = Role::kReplica;
    votes.clear();
    takeover_candidate = false;
  }
  Persist();
  sync = Sync::kSearching;
  follow.clear();
  primary_name.clear();
  primary_heard_ms.reset();
  takeover_target.clear();
  Log(was_primary ? Note::kWarn : Note::kInfo,
      std::string("msg=\"") + (was_primary ? "stepped down" : "adopted epoch") + "\" epoch=" +
          std::to_string(epoch) + " old_epoch=" + std::to_string(old) + " cause=" + Quote(why));
  ArmElection();
}

void Member::Impl::LeavePrimary(std::string_view why) {
  role = Role::kReplica;
  own_tail = true;
  if (switchover) {
    const uint64_t token = switchover->token;
    Disarm(&switchover->timer);
    switchover.reset();
    Emit(OperatorDone{token, Status::Temporary("switchover abandoned: " + std::string(why))});
  }
  for (auto& [name, f] : followers) Disarm(&f.retry_timer);
  followers.clear();
  lease_lost = false;
  primary_heard_ms.reset();
}

// ---- events ------------------------------------------------------------------

void Member::Impl::OnMessage(const MessageReceived& m) {
  std::visit(
      [&](const auto& msg) {
        using T = std::decay_t<decltype(msg)>;
        if constexpr (std::is_same_v<T, wire::ReplHello>) {
          OnHello(msg);
        } else if constexpr (std::is_same_v<T, wire::ReplStart>) {
          OnStart(m.from, msg);
        } else if constexpr (std::is_same_v<T, wire::ReplRecords>) {
          OnRecords(msg);
        } else if constexpr (std::is_same_v<T, wire::ReplAck>) {
          OnAck(msg);
        } else if constexpr (std::is_same_v<T, wire::ReplVoteRequest>) {
          OnVoteRequest(msg);
        } else if constexpr (std::is_same_v<T, wire::ReplVote>) {
          OnVote(msg);
        } else if constexpr (std::is_same_v<T, wire::ReplTakeover>) {
          OnTakeover(msg);
        }
      },
      m.msg);
}

void Member::Impl::OnTimer(TimerId id) {
  if (id == 0) return;
  if (id == heartbeat_timer) {
    heartbeat_timer = Arm(config.heartbeat_ms);
    OnHeartbeat();
    return;
  }
  if (id == election_timer) {
    election_timer = 0;
    OnElectionTimer();
    return;
  }
  if (switchover && id == switchover->timer) {
    switchover->timer = 0;
    OnSwitchoverTimeout();
    return;
  }
  for (auto& [name, f] : followers) {
    if (f.retry_timer == id) {
      f.retry_timer = 0;
      OnRetry(f);
      return;
    }
  }
}

void Member::Impl::OnHeartbeat() {
  if (IsPrimary()) {
    PrimaryTick();
  } else {
    CandidateTick();  // nothing unless a candidate
    ReplicaTick();
  }
}

// ---- status ------------------------------------------------------------------

MemberStatus Member::Impl::Report(uint64_t now_ms) const {
  MemberStatus s;
  s.role = role;
  s.epoch = ds.current_epoch;
  if (IsPrimary()) {
    s.primary = config.name;
    s.primary_endpoint = config.endpoint;
  } else if (sync != Sync::kSearching) {
    s.primary = primary_name;
    s.primary_endpoint = follow;
  }
  s.last_epoch = last_epoch;
  s.last_lsn = last_lsn;
  s.durable_lsn = durable_lsn;
  s.applied_lsn = applied_lsn;
  if (!IsPrimary()) return s;

  std::vector<uint64_t> received, flushed, applied;
  // Lag estimate for durable records not sent yet: the mean wire size of the
  // records sent so far (payload plus ReplRecord::kMinWireBytes each).
  const uint64_t mean = records_sent_total ? bytes_sent_total / records_sent_total : 0;
  for (const auto& [name, f] : followers) {
    received.push_back(f.received);
    flushed.push_back(f.flushed);
    applied.push_back(f.applied);
    ReplicaStatus r;
    r.name = f.name;
    r.endpoint = f.endpoint;
    r.sent_lsn = f.sent;
    r.received_lsn = f.received;
    r.flushed_lsn = f.flushed;
    r.applied_lsn = f.applied;
    r.lag_bytes = f.unflushed.bytes + (durable_lsn > f.sent ? (durable_lsn - f.sent) * mean : 0);
    r.lag_ms = f.flushed >= durable_lsn || now_ms < f.caught_up_ms ? 0 : now_ms - f.caught_up_ms;
    r.last_ack_age_ms = f.acked && now_ms >= f.last_ack_ms ? now_ms - f.last_ack_ms : 0;
    r.resyncs = f.resyncs;
    r.last_resync_reason = f.last_resync_reason;
    s.replicas.push_back(std::move(r));
  }
  s.acked_lsn = AckedLsn(config.ack, durable_lsn, received, flushed, applied);
  return s;
}

}  // namespace shardkit::repl
