// txcoord submit: run the transactions of a script (DESIGN.md §7) read from
// stdin. Up to --window SUBMITs are in flight on one DEALER connection; the
// results come out in input order. Memory is bounded by the window (and by
// kMaxWindowBytes of encoded transactions), however long the input.
//
// Every transaction carries a client txid, so a SUBMIT resent after a
// timeout is the same transaction to the coordinator, never a second one.
// Only the reply to the latest send of a txid counts (coordinator.h).
//
// --connect may list a coordinator's replica set, "EP1,EP2,..." primary
// first (daemon/replica_set.h). The window then follows the primary: when
// the member in use answers NOT_PRIMARY, cannot be reached, or leaves a
// transaction unanswered for --timeout without answering anything at all,
// the connection moves to another member (the one a NOT_PRIMARY hint names,
// else the next) and every transaction still without a result is sent
// there again, as the same client txid. At most Conn::kRounds visits per
// member are made without a result in between, pausing Conn::kRoundPause
// before a member is visited again.
//
// Transactions of one script run as if one after the other: a transaction
// that touches a key of one still in flight waits until that one has its
// result (and nothing after it is sent meanwhile), so a script's dependent
// transactions never conflict with each other under no-wait locking, while
// independent ones still overlap.
#include <algorithm>
#include <chrono>
#include <deque>
#include <iostream>
#include <optional>
#include <unordered_map>

#include "common.h"
#include "shardkit/cli/log.h"
#include "shardkit/daemon/client.h"
#include "shardkit/daemon/replica_set.h"
#include "shardkit/net/client.h"
#include "shardkit/txn/ops.h"
#include "shardkit/txn/script.h"
#include "shardkit/wire/codec.h"
#include "verbs.h"

namespace txcoord {

using namespace shardkit;

namespace {

using Clock = std::chrono::steady_clock;

// Encoded transactions in flight, at most (at least one is always allowed).
constexpr size_t kMaxWindowBytes = size_t{64} << 20;

struct Pending {
  std::string txid;
  std::string body;  // the encoded Submit, kept for resends
  uint64_t id = 0;   // request id of the latest send (0: none to this member)
  int tries = 0;     // sends to the current member
  Clock::time_point sent;
  Clock::time_point deadline;
  bool done = false;
  wire::SubmitResult result;
  std::vector<std::string> keys;  // distinct keys, while in flight
};

// Client txids: --txid ID names the first transaction ID and the Nth ID.N;
// otherwise "sub-<12 random hex>.N". N counts every transaction of the
// input, malformed ones included, so rerunning the same input reuses the
// same txids (and gets the remembered outcomes instead of running twice).
class TxidSource {
 public:
  TxidSource(std::string base, bool explicit_first)
      : base_(std::move(base)), explicit_first_(explicit_first) {}
  std::string Next() {
    ++n_;
    if (explicit_first_ && n_ == 1) return base_;
    return base_ + "." + std::to_string(n_);
  }

