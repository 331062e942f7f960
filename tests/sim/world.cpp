// The simulator's world: the event queue, the network, the disks, and the
// fault schedule. world_nodes.cpp drives the cores, workload.cpp the clients.
#include "world.h"

#include <cstdio>

namespace sim {
namespace {

// After faults stop, everything must settle within this much virtual time.
constexpr uint64_t kQuiesceMs = 30'000;
constexpr uint64_t kNoIncarnationCheck = UINT64_MAX;

}  // namespace

World::World(const Options& options, Params params)
    : options_(options),
      params_(params),
      rng_(options.seed * 0x2545f4914f6cdd1dull + 7),
      compaction_rng_(options.seed * 0x9e3779b97f4a7c15ull + 11),
      checker_(&nodes_, options.order_check) {
  nodes_.resize(1 + params_.participants);
  nodes_[0].name = "c";
  nodes_[0].coordinator = true;
  for (int i = 0; i < params_.participants; ++i) nodes_[i + 1].name = "p" + std::to_string(i);
  for (int i = 0; i <= params_.participants; ++i) actors_[nodes_[i].name] = Actor{false, i};
  clients_.resize(params_.clients);
  for (int i = 0; i < params_.clients; ++i) {
    clients_[i].name = "k" + std::to_string(i);
    actors_[clients_[i].name] = Actor{true, i};
  }

  // The bank starts with 100 in every account, as durable direct writes.
  std::vector<std::pair<std::string, int>> accounts;
  for (int i = 0; i < params_.accounts; ++i) {
    const std::string key = "acct" + std::to_string(i);
    const int owner = Owner(key);
    Node& n = nodes_[owner];
    wire::Op op{wire::OpKind::kPut, key, "100"};
    n.log.push_back(LogEntry{n.NextLsn(), static_cast<uint8_t>(RecordType::kDirectWrite),
                             EncodeRecord(DirectWriteRecord{{op}})});
    n.durable = n.log.size();
    checker_.Seed(owner, n.log.back().lsn, key, "100");
    accounts.emplace_back(key, owner);
  }
  checker_.SetBank(std::move(accounts), int64_t{100} * params_.accounts);

  // Replicated: every node starts with a standby that holds its log.
  if (options_.replicated) {
    options_.compaction = false;
    for (int i = 0; i <= params_.participants; ++i) {
      Node& n = nodes_[i];
      n.replicated = true;
      n.standby = NewStandby(i, n.log);
      n.acked = n.LastLsn();
    }
    for (int i = 0; i < params_.failovers; ++i) {
      auto ev = std::make_unique<Ev>();
      ev->kind = Kind::kFailover;
      ev->t = rng_.Range(20, params_.fault_end_ms);
      ev->node = static_cast<int>(rng_.Range(0, params_.participants));
      Push(std::move(ev));
    }
  }

  // The fault schedule.
  for (int i = 0; i < params_.crashes; ++i) {
    auto ev = std::make_unique<Ev>();
    ev->kind = Kind::kCrash;
    ev->t = rng_.Range(20, params_.fault_end_ms);
    ev->node = static_cast<int>(rng_.Range(0, params_.participants));
    Push(std::move(ev));
  }
  for (int i = 0; i < params_.partitions; ++i) {
    auto ev = std::make_unique<Ev>();
    ev->kind = Kind::kPartition;
    ev->t = rng_.Range(20, params_.fault_end_ms);
    ev->node = static_cast<int>(rng_.Range(0, params_.participants));
    ev->id = rng_.Range(0, params_.participants);  // the other side
    ev->inc = rng_.Range(10, 400);                 // duration
    Push(std::move(ev));
  }
  for (int i = 0; i < params_.operator_resolves; ++i) {
    auto ev = std::make_unique<Ev>();
    ev->kind = Kind::kOperator;
    ev->t = rng_.Range(20, params_.fault_end_ms);
    ev->node = static_cast<int>(rng_.Range(1, params_.participants));
    ev->id = rng_.Range(0, 1);  // commit?
    Push(std::move(ev));
  }
  // Snapshots, from their own generator: they change nothing a core or a
  // client sees, so with or without them a seed runs the same events
  // (--no-compaction shows it).
  if (options_.compaction) {
    const auto compactions = compaction_rng_.Range(0, 3 * (params_.participants + 1));
    for (uint64_t i = 0; i < compactions; ++i) {
      auto ev = std::make_unique<Ev>();
      ev->kind = Kind::kCompact;
      ev->t = compaction_rng_.Range(5, params_.fault_end_ms);
      ev->node = static_cast<int>(compaction_rng_.Range(0, params_.participants));
      Push(std::move(ev));
    }
  }
  auto end = std::make_unique<Ev>();
  end->kind = Kind::kFaultsEnd;
  end->t = params_.fault_end_ms;
  Push(std::move(end));
  for (int i = 0; i < params_.clients; ++i) {
    auto ev = std::make_unique<Ev>();
    ev->kind = Kind::kClientWake;
    ev->t = rng_.Range(0, 20);
    ev->node = i;
    Push(std::move(ev));
  }
}

std::optional<Violation> World::Run(RunStats* stats) {
  for (int i = 0; i <= params_.participants; ++i) Restart(i);
  const uint64_t limit = params_.fault_end_ms + kQuiesceMs;
  while (!queue_.empty() && !checker_.violation()) {
    std::unique_ptr<Ev> ev = std::move(const_cast<std::unique_ptr<Ev>&>(queue_.top()));
    queue_.pop();
    now_ = ev->t;
    if (now_ > limit) {
      checker_.Fail(
          "liveness",
          "still busy " + std::to_string(kQuiesceMs) + " ms after faults stopped: " + Describe(*ev),
          now_);
      break;
    }
    if (ev->kind != Kind::kCompact) ++stats_.events;  // as many with --no-compaction
    if (options_.verbose)
      std::printf("%8llu %s\n", static_cast<unsigned long long>(now_), Describe(*ev).c_str());
    Dispatch(*ev);
    if (!checker_.violation()) checker_.AfterStep(now_);
  }
  if (!checker_.violation()) {
    if (std::optional<Violation> v = FinalChecks())
      checker_.Fail(v->invariant, v->detail, v->at_ms);
  }
  stats_.end_ms = now_;
  if (stats != nullptr) *stats = stats_;
  return checker_.violation();
}

void World::Push(std::unique_ptr<Ev> ev) {
  ev->seq = seq_++;
  queue_.push(std::move(ev));
}

void World::Dispatch(Ev& ev) {
  switch (ev.kind) {
    case Kind::kDeliver: {
      if (ev.to_client) return ClientReceive(ev.node, ev.id, ev.msg);
      Node& n = nodes_[ev.node];
      const char* dropped = nullptr;
      auto from = actors_.find(ev.from);
      if (!n.up) {
        dropped = "the node is down";
      } else if (ev.inc != kNoIncarnationCheck && ev.inc != n.incarnation) {
        dropped = "the connection was reset by a restart";
      } else if (!from->second.client && Partitioned(from->second.index, ev.node)) {
        dropped = "partitioned";
      }
      if (dropped == nullptr)
        return Handle(ev.node, MessageReceived{ev.from, ev.id, std::move(ev.msg)});
      if (options_.verbose)
        std::printf("%8llu   (lost: %s)\n", static_cast<unsigned long long>(now_), dropped);
      return;
    }
    case Kind::kTimer: {
      Node& n = nodes_[ev.node];
      if (!n.up || n.incarnation != ev.inc || n.cancelled.erase(ev.id) != 0) return;
      return Handle(ev.node, TimerFired{ev.id});
    }
    case Kind::kSync: {
      Node& n = nodes_[ev.node];
      if (!n.up || n.incarnation != ev.inc) return;
      n.durable = std::max<size_t>(n.durable, ev.id);
      if (n.replicated) return Gate(ev.node);
      return Handle(ev.node, LogDurable{n.DurableLsn()});
    }
    case Kind::kCrash:
      if (faults_ && nodes_[ev.node].up && static_cast<int>(stats_.crashes) < params_.max_crashes) {
        if (options_.replicated && rng_.Chance(params_.standby_crash_ratio)) {
          return StandbyCrash(ev.node);
        }
        Crash(ev.node);
      }
      return;
    case Kind::kShip:
      return OnShip(ev.node, ev.inc);
    case Kind::kStandbySync:
      return OnStandbySync(ev.node, ev);
    case Kind::kStandbyAck:
      return OnStandbyAck(ev.node, ev);
    case Kind::kFailover:
      return Failover(ev.node);
    case Kind::kRestart:
      if (!nodes_[ev.node].up && nodes_[ev.node].incarnation == ev.inc) Restart(ev.node);
      return;
    case Kind::kClientWake:
      return ClientWake(ev.node);
    case Kind::kClientTimeout:
      return ClientTimeout(ev.node, ev.id);
    case Kind::kPartition: {
      const int a = std::min<int>(ev.node, static_cast<int>(ev.id));
      const int b = std::max<int>(ev.node, static_cast<int>(ev.id));
      if (faults_ && a != b) partitions_[{a, b}] = now_ + ev.inc;
      return;
    }
    case Kind::kOperator: {
      Node& n = nodes_[ev.node];
      if (!faults_ || !n.up || n.promoting) return;
      for (const BranchInfo& b : n.part->Branches()) {
        if (b.state != BranchState::kPrepared) continue;
        checker_.OnHeuristic(b.txid, ev.node, ev.id == 1);
        return Handle(ev.node, OperatorResolve{b.txid, ev.id == 1});
      }
      return;
    }
    case Kind::kFaultsEnd:
      return EndFaults();
    case Kind::kCompact:
      return Compact(ev.node);
  }
}

void World::SendFrom(const std::string& from_name, Actor from, const Send& s) {
  auto to = actors_.find(s.to);
  if (to == actors_.end()) {
    checker_.Fail("driver", from_name + " sent to unknown address '" + s.to + "'", now_);
    return;
  }
  const Actor dest = to->second;
  const bool client_link = from.client || dest.client;
  const auto lost = [&](const char* why) {
    if (options_.verbose)
      std::printf("%8llu   (%s -> %s lost: %s)\n", static_cast<unsigned long long>(now_),
                  from_name.c_str(), s.to.c_str(), why);
  };
  if (!client_link && Partitioned(from.index, dest.index)) return lost("partitioned");
  if (faults_ && rng_.Chance(params_.drop)) return lost("dropped");
  const int copies = faults_ && !client_link && rng_.Chance(params_.dup) ? 2 : 1;
  for (int i = 0; i < copies; ++i) {
    auto ev = std::make_unique<Ev>();
    ev->kind = Kind::kDeliver;
    ev->t = now_ + rng_.Range(1, params_.max_delay_ms);
    ev->node = dest.index;
    ev->to_client = dest.client;
    ev->from = from_name;
    ev->id = s.request_id;
    ev->msg = s.msg;
    ev->inc = kNoIncarnationCheck;
    if (client_link) {
      // A ZeroMQ pipe: in order, and what is in flight to a server dies
      // with that server's connection.
      const auto key = std::make_pair(from.client ? -1 - from.index : from.index,
                                      dest.client ? -1 - dest.index : dest.index);
      ev->t = std::max(ev->t, fifo_[key]);
      fifo_[key] = ev->t;
      if (!dest.client) ev->inc = nodes_[dest.index].incarnation;
    }
    Push(std::move(ev));
  }
}

bool World::Partitioned(int a, int b) const {
  auto it = partitions_.find({std::min(a, b), std::max(a, b)});
  return it != partitions_.end() && it->second > now_;
}

size_t World::LoseUnsynced(Node& n) {
  // Unforced records may or may not have reached the disk: keep a random
  // prefix of them (a torn tail is truncated, never a hole).
  const size_t keep = n.durable + rng_.Range(0, n.Count() - n.durable);
  n.log.resize(keep - n.compacted.size());
  n.durable = keep;
  return keep;
}

void World::Crash(int node) {
  Node& n = nodes_[node];
  ++stats_.crashes;
  const size_t keep = LoseUnsynced(n);
  const Lsn last = n.NextLsn() - 1;
  std::erase_if(n.index, [last](const auto& e) { return e.second > last; });
  n.up = false;
  ++n.incarnation;
  n.cancelled.clear();
  n.part.reset();
  n.coord.reset();
  if (n.replicated) OnPrimaryCrash(node);
  if (options_.verbose)
    std::printf("%8llu   crash %s, %zu records survive\n", static_cast<unsigned long long>(now_),
                n.name.c_str(), keep - n.compacted.size());
  auto ev = std::make_unique<Ev>();
  ev->kind = Kind::kRestart;
  ev->t = now_ + rng_.Range(5, 300);
  ev->node = node;
  ev->inc = n.incarnation;
  Push(std::move(ev));
}

void World::MaybeCrashSoon(int node, double chance) {
  if (!faults_ || chance <= 0 || !rng_.Chance(chance)) return;
  auto ev = std::make_unique<Ev>();
  ev->kind = Kind::kCrash;
  ev->t = now_ + rng_.Range(0, params_.fsync_max_ms + 1);
  ev->node = node;
  Push(std::move(ev));
}

void World::EndFaults() {
  faults_ = false;
  partitions_.clear();
  for (int i = 0; i <= params_.participants; ++i) {
    if (!nodes_[i].up) Restart(i);
  }
}

std::optional<Violation> World::FinalChecks() {
  const auto fail = [&](const std::string& what) {
    return Violation{"liveness", what + " after faults stopped", now_};
  };
  for (const Node& n : nodes_) {
    if (!n.up) return fail(n.name + " is down");
    if (n.promoting) return fail(n.name + " is still waiting to be promoted");
    if (n.coord != nullptr && !n.coord->Idle()) {
      return fail("coordinator still runs " + n.coord->InFlight()[0].txid + " (" +
                  std::string(CoordStateName(n.coord->InFlight()[0].state)) + ")");
    }
    if (n.part != nullptr && !n.part->Idle()) {
      const auto b = n.part->Branches();
      return fail(n.name + " still has " +
                  (b.empty() ? std::string("work in flight")
                             : b[0].txid + " " + std::string(BranchStateName(b[0].state))));
    }
    if (n.part != nullptr && n.part->locks().size() != 0) {
      return fail(n.name + " leaks a lock on " + n.part->locks().List()[0].first);
    }
  }
  for (const Client& c : clients_) {
    if (c.busy) return fail("client " + c.name + " still waits");
  }
  checker_.AtRest(now_);
  return std::nullopt;
}

std::optional<Violation> RunSeed(const Options& options, RunStats* stats) {
  Rng r(options.seed);
  Params p;
  p.participants = static_cast<int>(r.Range(2, 4));
  p.clients = static_cast<int>(r.Range(2, 5));
  p.accounts = static_cast<int>(r.Range(4, 8));
  p.keys = static_cast<int>(r.Range(4, 12));
  p.bank_ratio = r.Real();
  p.direct_ratio = r.Real() * 0.1;
  p.drop = r.Chance(0.2) ? 0 : r.Real() * 0.1;
  p.dup = r.Real() * 0.05;
  p.max_delay_ms = static_cast<uint32_t>(r.Range(1, 20));
  p.fsync_min_ms = static_cast<uint32_t>(r.Range(1, 3));
  // A fifth of the seeds get a slow disk: wide windows between a forced
  // append and its durability are where premature sends show.
  p.fsync_max_ms = static_cast<uint32_t>(r.Range(p.fsync_min_ms, r.Chance(0.2) ? 60 : 10));
  p.fault_end_ms = r.Range(200, 1200);
  p.crashes = static_cast<int>(r.Range(0, 4));
  p.partitions = static_cast<int>(r.Range(0, 3));
  p.one_phase = r.Chance(0.8);
  p.vote_timeout_ms = static_cast<uint32_t>(r.Range(30, 600));
  p.prepare_resend_ms = static_cast<uint32_t>(r.Range(10, p.vote_timeout_ms));
  p.resend_initial_ms = static_cast<uint32_t>(r.Range(10, 200));
  p.resend_max_ms = static_cast<uint32_t>(r.Range(p.resend_initial_ms, 1500));
  p.inquire_initial_ms = static_cast<uint32_t>(r.Range(10, 800));
  p.inquire_max_ms = static_cast<uint32_t>(r.Range(p.inquire_initial_ms, 2000));
  p.cooperative_after = static_cast<uint32_t>(r.Range(1, 4));
  p.client_timeout_ms = static_cast<uint32_t>(r.Range(100, 1000));
  p.crash_after_force = r.Chance(0.5) ? r.Real() * 0.03 : 0;
  p.crash_after_send = r.Chance(0.5) ? r.Real() * 0.01 : 0;
  p.operator_resolves = r.Chance(0.25) ? static_cast<int>(r.Range(1, 3)) : 0;
  if (options.replicated) {
    p.failovers = static_cast<int>(r.Range(1, 3));
    p.standby_crash_ratio = r.Real() * 0.5;
  }
  World world(options, p);
  return world.Run(stats);
}

}  // namespace sim
