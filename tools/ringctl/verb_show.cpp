// ringctl show: the nodes, each with its exact share of the key space next
// to its ideal share by weight, plus peak-to-mean and CV.
#include "common.h"
#include "shardkit/cli/log.h"
#include "shardkit/cli/output.h"
#include "verbs.h"

namespace ringctl {

using namespace shardkit;

int RunShow(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "FILE|-");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(1, 1, &rc)) return rc;
  auto r = ring::OpenRing(p.args()[0]);
  if (!r.ok()) return cli::Fail(tool, r.status());
  ring::Shares shares = ring::ComputeShares(*r);
  cli::Writer w;
  uint64_t total_points = 0;
  for (size_t i = 0; i < r->file.nodes.size(); ++i) {
    const ring::Node& n = r->file.nodes[i];
    const ring::NodeShare& s = shares.nodes[i];
    total_points += s.points;
    if (s.share == 0) {
      cli::LogWarn("node owns no part of the key space", {{"node", n.name}});
    }
    cli::Record(w, p.json())
        .Str("type", "node")
        .Str("name", n.name)
        .Double("weight", n.weight, 3)
        .Str("zone", n.zone)
        .Uint("points", s.points)
        .Double("share", s.share, 6)
        .Double("ideal", s.ideal, 6)
        .Double("ratio", s.share / s.ideal, 4)
        .List("endpoints", n.endpoints)
        .End();
  }
  cli::Record(w, p.json())
      .Str("type", "summary")
      .Str("algorithm", hash::AlgorithmName(r->file.algorithm))
      .Uint("nodes", r->file.nodes.size())
      .Uint("points", total_points)
      .Double("peak_to_mean", shares.peak_to_mean, 4)
      .Double("cv", shares.cv, 4)
      .Str("shares", shares.exact ? "exact" : "weights")
      .Str("generation", ring::GenerationHex(r->generation))
      .End();
  Status s = w.Flush();
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace ringctl
