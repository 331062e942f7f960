// Participant: requests that meet a lock whose holder is already decided.
//
// Under no-wait locking a PREPARE that meets a held lock votes NO. That is
// right while the holder is undecided (waiting could deadlock across
// participants), but a holder in COMMITTING, ONE_PHASE or a direct write in
// flight is decided: it only waits for its own record's fsync and then
// releases. Refusing there would make a client's next transaction on the
// same keys abort whenever it arrives within one fsync of the previous
// commit, which is exactly what a pipeline of dependent transactions does.
// So such a request is deferred and handled again after the next LogDurable;
// it never waits for an undecided holder, and the queue is bounded.
#include <algorithm>

#include "shardkit/txn/participant.h"

namespace shardkit::txn {

namespace {
// Beyond this many deferred requests, new ones are refused as before.
constexpr size_t kMaxDeferred = 10000;
}  // namespace

bool Participant::BlockedOnlyByDecided(const std::string& txid,
                                       const std::vector<wire::Op>& ops) const {
  bool blocked = false;
  for (const wire::Op& op : ops) {
    if (direct_pending_.count(op.key) != 0) {
      blocked = true;
      continue;
    }
    const std::string* holder = locks_.HolderOf(op.key);
    if (holder == nullptr || *holder == txid) continue;
    auto b = branches_.find(*holder);
    if (b == branches_.end()) return false;
    if (b->second.state != BranchState::kCommitting && b->second.state != BranchState::kOnePhase) {
      return false;
    }
    blocked = true;
  }
  return blocked;
}

bool Participant::Defer(const Peer& from, uint64_t rid, Message msg) {
  if (deferred_.size() >= kMaxDeferred) return false;
  deferred_.push_back(DeferredRequest{from, rid, std::move(msg)});
  return true;
}

void Participant::RetryDeferred(std::vector<Action>* out) {
  if (deferred_.empty()) return;
  std::vector<DeferredRequest> pending;
  pending.swap(deferred_);
  for (DeferredRequest& d : pending) {
    if (const auto* m = std::get_if<wire::Prepare>(&d.msg)) {
      OnPrepare(d.from, d.request_id, *m, out);
    } else if (const auto* c = std::get_if<wire::CommitOnePhase>(&d.msg)) {
      OnCommitOnePhase(d.from, d.request_id, *c, out);
    } else if (const auto* p = std::get_if<wire::PutRequest>(&d.msg)) {
      OnWrite(d.from, d.request_id, wire::Op{wire::OpKind::kPut, p->key, p->value}, out);
    } else if (const auto* del = std::get_if<wire::DelRequest>(&d.msg)) {
      OnWrite(d.from, d.request_id, wire::Op{wire::OpKind::kDel, del->key, ""}, out);
    }
  }
}

}  // namespace shardkit::txn
