// txpart resolve: force the outcome of an in-doubt transaction at one
// participant (a heuristic decision, DESIGN.md §7). The participant forces a
// HEURISTIC record, applies or discards the transaction, releases its locks
// and reports the decision to the coordinator, which flags a mismatch if it
// decided otherwise. Answered once the record is durable.
#include "common.h"
#include "shardkit/daemon/client.h"
#include "verbs.h"

namespace txpart {

using namespace shardkit;

int RunResolve(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "TXID");
  daemon::AddConnectFlags(p, "the txpart serve endpoint");
  p.Add()("commit", "commit the transaction here")("abort", "abort the transaction here");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(1, 1, &rc)) return rc;
  if (p.Has("commit") == p.Has("abort"))
    return p.UsageError("give exactly one of --commit, --abort");
  const std::string& txid = p.args()[0];
  if (txid.empty() || txid.size() > wire::kMaxTxidBytes) {
    return p.UsageError("a transaction id has 1 to " + std::to_string(wire::kMaxTxidBytes) +
                        " characters");
  }
  for (char c : txid) {
    if (c < 0x21 || c > 0x7e) return p.UsageError("bad transaction id '" + txid + "'");
  }
  std::unique_ptr<daemon::Conn> conn;
  if ((rc = Connect(tool, p, &conn)) != 0) return rc;
  auto table = conn->Admin("resolve", {txid, p.Has("commit") ? "commit" : "abort"});
  if (!table.ok()) return cli::Fail(tool, table.status());
  // One row: txid, outcome, error. A refusal (not in doubt here, already
  // resolved the other way) comes back as a row with an error, since the
  // wire's error codes have no "negative answer".
  const auto& cols = table->columns;
  if (table->rows.size() != 1 || cols.size() != 3 || cols[0] != "txid" || cols[1] != "outcome" ||
      cols[2] != "error") {
    return cli::Fail(tool, Status::DataError(conn->endpoint() + ": malformed resolve reply"));
  }
  const auto& row = table->rows[0];
  if (!row[2].empty()) return cli::Fail(tool, Status::Negative("resolve " + txid + ": " + row[2]));
  cli::Writer w;
  cli::Record(w, p.json()).Str("txid", row[0]).Str("outcome", row[1]).End();
  Status s = w.Flush();
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace txpart
