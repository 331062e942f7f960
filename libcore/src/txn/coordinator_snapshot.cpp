// Coordinator: its state as a snapshot, and back (snapshot.h has the format).
//
// Replay (Coordinator::OnRecovered) rebuilds exactly these, and a snapshot
// holds exactly these, so that loading it and replaying the records after
// it ends where replaying the whole log would:
//   - the decisions without END, as logged (re-driven after the replay);
//   - memory_ and its eviction order: one entry per COMMIT_DECISION, always
//     "committed" with its get results lost, paired with the protocol txid
//     it was remembered under;
//   - decided_: protocol txid -> outcome, for comparing heuristic reports
//     (usually the txids of the pairs above, but a client txid decided
//     twice leaves an extra one, which is kept as replay keeps it);
//   - heuristics_: one mismatch per HEURISTIC_MISMATCH record, in order.
// Counters and the attempt counter are not rebuilt by replay (the tag makes
// attempt txids unique per process start) and are not in the snapshot.
#include <algorithm>

#include "shardkit/txn/coordinator.h"
#include "shardkit/txn/ops.h"
#include "shardkit/txn/snapshot.h"

namespace shardkit::txn {

Result<std::string> Coordinator::ExportState() const {
  if (!pristine_) {
    return Status::Internal(
        "coordinator: ExportState needs a core that has handled only Recovered");
  }
  SnapshotEncoder enc(SnapshotRole::kCoordinator, next_lsn_ - 1);
  for (const auto& [txid, rec] : replayed_open_) enc.Add(SnapshotSection::kDecision, rec);

  SnapshotRememberedBatch remembered;
  size_t bytes = 0;
  for (const auto& [client_txid, txid] : memory_order_) {
    if (bytes != 0 && bytes + client_txid.size() + txid.size() > kSnapshotBatchBytes) {
      enc.Add(SnapshotSection::kRemembered, remembered);
      remembered = {};
      bytes = 0;
    }
    remembered.client_txids.push_back(client_txid);
    remembered.txids.push_back(txid);
    bytes += client_txid.size() + txid.size();
  }
  if (!remembered.txids.empty()) enc.Add(SnapshotSection::kRemembered, remembered);

  // Sorted, so that equal states give equal snapshots.
  std::vector<std::pair<std::string_view, wire::TxOutcome>> decided(decided_.begin(),
                                                                    decided_.end());
  std::sort(decided.begin(), decided.end());
  SnapshotDecidedBatch batch;
  bytes = 0;
  for (const auto& [txid, outcome] : decided) {
    if (bytes != 0 && bytes + txid.size() > kSnapshotBatchBytes) {
      enc.Add(SnapshotSection::kDecided, batch);
      batch = {};
      bytes = 0;
    }
    batch.txids.emplace_back(txid);
    batch.outcomes.push_back(static_cast<uint8_t>(outcome));
    bytes += txid.size() + 1;
  }
  if (!batch.txids.empty()) enc.Add(SnapshotSection::kDecided, batch);

  for (const HeuristicReportInfo& h : heuristics_) {
    enc.Add(SnapshotSection::kMismatch,
            HeuristicMismatchRecord{h.txid, h.participant, h.decided, h.heuristic});
  }
  return std::move(enc).Finish();
}

Status Coordinator::LoadSnapshot(std::string_view bytes, Lsn lsn) {
  Result<SnapshotDecoder> opened = SnapshotDecoder::Open(bytes, SnapshotRole::kCoordinator, lsn);
  if (!opened.ok()) return opened.status();
  SnapshotDecoder& d = *opened;
  SnapshotSection kind;
  std::string_view body;
  for (;;) {
    Result<bool> more = d.Next(&kind, &body);
    if (!more.ok()) return more.status();
    if (!*more) break;
    switch (kind) {
      case SnapshotSection::kDecision: {
        CommitDecisionRecord rec;
        SK_RETURN_IF_ERROR(d.Decode(kind, body, &rec));
        Status valid = ValidateTxid(rec.txid);
        if (!valid.ok()) return d.Fail("DECISION: " + valid.message());
        if (!replayed_open_.empty() && !(replayed_open_.rbegin()->first < rec.txid)) {
          return d.Fail("DECISION " + rec.txid + " is not after the previous one");
        }
        std::string txid = rec.txid;
        replayed_open_.emplace_hint(replayed_open_.end(), std::move(txid), std::move(rec));
        break;
      }
      case SnapshotSection::kRemembered: {
        SnapshotRememberedBatch s;
        SK_RETURN_IF_ERROR(d.Decode(kind, body, &s));
        if (s.client_txids.size() != s.txids.size()) {
          return d.Fail("REMEMBERED lists differ in length");
        }
        for (size_t i = 0; i < s.txids.size(); ++i) {
          const std::string& client = s.client_txids[i];
          wire::SubmitResult result{client, wire::TxOutcome::kCommitted, "", "", {}};
          if (!memory_.emplace(client, Remembered{std::move(result), true}).second) {
            return d.Fail("REMEMBERED " + kv::Printable(client) + " twice");
          }
          memory_order_.emplace_back(client, std::move(s.txids[i]));
        }
        break;
      }
      case SnapshotSection::kDecided: {
        SnapshotDecidedBatch s;
        SK_RETURN_IF_ERROR(d.Decode(kind, body, &s));
        if (s.txids.size() != s.outcomes.size()) return d.Fail("DECIDED lists differ in length");
        for (size_t i = 0; i < s.txids.size(); ++i) {
          const auto outcome = static_cast<wire::TxOutcome>(s.outcomes[i]);
          if (outcome != wire::TxOutcome::kCommitted && outcome != wire::TxOutcome::kAborted) {
            return d.Fail("DECIDED " + kv::Printable(s.txids[i]) + " has outcome " +
                          std::to_string(s.outcomes[i]));
          }
          if (!decided_.emplace(std::move(s.txids[i]), outcome).second) {
            return d.Fail("DECIDED " + kv::Printable(s.txids[i]) + " twice");
          }
        }
        break;
      }
      case SnapshotSection::kMismatch: {
        HeuristicMismatchRecord rec;
        SK_RETURN_IF_ERROR(d.Decode(kind, body, &rec));
        heuristics_.push_back(
            HeuristicReportInfo{rec.txid, rec.participant, rec.decided, rec.heuristic, true});
        break;
      }
      default:
        return d.Fail("unexpected " + std::string(SnapshotSectionName(kind)) + " section");
    }
  }
  // A snapshot made with a larger outcome_memory: evict as Remember would.
  while (memory_order_.size() > options_.outcome_memory) {
    memory_.erase(memory_order_.front().first);
    decided_.erase(memory_order_.front().second);
    memory_order_.pop_front();
  }
  return Status::Ok();
}

}  // namespace shardkit::txn
