// Message bodies: one struct per MsgType, each with a cereal serialize().
//
// The field order in serialize() IS the wire format. Append fields only at
// the end and only with a protocol version bump; never reorder. Each struct
// names its MsgType in kType so typed helpers (EncodeMessage, Client::Call)
// cannot pair a body with the wrong header type.
//
// Decode bodies only through DecodeBody (codec.h): it bounds every length
// prefix by the bytes actually present in the frame. The replication bodies
// live in repl_messages.h, which this header includes.
#pragma once

#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "shardkit/status/status.h"
#include "shardkit/wire/protocol.h"
#include "shardkit/wire/repl_messages.h"  // replication bodies, MsgTypes 64..95

namespace shardkit::wire {

// The answer to any request that failed. `code` is an ErrorCode; it is kept
// as a raw uint16_t so an ErrorReply from a newer peer with a code this build
// does not know still decodes (it maps to Status::Internal).
struct ErrorReply {
  static constexpr MsgType kType = MsgType::kError;

  uint16_t code = 0;
  std::string reason;  // lowercase, no trailing period, names the bad value

  template <class Archive>
  void serialize(Archive& ar) {
    ar(code, reason);
  }
  bool operator==(const ErrorReply&) const = default;
};

// "Which nodes own these keys?" Answered by LocateReply.
struct LocateRequest {
  static constexpr MsgType kType = MsgType::kLocateRequest;

  uint32_t replicas = 1;          // nodes wanted per key, in preference order
  std::vector<std::string> keys;  // raw key bytes

  template <class Archive>
  void serialize(Archive& ar) {
    ar(replicas, keys);
  }
  bool operator==(const LocateRequest&) const = default;
};

// The owners of each requested key. Nodes are sent once, as a table, and
// keys refer to them by index, so a 1000-key reply costs 4 bytes per owner
// rather than a name and endpoint per key.
struct LocateReply {
  static constexpr MsgType kType = MsgType::kLocateReply;

  uint64_t generation = 0;             // ring content hash; changes on any edit
  std::vector<std::string> names;      // node table: names...
  std::vector<std::string> endpoints;  // ...and each node's first endpoint or ""
  uint32_t replicas = 1;               // owners per key
  // keys.size() * replicas node indexes, row-major (key i's owners are
  // owners[i*replicas .. i*replicas+replicas-1]); kNoOwner pads a row when
  // the ring has fewer nodes than replicas.
  std::vector<uint32_t> owners;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(generation, names, endpoints, replicas, owners);
  }
  bool operator==(const LocateReply&) const = default;
};

// ---- Two-phase commit (DESIGN.md §7) ------------------------------------
//
// Transaction ids. Participants only ever see the coordinator's *protocol*
// txid, which is unique per attempt: "<tag>.<n>" when the coordinator
// assigned it, "<client txid>@<tag>.<n>" when the client supplied one (the
// tag is unique per coordinator process start). A client that retries with
// its own txid therefore gets a fresh attempt whenever the coordinator has
// forgotten the old one, and no stale message of the old attempt can touch
// the new one. The exception is COMMIT_ONE_PHASE, which carries the client's
// txid itself: its only participant decides and remembers it, which makes a
// retry idempotent even across a coordinator restart. Clients see their own
// txid in SubmitResult.
//
// Enums below are wire values (uint8): never renumber. A decoded message may
// carry a value this build does not know; the cores reject it.

enum class OpKind : uint8_t {
  kPut = 1,          // put key value
  kDel = 2,          // del key
  kGet = 3,          // get key: its value comes back in the reads
  kCheckEq = 4,      // check key = value, else the transaction aborts
  kCheckAbsent = 5,  // check key absent, else the transaction aborts
};

// One operation. Checks and gets see the state before the transaction;
// puts and dels apply in op order.
struct Op {
  static constexpr size_t kMinWireBytes = 1 + 8 + 8;  // kind, two size tags
  OpKind kind = OpKind::kPut;
  std::string key;    // 1..kMaxKeyBytes raw bytes
  std::string value;  // put: the new value; check_eq: the expected one; else ""

  template <class Archive>
  void serialize(Archive& ar) {
    ar(kind, key, value);
  }
  bool operator==(const Op&) const = default;
};

// The result of one get (or one key of a GetRequest).
struct ReadResult {
  static constexpr size_t kMinWireBytes = 8 + 1 + 8;  // size tag, found, size tag
  std::string key;
  bool found = false;
  std::string value;  // "" when !found

  template <class Archive>
  void serialize(Archive& ar) {
    ar(key, found, value);
  }
  bool operator==(const ReadResult&) const = default;
};

enum class VoteKind : uint8_t { kYes = 1, kNo = 2, kReadOnly = 3 };
enum class TxOutcome : uint8_t { kCommitted = 1, kAborted = 2, kUnknown = 3 };

