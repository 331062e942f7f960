// Replicated runs (Options::replicated): each node is a replication group of
// a primary and a hot standby, driven as daemon::Node and replicad drive
// them, with the replication protocol itself abstracted away (repl_sim
// checks that): records stream to the standby as the primary appends them;
// the standby appends, fsyncs, replays them (Replicated) and acknowledges;
// the primary's core sees LogDurable only up to what the standby flushed
// (ack level flushed:1). A primary that crashes cuts the standby's copy of
// what it lost (a divergent tail). A failover kills the primary's machine
// and promotes the standby in its place, and the old primary's disk, cut to
// what the two share, becomes the new standby.
//
// A restarted or promoted core recovers passively (StandbyRecovered) and
// gets Promoted only once the standby holds its whole log: it acts on every
// record it holds (re-drives decisions, re-sends votes), and one only it
// holds could be lost with it the next moment. --broken-promotion skips the
// wait, and the invariants must catch it.
#include <cstdio>

#include "world.h"

namespace sim {

void World::StandbyHandle(int node, Node::Standby& sb, const Event& e) {
  const Node& n = nodes_[node];
  std::vector<Action> actions;
  Status s = sb.coord != nullptr ? sb.coord->Handle(e, &actions) : sb.part->Handle(e, &actions);
  if (!s.ok()) return checker_.Fail("core", n.name + "'s standby: " + s.message(), now_);
  for (const Action& a : actions) {
    // Passive: it may only note what it replayed.
    if (std::holds_alternative<Resolved>(a) || std::holds_alternative<CancelTimer>(a)) continue;
    const char* what = std::holds_alternative<Send>(a)        ? "sent a message"
                       : std::holds_alternative<AppendLog>(a) ? "appended to its log"
                                                              : "armed a timer";
    return checker_.Fail("standby", n.name + "'s standby " + what, now_);
  }
}

std::unique_ptr<Node::Standby> World::NewStandby(int node, std::vector<LogEntry> log) {
  const Node& n = nodes_[node];
  auto sb = std::make_unique<Node::Standby>();
  sb->inc = ++standby_serial_;
  if (n.coordinator) {
    sb->coord = NewCoordinator(n, "s" + std::to_string(sb->inc));
  } else {
    sb->part = NewParticipant(n);
  }
  // Its disk: everything on it is durable once it starts.
  sb->log = std::move(log);
  sb->flushed = sb->log.size();
  const Lsn next = sb->log.empty() ? 1 : sb->log.back().lsn + 1;
  StandbyHandle(node, *sb, StandbyRecovered{Recovered{sb->log, next, "", 0}});
  return sb;
}

void World::Ship(int node) {
  auto ev = std::make_unique<Ev>();
  ev->kind = Kind::kShip;
  ev->t = now_ + rng_.Range(0, params_.max_delay_ms);
  ev->node = node;
  ev->inc = nodes_[node].incarnation;
  Push(std::move(ev));
}

void World::OnShip(int node, uint64_t inc) {
  Node& n = nodes_[node];
  if (!n.up || n.incarnation != inc || n.standby == nullptr) return;
  Node::Standby& sb = *n.standby;
  // Everything the primary has written past the standby's end (its log is
  // never compacted in these runs: index i holds LSN i + 1).
  const size_t before = sb.log.size();
  for (size_t i = before; i < n.log.size(); ++i) sb.log.push_back(n.log[i]);
  auto ev = std::make_unique<Ev>();
  ev->kind = Kind::kStandbySync;
  ev->t = now_ + rng_.Range(params_.fsync_min_ms, params_.fsync_max_ms);
  ev->node = node;
  ev->inc = sb.inc;
  ev->id = sb.log.size();
  Push(std::move(ev));
}

void World::OnStandbySync(int node, const Ev& ev) {
  Node& n = nodes_[node];
  if (n.standby == nullptr || n.standby->inc != ev.inc) return;
  Node::Standby& sb = *n.standby;
  const size_t upto = std::min<size_t>(ev.id, sb.log.size());
  if (upto > sb.flushed) {
    Replicated batch;
    batch.records.assign(sb.log.begin() + static_cast<long>(sb.flushed),
                         sb.log.begin() + static_cast<long>(upto));
    sb.flushed = upto;
    StandbyHandle(node, sb, batch);
    if (checker_.violation()) return;
  }
  auto ack = std::make_unique<Ev>();
  ack->kind = Kind::kStandbyAck;
  ack->t = now_ + rng_.Range(1, params_.max_delay_ms);
  ack->node = node;
  ack->inc = n.incarnation;
  ack->id = sb.flushed == 0 ? 0 : sb.log[sb.flushed - 1].lsn;
  Push(std::move(ack));
}

void World::OnStandbyAck(int node, const Ev& ev) {
  Node& n = nodes_[node];
  if (!n.up || n.incarnation != ev.inc) return;
  n.acked = std::max<Lsn>(n.acked, ev.id);
  Gate(node);
}

void World::Gate(int node) {
  Node& n = nodes_[node];
  if (!n.up) return;
  if (n.promoting) {
    if (n.acked < n.promote_lsn) return;
    n.promoting = false;
    if (options_.verbose) {
      std::printf("%8llu   %s promoted: its standby holds lsn %llu\n",
                  static_cast<unsigned long long>(now_), n.name.c_str(),
                  static_cast<unsigned long long>(n.promote_lsn));
    }
    Promote(node);
    if (checker_.violation() || !n.up) return;
  }
  const Lsn lsn = n.GatedLsn();
  if (lsn <= n.fed) return;
  n.fed = lsn;
  Handle(node, LogDurable{lsn});
}

// The node's core takes over. Only now is its log final (the standby holds
// it, unless broken): the checker counts the commit records it finishes,
// as after a restart.
void World::Promote(int node) {
  checker_.OnRestart(node, now_);
  if (checker_.violation()) return;
  Handle(node, Promoted{});
}

void World::StartPassive(int node, Lsn promote_lsn) {
  Node& n = nodes_[node];
  n.fed = promote_lsn;  // the core took every record it was handed as durable
  Ship(node);
  if (options_.broken_promotion) {
    n.promoting = false;
    return Promote(node);
  }
  n.promoting = true;
  n.promote_lsn = promote_lsn;
  Gate(node);
}

void World::OnPrimaryCrash(int node) {
  Node& n = nodes_[node];
  n.acked = std::min(n.acked, n.LastLsn());
  n.fed = 0;
  n.promoting = false;
  if (n.standby == nullptr || n.standby->log.size() <= n.log.size()) return;
  // The standby holds records the primary lost: a divergent tail, which
  // replicad cuts (the writer rebuilds from its disk). Never acknowledged:
  // the primary had not made them durable.
  std::vector<LogEntry> kept(n.standby->log.begin(),
                             n.standby->log.begin() + static_cast<long>(n.log.size()));
  n.standby = NewStandby(node, std::move(kept));
}

void World::StandbyCrash(int node) {
  Node& n = nodes_[node];
  if (n.standby == nullptr) return;
  ++stats_.crashes;
  std::vector<LogEntry> log = std::move(n.standby->log);
  const size_t keep = n.standby->flushed + rng_.Range(0, log.size() - n.standby->flushed);
  log.resize(keep);
  if (options_.verbose) {
    std::printf("%8llu   crash %s's standby, %zu records survive\n",
                static_cast<unsigned long long>(now_), n.name.c_str(), keep);
  }
  n.standby = NewStandby(node, std::move(log));
  if (n.up) Ship(node);
}

void World::Failover(int node) {
  Node& n = nodes_[node];
  if (!faults_ || n.standby == nullptr) return;
  ++stats_.failovers;
  std::unique_ptr<Node::Standby> sb = std::move(n.standby);
  // The primary's machine dies: its disk keeps the durable prefix and some
  // of the rest (already so if it was down).
  if (n.up) LoseUnsynced(n);
  std::vector<LogEntry> old_log = std::move(n.log);
  // The standby's writer makes everything it appended durable and replays
  // it, then takes the node's place.
  if (sb->flushed < sb->log.size()) {
    Replicated rest;
    rest.records.assign(sb->log.begin() + static_cast<long>(sb->flushed), sb->log.end());
    sb->flushed = sb->log.size();
    StandbyHandle(node, *sb, rest);
    if (checker_.violation()) return;
  }
  n.log = sb->log;
  n.durable = n.log.size();
  n.index.clear();
  for (const LogEntry& e : n.log) IndexRecord(n, e);
  n.part = std::move(sb->part);
  n.coord = std::move(sb->coord);
  ++n.incarnation;
  n.cancelled.clear();
  n.up = true;
  n.acked = 0;
  // The old primary's disk, cut to what both logs share, is the new standby.
  const size_t common = std::min(old_log.size(), n.log.size());
  for (size_t i = 0; i < common; ++i) {
    const LogEntry &a = old_log[i], &b = n.log[i];
    if (a.lsn != b.lsn || a.type != b.type || a.payload != b.payload) {
      return checker_.Fail(
          "driver",
          n.name + "'s standby log parts from its primary's at lsn " + std::to_string(b.lsn), now_);
    }
  }
  old_log.resize(common);
  if (options_.verbose) {
    std::printf(
        "%8llu   failover %s: the standby (%zu records) is promoted, the old primary "
        "(%zu shared) follows\n",
        static_cast<unsigned long long>(now_), n.name.c_str(), n.log.size(), common);
  }
  n.standby = NewStandby(node, std::move(old_log));
  if (checker_.violation()) return;
  StartPassive(node, n.LastLsn());
}

}  // namespace sim
