// txpart get: the last committed values of keys, read without locks.
// Found keys print key<TAB>value in input order; missing keys print nothing
// and make the exit status 1, as `git config` does.
#include "common.h"
#include "shardkit/cli/input.h"
#include "shardkit/cli/log.h"
#include "shardkit/daemon/client.h"
#include "verbs.h"

namespace txpart {

using namespace shardkit;

namespace {

// Keys per GET_REQUEST, and their bytes: well under the server's limits
// (kMaxOpsPerTxn keys, kMaxTxnBytes of reply).
constexpr size_t kBatchKeys = 1000;
constexpr size_t kBatchBytes = 1 << 20;

}  // namespace

int RunGet(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "[KEY...|-]");
  daemon::AddConnectFlags(p, "the txpart serve endpoint");
  AddFreshnessFlags(p);
  if (!p.Parse(argc, argv)) return 0;
  std::unique_ptr<daemon::Conn> conn;
  if (int rc = Connect(tool, p, &conn); rc != 0) return rc;

  const auto& args = p.args();
  const bool from_stdin = args.empty() || (args.size() == 1 && args[0] == "-");
  cli::LineReader in;
  if (from_stdin) {
    if (Status s = in.Open("-", wire::kMaxKeyBytes * 4 + 16); !s.ok()) return cli::Fail(tool, s);
  }
  size_t next_arg = 0;
  // Fills *batch with the next keys; false at the end of the input. A bad
  // key is an error in *status.
  auto fill = [&](std::vector<std::string>* batch, Status* status) {
    size_t bytes = 0;
    std::string_view line;
    while (batch->size() < kBatchKeys && bytes < kBatchBytes) {
      std::string_view field;
      std::string what;
      if (!from_stdin) {
        if (next_arg >= args.size()) break;
        what = "argument " + std::to_string(next_arg + 1);
        field = args[next_arg++];
      } else {
        if (!in.Next(&line)) break;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
          line.remove_suffix(1);
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
          line.remove_prefix(1);
        if (line.empty()) continue;  // blank lines separate nothing; skip them
        what = "line " + std::to_string(in.line_number());
        field = line;
      }
      auto key = ParseKey(field, what);
      if (!key.ok()) {
        *status = key.status();
        return false;
      }
      bytes += key->size();
      batch->push_back(std::move(*key));
    }
    if (from_stdin && !in.status().ok()) *status = in.status();
    return !batch->empty();
  };

  cli::Writer w;
  uint64_t missing = 0;
  Status error;
  while (true) {
    wire::GetRequest req;
    SetFreshness(p, &req);
    const bool more = fill(&req.keys, &error);
    if (!error.ok() || !more) break;
    wire::GetReply reply;
    error = CallAtLsn(*conn, req, &reply, p.Get<int>("timeout"));
    if (!error.ok()) break;
    if (reply.reads.size() != req.keys.size()) {
      error = Status::DataError(conn->endpoint() + ": get reply has " +
                                std::to_string(reply.reads.size()) + " results for " +
                                std::to_string(req.keys.size()) + " keys");
      break;
    }
    for (size_t i = 0; i < reply.reads.size(); ++i) {
      const wire::ReadResult& r = reply.reads[i];
      if (r.found) {
        PutKeyValue(w, p.json(), req.keys[i], r.value);
      } else {
        ++missing;
      }
    }
  }
  Status flushed = w.Flush();
  if (!error.ok()) return cli::Fail(tool, error);
  if (!flushed.ok()) return cli::Fail(tool, flushed);
  if (missing > 0) {
    cli::LogDebug("keys not found", {{"missing", std::to_string(missing)}});
    return 1;
  }
  return 0;
}

}  // namespace txpart
