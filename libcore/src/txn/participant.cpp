// Participant: two-phase commit with presumed abort (DESIGN.md §7).
//
// The rule underneath: a participant writes its state durably before it
// sends any message that reveals that state. "Forced" below means: append
// with force=true and emit the dependent Send only from OnDurable, after
// LogDurable covering the record's LSN (core.h).
//
// States of one transaction here (BranchState), and what moves each on:
//
//   (none) --PREPARE, a lock taken by someone else or a failed check-->
//        finished (unilateral abort). VOTE NO naming the key. Nothing is
//        logged: a NO promises nothing, so forgetting it in a crash is fine.
//   (none) --PREPARE, only gets and checks--> (none). Locks released at
//        once, VOTE READ_ONLY with the reads. Nothing logged, no phase two.
//   (none) --PREPARE with writes--> PREPARING. Locks held; PREPARED{txid,
//        ops, coordinator, participants} appended, FORCED.
//   PREPARING --LogDurable(PREPARED)--> PREPARED. VOTE YES. The YES is a
//        promise to commit if told to, even after a crash, so the record
//        that lets a restarted participant keep the promise (and re-take the
//        locks before serving anyone) must be durable first.
//   PREPARING --ABORT--> finished (aborted). ABORTED appended (no force),
//        locks released, ACK. The pending YES is never sent.
//   PREPARING --INQUIRE from a peer--> finished (unilateral abort). Not voted
//        yet, so we may end the transaction for everyone: release, ABORTED
//        appended, FORCED, then OUTCOME(ABORTED); the YES is never sent.
//        Forced because a crash that lost it would bring PREPARED back, and
//        we could then vote YES on a transaction a peer was told aborted.
//   PREPARED --COMMIT, or OUTCOME(COMMITTED) from an INQUIRE--> COMMITTING.
//        COMMITTED appended, FORCED.
//   COMMITTING --LogDurable(COMMITTED)--> finished (committed). Apply,
//        release, ACK. Forced before the ACK because the ACK lets the
//        coordinator write END and forget the transaction; after that a lost
//        COMMITTED could never be learned again (presumed abort would answer
//        ABORTED). Forced before applying, so nothing a direct GET saw is
//        lost in a crash.
//   PREPARED --ABORT, or OUTCOME(ABORTED)--> finished (aborted). ABORTED
//        appended, NOT forced, release, ACK. If the record is lost, recovery
//        finds PREPARED without an outcome, re-takes the locks and asks again,
//        and presumed abort answers ABORTED. Records are durable by prefix,
//        so a lost ABORTED also means every later record is lost: no later
//        transaction can have durably used the released keys.
//   PREPARED --timer--> PREPARED. INQUIRE the coordinator (its endpoints in
//        turn), doubling the delay up to inquire_max_ms; after
//        cooperative_after tries also INQUIRE the other participants.
//   PREPARED --OperatorResolve--> RESOLVING. HEURISTIC_COMMITTED or
//        HEURISTIC_ABORTED appended, FORCED.
//   RESOLVING --LogDurable--> finished (heuristic). Apply if committing,
//        release, report HEURISTIC_REPORT to the coordinator until it ACKs.
//   (none) --COMMIT_ONE_PHASE with writes--> ONE_PHASE. Locks held,
//        ONE_PHASE_COMMITTED{txid, ops} appended, FORCED (it is the commit
//        point: there is no PREPARED).
//   ONE_PHASE --LogDurable--> finished (committed). Apply, release, reply
//        ONE_PHASE_RESULT(committed). Read-only replies at once.
//   (none) --COMMIT_ONE_PHASE, a conflict or failed check--> finished
//        (aborted). ABORTED appended, FORCED, then ONE_PHASE_RESULT(aborted).
//        Unlike a NO vote this reply IS the outcome (we decide alone, and the
//        client is told so): a crash that forgot it could let a late retry of
//        the same txid commit after the client heard "aborted".
//
// Answers about finished or unknown transactions (idempotency):
//   COMMIT: ACK (a finished or unknown txid was already finished).
//   ABORT: ACK; an unknown txid is remembered as aborted, so a PREPARE that
//          arrives late (reordered) gets NO instead of locking.
//   PREPARE: aborted -> NO again; committed -> no answer (the coordinator is
//          past voting); PREPARED -> YES again (reads recomputed: the keys
//          are still locked, so they still hold the same values).
//   COMMIT_ONE_PHASE: the remembered result (without get results); an
//          abort only once its ABORTED record is durable.
//
// Cooperative termination (participant_termination.cpp) answers a peer's
// INQUIRE with COMMITTED only when the coordinator told us so, and with
// ABORTED only when the abort is binding: the coordinator (or a peer) told
// us, or we aborted on our own a branch with writes and our ABORTED record
// is durable (it is forced first). The coordinator cannot commit such a
// transaction: it needs our YES, and a durable ABORTED means we will vote NO
// forever. A branch without writes is different: it may have voted
// READ_ONLY before (and forgotten it: read-only logs nothing), and the
// coordinator may commit on that vote, so its own abort is never revealed.
#include "shardkit/txn/participant.h"

