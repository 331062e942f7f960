#include "common.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>

#include "shardkit/daemon/client.h"

namespace txcoord {

using namespace shardkit;

Result<std::string> RandomHex(size_t n) {
  std::string bytes((n + 1) / 2, '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    ssize_t r = ::getrandom(bytes.data() + got, bytes.size() - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return Status::Internal(std::string("getrandom: ") + std::strerror(errno));
    }
    got += static_cast<size_t>(r);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n);
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  out.resize(n);
  return out;
}

void PutSubmitResult(cli::Writer& w, bool json, const wire::SubmitResult& r) {
  if (!json) {
    cli::Record(w, false)
        .Str("txid", r.txid)
        .Str("outcome", OutcomeName(r.outcome))
        .Str("reason", r.reason)
        .End();
    for (const wire::ReadResult& read : r.reads) {
      cli::Record(w, false)
          .Str("op", "get")
          .Str("key", read.key)
          .Str("found", read.found ? "found" : "absent")
          .Str("value", read.value)
          .End();
    }
    return;
  }
  w.Put("{\"txid\":");
  cli::PutJsonString(w, r.txid);
  w.Put(",\"outcome\":");
  cli::PutJsonString(w, OutcomeName(r.outcome));
  w.Put(",\"reason\":");
  cli::PutJsonString(w, r.reason);
  w.Put(",\"key\":");
  cli::PutJsonString(w, r.key);
  w.Put(",\"reads\":[");
  for (size_t i = 0; i < r.reads.size(); ++i) {
    if (i) w.Put(',');
    w.Put("{\"key\":");
    cli::PutJsonString(w, r.reads[i].key);
    w.Put(r.reads[i].found ? ",\"found\":true,\"value\":" : ",\"found\":false,\"value\":");
    cli::PutJsonString(w, r.reads[i].value);
    w.Put('}');
  }
  w.Put("]}\n");
}

int RunAdminVerb(const cli::Tool& tool, const cli::Verb& verb, int argc, char** argv,
                 const std::string& admin_verb) {
  cli::VerbParser p(tool, verb, "");
  daemon::AddConnectFlags(p, "the txcoord serve endpoint");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(0, 0, &rc)) return rc;
  return daemon::CallAdminVerb(tool, p, admin_verb);
}

}  // namespace txcoord
