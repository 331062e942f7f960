// The transaction-script format read by `txcoord submit` (DESIGN.md §7).
//
// One op per line; a blank line or `commit` ends a transaction (so does the
// end of input); a line whose first field starts with '#' is a comment and
// ends nothing. Fields are separated by runs of spaces or tabs; leading and
// trailing blanks and a trailing '\r' are ignored.
//
//   put K V          set K to V
//   del K            delete K
//   get K            return K's value with the outcome
//   check K = V      abort unless K's value is V
//   check K absent   abort unless K does not exist
//   commit           end the transaction
//
// Keys and values are byte strings written with C-style escapes:
//
//   \t tab   \n newline   \r carriage return   \\ backslash
//   \s space (so is \x20)   \xHH any byte, two hex digits
//
// Any other byte, except space, tab and newline, stands for itself (UTF-8
// passes through). A field that is exactly "" is the empty string (write
// \x22\x22 for two quote characters); keys may not be empty.
//
//   put user:1 alice
//   put greeting hello\sworld
//   check balance:a = 100
//   commit
//
// ScriptReader streams: it holds one line and one transaction at a time, so
// memory is bounded by the limits below, however long the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "shardkit/status/status.h"
#include "shardkit/wire/messages.h"

namespace shardkit::txn {

struct ScriptLimits {
  size_t max_key_bytes = wire::kMaxKeyBytes;
  size_t max_value_bytes = wire::kMaxValueBytes;
  size_t max_ops = wire::kMaxOpsPerTxn;
  size_t max_txn_bytes = wire::kMaxTxnBytes;  // keys plus values
};

// One transaction read from a script.
struct ScriptTxn {
  std::vector<wire::Op> ops;
  uint64_t first_line = 0;  // line number of its first op (1-based)
};

class ScriptReader {
 public:
  // Reads from `in`, which must outlive the reader.
  explicit ScriptReader(std::istream& in, ScriptLimits limits = {});

  // Reads the next non-empty transaction into *txn (replacing its contents).
  // Returns true when one was read and false at the end of the input.
  // Errors: DataError("line N: message") for malformed input; the rest of
  // that transaction is then skipped, so the next call resumes with the one
  // after it. IoError when reading `in` fails. *txn is unspecified after an
  // error.
  Result<bool> Next(ScriptTxn* txn);

  // The number of the last line read (1-based; 0 before any).
  uint64_t line() const { return line_; }

 private:
  // Reads one line (without '\n') into line_buf_. False at end of input.
  // A line longer than the limit is consumed and reported via *too_long.
  bool ReadLine(bool* too_long);
  bool Fill();
  // Parses line_buf_. Sets *end for a terminator, appends an op otherwise.
  Status ParseLine(ScriptTxn* txn, size_t* txn_bytes, bool* end, bool* commit_line);

  std::istream& in_;
  ScriptLimits limits_;
  size_t max_line_bytes_;
  std::vector<char> buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  bool io_error_ = false;
  std::string line_buf_;
  uint64_t line_ = 0;
  bool skipping_ = false;  // after an error: discard up to the next terminator
};

// Decodes one field's escapes (see above). DataError("bad escape '\q'",
// "truncated \x escape", ...) on a malformed escape.
Result<std::string> UnescapeField(std::string_view field);

// The inverse: a field UnescapeField turns back into `bytes`, containing no
// blank, no newline and no '"', so it can be pasted into a script or printed
// as one TSV field. The empty string becomes "".
std::string EscapeField(std::string_view bytes);

}  // namespace shardkit::txn
