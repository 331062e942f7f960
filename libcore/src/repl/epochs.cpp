// The epoch history and vote as values and as text (epochs.h): where an
// epoch ends, the history invariants, and the strict parsers and printers
// of DIR/epochs and DIR/vote, and reading and writing the two files with
// plain POSIX calls (repl depends only on wire and status).
//
// The text forms are canonical: numbers are plain decimal (no sign, no
// leading zero), fields are separated by exactly one space, every line ends
// in '\n', and nothing else is accepted. A file that a person edited into
// something else is refused with its line number, never guessed at: these
// files decide which log records a member keeps and whom it voted for.
//
// Both files are replaced as the DESIGN's checklist says (§6): write
// NAME.tmp, fsync it, rename it over NAME, and fsync the directory once
// after both. A crash leaves each file old or new, never torn; a stale
// NAME.tmp is ignored and overwritten by the next save.
#include "shardkit/repl/epochs.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <utility>

namespace shardkit::repl {
namespace {

using wire::EpochStart;

// Both files are a few lines; anything this big is not ours.
constexpr size_t kMaxFileBytes = size_t{1} << 20;
constexpr size_t kMaxMemberNameBytes = 255;

// `field` for an error message: at most 32 bytes, unprintable bytes as \xNN.
std::string Quote(std::string_view field) {
  std::string out = "'";
  for (size_t i = 0; i < field.size() && i < 32; ++i) {
    const auto c = static_cast<unsigned char>(field[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
      out.push_back(static_cast<char>(c));
    } else {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      out += hex;
    }
  }
  if (field.size() > 32) out += "...";
  return out + "'";
}

// Parses a canonical decimal u64. Returns "" and sets *value, or the reason.
std::string ParseU64(std::string_view what, std::string_view field, uint64_t* value) {
  if (field.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::string(what) + " " + Quote(field) + " is not a decimal number";
  }
  if (field.size() > 1 && field[0] == '0') {
    return std::string(what) + " " + Quote(field) + " has a leading zero";
  }
  uint64_t v = 0;
  for (const char c : field) {
    const auto digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) {
      return std::string(what) + " " + Quote(field) + " is out of range";
    }
    v = v * 10 + digit;
  }
  *value = v;
  return "";
}

// The reason `next` cannot follow `prev` (null: the first entry), or "".
std::string CheckNextEpoch(const EpochStart* prev, const EpochStart& next) {
  if (next.epoch == 0) return "epoch 0 is not allowed, epochs start at 1";
  if (prev == nullptr) return "";
  if (next.epoch <= prev->epoch) {
    return "epoch " + std::to_string(next.epoch) + " is not above the previous epoch " +
           std::to_string(prev->epoch);
  }
  if (next.start_lsn < prev->start_lsn) {
    return "start lsn " + std::to_string(next.start_lsn) + " of epoch " +
           std::to_string(next.epoch) + " is below start lsn " + std::to_string(prev->start_lsn) +
           " of epoch " + std::to_string(prev->epoch);
  }
  return "";
}

}  // namespace

std::string CheckMemberName(std::string_view name) {
  if (name.empty()) return "empty member name";
  if (name.size() > kMaxMemberNameBytes) {
    return "member name is " + std::to_string(name.size()) + " bytes, limit " +
           std::to_string(kMaxMemberNameBytes);
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '@' || c == '/' || c == '-';
    if (!ok) {
      return "member name " + Quote(name) + " has a bad byte " + Quote(name.substr(i, 1)) +
             " at offset " + std::to_string(i) + ", allowed: A-Z a-z 0-9 . _ : @ / -";
    }
  }
  return "";
}

namespace {

// Walks `text` one '\n'-terminated line at a time, refusing what no line of
// either file may be: an unterminated last line, a blank line, stray spaces.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : rest_(text) {}

  // Sets *fields to the line's space-separated fields (at most 3; a fourth
  // and beyond are counted in *count) and returns "", or returns the reason.
  // Returns "" with *count = 0 at the end of the text.
  std::string Next(std::string_view fields[3], size_t* count) {
    *count = 0;
    if (rest_.empty()) return "";
    ++number_;
    const size_t end = rest_.find('\n');
    if (end == std::string_view::npos) return "missing newline at end of file";
    const std::string_view line = rest_.substr(0, end);
    rest_.remove_prefix(end + 1);
    if (line.empty()) return "blank line";
    size_t start = 0;
    while (true) {
      const size_t space = line.find(' ', start);
      const std::string_view field = line.substr(start, space - start);
      if (field.empty()) {  // the space at `space`, or a trailing one just before `start`
        const size_t column = space == std::string_view::npos ? start : space + 1;
        return "stray space at column " + std::to_string(column);
      }
      if (*count < 3) fields[*count] = field;
      ++*count;
      if (space == std::string_view::npos) return "";
      start = space + 1;
    }
  }

  size_t number() const { return number_; }

