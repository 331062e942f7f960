// A member's durable epoch state: where an epoch ends in a log (the KIP-101
// truncation point a primary hands a reconnecting replica), the strict text
// forms of DIR/epochs and DIR/vote, and saving and loading them.
#include "shardkit/repl/epochs.h"

#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "../temp_dir.h"

using shardkit::Code;
using shardkit::Status;
using shardkit::wire::EpochStart;
using namespace shardkit::repl;
namespace fs = std::filesystem;

namespace {

// A fresh directory under $TMPDIR, removed with everything in it.
using testutil::TempDir;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

DurableState Sample() {
  DurableState s;
  s.current_epoch = 7;
  s.history = {{1, 1}, {2, 101}, {4, 201}, {5, 201}};
  s.voted_epoch = 7;
  s.voted_for = "node-b.example:7500";
  return s;
}

struct BadText {
  std::string text;
  std::string message;
};

}  // namespace

// ---- EndOfEpoch --------------------------------------------------------------

TEST_CASE("EndOfEpoch finds where a replica's last epoch ended on the primary", "[repl][epochs]") {
  // The primary's log: epoch 1 wrote 1..100, epoch 2 wrote 101..200, epoch
  // 3 was some other member's and never reached this log, epoch 4 wrote
  // 201..250 so far.
  const History primary = {{1, 1}, {2, 101}, {4, 201}};
  const uint64_t last = 250;

  SECTION("the replica's last epoch is in the primary's history") {
    // A replica that wrote 101..230 in epoch 2 (as an old primary whose
    // tail was never replicated) keeps 101..200 and truncates the rest.
    CHECK(EndOfEpoch(primary, 2, last).epoch == 2);
    CHECK(EndOfEpoch(primary, 2, last).end_lsn == 200);
    CHECK(EndOfEpoch(primary, 1, last).end_lsn == 100);
  }
  SECTION("the replica's last epoch is absent: it ends where the epoch below it ends") {
    const EpochEnd end = EndOfEpoch(primary, 3, last);
    CHECK(end.epoch == 2);
    CHECK(end.end_lsn == 200);
  }
  SECTION("the replica's last epoch is the primary's newest: the log's end") {
    const EpochEnd end = EndOfEpoch(primary, 4, last);
    CHECK(end.epoch == 4);
    CHECK(end.end_lsn == 250);
  }
  SECTION("a newer epoch than the primary knows ends at the primary's log end") {
    const EpochEnd end = EndOfEpoch(primary, 9, last);
    CHECK(end.epoch == 4);
    CHECK(end.end_lsn == 250);
  }
  SECTION("an empty replica log (epoch 0) or an epoch before the history: nothing") {
    CHECK(EndOfEpoch(primary, 0, last).epoch == 0);
    CHECK(EndOfEpoch(primary, 0, last).end_lsn == 0);
    const History later = {{3, 50}, {5, 80}};
    CHECK(EndOfEpoch(later, 2, 90).epoch == 0);
    CHECK(EndOfEpoch(later, 2, 90).end_lsn == 0);
    CHECK(EndOfEpoch({}, 5, 90).epoch == 0);
    CHECK(EndOfEpoch({}, 5, 90).end_lsn == 0);
  }
}

TEST_CASE("an epoch that wrote nothing ends before it began", "[repl][epochs]") {
  // Epoch 2 was started and superseded before its first write.
  const History h = {{1, 1}, {2, 11}, {3, 11}};
  CHECK(EndOfEpoch(h, 1, 30).end_lsn == 10);
  CHECK(EndOfEpoch(h, 2, 30).epoch == 2);
  CHECK(EndOfEpoch(h, 2, 30).end_lsn == 10);
  CHECK(EndOfEpoch(h, 3, 30).end_lsn == 30);
  // An epoch starting at LSN 0 leaves nothing for the one before it.
  const History zero = {{1, 0}, {2, 0}};
  CHECK(EndOfEpoch(zero, 1, 5).end_lsn == 0);
  CHECK(EndOfEpoch(zero, 2, 5).end_lsn == 5);
}

// ---- ValidateHistory ---------------------------------------------------------

