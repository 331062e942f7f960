// ringctl locate: key<TAB>node<TAB>endpoint for each key, streaming.
#include <cmath>

#include "common.h"
#include "shardkit/cli/input.h"
#include "shardkit/cli/output.h"
#include "verbs.h"

namespace ringctl {

using namespace shardkit;

namespace {

// A bounded-load batch is also flushed once its keys take this many bytes,
// so memory stays bounded whatever --batch and the key sizes are.
constexpr size_t kMaxBatchBytes = 64 << 20;

struct Options {
  size_t replicas = 1;
  double load_factor = 0;  // 0: unbounded
  size_t batch = 100000;
  bool json = false;
};

// Writes the owners of one batch of keys under bounded loads.
void FlushBatch(const ring::Ring& r, const Options& o, std::vector<std::string>* keys,
                std::vector<uint64_t>* hashes, const std::vector<std::string>& names,
                const std::vector<std::string>& eps, cli::Writer& w) {
  std::vector<uint32_t> owners = ring::AssignBounded(r, *hashes, o.load_factor);
  for (size_t i = 0; i < keys->size(); ++i) {
    PutLocation(w, o.json, (*keys)[i], &owners[i], 1, names, eps);
  }
  keys->clear();
  hashes->clear();
}

}  // namespace

int RunLocate(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "FILE [KEY...|-]");
  p.Add()("replicas", "print N distinct nodes per key, distinct zones first",
          cxxopts::value<size_t>()->default_value("1"), "N")(
      "load-factor", "bounded loads: no node gets more than ceil(C*mean) keys of a batch",
      cxxopts::value<std::string>(), "C")("batch", "keys per bounded-load batch",
                                          cxxopts::value<size_t>()->default_value("100000"), "N");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(1, SIZE_MAX, &rc)) return rc;
  Options o;
  o.json = p.json();
  o.replicas = p.Get<size_t>("replicas");
  o.batch = p.Get<size_t>("batch");
  if (o.replicas == 0) return p.UsageError("--replicas must be at least 1");
  if (o.batch == 0 || o.batch > 10000000) return p.UsageError("--batch must be 1..10000000");
  if (p.Has("load-factor")) {
    auto c = PositiveNumber("load-factor", p.Get<std::string>("load-factor"));
    if (!c.ok()) return p.UsageError(c.status().message());
    if (*c < 1) return p.UsageError("--load-factor must be at least 1");
    if (o.replicas > 1) return p.UsageError("--load-factor and --replicas cannot be combined");
    o.load_factor = *c;
  }
  const auto& args = p.args();
  bool from_stdin = args.size() == 1 || (args.size() == 2 && args[1] == "-");
  if (from_stdin && args[0] == "-") {
    return p.UsageError("the ring and the keys cannot both come from stdin");
  }
  auto r = ring::OpenRing(p.args()[0]);
  if (!r.ok()) return cli::Fail(tool, r.status());
  const hash::Placement& pl = *r->placement;
  std::vector<std::string> names, eps;
  NodeTables(*r, &names, &eps);
  // The TSV tail of each node, precomputed: "\tname\tendpoint\n".
  std::vector<std::string> tails;
  for (size_t i = 0; i < names.size(); ++i) tails.push_back("\t" + names[i] + "\t" + eps[i] + "\n");

  cli::Writer w(1, 1 << 18);
  std::vector<uint32_t> pref;
  std::vector<std::string> batch_keys;
  std::vector<uint64_t> batch_hashes;
  auto one = [&](std::string_view key) {
    uint64_t h = pl.HashKey(key);
    if (o.load_factor > 0) {
      batch_keys.emplace_back(key);
      batch_hashes.push_back(h);
      if (batch_keys.size() == o.batch)
        FlushBatch(*r, o, &batch_keys, &batch_hashes, names, eps, w);
    } else if (o.replicas > 1) {
      pref.clear();
      pl.Preference(h, o.replicas, &pref);
      PutLocation(w, o.json, key, pref.data(), pref.size(), names, eps);
    } else if (!o.json) {
      cli::PutTsvField(w, key);
      w.Put(tails[pl.LocateHash(h)]);
    } else {
      uint32_t owner = pl.LocateHash(h);
      PutLocation(w, true, key, &owner, 1, names, eps);
    }
  };

  if (!from_stdin) {
    for (size_t i = 1; i < args.size(); ++i) one(args[i]);
  } else {
    cli::LineReader in;
    Status s = in.Open("-");
    if (!s.ok()) return cli::Fail(tool, s);
    std::string_view line;
    while (in.Next(&line)) one(line);
    if (!in.status().ok()) {
      (void)w.Flush();
      return cli::Fail(tool, in.status());
    }
  }
  if (!batch_keys.empty()) FlushBatch(*r, o, &batch_keys, &batch_hashes, names, eps, w);
  Status s = w.Flush();
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace ringctl
