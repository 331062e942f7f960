// txpart failpoints: every failpoint `txpart serve` can hit, one per line.
#include "shardkit/daemon/client.h"
#include "verbs.h"

namespace txpart {

int RunFailpoints(const Tool& tool, const Verb& verb, int argc, char** argv) {
  return shardkit::daemon::RunFailpointsVerb(tool, verb, argc, argv, "txpart");
}

}  // namespace txpart
