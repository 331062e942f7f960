// Helpers for the snapshot tests: a deterministic generator, actions and
// observable state as comparable strings, and the cut-point property.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "harness.h"
#include "shardkit/txn/snapshot.h"

namespace txntest {

// splitmix64: the same sequence with any standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return Next() % n; }
  bool Chance(unsigned percent) { return Below(100) < percent; }
  template <class T>
  const T& Pick(const std::vector<T>& v) {
    return v[Below(v.size())];
  }

 private:
  uint64_t state_;
};

inline std::string Hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

// One line per action, exact enough to compare two cores' outputs.
inline std::string Describe(const Action& a) {
  if (const auto* s = std::get_if<Send>(&a)) {
    std::string line = "send " + s->to + " rid=" + std::to_string(s->request_id);
    for (const std::string& f : EncodeTxnMessage(0, s->msg)) line += " " + Hex(f);
    return line;
  }
  if (const auto* ap = std::get_if<AppendLog>(&a)) {
    return "append " + std::to_string(ap->lsn) + (ap->force ? " forced " : " ") +
           DescribeRecord(ap->type, ap->payload);
  }
  if (const auto* t = std::get_if<SetTimer>(&a)) {
    return "timer " + std::to_string(t->id) + " " + std::to_string(t->delay_ms);
  }
  if (const auto* c = std::get_if<CancelTimer>(&a)) return "cancel " + std::to_string(c->id);
  const auto& r = std::get<Resolved>(a);
  return "resolved " + r.txid + " " + std::to_string(static_cast<int>(r.outcome));
}

inline std::string Describe(const std::vector<Action>& actions) {
  std::string out;
  for (const Action& a : actions) out += Describe(a) + "\n";
  return out;
}

// The records of `log` with LSN in (after, upto].
inline std::vector<LogEntry> Slice(const std::vector<LogEntry>& log, Lsn after, Lsn upto) {
  std::vector<LogEntry> out;
  for (const LogEntry& e : log) {
    if (e.lsn > after && e.lsn <= upto) out.push_back(e);
  }
  return out;
}

}  // namespace txntest
