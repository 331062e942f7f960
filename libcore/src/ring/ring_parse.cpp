// The ring-file parser and printer. See ring_file.h and shardkit-ring(5).
#include <charconv>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "shardkit/hash/hash.h"
#include "shardkit/ring/ring_file.h"

namespace shardkit::ring {
namespace {

using hash::Algorithm;

bool IsCompat(Algorithm a) {
  return a == Algorithm::kKetama || a == Algorithm::kLibmemcached || a == Algorithm::kNginx;
}

// Visible ASCII without '#', '=' and ',': safe in the file and in TSV.
bool IsNameChar(unsigned char c) { return c > ' ' && c < 0x7f && c != '#' && c != '=' && c != ','; }

std::string Quote(std::string_view s) {
  std::string out = "'";
  for (unsigned char c : s.substr(0, 80)) {
    if (c >= ' ' && c < 0x7f) {
      out.push_back(char(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > 80) out += "...";
  return out + "'";
}

Status CheckName(std::string_view what, std::string_view s) {
  if (s.empty()) return Status::DataError("empty " + std::string(what));
  if (s.size() > kMaxNameBytes) {
    return Status::DataError(std::string(what) + " longer than " + std::to_string(kMaxNameBytes) +
                             " bytes");
  }
  for (unsigned char c : s) {
    if (!IsNameChar(c)) {
      return Status::DataError("bad character in " + std::string(what) + " " + Quote(s) +
                               " (allowed: visible ASCII except # = ,)");
    }
  }
  return Status::Ok();
}

Result<uint64_t> ParseUint(std::string_view what, std::string_view s, uint64_t max) {
  uint64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) {
    return Status::DataError(std::string(what) + " must be a whole number, got " + Quote(s));
  }
  if (v > max) {
    return Status::DataError(std::string(what) + " " + std::string(s) + " is larger than " +
                             std::to_string(max));
  }
  return v;
}

Result<double> ParseWeight(std::string_view s) {
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v)) {
    return Status::DataError("weight must be a number, got " + Quote(s));
  }
  if (v <= 0) return Status::DataError("weight must be greater than 0, got " + std::string(s));
  if (v < kMinWeight)
    return Status::DataError("weight " + std::string(s) + " is smaller than 1e-6");
  if (v > kMaxWeight) return Status::DataError("weight " + std::string(s) + " is larger than 1e6");
  return v;
}

bool IsPrime(uint64_t n) {
  if (n < 2) return false;
  for (uint64_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) return false;
  }
  return true;
}

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

// Parses "algorithm NAME key=value..." into *ring.
Status ParseAlgorithmLine(const std::vector<std::string_view>& f, RingFile* ring) {
  if (f.size() < 2) return Status::DataError("'algorithm' needs a name");
  auto algo = hash::ParseAlgorithm(f[1]);
  if (!algo) {
    return Status::DataError("unknown algorithm " + Quote(f[1]) +
                             " (expected ring, ketama, libmemcached, nginx, jump, maglev or "
                             "rendezvous)");
  }
  ring->algorithm = *algo;
  ring->params = hash::Params{};
  std::vector<std::string_view> seen;
  for (size_t i = 2; i < f.size(); ++i) {
    size_t eq = f[i].find('=');
    if (eq == std::string_view::npos) {
      return Status::DataError("expected key=value, got " + Quote(f[i]));
    }
    std::string_view key = f[i].substr(0, eq), value = f[i].substr(eq + 1);
    for (auto k : seen) {
      if (k == key) return Status::DataError("duplicate parameter " + Quote(key));
    }
    seen.push_back(key);
    if (key == "vnodes" && *algo == Algorithm::kRing) {
      auto v = ParseUint("vnodes", value, kMaxVnodes);
      if (!v.ok()) return v.status();
      if (*v == 0) return Status::DataError("vnodes must be at least 1");
      ring->params.vnodes = uint32_t(*v);
    } else if (key == "hash" && !IsCompat(*algo)) {
      auto h = hash::ParseHashKind(value);
      if (!h)
        return Status::DataError("unknown hash " + Quote(value) + " (expected xxh3 or xxh64)");
      ring->params.hash = *h;
    } else if (key == "table-size" && *algo == Algorithm::kMaglev) {
      auto v = ParseUint("table-size", value, kMaxTableSize);
      if (!v.ok()) return v.status();
      if (!IsPrime(*v))
        return Status::DataError("table-size " + std::string(value) + " is not a prime");
      ring->params.table_size = uint32_t(*v);
    } else {
      return Status::DataError("unknown parameter " + Quote(key) + " for algorithm " +
                               std::string(hash::AlgorithmName(*algo)));
    }
  }
  return Status::Ok();
}

Status ParseNodeLine(const std::vector<std::string_view>& f, Node* node) {
  if (f.size() < 2) return Status::DataError("'node' needs a name");
  SK_RETURN_IF_ERROR(CheckName("node name", f[1]));
  node->name = f[1];
  std::vector<std::string_view> seen;
  for (size_t i = 2; i < f.size(); ++i) {
    size_t eq = f[i].find('=');
    if (eq == std::string_view::npos) {
      return Status::DataError("expected key=value, got " + Quote(f[i]));
    }
    std::string_view key = f[i].substr(0, eq), value = f[i].substr(eq + 1);
    for (auto k : seen) {
      if (k == key) return Status::DataError("duplicate attribute " + Quote(key));
    }
    seen.push_back(key);
    if (key == "endpoint") {
      size_t start = 0;
      while (true) {
        size_t comma = value.find(',', start);
        std::string_view ep = value.substr(start, comma - start);
        SK_RETURN_IF_ERROR(ValidateEndpoint(ep));
        node->endpoints.emplace_back(ep);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
    } else if (key == "weight") {
      auto w = ParseWeight(value);
      if (!w.ok()) return w.status();
      node->weight = *w;
    } else if (key == "zone") {
      SK_RETURN_IF_ERROR(CheckName("zone", value));
      node->zone = value;
    } else if (key == "curve-key") {
      node->curve_key = value;
    } else {
      return Status::DataError("unknown node attribute " + Quote(key) +
                               " (expected endpoint, weight, zone or curve-key)");
    }
  }
  return Status::Ok();
}

std::string At(std::string_view name, size_t line) {
  return std::string(name) + ":" + std::to_string(line);
}

}  // namespace

int RingFile::Find(std::string_view name) const {
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].name == name) return int(i);
  }
  return -1;
}

