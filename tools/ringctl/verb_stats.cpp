// ringctl stats: the load distribution over given or generated keys.
#include <algorithm>
#include <cmath>

#include "common.h"
#include "shardkit/cli/input.h"
#include "shardkit/cli/output.h"
#include "shardkit/cli/progress.h"
#include "verbs.h"

namespace ringctl {

using namespace shardkit;

int RunStats(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "FILE [-]");
  p.Add()("keys", "generate N keys (PREFIX0, PREFIX1, ...) instead of reading stdin",
          cxxopts::value<uint64_t>(), "N")("prefix", "prefix of generated keys",
                                           cxxopts::value<std::string>()->default_value("key:"),
                                           "P");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(1, 2, &rc)) return rc;
  if (p.args().size() == 2 && p.args()[1] != "-") {
    return p.UsageError("unexpected argument '" + p.args()[1] +
                        "' (keys come from stdin or --keys)");
  }
  if (p.args().size() == 2 && p.Has("keys"))
    return p.UsageError("give either --keys or -, not both");
  if (p.args()[0] == "-" && !p.Has("keys")) {
    return p.UsageError("the ring and the keys cannot both come from stdin");
  }
  auto r = ring::OpenRing(p.args()[0]);
  if (!r.ok()) return cli::Fail(tool, r.status());
  const hash::Placement& pl = *r->placement;
  std::vector<uint64_t> counts(pl.size(), 0);
  uint64_t total = 0;
  if (p.Has("keys")) {
    uint64_t n = p.Get<uint64_t>("keys");
    std::string key = p.Get<std::string>("prefix");
    size_t base = key.size();
    cli::Progress progress("stats", n);
    for (uint64_t i = 0; i < n; ++i) {
      key.resize(base);
      key += std::to_string(i);
      ++counts[pl.Locate(key)];
      progress.Update(i);
    }
    progress.Finish(n);
    total = n;
  } else {
    cli::LineReader in;
    Status s = in.Open("-");
    if (!s.ok()) return cli::Fail(tool, s);
    std::string_view line;
    while (in.Next(&line)) {
      ++counts[pl.Locate(line)];
      ++total;
    }
    if (!in.status().ok()) return cli::Fail(tool, in.status());
  }
  double total_weight = 0;
  for (const auto& n : r->file.nodes) total_weight += n.weight;
  cli::Writer w;
  std::vector<double> ratio;
  for (size_t i = 0; i < counts.size(); ++i) {
    double ideal = r->file.nodes[i].weight / total_weight;
    double share = total ? double(counts[i]) / double(total) : 0;
    ratio.push_back(share / ideal);
    cli::Record(w, p.json())
        .Str("type", "node")
        .Str("name", r->file.nodes[i].name)
        .Uint("keys", counts[i])
        .Double("share", share, 6)
        .Double("ideal", ideal, 6)
        .Double("ratio", share / ideal, 4)
        .End();
  }
  double mean = 0, var = 0;
  for (double x : ratio) mean += x;
  mean /= double(ratio.size());
  for (double x : ratio) var += (x - mean) * (x - mean);
  var /= double(ratio.size());
  cli::Record(w, p.json())
      .Str("type", "summary")
      .Uint("keys", total)
      .Uint("nodes", counts.size())
      .Double("max_over_mean", *std::max_element(ratio.begin(), ratio.end()), 4)
      .Double("cv", mean > 0 ? std::sqrt(var) / mean : 0, 4)
      .End();
  Status s = w.Flush();
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace ringctl
