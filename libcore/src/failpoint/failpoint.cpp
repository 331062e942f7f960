// The failpoint registry: configuration, hit counts and the known names.
#include "shardkit/failpoint/failpoint.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

namespace shardkit::failpoint {
namespace internal {
// Constant-initialized, so a Hit() during static initialization is safe.
std::atomic<int> mode{kUnread};
}  // namespace internal

namespace {

struct Registry {
  std::once_flag env_once;
  Status env_status;  // the result of reading the environment, set once

  std::mutex mu;
  std::map<std::string, Spec, std::less<>> specs;     // guarded by mu
  std::map<std::string, uint64_t, std::less<>> hits;  // guarded by mu
  std::vector<std::string_view> known;                // guarded by mu
};

// Never destroyed (the Google-style leaked singleton): a daemon's WAL writer
// thread may still hit a failpoint while static destructors run after
// exit(), and must not find the registry gone. This is the one global
// libcore allows; it is never deleted, so no delete pairs with this new.
Registry& Reg() {
  static Registry* const registry = new Registry();
  return *registry;
}

// Installs `specs`, resetting counts. Caller holds no lock.
void Install(std::vector<Spec> specs) {
  Registry& r = Reg();
  std::lock_guard lock(r.mu);
  r.specs.clear();
  r.hits.clear();
  for (Spec& s : specs) {
    std::string name = s.name;
    r.specs.emplace(std::move(name), std::move(s));
  }
  internal::mode.store(r.specs.empty() ? internal::kInert : internal::kArmed,
                       std::memory_order_release);
}

// One write(2), so concurrent lines do not interleave and nothing is left
// in a stdio buffer when the process dies right after.
void WriteStderr(const std::string& line) {
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) return;
    p += n;
    left -= size_t(n);
  }
}

void PrintHitsAtExit() {
  Registry& r = Reg();
  std::string line = "level=info msg=\"failpoint hits\"";
  {
    std::lock_guard lock(r.mu);
    for (const auto& [name, spec] : r.specs) {
      auto it = r.hits.find(name);
      line += " " + name + "=" + std::to_string(it == r.hits.end() ? 0 : it->second);
    }
  }
  WriteStderr(line + "\n");
}

void ReadEnv() {
  Registry& r = Reg();
  std::call_once(r.env_once, [&r] {
    const char* text = std::getenv("SHARDKIT_FAILPOINTS");
    auto specs = Parse(text == nullptr ? "" : text);
    if (!specs.ok()) {
      r.env_status = specs.status();
      internal::mode.store(internal::kInert, std::memory_order_release);
      return;
    }
    bool armed = !specs->empty();
    Install(std::move(*specs));
    if (armed) std::atexit(PrintHitsAtExit);
  });
}

[[noreturn]] void Crash(std::string_view name) {
  WriteStderr("level=error msg=\"failpoint crash\" failpoint=" + std::string(name) +
              " signal=SIGKILL\n");
  ::kill(::getpid(), SIGKILL);
  ::_exit(137);  // not reached: SIGKILL cannot be caught or blocked
}

}  // namespace

Status InitFromEnv() {
  ReadEnv();
  return Reg().env_status;
}

Status Configure(std::string_view text) {
  ReadEnv();  // so a later first Hit() does not overwrite this configuration
  auto specs = Parse(text);
  if (!specs.ok()) return specs.status();
  Install(std::move(*specs));
  return Status::Ok();
}

uint64_t Hits(std::string_view name) {
  Registry& r = Reg();
  std::lock_guard lock(r.mu);
  auto it = r.hits.find(name);
  return it == r.hits.end() ? 0 : it->second;
}

std::vector<std::string> Known() {
  Registry& r = Reg();
  std::vector<std::string> names;
  {
    std::lock_guard lock(r.mu);
    names.assign(r.known.begin(), r.known.end());
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

Point::Point(std::string_view name) : name_(name) {
  Registry& r = Reg();
  std::lock_guard lock(r.mu);
  r.known.push_back(name);
}

Status internal::HitSlow(std::string_view name) {
  if (mode.load(std::memory_order_acquire) == kUnread) {
    ReadEnv();
    if (Status s = Reg().env_status; !s.ok()) {
      // Nobody called InitFromEnv(): refuse to run the test without its
      // faults (see the header).
      WriteStderr("level=error msg=\"" + s.message() + "\" exit=78\n");
      ::_exit(78);
    }
  }
  if (mode.load(std::memory_order_acquire) != kArmed) return Status::Ok();

  Registry& r = Reg();
  Spec spec;
  {
    std::lock_guard lock(r.mu);
    auto hit = r.hits.find(name);
    if (hit == r.hits.end()) hit = r.hits.emplace(std::string(name), 0).first;
    uint64_t count = ++hit->second;
    auto it = r.specs.find(name);
    if (it == r.specs.end()) return Status::Ok();
    if (it->second.only_hit != 0 && it->second.only_hit != count) return Status::Ok();
    spec = it->second;
  }
  switch (spec.action) {
    case Action::kCrash:
      Crash(name);
    case Action::kError:
      return Status::IoError("failpoint " + std::string(name) + ": injected error");
    case Action::kSleep:
      std::this_thread::sleep_for(std::chrono::milliseconds(spec.sleep_ms));
      return Status::Ok();
    case Action::kCount:
      return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace shardkit::failpoint
