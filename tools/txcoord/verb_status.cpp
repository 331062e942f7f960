// txcoord status: the coordinator's counters, rates and latencies, one
// name<TAB>value row each.
#include "common.h"
#include "verbs.h"

namespace txcoord {

int RunStatus(const Tool& tool, const Verb& verb, int argc, char** argv) {
  return RunAdminVerb(tool, verb, argc, argv, "status");
}

}  // namespace txcoord
