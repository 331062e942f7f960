// ringctl import: convert a libketama-style server list ("addr weight" per
// line) into a ring file.
#include <charconv>

#include "common.h"
#include "shardkit/cli/input.h"
#include "shardkit/cli/output.h"
#include "verbs.h"

namespace ringctl {

using namespace shardkit;

int RunImport(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "SERVERFILE|-");
  p.Add()("format", "input format: ketama", cxxopts::value<std::string>()->default_value("ketama"),
          "F")("algorithm", "ketama (default), libmemcached or nginx",
               cxxopts::value<std::string>()->default_value("ketama"),
               "A")("o,output", "write to FILE atomically instead of stdout",
                    cxxopts::value<std::string>(), "FILE");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(1, 1, &rc)) return rc;
  if (p.Get<std::string>("format") != "ketama") {
    return p.UsageError("unknown format '" + p.Get<std::string>("format") + "' (expected ketama)");
  }
  auto algo = hash::ParseAlgorithm(p.Get<std::string>("algorithm"));
  if (!algo || (*algo != hash::Algorithm::kKetama && *algo != hash::Algorithm::kLibmemcached &&
                *algo != hash::Algorithm::kNginx)) {
    return p.UsageError("--algorithm must be ketama, libmemcached or nginx");
  }
  ring::RingFile file;
  file.algorithm = *algo;
  cli::LineReader in;
  Status s = in.Open(p.args()[0], 4096);
  if (!s.ok()) return cli::Fail(tool, s);
  std::string_view line;
  auto fail = [&](const std::string& m) {
    return cli::Fail(
        tool, Status::DataError(in.name() + ":" + std::to_string(in.line_number()) + ": " + m));
  };
  while (in.Next(&line)) {
    if (size_t h = line.find('#'); h != std::string_view::npos) line = line.substr(0, h);
    auto f = cli::SplitFields(line);
    if (f.empty()) continue;
    if (f.size() != 2) return fail("expected 'address weight'");
    ring::Node node;
    node.name = f[0];
    uint64_t w = 0;
    auto r = std::from_chars(f[1].data(), f[1].data() + f[1].size(), w);
    if (r.ec != std::errc() || r.ptr != f[1].data() + f[1].size() || w == 0 || w > 1000000) {
      return fail("weight must be a whole number from 1 to 1000000, got '" + std::string(f[1]) +
                  "'");
    }
    node.weight = double(w);
    std::string ep = "tcp://" + node.name;
    if (ring::ValidateEndpoint(ep).ok()) node.endpoints.push_back(ep);
    Status v = ring::ValidateNode(node, file.algorithm);
    if (!v.ok()) return fail(v.message());
    if (file.Find(node.name) >= 0) return fail("duplicate server '" + node.name + "'");
    if (file.nodes.size() >= ring::kMaxNodes) return fail("too many servers");
    file.nodes.push_back(std::move(node));
  }
  if (!in.status().ok()) return cli::Fail(tool, in.status());
  if (p.Has("output") && p.Get<std::string>("output") != "-") {
    s = ring::SaveRing(p.Get<std::string>("output"), file);
    return s.ok() ? 0 : cli::Fail(tool, s);
  }
  cli::Writer w;
  w.Put(ring::FormatRing(file));
  s = w.Flush();
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace ringctl
