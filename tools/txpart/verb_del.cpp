// txpart del: delete one key outside any transaction, durably before the
// reply. Prints the LSN of the log record and whether the key existed;
// deleting a missing key is not an error. A key that a transaction holds is
// refused with a temporary error (exit 75).
#include "common.h"
#include "shardkit/daemon/client.h"
#include "verbs.h"

namespace txpart {

using namespace shardkit;

int RunDel(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "KEY");
  daemon::AddConnectFlags(p, "the txpart serve endpoint");
  AddAckFlag(p);
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(1, 1, &rc)) return rc;
  auto ack = AckFlag(p);
  if (!ack.ok()) return p.UsageError(ack.status().message());
  auto key = ParseKey(p.args()[0], "key");
  if (!key.ok()) return cli::Fail(tool, key.status());
  std::unique_ptr<daemon::Conn> conn;
  if ((rc = Connect(tool, p, &conn)) != 0) return rc;
  wire::DelReply reply;
  if (Status s = conn->Call(wire::DelRequest{std::move(*key), *ack}, &reply); !s.ok()) {
    return cli::Fail(tool, s);
  }
  cli::Writer w;
  cli::Record(w, p.json()).Uint("lsn", reply.lsn).Bool("existed", reply.existed).End();
  Status s = w.Flush();
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace txpart
