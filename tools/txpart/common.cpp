#include "common.h"

#include <chrono>

#include "shardkit/daemon/client.h"
#include "shardkit/txn/script.h"

namespace txpart {

using namespace shardkit;

Result<std::unique_ptr<Conn>> Conn::Open(const net::ConnectOptions& options) {
  auto conn = std::make_unique<Conn>(options);
  auto client = net::Client::Connect(conn->context_, options);
  if (!client.ok()) return client.status();
  conn->client_.emplace(std::move(*client));
  return conn;
}

Result<net::Reply> Conn::Call(wire::MsgType type, std::string_view body) {
  using Clock = std::chrono::steady_clock;
  const int tries = std::max(options_.retries, 0) + 1;
  for (int attempt = 0; attempt < tries; ++attempt) {
    auto id = client_->Send(type, body);
    if (!id.ok()) {
      if (id.status().code() != Code::kTemporary) return id.status();
      // Nothing could be queued: no connection. Before any answer that means
      // the server is not there (or refuses our CURVE key).
      if (!answered_) {
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
      SK_RETURN_IF_ERROR(client_->ReplyStatus(*reply));
      return std::move(*reply);
    }
  }
  return Status::Temporary("no reply from " + endpoint() + ": timed out after " +
                           std::to_string(tries) + (tries == 1 ? " try" : " tries"));
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

int Connect(const cli::Tool& tool, const cli::VerbParser& p, std::unique_ptr<Conn>* out) {
  net::ConnectOptions options;
  Status s = daemon::ConnectFlags(p, &options);
  if (s.code() == Code::kUsage) return p.UsageError(s.message());
  if (!s.ok()) return cli::Fail(tool, s);
  auto conn = Conn::Open(options);
  if (!conn.ok()) {
    if (conn.status().code() == Code::kUsage) return p.UsageError(conn.status().message());
    return cli::Fail(tool, conn.status());
  }
  *out = std::move(*conn);
  return 0;
}

Result<std::string> ParseKey(std::string_view escaped, const std::string& what) {
  auto key = txn::UnescapeField(escaped);
  if (!key.ok()) return key.status().Prefixed(what);
  if (key->empty()) return Status::DataError(what + ": empty key");
  if (key->size() > wire::kMaxKeyBytes) {
    return Status::DataError(what + ": key of " + std::to_string(key->size()) + " bytes, limit " +
                             std::to_string(wire::kMaxKeyBytes));
  }
  return key;
}

void PutKeyValue(cli::Writer& w, bool json, std::string_view key, std::string_view value) {
  const std::string k = txn::EscapeField(key), v = txn::EscapeField(value);
  if (json) {
    cli::Record(w, true).Str("key", k).Str("value", v).End();
    return;
  }
  // Escaped fields hold no tab or newline: print them as they are (a TSV
  // writer would double every backslash).
  w.Put(k);
  w.Put('\t');
  w.Put(v);
  w.Put('\n');
}

int PrintTable(const cli::Tool& tool, bool json, const wire::AdminReply& table) {
  cli::Writer w;
  daemon::WriteTable(w, json, table);
  Status s = w.Flush();
  return s.ok() ? 0 : cli::Fail(tool, s);
}

Result<uint64_t> PositiveFlag(const cli::VerbParser& p, const std::string& flag, uint64_t max) {
  const uint64_t v = p.Get<uint64_t>(flag);
  if (v == 0 || v > max) {
    return Status::Usage("--" + flag + " must be 1.." + std::to_string(max));
  }
  return v;
}

}  // namespace txpart
