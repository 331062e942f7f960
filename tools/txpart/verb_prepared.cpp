// txpart prepared: the transactions that are not finished at a participant,
// like pg_prepared_xacts. Most rows are "prepared": voted YES and in doubt,
// waiting for the coordinator's outcome while holding their locks.
#include "common.h"
#include "shardkit/daemon/client.h"
#include "verbs.h"

namespace txpart {

using namespace shardkit;

int RunPrepared(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "");
  daemon::AddConnectFlags(p, "the txpart serve endpoint");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(0, 0, &rc)) return rc;
  std::unique_ptr<daemon::Conn> conn;
  if ((rc = Connect(tool, p, &conn)) != 0) return rc;
  auto table = conn->Admin("prepared");
  if (!table.ok()) return cli::Fail(tool, table.status());
  return PrintTable(tool, p.json(), *table);
}

}  // namespace txpart