TEST_CASE("ValidateHistory names the first violation", "[repl][epochs]") {
  CHECK(ValidateHistory({}).ok());
  CHECK(ValidateHistory({{1, 1}, {2, 1}, {9, 500}}).ok());
  struct Case {
    History history;
    std::string message;
  };
  for (const Case& c : {
           Case{{{0, 1}}, "history entry 1: epoch 0 is not allowed, epochs start at 1"},
           Case{{{1, 1}, {1, 5}}, "history entry 2: epoch 1 is not above the previous epoch 1"},
           Case{{{1, 1}, {3, 5}, {2, 9}},
                "history entry 3: epoch 2 is not above the previous epoch 3"},
           Case{{{1, 10}, {2, 9}},
                "history entry 2: start lsn 9 of epoch 2 is below start lsn 10 of epoch 1"},
       }) {
    const Status s = ValidateHistory(c.history);
    CHECK(s.code() == Code::kDataError);
    CHECK(s.message() == c.message);
  }
}

// ---- the text forms ------------------------------------------------------------

TEST_CASE("the files have the documented text", "[repl][epochs]") {
  CHECK(FormatEpochs(Sample()) == "current 7\n1 1\n2 101\n4 201\n5 201\n");
  CHECK(FormatVote(Sample()) == "7 node-b.example:7500\n");
  CHECK(FormatEpochs(DurableState{}) == "");
  CHECK(FormatVote(DurableState{}) == "");
  DurableState fenced;  // saw epoch 3 before it ever wrote a record
  fenced.current_epoch = 3;
  CHECK(FormatEpochs(fenced) == "current 3\n");
}

TEST_CASE("formatted state parses back to itself", "[repl][epochs]") {
  std::vector<DurableState> states = {DurableState{}, Sample()};
  DurableState max;
  max.current_epoch = UINT64_MAX;
  max.history = {{1, 0}, {UINT64_MAX, UINT64_MAX}};
  max.voted_epoch = UINT64_MAX;
  max.voted_for = std::string(255, 'z');
  states.push_back(max);
  // And random valid states.
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200; ++i) {
    DurableState s;
    uint64_t epoch = 0, lsn = rng() % 3;
    const size_t n = rng() % 6;
    for (size_t j = 0; j < n; ++j) {
      epoch += 1 + rng() % 3;
      lsn += rng() % 4 == 0 ? 0 : rng() % 1000;
      s.history.push_back({epoch, lsn});
    }
    s.current_epoch = epoch + rng() % 2;
    if (rng() % 2) {
      s.voted_epoch = 1 + rng() % 10;
      s.voted_for = "m" + std::to_string(rng() % 100);
    }
    states.push_back(s);
  }
  for (const DurableState& s : states) {
    const std::string epochs = FormatEpochs(s), vote = FormatVote(s);
    INFO(epochs << vote);
    DurableState back;
    back.voted_epoch = 99;  // ParseVote of "" must clear it
    back.voted_for = "stale";
    REQUIRE(ParseEpochs(epochs, &back).ok());
    REQUIRE(ParseVote(vote, &back).ok());
    CHECK(back == s);
  }
}

TEST_CASE("without a 'current' line the current epoch is the last one", "[repl][epochs]") {
  DurableState s;
  REQUIRE(ParseEpochs("1 1\n3 40\n", &s).ok());
  CHECK(s.current_epoch == 3);
  CHECK(s.history == History{{1, 1}, {3, 40}});
  REQUIRE(ParseEpochs("", &s).ok());
  CHECK(s == DurableState{});
}

