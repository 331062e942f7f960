// ringctl diff: what fraction of the key space moves between two rings, and
// from where to where; with keys on stdin, the per-key move list.
#include <cmath>
#include <map>

#include "common.h"
#include "shardkit/cli/input.h"
#include "shardkit/cli/log.h"
#include "shardkit/cli/output.h"
#include "verbs.h"

namespace ringctl {

using namespace shardkit;

namespace {

// The least movement any placement could achieve: half the L1 distance
// between the ideal shares by weight, nodes matched by name.
double IdealMovement(const ring::Ring& a, const ring::Ring& b) {
  std::map<std::string, std::pair<double, double>> ideal;
  double wa = 0, wb = 0;
  for (const auto& n : a.file.nodes) wa += n.weight;
  for (const auto& n : b.file.nodes) wb += n.weight;
  for (const auto& n : a.file.nodes) ideal[n.name].first = n.weight / wa;
  for (const auto& n : b.file.nodes) ideal[n.name].second = n.weight / wb;
  double d = 0;
  for (const auto& [name, v] : ideal) d += std::fabs(v.first - v.second);
  return d / 2;
}

}  // namespace

int RunDiff(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "OLD NEW [-]");
  p.Add()("sample", "sample keys when the answer cannot be exact",
          cxxopts::value<uint64_t>()->default_value("1000000"), "N");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(2, 3, &rc)) return rc;
  const auto& args = p.args();
  if (args.size() == 3 && args[2] != "-") {
    return p.UsageError("unexpected argument '" + args[2] + "' (give - to read keys from stdin)");
  }
  if (args[0] == "-" && args[1] == "-") return p.UsageError("only one ring can come from stdin");
  if (args.size() == 3 && (args[0] == "-" || args[1] == "-")) {
    return p.UsageError("the rings and the keys cannot both come from stdin");
  }
  uint64_t sample = p.Get<uint64_t>("sample");
  if (sample == 0 || sample > 1000000000) return p.UsageError("--sample must be 1..1000000000");
  auto before = ring::OpenRing(args[0]);
  if (!before.ok()) return cli::Fail(tool, before.status());
  auto after = ring::OpenRing(args[1]);
  if (!after.ok()) return cli::Fail(tool, after.status());
  cli::Writer w(1, 1 << 18);

  if (args.size() == 3) {
    const auto& a = *before->placement;
    const auto& b = *after->placement;
    cli::LineReader in;
    Status s = in.Open("-");
    if (!s.ok()) return cli::Fail(tool, s);
    std::string_view key;
    uint64_t keys = 0, moved = 0;
    while (in.Next(&key)) {
      ++keys;
      const std::string& from = before->file.nodes[a.Locate(key)].name;
      const std::string& to = after->file.nodes[b.Locate(key)].name;
      if (from == to) continue;
      ++moved;
      cli::Record(w, p.json()).Str("key", key).Str("from", from).Str("to", to).End();
    }
    s = w.Flush();
    if (!in.status().ok()) return cli::Fail(tool, in.status());
    cli::LogInfo("diff done", {{"keys", std::to_string(keys)}, {"moved", std::to_string(moved)}});
    return s.ok() ? 0 : cli::Fail(tool, s);
  }

  ring::Diff d = ring::DiffRings(*before, *after, sample);
  cli::Record(w, p.json())
      .Str("type", "summary")
      .Double("moved", d.moved, 6)
      .Double("ideal", IdealMovement(*before, *after), 6)
      .Str("method", d.exact ? "exact" : "sampled")
      .Uint("sample", d.sampled)
      .Str("old_generation", ring::GenerationHex(before->generation))
      .Str("new_generation", ring::GenerationHex(after->generation))
      .End();
  for (const ring::Move& m : d.moves) {
    cli::Record(w, p.json())
        .Str("type", "move")
        .Str("from", m.from)
        .Str("to", m.to)
        .Double("fraction", m.fraction, 6)
        .End();
  }
  Status s = w.Flush();
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace ringctl
