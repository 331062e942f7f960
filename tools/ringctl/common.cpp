#include "common.h"

#include <charconv>
#include <cmath>
#include <fstream>

namespace ringctl {

using shardkit::Result;
using shardkit::Status;
namespace ring = shardkit::ring;

void AddNodeFlags(shardkit::cli::VerbParser& p) {
  p.Add()("weight", "relative weight, > 0 (default 1)", cxxopts::value<std::string>(), "W")(
      "zone", "failure zone, for --replicas placement (empty clears)",
      cxxopts::value<std::string>(),
      "ZONE")("curve-key", "the node's CURVE public key (Z85, or a .key file; empty clears)",
              cxxopts::value<std::string>(), "KEY");
}

Result<double> PositiveNumber(std::string_view flag, const std::string& value) {
  double v = 0;
  auto r = std::from_chars(value.data(), value.data() + value.size(), v);
  if (value.empty() || r.ec != std::errc() || r.ptr != value.data() + value.size() ||
      !std::isfinite(v) || v <= 0) {
    return Status::Usage("--" + std::string(flag) + " must be a number greater than 0, got '" +
                         value + "'");
  }
  return v;
}

Status ApplyNodeFlags(const shardkit::cli::VerbParser& p, ring::Node* node) {
  if (p.Has("weight")) {
    auto w = PositiveNumber("weight", p.Get<std::string>("weight"));
    if (!w.ok()) return w.status();
    node->weight = *w;
  }
  if (p.Has("zone")) node->zone = p.Get<std::string>("zone");
  if (p.Has("curve-key")) {
    std::string key = p.Get<std::string>("curve-key");
    // A public key file as written by `ringctl keygen` holds the key on its
    // first line.
    if (key.size() != 40 && !key.empty()) {
      std::ifstream in(key);
      if (!in)
        return Status::Usage("--curve-key: '" + key + "' is neither a Z85 key nor a readable file");
      std::getline(in, key);
    }
    node->curve_key = key;
  }
  return Status::Ok();
}

Status CheckBuildable(const ring::RingFile& file) {
  if (file.nodes.empty()) return Status::Ok();
  auto built = ring::BuildRing(file);
  if (!built.ok()) return built.status();
  auto counts = built->placement->PointCounts();
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) {
      return Status::DataError("node '" + file.nodes[i].name + "' would get no points under " +
                               std::string(shardkit::hash::AlgorithmName(file.algorithm)) +
                               " (weight too small next to the others)");
    }
  }
  return Status::Ok();
}

void PutLocation(shardkit::cli::Writer& w, bool json, std::string_view key, const uint32_t* owners,
                 size_t n, const std::vector<std::string>& names,
                 const std::vector<std::string>& endpoints) {
  static const std::string kNone;
  auto name = [&](size_t i) -> const std::string& {
    return owners[i] < names.size() ? names[owners[i]] : kNone;
  };
  auto endpoint = [&](size_t i) -> const std::string& {
    return owners[i] < endpoints.size() ? endpoints[owners[i]] : kNone;
  };
  if (!json) {
    shardkit::cli::PutTsvField(w, key);
    for (size_t i = 0; i < n; ++i) {
      if (owners[i] >= names.size()) break;
      w.Put('\t');
      w.Put(name(i));
      w.Put('\t');
      w.Put(endpoint(i));
    }
    w.Put('\n');
    return;
  }
  w.Put("{\"key\":");
  shardkit::cli::PutJsonString(w, key);
  w.Put(",\"node\":");
  shardkit::cli::PutJsonString(w, name(0));
  w.Put(",\"endpoint\":");
  shardkit::cli::PutJsonString(w, endpoint(0));
  size_t real = 0;
  while (real < n && owners[real] < names.size()) ++real;
  if (real > 1) {
    for (int pass = 0; pass < 2; ++pass) {
      w.Put(pass == 0 ? ",\"nodes\":[" : ",\"endpoints\":[");
      for (size_t i = 0; i < n && owners[i] < names.size(); ++i) {
        if (i) w.Put(',');
        shardkit::cli::PutJsonString(w, pass == 0 ? name(i) : endpoint(i));
      }
      w.Put(']');
    }
  }
  w.Put("}\n");
}

void NodeTables(const ring::Ring& r, std::vector<std::string>* names,
                std::vector<std::string>* endpoints) {
  names->clear();
  endpoints->clear();
  for (uint32_t i = 0; i < r.file.nodes.size(); ++i) {
    names->push_back(r.file.nodes[i].name);
    endpoints->emplace_back(r.endpoint(i));
  }
}

}  // namespace ringctl
