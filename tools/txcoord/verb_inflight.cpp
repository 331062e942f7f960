// txcoord inflight: the transactions the coordinator is running, one row
// each: txid, client txid, state, participants, those not yet answered.
#include "common.h"
#include "verbs.h"

namespace txcoord {

int RunInflight(const Tool& tool, const Verb& verb, int argc, char** argv) {
  return RunAdminVerb(tool, verb, argc, argv, "inflight");
}

}  // namespace txcoord
