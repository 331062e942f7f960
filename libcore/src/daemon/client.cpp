#include "shardkit/daemon/client.h"

#include <zmq.hpp>

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
  out->endpoint = p.Get<std::string>("connect");
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

Result<wire::AdminReply> CallAdmin(const net::ConnectOptions& options, const std::string& verb,
                                   std::vector<std::string> args) {
  zmq::context_t context;
  auto client = net::Client::Connect(context, options);
  if (!client.ok()) return client.status();
  wire::AdminRequest req{verb, std::move(args)};
  wire::AdminReply reply;
  SK_RETURN_IF_ERROR(client->Call(req, &reply));
  for (const auto& row : reply.rows) {
    if (row.size() != reply.columns.size()) {
      return Status::DataError(options.endpoint + ": malformed admin reply: row has " +
                               std::to_string(row.size()) + " cells for " +
                               std::to_string(reply.columns.size()) + " columns");
    }
  }
  return reply;
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

}  // namespace shardkit::daemon
