// Coordinator: two-phase commit with presumed abort (DESIGN.md §7).
//
// The rule underneath: write the decision durably before sending any message
// that reveals it. "Forced" means: appended with force=true, and the
// dependent Sends emitted only from the LogDurable that covers it (core.h).
//
// States of one transaction (CoordState), and what moves each on:
//
//   (none) --SUBMIT, >= 2 participants--> VOTING. PREPARE to every
//        participant in parallel. Nothing is logged: until a decision is
//        durable, a crash must leave the transaction aborted, and presumed
//        abort gives exactly that (an unknown txid is aborted).
//   (none) --SUBMIT, 1 participant--> ONE_PHASE. COMMIT_ONE_PHASE; that
//        participant decides and forces its own record. Nothing is logged
//        here: if we crash, the client's retry finds the participant's
//        remembered result.
//   VOTING --timer--> VOTING: PREPARE again to the silent; after
//        vote_timeout_ms, abort as below.
//   VOTING --a NO, the vote timeout, or an INQUIRE--> finished (aborted).
//        ABORT to everyone who may have prepared (no NO or READ_ONLY vote),
//        "aborted" to the client. Nothing forced: a participant that misses
//        the ABORT asks, and the answer for an unknown txid is ABORTED.
//        An INQUIRE or HEURISTIC_REPORT while voting means a participant is
//        already in doubt: deciding abort first means we can never commit it
//        after answering ABORTED.
//   VOTING --every vote YES or READ_ONLY, all READ_ONLY--> finished
//        (committed). Nobody holds anything: answer the client, log nothing.
//   VOTING --every vote YES or READ_ONLY, some YES--> DECIDING.
//        COMMIT_DECISION{txid, client txid, participants, YES voters}
//        appended, FORCED. This record is the commit point.
//   DECIDING --LogDurable(decision)--> COMMITTED. "committed" to the
//        client, COMMIT to every YES voter. Before this moment a crash loses
//        the record and every participant will hear ABORTED; after it, a
//        restart finds the record and re-drives COMMIT. Revealing the
//        decision earlier (unsafe_reveal_commit_before_durable) lets a crash
//        commit some participants and abort others.
//   COMMITTED --timer--> COMMITTED: COMMIT again to voters that have not
//        ACKed, with doubling delays.
//   COMMITTED --ACK from every YES voter--> finished. END appended, NOT
//        forced: if it is lost, the restart re-drives COMMIT and the
//        participants ACK again (COMMIT is idempotent).
//   ONE_PHASE --timer--> ONE_PHASE: COMMIT_ONE_PHASE again (idempotent at
//        the participant), doubling delays. --ONE_PHASE_RESULT--> finished.
//
// Answers about other transactions:
//   INQUIRE: COMMITTED while the decision is durable and not yet ENDed;
//     nothing while DECIDING (the COMMIT follows); ABORTED otherwise
//     (presumed abort; after END every YES voter has ACKed, so the only
//     possible asker is a participant that re-prepared from a stale
//     duplicate PREPARE, for which ABORTED is the right answer).
//   A YES vote for an unknown or finished txid: ABORT (same reasoning).
//   HEURISTIC_REPORT: ACK. A report that contradicts the decision is a
//     heuristic mismatch: HEURISTIC_MISMATCH is FORCED before the ACK, since
//     the ACK stops the participant from reporting and the record is then
//     the only trace of it.
//   Restart (Recovered): every COMMIT_DECISION without END is COMMITTED
//     again and re-driven.
#include "shardkit/txn/coordinator.h"

#include <algorithm>

#include "shardkit/txn/ops.h"
#include "shardkit/txn/records.h"

