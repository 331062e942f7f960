// replicad status: this member's role and epoch, then, on a primary, one row
// per replica: sent, received, flushed and applied LSNs, lag in bytes and
// seconds, the age of its last ack and its full resyncs.
#include "shardkit/daemon/client.h"
#include "verbs.h"

namespace replicad {

using namespace shardkit;

int RunStatus(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "");
  daemon::AddConnectFlags(p, "the replicad serve endpoint");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(0, 0, &rc)) return rc;
  return daemon::CallAdminVerb(tool, p, "status");
}

}  // namespace replicad
