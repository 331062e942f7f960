// Balance and movement measurements shared by the algorithm tests. Every
// figure is printed (so a run shows how far from ideal each algorithm is)
// and then asserted against the bound the calling test states.
#pragma once

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "vectors.h"

namespace shardkit::hash::testing {

// HashKey of Key(0) .. Key(n-1). Algorithms of one kind share the key hash,
// so one vector serves the placements before and after a change.
inline std::vector<uint64_t> KeyHashes(const Placement& p, size_t n) {
  std::vector<uint64_t> hashes(n);
  for (size_t i = 0; i < n; ++i) hashes[i] = p.HashKey(Key(i));
  return hashes;
}

inline double PeakToMean(const std::vector<double>& loads) {
  const double mean = std::accumulate(loads.begin(), loads.end(), 0.0) / loads.size();
  return *std::max_element(loads.begin(), loads.end()) / mean;
}

// Peak/mean of the keys each member owns among `hashes`.
inline double SampledPeakToMean(const Placement& p, const std::vector<uint64_t>& hashes) {
  std::vector<double> loads(p.size(), 0);
  for (uint64_t h : hashes) loads[p.LocateHash(h)] += 1;
  return PeakToMean(loads);
}

struct Movement {
  double moved = 0;      // fraction of keys whose owner (by name) changed
  double unrelated = 0;  // fraction that moved between two unchanged members
};

// Compares owners by name, so members may be renumbered between the two.
// `changed` is the member added or removed.
inline Movement Measure(const Placement& before, const Placement& after,
                        const std::vector<uint64_t>& hashes, const std::string& changed) {
  size_t moved = 0;
  size_t unrelated = 0;
  for (uint64_t h : hashes) {
    const std::string& from = before.members()[before.LocateHash(h)].name;
    const std::string& to = after.members()[after.LocateHash(h)].name;
    if (from == to) continue;
    ++moved;
    if (from != changed && to != changed) ++unrelated;
  }
  const double n = static_cast<double>(hashes.size());
  return {moved / n, unrelated / n};
}

// `relation` says which side of `bound` the test requires the value on.
inline void Report(const std::string& what, double value, double bound,
                   const char* relation = "<=") {
  std::printf("  %-62s %8.4f  (%s %.4f)\n", what.c_str(), value, relation, bound);
  std::fflush(stdout);
}

// Nodes(n) without "node-<drop>".
inline std::vector<Member> NodesWithout(size_t n, size_t drop) {
  std::vector<Member> members = Nodes(n);
  members.erase(members.begin() + static_cast<std::ptrdiff_t>(drop));
  return members;
}

}  // namespace shardkit::hash::testing
