// The replication simulator's faults (host crashes and restarts, replicad
// restarts, operator verbs) and the end of a run: once the faults stop,
// everything restarts and the group must converge (one primary, followed in
// its epoch, every log the primary's) and acknowledge a probe write.
#include "repl_world.h"

namespace replsim {
namespace {

constexpr uint64_t kQuietCheckMs = 50;

}  // namespace

// ---- crashes -------------------------------------------------------------------

void World::Crash(int h) {
  Host& host = hosts_[h];
  ++stats_.crashes;
  Writer& w = host.writer;
  Trace("  crash " + host.name + ": " + std::to_string(w.durable) + " of " +
        std::to_string(w.last_lsn()) + " records survive");
  host.up = false;
  host.member_up = false;
  host.member.reset();
  host.timers.clear();
  host.queue.clear();
  host.installing.reset();
  host.operators.clear();
  ++host.resync_serial;
  host.resync_active = false;
  host.resync_queue.clear();
  ++host.host_inc;
  ++host.member_inc;
  host.progress = {};
  // The disk keeps the fsynced prefix; the process keeps nothing.
  w.log.resize(w.durable);
  w.role = Writer::Role::kStandby;
  w.epoch = 0;
  w.pending.clear();
  w.acked = {};
  ++w.gen;
  Ev& ev = Push(Kind::kRestart, now_ + rng_.Range(20, 400), h);
  ev.inc = host.host_inc;
}

void World::Restart(int h) {
  Host& host = hosts_[h];
  Writer& w = host.writer;
  host.up = true;
  // Recovery replays the log; the writer starts as a standby (replicated).
  w.applied = w.durable;
  w.fed = w.durable;
  w.sync_upto = w.durable;
  Trace("  restart " + host.name + " with " + std::to_string(w.durable) + " records");
  StartMember(h);
}

void World::MemberCrash(int h) {
  Host& host = hosts_[h];
  ++stats_.member_restarts;
  Trace("  replicad on " + host.name + " stops");
  host.member_up = false;
  host.member.reset();
  host.timers.clear();
  host.queue.clear();
  host.installing.reset();
  host.operators.clear();
  ++host.resync_serial;
  host.resync_active = false;
  host.resync_queue.clear();
  ++host.member_inc;
  host.progress = {};
  Ev& ev = Push(Kind::kMemberRestart, now_ + rng_.Range(20, 300), h);
  ev.inc = host.member_inc;
}

void World::MemberRestart(int h) {
  Trace("  replicad on " + hosts_[h].name + " starts");
  StartMember(h);
}

void World::Operate(int h, uint64_t what) {
  Host& host = hosts_[h];
  repl::Operator op;
  op.token = next_token_++;
  if (what % 3 == 0) {
    op.verb = repl::OperatorVerb::kDemote;
  } else {
    op.verb = repl::OperatorVerb::kSwitchover;
    op.target = hosts_[(h + 1 + (what >> 8) % (params_.members - 1)) % params_.members].name;
  }
  Trace("  operator: " +
        std::string(op.verb == repl::OperatorVerb::kDemote ? "demote"
                                                           : "switchover to " + op.target) +
        " at " + host.name);
  host.operators.insert(op.token);
  Feed(h, op);
}

// ---- the end of a run --------------------------------------------------------------

void World::EndFaults() {
  faults_ = false;
  cut_.clear();
  for (int h = 0; h < params_.members; ++h) {
    if (!hosts_[h].up) {
      ++hosts_[h].host_inc;  // the scheduled restart is superseded
      Restart(h);
    } else if (!hosts_[h].member_up) {
      ++hosts_[h].member_inc;
      MemberRestart(h);
    }
  }
  Push(Kind::kQuiet, now_ + kQuietCheckMs, 0);
}

// Converged: one primary, followed by everyone in its epoch, every log the
// primary's, durable and applied to its end, no operator verb unanswered.
bool World::Converged(std::string* why) const {
  int primary = -1;
  for (size_t i = 0; i < hosts_.size(); ++i) {
    const Host& h = hosts_[i];
    if (!h.up || !h.member_up) {
      *why = h.name + " is down";
      return false;
    }
    if (!h.operators.empty()) {
      *why = h.name + " has not answered operator request " + std::to_string(*h.operators.begin());
      return false;
    }
    const repl::Role role = h.member->role();
    if (role == repl::Role::kPrimary || role == repl::Role::kPaused) {
      if (primary >= 0) {
        *why = hosts_[primary].name + " and " + h.name + " are both primary";
        return false;
      }
      primary = static_cast<int>(i);
    }
  }
  if (primary < 0) {
    *why = "no primary";
    return false;
  }
  const Host& p = hosts_[primary];
  const uint64_t epoch = p.member->epoch();
  if (p.member->role() != repl::Role::kPrimary) {
    *why = p.name + " is paused in epoch " + std::to_string(epoch);
    return false;
  }
  if (p.writer.role != Writer::Role::kPrimary || p.writer.epoch != epoch) {
    *why = p.name + " is primary of epoch " + std::to_string(epoch) + " but its writer is not";
    return false;
  }
  const Writer& pw = p.writer;
  for (const Host& h : hosts_) {
    if (&h != &p) {
      const repl::MemberStatus s = h.member->Report(now_);
      if (s.epoch != epoch || s.role != repl::Role::kReplica || s.primary != p.name) {
        *why = h.name + " (" + std::string(repl::RoleName(s.role)) + ", epoch " +
               std::to_string(s.epoch) + ") does not follow " + p.name + " in epoch " +
               std::to_string(epoch);
        return false;
      }
    }
    const Writer& w = h.writer;
    if (w.last_lsn() != pw.last_lsn() || w.ChainAt(w.last_lsn()) != pw.ChainAt(pw.last_lsn()) ||
        w.durable != w.last_lsn() || w.applied != w.last_lsn()) {
      *why = h.name + "'s log ends at lsn " + std::to_string(w.last_lsn()) + " (durable " +
             std::to_string(w.durable) + ", applied " + std::to_string(w.applied) + ")" +
             (w.ChainAt(std::min(w.last_lsn(), pw.last_lsn())) ==
                      pw.ChainAt(std::min(w.last_lsn(), pw.last_lsn()))
                  ? ""
                  : " and differs from") +
             " the primary " + p.name + "'s, which ends at " + std::to_string(pw.last_lsn());
      return false;
    }
  }
  return true;
}

void World::Quiet() {
  std::string why;
  if (Converged(&why)) {
    Client& probe = clients_.back();
    if (probe_acked_) {
      std::vector<const std::vector<Rec>*> logs;
      for (const Host& h : hosts_) logs.push_back(&h.writer.log);
      checker_.AtRest(logs, now_);
      done_ = true;
      return;
    }
    if (!probe.busy) {
      for (int h = 0; h < params_.members; ++h) {
        if (hosts_[h].member->role() == repl::Role::kPrimary) probe.target = h;
      }
      SendWrite(static_cast<int>(clients_.size()) - 1);
      probe_rid_ = probe.rid;
    }
  } else if (options_.verbose) {
    Trace("  not converged: " + why);
  }
  Push(Kind::kQuiet, now_ + kQuietCheckMs, 0);
}

}  // namespace replsim
