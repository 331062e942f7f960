// ringctl new: write an empty ring file.
#include <sys/stat.h>

#include "shardkit/cli/output.h"
#include "shardkit/hash/placement.h"
#include "shardkit/ring/ring_file.h"
#include "verbs.h"

namespace ringctl {

using namespace shardkit;

int RunNew(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "");
  p.Add()("algorithm", "ring (default), ketama, libmemcached, nginx, jump, maglev or rendezvous",
          cxxopts::value<std::string>()->default_value("ring"),
          "A")("vnodes", "points per unit of weight (ring)", cxxopts::value<uint32_t>(), "N")(
      "hash", "key hash of native algorithms: xxh3 (default) or xxh64",
      cxxopts::value<std::string>(),
      "H")("table-size", "maglev table size, a prime (default 65537)", cxxopts::value<uint32_t>(),
           "N")("o,output", "write to FILE atomically instead of stdout",
                cxxopts::value<std::string>(), "FILE")("force", "replace an existing output file");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(0, 0, &rc)) return rc;

  // Build the algorithm line from the flags, then let the parser validate it,
  // so that `new` accepts exactly what a ring file accepts.
  std::string algo_line = "algorithm " + p.Get<std::string>("algorithm");
  if (p.Has("vnodes")) algo_line += " vnodes=" + std::to_string(p.Get<uint32_t>("vnodes"));
  if (p.Has("hash")) algo_line += " hash=" + p.Get<std::string>("hash");
  if (p.Has("table-size")) {
    algo_line += " table-size=" + std::to_string(p.Get<uint32_t>("table-size"));
  }
  auto ring = ring::ParseRing("shardkit-ring 1\n" + algo_line + "\n", "arguments");
  if (!ring.ok()) {
    std::string msg = ring.status().message();
    return p.UsageError(msg.substr(msg.find(": ") + 2));
  }
  if (!p.Has("output") || p.Get<std::string>("output") == "-") {
    cli::Writer w;
    w.Put(ring::FormatRing(*ring));
    Status s = w.Flush();
    return s.ok() ? 0 : cli::Fail(tool, s);
  }
  std::string path = p.Get<std::string>("output");
  struct stat st;
  if (!p.Has("force") && ::stat(path.c_str(), &st) == 0) {
    return p.UsageError(path + " exists; pass --force to replace it");
  }
  Status s = ring::SaveRing(path, *ring);
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace ringctl
