// txcoord heuristics: outcomes that participants' operators forced (txpart
// resolve), next to the coordinator's decision.
#include "common.h"
#include "verbs.h"

namespace txcoord {

int RunHeuristics(const Tool& tool, const Verb& verb, int argc, char** argv) {
  return RunAdminVerb(tool, verb, argc, argv, "heuristics");
}

}  // namespace txcoord
