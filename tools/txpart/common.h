// Helpers shared by txpart's client verbs: the connection to a `txpart
// serve`, and how keys and values are read and printed.
//
// Keys and values on the command line, on stdin and in output use the
// escaped form of transaction scripts (txn/script.h: \t \n \r \\ \s \xHH,
// "" for the empty string), so any byte string fits on one line and the
// output of get and scan can be fed back to get, put and del.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "shardkit/cli/output.h"
#include "shardkit/cli/tool.h"
#include "shardkit/daemon/client.h"
#include "shardkit/daemon/replica_set.h"
#include "shardkit/status/status.h"
#include "shardkit/wire/messages.h"

namespace txpart {

// Parses the connect flags of `p` (daemon::AddConnectFlags) and connects.
// Returns 0, or the exit code after printing the error (64 for usage).
int Connect(const shardkit::cli::Tool& tool, const shardkit::cli::VerbParser& p,
            std::unique_ptr<shardkit::daemon::Conn>* out);

// Unescapes one key: DataError for a bad escape, an empty key or one over
// wire::kMaxKeyBytes. `what` names it in the message ("argument 2", "line 7").
shardkit::Result<std::string> ParseKey(std::string_view escaped, const std::string& what);

// Prints key<TAB>value, both escaped; JSON: {"key":..,"value":..} with the
// same escaped strings.
void PutKeyValue(shardkit::cli::Writer& w, bool json, std::string_view key, std::string_view value);

// Prints an admin table (daemon::WriteTable) and flushes.
int PrintTable(const shardkit::cli::Tool& tool, bool json, const shardkit::wire::AdminReply& table);

// --min-lsn N and --max-staleness MS for get and scan: read-your-writes
// with the lsn that put and del print, and bounded staleness on a standby.
void AddFreshnessFlags(shardkit::cli::VerbParser& p);
template <class Request>
void SetFreshness(const shardkit::cli::VerbParser& p, Request* request) {
  request->min_lsn = p.Get<uint64_t>("min-lsn");
  request->max_staleness_ms = p.Get<uint64_t>("max-staleness");
}

// --ack LEVEL for put, del and bench: an ack level on top of the group's.
// AckFlag is the checked text ("" when not given), Usage when malformed.
void AddAckFlag(shardkit::cli::VerbParser& p);
shardkit::Result<std::string> AckFlag(const shardkit::cli::VerbParser& p);

// conn.Call, repeated every 10 ms while the member answers that it has not
// applied the request's min_lsn yet or is staler than its max_staleness_ms
// ("behind"), for at most wait_ms; then that answer (exit 75).
template <class Request, class Response>
shardkit::Status CallAtLsn(shardkit::daemon::Conn& conn, const Request& request, Response* response,
                           int wait_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (true) {
    shardkit::Status s = conn.Call(request, response);
    if (!shardkit::daemon::IsBehind(s) || std::chrono::steady_clock::now() >= deadline) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Positive integer flag value; Usage naming the flag otherwise.
shardkit::Result<uint64_t> PositiveFlag(const shardkit::cli::VerbParser& p, const std::string& flag,
                                        uint64_t max);

}  // namespace txpart
