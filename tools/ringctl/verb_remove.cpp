// ringctl remove: remove nodes from a ring file.
#include "common.h"
#include "shardkit/cli/log.h"
#include "verbs.h"

namespace ringctl {

using namespace shardkit;

int RunRemove(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "FILE NAME...");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(2, SIZE_MAX, &rc)) return rc;
  const auto& args = p.args();
  if (args[0] == "-") return p.UsageError("cannot edit stdin in place; give a ring file");
  Status s = ring::EditRing(args[0], [&](ring::RingFile* file) {
    for (size_t a = 1; a < args.size(); ++a) {
      int i = file->Find(args[a]);
      if (i < 0) return Status::DataError(args[0] + ": no node '" + args[a] + "'");
      if (file->algorithm == hash::Algorithm::kJump && size_t(i) + 1 != file->nodes.size()) {
        cli::LogWarn("removing a node other than the last moves extra keys under jump",
                     {{"node", args[a]}});
      }
      file->nodes.erase(file->nodes.begin() + i);
    }
    return CheckBuildable(*file);
  });
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace ringctl
