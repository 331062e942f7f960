// txpart scan: the keys that start with a prefix, in key order, with their
// last committed values. Pages through SCAN_REPLYs (start_after = the last
// key of the previous page), so any number of keys streams through in
// bounded memory. Pages are read one after another, not as one snapshot: a
// key written during the scan may or may not show.
#include "common.h"
#include "shardkit/daemon/client.h"
#include "verbs.h"

namespace txpart {

using namespace shardkit;

int RunScan(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "");
  daemon::AddConnectFlags(p, "the txpart serve endpoint");
  p.Add()("prefix", "only keys starting with P (escaped; default: every key)",
          cxxopts::value<std::string>()->default_value(""),
          "P")("limit", "print at most N entries (0: no limit)",
               cxxopts::value<uint64_t>()->default_value("0"), "N");
  AddFreshnessFlags(p);
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(0, 0, &rc)) return rc;
  std::string prefix;
  if (p.Has("prefix") && !p.Get<std::string>("prefix").empty()) {
    auto parsed = ParseKey(p.Get<std::string>("prefix"), "--prefix");
    if (!parsed.ok()) return cli::Fail(tool, parsed.status());
    prefix = std::move(*parsed);
  }
  const uint64_t limit = p.Get<uint64_t>("limit");
  std::unique_ptr<daemon::Conn> conn;
  if ((rc = Connect(tool, p, &conn)) != 0) return rc;

  cli::Writer w;
  uint64_t printed = 0;
  wire::ScanRequest req;
  req.prefix = prefix;
  SetFreshness(p, &req);
  Status error;
  while (limit == 0 || printed < limit) {
    req.limit = wire::kMaxScanEntries;
    if (limit != 0 && limit - printed < req.limit) req.limit = uint32_t(limit - printed);
    wire::ScanReply reply;
    error = CallAtLsn(*conn, req, &reply, p.Get<int>("timeout"));
    if (!error.ok()) break;
    if (reply.values.size() != reply.keys.size()) {
      error = Status::DataError(conn->endpoint() + ": scan reply has " +
                                std::to_string(reply.keys.size()) + " keys and " +
                                std::to_string(reply.values.size()) + " values");
      break;
    }
    for (size_t i = 0; i < reply.keys.size() && (limit == 0 || printed < limit); ++i) {
      // A server that went backwards would make this loop forever.
      if (!req.start_after.empty() && reply.keys[i] <= req.start_after) {
        error = Status::DataError(conn->endpoint() + ": scan reply out of order");
        break;
      }
      PutKeyValue(w, p.json(), reply.keys[i], reply.values[i]);
      ++printed;
    }
    if (!error.ok() || !reply.more || reply.keys.empty()) break;
    req.start_after = reply.keys.back();
  }
  Status flushed = w.Flush();
  if (!error.ok()) return cli::Fail(tool, error);
  return flushed.ok() ? 0 : cli::Fail(tool, flushed);
}

}  // namespace txpart