TEST_CASE("malformed epochs files are refused with the line and reason", "[repl][epochs]") {
  const std::vector<BadText> cases = {
      {"1 1", "line 1: missing newline at end of file"},
      {"current 1\n1 1", "line 2: missing newline at end of file"},
      {"\n", "line 1: blank line"},
      {"1 1\n\n2 5\n", "line 2: blank line"},
      {"1 1\n\n", "line 2: blank line"},
      {"1  1\n", "line 1: stray space at column 3"},
      {" 1 1\n", "line 1: stray space at column 1"},
      {"1 1 \n", "line 1: stray space at column 4"},
      {"1\n", "line 1: expected 'EPOCH START-LSN', found 1 fields"},
      {"1\t1\n", "line 1: expected 'EPOCH START-LSN', found 1 fields"},
      {"1 1 1\n", "line 1: expected 'EPOCH START-LSN', found 3 fields"},
      {"1 1 1 1 1\n", "line 1: expected 'EPOCH START-LSN', found 5 fields"},
      {"+1 1\n", "line 1: epoch '+1' is not a decimal number"},
      {"-1 1\n", "line 1: epoch '-1' is not a decimal number"},
      {"1 0x10\n", "line 1: start lsn '0x10' is not a decimal number"},
      {"1 1\r\n", "line 1: start lsn '1\\x0d' is not a decimal number"},
      {std::string("1 1\0\n", 5), "line 1: start lsn '1\\x00' is not a decimal number"},
      {"01 1\n", "line 1: epoch '01' has a leading zero"},
      {"1 18446744073709551616\n", "line 1: start lsn '18446744073709551616' is out of range"},
      {"99999999999999999999 1\n", "line 1: epoch '99999999999999999999' is out of range"},
      {"0 1\n", "line 1: epoch 0 is not allowed, epochs start at 1"},
      {"2 1\n2 5\n", "line 2: epoch 2 is not above the previous epoch 2"},
      {"3 1\n2 5\n", "line 2: epoch 2 is not above the previous epoch 3"},
      {"1 10\n2 5\n", "line 2: start lsn 5 of epoch 2 is below start lsn 10 of epoch 1"},
      {"1 1\ncurrent 3\n", "line 2: 'current' must be the first line"},
      {"current 3\ncurrent 3\n", "line 2: 'current' must be the first line"},
      {"current 2\n1 1\n3 5\n", "line 3: epoch 3 is above the current epoch 2"},
      {"current 0\n", "line 1: current epoch 0 is not allowed, epochs start at 1"},
      {"current\n", "line 1: expected 'current EPOCH', found 1 fields"},
      {"current 1 1\n", "line 1: expected 'current EPOCH', found 3 fields"},
      {"CURRENT 1\n", "line 1: epoch 'CURRENT' is not a decimal number"},
      {"1 " + std::string(40, 'x') + "\n",
       "line 1: start lsn 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' is not a decimal number"},
  };
  for (const BadText& c : cases) {
    INFO("text: " << c.text);
    DurableState s = Sample();
    const Status status = ParseEpochs(c.text, &s);
    CHECK(status.code() == Code::kDataError);
    CHECK(status.message() == c.message);
    CHECK(s == Sample());  // untouched on failure
  }
}

TEST_CASE("the largest numbers parse and a vote needs nothing else", "[repl][epochs]") {
  DurableState s;
  REQUIRE(ParseEpochs("current 18446744073709551615\n18446744073709551615 0\n", &s).ok());
  CHECK(s.current_epoch == UINT64_MAX);
  CHECK(s.history == History{{UINT64_MAX, 0}});
  REQUIRE(ParseVote("1 A-z_0.9:@/x\n", &s).ok());
  CHECK(s.voted_epoch == 1);
  CHECK(s.voted_for == "A-z_0.9:@/x");
  CHECK(s.current_epoch == UINT64_MAX);  // ParseVote leaves the epochs alone
}

