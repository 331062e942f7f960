#include "common.h"

#include <chrono>

#include "shardkit/daemon/client.h"
#include "shardkit/repl/ack_level.h"
#include "shardkit/txn/script.h"

namespace txpart {

using namespace shardkit;

int Connect(const cli::Tool& tool, const cli::VerbParser& p, std::unique_ptr<daemon::Conn>* out) {
  net::ConnectOptions options;
  Status s = daemon::ConnectFlags(p, &options);
  if (s.code() == Code::kUsage) return p.UsageError(s.message());
  if (!s.ok()) return cli::Fail(tool, s);
  auto conn = daemon::Conn::Open(options);
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

void AddFreshnessFlags(cli::VerbParser& p) {
  p.Add()("min-lsn",
          "read-your-writes: wait (up to --timeout) until the member has applied LSN N, "
          "as printed by put and del",
          cxxopts::value<uint64_t>()->default_value("0"),
          "N")("max-staleness",
               "on a standby: wait (up to --timeout) until it was in sync with the primary "
               "at most MS milliseconds ago",
               cxxopts::value<uint64_t>()->default_value("0"), "MS");
}

void AddAckFlag(cli::VerbParser& p) {
  p.Add()("ack",
          "ack level on top of the group's: none, local, received:K, flushed:K or applied:K; "
          "exit 75 when not met in time",
          cxxopts::value<std::string>(), "LEVEL");
}

Result<std::string> AckFlag(const cli::VerbParser& p) {
  if (!p.Has("ack")) return std::string();
  const std::string text = p.Get<std::string>("ack");
  auto level = repl::ParseAckLevel(text);
  if (!level.ok()) return Status::Usage("--ack: " + level.status().message());
  return text;
}

}  // namespace txpart
