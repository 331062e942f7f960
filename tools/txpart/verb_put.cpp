// txpart put: set one key outside any transaction. The server answers once
// the write is durable (and meets the group's ack level, and --ack's);
// put prints the LSN of its log record. A key that a transaction holds is
// refused with a temporary error (exit 75).
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common.h"
#include "shardkit/daemon/client.h"
#include "shardkit/txn/script.h"
#include "verbs.h"

namespace txpart {

using namespace shardkit;

namespace {

// The whole of stdin, raw, up to wire::kMaxValueBytes (DataError beyond).
Result<std::string> ReadValueFromStdin() {
  std::string value;
  char buf[1 << 16];
  while (true) {
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IoError(std::string("<stdin>: ") + std::strerror(errno));
    }
    if (n == 0) break;
    if (value.size() + size_t(n) > wire::kMaxValueBytes) {
      return Status::DataError("<stdin>: value over " + std::to_string(wire::kMaxValueBytes) +
                               " bytes");
    }
    value.append(buf, size_t(n));
  }
  return value;
}

}  // namespace

int RunPut(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "KEY VALUE|-");
  daemon::AddConnectFlags(p, "the txpart serve endpoint");
  AddAckFlag(p);
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(2, 2, &rc)) return rc;
  auto ack = AckFlag(p);
  if (!ack.ok()) return p.UsageError(ack.status().message());
  auto key = ParseKey(p.args()[0], "key");
  if (!key.ok()) return cli::Fail(tool, key.status());
  Result<std::string> value = std::string();
  if (p.args()[1] == "-") {
    value = ReadValueFromStdin();
  } else {
    value = txn::UnescapeField(p.args()[1]);
    if (!value.ok()) value = value.status().Prefixed("value");
  }
  if (!value.ok()) return cli::Fail(tool, value.status());
  if (value->size() > wire::kMaxValueBytes) {
    return cli::Fail(
        tool, Status::DataError("value of " + std::to_string(value->size()) + " bytes, limit " +
                                std::to_string(wire::kMaxValueBytes)));
  }
  std::unique_ptr<daemon::Conn> conn;
  if ((rc = Connect(tool, p, &conn)) != 0) return rc;
  wire::PutReply reply;
  if (Status s = conn->Call(wire::PutRequest{std::move(*key), std::move(*value), *ack}, &reply);
      !s.ok()) {
    return cli::Fail(tool, s);
  }
  cli::Writer w;
  cli::Record(w, p.json()).Uint("lsn", reply.lsn).End();
  Status s = w.Flush();
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace txpart
