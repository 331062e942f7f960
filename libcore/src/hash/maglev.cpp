// Maglev (Eisenbud et al., NSDI 2016) with Envoy's weighted table build
// (source/extensions/load_balancing_policies/maglev/maglev_lb.cc), so that a
// table built here equals Envoy's for the same hosts, weights and size.
// Lookups are table[H(key) % M]: O(1) and near-perfectly balanced, at the
// price of more movement than a ring when membership changes.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <queue>

#include "internal.h"

namespace shardkit::hash::internal {
namespace {

constexpr uint32_t kEmpty = UINT32_MAX;

bool IsPrime(uint64_t m) {
  if (m < 2) return false;
  for (uint64_t d = 2; d * d <= m; ++d) {
    if (m % d == 0) return false;
  }
  return true;
}

class MaglevPlacement final : public Placement {
 public:
  MaglevPlacement(std::vector<Member> members, std::vector<uint32_t> table, HashKind kind)
      : Placement(std::move(members)), table_(std::move(table)), kind_(kind) {}

  uint64_t HashKey(std::string_view key) const override { return HashWith(kind_, key); }
  uint32_t LocateHash(uint64_t h) const override { return table_[h % table_.size()]; }

  // Distinct members in table order from h's entry onwards (wrapping): the
  // entries next to a key's are an arbitrary but fixed mix of members.
  void Walk(uint64_t h, const std::function<bool(uint32_t)>& visit) const override {
    SeenSet seen(size());
    size_t left = size();
    const size_t m_size = table_.size();
    const size_t start = h % m_size;
    for (size_t k = 0; k < m_size && left > 0; ++k) {
      size_t i = start + k;
      if (i >= m_size) i -= m_size;
      if (!seen.Insert(table_[i])) continue;
      --left;
      if (!visit(table_[i])) return;
    }
    for (uint32_t m = 0; m < size() && left > 0; ++m) {
      if (!seen.Insert(m)) continue;
      --left;
      if (!visit(m)) return;
    }
  }

  std::vector<double> Shares() const override {
    std::vector<uint64_t> counts = PointCounts();
    std::vector<double> shares(counts.size());
    for (size_t m = 0; m < counts.size(); ++m) {
      shares[m] = static_cast<double>(counts[m]) / static_cast<double>(table_.size());
    }
    return shares;
  }

  std::vector<uint64_t> PointCounts() const override {
    std::vector<uint64_t> counts(size(), 0);
    for (uint32_t m : table_) ++counts[m];
    return counts;
  }

 private:
  std::vector<uint32_t> table_;
  HashKind kind_;
};

}  // namespace

Result<std::unique_ptr<Placement>> BuildMaglev(std::vector<Member> members, const Params& params) {
  const uint64_t table_size = params.table_size;
  if (!IsPrime(table_size)) {
    return Status::DataError("maglev table_size " + std::to_string(table_size) + " is not a prime");
  }
  if (table_size < members.size()) {
    return Status::DataError("maglev table_size " + std::to_string(table_size) +
                             " is smaller than the member count " + std::to_string(members.size()));
  }
  if (table_size > kMaxPoints) {
    return Status::DataError("maglev table_size " + std::to_string(table_size) +
                             " is larger than " + std::to_string(kMaxPoints));
  }

  // Envoy sorts the hosts by their hashed key, so the table does not depend
  // on the order in which hosts are listed.
  std::vector<uint32_t> order(members.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&members](uint32_t a, uint32_t b) {
    return members[a].name < members[b].name;
  });

  // Envoy's normalized weights: weight / sum of weights.
  double sum = 0;
  for (const Member& m : members) sum += m.weight;
  double max_weight = 0;
  struct Entry {
    uint32_t member;
    uint64_t offset;
    uint64_t skip;
    double weight;
    double target = 0;
    uint64_t next = 0;
  };
  std::vector<Entry> entries;
  entries.reserve(members.size());
  for (uint32_t m : order) {
    const std::string& name = members[m].name;
    const double weight = members[m].weight / sum;
    max_weight = std::max(max_weight, weight);
    entries.push_back(
        {m, Xxh64(name, 0) % table_size, Xxh64(name, 1) % (table_size - 1) + 1, weight});
  }

  // Envoy's OriginalMaglevTable::constructImplementationInternals: in
  // iteration r (from 1) an entry takes its next free preferred slot iff
  // r * weight >= target, and then raises its target by the largest weight,
  // so the heaviest member fills one slot per round and a member of half
  // that weight one every other round.
  //
  // Scanning every entry in every iteration costs members x rounds, which a
  // skewed ring (one heavy member, many light ones) turns into hours. So the
  // entries wait in a heap keyed by (the first iteration in which they are
  // eligible, their position): popping it visits exactly the (iteration,
  // entry) pairs the scan would act on, in the same order.
  auto first_eligible = [](const Entry& e, uint64_t from) {
    // The smallest r >= from with r * weight >= target, evaluated with the
    // same double comparison as Envoy (a plain ceil could be off by one).
    // The heaviest entry fills one slot per iteration, so the table is full
    // within table_size (< 2^25) iterations: later ones never come.
    const double q = std::ceil(e.target / e.weight);
    if (!(q < 1e12)) return UINT64_MAX;
    uint64_t r = std::max<uint64_t>(from, uint64_t(q));
    while (r > from && double(r - 1) * e.weight >= e.target) --r;
    while (double(r) * e.weight < e.target) ++r;
    return r;
  };
  using Due = std::pair<uint64_t, size_t>;  // (iteration, entry index)
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> due;
  for (size_t i = 0; i < entries.size(); ++i) due.push({first_eligible(entries[i], 1), i});
  std::vector<uint32_t> table(table_size, kEmpty);
  uint64_t filled = 0;
  while (filled < table_size) {
    auto [iteration, i] = due.top();
    due.pop();
    Entry& e = entries[i];
    e.target += max_weight;
    uint64_t c = (e.offset + e.skip * e.next) % table_size;
    while (table[c] != kEmpty) {
      ++e.next;
      c = (e.offset + e.skip * e.next) % table_size;
    }
    table[c] = e.member;
    ++e.next;
    ++filled;
    due.push({first_eligible(e, iteration + 1), i});
  }
  return std::unique_ptr<Placement>(
      std::make_unique<MaglevPlacement>(std::move(members), std::move(table), params.hash));
}

}  // namespace shardkit::hash::internal