namespace shardkit::txn {

std::string_view CoordStateName(CoordState state) {
  switch (state) {
    case CoordState::kVoting:
      return "voting";
    case CoordState::kDeciding:
      return "deciding";
    case CoordState::kCommitted:
      return "committed";
    case CoordState::kOnePhase:
      return "one-phase";
  }
  return "unknown";
}

Coordinator::Coordinator(CoordinatorOptions options, Router router)
    : options_(std::move(options)), router_(std::move(router)) {}

Status Coordinator::Handle(const Event& event, std::vector<Action>* out) {
  if (const auto* r = std::get_if<Recovered>(&event)) return OnRecovered(*r, out);
  if (const auto* r = std::get_if<StandbyRecovered>(&event)) {
    SK_RETURN_IF_ERROR(Restore(r->recovered));
    standby_ = true;
    return Status::Ok();
  }
  if (!recovered_) return Status::Internal("coordinator: event before Recovered");
  if (standby_) return OnStandbyEvent(event, out);
  if (std::holds_alternative<Replicated>(event) || std::holds_alternative<Promoted>(event)) {
    return Status::Internal("coordinator: standby event on a primary");
  }
  if (pristine_) {  // from now on the state is more than replay rebuilds
    pristine_ = false;
    replayed_open_.clear();
  }
  if (const auto* t = std::get_if<TimerFired>(&event)) {
    OnTimer(t->id, out);
  } else if (const auto* d = std::get_if<LogDurable>(&event)) {
    durable_lsn_ = std::max(durable_lsn_, d->lsn);
    while (!commit_waits_.empty() && commit_waits_.begin()->first <= durable_lsn_) {
      const std::string txid = std::move(commit_waits_.begin()->second);
      commit_waits_.erase(commit_waits_.begin());
      RevealCommit(txid, out);
    }
    while (!ack_waits_.empty() && ack_waits_.begin()->first <= durable_lsn_) {
      out->push_back(std::move(ack_waits_.begin()->second));
      ack_waits_.erase(ack_waits_.begin());
    }
  } else if (const auto* m = std::get_if<MessageReceived>(&event)) {
    const Peer& from = m->from;
    const uint64_t rid = m->request_id;
    std::visit(
        [&](const auto& msg) {
          using T = std::decay_t<decltype(msg)>;
          if constexpr (std::is_same_v<T, wire::Submit>) {
            OnSubmit(from, rid, msg, out);
          } else if constexpr (std::is_same_v<T, wire::Vote>) {
            OnVote(from, msg, out);
          } else if constexpr (std::is_same_v<T, wire::Ack>) {
            OnAck(from, msg.txid, out);
          } else if constexpr (std::is_same_v<T, wire::OnePhaseResult>) {
            OnOnePhaseResult(from, msg, out);
          } else if constexpr (std::is_same_v<T, wire::Inquire>) {
            OnInquire(from, rid, msg.txid, out);
          } else if constexpr (std::is_same_v<T, wire::HeuristicReport>) {
            OnHeuristicReport(from, rid, msg, out);
          } else if constexpr (std::is_same_v<T, wire::Prepare> ||
                               std::is_same_v<T, wire::Commit> || std::is_same_v<T, wire::Abort> ||
                               std::is_same_v<T, wire::CommitOnePhase> ||
                               std::is_same_v<T, wire::GetRequest> ||
                               std::is_same_v<T, wire::PutRequest> ||
                               std::is_same_v<T, wire::DelRequest> ||
                               std::is_same_v<T, wire::ScanRequest>) {
            // Requests meant for a participant; replies are dropped silently.
            out->push_back(Send{
                from, rid,
                wire::ErrorReply{
                    static_cast<uint16_t>(wire::ErrorCode::kUnsupported),
                    "a coordinator does not handle " + std::string(wire::MsgTypeName(T::kType))}});
          }
        },
        m->msg);
  }
  return Status::Ok();
}

void Coordinator::OnSubmit(const Peer& from, uint64_t rid, const wire::Submit& m,
                           std::vector<Action>* out) {
  const auto refuse = [&](const std::string& reason) {
    out->push_back(Send{
        from, rid, wire::ErrorReply{static_cast<uint16_t>(wire::ErrorCode::kBadRequest), reason}});
  };
  Status valid = m.txid.empty() ? Status::Ok() : ValidateTxid(m.txid, wire::kMaxClientTxidBytes);
  if (valid.ok()) valid = ValidateOps(m.ops);
  if (!valid.ok()) return refuse(valid.message());

  if (!m.txid.empty()) {
    // The remembered outcome first: a transaction whose commit is already
    // revealed (still waiting for ACKs) answers from memory, not by waiting.
    if (auto it = memory_.find(m.txid); it != memory_.end()) {
      ++stats_.retries;
      wire::SubmitResult result = it->second.result;
      const bool gets = std::any_of(m.ops.begin(), m.ops.end(), [](const wire::Op& op) {
        return op.kind == wire::OpKind::kGet;
      });
      if (it->second.reads_lost && gets) {
        result.reason = "get results are not kept across a coordinator restart";
      }
      out->push_back(Send{from, rid, std::move(result)});
      return;
    }
    if (auto it = live_by_client_.find(m.txid); it != live_by_client_.end()) {
      ++stats_.retries;
      live_[it->second].clients.emplace_back(from, rid);  // answered with the outcome
      return;
    }
  }

  Txn t;
  size_t gets = 0;
  for (const wire::Op& op : m.ops) {
    std::string p = router_(op.key);
    if (p.empty()) return refuse("no participant owns key '" + kv::Printable(op.key) + "'");
    Branch& b = t.branches[p];
    if (op.kind == wire::OpKind::kGet) {
      b.get_slots.push_back(gets++);
      t.reads.push_back(wire::ReadResult{op.key, false, ""});
    }
    b.ops.push_back(op);
  }
  const bool one_phase = t.branches.size() == 1 && options_.one_phase;
  const std::string attempt = options_.tag + "." + std::to_string(next_attempt_++);
  t.client_txid = m.txid.empty() ? attempt : m.txid;
  // Two-phase attempts get a fresh protocol txid each (see wire/messages.h).
  // A one-phase attempt uses the client's txid itself: its participant
  // decides alone and remembers the txid, so a retry after we restart and
  // forget is answered from that memory instead of executing twice.
  const std::string txid = one_phase || m.txid.empty() ? t.client_txid : m.txid + "@" + attempt;
  t.clients.emplace_back(from, rid);
  ++stats_.submitted;

  if (one_phase) {
    ++stats_.one_phase;
    t.state = CoordState::kOnePhase;
    const auto& [p, b] = *t.branches.begin();
    out->push_back(Send{p, 0, wire::CommitOnePhase{txid, b.ops}});
    Arm(txid, t, options_.resend_initial_ms, out);
  } else {
    t.state = CoordState::kVoting;
    std::vector<std::string> participants;
    for (const auto& [p, b] : t.branches) participants.push_back(p);
    for (const auto& [p, b] : t.branches) {
      out->push_back(Send{p, 0, wire::Prepare{txid, options_.endpoints, participants, b.ops}});
    }
    Arm(txid, t, options_.prepare_resend_ms, out);
  }
  live_by_client_[t.client_txid] = txid;
  live_.emplace(txid, std::move(t));
}

void Coordinator::OnVote(const Peer& from, const wire::Vote& m, std::vector<Action>* out) {
  auto it = live_.find(m.txid);
  if (it == live_.end()) {
    // A stale vote: the transaction was decided aborted (or finished and
    // forgotten). A YES voter holds locks until told.
    if (m.vote == wire::VoteKind::kYes) out->push_back(Send{from, 0, wire::Abort{m.txid}});
    return;
  }
  Txn& t = it->second;
  auto b = t.branches.find(from);
  if (b == t.branches.end()) return;
  if (t.state != CoordState::kVoting) {
    // A duplicate YES after the decision: that voter may have missed COMMIT.
    if (t.state == CoordState::kCommitted && m.vote == wire::VoteKind::kYes &&
        b->second.vote == VoteState::kYes && !b->second.acked) {
      out->push_back(Send{from, 0, wire::Commit{m.txid}});
    }
    return;
  }
  if (b->second.vote != VoteState::kNone) return;  // a duplicate
  switch (m.vote) {
    case wire::VoteKind::kNo:
      b->second.vote = VoteState::kNo;
      return Abort(m.txid, "participant " + from + " voted no: " + m.reason, m.key, out);
    case wire::VoteKind::kYes:
    case wire::VoteKind::kReadOnly:
      b->second.vote = m.vote == wire::VoteKind::kYes ? VoteState::kYes : VoteState::kReadOnly;
      for (size_t i = 0; i < b->second.get_slots.size() && i < m.reads.size(); ++i) {
        t.reads[b->second.get_slots[i]] = m.reads[i];
      }
      break;
    default:
      return;  // an unknown vote value counts as no vote
  }
  const bool all_voted = std::all_of(t.branches.begin(), t.branches.end(), [](const auto& e) {
    return e.second.vote != VoteState::kNone;
  });
  if (all_voted) Decide(m.txid, t, out);
}

void Coordinator::Decide(const std::string& txid, Txn& t, std::vector<Action>* out) {
  if (t.timer != 0) {
    out->push_back(CancelTimer{t.timer});
    timers_.erase(t.timer);
    t.timer = 0;
  }
  CommitDecisionRecord rec{txid, t.client_txid, {}, {}};
  for (const auto& [p, b] : t.branches) {
    rec.participants.push_back(p);
    if (b.vote == VoteState::kYes) rec.yes_voters.push_back(p);
  }
  if (rec.yes_voters.empty()) {
    ++stats_.read_only;
    ++stats_.committed;
    out->push_back(Resolved{txid, wire::TxOutcome::kCommitted});
    return Finish(txid, t,
                  wire::SubmitResult{t.client_txid, wire::TxOutcome::kCommitted, "", "", t.reads},
                  out);
  }
  t.state = CoordState::kDeciding;
  const Lsn lsn = Append(RecordType::kCommitDecision, EncodeRecord(rec), /*force=*/true, out);
  commit_waits_.emplace(lsn, txid);
  if (options_.unsafe_reveal_commit_before_durable) RevealCommit(txid, out);  // the bug, on purpose
}

void Coordinator::RevealCommit(const std::string& txid, std::vector<Action>* out) {
  auto it = live_.find(txid);
  if (it == live_.end() || it->second.state != CoordState::kDeciding) return;
  Txn& t = it->second;
  t.state = CoordState::kCommitted;
  ++stats_.committed;
  out->push_back(Resolved{txid, wire::TxOutcome::kCommitted});
  const wire::SubmitResult result{t.client_txid, wire::TxOutcome::kCommitted, "", "",
                                  std::move(t.reads)};
  for (const auto& [peer, rid] : t.clients) out->push_back(Send{peer, rid, result});
  t.clients.clear();
  Remember(t.client_txid, txid, Remembered{result, false});
  for (const auto& [p, b] : t.branches) {
    if (b.vote == VoteState::kYes) out->push_back(Send{p, 0, wire::Commit{txid}});
  }
  Arm(txid, t, options_.resend_initial_ms, out);
}

void Coordinator::OnAck(const Peer& from, const std::string& txid, std::vector<Action>* out) {
  auto it = live_.find(txid);
  if (it == live_.end() || it->second.state != CoordState::kCommitted) return;
  Txn& t = it->second;
  auto b = t.branches.find(from);
  if (b == t.branches.end() || b->second.vote != VoteState::kYes) return;
  b->second.acked = true;
  for (const auto& [p, br] : t.branches) {
    if (br.vote == VoteState::kYes && !br.acked) return;
  }
  Append(RecordType::kEnd, EncodeRecord(TxidRecord{txid}), /*force=*/false, out);
  if (t.timer != 0) {
    out->push_back(CancelTimer{t.timer});
    timers_.erase(t.timer);
  }
  live_by_client_.erase(t.client_txid);
  live_.erase(it);
}

void Coordinator::OnOnePhaseResult(const Peer& from, const wire::OnePhaseResult& m,
                                   std::vector<Action>* out) {
  auto it = live_.find(m.txid);
  if (it == live_.end() || it->second.state != CoordState::kOnePhase) return;
  Txn& t = it->second;
  if (t.branches.begin()->first != from) return;
  if (m.outcome != wire::TxOutcome::kCommitted && m.outcome != wire::TxOutcome::kAborted) return;
  const bool committed = m.outcome == wire::TxOutcome::kCommitted;
  ++(committed ? stats_.committed : stats_.aborted);
  out->push_back(Resolved{m.txid, m.outcome});
  wire::SubmitResult result{t.client_txid, m.outcome, "", m.key, {}};
  if (committed) {
    result.reason = m.reason;
    for (size_t i = 0; i < t.reads.size() && i < m.reads.size(); ++i) t.reads[i] = m.reads[i];
    if (m.reads.size() >= t.reads.size()) result.reads = std::move(t.reads);
  } else {
    result.reason = "participant " + from + ": " + m.reason;
  }
  Finish(m.txid, t, std::move(result), out);
}

void Coordinator::Abort(const std::string& txid, std::string reason, std::string key,
                        std::vector<Action>* out) {
  auto it = live_.find(txid);
  Txn& t = it->second;
  for (const auto& [p, b] : t.branches) {
    if (b.vote == VoteState::kNone || b.vote == VoteState::kYes) {
      out->push_back(Send{p, 0, wire::Abort{txid}});
    }
  }
  ++stats_.aborted;
  out->push_back(Resolved{txid, wire::TxOutcome::kAborted});
  Finish(txid, t,
         wire::SubmitResult{
             t.client_txid, wire::TxOutcome::kAborted, std::move(reason), std::move(key), {}},
         out);
}

// Answers every waiting client, remembers the result and forgets the
// transaction (which must have no phase two left).
void Coordinator::Finish(const std::string& txid, Txn& t, wire::SubmitResult result,
                         std::vector<Action>* out) {
  if (t.timer != 0) {
    out->push_back(CancelTimer{t.timer});
    timers_.erase(t.timer);
  }
  for (const auto& [peer, rid] : t.clients) out->push_back(Send{peer, rid, result});
  live_by_client_.erase(t.client_txid);
  Remember(t.client_txid, txid, Remembered{std::move(result), false});
  live_.erase(txid);
}

}  // namespace shardkit::txn