#include <algorithm>

#include "shardkit/txn/ops.h"
#include "shardkit/txn/records.h"

namespace shardkit::txn {

std::string_view BranchStateName(BranchState state) {
  switch (state) {
    case BranchState::kPreparing:
      return "preparing";
    case BranchState::kPrepared:
      return "prepared";
    case BranchState::kCommitting:
      return "committing";
    case BranchState::kOnePhase:
      return "one-phase";
    case BranchState::kResolving:
      return "resolving";
  }
  return "unknown";
}

Participant::Participant(ParticipantOptions options) : options_(std::move(options)) {}

Status Participant::Handle(const Event& event, std::vector<Action>* out) {
  if (const auto* r = std::get_if<Recovered>(&event)) return OnRecovered(*r, out);
  if (const auto* r = std::get_if<StandbyRecovered>(&event)) {
    SK_RETURN_IF_ERROR(Restore(r->recovered));
    standby_ = true;
    return Status::Ok();
  }
  if (!recovered_) return Status::Internal("participant: event before Recovered");
  if (standby_) {
    const auto* m = std::get_if<MessageReceived>(&event);
    const bool read = m && (std::holds_alternative<wire::GetRequest>(m->msg) ||
                            std::holds_alternative<wire::ScanRequest>(m->msg));
    if (!read) return OnStandbyEvent(event, out);
  } else if (std::holds_alternative<Replicated>(event) || std::holds_alternative<Promoted>(event)) {
    return Status::Internal("participant: standby event on a primary");
  }
  pristine_ = false;  // from now on the state is more than replay rebuilds
  if (const auto* t = std::get_if<TimerFired>(&event)) {
    OnTimer(t->id, out);
  } else if (const auto* d = std::get_if<LogDurable>(&event)) {
    OnDurable(d->lsn, out);
  } else if (const auto* o = std::get_if<OperatorResolve>(&event)) {
    return OnResolve(*o, out);
  } else if (const auto* m = std::get_if<MessageReceived>(&event)) {
    const Peer& from = m->from;
    const uint64_t rid = m->request_id;
    std::visit(
        [&](const auto& msg) {
          using T = std::decay_t<decltype(msg)>;
          if constexpr (std::is_same_v<T, wire::Prepare>) {
            OnPrepare(from, rid, msg, out);
          } else if constexpr (std::is_same_v<T, wire::Commit>) {
            OnCommit(from, rid, msg.txid, out);
          } else if constexpr (std::is_same_v<T, wire::Abort>) {
            OnAbort(from, rid, msg.txid, out);
          } else if constexpr (std::is_same_v<T, wire::CommitOnePhase>) {
            OnCommitOnePhase(from, rid, msg, out);
          } else if constexpr (std::is_same_v<T, wire::Inquire>) {
            OnInquire(from, rid, msg.txid, out);
          } else if constexpr (std::is_same_v<T, wire::Outcome>) {
            OnOutcome(msg, out);
          } else if constexpr (std::is_same_v<T, wire::Ack>) {
            OnAck(msg.txid, out);
          } else if constexpr (std::is_same_v<T, wire::GetRequest>) {
            OnGet(from, rid, msg, out);
          } else if constexpr (std::is_same_v<T, wire::PutRequest>) {
            OnWrite(from, rid, wire::Op{wire::OpKind::kPut, msg.key, msg.value}, out);
          } else if constexpr (std::is_same_v<T, wire::DelRequest>) {
            OnWrite(from, rid, wire::Op{wire::OpKind::kDel, msg.key, ""}, out);
          } else if constexpr (std::is_same_v<T, wire::ScanRequest>) {
            OnScan(from, rid, msg, out);
          } else if constexpr (std::is_same_v<T, wire::Submit> ||
                               std::is_same_v<T, wire::HeuristicReport>) {
            // Requests meant for a coordinator. Replies (votes, results,
            // errors) are dropped without an answer, so two peers can never
            // bounce errors at each other.
            out->push_back(Send{
                from, rid,
                wire::ErrorReply{
                    static_cast<uint16_t>(wire::ErrorCode::kUnsupported),
                    "a participant does not handle " + std::string(wire::MsgTypeName(T::kType))}});
          }
        },
        m->msg);
  }
  return Status::Ok();
}

void Participant::OnPrepare(const Peer& from, uint64_t rid, const wire::Prepare& m,
                            std::vector<Action>* out) {
  const auto vote = [&](wire::VoteKind kind, std::string reason, std::string key,
                        std::vector<wire::ReadResult> reads) {
    out->push_back(Send{
        from, rid, wire::Vote{m.txid, kind, std::move(reason), std::move(key), std::move(reads)}});
  };
  Status valid = ValidateTxid(m.txid);
  if (valid.ok()) valid = ValidateOps(m.ops);
  if (!valid.ok()) return vote(wire::VoteKind::kNo, "bad request: " + valid.message(), "", {});

  if (auto it = branches_.find(m.txid); it != branches_.end()) {
    if (it->second.state == BranchState::kPrepared) {
      vote(wire::VoteKind::kYes, "", "", Reads(it->second.ops));
    }
    return;  // otherwise the answer is on its way, or voting is over
  }
  if (const FinishedEntry* f = Recall(m.txid)) {
    if (f->how == Finish::kAborted || f->how == Finish::kUnilateralAbort) {
      vote(wire::VoteKind::kNo, "transaction already aborted here", "", {});
    }
    return;
  }
  if (BlockedOnlyByDecided(m.txid, m.ops) && Defer(from, rid, m)) return;
  std::string reason, key;
  if (!LockAndCheck(m.txid, m.ops, &reason, &key)) {
    const bool writes = std::any_of(m.ops.begin(), m.ops.end(),
                                    [](const wire::Op& op) { return IsWrite(op.kind); });
    Remember(m.txid, {Finish::kUnilateralAbort, 0, writes});
    out->push_back(Resolved{m.txid, wire::TxOutcome::kAborted});
    return vote(wire::VoteKind::kNo, std::move(reason), std::move(key), {});
  }
  if (std::none_of(m.ops.begin(), m.ops.end(),
                   [](const wire::Op& op) { return IsWrite(op.kind); })) {
    std::vector<wire::ReadResult> reads = Reads(m.ops);
    locks_.ReleaseAll(m.txid);
    ++stats_.read_only;
    return vote(wire::VoteKind::kReadOnly, "", "", std::move(reads));
  }
  Branch b;
  b.state = BranchState::kPreparing;
  b.ops = m.ops;
  b.coordinator = m.coordinator;
  b.participants = m.participants;
  b.reply_to = from;
  b.reply_request_id = rid;
  const Lsn lsn = Append(RecordType::kPrepared,
                         EncodeRecord(PreparedRecord{m.txid, m.coordinator, m.participants, m.ops}),
                         /*force=*/true, out);
  Wait(lsn, Waiter::kVote, m.txid);
  branches_.emplace(m.txid, std::move(b));
}

void Participant::OnCommit(const Peer& from, uint64_t rid, const std::string& txid,
                           std::vector<Action>* out) {
  auto it = branches_.find(txid);
  if (it == branches_.end()) {
    if (auto h = heuristics_.find(txid); h != heuristics_.end()) {
      h->second.decided = wire::TxOutcome::kCommitted;
    }
    out->push_back(Send{from, rid, wire::Ack{txid}});
    return;
  }
  Branch& b = it->second;
  if (b.state == BranchState::kPrepared) {
    b.ack_to.emplace_back(from, rid);
    StartCommit(txid, b, out);
  } else if (b.state == BranchState::kCommitting) {
    b.ack_to.emplace_back(from, rid);  // ACKed once COMMITTED is durable
  }
  // PREPARING cannot be told to commit (we have not voted); ONE_PHASE and
  // RESOLVING finish on their own, and then a retried COMMIT gets its ACK.
}

void Participant::StartCommit(const std::string& txid, Branch& b, std::vector<Action>* out) {
  if (b.timer != 0) {
    out->push_back(CancelTimer{b.timer});
    inquiry_timers_.erase(b.timer);
    b.timer = 0;
  }
  b.state = BranchState::kCommitting;
  const Lsn lsn = Append(RecordType::kCommitted, EncodeRecord(TxidRecord{txid}), true, out);
  Wait(lsn, Waiter::kCommit, txid);
}

void Participant::OnAbort(const Peer& from, uint64_t rid, const std::string& txid,
                          std::vector<Action>* out) {
  auto it = branches_.find(txid);
  if (it == branches_.end()) {
    if (auto h = heuristics_.find(txid); h != heuristics_.end()) {
      h->second.decided = wire::TxOutcome::kAborted;
    } else if (FinishedEntry* f = Recall(txid)) {
      if (f->how == Finish::kUnilateralAbort) f->how = Finish::kAborted;  // now binding
    } else {
      Remember(txid, {Finish::kAborted, 0});
    }
    out->push_back(Send{from, rid, wire::Ack{txid}});
    return;
  }
  const BranchState state = it->second.state;
  if (state != BranchState::kPreparing && state != BranchState::kPrepared) return;
  AbortBranch(txid, out);
  out->push_back(Send{from, rid, wire::Ack{txid}});
}

void Participant::AbortBranch(const std::string& txid, std::vector<Action>* out) {
  auto it = branches_.find(txid);
  if (it->second.timer != 0) {
    out->push_back(CancelTimer{it->second.timer});
    inquiry_timers_.erase(it->second.timer);
  }
  Append(RecordType::kAborted, EncodeRecord(TxidRecord{txid}), /*force=*/false, out);
  Release(txid);
  branches_.erase(it);
  Remember(txid, {Finish::kAborted, 0});
  ++stats_.aborted;
  out->push_back(Resolved{txid, wire::TxOutcome::kAborted});
}

void Participant::OnCommitOnePhase(const Peer& from, uint64_t rid, const wire::CommitOnePhase& m,
                                   std::vector<Action>* out) {
  const auto result = [&](wire::TxOutcome outcome, std::string reason, std::string key,
                          std::vector<wire::ReadResult> reads) {
    out->push_back(Send{from, rid,
                        wire::OnePhaseResult{m.txid, outcome, std::move(reason), std::move(key),
                                             std::move(reads)}});
  };
  Status valid = ValidateTxid(m.txid);
  if (valid.ok()) valid = ValidateOps(m.ops);
  if (!valid.ok())
    return result(wire::TxOutcome::kAborted, "bad request: " + valid.message(), "", {});
  if (branches_.count(m.txid) != 0) return;  // the result follows once durable
  if (FinishedEntry* f = Recall(m.txid)) {
    if (f->how == Finish::kCommitted) {
      const bool gets = std::any_of(m.ops.begin(), m.ops.end(), [](const wire::Op& op) {
        return op.kind == wire::OpKind::kGet;
      });
      result(wire::TxOutcome::kCommitted,
             gets ? "get results are not kept after the first reply" : "", "", {});
    } else if (f->how == Finish::kAborted || f->how == Finish::kUnilateralAbort) {
      RevealAbort(
          m.txid, f,
          Send{from, rid,
               wire::OnePhaseResult{
                   m.txid, wire::TxOutcome::kAborted, "transaction already aborted here", "", {}}},
          out);
    }
    return;
  }
  if (BlockedOnlyByDecided(m.txid, m.ops) && Defer(from, rid, m)) return;
  std::string reason, key;
  if (!LockAndCheck(m.txid, m.ops, &reason, &key)) {
    // We decide alone, and the reply is the outcome the client will see: a
    // crash must not let a late retry of this txid commit it after all.
    Remember(m.txid, {Finish::kUnilateralAbort, 0, true});
    out->push_back(Resolved{m.txid, wire::TxOutcome::kAborted});
    return RevealAbort(
        m.txid, Recall(m.txid),
        Send{from, rid,
             wire::OnePhaseResult{
                 m.txid, wire::TxOutcome::kAborted, std::move(reason), std::move(key), {}}},
        out);
  }
  ++stats_.one_phase;
  std::vector<wire::ReadResult> reads = Reads(m.ops);
  if (std::none_of(m.ops.begin(), m.ops.end(),
                   [](const wire::Op& op) { return IsWrite(op.kind); })) {
    locks_.ReleaseAll(m.txid);
    ++stats_.read_only;
    return result(wire::TxOutcome::kCommitted, "", "", std::move(reads));
  }
  Branch b;
  b.state = BranchState::kOnePhase;
  b.ops = m.ops;
  b.reply_to = from;
  b.reply_request_id = rid;
  b.reads = std::move(reads);
  const Lsn lsn = Append(RecordType::kOnePhaseCommitted,
                         EncodeRecord(OnePhaseRecord{m.txid, m.ops}), true, out);
  Wait(lsn, Waiter::kOnePhase, m.txid);
  branches_.emplace(m.txid, std::move(b));
}

bool Participant::LockAndCheck(const std::string& txid, const std::vector<wire::Op>& ops,
                               std::string* reason, std::string* key) {
  std::vector<std::string_view> keys;
  keys.reserve(ops.size());
  for (const wire::Op& op : ops) {
    if (direct_pending_.count(op.key) != 0) {
      ++stats_.conflicts;
      *key = op.key;
      *reason = "key '" + kv::Printable(op.key) + "' has a direct write in flight";
      return false;
    }
    keys.push_back(op.key);
  }
  kv::LockConflict conflict;
  if (!locks_.TryLockAll(txid, keys, &conflict)) {
    ++stats_.conflicts;
    *key = conflict.key;
    *reason =
        "key '" + kv::Printable(conflict.key) + "' is locked by transaction " + conflict.holder;
    return false;
  }
  const std::vector<kv::OpView> views = ToKvOps(ops);
  Status checked = store_.Check(views, key);
  if (!checked.ok()) {
    locks_.ReleaseAll(txid);
    ++stats_.check_failures;
    *reason = checked.message();
    return false;
  }
  return true;
}

std::vector<wire::ReadResult> Participant::Reads(const std::vector<wire::Op>& ops) const {
  std::vector<wire::ReadResult> reads;
  for (const wire::Op& op : ops) {
    if (op.kind != wire::OpKind::kGet) continue;
    const std::string* v = store_.Find(op.key);
    reads.push_back(wire::ReadResult{op.key, v != nullptr, v != nullptr ? *v : std::string()});
  }
  return reads;
}

}  // namespace shardkit::txn
