// Participant: its state as a snapshot, and back (snapshot.h has the format).
//
// Replay (participant_recovery.cpp) rebuilds four things, and a snapshot
// holds exactly those, so that loading it and replaying the records after
// it ends where replaying the whole log would:
//   - the store;
//   - branches_: every PREPARED without an outcome, always in state
//     kPrepared, with its ops, coordinator and participants (locks and
//     INQUIRE timers are derived from them after the replay);
//   - heuristics_: each HEURISTIC_* outcome with the coordinator to report
//     it to (never `reported`: the coordinator's ACK is not logged);
//   - the finished-transaction memory, in eviction order, whose entries
//     replay only ever makes kCommitted, kAborted or kHeuristic*, with no
//     abort LSN (a unilateral abort is never logged as such).
// Counters are not rebuilt by replay and are not in the snapshot.
#include <algorithm>

#include "shardkit/txn/ops.h"
#include "shardkit/txn/participant.h"
#include "shardkit/txn/snapshot.h"

namespace shardkit::txn {
namespace {

bool FinishFromSnapshot(uint8_t raw, Finish* how) {
  switch (static_cast<Finish>(raw)) {
    case Finish::kCommitted:
    case Finish::kAborted:
    case Finish::kHeuristicCommitted:
    case Finish::kHeuristicAborted:
      *how = static_cast<Finish>(raw);
      return true;
    case Finish::kUnilateralAbort:  // replay never makes one
      break;
  }
  return false;
}

}  // namespace

Result<std::string> Participant::ExportState() const {
  if (!pristine_) {
    return Status::Internal(
        "participant: ExportState needs a core that has handled only Recovered");
  }
  SnapshotEncoder enc(SnapshotRole::kParticipant, next_lsn_ - 1);

  SnapshotStoreBatch store;
  size_t bytes = 0;
  for (const auto& [key, value] : store_.entries()) {
    if (bytes != 0 && bytes + key.size() + value.size() > kSnapshotBatchBytes) {
      enc.Add(SnapshotSection::kStore, store);
      store = {};
      bytes = 0;
    }
    store.keys.push_back(key);
    store.values.push_back(value);
    bytes += key.size() + value.size();
  }
  if (!store.keys.empty()) enc.Add(SnapshotSection::kStore, store);

  for (const auto& [txid, b] : branches_) {
    SnapshotBranch s{txid, b.coordinator, b.participants, {}, {}, {}};
    for (const wire::Op& op : b.ops) {
      s.op_kinds.push_back(static_cast<uint8_t>(op.kind));
      s.op_keys.push_back(op.key);
      s.op_values.push_back(op.value);
    }
    enc.Add(SnapshotSection::kBranch, s);
  }

  for (const auto& [txid, h] : heuristics_) {
    enc.Add(SnapshotSection::kHeuristic, SnapshotHeuristic{txid, h.committed, h.coordinator});
  }

  SnapshotFinishedBatch finished;
  bytes = 0;
  for (const std::string& txid : finished_order_) {
    if (bytes != 0 && bytes + txid.size() > kSnapshotBatchBytes) {
      enc.Add(SnapshotSection::kFinished, finished);
      finished = {};
      bytes = 0;
    }
    finished.txids.push_back(txid);
    finished.how.push_back(static_cast<uint8_t>(finished_.at(txid).how));
    bytes += txid.size() + 1;
  }
  if (!finished.txids.empty()) enc.Add(SnapshotSection::kFinished, finished);
  return std::move(enc).Finish();
}

Status Participant::LoadSnapshot(std::string_view bytes, Lsn lsn) {
  Result<SnapshotDecoder> opened = SnapshotDecoder::Open(bytes, SnapshotRole::kParticipant, lsn);
  if (!opened.ok()) return opened.status();
  SnapshotDecoder& d = *opened;
  const std::string* last_key = nullptr;
  SnapshotSection kind;
  std::string_view body;
  for (;;) {
    Result<bool> more = d.Next(&kind, &body);
    if (!more.ok()) return more.status();
    if (!*more) return Status::Ok();
    switch (kind) {
      case SnapshotSection::kStore: {
        SnapshotStoreBatch b;
        SK_RETURN_IF_ERROR(d.Decode(kind, body, &b));
        if (b.keys.size() != b.values.size())
          return d.Fail("STORE keys and values differ in count");
        for (size_t i = 0; i < b.keys.size(); ++i) {
          const std::string& key = b.keys[i];
          if (key.empty() || key.size() > wire::kMaxKeyBytes ||
              b.values[i].size() > wire::kMaxValueBytes) {
            return d.Fail("STORE entry " + kv::Printable(key) + " is out of limits");
          }
          if (last_key != nullptr && !(*last_key < key)) {
            return d.Fail("STORE key " + kv::Printable(key) + " is not after the previous one");
          }
          store_.Put(key, b.values[i]);
          // Find returns the stored copy, which stays put in the map.
          last_key = &store_.entries().find(key)->first;
        }
        break;
      }
      case SnapshotSection::kBranch: {
        SnapshotBranch s;
        SK_RETURN_IF_ERROR(d.Decode(kind, body, &s));
        if (s.op_kinds.size() != s.op_keys.size() || s.op_kinds.size() != s.op_values.size()) {
          return d.Fail("BRANCH " + kv::Printable(s.txid) + " op lists differ in length");
        }
        Branch b;
        b.state = BranchState::kPrepared;
        for (size_t i = 0; i < s.op_kinds.size(); ++i) {
          b.ops.push_back(wire::Op{static_cast<wire::OpKind>(s.op_kinds[i]),
                                   std::move(s.op_keys[i]), std::move(s.op_values[i])});
        }
        Status valid = ValidateTxid(s.txid);
        if (valid.ok()) valid = ValidateOps(b.ops);
        if (!valid.ok()) return d.Fail("BRANCH: " + valid.message());
        if (!branches_.empty() && !(branches_.rbegin()->first < s.txid)) {
          return d.Fail("BRANCH " + s.txid + " is not after the previous one");
        }
        b.coordinator = std::move(s.coordinator);
        b.participants = std::move(s.participants);
        branches_.emplace_hint(branches_.end(), std::move(s.txid), std::move(b));
        break;
      }
      case SnapshotSection::kHeuristic: {
        SnapshotHeuristic s;
        SK_RETURN_IF_ERROR(d.Decode(kind, body, &s));
        Status valid = ValidateTxid(s.txid);
        if (!valid.ok()) return d.Fail("HEURISTIC: " + valid.message());
        if (!heuristics_.empty() && !(heuristics_.rbegin()->first < s.txid)) {
          return d.Fail("HEURISTIC " + s.txid + " is not after the previous one");
        }
        Heuristic h;
        h.committed = s.committed;
        h.coordinator = std::move(s.coordinator);
        heuristics_.emplace_hint(heuristics_.end(), std::move(s.txid), std::move(h));
        break;
      }
      case SnapshotSection::kFinished: {
        SnapshotFinishedBatch s;
        SK_RETURN_IF_ERROR(d.Decode(kind, body, &s));
        if (s.txids.size() != s.how.size()) return d.Fail("FINISHED lists differ in length");
        for (size_t i = 0; i < s.txids.size(); ++i) {
          Finish how;
          if (!FinishFromSnapshot(s.how[i], &how)) {
            return d.Fail("FINISHED " + kv::Printable(s.txids[i]) + " has outcome " +
                          std::to_string(s.how[i]));
          }
          if (finished_.count(s.txids[i]) != 0) {
            return d.Fail("FINISHED " + kv::Printable(s.txids[i]) + " twice");
          }
          Remember(s.txids[i], {how, 0});
        }
        break;
      }
      default:
        return d.Fail("unexpected " + std::string(SnapshotSectionName(kind)) + " section");
    }
  }
}

}  // namespace shardkit::txn
