// Fuzzes the ring-file parser. Beyond "no crash, no hang, no unbounded
// allocation", it checks the printer/parser round trip: whatever parses must
// print to text that parses back to the same canonical text, and a small
// accepted ring must build.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "shardkit/ring/ring.h"
#include "shardkit/ring/ring_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ring = shardkit::ring::ParseRing(text, "fuzz");
  if (!ring.ok()) {
    if (ring.status().message().empty()) std::abort();
    return 0;
  }
  std::string canonical = shardkit::ring::FormatRing(*ring);
  auto again = shardkit::ring::ParseRing(canonical, "canonical");
  if (!again.ok() || shardkit::ring::FormatRing(*again) != canonical) std::abort();
  // Building is O(nodes * vnodes); keep it to rings the fuzzer can afford.
  uint64_t points = 0;
  for (const auto& n : ring->nodes) points += uint64_t(n.weight * ring->params.vnodes) + 1;
  if (!ring->nodes.empty() && points < 200000 && ring->params.table_size < 100000) {
    auto built = shardkit::ring::BuildRing(std::move(*ring));
    if (built.ok()) (void)built->placement->Locate("fuzz");
  }
  return 0;
}
