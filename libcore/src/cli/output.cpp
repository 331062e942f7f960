#include "shardkit/cli/output.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>

namespace shardkit::cli {

Writer::Writer(int fd, size_t capacity) : fd_(fd), buf_(capacity) {}

Writer::~Writer() { (void)Flush(); }

void Writer::Spill(std::string_view s) {
  (void)Flush();
  if (s.size() >= buf_.size()) {
    // Too big to buffer: write it straight through.
    len_ = 0;
    buf_.assign(s.begin(), s.end());
    len_ = s.size();
    (void)Flush();
    buf_.resize(1 << 16);
    return;
  }
  s.copy(buf_.data(), s.size());
  len_ = s.size();
}

Status Writer::Flush() {
  size_t off = 0;
  while (off < len_ && !failed_) {
    ssize_t n = ::write(fd_, buf_.data() + off, len_ - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      failed_ = true;
      len_ = 0;
      return Status::IoError(std::string("write to output: ") + std::strerror(errno));
    }
    off += size_t(n);
  }
  len_ = 0;
  return failed_ ? Status::IoError("write to output failed") : Status::Ok();
}

void Writer::PutUint(uint64_t v) {
  char tmp[24];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  Put(std::string_view(tmp, size_t(r.ptr - tmp)));
}

void Writer::PutInt(int64_t v) {
  char tmp[24];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  Put(std::string_view(tmp, size_t(r.ptr - tmp)));
}

void Writer::PutDouble(double v, int digits) {
  if (!std::isfinite(v)) {
    Put(std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"));
    return;
  }
  char tmp[64];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v, std::chars_format::fixed, digits);
  if (r.ec != std::errc()) {
    r = std::to_chars(tmp, tmp + sizeof tmp, v, std::chars_format::scientific, digits);
  }
  Put(std::string_view(tmp, size_t(r.ptr - tmp)));
}

void PutTsvField(Writer& w, std::string_view s) {
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char* esc = nullptr;
    switch (s[i]) {
      case '\t':
        esc = "\\t";
        break;
      case '\n':
        esc = "\\n";
        break;
      case '\r':
        esc = "\\r";
        break;
      case '\\':
        esc = "\\\\";
        break;
      default:
        continue;
    }
    w.Put(s.substr(start, i - start));
    w.Put(esc);
    start = i + 1;
  }
  w.Put(s.substr(start));
}

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid.
size_t Utf8Len(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return n;
}

}  // namespace

void PutJsonString(Writer& w, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  w.Put('"');
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      w.Put(char(c));
      ++i;
      continue;
    }
    switch (c) {
      case '"':
        w.Put("\\\"");
        ++i;
        continue;
      case '\\':
        w.Put("\\\\");
        ++i;
        continue;
      case '\n':
        w.Put("\\n");
        ++i;
        continue;
      case '\t':
        w.Put("\\t");
        ++i;
        continue;
      case '\r':
        w.Put("\\r");
        ++i;
        continue;
      default:
        break;
    }
    size_t n = c >= 0x80 ? Utf8Len(s, i) : 0;
    if (n > 0) {
      w.Put(s.substr(i, n));
      i += n;
    } else {
      char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      w.Put(std::string_view(esc, 6));
      ++i;
    }
  }
  w.Put('"');
}

void Record::Sep(std::string_view name) {
  if (json_) {
    w_.Put(first_ ? '{' : ',');
    PutJsonString(w_, name);
    w_.Put(':');
  } else if (!first_) {
    w_.Put('\t');
  }
  first_ = false;
}

Record& Record::Str(std::string_view name, std::string_view value) {
  Sep(name);
  if (json_)
    PutJsonString(w_, value);
  else
    PutTsvField(w_, value);
  return *this;
}

Record& Record::Uint(std::string_view name, uint64_t value) {
  Sep(name);
  w_.PutUint(value);
  return *this;
}

Record& Record::Int(std::string_view name, int64_t value) {
  Sep(name);
  w_.PutInt(value);
  return *this;
}

Record& Record::Double(std::string_view name, double value, int digits) {
  Sep(name);
  if (json_ && !std::isfinite(value))
    w_.Put("null");
  else
    w_.PutDouble(value, digits);
  return *this;
}

Record& Record::Bool(std::string_view name, bool value) {
  Sep(name);
  w_.Put(value ? "true" : "false");
  return *this;
}

Record& Record::List(std::string_view name, std::span<const std::string> values) {
  Sep(name);
  if (json_) {
    w_.Put('[');
    for (size_t i = 0; i < values.size(); ++i) {
      if (i) w_.Put(',');
      PutJsonString(w_, values[i]);
    }
    w_.Put(']');
  } else {
    for (size_t i = 0; i < values.size(); ++i) {
      if (i) w_.Put(',');
      PutTsvField(w_, values[i]);
    }
  }
  return *this;
}

void Record::End() {
  if (json_) w_.Put(first_ ? "{}" : "}");
  w_.Put('\n');
}

}  // namespace shardkit::cli
