// ringctl keygen: write a CURVE keypair, NAME.key and NAME.secret (0600).
#include <unistd.h>

#include <cstdio>

#include "shardkit/net/curve.h"
#include "verbs.h"

namespace ringctl {

using namespace shardkit;

int RunKeygen(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "NAME");
  p.Add()("force", "replace an existing NAME.key and NAME.secret");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(1, 1, &rc)) return rc;
  const std::string& name = p.args()[0];
  if (p.Has("force")) {
    ::unlink((name + ".secret").c_str());
    ::unlink((name + ".key").c_str());
  }
  auto kp = net::GenerateKeypair();
  if (!kp.ok()) return cli::Fail(tool, kp.status());
  Status s = net::WriteKeypair(name, *kp);
  if (!s.ok()) return cli::Fail(tool, s);
  std::printf("%s\n", kp->public_z85.c_str());
  return 0;
}

}  // namespace ringctl