// Phase one. `participants` are the addresses of every participant (the
// recipient included), for cooperative termination; `coordinator` lists the
// coordinator's endpoints, tried in turn by INQUIRE. `ops` are the
// recipient's ops only.
struct Prepare {
  static constexpr MsgType kType = MsgType::kPrepare;
  std::string txid;
  std::vector<std::string> coordinator;
  std::vector<std::string> participants;
  std::vector<Op> ops;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(txid, coordinator, participants, ops);
  }
  bool operator==(const Prepare&) const = default;
};

// The answer to Prepare. NO carries a lowercase reason and, for a lock
// conflict or failed check, the key. READ_ONLY means the participant only
// read: it released its locks and needs no phase two. Reads are in op order.
struct Vote {
  static constexpr MsgType kType = MsgType::kVote;
  std::string txid;
  VoteKind vote = VoteKind::kNo;
  std::string reason;
  std::string key;
  std::vector<ReadResult> reads;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(txid, vote, reason, key, reads);
  }
  bool operator==(const Vote&) const = default;
};

// Phase two, and its acknowledgement (Ack also answers HeuristicReport).
struct Commit {
  static constexpr MsgType kType = MsgType::kCommit;
  std::string txid;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(txid);
  }
  bool operator==(const Commit&) const = default;
};
struct Abort {
  static constexpr MsgType kType = MsgType::kAbort;
  std::string txid;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(txid);
  }
  bool operator==(const Abort&) const = default;
};
struct Ack {
  static constexpr MsgType kType = MsgType::kAck;
  std::string txid;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(txid);
  }
  bool operator==(const Ack&) const = default;
};

// The whole transaction at its only participant, which decides.
struct CommitOnePhase {
  static constexpr MsgType kType = MsgType::kCommitOnePhase;
  std::string txid;
  std::vector<Op> ops;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(txid, ops);
  }
  bool operator==(const CommitOnePhase&) const = default;
};
struct OnePhaseResult {
  static constexpr MsgType kType = MsgType::kOnePhaseResult;
  std::string txid;
  TxOutcome outcome = TxOutcome::kAborted;  // kCommitted or kAborted
  std::string reason;
  std::string key;
  std::vector<ReadResult> reads;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(txid, outcome, reason, key, reads);
  }
  bool operator==(const OnePhaseResult&) const = default;
};

// "What happened to txid?", from an in-doubt participant to the coordinator
// or (cooperative termination) to another participant. Answered by Outcome;
// kUnknown means "I cannot tell you (yet)".
struct Inquire {
  static constexpr MsgType kType = MsgType::kInquire;
  std::string txid;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(txid);
  }
  bool operator==(const Inquire&) const = default;
};
struct Outcome {
  static constexpr MsgType kType = MsgType::kOutcome;
  std::string txid;
  TxOutcome outcome = TxOutcome::kUnknown;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(txid, outcome);
  }
  bool operator==(const Outcome&) const = default;
};

// An operator forced txid's outcome at `participant` (txpart resolve).
struct HeuristicReport {
  static constexpr MsgType kType = MsgType::kHeuristicReport;
  std::string txid;
  std::string participant;
  TxOutcome outcome = TxOutcome::kAborted;  // what the operator chose
  template <class Archive>
  void serialize(Archive& ar) {
    ar(txid, participant, outcome);
  }
  bool operator==(const HeuristicReport&) const = default;
};

// A client's transaction. `txid` is empty (the coordinator assigns one) or
// the client's own id, which makes a retry idempotent (see above).
struct Submit {
  static constexpr MsgType kType = MsgType::kSubmit;
  std::string txid;
  std::vector<Op> ops;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(txid, ops);
  }
  bool operator==(const Submit&) const = default;
};
// The answer to Submit: the client's txid, the outcome, a reason when not
// committed, the key a conflict or failed check was about, and one read per
// get op, in the order of the gets.
struct SubmitResult {
  static constexpr MsgType kType = MsgType::kSubmitResult;
  std::string txid;
  TxOutcome outcome = TxOutcome::kUnknown;
  std::string reason;
  std::string key;
  std::vector<ReadResult> reads;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(txid, outcome, reason, key, reads);
  }
  bool operator==(const SubmitResult&) const = default;
};

