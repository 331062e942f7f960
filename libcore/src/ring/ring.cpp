#include "shardkit/ring/ring.h"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <unordered_map>

namespace shardkit::ring {

Result<Ring> BuildRing(RingFile file) {
  if (file.nodes.empty()) return Status::DataError("the ring has no nodes");
  std::vector<hash::Member> members;
  members.reserve(file.nodes.size());
  std::unordered_map<std::string, uint32_t> zones;
  for (const Node& n : file.nodes) {
    // A node without a zone is a zone of its own: key it by its name, which
    // cannot clash with zone names because of the "\n" prefix.
    std::string zone_key = n.zone.empty() ? "\n" + n.name : n.zone;
    auto [it, _] = zones.emplace(zone_key, uint32_t(zones.size()));
    members.push_back({n.name, n.weight, it->second});
  }
  auto placement = hash::BuildPlacement(file.algorithm, std::move(members), file.params);
  if (!placement.ok()) return placement.status();
  Ring ring;
  ring.generation = Generation(file);
  ring.file = std::move(file);
  ring.placement = std::move(*placement);
  return ring;
}

Result<Ring> OpenRing(const std::string& path) {
  auto file = LoadRing(path);
  if (!file.ok()) return file.status();
  auto ring = BuildRing(std::move(*file));
  if (!ring.ok()) return ring.status().Prefixed(path);
  return ring;
}

Shares ComputeShares(const Ring& ring) {
  const auto& p = *ring.placement;
  Shares out;
  std::vector<double> share = p.Shares();
  std::vector<uint64_t> points = p.PointCounts();
  double total_weight = 0;
  for (const Node& n : ring.file.nodes) total_weight += n.weight;
  out.exact =
      hash::IsRingType(ring.file.algorithm) || ring.file.algorithm == hash::Algorithm::kMaglev;
  std::vector<double> ratio;
  for (size_t i = 0; i < ring.file.nodes.size(); ++i) {
    NodeShare s;
    s.share = share[i];
    s.ideal = ring.file.nodes[i].weight / total_weight;
    s.points = i < points.size() ? points[i] : 0;
    out.nodes.push_back(s);
    ratio.push_back(s.share / s.ideal);
  }
  double mean = 0;
  for (double r : ratio) mean += r;
  mean /= double(ratio.size());
  double var = 0;
  for (double r : ratio) var += (r - mean) * (r - mean);
  var /= double(ratio.size());
  out.peak_to_mean = *std::max_element(ratio.begin(), ratio.end());
  out.cv = mean > 0 ? std::sqrt(var) / mean : 0;
  return out;
}

namespace {

using Matrix = std::unordered_map<uint64_t, long double>;  // (from << 32 | to) -> amount

void AddMove(Matrix* m, uint32_t from, uint32_t to, long double amount) {
  (*m)[uint64_t(from) << 32 | to] += amount;
}

// Sweeps both continua at once: every elementary interval between adjacent
// points of either ring has one owner in each ring.
Matrix DiffArcs(const hash::Placement& a, const hash::Placement& b,
                const std::vector<uint32_t>& b_to_a_name, long double* space) {
  auto pa = a.points(), pb = b.points();
  Matrix m;
  const long double full = std::ldexp(1.0L, a.hash_bits());
  *space = full;
  size_t ia = 0, ib = 0;
  bool first = true;
  uint64_t prev = 0;
  auto add = [&](uint32_t oa, uint32_t ob, long double len) {
    if (b_to_a_name[ob] != oa) AddMove(&m, oa, ob, len);
  };
  while (ia < pa.size() || ib < pb.size()) {
    uint64_t u = std::min(ia < pa.size() ? pa[ia].pos : UINT64_MAX,
                          ib < pb.size() ? pb[ib].pos : UINT64_MAX);
    uint32_t oa = ia < pa.size() ? pa[ia].member : pa[0].member;
    uint32_t ob = ib < pb.size() ? pb[ib].member : pb[0].member;
    long double len = first ? (long double)u + 1 : (long double)(u - prev);
    add(oa, ob, len);
    first = false;
    prev = u;
    while (ia < pa.size() && pa[ia].pos == u) ++ia;
    while (ib < pb.size() && pb[ib].pos == u) ++ib;
  }
  add(pa[0].member, pb[0].member, full - 1 - (long double)prev);
  return m;
}

bool SameSpace(const Ring& a, const Ring& b) {
  if (a.file.algorithm != b.file.algorithm) return false;
  if (a.file.params.hash != b.file.params.hash) return false;
  if (hash::IsRingType(a.file.algorithm)) return true;
  return a.file.algorithm == hash::Algorithm::kMaglev &&
         a.file.params.table_size == b.file.params.table_size;
}

}  // namespace

Diff DiffRings(const Ring& before, const Ring& after, uint64_t sample_keys) {
  const auto& a = *before.placement;
  const auto& b = *after.placement;
  // Nodes are matched by name: b_to_a_name[j] is before's index of after's
  // node j, or UINT32_MAX when it is new.
  std::vector<uint32_t> b_to_a_name(after.file.nodes.size(), UINT32_MAX);
  for (size_t j = 0; j < after.file.nodes.size(); ++j) {
    int i = before.file.Find(after.file.nodes[j].name);
    if (i >= 0) b_to_a_name[j] = uint32_t(i);
  }
  Diff out;
  Matrix m;
  long double space = 0;
  if (SameSpace(before, after) && hash::IsRingType(before.file.algorithm)) {
    m = DiffArcs(a, b, b_to_a_name, &space);
    out.exact = true;
  } else if (SameSpace(before, after)) {
    // Maglev: a key's owner is table[hash % M] in both, so entries compare
    // exactly. Walk() from entry i starts with table[i].
    uint32_t size = before.file.params.table_size;
    space = size;
    for (uint32_t i = 0; i < size; ++i) {
      uint32_t oa = a.LocateHash(i), ob = b.LocateHash(i);
      if (b_to_a_name[ob] != oa) AddMove(&m, oa, ob, 1);
    }
    out.exact = true;
  } else {
    space = (long double)sample_keys;
    out.sampled = sample_keys;
    std::string key;
    for (uint64_t k = 0; k < sample_keys; ++k) {
      key = "sample:" + std::to_string(k);
      uint32_t oa = a.Locate(key), ob = b.Locate(key);
      if (b_to_a_name[ob] != oa) AddMove(&m, oa, ob, 1);
    }
  }
  long double moved = 0;
  for (const auto& [k, amount] : m) {
    moved += amount;
    uint32_t from = uint32_t(k >> 32), to = uint32_t(k);
    out.moves.push_back(
        {before.file.nodes[from].name, after.file.nodes[to].name, double(amount / space)});
  }
  out.moved = space > 0 ? double(moved / space) : 0;
  std::sort(out.moves.begin(), out.moves.end(), [](const Move& x, const Move& y) {
    if (x.fraction != y.fraction) return x.fraction > y.fraction;
    return std::tie(x.from, x.to) < std::tie(y.from, y.to);
  });
  return out;
}

std::vector<uint32_t> AssignBounded(const Ring& ring, std::span<const uint64_t> hashes, double c) {
  const auto& p = *ring.placement;
  double total_weight = 0;
  for (const Node& n : ring.file.nodes) total_weight += n.weight;
  std::vector<uint64_t> cap(p.size()), load(p.size(), 0);
  for (size_t i = 0; i < p.size(); ++i) {
    cap[i] =
        uint64_t(std::ceil(c * double(hashes.size()) * ring.file.nodes[i].weight / total_weight));
  }
  std::vector<uint32_t> out;
  out.reserve(hashes.size());
  for (uint64_t h : hashes) {
    uint32_t chosen = p.LocateHash(h);
    if (load[chosen] >= cap[chosen]) {
      // The sum of caps is at least n, so some node always has room.
      p.Walk(h, [&](uint32_t m) {
        chosen = m;
        return load[m] >= cap[m];
      });
    }
    ++load[chosen];
    out.push_back(chosen);
  }
  return out;
}

}  // namespace shardkit::ring
