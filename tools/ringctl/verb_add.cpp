// ringctl add: add a node to a ring file.
#include "common.h"
#include "verbs.h"

namespace ringctl {

using namespace shardkit;

int RunAdd(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "FILE NAME [ENDPOINT...]");
  AddNodeFlags(p);
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(2, SIZE_MAX, &rc)) return rc;
  const auto& args = p.args();
  if (args[0] == "-") return p.UsageError("cannot edit stdin in place; give a ring file");
  ring::Node node;
  node.name = args[1];
  node.endpoints.assign(args.begin() + 2, args.end());
  Status s = ApplyNodeFlags(p, &node);
  if (!s.ok()) return p.UsageError(s.message());

  s = ring::EditRing(args[0], [&](ring::RingFile* file) {
    Status v = ring::ValidateNode(node, file->algorithm);
    if (!v.ok()) return Status::Usage(v.message());
    if (int i = file->Find(node.name); i >= 0) {
      return Status::DataError(args[0] + ": node '" + node.name + "' already exists");
    }
    if (file->nodes.size() >= ring::kMaxNodes) {
      return Status::DataError(args[0] + ": ring already has the maximum number of nodes");
    }
    file->nodes.push_back(node);
    return CheckBuildable(*file);
  });
  if (s.code() == Code::kUsage) return p.UsageError(s.message());
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace ringctl
