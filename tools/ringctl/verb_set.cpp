// ringctl set: change one node's endpoints, weight, zone or CURVE key.
#include "common.h"
#include "verbs.h"

namespace ringctl {

using namespace shardkit;

int RunSet(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "FILE NAME");
  AddNodeFlags(p);
  p.Add()("endpoint", "replace the endpoints (repeat for a replica set, primary first)",
          cxxopts::value<std::vector<std::string>>(), "EP");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(2, 2, &rc)) return rc;
  const auto& args = p.args();
  if (args[0] == "-") return p.UsageError("cannot edit stdin in place; give a ring file");
  Status s = ring::EditRing(args[0], [&](ring::RingFile* file) {
    int i = file->Find(args[1]);
    if (i < 0) return Status::DataError(args[0] + ": no node '" + args[1] + "'");
    ring::Node node = file->nodes[size_t(i)];
    SK_RETURN_IF_ERROR(ApplyNodeFlags(p, &node));
    if (p.Has("endpoint")) node.endpoints = p.Get<std::vector<std::string>>("endpoint");
    Status v = ring::ValidateNode(node, file->algorithm);
    if (!v.ok()) return Status::Usage(v.message());
    file->nodes[size_t(i)] = std::move(node);
    return CheckBuildable(*file);
  });
  if (s.code() == Code::kUsage) return p.UsageError(s.message());
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace ringctl
