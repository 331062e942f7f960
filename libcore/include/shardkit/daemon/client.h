// The client side shared by the txpart and txcoord verbs: the connect flags
// every client verb takes, and admin requests printed as tables.
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
#include "shardkit/wire/codec.h"
#include "shardkit/wire/messages.h"

namespace shardkit::daemon {

// Adds --connect EP, --server-key KEY|FILE, --curve-secret FILE,
// --timeout MS (default `timeout_ms`) and --retries N (default 2).
void AddConnectFlags(cli::VerbParser& p, const std::string& what, int timeout_ms = 2000);

// Reads the flags AddConnectFlags added into *out. Usage errors (a missing
// --connect, a bad number) and key-file errors come back as Status.
Status ConnectFlags(const cli::VerbParser& p, net::ConnectOptions* out);

// One client connection to a daemon (txpart or txcoord serve), with the reachability rule of
// `ringctl query`: when no request can even be queued within the timeout
// and nothing was ever answered, the server is unreachable (Unavailable,
// exit 69); a request sent but never answered after all retries is
// Temporary (exit 75). A retry is a new request with a new id.
class Conn {
 public:
  // Connects (asynchronously) per `options`. Errors are net::Connect's.
  static Result<std::unique_ptr<Conn>> Open(const net::ConnectOptions& options);

  // Sends one request and waits for its reply. An ErrorReply becomes its
  // Status, prefixed with the endpoint.
  Result<net::Reply> Call(wire::MsgType type, std::string_view body);

  // Typed Call: checks the reply type and decodes it into *response.
  template <class Request, class Response>
  Status Call(const Request& request, Response* response);

  // An admin request; a reply whose rows do not match its columns is
  // DataError.
  Result<wire::AdminReply> Admin(const std::string& verb, std::vector<std::string> args = {});

  const std::string& endpoint() const { return options_.endpoint; }

  // Use Open().
  explicit Conn(net::ConnectOptions options) : options_(std::move(options)) {}

 private:
  net::ConnectOptions options_;
  zmq::context_t context_;  // outlives client_ (declared before it)
  std::optional<net::Client> client_;
  bool answered_ = false;
  std::string body_;
};

// Connects and sends one AdminRequest (Conn::Admin).
Result<wire::AdminReply> CallAdmin(const net::ConnectOptions& options, const std::string& verb,
                                   std::vector<std::string> args = {});

// Prints every row of `table`: TSV fields in column order, or one JSON
// object per row keyed by column name. With `header`, TSV output starts
// with a "# col1<TAB>col2..." comment line.
void WriteTable(cli::Writer& w, bool json, const wire::AdminReply& table, bool header = false);

// The `failpoints` verb of a daemon tool: every failpoint name a `role`
// serve can hit (KnownFailpoints), one per line ({"name":...} with --json),
// so fault tests can enumerate them.
int RunFailpointsVerb(const cli::Tool& tool, const cli::Verb& verb, int argc, char** argv,
                      const std::string& role);

template <class Request, class Response>
Status Conn::Call(const Request& request, Response* response) {
  wire::EncodeBodyTo(request, &body_);
  auto reply = Call(Request::kType, body_);
  if (!reply.ok()) return reply.status();
  if (reply->header.type != Response::kType) {
    return Status::DataError(endpoint() + ": expected a " +
                             std::string(wire::MsgTypeName(Response::kType)) + " reply, got " +
                             std::string(wire::MsgTypeName(reply->header.type)));
  }
  return wire::DecodeBody(reply->body(), response).Prefixed(endpoint());
}

}  // namespace shardkit::daemon
