// The fuzz seeds in tests/fuzz/corpus/wire/ are golden encodings: each file
// is a header frame followed by its body (the layout wire_fuzz.cpp splits).
// This test regenerates them in memory and compares byte for byte, so it
// fails when the wire format changes by accident, and keeps the seeds valid.
// To rewrite the files after an intended change, run this test with
// SHARDKIT_WRITE_CORPUS=1.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "shardkit/wire/codec.h"
#include "shardkit/wire/messages.h"

using namespace shardkit::wire;

namespace {

std::string Concat(const std::vector<std::string>& frames) {
  std::string out;
  for (const auto& f : frames) out += f;
  return out;
}

std::map<std::string, std::string> Seeds() {
  LocateReply reply;
  reply.generation = 0x1122334455667788ull;
  reply.names = {"a", "b", "c"};
  reply.endpoints = {"tcp://10.0.0.1:7100", "tcp://10.0.0.2:7100", ""};
  reply.replicas = 2;
  reply.owners = {0, 1, 2, 0, 1, kNoOwner};
  return {
      {"error_reply.bin",
       Concat(EncodeMessage(1, ErrorReply{static_cast<uint16_t>(ErrorCode::kBadRequest),
                                          "header frame is 3 bytes, expected 15"}))},
      {"locate_request.bin",
       Concat(EncodeMessage(2, LocateRequest{2, {"user:1", "user:2", "user:3"}}))},
      {"locate_request_empty.bin", Concat(EncodeMessage(3, LocateRequest{}))},
      {"locate_reply.bin", Concat(EncodeMessage(4, reply))},
      // Two-phase commit (DESIGN.md §7).
      {"prepare.bin",
       Concat(EncodeMessage(5, Prepare{"job-1@a1b2.7",
                                       {"tcp://10.0.0.9:7400"},
                                       {"tcp://10.0.0.1:7100", "tcp://10.0.0.2:7100"},
                                       {{OpKind::kCheckEq, "acct:1", "100"},
                                        {OpKind::kPut, "acct:1", "90"},
                                        {OpKind::kGet, "acct:3", ""}}}))},
      {"vote_no.bin", Concat(EncodeMessage(6, Vote{"job-1@a1b2.7",
                                                   VoteKind::kNo,
                                                   "key 'acct:1' is locked by transaction a1b2.3",
                                                   "acct:1",
                                                   {}}))},
      {"vote_yes.bin",
       Concat(EncodeMessage(
           7, Vote{"job-1@a1b2.7", VoteKind::kYes, "", "", {{"acct:3", true, "55"}}}))},
      {"commit.bin", Concat(EncodeMessage(8, Commit{"job-1@a1b2.7"}))},
      {"abort.bin", Concat(EncodeMessage(9, Abort{"job-1@a1b2.7"}))},
      {"ack.bin", Concat(EncodeMessage(10, Ack{"job-1@a1b2.7"}))},
      {"commit_one_phase.bin",
       Concat(EncodeMessage(11, CommitOnePhase{"a1b2.8", {{OpKind::kDel, "user:9", ""}}}))},
      {"one_phase_result.bin",
       Concat(EncodeMessage(12, OnePhaseResult{"a1b2.8", TxOutcome::kCommitted, "", "", {}}))},
      {"inquire.bin", Concat(EncodeMessage(13, Inquire{"job-1@a1b2.7"}))},
      {"outcome.bin", Concat(EncodeMessage(14, Outcome{"job-1@a1b2.7", TxOutcome::kAborted}))},
      {"heuristic_report.bin",
       Concat(EncodeMessage(
           15, HeuristicReport{"job-1@a1b2.7", "tcp://10.0.0.2:7100", TxOutcome::kCommitted}))},
      {"submit.bin", Concat(EncodeMessage(16, Submit{"job-1",
                                                     {{OpKind::kPut, "user:1", "alice"},
                                                      {OpKind::kCheckAbsent, "user:2", ""}}}))},
      {"submit_result.bin",
       Concat(EncodeMessage(17, SubmitResult{"job-1",
                                             TxOutcome::kAborted,
                                             "participant b voted no: check failed",
                                             "user:2",
                                             {}}))},
      {"get_request.bin", Concat(EncodeMessage(18, GetRequest{{"user:1", "user:2"}, 202}))},
      {"get_reply.bin",
       Concat(EncodeMessage(19, GetReply{{{"user:1", true, "alice"}, {"user:2", false, ""}}}))},
      {"put_request.bin", Concat(EncodeMessage(20, PutRequest{"user:1", std::string("a\0b", 3)}))},
      {"put_reply.bin", Concat(EncodeMessage(21, PutReply{42}))},
      {"del_request.bin", Concat(EncodeMessage(22, DelRequest{"user:1"}))},
      {"del_reply.bin", Concat(EncodeMessage(23, DelReply{43, true}))},
      {"scan_request.bin", Concat(EncodeMessage(24, ScanRequest{"user:", "user:1", 100, 202}))},
      {"scan_reply.bin",
       Concat(EncodeMessage(25, ScanReply{{"user:2", "user:3"}, {"bob", "carol"}, true}))},
      {"admin_request.bin", Concat(EncodeMessage(26, AdminRequest{"resolve", {"t.1", "commit"}}))},
      {"admin_reply.bin",
       Concat(EncodeMessage(27, AdminReply{{"name", "value"}, {{"committed", "12"}}}))},
      // Replication (DESIGN.md §8): between replicad members.
      {"repl_hello.bin", Concat(EncodeMessage(28, ReplHello{3, "node-b", "tcp://10.0.0.2:7500", 2,
                                                            230, 117769548398657536ull}))},
      {"repl_start.bin", Concat(EncodeMessage(29, ReplStart{3,
                                                            "node-a",
                                                            true,
                                                            200,
                                                            201,
                                                            false,
                                                            {{1, 1}, {2, 101}, {3, 201}},
                                                            117769548398657536ull,
                                                            4}))},
      {"repl_records.bin",
       Concat(EncodeMessage(
           30, ReplRecords{3,
                           "node-a",
                           "tcp://10.0.0.1:7500",
                           200,
                           202,
                           {{1, 3, 201, "put user:1 alice"}, {2, 3, 202, std::string("\0\xff", 2)}},
                           "tcp://10.0.0.1:7100"}))},
      {"repl_records_heartbeat.bin",
       Concat(
           EncodeMessage(31, ReplRecords{3, "node-a", "tcp://10.0.0.1:7500", 202, 202, {}, ""}))},
      {"repl_ack.bin",
       Concat(EncodeMessage(32, ReplAck{3, "node-b", 202, 201, 199, 117769548398657536ull}))},
      {"repl_snapshot_chunk.bin",
       Concat(EncodeMessage(33, ReplSnapshotChunk{3, 150, 2, 4096, 10000, "snapshot bytes",
                                                  117769548398657536ull}))},
      {"repl_vote_request.bin",
       Concat(
           EncodeMessage(34, ReplVoteRequest{4, "node-b", "tcp://10.0.0.2:7500", 3, 202, true}))},
      {"repl_vote.bin",
       Concat(EncodeMessage(35, ReplVote{4, "node-c", false, "already voted for node-d"}))},
      {"repl_takeover.bin", Concat(EncodeMessage(36, ReplTakeover{3, "node-a", 202}))},
      // Replication: a data directory's writer and its replicad.
      {"link_progress.bin",
       Concat(EncodeMessage(37, LinkProgress{202, 199, 3, 150, 204, "tcp://10.0.0.1:7100"}))},
      {"link_role.bin",
       Concat(EncodeMessage(38, LinkRole{static_cast<uint8_t>(LinkRoleKind::kReplica), 4,
                                         "tcp://10.0.0.2:7100", "flushed:1"}))},
      {"link_acked.bin",
       Concat(EncodeMessage(39, LinkAcked{3, {202, 201}, {201, 180}, {199, 0}, 150, 210}))},
      {"link_append.bin",
       Concat(EncodeMessage(40, LinkAppend{{{1, 3, 203, "a"}, {1, 3, 204, "b"}}}))},
      {"link_truncate.bin", Concat(EncodeMessage(41, LinkTruncate{200}))},
      {"link_install.bin",
       Concat(EncodeMessage(42, LinkInstall{"/srv/shard0/repl-resync.snap", 150, 2}))},
  };
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("fuzz corpus seeds are the current encodings", "[wire][corpus]") {
  const std::string dir = std::string(SHARDKIT_SOURCE_DIR) + "/tests/fuzz/corpus/wire/";
  const bool write = std::getenv("SHARDKIT_WRITE_CORPUS") != nullptr;
  for (const auto& [name, bytes] : Seeds()) {
    INFO(dir + name);
    if (write) {
      std::ofstream(dir + name, std::ios::binary | std::ios::trunc) << bytes;
    }
    CHECK(ReadFile(dir + name) == bytes);

    // And each seed decodes as the fuzz target splits it.
    const std::string_view all(bytes);
    const std::string_view frames[] = {all.substr(0, kHeaderBytes), all.substr(kHeaderBytes)};
    auto m = DecodeMessage(frames);
    REQUIRE(m.ok());
    CHECK(IsKnownMsgType(m->header.type));
  }
}