 private:
  std::string_view rest_;
  size_t number_ = 0;
};

Status LineError(size_t line, const std::string& reason) {
  return Status::DataError("line " + std::to_string(line) + ": " + reason);
}

Status CheckSize(std::string_view text) {
  if (text.size() <= kMaxFileBytes) return Status::Ok();
  return Status::DataError(std::to_string(text.size()) + " bytes exceeds the " +
                           std::to_string(kMaxFileBytes) + "-byte limit");
}

// A state that would not load back as itself is refused before anything is
// written: it would otherwise be found only at the next restart.
Status ValidateDurableState(const DurableState& state) {
  SK_RETURN_IF_ERROR(ValidateHistory(state.history));
  if (!state.history.empty() && state.current_epoch < state.history.back().epoch) {
    return Status::DataError("current epoch " + std::to_string(state.current_epoch) +
                             " is below the last history epoch " +
                             std::to_string(state.history.back().epoch));
  }
  if (state.voted_epoch == 0) {
    if (state.voted_for.empty()) return Status::Ok();
    return Status::DataError("vote for " + Quote(state.voted_for) + " without an epoch");
  }
  const std::string reason = CheckMemberName(state.voted_for);
  return reason.empty() ? Status::Ok() : Status::DataError(reason);
}

// ---- files -----------------------------------------------------------------

std::string ErrnoText(int err) {
  return std::string(std::strerror(err)) + " (errno " + std::to_string(err) + ")";
}

// An owned file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { (void)Close(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Close() { return fd_ < 0 ? 0 : ::close(std::exchange(fd_, -1)); }

 private:
  int fd_;
};

// Reads `path` into *text, at most kMaxFileBytes. A missing file (ENOENT
// only: a permission or I/O error must not pass for "never voted") sets
// *exists = false.
Status ReadSmallFile(const std::string& path, std::string* text, bool* exists) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) {
      *exists = false;
      return Status::Ok();
    }
    return Status::IoError("open " + path + ": " + ErrnoText(errno));
  }
  *exists = true;
  text->clear();
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IoError("read " + path + ": " + ErrnoText(errno));
    if (n == 0) return Status::Ok();
    if (text->size() + static_cast<size_t>(n) > kMaxFileBytes) {
      return Status::IoError(path + ": file is larger than the " + std::to_string(kMaxFileBytes) +
                             "-byte limit");
    }
    text->append(buf, static_cast<size_t>(n));
  }
}

// Replaces DIR/NAME with `contents`: DIR/NAME.tmp, fsync, rename. The
// caller fsyncs DIR afterwards.
Status ReplaceFile(const std::string& dir, const std::string& name, std::string_view contents) {
  const std::string path = dir + "/" + name;
  const std::string tmp = path + ".tmp";
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return Status::IoError("open " + tmp + ": " + ErrnoText(errno));
  while (!contents.empty()) {
    const ssize_t n = ::write(fd.get(), contents.data(), contents.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return Status::IoError("write " + tmp + ": " + ErrnoText(n < 0 ? errno : EIO));
    }
    contents.remove_prefix(static_cast<size_t>(n));
  }
  // DESIGN.md §6: an fsync error is fatal, never retried.
  if (::fsync(fd.get()) != 0) return Status::Internal("fsync " + tmp + ": " + ErrnoText(errno));
  if (fd.Close() != 0) return Status::IoError("close " + tmp + ": " + ErrnoText(errno));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IoError("rename " + tmp + " to " + path + ": " + ErrnoText(errno));
  }
  return Status::Ok();
}

}  // namespace

EpochEnd EndOfEpoch(const History& history, uint64_t epoch, uint64_t last_lsn) {
  // The first history epoch above `epoch`; the one before it is e'.
  const auto after =
      std::upper_bound(history.begin(), history.end(), epoch,
                       [](uint64_t e, const EpochStart& entry) { return e < entry.epoch; });
  if (after == history.begin()) return {};
  const uint64_t found = std::prev(after)->epoch;
  if (after == history.end()) return {found, last_lsn};
  // e' wrote nothing past the next epoch's start; start 0 means it wrote
  // nothing at all.
  return {found, after->start_lsn == 0 ? 0 : after->start_lsn - 1};
}

Status ValidateHistory(const History& history) {
  for (size_t i = 0; i < history.size(); ++i) {
    const std::string reason = CheckNextEpoch(i == 0 ? nullptr : &history[i - 1], history[i]);
    if (!reason.empty()) {
      return Status::DataError("history entry " + std::to_string(i + 1) + ": " + reason);
    }
  }
  return Status::Ok();
}

std::string FormatEpochs(const DurableState& state) {
  std::string out;
  if (state.current_epoch > 0) out += "current " + std::to_string(state.current_epoch) + "\n";
  for (const EpochStart& e : state.history) {
    out += std::to_string(e.epoch) + " " + std::to_string(e.start_lsn) + "\n";
  }
  return out;
}

