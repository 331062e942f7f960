// libmemcached MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED (libmemcached/hosts.cc),
// which twemproxy's `distribution: ketama, hash: md5` reproduces: the
// libketama continuum, but the point string omits the default port
// ("10.0.1.1-0" for 10.0.1.1:11211, "10.0.1.1:11212-0" otherwise), and the
// digest count comes from a float formula with its own rounding quirk.
// Ties between equal points go to the lower server index, as in
// libmemcached's continuum_item_cmp.
#include <charconv>

#include "internal.h"

namespace shardkit::hash::internal {
namespace {

constexpr uint32_t kDefaultPort = 11211;  // MEMCACHED_DEFAULT_PORT

// "host-" when the port is 11211, "host:port-" otherwise. The port is the
// run of digits after the last ':', read as a number (<= 65535) and printed
// back as one, as libmemcached's "%u" does; without such a port, the whole
// name is the host and the port is libmemcached's default.
std::string PointPrefix(const std::string& name) {
  const size_t colon = name.rfind(':');
  if (colon != std::string::npos && colon + 1 < name.size()) {
    const char* first = name.data() + colon + 1;
    const char* last = name.data() + name.size();
    uint32_t port = 0;
    const auto [end, ec] = std::from_chars(first, last, port);
    if (ec == std::errc() && end == last && port <= 65535) {
      const std::string host = name.substr(0, colon);
      if (port == kDefaultPort) return host + "-";
      return host + ":" + std::to_string(port) + "-";
    }
  }
  return name + "-";
}

}  // namespace

Result<std::unique_ptr<Placement>> BuildLibmemcached(std::vector<Member> members) {
  double total = 0;
  for (const Member& m : members) total += m.weight;
  std::vector<std::string> prefixes;
  std::vector<uint32_t> digests;
  prefixes.reserve(members.size());
  digests.reserve(members.size());
  for (const Member& m : members) {
    prefixes.push_back(PointPrefix(m.name));
    digests.push_back(LibmemcachedDigestCount(m.weight, total, members.size()));
  }
  return BuildMd5Continuum(std::move(members), prefixes, digests);
}

}  // namespace shardkit::hash::internal
