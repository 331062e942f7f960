// A replication member's durable state (DESIGN.md §6, §8): the epoch
// history in DIR/epochs and the vote in DIR/vote.
//
// DIR/epochs is text, one "epoch start-lsn" line per epoch in increasing
// order: epoch e's records begin at start-lsn (its first record's LSN, or
// where it would be had it written any). The first line may be preceded by
// "current N", the highest epoch this member has seen (fencing survives a
// restart). DIR/vote is one line "epoch candidate": the vote this member
// granted in that epoch. Both are replaced atomically (temp, fsync, rename,
// fsync DIR); a missing file is an empty state, a malformed one is refused
// with the file, line and reason (exit 74).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shardkit/status/status.h"
#include "shardkit/wire/repl_messages.h"

namespace shardkit::repl {

using History = std::vector<wire::EpochStart>;

struct DurableState {
  uint64_t current_epoch = 0;  // the highest epoch seen (>= history.back().epoch)
  History history;             // increasing epochs and non-decreasing start LSNs
  uint64_t voted_epoch = 0;    // 0: never voted
  std::string voted_for;       // member name

  bool operator==(const DurableState&) const = default;
};

// Where epoch `epoch` ends in a log described by `history` whose last LSN is
// `last_lsn`: the largest history epoch e' <= epoch, and the last LSN written
// in e' (the next epoch's start - 1, or last_lsn for the newest epoch).
// e' = 0 and end 0 when no history epoch is <= epoch.
struct EpochEnd {
  uint64_t epoch = 0;
  uint64_t end_lsn = 0;
};
EpochEnd EndOfEpoch(const History& history, uint64_t epoch, uint64_t last_lsn);

// Checks the invariants above; DataError naming the first violation.
Status ValidateHistory(const History& history);

// Text forms of the two files. The format is strict and canonical: decimal
// numbers without sign or leading zero, fields separated by one space, every
// line (the last too) ending in '\n', no blank lines; an empty text is an
// empty state. FormatEpochs writes "current N" first whenever
// current_epoch > 0; FormatVote writes "" when voted_epoch is 0. A vote
// NAME is 1..255 bytes of [A-Za-z0-9._:@/-].
//
// ParseEpochs sets current_epoch and history (current_epoch = the last
// history epoch, or 0, when there is no "current" line); ParseVote sets
// voted_epoch and voted_for. Both reject anything else, and texts over
// 1 MiB, with a DataError "line N: reason", leaving *state untouched, and
// allocate at most a small multiple of the input's size. For every state
// that SaveDurableState accepts, Parse(Format(state)) == state.
std::string FormatEpochs(const DurableState& state);
// The reason `name` is not a member name (1..255 bytes of the characters
// above), "" when it is one. replicad checks --name with it at start.
std::string CheckMemberName(std::string_view name);
std::string FormatVote(const DurableState& state);
Status ParseEpochs(std::string_view text, DurableState* state);
Status ParseVote(std::string_view text, DurableState* state);

// Reads DIR/epochs and DIR/vote. A missing file (ENOENT, also when DIR
// itself is missing) is an empty part of the state. IoError (exit 74)
// "PATH line N: reason" on a malformed file, "PATH: reason" for one over
// 1 MiB, and IoError naming the path for any other open or read error.
Result<DurableState> LoadDurableState(const std::string& dir);

// Writes both files durably into the existing DIR. Refuses with a DataError,
// before writing anything, a state that would not load back as itself
// (history invariants, current_epoch below the last history epoch, a bad
// vote name, a name without an epoch). A failed fsync is reported as
// Internal and must be treated as fatal by the caller; other failures are
// IoError. The two files are not cross-checked: a member that crashed
// between the two renames may find a vote newer than its current epoch.
Status SaveDurableState(const std::string& dir, const DurableState& state);

}  // namespace shardkit::repl
