// Participant: rebuilding state from the log after a restart.
//
// A snapshot, if any, is loaded first (participant_snapshot.cpp): it holds
// exactly what replaying the log up to its LSN rebuilds. Replaying the records in LSN order
// rebuilds the store (COMMITTED applies the ops of its PREPARED; ONE_PHASE_COMMITTED and
// DIRECT_WRITE carry their own), the finished-transaction memory, the heuristic outcomes, and the
// in-doubt set: every PREPARED without a later outcome. The in-doubt
// transactions re-take their locks before Handle(Recovered) returns, so the
// driver serves no request that could slip past them.
#include "shardkit/txn/ops.h"
#include "shardkit/txn/participant.h"
#include "shardkit/txn/records.h"

namespace shardkit::txn {

Status Participant::OnRecovered(const Recovered& r, std::vector<Action>* out) {
  SK_RETURN_IF_ERROR(Restore(r));
  return Activate(out);
}

Status Participant::Restore(const Recovered& r) {
  if (recovered_) return Status::Internal("participant: Recovered delivered twice");
  if (r.snapshot_lsn >= r.next_lsn) {
    return Status::IoError("snapshot lsn " + std::to_string(r.snapshot_lsn) +
                           " is not below the next lsn " + std::to_string(r.next_lsn));
  }
  if (!r.snapshot.empty()) {
    SK_RETURN_IF_ERROR(LoadSnapshot(r.snapshot, r.snapshot_lsn));
  } else if (r.snapshot_lsn != 0) {
    return Status::IoError("snapshot lsn " + std::to_string(r.snapshot_lsn) +
                           " given without a snapshot");
  }
  Lsn last = r.snapshot_lsn;
  for (const LogEntry& e : r.records) {
    if (e.lsn <= last || e.lsn >= r.next_lsn) {
      return Status::IoError(
          "log record lsn " + std::to_string(e.lsn) + " is out of order (previous " +
          (last == r.snapshot_lsn && r.snapshot_lsn != 0 ? "the snapshot's " : "") +
          std::to_string(last) + ", next " + std::to_string(r.next_lsn) + ")");
    }
    last = e.lsn;
    Status s = Replay(e);
    if (!s.ok())
      return Status::IoError("log record lsn " + std::to_string(e.lsn) + ": " + s.message());
  }
  next_lsn_ = r.next_lsn;
  durable_lsn_ = r.next_lsn - 1;
  recovered_ = true;
  return Status::Ok();
}

Status Participant::Activate(std::vector<Action>* out) {
  for (auto& [txid, b] : branches_) {
    std::vector<std::string_view> keys;
    for (const wire::Op& op : b.ops) keys.push_back(op.key);
    kv::LockConflict c;
    if (!locks_.TryLockAll(txid, keys, &c)) {
      return Status::IoError("recovery: in-doubt transactions " + c.holder + " and " + txid +
                             " both hold key '" + kv::Printable(c.key) + "'");
    }
    ArmInquiry(txid, b, options_.inquire_initial_ms, out);
  }
  for (auto& [txid, h] : heuristics_) ReportHeuristic(txid, h, out);
  pristine_ = true;
  return Status::Ok();
}

Status Participant::Replay(const LogEntry& e) {
  const auto type = static_cast<RecordType>(e.type);
  const auto not_prepared = [&](const std::string& txid) {
    return Status::IoError(std::string(RecordTypeName(type)) + " for transaction " + txid +
                           " that is not prepared");
  };
  switch (type) {
    case RecordType::kPrepared: {
      PreparedRecord rec;
      SK_RETURN_IF_ERROR(DecodeRecord(type, e.payload, &rec));
      SK_RETURN_IF_ERROR(ValidateTxid(rec.txid));
      SK_RETURN_IF_ERROR(ValidateOps(rec.ops));
      if (branches_.count(rec.txid) != 0) {
        return Status::IoError("PREPARED twice for transaction " + rec.txid);
      }
      Branch b;
      b.state = BranchState::kPrepared;
      b.ops = std::move(rec.ops);
      b.coordinator = std::move(rec.coordinator);
      b.participants = std::move(rec.participants);
      branches_.emplace(rec.txid, std::move(b));
      return Status::Ok();
    }
    case RecordType::kCommitted:
    case RecordType::kHeuristicCommitted:
    case RecordType::kHeuristicAborted: {
      TxidRecord rec;
      SK_RETURN_IF_ERROR(DecodeRecord(type, e.payload, &rec));
      auto it = branches_.find(rec.txid);
      if (it == branches_.end()) return not_prepared(rec.txid);
      const bool commit = type != RecordType::kHeuristicAborted;
      if (commit) store_.ApplyWrites(ToKvOps(it->second.ops));
      if (type == RecordType::kCommitted) {
        Remember(rec.txid, {Finish::kCommitted, 0});
      } else {
        Heuristic& h = heuristics_[rec.txid];
        h.committed = commit;
        h.coordinator = std::move(it->second.coordinator);
        Remember(rec.txid, {commit ? Finish::kHeuristicCommitted : Finish::kHeuristicAborted, 0});
      }
      branches_.erase(it);
      return Status::Ok();
    }
    case RecordType::kAborted: {
      TxidRecord rec;
      SK_RETURN_IF_ERROR(DecodeRecord(type, e.payload, &rec));
      branches_.erase(rec.txid);
      Remember(rec.txid, {Finish::kAborted, 0});
      return Status::Ok();
    }
    case RecordType::kOnePhaseCommitted: {
      OnePhaseRecord rec;
      SK_RETURN_IF_ERROR(DecodeRecord(type, e.payload, &rec));
      SK_RETURN_IF_ERROR(ValidateOps(rec.ops));
      store_.ApplyWrites(ToKvOps(rec.ops));
      Remember(rec.txid, {Finish::kCommitted, 0});
      return Status::Ok();
    }
    case RecordType::kDirectWrite: {
      DirectWriteRecord rec;
      SK_RETURN_IF_ERROR(DecodeRecord(type, e.payload, &rec));
      SK_RETURN_IF_ERROR(ValidateOps(rec.ops));
      store_.ApplyWrites(ToKvOps(rec.ops));
      return Status::Ok();
    }
    case RecordType::kCommitDecision:
    case RecordType::kEnd:
    case RecordType::kHeuristicMismatch:
      break;
  }
  return Status::IoError("record type " + std::to_string(e.type) +
                         " does not belong in a participant log");
}

}  // namespace shardkit::txn
