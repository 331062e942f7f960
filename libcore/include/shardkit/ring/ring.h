// A built ring: the parsed file plus its placement, and what can be computed
// from it: shares of the key space, movement between two rings, and batch
// assignment with bounded loads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "shardkit/hash/placement.h"
#include "shardkit/ring/ring_file.h"
#include "shardkit/status/status.h"

namespace shardkit::ring {

struct Ring {
  RingFile file;
  std::unique_ptr<hash::Placement> placement;
  uint64_t generation = 0;

  const Node& node(uint32_t i) const { return file.nodes[i]; }
  // The node's first endpoint, or "" when it has none.
  std::string_view endpoint(uint32_t i) const {
    const auto& eps = file.nodes[i].endpoints;
    return eps.empty() ? std::string_view() : std::string_view(eps.front());
  }
};

// Builds the placement for `file`. Nodes without a zone count as zones of
// their own. Fails (kDataError) on a ring with no nodes.
Result<Ring> BuildRing(RingFile file);
// LoadRing + BuildRing.
Result<Ring> OpenRing(const std::string& path);

struct NodeShare {
  double share = 0;     // of the key space, in [0, 1]
  double ideal = 0;     // weight / total weight
  uint64_t points = 0;  // continuum points or table entries (0 if n/a)
};

struct Shares {
  std::vector<NodeShare> nodes;  // in file order
  double peak_to_mean = 0;       // max(share / ideal)
  double cv = 0;                 // coefficient of variation of share / ideal
  bool exact = false;            // from arcs or table entries, not from weights
};

Shares ComputeShares(const Ring& ring);

struct Move {
  std::string from, to;
  double fraction = 0;  // of the key space
};

struct Diff {
  double moved = 0;         // fraction of the key space that changes owner
  bool exact = false;       // computed from arcs or tables
  uint64_t sampled = 0;     // number of sample keys when not exact
  std::vector<Move> moves;  // largest first, then by names
};

// Compares the owners of every key under `before` and `after`. Exact when
// both rings place keys in the same hash space the same way (ring types with
// the same algorithm and hash; maglev with the same table size); otherwise
// estimated from `sample_keys` generated keys.
Diff DiffRings(const Ring& before, const Ring& after, uint64_t sample_keys);

// Assigns each hashed key of one batch to a node so that no node gets more
// than ceil(c * n * w_i / W) keys (Mirrokni et al.), taking each key's nodes
// in preference order. c >= 1. Returns one node index per key.
std::vector<uint32_t> AssignBounded(const Ring& ring, std::span<const uint64_t> hashes, double c);

}  // namespace shardkit::ring
