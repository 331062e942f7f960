// txcoord failpoints: every failpoint `txcoord serve` can hit, one per line.
#include "shardkit/daemon/client.h"
#include "verbs.h"

namespace txcoord {

int RunFailpoints(const Tool& tool, const Verb& verb, int argc, char** argv) {
  return shardkit::daemon::RunFailpointsVerb(tool, verb, argc, argv, "txcoord");
}

}  // namespace txcoord
