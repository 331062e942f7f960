// Participant: finishing in-doubt transactions. INQUIRE with backoff,
// cooperative termination (asking and answering peers), and operator
// heuristics. The safety argument for every answer is in participant.cpp's
// state block: reveal an outcome only when it is binding.
#include <algorithm>

#include "shardkit/txn/participant.h"
#include "shardkit/txn/records.h"

namespace shardkit::txn {

void Participant::ArmInquiry(const std::string& txid, Branch& b, uint32_t delay_ms,
                             std::vector<Action>* out) {
  b.backoff_ms = std::max<uint32_t>(delay_ms, 1);
  b.timer = NewTimer(b.backoff_ms, out);
  inquiry_timers_[b.timer] = txid;
}

void Participant::OnTimer(TimerId id, std::vector<Action>* out) {
  if (auto it = inquiry_timers_.find(id); it != inquiry_timers_.end()) {
    const std::string txid = std::move(it->second);
    inquiry_timers_.erase(it);
    auto b = branches_.find(txid);
    if (b == branches_.end() || b->second.timer != id) return;
    Branch& br = b->second;
    br.timer = 0;
    if (br.state != BranchState::kPrepared) return;
    ++br.inquiries;
    ++stats_.inquiries;
    if (!br.coordinator.empty()) {
      const Peer& to = br.coordinator[(br.inquiries - 1) % br.coordinator.size()];
      out->push_back(Send{to, 0, wire::Inquire{txid}});
    }
    if (br.inquiries >= options_.cooperative_after) {
      for (const std::string& peer : br.participants) {
        if (peer != options_.self) out->push_back(Send{peer, 0, wire::Inquire{txid}});
      }
    }
    const uint64_t next = std::min<uint64_t>(uint64_t{br.backoff_ms} * 2, options_.inquire_max_ms);
    ArmInquiry(txid, br, static_cast<uint32_t>(next), out);
    return;
  }
  if (auto it = heuristic_timers_.find(id); it != heuristic_timers_.end()) {
    const std::string txid = std::move(it->second);
    heuristic_timers_.erase(it);
    auto h = heuristics_.find(txid);
    if (h == heuristics_.end() || h->second.timer != id || h->second.reported) return;
    h->second.timer = 0;
    ReportHeuristic(txid, h->second, out);
  }
}

void Participant::OnInquire(const Peer& from, uint64_t rid, const std::string& txid,
                            std::vector<Action>* out) {
  const auto answer = [&](wire::TxOutcome o) {
    out->push_back(Send{from, rid, wire::Outcome{txid, o}});
  };
  if (auto it = branches_.find(txid); it != branches_.end()) {
    switch (it->second.state) {
      case BranchState::kCommitting:
        // The coordinator told us to commit, so its decision is durable.
        return answer(wire::TxOutcome::kCommitted);
      case BranchState::kPreparing: {
        // Not voted yet: we may still abort on our own, which ends the
        // transaction for everyone. The answer waits until our ABORTED is
        // durable, so a crash cannot bring back a PREPARED we then vote on.
        out->push_back(Resolved{txid, wire::TxOutcome::kAborted});
        Release(txid);
        branches_.erase(it);
        ++stats_.aborted;
        Remember(txid, {Finish::kUnilateralAbort, 0, true});
        return RevealAbort(txid, Recall(txid),
                           Send{from, rid, wire::Outcome{txid, wire::TxOutcome::kAborted}}, out);
      }
      case BranchState::kPrepared:
      case BranchState::kOnePhase:
      case BranchState::kResolving:
        return answer(wire::TxOutcome::kUnknown);
    }
  }
  FinishedEntry* f = Recall(txid);
  if (f == nullptr) return answer(wire::TxOutcome::kUnknown);
  switch (f->how) {
    case Finish::kCommitted:
      return answer(wire::TxOutcome::kCommitted);
    case Finish::kAborted:
      return answer(wire::TxOutcome::kAborted);
    case Finish::kUnilateralAbort:
      // Binding only for a branch with writes (see participant.cpp), and
      // only once durable: force it, then answer.
      if (!f->writes) return answer(wire::TxOutcome::kUnknown);
      return RevealAbort(txid, f, Send{from, rid, wire::Outcome{txid, wire::TxOutcome::kAborted}},
                         out);
    case Finish::kHeuristicCommitted:
    case Finish::kHeuristicAborted:
      // An operator's guess is not the transaction's outcome.
      return answer(wire::TxOutcome::kUnknown);
  }
}

void Participant::RevealAbort(const std::string& txid, FinishedEntry* f, Send reply,
                              std::vector<Action>* out) {
  if (f->how == Finish::kUnilateralAbort && f->abort_lsn == 0) {
    f->abort_lsn = Append(RecordType::kAborted, EncodeRecord(TxidRecord{txid}), true, out);
  }
  if (f->how == Finish::kUnilateralAbort && f->abort_lsn > durable_lsn_) {
    Wait(f->abort_lsn, Waiter::kRevealAbort, txid, std::move(reply.to), reply.request_id).reply =
        std::move(reply.msg);
    return;
  }
  f->how = Finish::kAborted;
  out->push_back(std::move(reply));
}

void Participant::OnOutcome(const wire::Outcome& m, std::vector<Action>* out) {
  auto it = branches_.find(m.txid);
  if (it == branches_.end() || it->second.state != BranchState::kPrepared) return;
  if (m.outcome == wire::TxOutcome::kCommitted) {
    StartCommit(m.txid, it->second, out);
  } else if (m.outcome == wire::TxOutcome::kAborted) {
    AbortBranch(m.txid, out);
  }
}

void Participant::OnAck(const std::string& txid, std::vector<Action>* out) {
  auto h = heuristics_.find(txid);
  if (h == heuristics_.end() || h->second.reported) return;
  h->second.reported = true;
  if (const TimerId timer = h->second.timer; timer != 0) {
    h->second.timer = 0;
    heuristic_timers_.erase(timer);
    out->emplace_back(CancelTimer{timer});
  }
}

Status Participant::OnResolve(const OperatorResolve& r, std::vector<Action>* out) {
  auto it = branches_.find(r.txid);
  if (it == branches_.end()) {
    return Status::Negative("transaction " + r.txid + " is not in doubt here");
  }
  Branch& b = it->second;
  if (b.state != BranchState::kPrepared) {
    return Status::Negative("transaction " + r.txid + " is " +
                            std::string(BranchStateName(b.state)) + ", not in doubt");
  }
  if (b.timer != 0) {
    out->push_back(CancelTimer{b.timer});
    inquiry_timers_.erase(b.timer);
    b.timer = 0;
  }
  b.state = BranchState::kResolving;
  b.heuristic_commit = r.commit;
  ++stats_.heuristic;
  const Lsn lsn = Append(r.commit ? RecordType::kHeuristicCommitted : RecordType::kHeuristicAborted,
                         EncodeRecord(TxidRecord{r.txid}), true, out);
  Wait(lsn, Waiter::kHeuristic, r.txid);
  return Status::Ok();
}

void Participant::ReportHeuristic(const std::string& txid, Heuristic& h, std::vector<Action>* out) {
  ++h.tries;
  if (!h.coordinator.empty()) {
    const Peer& to = h.coordinator[(h.tries - 1) % h.coordinator.size()];
    out->push_back(Send{to, 0,
                        wire::HeuristicReport{txid, options_.self,
                                              h.committed ? wire::TxOutcome::kCommitted
                                                          : wire::TxOutcome::kAborted}});
  }
  h.backoff_ms = h.tries == 1 ? options_.inquire_initial_ms
                              : static_cast<uint32_t>(std::min<uint64_t>(uint64_t{h.backoff_ms} * 2,
                                                                         options_.inquire_max_ms));
  h.backoff_ms = std::max<uint32_t>(h.backoff_ms, 1);
  h.timer = NewTimer(h.backoff_ms, out);
  heuristic_timers_[h.timer] = txid;
}

}  // namespace shardkit::txn
