#include "shardkit/daemon/client.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "shardkit/cli/log.h"
#include "shardkit/daemon/node.h"
#include "shardkit/net/client.h"
#include "shardkit/net/curve.h"

namespace shardkit::daemon {

void AddConnectFlags(cli::VerbParser& p, const std::string& what, int timeout_ms) {
  p.Add()("connect", what, cxxopts::value<std::string>(), "EP")(
      "server-key", "the server's CURVE public key: Z85 or a .key file",
      cxxopts::value<std::string>(),
      "KEY|FILE")("curve-secret", "this client's NAME.secret file (needs --server-key)",
                  cxxopts::value<std::string>(),
                  "FILE")("timeout", "milliseconds to wait for each reply",
                          cxxopts::value<int>()->default_value(std::to_string(timeout_ms)),
                          "MS")("retries", "resends of an unanswered request",
                                cxxopts::value<int>()->default_value("2"), "N");
}

Status ConnectFlags(const cli::VerbParser& p, net::ConnectOptions* out) {
  if (!p.Has("connect")) return Status::Usage("--connect is required");
  int timeout = p.Get<int>("timeout"), retries = p.Get<int>("retries");
  if (timeout <= 0) return Status::Usage("--timeout must be positive");
  if (retries < 0) return Status::Usage("--retries must not be negative");
  const std::string connect = p.Get<std::string>("connect");
  if (auto set = ReplicaSet::Parse(connect); !set.ok()) return set.status().Prefixed("--connect");
  out->endpoint = connect;
  out->timeout = std::chrono::milliseconds(timeout);
  out->retries = retries;
  if (p.Has("server-key")) {
    out->server_key = p.Get<std::string>("server-key");
    if (!net::IsZ85Key(out->server_key)) {
      auto key = net::ReadPublicKey(out->server_key);
      if (!key.ok()) return key.status();
      out->server_key = *key;
    }
  }
  if (p.Has("curve-secret")) out->curve_secret_file = p.Get<std::string>("curve-secret");
  return Status::Ok();
}

Result<std::unique_ptr<Conn>> Conn::Open(const net::ConnectOptions& options) {
  auto set = ReplicaSet::Parse(options.endpoint);
  if (!set.ok()) return set.status();
  auto conn = std::make_unique<Conn>(options, std::move(*set));
  conn->options_.endpoint = conn->set_.current();
  auto client = net::Client::Connect(conn->context_, conn->options_);
  if (!client.ok()) return client.status();
  conn->client_.emplace(std::move(*client));
  return conn;
}

Status Conn::SwitchTo(size_t i) {
  set_.Select(i);
  options_.endpoint = set_.current();
  client_.reset();  // replies still on the way from the old member are dropped with it
  auto client = net::Client::Connect(context_, options_);
  if (!client.ok()) return client.status();
  client_.emplace(std::move(*client));
  return Status::Ok();
}

Result<net::Reply> Conn::CallMember(wire::MsgType type, std::string_view body, Miss* miss,
                                    std::string* hint) {
  using Clock = std::chrono::steady_clock;
  *miss = Miss::kNone;
  const bool alone = set_.size() == 1;
  const int tries = std::max(options_.retries, 0) + 1;
  for (int attempt = 0; attempt < tries; ++attempt) {
    auto id = client_->Send(type, body);
    if (!id.ok()) {
      if (id.status().code() != Code::kTemporary) return id.status();
      // Nothing could be queued: no connection. Before any answer that means
      // the server is not there (or refuses our CURVE key); with a list,
      // another member may be there.
      if (!alone || !answered_) {
        *miss = Miss::kUnreachable;
        return Status::Unavailable("cannot reach " + endpoint() + ": no connection within " +
                                   std::to_string(options_.timeout.count()) + " ms");
      }
      continue;
    }
    const auto deadline = Clock::now() + options_.timeout;
    while (true) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) break;
      auto reply = client_->Receive(left);
      if (!reply.ok()) {
        if (reply.status().code() == Code::kTemporary) break;
        return reply.status();
      }
      if (reply->header.request_id != *id) continue;  // a late answer to an earlier try
      answered_ = true;
      if (!alone) {
        if (auto reason = NotPrimaryReason(*reply)) {
          *miss = Miss::kNotPrimary;
          *hint = std::string(PrimaryHint(*reason));
        }
      }
      SK_RETURN_IF_ERROR(client_->ReplyStatus(*reply));
      return std::move(*reply);
    }
  }
  *miss = Miss::kUnanswered;
  return Status::Temporary("no reply from " + endpoint() + ": timed out after " +
                           std::to_string(tries) + (tries == 1 ? " try" : " tries"));
}

