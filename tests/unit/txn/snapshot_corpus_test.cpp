// The fuzz seeds in tests/fuzz/corpus/snapshot/ are golden snapshots: this
// test builds them again from scripted logs (by shadow replay, as a daemon
// takes snapshots) and compares byte for byte, so it fails when the
// snapshot format changes by accident, and keeps the seeds loadable as
// snapshot_fuzz.cpp loads them. To rewrite the files after an intended
// change, run this test with SHARDKIT_WRITE_CORPUS=1.
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>

#include "harness.h"
#include "shardkit/txn/coordinator.h"
#include "shardkit/txn/participant.h"
#include "shardkit/txn/snapshot.h"

using namespace txntest;

namespace {

template <class Core>
void Run(Core& core, Log& log, Event e) {
  log.Take(Feed(core, std::move(e)));
}

std::string ParticipantSeed() {
  Log log;
  Participant p;
  Run(p, log, Recovered{});
  Run(p, log, MessageReceived{"cli", 1, wire::PutRequest{"acct0", "100"}});
  Run(p, log, MessageReceived{"cli", 2, wire::DelRequest{"gone"}});
  Run(p, log,
      MessageReceived{"cli", 3, wire::CommitOnePhase{"one", {Put("o", "1"), Get("acct0")}}});
  Run(p, log, LogDurable{log.next - 1});
  Run(p, log,
      MessageReceived{"c", 4,
                      wire::Prepare{"doubt",
                                    {"c1", "c2"},
                                    {"p0", "p1"},
                                    {Put("b", "2"), CheckAbsent("z"), Del("acct0")}}});
  Run(p, log,
      MessageReceived{"c", 5, wire::Prepare{"forced", {"c1"}, {"p0", "p1"}, {Put("f", "3")}}});
  Run(p, log,
      MessageReceived{"c", 6, wire::Prepare{"done", {"c1"}, {"p0", "p1"}, {Put("d", "4")}}});
  Run(p, log, LogDurable{log.next - 1});
  Run(p, log, OperatorResolve{"forced", false});
  Run(p, log, MessageReceived{"c", 7, wire::Commit{"done"}});
  Run(p, log, LogDurable{log.next - 1});
  Participant shadow;
  Feed(shadow, log.Recover());
  return *shadow.ExportState();
}

std::string Route(std::string_view key) { return "p" + std::string(1, key[0]); }

CoordinatorOptions CoordOpts() {
  CoordinatorOptions o;
  o.tag = "T";
  o.endpoints = {"coord"};
  return o;
}

std::string CoordinatorSeed() {
  Log log;
  Coordinator c(CoordOpts(), Route);
  Run(c, log, Recovered{});
  for (const std::string client : {"x1", "x2"}) {
    Run(c, log, MessageReceived{"cli", 1, wire::Submit{client, {Put("a1", "1"), Put("b1", "1")}}});
    const std::string t = c.InFlight().back().txid;
    Run(c, log, MessageReceived{"pa", 0, wire::Vote{t, wire::VoteKind::kYes, "", "", {}}});
    Run(c, log, MessageReceived{"pb", 0, wire::Vote{t, wire::VoteKind::kYes, "", "", {}}});
    Run(c, log, LogDurable{log.next - 1});
    Run(c, log, MessageReceived{"pa", 0, wire::Ack{t}});
    if (client == "x1") Run(c, log, MessageReceived{"pb", 0, wire::Ack{t}});
  }
  Run(c, log,
      MessageReceived{"pc", 3, wire::HeuristicReport{"x1@T.1", "pc", wire::TxOutcome::kAborted}});
  Run(c, log, LogDurable{log.next - 1});
  Coordinator shadow(CoordOpts(), Route);
  Feed(shadow, log.Recover());
  return *shadow.ExportState();
}

std::map<std::string, std::string> Seeds() {
  Participant p;
  Feed(p, Recovered{});
  Coordinator c(CoordOpts(), Route);
  Feed(c, Recovered{});
  return {{"participant.snap", ParticipantSeed()},
          {"participant-empty.snap", *p.ExportState()},
          {"coordinator.snap", CoordinatorSeed()},
          {"coordinator-empty.snap", *c.ExportState()}};
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("snapshot fuzz seeds are the current encodings", "[txn][snapshot][corpus]") {
  const std::string dir = std::string(SHARDKIT_SOURCE_DIR) + "/tests/fuzz/corpus/snapshot/";
  const bool write = std::getenv("SHARDKIT_WRITE_CORPUS") != nullptr;
  for (const auto& [name, bytes] : Seeds()) {
    INFO(dir + name);
    if (write) std::ofstream(dir + name, std::ios::binary | std::ios::trunc) << bytes;
    CHECK(ReadFile(dir + name) == bytes);

    // And each loads as snapshot_fuzz.cpp loads it: as of the LSN at offset
    // 19, into the core its role byte (offset 18) names.
    REQUIRE(bytes.size() >= 27);
    Lsn lsn = 0;
    for (int i = 7; i >= 0; --i) lsn = lsn << 8 | static_cast<uint8_t>(bytes[19 + i]);
    const Recovered r{{}, lsn + 1, bytes, lsn};
    std::vector<Action> out;
    if (bytes[18] == static_cast<char>(SnapshotRole::kParticipant)) {
      Participant p;
      CHECK(p.Handle(r, &out).ok());
    } else {
      Coordinator c(CoordOpts(), Route);
      CHECK(c.Handle(r, &out).ok());
    }
  }
}