Status ValidateEndpoint(std::string_view ep) {
  auto bad = [&](const std::string& why) {
    return Status::DataError("malformed endpoint " + Quote(ep) + ": " + why);
  };
  if (ep.empty()) return Status::DataError("empty endpoint");
  if (ep.size() > 1024) return bad("longer than 1024 bytes");
  for (unsigned char c : ep) {
    if (c <= ' ' || c >= 0x7f || c == ',' || c == '#') return bad("bad character");
  }
  if (ep.starts_with("ipc://")) {
    return ep.size() > 6 ? Status::Ok() : bad("empty path");
  }
  if (ep.starts_with("inproc://")) {
    return ep.size() > 9 ? Status::Ok() : bad("empty name");
  }
  if (!ep.starts_with("tcp://")) return bad("expected tcp://, ipc:// or inproc://");
  std::string_view rest = ep.substr(6);
  size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) return bad("missing :PORT");
  std::string_view host = rest.substr(0, colon), port = rest.substr(colon + 1);
  if (host.empty()) return bad("missing host");
  if (host.front() == '[' ? host.back() != ']' : host.find(':') != std::string_view::npos) {
    return bad("an IPv6 address must be in brackets");
  }
  uint64_t p = 0;
  auto r = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || r.ec != std::errc() || r.ptr != port.data() + port.size() || p == 0 ||
      p > 65535) {
    return bad("port must be 1-65535");
  }
  return Status::Ok();
}

Status ValidateNode(const Node& node, Algorithm algorithm) {
  SK_RETURN_IF_ERROR(CheckName("node name", node.name));
  for (const auto& ep : node.endpoints) SK_RETURN_IF_ERROR(ValidateEndpoint(ep));
  if (!std::isfinite(node.weight) || node.weight <= 0) {
    return Status::DataError("weight of node '" + node.name + "' must be greater than 0");
  }
  if (node.weight < kMinWeight) {
    return Status::DataError("weight of node '" + node.name + "' is smaller than 1e-6");
  }
  if (node.weight > kMaxWeight) {
    return Status::DataError("weight of node '" + node.name + "' is larger than 1e6");
  }
  if (IsCompat(algorithm) && node.weight != std::floor(node.weight)) {
    return Status::DataError(std::string(hash::AlgorithmName(algorithm)) +
                             " needs whole-number weights; node '" + node.name + "' has " +
                             std::to_string(node.weight));
  }
  if (!node.zone.empty()) SK_RETURN_IF_ERROR(CheckName("zone", node.zone));
  if (!node.curve_key.empty()) {
    static constexpr std::string_view kZ85 =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
    if (node.curve_key.size() != 40 ||
        node.curve_key.find_first_not_of(kZ85) != std::string::npos) {
      return Status::DataError("curve-key of node '" + node.name +
                               "' must be a 40-character Z85 public key");
    }
  }
  return Status::Ok();
}

