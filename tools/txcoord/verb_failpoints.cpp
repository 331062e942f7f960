// txcoord failpoints: every failpoint `txcoord serve` hits, one per line,
// for fault tests that want to visit them all.
#include "shardkit/cli/output.h"
#include "shardkit/daemon/node.h"
#include "verbs.h"

namespace txcoord {

using namespace shardkit;

int RunFailpoints(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(0, 0, &rc)) return rc;
  cli::Writer w;
  for (const std::string& name : daemon::KnownFailpoints("txcoord")) {
    cli::Record(w, p.json()).Str("failpoint", name).End();
  }
  Status s = w.Flush();
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace txcoord
