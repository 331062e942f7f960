// Participant: what happens once a forced record is durable (the second half
// of every "FORCED" transition in participant.cpp's state block), plus the
// small helpers every participant file shares.
#include <algorithm>

#include "shardkit/txn/ops.h"
#include "shardkit/txn/participant.h"
#include "shardkit/txn/records.h"

namespace shardkit::txn {

void Participant::OnDurable(Lsn lsn, std::vector<Action>* out) {
  durable_lsn_ = std::max(durable_lsn_, lsn);
  // Waiters run in LSN order, so direct writes apply in log order and the
  // in-memory store always equals a replay of the durable log.
  while (!waiters_.empty() && waiters_.begin()->first <= durable_lsn_) {
    auto node = waiters_.extract(waiters_.begin());
    FinishWaiter(node.key(), node.mapped(), out);
  }
  RetryDeferred(out);  // locks released above may unblock them
}

void Participant::FinishWaiter(Lsn lsn, Waiter& w, std::vector<Action>* out) {
  if (w.kind == Waiter::kDirect) {
    const std::vector<kv::OpView> views = ToKvOps(std::span(&w.op, 1));
    const bool existed = store_.Find(w.op.key) != nullptr;
    store_.ApplyWrites(views);
    if (auto it = direct_pending_.find(w.op.key);
        it != direct_pending_.end() && --it->second == 0) {
      direct_pending_.erase(it);
    }
    ++stats_.direct_writes;
    out->push_back(Resolved{"direct:" + std::to_string(lsn), wire::TxOutcome::kCommitted});
    if (w.op.kind == wire::OpKind::kPut) {
      out->push_back(Send{w.to, w.request_id, wire::PutReply{lsn}});
    } else {
      out->push_back(Send{w.to, w.request_id, wire::DelReply{lsn, existed}});
    }
    return;
  }
  if (w.kind == Waiter::kRevealAbort) {
    if (FinishedEntry* f = Recall(w.txid); f != nullptr && f->how == Finish::kUnilateralAbort) {
      f->how = Finish::kAborted;  // our ABORTED is durable: the abort is binding now
    }
    out->push_back(Send{w.to, w.request_id, std::move(w.reply)});
    return;
  }

  auto it = branches_.find(w.txid);
  if (it == branches_.end()) return;  // aborted while the record was in flight
  Branch& b = it->second;
  const std::string txid = w.txid;
  switch (w.kind) {
    case Waiter::kVote:
      if (b.state != BranchState::kPreparing) return;
      b.state = BranchState::kPrepared;
      ++stats_.prepared;
      out->push_back(Send{b.reply_to, b.reply_request_id,
                          wire::Vote{txid, wire::VoteKind::kYes, "", "", Reads(b.ops)}});
      ArmInquiry(txid, b, options_.inquire_initial_ms, out);
      return;
    case Waiter::kCommit: {
      if (b.state != BranchState::kCommitting) return;
      store_.ApplyWrites(ToKvOps(b.ops));
      const auto ack_to = std::move(b.ack_to);
      Release(txid);
      branches_.erase(it);
      Remember(txid, {Finish::kCommitted, 0});
      ++stats_.committed;
      out->push_back(Resolved{txid, wire::TxOutcome::kCommitted});
      for (const auto& [to, rid] : ack_to) out->push_back(Send{to, rid, wire::Ack{txid}});
      return;
    }
    case Waiter::kOnePhase: {
      if (b.state != BranchState::kOnePhase) return;
      store_.ApplyWrites(ToKvOps(b.ops));
      Send reply{
          b.reply_to, b.reply_request_id,
          wire::OnePhaseResult{txid, wire::TxOutcome::kCommitted, "", "", std::move(b.reads)}};
      Release(txid);
      branches_.erase(it);
      Remember(txid, {Finish::kCommitted, 0});
      ++stats_.committed;
      out->push_back(Resolved{txid, wire::TxOutcome::kCommitted});
      out->push_back(std::move(reply));
      return;
    }
    case Waiter::kHeuristic: {
      if (b.state != BranchState::kResolving) return;
      const bool commit = b.heuristic_commit;
      if (commit) store_.ApplyWrites(ToKvOps(b.ops));
      Heuristic& h = heuristics_[txid];
      h.committed = commit;
      h.coordinator = std::move(b.coordinator);
      Release(txid);
      branches_.erase(it);
      Remember(txid, {commit ? Finish::kHeuristicCommitted : Finish::kHeuristicAborted, 0});
      out->push_back(
          Resolved{txid, commit ? wire::TxOutcome::kCommitted : wire::TxOutcome::kAborted});
      ReportHeuristic(txid, h, out);
      return;
    }
    case Waiter::kDirect:
    case Waiter::kRevealAbort:
      return;  // handled above
  }
}

bool Participant::Idle() const {
  if (!branches_.empty() || !waiters_.empty()) return false;
  return std::all_of(heuristics_.begin(), heuristics_.end(),
                     [](const auto& h) { return h.second.reported; });
}

const Finish* Participant::FinishedAs(const std::string& txid) const {
  auto it = finished_.find(txid);
  return it == finished_.end() ? nullptr : &it->second.how;
}

const BranchState* Participant::StateOf(const std::string& txid) const {
  auto it = branches_.find(txid);
  return it == branches_.end() ? nullptr : &it->second.state;
}

std::vector<BranchInfo> Participant::Branches() const {
  std::vector<BranchInfo> out;
  for (const auto& [txid, b] : branches_) {
    out.push_back(
        BranchInfo{txid, b.state, b.coordinator, b.participants, locks_.KeysOf(txid), b.inquiries});
  }
  return out;
}

std::vector<HeuristicInfo> Participant::Heuristics() const {
  std::vector<HeuristicInfo> out;
  for (const auto& [txid, h] : heuristics_) {
    out.push_back(HeuristicInfo{txid, h.committed, h.reported, h.decided});
  }
  return out;
}

Lsn Participant::Append(RecordType type, std::string payload, bool force,
                        std::vector<Action>* out) {
  const Lsn lsn = next_lsn_++;
  out->push_back(AppendLog{lsn, static_cast<uint8_t>(type), std::move(payload), force});
  return lsn;
}

Participant::Waiter& Participant::Wait(Lsn lsn, Waiter::Kind kind, std::string txid, Peer to,
                                       uint64_t rid) {
  Waiter w;
  w.kind = kind;
  w.txid = std::move(txid);
  w.to = std::move(to);
  w.request_id = rid;
  return waiters_.emplace(lsn, std::move(w))->second;
}

TimerId Participant::NewTimer(uint32_t delay_ms, std::vector<Action>* out) {
  const TimerId id = next_timer_++;
  out->push_back(SetTimer{id, delay_ms});
  return id;
}

void Participant::Remember(const std::string& txid, FinishedEntry entry) {
  auto [it, inserted] = finished_.insert_or_assign(txid, entry);
  if (!inserted) return;  // keeps its place in the eviction order
  finished_order_.push_back(txid);
  while (finished_order_.size() > options_.finished_memory) {
    finished_.erase(finished_order_.front());
    finished_order_.pop_front();
  }
}

Participant::FinishedEntry* Participant::Recall(const std::string& txid) {
  auto it = finished_.find(txid);
  return it == finished_.end() ? nullptr : &it->second;
}

void Participant::Release(const std::string& txid) { locks_.ReleaseAll(txid); }

}  // namespace shardkit::txn
