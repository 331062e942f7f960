// The client side shared by the txpart and txcoord verbs: the connect flags
// every client verb takes, and admin requests printed as tables.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "shardkit/cli/output.h"
#include "shardkit/cli/tool.h"
#include "shardkit/daemon/replica_set.h"
#include "shardkit/net/client.h"
#include "shardkit/net/connect.h"
#include "shardkit/status/status.h"
#include "shardkit/wire/codec.h"
#include "shardkit/wire/messages.h"

namespace shardkit::daemon {

// Adds --connect EP[,EP...], --server-key KEY|FILE, --curve-secret FILE,
// --timeout MS (default `timeout_ms`) and --retries N (default 2).
void AddConnectFlags(cli::VerbParser& p, const std::string& what, int timeout_ms = 2000);

// Reads the flags AddConnectFlags added into *out; out->endpoint is the
// --connect value as given, one endpoint or a replica set's list. Usage
// errors (a missing --connect, a bad endpoint list (ReplicaSet::Parse), a
// bad number) and key-file errors come back as Status.
Status ConnectFlags(const cli::VerbParser& p, net::ConnectOptions* out);

// One client connection to a daemon (txpart or txcoord serve), or to a
// replica set of them: options.endpoint is one endpoint or a list
// "EP1,EP2,..." (replica_set.h; the server key, if any, is the same for all).
//
// Conn talks to one member at a time, the first to begin with, and keeps
// to the one that last answered. On that member a request is sent, waited
// for `timeout` and resent (a new request id each time) up to `retries`
// times. Then, with a list, Conn sends the same request again (new id) to
// another member (the one a NOT_PRIMARY hint names, else the next) when
// the current member
//   * answered NOT_PRIMARY (a standby),
//   * could not be reached (no connection within the timeout), or
//   * left every try unanswered.
// Each member is tried at most kRounds times per call, with a pause of
// kRoundPause before a member is tried again, so a failover has a moment to
// finish. Every move is logged at info ("trying next endpoint", from, to,
// reason). Resending is safe because every request the client verbs send is
// idempotent: reads, admin requests, direct puts and deletes, and SUBMITs
// with client txids.
//
// Errors, with the rule of `ringctl query`:
//   * Unavailable (exit 69) only when no member could be reached at all
//     (nothing could even be queued to any of them within the timeout) and
//     nothing was ever answered on this Conn: the server is not there, or
//     refuses our CURVE key;
//   * Temporary (exit 75) otherwise when the request got no answer or only
//     NOT_PRIMARY: the last member's error;
//   * any other error reply (REFUSED, BAD_REQUEST, UNSUPPORTED...) or a
//     malformed reply comes back at once, from the member that sent it.
// One endpoint behaves as it always did: no moves, and a NOT_PRIMARY is
// returned as Temporary at once.
class Conn {
 public:
  static constexpr int kRounds = 2;
  static constexpr std::chrono::milliseconds kRoundPause{200};

  // Parses options.endpoint (ReplicaSet::Parse: Usage for a bad list) and
  // connects (asynchronously) to its first member. Other errors are
  // net::Connect's.
  static Result<std::unique_ptr<Conn>> Open(const net::ConnectOptions& options);

  // Sends one request and waits for its reply. An ErrorReply becomes its
  // Status, prefixed with the member's endpoint.
  Result<net::Reply> Call(wire::MsgType type, std::string_view body);

  // Typed Call: checks the reply type and decodes it into *response.
  template <class Request, class Response>
  Status Call(const Request& request, Response* response);

  // An admin request; a reply whose rows do not match its columns is
  // DataError.
  Result<wire::AdminReply> Admin(const std::string& verb, std::vector<std::string> args = {});

  // The member talked to now (after a call: the one that answered it).
  const std::string& endpoint() const { return set_.current(); }
  const ReplicaSet& replica_set() const { return set_; }

  // Use Open().
  Conn(net::ConnectOptions options, ReplicaSet set)
      : options_(std::move(options)), set_(std::move(set)) {}

 private:
  // Why a member did not answer a request usefully.
  enum class Miss { kNone, kUnreachable, kNotPrimary, kUnanswered };

  // Sends the request to the current member with its retries; *miss says
  // whether another member might do better (kNone: the result is final),
  // *hint the primary a NOT_PRIMARY named.
  Result<net::Reply> CallMember(wire::MsgType type, std::string_view body, Miss* miss,
                                std::string* hint);
  // The member to try after the current one, or size() when none is left.
  size_t NextMember(const std::string& hint, const std::vector<int>& tried) const;
  // Replaces the client with one connected to member `i`.
  Status SwitchTo(size_t i);

  net::ConnectOptions options_;  // endpoint: the current member
  ReplicaSet set_;
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

// The client half of an admin verb, once its flags are parsed: the connect
// flags of `p` (AddConnectFlags), one AdminRequest, and the reply table
// printed as TSV or JSON Lines (--json). Returns the exit code.
int CallAdminVerb(const cli::Tool& tool, const cli::VerbParser& p, const std::string& admin_verb,
                  std::vector<std::string> args = {});

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
