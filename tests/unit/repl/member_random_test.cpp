// repl::Member under random partitions, crashes and message loss: the
// harness checks every action's safety rules as it goes, and at the end
// the group converges on one primary whose log holds every write that was
// ever acknowledged at flushed:1.
#include <cstdio>
#include <cstdlib>
#include <random>

#include "member_harness.h"

using namespace repltest;

namespace {

struct Acked {
  uint64_t epoch = 0;
  std::string payload;
};

// Records the writes the primary's writer could have confirmed by now.
void NoteAcknowledged(Cluster& c, std::map<uint64_t, Acked>* acked) {
  for (auto& [name, n] : c.nodes) {
    const FakeWriter& w = n.writer;
    if (!n.up || w.role == wire::LinkRoleKind::kReplica || w.acked.empty()) continue;
    const wire::LinkAcked& a = w.acked.back();
    if (a.epoch != w.epoch) continue;
    const uint64_t upto = AckedLsn(n.config.ack, w.durable, a.received, a.flushed, a.applied);
    for (uint64_t lsn = 1; lsn <= upto && lsn <= w.durable; ++lsn) {
      const auto& r = w.log[lsn - 1];
      auto [it, added] = acked->try_emplace(lsn, Acked{r.epoch, r.payload});
      if (it->second.epoch != r.epoch || it->second.payload != r.payload) {
        // Two different records were acknowledged at one LSN.
        FAIL(name << " confirms lsn " << lsn << " as " << r.epoch << ":" << r.payload
                  << ", earlier confirmed as " << it->second.epoch << ":" << it->second.payload);
      }
    }
  }
}

void RunSeed(uint64_t seed) {
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  auto pick = [&](uint64_t n) { return rng() % n; };
  Config base;
  base.auto_failover = true;
  base.heartbeat_ms = 50;
  base.election_ms = 300;
  base.lease_ms = 400;
  base.ack = AckLevel{AckKind::kFlushed, 1};
  base.seed = seed;
  const std::vector<std::string> names{"a", "b", "c"};
  Cluster c;
  for (const auto& n : names) {
    std::vector<std::string> peers;
    for (const auto& p : names) {
      if (p != n) peers.push_back(p);
    }
    c.Add(n, peers, "", base);
  }
  c.StartAll();
  int loss = 0;  // percent of messages lost
  c.drop = [&](const Packet&) { return loss > 0 && static_cast<int>(pick(100)) < loss; };
  std::map<uint64_t, Acked> acked;
  int writes = 0;
  for (int step = 0; step < 120; ++step) {
    const std::string who = names[pick(names.size())];
    switch (pick(10)) {
      case 0:
        c.Cut(who, names[(pick(2) + 1 + (who[0] - 'a')) % 3]);
        break;
      case 1:
        c.Heal();
        break;
      case 2:
        if (c[who].up) {
          c.Crash(who);
        } else {
          c.Start(who);
        }
        break;
      case 3:
        loss = static_cast<int>(pick(3)) * 10;
        break;
      default: {
        std::string p = c.Primary();
        if (!p.empty() && c[p].writer.role == wire::LinkRoleKind::kPrimary) {
          c.Write(p, 1 + static_cast<int>(pick(3)), "s" + std::to_string(seed) + "w");
          ++writes;
        }
        break;
      }
    }
    c.Advance(10 + pick(200));
    NoteAcknowledged(c, &acked);
  }
  // Peace: everything up, connected and lossless.
  loss = 0;
  c.Heal();
  for (const auto& n : names) {
    if (!c[n].up) c.Start(n);
  }
  c.Advance(4000);
  const std::string p = c.Primary();
  REQUIRE(!p.empty());
  c.Write(p, 1, "final");
  c.Advance(500);
  NoteAcknowledged(c, &acked);
  const FakeWriter& pw = c[p].writer;
  for (const auto& n : names) {
    INFO("member " << n << " vs primary " << p);
    CHECK(Payloads(c[n].writer) == Payloads(pw));
  }
  for (const auto& [lsn, a] : acked) {
    INFO("acknowledged lsn " << lsn);
    REQUIRE(lsn <= pw.log.size());
    CHECK(pw.log[lsn - 1].epoch == a.epoch);
    CHECK(pw.log[lsn - 1].payload == a.payload);
  }
  CHECK(writes > 0);
  if (getenv("REPL_RANDOM_STATS")) {
    printf("seed %llu: epoch %llu, %zu acknowledged, %zu records, %d writes\n",
           (unsigned long long)seed, (unsigned long long)c[p].member->epoch(), acked.size(),
           pw.log.size(), writes);
  }
}

}  // namespace

TEST_CASE("random faults never lose an acknowledged write and the group converges",
          "[repl][member]") {
  for (uint64_t seed = 1; seed <= 40; ++seed) RunSeed(seed);
}
