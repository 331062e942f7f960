#include "shardkit/txn/records.h"

#include "shardkit/kv/store.h"

namespace shardkit::txn {
namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += ',';
    out += kv::Printable(s);
  }
  return out;
}

template <class T>
std::string Describe(RecordType type, std::string_view payload, std::string (*fields)(const T&)) {
  T record;
  Status s = DecodeRecord(type, payload, &record);
  if (!s.ok()) return s.message();
  return std::string(RecordTypeName(type)) + " " + fields(record);
}

}  // namespace

std::string_view RecordTypeName(RecordType type) {
  switch (type) {
    case RecordType::kPrepared:
      return "PREPARED";
    case RecordType::kCommitted:
      return "COMMITTED";
    case RecordType::kAborted:
      return "ABORTED";
    case RecordType::kOnePhaseCommitted:
      return "ONE_PHASE_COMMITTED";
    case RecordType::kDirectWrite:
      return "DIRECT_WRITE";
    case RecordType::kHeuristicCommitted:
      return "HEURISTIC_COMMITTED";
    case RecordType::kHeuristicAborted:
      return "HEURISTIC_ABORTED";
    case RecordType::kCommitDecision:
      return "COMMIT_DECISION";
    case RecordType::kEnd:
      return "END";
    case RecordType::kHeuristicMismatch:
      return "HEURISTIC_MISMATCH";
  }
  return "UNKNOWN";
}

std::string DescribeRecord(uint8_t type_byte, std::string_view payload) {
  const auto type = static_cast<RecordType>(type_byte);
  switch (type) {
    case RecordType::kPrepared:
      return Describe<PreparedRecord>(type, payload, [](const PreparedRecord& r) {
        return "txid=" + r.txid + " ops=" + std::to_string(r.ops.size()) +
               " coordinator=" + Join(r.coordinator) + " participants=" + Join(r.participants);
      });
    case RecordType::kCommitted:
    case RecordType::kAborted:
    case RecordType::kHeuristicCommitted:
    case RecordType::kHeuristicAborted:
    case RecordType::kEnd:
      return Describe<TxidRecord>(type, payload,
                                  [](const TxidRecord& r) { return "txid=" + r.txid; });
    case RecordType::kOnePhaseCommitted:
      return Describe<OnePhaseRecord>(type, payload, [](const OnePhaseRecord& r) {
        return "txid=" + r.txid + " ops=" + std::to_string(r.ops.size());
      });
    case RecordType::kDirectWrite:
      return Describe<DirectWriteRecord>(type, payload, [](const DirectWriteRecord& r) {
        return "ops=" + std::to_string(r.ops.size());
      });
    case RecordType::kCommitDecision:
      return Describe<CommitDecisionRecord>(type, payload, [](const CommitDecisionRecord& r) {
        return "txid=" + r.txid + " client_txid=" + r.client_txid +
               " participants=" + Join(r.participants) + " yes_voters=" + Join(r.yes_voters);
      });
    case RecordType::kHeuristicMismatch:
      return Describe<HeuristicMismatchRecord>(type, payload, [](const HeuristicMismatchRecord& r) {
        return "txid=" + r.txid + " participant=" + kv::Printable(r.participant) +
               " decided=" + std::string(OutcomeName(r.decided)) +
               " heuristic=" + std::string(OutcomeName(r.heuristic));
      });
  }
  return "unknown record type " + std::to_string(type_byte);
}

std::string_view OutcomeName(wire::TxOutcome outcome) {
  switch (outcome) {
    case wire::TxOutcome::kCommitted:
      return "committed";
    case wire::TxOutcome::kAborted:
      return "aborted";
    case wire::TxOutcome::kUnknown:
      break;
  }
  return "unknown";
}

}  // namespace shardkit::txn