size_t Conn::NextMember(const std::string& hint, const std::vector<int>& tried) const {
  const size_t n = set_.size();
  if (const size_t named = hint.empty() ? n : set_.Find(hint);
      named != n && named != set_.index() && tried[named] < kRounds) {
    return named;
  }
  // The others in list order, then the current member itself.
  for (size_t k = 1; k <= n; ++k) {
    const size_t i = (set_.index() + k) % n;
    if (tried[i] < kRounds) return i;
  }
  return n;
}

Result<net::Reply> Conn::Call(wire::MsgType type, std::string_view body) {
  std::vector<int> tried(set_.size(), 0);
  std::optional<Status> reached;  // the last error of a member that took the request
  while (true) {
    ++tried[set_.index()];
    Miss miss;
    std::string hint;
    auto reply = CallMember(type, body, &miss, &hint);
    if (miss == Miss::kNone || set_.size() == 1) return reply;
    if (miss != Miss::kUnreachable) reached = reply.status();
    const size_t next = NextMember(hint, tried);
    if (next == set_.size()) break;
    const char* why = miss == Miss::kNotPrimary    ? "not primary"
                      : miss == Miss::kUnreachable ? "unreachable"
                                                   : "no reply";
    cli::LogInfo("trying next endpoint",
                 {{"from", endpoint()}, {"to", set_.members()[next]}, {"reason", why}});
    if (tried[next] > 0) std::this_thread::sleep_for(kRoundPause);
    SK_RETURN_IF_ERROR(SwitchTo(next));
  }
  if (reached) return *reached;  // Temporary: a NOT_PRIMARY or no reply
  std::string all;
  for (const std::string& ep : set_.members()) all += (all.empty() ? "" : ", ") + ep;
  const std::string what = "cannot reach any of " + all + ": no connection within " +
                           std::to_string(options_.timeout.count()) + " ms";
  return answered_ ? Status::Temporary(what) : Status::Unavailable(what);
}

Result<wire::AdminReply> Conn::Admin(const std::string& verb, std::vector<std::string> args) {
  wire::AdminRequest req{verb, std::move(args)};
  wire::AdminReply reply;
  SK_RETURN_IF_ERROR(Call(req, &reply));
  for (const auto& row : reply.rows) {
    if (row.size() != reply.columns.size()) {
      return Status::DataError(endpoint() + ": malformed admin reply: row has " +
                               std::to_string(row.size()) + " cells for " +
                               std::to_string(reply.columns.size()) + " columns");
    }
  }
  return reply;
}

Result<wire::AdminReply> CallAdmin(const net::ConnectOptions& options, const std::string& verb,
                                   std::vector<std::string> args) {
  auto conn = Conn::Open(options);
  if (!conn.ok()) return conn.status();
  return (*conn)->Admin(verb, std::move(args));
}

void WriteTable(cli::Writer& w, bool json, const wire::AdminReply& table, bool header) {
  if (header && !json) {
    w.Put("# ");
    for (size_t i = 0; i < table.columns.size(); ++i) {
      if (i) w.Put('\t');
      w.Put(table.columns[i]);
    }
    w.Put('\n');
  }
  for (const auto& row : table.rows) {
    cli::Record rec(w, json);
    for (size_t i = 0; i < row.size() && i < table.columns.size(); ++i) {
      rec.Str(table.columns[i], row[i]);
    }
    rec.End();
  }
}

int RunFailpointsVerb(const cli::Tool& tool, const cli::Verb& verb, int argc, char** argv,
                      const std::string& role) {
  cli::VerbParser p(tool, verb, "");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(0, 0, &rc)) return rc;
  cli::Writer w;
  for (const std::string& name : KnownFailpoints(role)) {
    cli::Record(w, p.json()).Str("name", name).End();
  }
  Status s = w.Flush();
  return s.ok() ? 0 : cli::Fail(tool, s);
}

int CallAdminVerb(const cli::Tool& tool, const cli::VerbParser& p, const std::string& admin_verb,
                  std::vector<std::string> args) {
  net::ConnectOptions co;
  if (Status s = ConnectFlags(p, &co); !s.ok()) {
    return s.code() == Code::kUsage ? p.UsageError(s.message()) : cli::Fail(tool, s);
  }
  auto reply = CallAdmin(co, admin_verb, std::move(args));
  if (!reply.ok()) return cli::Fail(tool, reply.status());
  cli::Writer w;
  WriteTable(w, p.json(), *reply);
  Status s = w.Flush();
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace shardkit::daemon
