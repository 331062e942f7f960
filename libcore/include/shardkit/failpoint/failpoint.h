// Failpoints: named places in the code where a test can inject a crash, an
// error or a delay (DESIGN.md §10, tests/fault).
//
// A failpoint is declared once, at namespace scope in the .cpp where it
// lives, and hit where the fault matters:
//
//   namespace {
//   const failpoint::Point kBeforeFsync{"wal.before-fsync"};
//   }
//   ...
//   if (Status s = kBeforeFsync.Hit(); !s.ok()) return s;  // injected error
//   if (::fdatasync(fd) != 0) ...
//
// Declaring a Point registers its name, so Known() lists every failpoint
// linked into the running binary: fault tests enumerate "every failpoint"
// through it (a tool exposes it, e.g. as a hidden verb). Names are
// "<module>.<before|after>-<step>", lowercase. By convention every point is
// a `failpoint::Point` object, so `grep -rn 'failpoint::Point k' libcore`
// lists them in the source too.
//
// Configuration comes from the environment, read once on first use:
//
//   SHARDKIT_FAILPOINTS="txpart.after-prepare-force=crash,wal.before-fsync=error@3,x=sleep(50),y=count"
//
//   entry   := name "=" action [ "@" N ]        entries separated by ","
//   action  := "crash" | "error" | "sleep(" ms ")" | "count"
//
//   crash     one line on stderr naming the point, then SIGKILL to the whole
//             process: no flush, no atexit, no destructors. SIGKILL rather
//             than _exit() so that the parent sees exactly what `kill -9`
//             produces (WIFSIGNALED, SIGKILL; 137 in a shell) and fault tests
//             treat both the same way.
//   error     Hit() returns Status::IoError("failpoint NAME: injected error"),
//             so the caller takes its error path.
//   sleep(ms) Hit() sleeps, then returns ok.
//   count     nothing but counting.
//   @N        fire only on the Nth hit of that point (1-based); other hits
//             only count. "txpart.after-commit-force=crash@3" crashes on the
//             third commit.
//
// Every hit of every point is counted while failpoints are configured. When
// they came from the environment, the process prints one logfmt line with the
// counts of the configured points at a normal exit (a point that shows 0 hits
// was misspelled or never reached).
//
// Unset, a failpoint costs one relaxed atomic load and a predictable branch.
// A malformed SHARDKIT_FAILPOINTS is a configuration error: InitFromEnv()
// returns Status::Config, and a tool should call it at start-up so the error
// takes the normal exit-78 path. A process that never calls it parses the
// variable on the first Hit() instead and, if it is malformed, prints one
// line and _exit(78)s there, because running a fault test without its faults
// would silently pass.
//
// The registry behind this header is the one piece of global mutable state
// libcore allows (STYLE.md).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shardkit/status/status.h"

namespace shardkit::failpoint {

enum class Action : uint8_t { kCrash, kError, kSleep, kCount };

// One parsed entry of SHARDKIT_FAILPOINTS.
struct Spec {
  std::string name;
  Action action = Action::kCount;
  uint32_t sleep_ms = 0;  // for kSleep
  uint64_t only_hit = 0;  // fire only on this hit (1-based); 0: every hit
};

// Parses the grammar above. Returns the entries in order, or Status::Config
// naming the offending entry. An empty or all-blank text is no entries.
// Names are not checked against Known(): a fault harness sets one variable
// for every process, and each binary only links some of the points.
Result<std::vector<Spec>> Parse(std::string_view text);

// Reads $SHARDKIT_FAILPOINTS (once per process; later calls return the first
// result). Ok when unset or valid; Status::Config when malformed, leaving
// every point inert.
Status InitFromEnv();

// Replaces the configuration with `text` (same grammar) and resets all hit
// counts; an empty text makes every point inert again. For tests. On a parse
// error returns Status::Config and leaves the previous configuration.
// Thread-safe, but points hit concurrently may see either configuration.
Status Configure(std::string_view text);

// Number of times `name` was hit since the last Configure() (or since the
// environment was read). Zero while no failpoint is configured, since inert
// points do not count.
uint64_t Hits(std::string_view name);

// Names of every Point linked into this binary, sorted and unique.
std::vector<std::string> Known();

namespace internal {
enum Mode : int { kUnread = 0, kInert = 1, kArmed = 2 };
// kUnread until the environment is read; then kInert or kArmed.
extern std::atomic<int> mode;
Status HitSlow(std::string_view name);
}  // namespace internal

// Evaluates the failpoint `name`: ok unless an `error` action fires (or a
// `crash`, which does not return). Prefer a Point, which also registers the
// name; this form is for points whose names are built at run time.
inline Status Hit(std::string_view name) {
  if (internal::mode.load(std::memory_order_relaxed) == internal::kInert) return Status::Ok();
  return internal::HitSlow(name);
}

// A named failpoint. Construct at namespace scope (static storage), from a
// string literal: the name is registered for Known() and must outlive the
// program.
class Point {
 public:
  explicit Point(std::string_view name);
  Point(const Point&) = delete;
  Point& operator=(const Point&) = delete;

  // See failpoint::Hit().
  Status Hit() const { return failpoint::Hit(name_); }
  std::string_view name() const { return name_; }

 private:
  std::string_view name_;
};

}  // namespace shardkit::failpoint
