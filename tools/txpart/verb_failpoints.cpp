// txpart failpoints: every failpoint name `txpart serve` can hit, one per
// line, so fault tests can enumerate them (failpoint/failpoint.h).
#include "shardkit/cli/output.h"
#include "shardkit/daemon/node.h"
#include "verbs.h"

namespace txpart {

using namespace shardkit;

int RunFailpoints(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(0, 0, &rc)) return rc;
  cli::Writer w;
  for (const std::string& name : daemon::KnownFailpoints("txpart")) {
    cli::Record(w, p.json()).Str("name", name).End();
  }
  Status s = w.Flush();
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace txpart
