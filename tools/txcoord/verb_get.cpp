// txcoord get: read keys through the coordinator, each batch of keys in one
// read-only transaction (serializable: it takes the participants' locks
// while it reads). Prints key<TAB>value for every key that exists.
#include <chrono>

#include "common.h"
#include "shardkit/cli/input.h"
#include "shardkit/cli/log.h"
#include "shardkit/daemon/client.h"
#include "shardkit/net/client.h"
#include "verbs.h"

namespace txcoord {

using namespace shardkit;

namespace {

// Keys per transaction: well under kMaxOpsPerTxn and kMaxTxnBytes.
constexpr size_t kBatchKeys = 1000;
constexpr size_t kBatchBytes = size_t{4} << 20;

}  // namespace

int RunGet(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "[KEY...|-]");
  daemon::AddConnectFlags(p, "the txcoord serve endpoint", 5000);
  if (!p.Parse(argc, argv)) return 0;
  net::ConnectOptions co;
  if (Status s = daemon::ConnectFlags(p, &co); !s.ok()) {
    return s.code() == Code::kUsage ? p.UsageError(s.message()) : cli::Fail(tool, s);
  }
  const auto& args = p.args();
  const bool from_stdin = args.empty() || (args.size() == 1 && args[0] == "-");
  cli::LineReader in;
  if (from_stdin) {
    if (Status s = in.Open("-", wire::kMaxKeyBytes); !s.ok()) return cli::Fail(tool, s);
  }
  zmq::context_t context;
  auto client = net::Client::Connect(context, co);
  if (!client.ok()) return cli::Fail(tool, client.status());

  cli::Writer w;
  const bool json = p.json();
  bool missing = false;
  size_t next_arg = 0;
  auto fail = [&](const Status& s) {
    (void)w.Flush();
    return cli::Fail(tool, s);
  };
  while (true) {
    wire::Submit req;
    size_t bytes = 0;
    std::string_view line;
    while (req.ops.size() < kBatchKeys && bytes < kBatchBytes) {
      std::string key;
      if (!from_stdin) {
        if (next_arg >= args.size()) break;
        key = args[next_arg++];
      } else if (in.Next(&line)) {
        key = std::string(line);
      } else {
        break;
      }
      if (key.empty()) return fail(Status::DataError("empty key"));
      if (key.size() > wire::kMaxKeyBytes) return fail(Status::DataError("key too long"));
      bytes += key.size();
      req.ops.push_back(wire::Op{wire::OpKind::kGet, std::move(key), ""});
    }
    if (from_stdin && !in.status().ok()) return fail(in.status());
    if (req.ops.empty()) break;
    wire::SubmitResult r;
    if (Status s = client->Call(req, &r); !s.ok()) return fail(s);
    if (r.outcome != wire::TxOutcome::kCommitted) {
      // A read aborts only on a lock conflict: a writer holds the key now.
      return fail(Status::Temporary("read aborted: " + r.reason));
    }
    for (const wire::ReadResult& read : r.reads) {
      if (!read.found) {
        missing = true;
        cli::LogInfo("key not found", {{"key", read.key}});
        continue;
      }
      cli::Record(w, json).Str("key", read.key).Str("value", read.value).End();
    }
  }
  if (Status s = w.Flush(); !s.ok()) return cli::Fail(tool, s);
  return missing ? 1 : 0;
}

}  // namespace txcoord
