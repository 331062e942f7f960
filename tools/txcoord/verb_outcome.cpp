// txcoord outcome: what became of one transaction, by its client txid:
// txid<TAB>committed|aborted|running|unknown<TAB>reason<TAB>key. The exit
// status follows the outcome, so a script can branch on it.
#include "shardkit/daemon/client.h"
#include "verbs.h"

namespace txcoord {

using namespace shardkit;

int RunOutcome(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "TXID");
  daemon::AddConnectFlags(p, "the txcoord serve endpoint");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(1, 1, &rc)) return rc;
  net::ConnectOptions co;
  if (Status s = daemon::ConnectFlags(p, &co); !s.ok()) {
    return s.code() == Code::kUsage ? p.UsageError(s.message()) : cli::Fail(tool, s);
  }
  auto reply = daemon::CallAdmin(co, "outcome", {p.args()[0]});
  if (!reply.ok()) return cli::Fail(tool, reply.status());
  if (reply->rows.size() != 1 || reply->columns.size() < 2) {
    return cli::Fail(tool, Status::DataError(co.endpoint + ": malformed outcome reply"));
  }
  cli::Writer w;
  daemon::WriteTable(w, p.json(), *reply);
  if (Status s = w.Flush(); !s.ok()) return cli::Fail(tool, s);
  const std::string& outcome = reply->rows[0][1];
  if (outcome == "committed") return 0;
  if (outcome == "aborted") return 1;
  return 75;  // running, or unknown: ask again later
}

}  // namespace txcoord