TEST_CASE("malformed vote files are refused with the line and reason", "[repl][epochs]") {
  const std::string allowed = ", allowed: A-Z a-z 0-9 . _ : @ / -";
  const std::vector<BadText> cases = {
      {"3 alice", "line 1: missing newline at end of file"},
      {"\n", "line 1: blank line"},
      {"3\n", "line 1: expected 'EPOCH NAME', found 1 fields"},
      {"3 alice bob\n", "line 1: expected 'EPOCH NAME', found 3 fields"},
      {"3 al ice\n", "line 1: expected 'EPOCH NAME', found 3 fields"},
      {"3  alice\n", "line 1: stray space at column 3"},
      {" 3 alice\n", "line 1: stray space at column 1"},
      {"3 alice \n", "line 1: stray space at column 8"},
      {"0 alice\n", "line 1: epoch 0 is not allowed, epochs start at 1"},
      {"x alice\n", "line 1: epoch 'x' is not a decimal number"},
      {"-3 alice\n", "line 1: epoch '-3' is not a decimal number"},
      {"03 alice\n", "line 1: epoch '03' has a leading zero"},
      {"18446744073709551616 a\n", "line 1: epoch '18446744073709551616' is out of range"},
      {"3 bob!\n", "line 1: member name 'bob!' has a bad byte '!' at offset 3" + allowed},
      {"3 al\\ice\n",
       "line 1: member name 'al\\x5cice' has a bad byte '\\x5c' at offset 2" + allowed},
      {"3 alice\r\n",
       "line 1: member name 'alice\\x0d' has a bad byte '\\x0d' at offset 5" + allowed},
      {"3 \xc3\xa9\n",
       "line 1: member name '\\xc3\\xa9' has a bad byte '\\xc3' at offset 0" + allowed},
      {"3 " + std::string(256, 'a') + "\n", "line 1: member name is 256 bytes, limit 255"},
      {"3 alice\n4 bob\n", "line 2: more than one line in a vote file"},
      {"3 alice\n\n", "line 2: more than one line in a vote file"},
      {"3 alice\nx", "line 2: more than one line in a vote file"},
  };
  for (const BadText& c : cases) {
    INFO("text: " << c.text);
    DurableState s = Sample();
    const Status status = ParseVote(c.text, &s);
    CHECK(status.code() == Code::kDataError);
    CHECK(status.message() == c.message);
    CHECK(s == Sample());  // untouched on failure
  }
  DurableState s;
  CHECK(ParseVote("3 " + std::string(255, 'a') + "\n", &s).ok());
}

TEST_CASE("a text over 1 MiB is refused before it is parsed", "[repl][epochs]") {
  std::string big;
  for (uint64_t e = 1; big.size() <= (size_t{1} << 20); ++e) {
    big += std::to_string(e) + " 1\n";
  }
  DurableState s;
  Status status = ParseEpochs(big, &s);
  CHECK(status.code() == Code::kDataError);
  CHECK(status.message() == std::to_string(big.size()) + " bytes exceeds the 1048576-byte limit");
  CHECK(ParseVote(big, &s).code() == Code::kDataError);
  big.resize(size_t{1} << 20);  // whole lines up to the limit are fine
  big.resize(big.rfind('\n') + 1);
  CHECK(ParseEpochs(big, &s).ok());
}

// ---- the files -----------------------------------------------------------------

TEST_CASE("a saved state loads back, and files are replaced whole", "[repl][epochs]") {
  TempDir tmp;
  const std::string& dir = tmp.path();
  REQUIRE(SaveDurableState(dir, Sample()).ok());
  CHECK(ReadFile(dir + "/epochs") == "current 7\n1 1\n2 101\n4 201\n5 201\n");
  CHECK(ReadFile(dir + "/vote") == "7 node-b.example:7500\n");
  CHECK_FALSE(fs::exists(dir + "/epochs.tmp"));
  CHECK_FALSE(fs::exists(dir + "/vote.tmp"));
  auto loaded = LoadDurableState(dir);
  REQUIRE(loaded.ok());
  CHECK(*loaded == Sample());

  // A shorter state leaves nothing of the longer one behind.
  DurableState next;
  next.current_epoch = 8;
  next.history = {{8, 300}};
  REQUIRE(SaveDurableState(dir, next).ok());
  CHECK(ReadFile(dir + "/epochs") == "current 8\n8 300\n");
  CHECK(ReadFile(dir + "/vote") == "");
  loaded = LoadDurableState(dir);
  REQUIRE(loaded.ok());
  CHECK(*loaded == next);
}

TEST_CASE("a missing directory or missing files are an empty state", "[repl][epochs]") {
  TempDir tmp;
  auto loaded = LoadDurableState(tmp.path() + "/no/such/dir");
  REQUIRE(loaded.ok());
  CHECK(*loaded == DurableState{});

  WriteFile(tmp.path() + "/vote", "4 alice\n");  // a vote but no epochs file
  loaded = LoadDurableState(tmp.path());
  REQUIRE(loaded.ok());
  CHECK(loaded->voted_epoch == 4);
  CHECK(loaded->voted_for == "alice");
  CHECK(loaded->history.empty());
  CHECK(loaded->current_epoch == 0);
}

