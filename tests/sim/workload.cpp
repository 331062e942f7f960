// The simulated clients. Each runs one request at a time: a bank transfer
// (check both balances, put both new ones), a random multi-shard
// transaction over a small, contended key space, or now and then a direct
// put to a participant. On a timeout a transaction is resubmitted with the
// same client txid (the coordinator must make that idempotent); only the
// answer to the latest submission counts, as the coordinator.h contract
// asks of clients.
#include "shardkit/txn/ops.h"
#include "world.h"

namespace sim {
namespace {

constexpr int kMaxAttempts = 4;

uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

}  // namespace

int World::Owner(const std::string& key) const {
  return 1 + static_cast<int>(Fnv1a(key) % static_cast<uint64_t>(params_.participants));
}

const std::string* World::Committed(const std::string& key) const {
  return const_cast<Checker&>(checker_).Model(Owner(key)).Find(key);
}

void World::ClientWake(int c) {
  Client& cl = clients_[c];
  if (cl.busy || !faults_) return;  // no new work once faults stop
  cl.busy = true;
  cl.attempts = 0;
  cl.direct = rng_.Chance(params_.direct_ratio);
  if (cl.direct) {
    const std::string key = "k" + std::to_string(rng_.Range(0, params_.keys - 1));
    cl.target = Owner(key);
    cl.request = wire::PutRequest{key, "d" + std::to_string(rng_.Range(0, 999))};
  } else {
    cl.ops = rng_.Chance(params_.bank_ratio) ? BankTransfer() : RandomTxn();
    cl.txid = rng_.Chance(0.8) ? cl.name + "-" + std::to_string(cl.next_txn++) : "";
    cl.target = 0;
    cl.request = wire::Submit{cl.txid, cl.ops};
  }
  StartRequest(cl, c);
}

void World::StartRequest(Client& cl, int c) {
  cl.rid = next_rid_++;
  ++cl.attempts;
  SendFrom(cl.name, Actor{true, c}, Send{nodes_[cl.target].name, cl.rid, cl.request});
  auto ev = std::make_unique<Ev>();
  ev->kind = Kind::kClientTimeout;
  ev->t = now_ + params_.client_timeout_ms;
  ev->node = c;
  ev->id = cl.rid;
  Push(std::move(ev));
}

void World::ClientTimeout(int c, uint64_t rid) {
  Client& cl = clients_[c];
  if (!cl.busy || rid != cl.rid) return;
  if (!cl.direct && !cl.txid.empty() && cl.attempts < kMaxAttempts) return StartRequest(cl, c);
  ++stats_.unknown;  // gave up: the outcome is unknown, and any outcome is fine
  cl.busy = false;
  auto ev = std::make_unique<Ev>();
  ev->kind = Kind::kClientWake;
  ev->t = now_ + rng_.Range(1, 20);
  ev->node = c;
  Push(std::move(ev));
}

void World::ClientReceive(int c, uint64_t rid, const Message& msg) {
  Client& cl = clients_[c];
  if (!cl.busy || rid != cl.rid) return;  // a stale answer to an earlier attempt
  if (const auto* r = std::get_if<wire::SubmitResult>(&msg)) {
    if (!cl.txid.empty() && r->txid != cl.txid) {
      return checker_.Fail("client", cl.name + " asked about " + cl.txid + ", got " + r->txid,
                           now_);
    }
    const bool writes = std::any_of(cl.ops.begin(), cl.ops.end(),
                                    [](const wire::Op& op) { return IsWrite(op.kind); });
    checker_.OnClientAnswer(r->txid, r->outcome, writes, now_);
    ++(r->outcome == wire::TxOutcome::kCommitted ? stats_.committed : stats_.aborted);
  } else if (const auto* p = std::get_if<wire::PutReply>(&msg)) {
    const auto& put = std::get<wire::PutRequest>(cl.request);
    checker_.OnDirectAck(cl.target, p->lsn, wire::Op{wire::OpKind::kPut, put.key, put.value});
  } else if (const auto* e = std::get_if<wire::ErrorReply>(&msg)) {
    // A replicated node not promoted yet refuses (NOT_PRIMARY); the client
    // asks again when its timeout fires, as a client with the endpoint
    // list does.
    if (options_.replicated && e->code == static_cast<uint16_t>(wire::ErrorCode::kNotPrimary)) {
      return;
    }
    // A direct put to a locked key is refused as temporary; anything else is
    // a bug in the workload or a core.
    if (!cl.direct || e->code != static_cast<uint16_t>(wire::ErrorCode::kTemporary)) {
      return checker_.Fail("client", cl.name + " got an error: " + e->reason, now_);
    }
  }
  cl.busy = false;
  auto ev = std::make_unique<Ev>();
  ev->kind = Kind::kClientWake;
  ev->t = now_ + rng_.Range(0, 10);
  ev->node = c;
  Push(std::move(ev));
}

std::vector<wire::Op> World::BankTransfer() {
  const int n = params_.accounts;
  const int a = static_cast<int>(rng_.Range(0, n - 1));
  int b = static_cast<int>(rng_.Range(0, n - 2));
  if (b >= a) ++b;
  const std::string ka = "acct" + std::to_string(a), kb = "acct" + std::to_string(b);
  // The client's view of the balances may be stale: then a check fails and
  // the transfer aborts, which is exactly what checks are for.
  const int64_t va = std::stoll(*Committed(ka)), vb = std::stoll(*Committed(kb));
  const int64_t amount = va == 0 ? 0 : static_cast<int64_t>(rng_.Range(1, va));
  std::vector<wire::Op> ops = {
      {wire::OpKind::kCheckEq, ka, std::to_string(va)},
      {wire::OpKind::kCheckEq, kb, std::to_string(vb)},
      {wire::OpKind::kPut, ka, std::to_string(va - amount)},
      {wire::OpKind::kPut, kb, std::to_string(vb + amount)},
  };
  if (rng_.Chance(0.3)) {
    ops.push_back({wire::OpKind::kGet, "acct" + std::to_string(rng_.Range(0, n - 1)), ""});
  }
  return ops;
}

std::vector<wire::Op> World::RandomTxn() {
  std::vector<wire::Op> ops;
  const int count = static_cast<int>(rng_.Range(1, 4));
  for (int i = 0; i < count; ++i) {
    const std::string key = "k" + std::to_string(rng_.Range(0, params_.keys - 1));
    const uint64_t r = rng_.Range(0, 99);
    if (r < 40) {
      ops.push_back({wire::OpKind::kPut, key, "v" + std::to_string(rng_.Range(0, 999))});
    } else if (r < 55) {
      ops.push_back({wire::OpKind::kDel, key, ""});
    } else if (r < 75) {
      ops.push_back({wire::OpKind::kGet, key, ""});
    } else if (r < 90) {
      const std::string* v = Committed(key);
      ops.push_back({wire::OpKind::kCheckEq, key, v != nullptr ? *v : "v0"});
    } else {
      ops.push_back({wire::OpKind::kCheckAbsent, key, ""});
    }
  }
  return ops;
}

}  // namespace sim
