// Helpers shared by txpart's client verbs: the connection to a `txpart
// serve`, and how keys and values are read and printed.
//
// Keys and values on the command line, on stdin and in output use the
// escaped form of transaction scripts (txn/script.h: \t \n \r \\ \s \xHH,
// "" for the empty string), so any byte string fits on one line and the
// output of get and scan can be fed back to get, put and del.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "shardkit/cli/output.h"
#include "shardkit/cli/tool.h"
#include "shardkit/net/client.h"
#include "shardkit/net/connect.h"
#include "shardkit/status/status.h"
#include "shardkit/wire/messages.h"

namespace txpart {

// One client connection to a txpart serve, with the reachability rule of
// `ringctl query`: when no request can even be queued within the timeout
// and nothing was ever answered, the server is unreachable (Unavailable,
// exit 69); a request sent but never answered after all retries is
// Temporary (exit 75). A retry is a new request with a new id.
class Conn {
 public:
  // Connects (asynchronously) per `options`. Errors are net::Connect's.
  static shardkit::Result<std::unique_ptr<Conn>> Open(const shardkit::net::ConnectOptions& options);

  // Sends one request and waits for its reply. An ErrorReply becomes its
  // Status, prefixed with the endpoint.
  shardkit::Result<shardkit::net::Reply> Call(shardkit::wire::MsgType type, std::string_view body);

  // Typed Call: checks the reply type and decodes it into *response.
  template <class Request, class Response>
  shardkit::Status Call(const Request& request, Response* response);

  // An admin request; a reply whose rows do not match its columns is
  // DataError.
  shardkit::Result<shardkit::wire::AdminReply> Admin(const std::string& verb,
                                                     std::vector<std::string> args = {});

  const std::string& endpoint() const { return options_.endpoint; }

  // Use Open().
  explicit Conn(shardkit::net::ConnectOptions options) : options_(std::move(options)) {}

 private:
  shardkit::net::ConnectOptions options_;
  zmq::context_t context_;  // outlives client_ (declared before it)
  std::optional<shardkit::net::Client> client_;
  bool answered_ = false;
  std::string body_;
};

// Parses the connect flags of `p` (daemon::AddConnectFlags) and connects.
// Returns 0, or the exit code after printing the error (64 for usage).
int Connect(const shardkit::cli::Tool& tool, const shardkit::cli::VerbParser& p,
            std::unique_ptr<Conn>* out);

// Unescapes one key: DataError for a bad escape, an empty key or one over
// wire::kMaxKeyBytes. `what` names it in the message ("argument 2", "line 7").
shardkit::Result<std::string> ParseKey(std::string_view escaped, const std::string& what);

// Prints key<TAB>value, both escaped; JSON: {"key":..,"value":..} with the
// same escaped strings.
void PutKeyValue(shardkit::cli::Writer& w, bool json, std::string_view key, std::string_view value);

// Prints an admin table (daemon::WriteTable) and flushes.
int PrintTable(const shardkit::cli::Tool& tool, bool json, const shardkit::wire::AdminReply& table);

// Positive integer flag value; Usage naming the flag otherwise.
shardkit::Result<uint64_t> PositiveFlag(const shardkit::cli::VerbParser& p, const std::string& flag,
                                        uint64_t max);

template <class Request, class Response>
shardkit::Status Conn::Call(const Request& request, Response* response) {
  shardkit::wire::EncodeBodyTo(request, &body_);
  auto reply = Call(Request::kType, body_);
  if (!reply.ok()) return reply.status();
  if (reply->header.type != Response::kType) {
    return shardkit::Status::DataError(
        endpoint() + ": expected a " + std::string(shardkit::wire::MsgTypeName(Response::kType)) +
        " reply, got " + std::string(shardkit::wire::MsgTypeName(reply->header.type)));
  }
  return shardkit::wire::DecodeBody(reply->body(), response).Prefixed(endpoint());
}

}  // namespace txpart
