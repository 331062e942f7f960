// ringctl bench: in-process lookup speed of each algorithm over the nodes of
// a ring file. Prints figures; it never judges them.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "common.h"
#include "shardkit/cli/log.h"
#include "shardkit/cli/output.h"
#include "verbs.h"

namespace ringctl {

using namespace shardkit;

int RunBench(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "FILE");
  p.Add()("keys", "lookups per algorithm", cxxopts::value<uint64_t>()->default_value("2000000"),
          "N")("algorithm", "bench only this algorithm (default: all that accept the nodes)",
               cxxopts::value<std::string>(), "A");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(1, 1, &rc)) return rc;
  auto file = ring::LoadRing(p.args()[0]);
  if (!file.ok()) return cli::Fail(tool, file.status());
  if (file->nodes.empty()) return cli::Fail(tool, Status::DataError(p.args()[0] + ": no nodes"));
  uint64_t n = p.Get<uint64_t>("keys");
  if (n == 0 || n > 100000000) return p.UsageError("--keys must be 1..100000000");

  std::vector<hash::Algorithm> algos = {hash::Algorithm::kRing,         hash::Algorithm::kKetama,
                                        hash::Algorithm::kLibmemcached, hash::Algorithm::kNginx,
                                        hash::Algorithm::kJump,         hash::Algorithm::kMaglev,
                                        hash::Algorithm::kRendezvous};
  if (p.Has("algorithm")) {
    auto a = hash::ParseAlgorithm(p.Get<std::string>("algorithm"));
    if (!a) return p.UsageError("unknown algorithm '" + p.Get<std::string>("algorithm") + "'");
    algos = {*a};
  }
  // ~16-byte keys, made once so that only lookups are timed.
  const size_t kDistinct = std::min<uint64_t>(n, 1 << 20);
  std::vector<std::string> keys;
  keys.reserve(kDistinct);
  char buf[32];
  for (size_t i = 0; i < kDistinct; ++i) {
    std::snprintf(buf, sizeof buf, "user:%011zu", i * 2654435761u % 100000000000u);
    keys.emplace_back(buf);
  }
  cli::Writer w;
  for (hash::Algorithm algo : algos) {
    ring::RingFile f = *file;
    f.algorithm = algo;
    if (algo != file->algorithm) f.params = hash::Params{};
    if (algo == hash::Algorithm::kJump) {
      for (auto& node : f.nodes) node.weight = 1;
    }
    if (algo == hash::Algorithm::kKetama || algo == hash::Algorithm::kLibmemcached ||
        algo == hash::Algorithm::kNginx) {
      for (auto& node : f.nodes) node.weight = std::max(1.0, std::round(node.weight));
    }
    auto t0 = std::chrono::steady_clock::now();
    auto r = ring::BuildRing(f);
    auto t1 = std::chrono::steady_clock::now();
    if (!r.ok()) {
      cli::LogWarn("skipped", {{"algorithm", std::string(hash::AlgorithmName(algo))},
                               {"reason", r.status().message()}});
      continue;
    }
    const hash::Placement& pl = *r->placement;
    uint64_t sink = 0;
    auto t2 = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < n; ++i) sink += pl.Locate(keys[i % kDistinct]);
    auto t3 = std::chrono::steady_clock::now();
    double secs = std::chrono::duration<double>(t3 - t2).count();
    uint64_t points = 0;
    for (uint64_t c : pl.PointCounts()) points += c;
    cli::Record(w, p.json())
        .Str("algorithm", hash::AlgorithmName(algo))
        .Uint("nodes", pl.size())
        .Uint("points", points)
        .Double("build_ms", std::chrono::duration<double, std::milli>(t1 - t0).count(), 2)
        .Double("ns_per_lookup", secs * 1e9 / double(n), 1)
        .Double("keys_per_sec", double(n) / secs, 0)
        .End();
    (void)w.Flush();
    if (sink == 42) std::fputc(' ', stderr);  // keeps the loop from being optimised away
  }
  Status s = w.Flush();
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace ringctl
