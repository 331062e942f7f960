// Status and Result<T>: errors are values in libcore.
//
// libcore never throws across its API. A function that can fail returns a
// Status (ok, or a code plus a lowercase message without a trailing period)
// or a Result<T> (a value, or a non-ok Status). Call sites check and return
// early. The code decides the process exit status (DESIGN.md §9), so pick it
// for what the user should do next, not for where the error happened.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace shardkit {

enum class Code {
  kOk = 0,
  kNegative,     // a negative answer: an abort, a failed check (exit 1)
  kUsage,        // bad arguments or flags (exit 64)
  kDataError,    // malformed input data (exit 65)
  kNoInput,      // a missing input file (exit 66)
  kUnavailable,  // a service is unavailable (exit 69)
  kInternal,     // a bug, or a fatal fsync (exit 70)
  kIoError,      // I/O error or corruption (exit 74)
  kTemporary,    // timeout, not primary: a retry may help (exit 75)
  kPermission,   // permission or authentication (exit 77)
  kConfig,       // configuration (exit 78)
};

// The sysexits(3) exit code for `code`.
constexpr int ExitCodeFor(Code code) {
  switch (code) {
    case Code::kOk:
      return 0;
    case Code::kNegative:
      return 1;
    case Code::kUsage:
      return 64;
    case Code::kDataError:
      return 65;
    case Code::kNoInput:
      return 66;
    case Code::kUnavailable:
      return 69;
    case Code::kInternal:
      return 70;
    case Code::kIoError:
      return 74;
    case Code::kTemporary:
      return 75;
    case Code::kPermission:
      return 77;
    case Code::kConfig:
      return 78;
  }
  return 70;
}

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status Negative(std::string m) { return {Code::kNegative, std::move(m)}; }
  static Status Usage(std::string m) { return {Code::kUsage, std::move(m)}; }
  static Status DataError(std::string m) { return {Code::kDataError, std::move(m)}; }
  static Status NoInput(std::string m) { return {Code::kNoInput, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }
  static Status IoError(std::string m) { return {Code::kIoError, std::move(m)}; }
  static Status Temporary(std::string m) { return {Code::kTemporary, std::move(m)}; }
  static Status Permission(std::string m) { return {Code::kPermission, std::move(m)}; }
  static Status Config(std::string m) { return {Code::kConfig, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  int exit_code() const { return ExitCodeFor(code_); }

  // Returns a copy whose message is "prefix: message", e.g. a file name.
  Status Prefixed(const std::string& prefix) const {
    return ok() ? *this : Status(code_, prefix + ": " + message_);
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or an error. Construct from a T for success or from a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result built from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  // The error; Status::Ok() when a value is held.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace shardkit

// Returns early from the calling function when `expr` is a non-ok Status.
#define SK_RETURN_IF_ERROR(expr)       \
  do {                                 \
    ::shardkit::Status sk_s_ = (expr); \
    if (!sk_s_.ok()) return sk_s_;     \
  } while (0)
