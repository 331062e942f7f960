// replicad's ResyncSender: one transfer at a time, queued requests, and a
// full resync that waits for a snapshot the retained log continues from.
#include "resync.h"

#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "../temp_dir.h"
#include "shardkit/wal/data_dir.h"
#include "shardkit/wal/snapshot.h"

using namespace shardkit;
using replicad::ResyncSender;

namespace {

using testutil::TempDir;

void Snapshot(const wal::DataDir& dir, uint64_t lsn, size_t entries) {
  REQUIRE(wal::WriteSnapshot(dir, lsn, [&](wal::SnapshotWriter& w) {
            for (size_t i = 0; i < entries; ++i) {
              SK_RETURN_IF_ERROR(w.Append(std::string(1000, char('a' + i % 26))));
            }
            return Status::Ok();
          }).ok());
}

ResyncSender::Request To(const std::string& to, uint64_t session) {
  return ResyncSender::Request{to, session, 3, {{1, 1}, {3, 50}}};
}

// Pumps until nothing is left (bounded); the chunks each replica got.
std::vector<ResyncSender::Done> Drain(ResyncSender& s,
                                      std::map<std::string, std::vector<uint64_t>>* offsets,
                                      uint64_t min_lsn = 0) {
  std::vector<ResyncSender::Done> all;
  for (int i = 0; i < 1000 && s.busy(); ++i) {
    auto ended =
        s.Pump([&](const std::string& to,
                   const wire::ReplSnapshotChunk& c) { (*offsets)[to].push_back(c.offset); },
               min_lsn);
    all.insert(all.end(), ended.begin(), ended.end());
    if (s.waiting_for() != 0) break;
  }
  return all;
}

}  // namespace

TEST_CASE("transfers go one at a time, in order, each answered once", "[replicad][resync]") {
  TempDir tmp;
  auto dir = wal::DataDir::Open(tmp.path());
  REQUIRE(dir.ok());
  Snapshot(*dir, 70, 3000);  // about 3 MB: several chunks
  ResyncSender s(tmp.path());
  CHECK_FALSE(s.Queue(To("b", 1)).has_value());
  CHECK_FALSE(s.Queue(To("c", 2)).has_value());
  // A later request for a waiting replica replaces its earlier one, which
  // is answered (failed) at once.
  auto replaced = s.Queue(To("c", 3));
  REQUIRE(replaced.has_value());
  CHECK(replaced->session == 2);
  CHECK(replaced->status.code() == Code::kTemporary);

  std::map<std::string, std::vector<uint64_t>> offsets;
  auto done = Drain(s, &offsets);
  REQUIRE(done.size() == 2);
  CHECK(done[0].to == "b");
  CHECK(done[1].to == "c");
  CHECK(done[1].session == 3);
  for (const auto& d : done) {
    CHECK(d.status.ok());
    CHECK(d.lsn == 70);
    CHECK(d.snapshot_epoch == 3);  // epoch 3 began at LSN 50
  }
  // Every replica got the file from offset 0 up, in order, without gaps.
  for (const auto& [to, offs] : offsets) {
    REQUIRE(offs.size() >= 3);
    for (size_t i = 0; i < offs.size(); ++i) CHECK(offs[i] == i * replicad::kChunkBytes);
  }
  CHECK_FALSE(s.busy());
}

TEST_CASE("a resync waits for a snapshot at or above the LSN the retained log needs",
          "[replicad][resync]") {
  TempDir tmp;
  auto dir = wal::DataDir::Open(tmp.path());
  REQUIRE(dir.ok());
  Snapshot(*dir, 40, 10);
  ResyncSender s(tmp.path());
  s.Queue(To("b", 1));
  std::map<std::string, std::vector<uint64_t>> offsets;
  // The log the cap keeps starts after LSN 60: snapshot 40 would leave the
  // replica needing records that are gone.
  auto done = Drain(s, &offsets, 60);
  CHECK(done.empty());
  CHECK(offsets.empty());
  CHECK(s.waiting_for() == 60);
  CHECK(s.busy());
  // The writer wrote a fresh one: the transfer starts from it.
  Snapshot(*dir, 75, 10);
  done = Drain(s, &offsets, 60);
  REQUIRE(done.size() == 1);
  CHECK(done[0].status.ok());
  CHECK(done[0].lsn == 75);
  CHECK(s.waiting_for() == 0);
  CHECK_FALSE(s.busy());
}

TEST_CASE("with no snapshot at all the transfer fails and is answered", "[replicad][resync]") {
  TempDir tmp;
  auto dir = wal::DataDir::Open(tmp.path());
  REQUIRE(dir.ok());
  ResyncSender s(tmp.path());
  s.Queue(To("b", 7));
  std::map<std::string, std::vector<uint64_t>> offsets;
  auto done = Drain(s, &offsets);
  REQUIRE(done.size() == 1);
  CHECK(done[0].session == 7);
  CHECK(done[0].status.code() == Code::kNoInput);
  CHECK(offsets.empty());
}

TEST_CASE("a waiting resync is dropped once its replica says HELLO in a newer session",
          "[replicad][resync]") {
  TempDir tmp;
  auto dir = wal::DataDir::Open(tmp.path());
  REQUIRE(dir.ok());
  Snapshot(*dir, 40, 10);
  ResyncSender s(tmp.path());
  s.Queue(To("b", 5));
  std::map<std::string, std::vector<uint64_t>> offsets;
  CHECK(Drain(s, &offsets, 60).empty());  // waits for a fresh snapshot
  // The same session again, or another replica: nothing to drop.
  CHECK_FALSE(s.Supersede("b", 5).has_value());
  CHECK_FALSE(s.Supersede("c", 9).has_value());
  // A newer session of b: the waiting request ends, answered, unsent.
  auto dropped = s.Supersede("b", 6);
  REQUIRE(dropped.has_value());
  CHECK(dropped->session == 5);
  CHECK(dropped->status.code() == Code::kTemporary);
  CHECK_FALSE(s.busy());
  Snapshot(*dir, 75, 10);
  CHECK(Drain(s, &offsets, 60).empty());
  CHECK(offsets.empty());
}
