// txpart status: a participant's counters, rates and gauges as name/value
// rows; with --locks the locks held, with --heuristics the heuristic
// outcomes an operator forced.
#include "common.h"
#include "shardkit/daemon/client.h"
#include "verbs.h"

namespace txpart {

using namespace shardkit;

int RunStatus(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "");
  daemon::AddConnectFlags(p, "the txpart serve endpoint");
  p.Add()("locks", "list the locks held: key and transaction")(
      "heuristics", "list the heuristic outcomes forced by resolve");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(0, 0, &rc)) return rc;
  if (p.Has("locks") && p.Has("heuristics")) {
    return p.UsageError("--locks and --heuristics cannot be combined");
  }
  std::unique_ptr<daemon::Conn> conn;
  if ((rc = Connect(tool, p, &conn)) != 0) return rc;
  const char* what = p.Has("locks") ? "locks" : p.Has("heuristics") ? "heuristics" : "status";
  auto table = conn->Admin(what);
  if (!table.ok()) return cli::Fail(tool, table.status());
  return PrintTable(tool, p.json(), *table);
}

}  // namespace txpart