std::string FormatVote(const DurableState& state) {
  if (state.voted_epoch == 0) return "";
  return std::to_string(state.voted_epoch) + " " + state.voted_for + "\n";
}

Status ParseEpochs(std::string_view text, DurableState* state) {
  SK_RETURN_IF_ERROR(CheckSize(text));
  LineReader lines(text);
  uint64_t current = 0;
  bool has_current = false;
  History history;
  while (true) {
    std::string_view f[3];
    size_t count = 0;
    std::string reason = lines.Next(f, &count);
    if (!reason.empty()) return LineError(lines.number(), reason);
    if (count == 0) break;
    if (f[0] == "current") {
      if (lines.number() != 1) return LineError(lines.number(), "'current' must be the first line");
      if (count != 2) {
        return LineError(lines.number(),
                         "expected 'current EPOCH', found " + std::to_string(count) + " fields");
      }
      reason = ParseU64("current epoch", f[1], &current);
      if (reason.empty() && current == 0) {
        reason = "current epoch 0 is not allowed, epochs start at 1";
      }
      if (!reason.empty()) return LineError(lines.number(), reason);
      has_current = true;
      continue;
    }
    if (count != 2) {
      return LineError(lines.number(),
                       "expected 'EPOCH START-LSN', found " + std::to_string(count) + " fields");
    }
    EpochStart entry;
    reason = ParseU64("epoch", f[0], &entry.epoch);
    if (reason.empty()) reason = ParseU64("start lsn", f[1], &entry.start_lsn);
    if (reason.empty()) reason = CheckNextEpoch(history.empty() ? nullptr : &history.back(), entry);
    if (reason.empty() && has_current && entry.epoch > current) {
      reason = "epoch " + std::to_string(entry.epoch) + " is above the current epoch " +
               std::to_string(current);
    }
    if (!reason.empty()) return LineError(lines.number(), reason);
    history.push_back(entry);
  }
  state->current_epoch = has_current ? current : history.empty() ? 0 : history.back().epoch;
  state->history = std::move(history);
  return Status::Ok();
}

Status ParseVote(std::string_view text, DurableState* state) {
  SK_RETURN_IF_ERROR(CheckSize(text));
  LineReader lines(text);
  std::string_view f[3];
  size_t count = 0;
  std::string reason = lines.Next(f, &count);
  if (!reason.empty()) return LineError(lines.number(), reason);
  if (count == 0) {  // an empty file: never voted
    state->voted_epoch = 0;
    state->voted_for.clear();
    return Status::Ok();
  }
  if (count != 2) {
    return LineError(lines.number(),
                     "expected 'EPOCH NAME', found " + std::to_string(count) + " fields");
  }
  uint64_t epoch = 0;
  reason = ParseU64("epoch", f[0], &epoch);
  if (reason.empty() && epoch == 0) reason = "epoch 0 is not allowed, epochs start at 1";
  if (reason.empty()) reason = CheckMemberName(f[1]);
  if (!reason.empty()) return LineError(lines.number(), reason);
  std::string_view more[3];
  if (!lines.Next(more, &count).empty() || count != 0) {
    return LineError(lines.number(), "more than one line in a vote file");
  }
  state->voted_epoch = epoch;
  state->voted_for = std::string(f[1]);
  return Status::Ok();
}

Result<DurableState> LoadDurableState(const std::string& dir) {
  DurableState state;
  std::string text;
  bool exists = false;
  // "PATH line N: reason" for a parse error, "PATH: reason" otherwise.
  const auto in_file = [](const std::string& path, const Status& s) {
    const bool has_line = s.message().rfind("line ", 0) == 0;
    return Status::IoError(path + (has_line ? " " : ": ") + s.message());
  };
  const std::string epochs = dir + "/epochs";
  SK_RETURN_IF_ERROR(ReadSmallFile(epochs, &text, &exists));
  if (exists) {
    if (Status s = ParseEpochs(text, &state); !s.ok()) return in_file(epochs, s);
  }
  const std::string vote = dir + "/vote";
  SK_RETURN_IF_ERROR(ReadSmallFile(vote, &text, &exists));
  if (exists) {
    if (Status s = ParseVote(text, &state); !s.ok()) return in_file(vote, s);
  }
  return state;
}

Status SaveDurableState(const std::string& dir, const DurableState& state) {
  if (Status s = ValidateDurableState(state); !s.ok()) {
    return s.Prefixed("refusing to save the epoch state in " + dir);
  }
  SK_RETURN_IF_ERROR(ReplaceFile(dir, "epochs", FormatEpochs(state)));
  SK_RETURN_IF_ERROR(ReplaceFile(dir, "vote", FormatVote(state)));
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return Status::IoError("open directory " + dir + ": " + ErrnoText(errno));
  if (::fsync(fd.get()) != 0) {
    return Status::Internal("fsync directory " + dir + ": " + ErrnoText(errno));
  }
  return Status::Ok();
}

}  // namespace shardkit::repl
