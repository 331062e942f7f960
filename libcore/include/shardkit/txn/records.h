// Log record payloads of the two-phase-commit cores (DESIGN.md §7).
//
// A record is the WAL's (type byte, payload): `type` is a RecordType and the
// payload is the cereal PortableBinary encoding of the struct named below,
// decoded only through the bounded decoder (wire/codec.h), so a corrupt or
// hostile log cannot make recovery allocate more than the payload's size.
// Field order is the on-disk format: append fields only with a new type.
//
//   participant log                         forced?  written when
//   kPrepared           PreparedRecord      yes      before voting YES
//   kCommitted          TxidRecord          yes      before applying + ACK
//   kAborted            TxidRecord          no*      on ABORT (*forced before
//                                                    revealing an abort we
//                                                    decided alone: a one-phase
//                                                    abort, or an answer to a
//                                                    peer's INQUIRE)
//   kOnePhaseCommitted  OnePhaseRecord      yes      before a one-phase reply
//   kDirectWrite        DirectWriteRecord   yes      before a put/del reply
//   kHeuristicCommitted TxidRecord          yes      txpart resolve --commit
//   kHeuristicAborted   TxidRecord          yes      txpart resolve --abort
//
//   coordinator log
//   kCommitDecision     CommitDecisionRecord yes     the commit point
//   kEnd                TxidRecord          no       every YES voter ACKed
//   kHeuristicMismatch  HeuristicMismatchRecord yes  a report contradicts us
//                                                    (before ACKing it)
//
// There is no abort record on the coordinator: presumed abort means a txid
// with no kCommitDecision is aborted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shardkit/status/status.h"
#include "shardkit/wire/codec.h"
#include "shardkit/wire/messages.h"

namespace shardkit::txn {

// WAL record-type bytes. On-disk values: never renumber.
enum class RecordType : uint8_t {
  kPrepared = 1,
  kCommitted = 2,
  kAborted = 3,
  kOnePhaseCommitted = 4,
  kDirectWrite = 5,
  kHeuristicCommitted = 6,
  kHeuristicAborted = 7,
  kCommitDecision = 16,
  kEnd = 17,
  kHeuristicMismatch = 18,
};

// "PREPARED", "COMMIT_DECISION", ... or "UNKNOWN".
std::string_view RecordTypeName(RecordType type);

// "committed", "aborted" or "unknown": how every tool prints an outcome.
std::string_view OutcomeName(wire::TxOutcome outcome);

// Everything a participant needs to finish an in-doubt transaction after a
// restart: its ops (to apply on COMMIT and to re-take the locks), who to ask
// (coordinator endpoints) and who else might know (participants).
struct PreparedRecord {
  std::string txid;
  std::vector<std::string> coordinator;
  std::vector<std::string> participants;
  std::vector<wire::Op> ops;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(txid, coordinator, participants, ops);
  }
  bool operator==(const PreparedRecord&) const = default;
};

struct TxidRecord {
  std::string txid;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(txid);
  }
  bool operator==(const TxidRecord&) const = default;
};

// A one-phase commit: there is no PREPARED record, so the ops travel here.
struct OnePhaseRecord {
  std::string txid;
  std::vector<wire::Op> ops;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(txid, ops);
  }
  bool operator==(const OnePhaseRecord&) const = default;
};

// A direct put or del (txpart put|del).
struct DirectWriteRecord {
  std::vector<wire::Op> ops;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(ops);
  }
  bool operator==(const DirectWriteRecord&) const = default;
};

// The commit point. `yes_voters` get COMMIT until they ACK (also after a
// restart); `participants` is everyone involved, for status output.
struct CommitDecisionRecord {
  std::string txid;         // protocol txid
  std::string client_txid;  // what the client knows it as, for retries
  std::vector<std::string> participants;
  std::vector<std::string> yes_voters;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(txid, client_txid, participants, yes_voters);
  }
  bool operator==(const CommitDecisionRecord&) const = default;
};

struct HeuristicMismatchRecord {
  std::string txid;
  std::string participant;
  wire::TxOutcome decided = wire::TxOutcome::kUnknown;
  wire::TxOutcome heuristic = wire::TxOutcome::kUnknown;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(txid, participant, decided, heuristic);
  }
  bool operator==(const HeuristicMismatchRecord&) const = default;
};

// The payload bytes of `record`.
template <class T>
std::string EncodeRecord(const T& record) {
  return wire::EncodeBody(record);
}

// Decodes `payload` as a T. On success replaces *out; otherwise returns
// DataError("<type name> record: <reason>") and leaves *out unchanged.
template <class T>
Status DecodeRecord(RecordType type, std::string_view payload, T* out) {
  Status s = wire::DecodeBody(payload, out);
  if (s.ok()) return s;
  return Status::DataError(std::string(RecordTypeName(type)) + " record: " + s.message());
}

// One line describing a record ("PREPARED txid=t1 ops=3"), or the decode
// error. For logs, tests and the simulator's --verbose.
std::string DescribeRecord(uint8_t type, std::string_view payload);

}  // namespace shardkit::txn