// Direct single-shard verbs (txpart get|put|del|scan). Reads take no lock and
// see the last committed value; writes fail with ErrorReply{kTemporary} while
// a transaction holds the key, and are durable before the reply, which
// carries the record's LSN.
struct GetRequest {
  static constexpr MsgType kType = MsgType::kGetRequest;
  std::vector<std::string> keys;
  // Read-your-writes: answer only once this member has applied this LSN
  // (the lsn of a PUT_REPLY or DEL_REPLY); a member behind it answers
  // TEMPORARY with a reason starting "behind:". 0: any state.
  uint64_t min_lsn = 0;
  // Bounded staleness: a standby answers only if it was in sync with the
  // primary at most this many milliseconds ago (it has applied everything
  // the primary had made durable by then), else TEMPORARY "behind:". A
  // primary is never stale. 0: any staleness.
  uint64_t max_staleness_ms = 0;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(keys, min_lsn, max_staleness_ms);
  }
  bool operator==(const GetRequest&) const = default;
};
struct GetReply {
  static constexpr MsgType kType = MsgType::kGetReply;
  std::vector<ReadResult> reads;  // one per requested key, in order
  template <class Archive>
  void serialize(Archive& ar) {
    ar(reads);
  }
  bool operator==(const GetReply&) const = default;
};
// `ack` asks for an ack level (repl/ack_level.h) on top of the group's:
// the reply waits until both are met, or the client gets NOT_REPLICATED.
// "": the group's level alone.
struct PutRequest {
  static constexpr MsgType kType = MsgType::kPutRequest;
  std::string key;
  std::string value;
  std::string ack = {};
  template <class Archive>
  void serialize(Archive& ar) {
    ar(key, value, ack);
  }
  bool operator==(const PutRequest&) const = default;
};
struct PutReply {
  static constexpr MsgType kType = MsgType::kPutReply;
  uint64_t lsn = 0;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(lsn);
  }
  bool operator==(const PutReply&) const = default;
};
struct DelRequest {
  static constexpr MsgType kType = MsgType::kDelRequest;
  std::string key;
  std::string ack = {};  // as PutRequest::ack
  template <class Archive>
  void serialize(Archive& ar) {
    ar(key, ack);
  }
  bool operator==(const DelRequest&) const = default;
};
struct DelReply {
  static constexpr MsgType kType = MsgType::kDelReply;
  uint64_t lsn = 0;
  bool existed = false;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(lsn, existed);
  }
  bool operator==(const DelReply&) const = default;
};
// Keys starting with `prefix`, in order, after `start_after` ("" = from the
// start), at most `limit` (capped at kMaxScanEntries and kMaxScanBytes).
struct ScanRequest {
  static constexpr MsgType kType = MsgType::kScanRequest;
  std::string prefix;
  std::string start_after;
  uint32_t limit = kMaxScanEntries;
  uint64_t min_lsn = 0;           // as GetRequest::min_lsn
  uint64_t max_staleness_ms = 0;  // as GetRequest::max_staleness_ms
  template <class Archive>
  void serialize(Archive& ar) {
    ar(prefix, start_after, limit, min_lsn, max_staleness_ms);
  }
  bool operator==(const ScanRequest&) const = default;
};
struct ScanReply {
  static constexpr MsgType kType = MsgType::kScanReply;
  std::vector<std::string> keys;
  std::vector<std::string> values;  // values[i] belongs to keys[i]
  bool more = false;                // true: ask again from keys.back()
  template <class Archive>
  void serialize(Archive& ar) {
    ar(keys, values, more);
  }
  bool operator==(const ScanReply&) const = default;
};

// Operator verbs (txpart status|prepared|resolve, txcoord status|outcome)
// share one request and one reply: a verb name with its arguments, answered
// by a table. The tools print the table as TSV or JSON Lines, so a new
// column is a new field in both without a wire change.
struct AdminRequest {
  static constexpr MsgType kType = MsgType::kAdminRequest;
  std::string verb;               // "status", "prepared", "resolve", "outcome", ...
  std::vector<std::string> args;  // verb-specific
  template <class Archive>
  void serialize(Archive& ar) {
    ar(verb, args);
  }
  bool operator==(const AdminRequest&) const = default;
};
struct AdminReply {
  static constexpr MsgType kType = MsgType::kAdminReply;
  std::vector<std::string> columns;            // column names, lowercase_with_underscores
  std::vector<std::vector<std::string>> rows;  // each row has columns.size() cells
  template <class Archive>
  void serialize(Archive& ar) {
    ar(columns, rows);
  }
  bool operator==(const AdminReply&) const = default;
};

// The Status a client should see for `reply`: kBadRequest -> DataError,
// kNotPrimary, kNotReplicated and kTemporary -> Temporary, kUnavailable and kUnsupported ->
// Unavailable, kPermission -> Permission, kRefused -> Negative, kInternal and
// unknown codes -> Internal. The message is "<code name>: <reason>". Never returns ok.
Status StatusFromErrorReply(const ErrorReply& reply);

// The ErrorReply a server should send for a failed `status` (must not be ok):
// DataError, Usage, NoInput -> kBadRequest; Temporary -> kTemporary;
// Unavailable -> kUnavailable; Permission -> kPermission; Negative ->
// kRefused; anything else -> kInternal. The reason is the status message.
ErrorReply ErrorReplyFromStatus(const Status& status);

// Checks the invariants DecodeBody cannot know: names and endpoints have the
// same length, replicas >= 1, owners has key_count * replicas entries, and
// every owner is a node index or kNoOwner. Returns DataError naming the first
// violation, ok otherwise.
Status ValidateLocateReply(const LocateReply& reply, size_t key_count);

}  // namespace shardkit::wire
