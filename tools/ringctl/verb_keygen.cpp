// ringctl keygen: write a CURVE keypair, NAME.key and NAME.secret (0600).
#include <unistd.h>

#include <cstdio>

#include "shardkit/cli/output.h"
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
  if (name.empty() || name == "-" || name.back() == '/') {
    return p.UsageError("NAME must name a file: keygen writes NAME.key and NAME.secret");
  }
  auto kp = net::GenerateKeypair();
  if (!kp.ok()) return cli::Fail(tool, kp.status());
  // Only once a new pair exists are the old files given up.
  if (p.Has("force")) {
    ::unlink((name + ".secret").c_str());
    ::unlink((name + ".key").c_str());
  }
  Status s = net::WriteKeypair(name, *kp);
  if (!s.ok()) return cli::Fail(tool, s);
  cli::Writer w;
  if (p.json()) {
    cli::Record(w, true)
        .Str("public_key", kp->public_z85)
        .Str("key_file", name + ".key")
        .Str("secret_file", name + ".secret")
        .End();
  } else {
    w.Put(kp->public_z85);
    w.Put('\n');
  }
  s = w.Flush();
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace ringctl