TEST_CASE("a stale temp file from a crashed save is ignored and replaced", "[repl][epochs]") {
  TempDir tmp;
  WriteFile(tmp.path() + "/epochs.tmp", "garbage");
  WriteFile(tmp.path() + "/epochs", "1 1\n");
  auto loaded = LoadDurableState(tmp.path());
  REQUIRE(loaded.ok());
  CHECK(loaded->history == History{{1, 1}});
  REQUIRE(SaveDurableState(tmp.path(), Sample()).ok());
  CHECK_FALSE(fs::exists(tmp.path() + "/epochs.tmp"));
  CHECK(*LoadDurableState(tmp.path()) == Sample());
}

TEST_CASE("a malformed file fails the load with its path and line", "[repl][epochs]") {
  TempDir tmp;
  const std::string epochs = tmp.path() + "/epochs", vote = tmp.path() + "/vote";

  WriteFile(epochs, "1 1\n\n");
  auto loaded = LoadDurableState(tmp.path());
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.status().code() == Code::kIoError);
  CHECK(loaded.status().exit_code() == 74);
  CHECK(loaded.status().message() == epochs + " line 2: blank line");

  WriteFile(epochs, "1 1\n");
  WriteFile(vote, "1 bob");
  loaded = LoadDurableState(tmp.path());
  CHECK(loaded.status().code() == Code::kIoError);
  CHECK(loaded.status().message() == vote + " line 1: missing newline at end of file");

  WriteFile(vote, std::string((size_t{1} << 20) + 1, 'x'));
  loaded = LoadDurableState(tmp.path());
  CHECK(loaded.status().code() == Code::kIoError);
  CHECK(loaded.status().message() == vote + ": file is larger than the 1048576-byte limit");
}

TEST_CASE("errors other than a missing file are not an empty state", "[repl][epochs]") {
  TempDir tmp;
  fs::create_directory(tmp.path() + "/epochs");  // unreadable as a file
  auto loaded = LoadDurableState(tmp.path());
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.status().code() == Code::kIoError);
  CHECK_THAT(loaded.status().message(),
             Catch::StartsWith("read " + tmp.path() + "/epochs: Is a directory"));

  WriteFile(tmp.path() + "/file", "");
  loaded = LoadDurableState(tmp.path() + "/file");  // DIR is not a directory
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.status().code() == Code::kIoError);
  CHECK_THAT(loaded.status().message(),
             Catch::StartsWith("open " + tmp.path() + "/file/epochs: Not a directory"));
}

TEST_CASE("a state that would not load back is refused before writing", "[repl][epochs]") {
  TempDir tmp;
  const std::string prefix = "refusing to save the epoch state in " + tmp.path() + ": ";
  struct Case {
    DurableState state;
    std::string message;
  };
  DurableState behind = Sample();
  behind.current_epoch = 4;
  DurableState unordered = Sample();
  unordered.history = {{2, 1}, {1, 5}};
  DurableState bad_name = Sample();
  bad_name.voted_for = "has space";
  DurableState no_name = Sample();
  no_name.voted_for = "";
  DurableState no_epoch = Sample();
  no_epoch.voted_epoch = 0;
  for (const Case& c : {
           Case{behind, "current epoch 4 is below the last history epoch 5"},
           Case{unordered, "history entry 2: epoch 1 is not above the previous epoch 2"},
           Case{bad_name,
                "member name 'has space' has a bad byte ' ' at offset 3, allowed: A-Z a-z 0-9 . _ "
                ": @ / -"},
           Case{no_name, "empty member name"},
           Case{no_epoch, "vote for 'node-b.example:7500' without an epoch"},
       }) {
    const Status s = SaveDurableState(tmp.path(), c.state);
    CHECK(s.code() == Code::kDataError);
    CHECK(s.message() == prefix + c.message);
    CHECK(fs::is_empty(tmp.path()));
  }
}

TEST_CASE("saving into a missing directory fails without creating it", "[repl][epochs]") {
  TempDir tmp;
  const std::string dir = tmp.path() + "/missing";
  const Status s = SaveDurableState(dir, Sample());
  CHECK(s.code() == Code::kIoError);
  CHECK_THAT(s.message(), Catch::StartsWith("open " + dir + "/epochs.tmp: No such file"));
  CHECK_FALSE(fs::exists(dir));
}
