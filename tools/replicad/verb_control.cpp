// replicad promote, demote and switchover: operator requests to a running
// replicad serve. Each prints one "ok" row when done and exits 0; a refusal
// (a replica that may lack acknowledged writes, a target that is not
// caught up in time) exits 1 or 75 with the reason.
#include "shardkit/daemon/client.h"
#include "verbs.h"

namespace replicad {

using namespace shardkit;

int RunPromote(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "");
  daemon::AddConnectFlags(p, "the replicad serve endpoint of the replica", 10000);
  p.Add()("accept-data-loss",
          "promote even if this replica may lack writes the primary acknowledged");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(0, 0, &rc)) return rc;
  std::vector<std::string> args;
  if (p.Has("accept-data-loss")) args.push_back("accept-data-loss");
  return daemon::CallAdminVerb(tool, p, "promote", std::move(args));
}

int RunDemote(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "");
  daemon::AddConnectFlags(p, "the replicad serve endpoint of the primary", 10000);
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(0, 0, &rc)) return rc;
  return daemon::CallAdminVerb(tool, p, "demote");
}

int RunSwitchover(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "");
  daemon::AddConnectFlags(p, "the replicad serve endpoint of the primary", 15000);
  p.Add()("to", "the member name of the replica to hand over to", cxxopts::value<std::string>(),
          "NAME");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(0, 0, &rc)) return rc;
  if (!p.Has("to")) return p.UsageError("--to is required");
  return daemon::CallAdminVerb(tool, p, "switchover", {p.Get<std::string>("to")});
}

}  // namespace replicad
