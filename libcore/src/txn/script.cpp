#include "shardkit/txn/script.h"

#include <cstring>

namespace shardkit::txn {
namespace {

constexpr size_t kBufferBytes = 64 << 10;

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsBlank(line[i])) ++i;
    const size_t start = i;
    while (i < line.size() && !IsBlank(line[i])) ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

}  // namespace

Result<std::string> UnescapeField(std::string_view field) {
  if (field == "\"\"") return std::string();
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\') {
      out.push_back(field[i]);
      continue;
    }
    if (++i == field.size()) return Status::DataError("field ends with a lone backslash");
    switch (field[i]) {
      case 't':
        out.push_back('\t');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 's':
        out.push_back(' ');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case 'x': {
        const int hi = i + 1 < field.size() ? HexValue(field[i + 1]) : -1;
        const int lo = i + 2 < field.size() ? HexValue(field[i + 2]) : -1;
        if (hi < 0 || lo < 0) return Status::DataError("\\x needs two hex digits");
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        break;
      }
      default: {
        return Status::DataError("bad escape '\\" + EscapeField(field.substr(i, 1)) +
                                 "' (use \\t \\n \\r \\s \\\\ or \\xHH)");
      }
    }
  }
  return out;
}

std::string EscapeField(std::string_view bytes) {
  if (bytes.empty()) return "\"\"";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size());
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case ' ':
        out += "\\s";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c < 0x20 || c == 0x7f || c == '"') {
          out += "\\x";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

ScriptReader::ScriptReader(std::istream& in, ScriptLimits limits)
    : in_(in),
      limits_(limits),
      // Every byte of a key and a value may take 4 characters (\xHH).
      max_line_bytes_(4 * (limits.max_key_bytes + limits.max_value_bytes) + 64),
      buf_(kBufferBytes) {}

bool ScriptReader::Fill() {
  if (eof_) return false;
  in_.read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
  end_ = static_cast<size_t>(in_.gcount());
  pos_ = 0;
  if (in_.bad()) io_error_ = true;
  if (end_ == 0) eof_ = true;
  return end_ > 0;
}

bool ScriptReader::ReadLine(bool* too_long) {
  line_buf_.clear();
  *too_long = false;
  bool any = false;
  for (;;) {
    if (pos_ == end_ && !Fill()) {
      if (any) ++line_;
      return any;
    }
    any = true;
    const char* start = buf_.data() + pos_;
    const auto* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - pos_));
    const size_t n = nl != nullptr ? static_cast<size_t>(nl - start) : end_ - pos_;
    if (!*too_long) {
      if (line_buf_.size() + n > max_line_bytes_) {
        *too_long = true;
        line_buf_.clear();
      } else {
        line_buf_.append(start, n);
      }
    }
    pos_ += n;
    if (nl != nullptr) {
      ++pos_;
      ++line_;
      return true;
    }
  }
}

Result<bool> ScriptReader::Next(ScriptTxn* txn) {
  txn->ops.clear();
  txn->first_line = 0;
  size_t txn_bytes = 0;
  for (;;) {
    bool too_long = false;
    const bool got = ReadLine(&too_long);
    if (io_error_) return Status::IoError("line " + std::to_string(line_ + 1) + ": read error");
    if (!got) {
      skipping_ = false;
      return !txn->ops.empty();
    }
    if (too_long) {
      skipping_ = true;
      return Status::DataError("line " + std::to_string(line_) + ": line longer than " +
                               std::to_string(max_line_bytes_) + " bytes");
    }
    bool end = false, commit_line = false;
    Status s = ParseLine(txn, &txn_bytes, &end, &commit_line);
    if (skipping_) {
      // Discarding the rest of a bad transaction: only a terminator counts.
      if (end || commit_line) skipping_ = false;
      txn->ops.clear();
      txn_bytes = 0;
      continue;
    }
    if (!s.ok()) {
      skipping_ = !commit_line;  // a malformed `commit` still ends the transaction
      return Status::DataError("line " + std::to_string(line_) + ": " + s.message());
    }
    if (end && !txn->ops.empty()) return true;
  }
}

Status ScriptReader::ParseLine(ScriptTxn* txn, size_t* txn_bytes, bool* end, bool* commit_line) {
  std::string_view line(line_buf_);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::vector<std::string_view> f = SplitFields(line);
  if (f.empty()) {
    *end = true;
    return Status::Ok();
  }
  const std::string_view verb = f[0];
  if (verb[0] == '#') return Status::Ok();
  if (verb == "commit") {
    *commit_line = true;
    if (f.size() != 1) return Status::DataError("commit takes no arguments");
    *end = true;
    return Status::Ok();
  }
  if (skipping_) return Status::Ok();  // no need to parse what is discarded

  wire::Op op;
  size_t want = 0;
  if (verb == "put") {
    op.kind = wire::OpKind::kPut;
    want = 3;
  } else if (verb == "del" || verb == "get") {
    op.kind = verb == "del" ? wire::OpKind::kDel : wire::OpKind::kGet;
    want = 2;
  } else if (verb == "check") {
    if (f.size() == 3 && f[2] == "absent") {
      op.kind = wire::OpKind::kCheckAbsent;
    } else if (f.size() == 4 && f[2] == "=") {
      op.kind = wire::OpKind::kCheckEq;
    } else {
      return Status::DataError("check needs 'K = V' or 'K absent'");
    }
    want = f.size();
  } else {
    std::string shown(verb.substr(0, 32));
    return Status::DataError("unknown op '" + EscapeField(shown) +
                             "' (expected put, del, get, check or commit)");
  }
  if (f.size() != want) {
    return Status::DataError(std::string(verb) + " takes " + std::to_string(want - 1) +
                             (want == 2 ? " field" : " fields") + ", got " +
                             std::to_string(f.size() - 1));
  }
  Result<std::string> key = UnescapeField(f[1]);
  if (!key.ok()) return Status::DataError("key: " + key.status().message());
  if (key->empty()) return Status::DataError("empty key");
  if (key->size() > limits_.max_key_bytes) {
    return Status::DataError("key is " + std::to_string(key->size()) + " bytes, limit " +
                             std::to_string(limits_.max_key_bytes));
  }
  op.key = std::move(*key);
  if (op.kind == wire::OpKind::kPut || op.kind == wire::OpKind::kCheckEq) {
    Result<std::string> value = UnescapeField(f.back());
    if (!value.ok()) return Status::DataError("value: " + value.status().message());
    if (value->size() > limits_.max_value_bytes) {
      return Status::DataError("value is " + std::to_string(value->size()) + " bytes, limit " +
                               std::to_string(limits_.max_value_bytes));
    }
    op.value = std::move(*value);
  }
  if (txn->ops.size() >= limits_.max_ops) {
    return Status::DataError("transaction has more than " + std::to_string(limits_.max_ops) +
                             " ops");
  }
  *txn_bytes += op.key.size() + op.value.size();
  if (*txn_bytes > limits_.max_txn_bytes) {
    return Status::DataError("transaction is larger than " + std::to_string(limits_.max_txn_bytes) +
                             " bytes");
  }
  if (txn->ops.empty()) txn->first_line = line_;
  txn->ops.push_back(std::move(op));
  return Status::Ok();
}

}  // namespace shardkit::txn
