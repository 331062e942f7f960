// The ring file: membership and placement settings as diff-friendly text.
// The format is specified in shardkit-ring(5):
//
//   shardkit-ring 1
//   algorithm ring vnodes=160 hash=xxh3
//   node a endpoint=tcp://10.0.0.1:7100 weight=1 zone=rack1
//   node b endpoint=tcp://10.0.0.2:7100,tcp://10.0.1.2:7100 weight=2 curve-key=<z85>
//
// Every parse error names the file and line: "cluster.ring:12: unknown
// algorithm 'ketma'", with code kDataError (exit 65).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "shardkit/hash/placement.h"
#include "shardkit/status/status.h"

namespace shardkit::ring {

inline constexpr size_t kMaxRingFileBytes = 64 << 20;
inline constexpr size_t kMaxNameBytes = 255;
inline constexpr size_t kMaxNodes = 100000;
inline constexpr uint32_t kMaxVnodes = 100000;
inline constexpr uint32_t kMaxTableSize = 1 << 24;
inline constexpr double kMaxWeight = 1e6;
inline constexpr double kMinWeight = 1e-6;

struct Node {
  std::string name;                    // the hashed identity
  std::vector<std::string> endpoints;  // a replica set, primary first
  double weight = 1;
  std::string zone;
  std::string curve_key;  // z85 public key, 40 characters
};

struct RingFile {
  hash::Algorithm algorithm = hash::Algorithm::kRing;
  hash::Params params;
  std::vector<Node> nodes;

  // Index of the node called `name`, or -1.
  int Find(std::string_view name) const;
};

// Parses ring-file text. `name` labels errors ("cluster.ring:3: ...").
Result<RingFile> ParseRing(std::string_view text, std::string_view name);
// Reads and parses `path` ("-" reads stdin). A missing file is kNoInput.
Result<RingFile> LoadRing(const std::string& path);
// The canonical text of `ring`; ParseRing(FormatRing(r)) == r.
std::string FormatRing(const RingFile& ring);
// The ring's generation: a content hash of its canonical text.
uint64_t Generation(const RingFile& ring);
std::string GenerationHex(uint64_t generation);

// Checks one node's fields for `algorithm`; the message names the field.
Status ValidateNode(const Node& node, hash::Algorithm algorithm);
// Checks an endpoint: tcp://HOST:PORT, ipc://PATH or inproc://NAME.
Status ValidateEndpoint(std::string_view endpoint);

// Writes `ring` to `path` atomically: temp file, fsync, rename, fsync dir.
// On failure `path` is untouched and the temp file is removed.
Status SaveRing(const std::string& path, const RingFile& ring);

// Read-modify-write of `path` under an exclusive flock, so that concurrent
// edits do not lose each other's changes. `edit` sees the parsed file; if it
// fails, nothing is written.
Status EditRing(const std::string& path, const std::function<Status(RingFile*)>& edit);

}  // namespace shardkit::ring
