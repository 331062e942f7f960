// nginx `hash $key consistent` (ngx_http_upstream_hash_module.c, itself
// compatible with Cache::Memcached::Fast). Not md5-ketama: each member gets
// 160 * weight points chained through crc32, and keys hash with plain crc32.
// nginx sends an empty key round-robin instead; here it is placed like any
// other key (crc32 0, so the first point).
#include <algorithm>
#include <cctype>
#include <cmath>

#include "continuum.h"
#include "internal.h"

namespace shardkit::hash::internal {
namespace {

class NginxPlacement final : public ContinuumPlacement {
 public:
  NginxPlacement(std::vector<Member> members, std::vector<Point> points)
      : ContinuumPlacement(std::move(members), std::move(points), 32) {}

  uint64_t HashKey(std::string_view key) const override { return Crc32(key); }
};

// nginx splits the `server` string into HOST and PORT: "unix:PATH" has an
// empty port; otherwise the port is the (possibly empty) run of digits after
// a final ':'; without such a ':' the whole string is the host.
void SplitServer(std::string_view server, std::string_view* host, std::string_view* port) {
  if (server.size() >= 5) {
    std::string prefix(server.substr(0, 5));
    std::transform(prefix.begin(), prefix.end(), prefix.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (prefix == "unix:") {
      *host = server.substr(5);
      *port = {};
      return;
    }
  }
  for (size_t j = 0; j < server.size(); ++j) {
    const char c = server[server.size() - j - 1];
    if (c == ':') {
      *host = server.substr(0, server.size() - j - 1);
      *port = server.substr(server.size() - j);
      return;
    }
    if (c < '0' || c > '9') break;
  }
  *host = server;
  *port = {};
}

// nginx weights are integers; a fractional weight is rounded, and every
// member keeps at least one point.
uint64_t PointsFor(double weight) {
  const double exact = 160.0 * weight;
  if (!(exact < static_cast<double>(kMaxPoints))) return kMaxPoints + 1;
  return std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(exact)));
}

}  // namespace

Result<std::unique_ptr<Placement>> BuildNginx(std::vector<Member> members) {
  uint64_t total = 0;
  for (const Member& m : members) {
    total += PointsFor(m.weight);
    if (total > kMaxPoints) {
      return Status::DataError("nginx continuum would have more than " +
                               std::to_string(kMaxPoints) + " points (member '" + m.name +
                               "' weight " + FormatWeight(m.weight) + ")");
    }
  }
  std::vector<Point> points;
  points.reserve(total);
  for (uint32_t m = 0; m < members.size(); ++m) {
    std::string_view host;
    std::string_view port;
    SplitServer(members[m].name, &host, &port);
    // crc32(HOST "\0" PORT PREV_HASH), where PREV_HASH is the previous
    // point's value as 4 little-endian bytes (0 for the first point).
    uint32_t base = Crc32(host);
    base = Crc32(std::string_view("\0", 1), base);
    base = Crc32(port, base);
    uint32_t prev = 0;
    const uint64_t count = PointsFor(members[m].weight);
    for (uint64_t j = 0; j < count; ++j) {
      const char le[4] = {static_cast<char>(prev), static_cast<char>(prev >> 8),
                          static_cast<char>(prev >> 16), static_cast<char>(prev >> 24)};
      const uint32_t hash = Crc32(std::string_view(le, 4), base);
      points.push_back({hash, m});
      prev = hash;
    }
  }
  // nginx sorts with qsort and then keeps only the first of equal points;
  // a stable sort makes that the member listed first.
  std::stable_sort(points.begin(), points.end(),
                   [](const Point& a, const Point& b) { return a.pos < b.pos; });
  points.erase(std::unique(points.begin(), points.end(),
                           [](const Point& a, const Point& b) { return a.pos == b.pos; }),
               points.end());
  return std::unique_ptr<Placement>(
      std::make_unique<NginxPlacement>(std::move(members), std::move(points)));
}

}  // namespace shardkit::hash::internal