Result<RingFile> ParseRing(std::string_view text, std::string_view name) {
  if (text.size() > kMaxRingFileBytes) {
    return Status::DataError(std::string(name) + ": ring file larger than 64 MiB");
  }
  RingFile ring;
  bool have_header = false, have_algorithm = false;
  std::unordered_map<std::string_view, size_t> first_line;  // node name -> line
  size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (line.find('\0') != std::string_view::npos) {
      return Status::DataError(At(name, line_no) + ": NUL byte");
    }
    // '#' starts a comment at the start of a line or after blank space only:
    // Z85 keys may contain '#'.
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
        line = line.substr(0, i);
        break;
      }
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    for (unsigned char c : line) {
      if ((c < ' ' && c != '\t') || c == 0x7f) {
        return Status::DataError(At(name, line_no) + ": control character in line");
      }
    }
    auto f = Fields(line);
    if (f.empty()) continue;
    Status s;
    if (!have_header) {
      if (f[0] != "shardkit-ring") {
        s = Status::DataError("not a ring file: expected 'shardkit-ring 1', got " + Quote(f[0]));
      } else if (f.size() != 2) {
        s = Status::DataError("expected 'shardkit-ring 1'");
      } else if (f[1] != "1") {
        s = Status::DataError("unsupported ring file version " + Quote(f[1]) + " (expected 1)");
      }
      have_header = true;
    } else if (f[0] == "algorithm") {
      if (have_algorithm)
        s = Status::DataError("duplicate 'algorithm' line");
      else if (!ring.nodes.empty())
        s = Status::DataError("'algorithm' must come before nodes");
      else
        s = ParseAlgorithmLine(f, &ring);
      have_algorithm = true;
    } else if (f[0] == "node") {
      if (!have_algorithm) {
        s = Status::DataError("'node' before the 'algorithm' line");
      } else if (ring.nodes.size() >= kMaxNodes) {
        s = Status::DataError("more than " + std::to_string(kMaxNodes) + " nodes");
      } else {
        Node node;
        s = ParseNodeLine(f, &node);
        if (s.ok()) s = ValidateNode(node, ring.algorithm);
        if (s.ok()) {
          auto [it, inserted] = first_line.emplace(f[1], line_no);
          if (!inserted) {
            s = Status::DataError("duplicate node '" + node.name + "' (first defined on line " +
                                  std::to_string(it->second) + ")");
          } else {
            ring.nodes.push_back(std::move(node));
          }
        }
      }
    } else if (f[0] == "shardkit-ring") {
      s = Status::DataError("duplicate 'shardkit-ring' header");
    } else {
      s = Status::DataError("unknown directive " + Quote(f[0]) + " (expected algorithm or node)");
    }
    if (!s.ok()) return s.Prefixed(At(name, line_no));
  }
  if (!have_header) return Status::DataError(std::string(name) + ": empty ring file");
  if (!have_algorithm) {
    return Status::DataError(At(name, line_no) + ": missing 'algorithm' line");
  }
  if (ring.algorithm == Algorithm::kMaglev && ring.params.table_size < ring.nodes.size()) {
    return Status::DataError(std::string(name) + ": maglev table-size " +
                             std::to_string(ring.params.table_size) + " is smaller than the " +
                             std::to_string(ring.nodes.size()) + " nodes");
  }
  return ring;
}

namespace {

void AppendWeight(std::string* out, double w) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, w);
  out->append(buf, size_t(r.ptr - buf));
}

}  // namespace

std::string FormatRing(const RingFile& ring) {
  std::string out = "shardkit-ring 1\nalgorithm ";
  out += hash::AlgorithmName(ring.algorithm);
  if (ring.algorithm == Algorithm::kRing) out += " vnodes=" + std::to_string(ring.params.vnodes);
  if (!IsCompat(ring.algorithm)) {
    out += " hash=";
    out += hash::HashKindName(ring.params.hash);
  }
  if (ring.algorithm == Algorithm::kMaglev) {
    out += " table-size=" + std::to_string(ring.params.table_size);
  }
  out += '\n';
  for (const Node& n : ring.nodes) {
    out += "node " + n.name;
    if (!n.endpoints.empty()) {
      out += " endpoint=";
      for (size_t i = 0; i < n.endpoints.size(); ++i) {
        if (i) out += ',';
        out += n.endpoints[i];
      }
    }
    out += " weight=";
    AppendWeight(&out, n.weight);
    if (!n.zone.empty()) out += " zone=" + n.zone;
    if (!n.curve_key.empty()) out += " curve-key=" + n.curve_key;
    out += '\n';
  }
  return out;
}

uint64_t Generation(const RingFile& ring) { return hash::Xxh3(FormatRing(ring)); }

std::string GenerationHex(uint64_t generation) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(generation));
  return buf;
}

}  // namespace shardkit::ring
