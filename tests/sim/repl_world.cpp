// The replication simulator's world: the fault schedule, the event loop,
// the network, and the parameters each seed draws. The rest of World is in
// the files repl_world.h lists.
#include "repl_world.h"

#include <cstdio>

namespace replsim {
namespace {

// After faults stop, the group must converge within this much virtual time.
constexpr uint64_t kQuiesceMs = 30'000;

}  // namespace

World::World(const Options& options, Params params)
    : options_(options),
      params_(params),
      rng_(options.seed * 0x2545f4914f6cdd1dull + 13),
      checker_(
          [&] {
            std::vector<std::string> names;
            for (int i = 0; i < params.members; ++i) names.push_back("m" + std::to_string(i));
            return names;
          }(),
          params.ack, params.crashes > 0, options.contract_check) {
  hosts_.resize(params_.members);
  for (int i = 0; i < params_.members; ++i) {
    hosts_[i].name = "m" + std::to_string(i);
    hosts_[i].endpoint = "tcp://" + hosts_[i].name;
    hosts_[i].writer.ack = params_.ack;
  }
  clients_.resize(params_.clients + 1);
  for (int i = 0; i <= params_.clients; ++i) {
    clients_[i].name = i == params_.clients ? "probe" : "c" + std::to_string(i);
    clients_[i].target = static_cast<int>(rng_.Range(0, params_.members - 1));
  }

  // The fault schedule. Each draw is its own statement: the order in which
  // function arguments are evaluated is unspecified, and a seed must mean
  // the same run with any compiler.
  const auto schedule = [&](Kind kind) -> Ev& {
    const uint64_t t = rng_.Range(30, params_.fault_end_ms);
    const int host = static_cast<int>(rng_.Range(0, params_.members - 1));
    return Push(kind, t, host);
  };
  // Half the crashes and partitions aim at whoever is primary by then: a
  // primary cut off with writes it could not replicate leaves a divergent
  // tail behind.
  for (int i = 0; i < params_.crashes; ++i) {
    Ev& ev = schedule(Kind::kCrash);
    ev.id = rng_.Chance(0.5);
  }
  for (int i = 0; i < params_.member_restarts; ++i) schedule(Kind::kMemberCrash);
  for (int i = 0; i < params_.partitions; ++i) {
    Ev& ev = schedule(Kind::kPartition);
    ev.id = rng_.Range(0, params_.members - 1);              // the other side
    ev.from = static_cast<int>(rng_.Range(0, 2));            // both ways, one way, isolated
    ev.from += rng_.Chance(0.5) ? 4 : 0;                     // aimed at the primary
    ev.inc = rng_.Range(50, 2 * params_.election_ms + 600);  // how long
  }
  for (int i = 0; i < params_.operators; ++i) {
    Ev& ev = schedule(Kind::kOperator);
    ev.id = rng_.Next();
  }
  if (params_.compact_every_ms > 0) {
    for (int i = 0; i < params_.members; ++i) {
      Push(Kind::kCompact, rng_.Range(1, params_.compact_every_ms), i);
    }
  }
  Push(Kind::kFaultsEnd, params_.fault_end_ms, 0);
  for (int i = 0; i < params_.clients; ++i) Push(Kind::kClientWake, rng_.Range(0, 50), i);
}

std::optional<Violation> World::Run(RunStats* stats) {
  for (int h = 0; h < params_.members; ++h) StartMember(h);
  const uint64_t limit = params_.fault_end_ms + kQuiesceMs;
  while (!queue_.empty() && !done_ && !checker_.violation()) {
    std::unique_ptr<Ev> ev = std::move(const_cast<std::unique_ptr<Ev>&>(queue_.top()));
    queue_.pop();
    now_ = ev->t;
    if (now_ > limit) {
      std::string why;
      Converged(&why);
      checker_.Fail(
          "convergence",
          "no convergence " + std::to_string(kQuiesceMs) + " ms after faults stopped: " + why,
          now_);
      break;
    }
    ++stats_.events;
    if (options_.verbose) {
      std::printf("%8llu %s\n", static_cast<unsigned long long>(now_), Describe(*ev).c_str());
    }
    Dispatch(*ev);
  }
  if (!done_ && !checker_.violation()) {
    checker_.Fail("convergence", "the run stopped before the group converged", now_);
  }
  stats_.end_ms = now_;
  stats_.acked = checker_.acked();
  stats_.asserted = checker_.asserted_acked();
  for (const Host& h : hosts_) {
    if (h.member && h.member->role() == repl::Role::kPrimary) stats_.epochs = h.member->epoch();
  }
  if (stats != nullptr) *stats = stats_;
  return checker_.violation();
}

World::Ev& World::Push(Kind kind, uint64_t t, int host) {
  auto ev = std::make_unique<Ev>();
  ev->kind = kind;
  ev->t = t;
  ev->host = host;
  ev->seq = seq_++;
  Ev& ref = *ev;
  queue_.push(std::move(ev));
  return ref;
}

void World::Dispatch(Ev& ev) {
  Host& h = hosts_[ev.host < static_cast<int>(hosts_.size()) ? ev.host : 0];
  switch (ev.kind) {
    case Kind::kDeliver:
      if (!h.up || !h.member_up || Cut(ev.from, ev.host)) {
        return Trace("  (lost: " + std::string(!h.up || !h.member_up ? "down" : "partitioned") +
                     ")");
      }
      return Feed(ev.host, repl::MessageReceived{hosts_[ev.from].endpoint,
                                                 std::move(std::get<ReplMsg>(ev.payload))});
    case Kind::kTimer:
      if (!h.member_up || h.member_inc != ev.inc || h.timers.erase(ev.id) == 0) return;
      return Feed(ev.host, repl::TimerFired{ev.id});
    case Kind::kToWriter:
      if (!h.up || h.host_inc != ev.inc) return;
      return WriterReceive(ev.host, std::get<LinkMsg>(ev.payload));
    case Kind::kToMember:
      if (!h.up || h.host_inc != ev.inc) return;
      return OnProgress(ev.host, std::get<wire::LinkProgress>(ev.payload));
    case Kind::kFsync:
      if (!h.up || h.writer.gen != ev.inc) return;
      return WriterFsync(ev.host, ev.id);
    case Kind::kApply:
      if (!h.up || h.writer.gen != ev.inc) return;
      return WriterApply(ev.host, ev.id);
    case Kind::kResyncSent:
      if (!h.member_up || h.member_inc != ev.inc || h.resync_serial != ev.id) return;
      return OnResyncSent(ev.host, ev);
    case Kind::kSnapshot:
      return OnSnapshot(ev.host, std::get<Snapshot>(ev.payload));
    case Kind::kCrash: {
      const int target = ev.id != 0 ? Primary(ev.host) : ev.host;
      if (faults_ && hosts_[target].up) Crash(target);
      return;
    }
    case Kind::kRestart:
      if (!h.up && h.host_inc == ev.inc) Restart(ev.host);
      return;
    case Kind::kMemberCrash:
      if (faults_ && h.up && h.member_up) MemberCrash(ev.host);
      return;
    case Kind::kMemberRestart:
      if (h.up && !h.member_up && h.member_inc == ev.inc) MemberRestart(ev.host);
      return;
    case Kind::kPartition:
      if (faults_) Partition(ev);
      return;
    case Kind::kCompact:
      if (h.up) WriterCompact(ev.host);
      if (faults_) Push(Kind::kCompact, now_ + params_.compact_every_ms, ev.host);
      return;
    case Kind::kOperator:
      if (faults_ && h.up && h.member_up) Operate(ev.host, ev.id);
      return;
    case Kind::kAckTimeout:
      if (h.up && h.writer.gen == ev.inc) WriterAckTimeout(ev.host, ev.id);
      return;
    case Kind::kClientWake:
      return ClientWake(ev.host);
    case Kind::kClientRequest:
      if (!h.up || h.host_inc != ev.inc) return Trace("  (lost: the connection was reset)");
      return WriterWrite(ev.host, ev.from, std::get<ClientMsg>(ev.payload));
    case Kind::kClientReply:
      return ClientReply(ev.host, std::get<ClientMsg>(ev.payload));
    case Kind::kClientTimeout:
      return ClientTimeout(ev.host, ev.id);
    case Kind::kFaultsEnd:
      return EndFaults();
    case Kind::kQuiet:
      return Quiet();
  }
}

// ---- the network ---------------------------------------------------------------

void World::Net(int from, const std::string& to, ReplMsg msg) {
  const int dest = HostOf(to);
  if (dest < 0) {
    return checker_.Fail("core", hosts_[from].name + " sent to unknown endpoint '" + to + "'",
                         now_);
  }
  if (Cut(from, dest)) return Trace("  (lost: partitioned)");
  if (faults_ && rng_.Chance(params_.drop)) return Trace("  (lost: dropped)");
  const int copies = faults_ && rng_.Chance(params_.dup) ? 2 : 1;
  for (int i = 0; i < copies; ++i) {
    uint64_t delay = rng_.Range(1, params_.max_delay_ms);
    if (faults_ && rng_.Chance(params_.spike)) delay = rng_.Range(50, 400);
    uint64_t& latest = latest_[{from, dest}];
    latest = std::max(latest, now_ + delay);
    Ev& ev = Push(Kind::kDeliver, now_ + delay, dest);
    ev.from = from;
    ev.payload = i + 1 < copies ? msg : std::move(msg);
  }
}

bool World::Cut(int from, int to) const {
  auto it = cut_.find({from, to});
  return it != cut_.end() && it->second > now_;
}

int World::HostOf(const std::string& endpoint_or_name) const {
  for (size_t i = 0; i < hosts_.size(); ++i) {
    if (hosts_[i].endpoint == endpoint_or_name || hosts_[i].name == endpoint_or_name) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

int World::Primary(int otherwise) const {
  for (size_t i = 0; i < hosts_.size(); ++i) {
    const Host& h = hosts_[i];
    if (h.up && h.member_up && h.member->role() != repl::Role::kReplica &&
        h.member->role() != repl::Role::kCandidate) {
      return static_cast<int>(i);
    }
  }
  return otherwise;
}

void World::Partition(const Ev& ev) {
  const uint64_t until = now_ + ev.inc;
  const int a = ev.from >= 4 ? Primary(ev.host) : ev.host;
  const int mode = ev.from % 4;
  int b = static_cast<int>(ev.id);
  if (b == a) b = (a + 1) % params_.members;
  const auto cut = [&](int x, int y) {
    if (x == y) return;
    uint64_t& u = cut_[{x, y}];
    u = std::max(u, until);
  };
  if (mode == 2) {  // isolated
    for (int i = 0; i < params_.members; ++i) {
      cut(a, i);
      cut(i, a);
    }
  } else {
    cut(a, b);
    if (mode == 0) cut(b, a);
  }
}

// ---- one seed ----------------------------------------------------------------------

std::optional<Violation> RunSeed(const Options& options, RunStats* stats) {
  Rng r(options.seed);
  Params p;
  p.members = r.Chance(0.25) ? 5 : 3;
  using repl::AckKind;
  const uint64_t pick = r.Range(0, 99);
  if (p.members == 3) {
    p.ack = pick < 15   ? repl::AckLevel{AckKind::kLocal, 0}
            : pick < 35 ? repl::AckLevel{AckKind::kReceived, 1}
            : pick < 80 ? repl::AckLevel{AckKind::kFlushed, 1}
                        : repl::AckLevel{AckKind::kApplied, 1};
  } else {
    p.ack = pick < 10   ? repl::AckLevel{AckKind::kLocal, 0}
            : pick < 25 ? repl::AckLevel{AckKind::kReceived, 2}
            : pick < 40 ? repl::AckLevel{AckKind::kFlushed, 1}
            : pick < 85 ? repl::AckLevel{AckKind::kFlushed, 2}
                        : repl::AckLevel{AckKind::kApplied, 2};
  }
  p.heartbeat_ms = static_cast<uint32_t>(r.Range(10, 50));
  p.election_ms = static_cast<uint32_t>(r.Range(4 * p.heartbeat_ms, 12 * p.heartbeat_ms));
  p.lease_ms = static_cast<uint32_t>(r.Range(2 * p.heartbeat_ms, 2 * p.election_ms));
  p.switchover_ms = static_cast<uint32_t>(r.Range(100, 1000));
  p.resync_min_interval_ms = static_cast<uint32_t>(r.Range(0, 500));
  p.window_bytes = r.Chance(0.3) ? r.Range(40, 200) : r.Range(1000, 8192);
  p.drop = r.Chance(0.2) ? 0 : r.Real() * 0.1;
  p.dup = r.Real() * 0.05;
  p.max_delay_ms = static_cast<uint32_t>(r.Range(1, 10));
  p.spike = r.Chance(0.5) ? r.Real() * 0.02 : 0;
  if (!options.late_messages) p.spike = 0;
  p.fsync_min_ms = static_cast<uint32_t>(r.Range(1, 3));
  p.fsync_max_ms = static_cast<uint32_t>(r.Range(p.fsync_min_ms, r.Chance(0.2) ? 40 : 8));
  p.apply_max_ms = r.Chance(0.5) ? 0 : static_cast<uint32_t>(r.Range(1, 30));
  p.fault_end_ms = r.Range(800, 3000);
  p.crashes = static_cast<int>(r.Range(0, 4));
  p.member_restarts = static_cast<int>(r.Range(0, 2));
  if (!options.replicad_restarts) p.member_restarts = 0;
  p.partitions = static_cast<int>(r.Range(0, 5));
  p.operators = r.Chance(0.3) ? static_cast<int>(r.Range(1, 3)) : 0;
  if (!options.operators) p.operators = 0;
  p.clients = static_cast<int>(r.Range(1, 3));
  p.client_gap_ms = static_cast<uint32_t>(r.Range(1, 30));
  p.client_timeout_ms = static_cast<uint32_t>(r.Range(50, 500));
  p.ack_timeout_ms = static_cast<uint32_t>(r.Range(50, 500));
  p.compact_every_ms = r.Chance(0.3) ? static_cast<uint32_t>(r.Range(50, 400)) : 0;
  p.retention_cap = r.Chance(0.5);
  World world(options, p);
  return world.Run(stats);
}

}  // namespace replsim