 private:
  std::string base_;
  bool explicit_first_;
  uint64_t n_ = 0;
};

}  // namespace

int RunSubmit(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "");
  daemon::AddConnectFlags(p, "the txcoord serve endpoint", 5000);
  p.Add()("txid", "client txid of the first transaction; later ones get ID.2, ID.3, ...",
          cxxopts::value<std::string>(), "ID")("window", "transactions in flight",
                                               cxxopts::value<size_t>()->default_value("64"), "W");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(0, 0, &rc)) return rc;
  net::ConnectOptions co;
  if (Status s = daemon::ConnectFlags(p, &co); !s.ok()) {
    return s.code() == Code::kUsage ? p.UsageError(s.message()) : cli::Fail(tool, s);
  }
  const size_t window = p.Get<size_t>("window");
  if (window == 0 || window > 4096) return p.UsageError("--window must be 1..4096");
  std::string base;
  const bool explicit_txid = p.Has("txid");
  if (explicit_txid) {
    base = p.Get<std::string>("txid");
    // Room for ".N" on later transactions.
    if (Status s = txn::ValidateTxid(base, wire::kMaxClientTxidBytes - 21); !s.ok()) {
      return p.UsageError("--txid: " + s.message());
    }
  } else {
    auto hex = RandomHex(12);
    if (!hex.ok()) return cli::Fail(tool, hex.status());
    base = "sub-" + *hex;
  }
  TxidSource txids(base, explicit_txid);

  auto set = daemon::ReplicaSet::Parse(co.endpoint);
  if (!set.ok()) return p.UsageError(set.status().message());
  zmq::context_t context;
  std::optional<net::Client> client;
  auto connect = [&]() -> Status {
    client.reset();  // what the member left behind still owes us is dropped
    net::ConnectOptions one = co;
    one.endpoint = set->current();
    auto c = net::Client::Connect(context, one);
    if (!c.ok()) return c.status();
    client.emplace(std::move(*c));
    return Status::Ok();
  };
  if (Status s = connect(); !s.ok()) return cli::Fail(tool, s);

  std::ios::sync_with_stdio(false);
  txn::ScriptReader reader(std::cin);
  cli::Writer w;
  const bool json = p.json();
  std::deque<Pending> pending;
  uint64_t front_seq = 0;                        // sequence number of pending.front()
  std::unordered_map<uint64_t, uint64_t> by_id;  // latest request id -> sequence number
  size_t window_bytes = 0;
  std::unordered_map<std::string, uint32_t> busy_keys;  // keys of unanswered transactions
  std::optional<Pending> held;  // read, but waits for a transaction on its keys
  bool input_done = false, answered = false, reached = false;
  // Moving between members (one endpoint never moves): how many moves may
  // still be made before a result, and how many were made since the last.
  const int max_moves = daemon::Conn::kRounds * static_cast<int>(set->size()) - 1;
  int moves_made = 0;
  Clock::time_point last_heard{};  // the latest reply from the current member
  bool bad_input = false, any_aborted = false, any_unknown = false;

  auto fail = [&](const Status& s) {
    (void)w.Flush();
    return cli::Fail(tool, s);
  };
  // Moves to another member and schedules every transaction without a
  // result for sending there at once (by the deadline pass below), as
  // first tries. Request ids are per connection, so the old ones are
  // forgotten. False when there is no other member or the moves are used
  // up.
  auto move_on = [&](const char* why, std::string_view hint) -> Result<bool> {
    if (set->size() == 1 || moves_made >= max_moves) return false;
    const std::string from = set->current();
    set->Advance(hint);
    ++moves_made;
    cli::LogInfo("trying next endpoint", {{"from", from}, {"to", set->current()}, {"reason", why}});
    SK_RETURN_IF_ERROR(connect());
    by_id.clear();
    last_heard = {};
    const bool revisit = moves_made >= static_cast<int>(set->size());
    const auto when = Clock::now() + (revisit ? daemon::Conn::kRoundPause : Clock::duration{});
    for (Pending& e : pending) {
      if (e.done) continue;
      e.id = 0;
      e.tries = 0;
      e.deadline = when;
    }
    return true;
  };
  auto send = [&](Pending& e, uint64_t seq) -> Status {
    auto id = client->Send(wire::MsgType::kSubmit, e.body);
    if (!id.ok()) {
      if (id.status().code() == Code::kTemporary) {  // no connection within the timeout
        auto moved = move_on("unreachable", {});
        if (!moved.ok()) return moved.status();
        if (*moved) return Status::Ok();  // e goes to the next member
      }
      if (!answered && (set->size() == 1 || !reached)) {
        return Status::Unavailable("cannot reach " + co.endpoint);
      }
      return id.status();
    }
    reached = true;
    if (e.id != 0) by_id.erase(e.id);
    e.id = *id;
    by_id[e.id] = seq;
    ++e.tries;
    e.sent = Clock::now();
    e.deadline = e.sent + co.timeout;
    return Status::Ok();
  };
  auto overlaps = [&](const Pending& e) {
    for (const std::string& k : e.keys) {
      if (busy_keys.count(k) != 0) return true;
    }
    return false;
  };
  auto finish = [&](Pending& e, wire::SubmitResult r) {
    for (const std::string& k : e.keys) {
      if (auto it = busy_keys.find(k); it != busy_keys.end() && --it->second == 0) {
        busy_keys.erase(it);
      }
    }
    std::vector<std::string>().swap(e.keys);
    by_id.erase(e.id);
    window_bytes -= e.body.size();
    std::string().swap(e.body);
    e.result = std::move(r);
    e.done = true;
  };

  while (true) {
    while ((held || !input_done) && pending.size() < window &&
           (pending.empty() || window_bytes < kMaxWindowBytes)) {
      if (held) {
        if (overlaps(*held)) break;
        for (const std::string& k : held->keys) ++busy_keys[k];
        window_bytes += held->body.size();
        pending.push_back(std::move(*held));
        held.reset();
        if (Status s = send(pending.back(), front_seq + pending.size() - 1); !s.ok()) {
          return fail(s);
        }
        continue;
      }
      txn::ScriptTxn t;
      auto more = reader.Next(&t);
      if (!more.ok()) {
        if (more.status().code() != Code::kDataError) return fail(more.status());
        // Nothing of a malformed transaction is sent; the rest still run.
        (void)cli::Fail(tool, more.status());
        bad_input = true;
        (void)txids.Next();
        continue;
      }
      if (!*more) {
        input_done = true;
        break;
      }
      Pending e;
      e.txid = txids.Next();
      for (const wire::Op& op : t.ops) e.keys.push_back(op.key);
      std::sort(e.keys.begin(), e.keys.end());
      e.keys.erase(std::unique(e.keys.begin(), e.keys.end()), e.keys.end());
      wire::EncodeBodyTo(wire::Submit{e.txid, std::move(t.ops)}, &e.body);
      held = std::move(e);  // sent above once no transaction in flight shares a key
    }

    bool printed = false;
    while (!pending.empty() && pending.front().done) {
      const Pending& e = pending.front();
      PutSubmitResult(w, json, e.result);
      if (e.result.outcome == wire::TxOutcome::kAborted) any_aborted = true;
      if (e.result.outcome == wire::TxOutcome::kUnknown) {
        any_unknown = true;
        cli::LogError("outcome unknown; ask the coordinator with: txcoord outcome --connect " +
                          co.endpoint + " " + e.txid,
                      {{"txid", e.txid}});
      }
      pending.pop_front();
      ++front_seq;
      printed = true;
    }
    if (printed) {
      if (Status s = w.Flush(); !s.ok()) return cli::Fail(tool, s);
    }
    if (pending.empty()) {
      if (input_done && !held) break;
      continue;
    }

    // Wait for a reply, at most until the earliest deadline.
    auto now = Clock::now();
    Clock::time_point earliest = Clock::time_point::max();
    for (const Pending& e : pending) {
      if (!e.done && e.deadline < earliest) earliest = e.deadline;
    }
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(earliest - now) +
                std::chrono::milliseconds(1);
    if (wait.count() < 1) wait = std::chrono::milliseconds(1);
    auto reply = client->Receive(wait);
    if (!reply.ok()) {
      if (reply.status().code() != Code::kTemporary) return fail(reply.status());
      now = Clock::now();
      for (size_t i = 0; i < pending.size(); ++i) {
        Pending& e = pending[i];
        if (e.done || e.deadline > now) continue;
        if (e.tries > 0 && last_heard < e.sent) {
          // Nothing at all came back from this member since e was sent.
          auto moved = move_on("no reply", {});
          if (!moved.ok()) return fail(moved.status());
          if (*moved) break;  // everything goes to the next member
        }
        if (e.tries > co.retries) {
          finish(e, wire::SubmitResult{e.txid,
                                       wire::TxOutcome::kUnknown,
                                       "no reply after " + std::to_string(e.tries) + " tries",
                                       "",
                                       {}});
          continue;
        }
        if (e.tries > 0) {
          cli::LogDebug("resending", {{"txid", e.txid}, {"try", std::to_string(e.tries + 1)}});
        }
        if (Status s = send(e, front_seq + i); !s.ok()) return fail(s);
      }
      continue;
    }
    answered = true;
    last_heard = Clock::now();
    auto it = by_id.find(reply->header.request_id);
    if (it == by_id.end()) continue;  // an answer to an earlier send of a resent txid
    Pending& e = pending[it->second - front_seq];
    if (auto reason = daemon::NotPrimaryReason(*reply)) {
      // A standby: the whole window goes to the primary it names, or the next.
      auto moved = move_on("not primary", daemon::PrimaryHint(*reason));
      if (!moved.ok()) return fail(moved.status());
      if (*moved) continue;
    } else {
      moves_made = 0;  // a real answer: this member serves
    }
    if (reply->header.type == wire::MsgType::kError) {
      Status s = client->ReplyStatus(*reply);
      wire::ErrorReply err;
      if (wire::DecodeBody(reply->body(), &err).ok() &&
          err.code == static_cast<uint16_t>(wire::ErrorCode::kUnsupported)) {
        // Not a coordinator at all (a participant, say): no retry helps.
        return fail(s);
      }
      if (s.code() == Code::kTemporary || s.code() == Code::kUnavailable) {
        // Not started (e.g. the coordinator is stopping): resend at the deadline.
        cli::LogWarn("coordinator refused for now", {{"txid", e.txid}, {"reason", s.message()}});
        continue;
      }
      finish(e, wire::SubmitResult{
                    e.txid, wire::TxOutcome::kAborted, "refused: " + s.message(), "", {}});
      continue;
    }
    if (reply->header.type != wire::MsgType::kSubmitResult) {
      return fail(Status::DataError(set->current() + ": expected a SUBMIT_RESULT, got " +
                                    std::string(wire::MsgTypeName(reply->header.type))));
    }
    wire::SubmitResult r;
    if (Status s = wire::DecodeBody(reply->body(), &r); !s.ok()) {
      return fail(s.Prefixed(set->current()));
    }
    if (r.txid != e.txid) {
      return fail(Status::Internal(set->current() + ": result for txid '" + r.txid +
                                   "' answers the request for '" + e.txid + "'"));
    }
    finish(e, std::move(r));
  }
  if (Status s = w.Flush(); !s.ok()) return cli::Fail(tool, s);
  if (bad_input) return 65;
  if (any_unknown) return 75;
  return any_aborted ? 1 : 0;
}

}  // namespace txcoord
