// ringctl query: locate keys through a `ringctl serve` over ZeroMQ. Prints
// exactly what `ringctl locate` prints. Keys go out in batches, with a window
// of batches in flight; output keeps input order.
#include <chrono>
#include <deque>

#include "common.h"
#include "shardkit/cli/input.h"
#include "shardkit/cli/log.h"
#include "shardkit/cli/output.h"
#include "shardkit/daemon/client.h"
#include "shardkit/net/client.h"
#include "shardkit/wire/codec.h"
#include "shardkit/wire/messages.h"
#include "verbs.h"

namespace ringctl {

using namespace shardkit;

namespace {

// Keys per request are also capped by bytes, well under the 16 MiB message
// limit (a key may be up to 1 MiB).
constexpr size_t kMaxRequestKeyBytes = 4 << 20;
// The server's bound on keys x replicas per reply.
constexpr size_t kMaxOwnersPerReply = 1 << 22;

struct Batch {
  uint64_t id = 0;
  int tries = 0;
  std::vector<std::string> keys;
  std::string body;
  std::optional<wire::LocateReply> reply;
};

// Reads up to `n` keys from the arguments or the reader; false when none is left.
class KeySource {
 public:
  KeySource(const std::vector<std::string>& args, cli::LineReader* in) : args_(args), in_(in) {}
  // Stops at `n` keys or once `max_bytes` of keys are taken, so a request
  // always fits in one message.
  bool Fill(size_t n, size_t max_bytes, std::vector<std::string>* out) {
    std::string_view line;
    size_t bytes = 0;
    while (out->size() < n && bytes < max_bytes) {
      if (in_ == nullptr) {
        if (next_ >= args_.size()) break;
        bytes += args_[next_].size() + 8;
        out->push_back(args_[next_++]);
      } else if (in_->Next(&line)) {
        bytes += line.size() + 8;
        out->emplace_back(line);
      } else {
        break;
      }
    }
    return !out->empty();
  }

 private:
  const std::vector<std::string>& args_;
  size_t next_ = 0;
  cli::LineReader* in_;
};

}  // namespace

int RunQuery(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "[KEY...|-]");
  daemon::AddConnectFlags(p, "the ringctl serve endpoint");
  p.Add()("replicas", "print N distinct nodes per key, distinct zones first",
          cxxopts::value<uint32_t>()->default_value("1"),
          "N")("batch", "keys per request", cxxopts::value<size_t>()->default_value("1000"), "N")(
      "window", "requests in flight", cxxopts::value<size_t>()->default_value("8"), "N");
  if (!p.Parse(argc, argv)) return 0;
  size_t batch = p.Get<size_t>("batch"), window = p.Get<size_t>("window");
  uint32_t replicas = p.Get<uint32_t>("replicas");
  if (batch == 0 || batch > 100000) return p.UsageError("--batch must be 1..100000");
  if (window == 0 || window > 1024) return p.UsageError("--window must be 1..1024");
  if (replicas == 0 || replicas > 64) return p.UsageError("--replicas must be 1..64");
  if (batch * replicas > kMaxOwnersPerReply) {
    return p.UsageError("--batch times --replicas must be at most " +
                        std::to_string(kMaxOwnersPerReply));
  }

  net::ConnectOptions co;
  if (Status s = daemon::ConnectFlags(p, &co); !s.ok()) {
    return s.code() == Code::kUsage ? p.UsageError(s.message()) : cli::Fail(tool, s);
  }
  const int retries = co.retries;

  const auto& args = p.args();
  bool from_stdin = args.empty() || (args.size() == 1 && args[0] == "-");
  cli::LineReader in;
  if (from_stdin) {
    Status s = in.Open("-");
    if (!s.ok()) return cli::Fail(tool, s);
  }
  KeySource source(args, from_stdin ? &in : nullptr);

  zmq::context_t context;
  auto client = net::Client::Connect(context, co);
  if (!client.ok()) return cli::Fail(tool, client.status());

  cli::Writer w(1, 1 << 18);
  std::deque<Batch> pending;
  bool input_done = false, answered = false;
  uint64_t generation = 0;
  const auto wait = co.timeout;
  auto send = [&](Batch& b) -> Status {
    auto id = client->Send(wire::MsgType::kLocateRequest, b.body);
    if (!id.ok()) {
      if (!answered) return Status::Unavailable("cannot reach " + co.endpoint);
      return id.status();
    }
    b.id = *id;
    ++b.tries;
    return Status::Ok();
  };
  auto fail = [&](const Status& s) {
    (void)w.Flush();
    return cli::Fail(tool, s);
  };

  while (true) {
    while (!input_done && pending.size() < window) {
      Batch b;
      if (!source.Fill(batch, kMaxRequestKeyBytes, &b.keys)) {
        input_done = true;
        break;
      }
      wire::LocateRequest req;
      req.replicas = replicas;
      req.keys = std::move(b.keys);
      wire::EncodeBodyTo(req, &b.body);
      b.keys = std::move(req.keys);
      if (Status s = send(b); !s.ok()) return fail(s);
      pending.push_back(std::move(b));
    }
    if (!in.status().ok()) return fail(in.status());
    if (pending.empty()) break;

    auto reply = client->Receive(wait);
    if (!reply.ok()) {
      if (reply.status().code() != Code::kTemporary) return fail(reply.status());
      // Nothing within the timeout: resend everything still unanswered
      // (lookups are idempotent), or give up.
      if (pending.front().tries > retries) {
        return fail(Status::Temporary("no reply from " + co.endpoint + ": timed out after " +
                                      std::to_string(pending.front().tries) + " tries"));
      }
      cli::LogDebug("resending", {{"batches", std::to_string(pending.size())}});
      for (Batch& b : pending) {
        if (b.reply) continue;
        if (Status s = send(b); !s.ok()) return fail(s);
      }
      continue;
    }
    answered = true;
    Batch* target = nullptr;
    for (Batch& b : pending) {
      if (b.id == reply->header.request_id) target = &b;
    }
    if (target == nullptr || target->reply) continue;  // a late answer to an earlier try
    if (Status s = client->ReplyStatus(*reply); !s.ok()) return fail(s);
    wire::LocateReply lr;
    if (Status s = wire::DecodeBody(reply->body(), &lr); !s.ok()) return fail(s);
    if (Status s = wire::ValidateLocateReply(lr, target->keys.size()); !s.ok()) return fail(s);
    if (lr.replicas != replicas) {
      return fail(Status::DataError(co.endpoint + ": reply has the wrong replica count"));
    }
    if (generation != 0 && lr.generation != generation) {
      cli::LogWarn("the ring changed during the query",
                   {{"old_generation", ring::GenerationHex(generation)},
                    {"new_generation", ring::GenerationHex(lr.generation)}});
    }
    generation = lr.generation;
    target->reply = std::move(lr);
    while (!pending.empty() && pending.front().reply) {
      const Batch& b = pending.front();
      const wire::LocateReply& r = *b.reply;
      for (size_t i = 0; i < b.keys.size(); ++i) {
        PutLocation(w, p.json(), b.keys[i], &r.owners[i * r.replicas], r.replicas, r.names,
                    r.endpoints);
      }
      pending.pop_front();
    }
  }
  cli::LogDebug("query done", {{"generation", ring::GenerationHex(generation)}});
  Status s = w.Flush();
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace ringctl
