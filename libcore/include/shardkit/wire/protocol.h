// Every shardkit wire-protocol constant, in one place (DESIGN.md §5).
//
// A message is one ZeroMQ multipart message:
//
//   [routing frames...] [header] [body]
//
// The header is kHeaderBytes of fixed big-endian layout (see envelope.h); the
// body is a cereal PortableBinary archive of the struct named by the header's
// MsgType (see messages.h), always decoded through the bounded decoder in
// codec.h. Changing any value here changes the protocol: bump
// kProtocolVersion when an old peer would misread the new bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace shardkit::wire {

// The first two bytes of every header frame.
inline constexpr char kMagic0 = 'S';
inline constexpr char kMagic1 = 'K';

// The only version this build speaks; a header with another version is
// rejected rather than guessed at.
inline constexpr uint8_t kProtocolVersion = 1;

// Message types. Numbers are wire values: never reuse or renumber one.
// Ranges are reserved so later protocols can be added without collisions.
enum class MsgType : uint16_t {
  kError = 1,  // ErrorReply, the answer to any request that failed
  // 2..15: generic control messages (reserved)
  kLocateRequest = 16,  // LocateRequest, answered by kLocateReply
  kLocateReply = 17,    // LocateReply
  // 32..63: two-phase commit (DESIGN.md §7; bodies in messages.h)
  kPrepare = 32,          // Prepare, coordinator -> participant, answered by kVote
  kVote = 33,             // Vote
  kCommit = 34,           // Commit, answered by kAck
  kAbort = 35,            // Abort, answered by kAck
  kAck = 36,              // Ack (also answers kHeuristicReport)
  kCommitOnePhase = 37,   // CommitOnePhase, answered by kOnePhaseResult
  kOnePhaseResult = 38,   // OnePhaseResult
  kInquire = 39,          // Inquire, participant -> coordinator or peer, answered by kOutcome
  kOutcome = 40,          // Outcome
  kHeuristicReport = 41,  // HeuristicReport, participant -> coordinator, answered by kAck
  kSubmit = 42,           // Submit, client -> coordinator, answered by kSubmitResult
  kSubmitResult = 43,     // SubmitResult
  kGetRequest = 44,       // GetRequest, client -> participant (direct, no lock), kGetReply
  kGetReply = 45,         // GetReply
  kPutRequest = 46,       // PutRequest (durable before the reply), kPutReply
  kPutReply = 47,         // PutReply
  kDelRequest = 48,       // DelRequest (durable before the reply), kDelReply
  kDelReply = 49,         // DelReply
  kScanRequest = 50,      // ScanRequest (by prefix, paged), kScanReply
  kScanReply = 51,        // ScanReply
  kAdminRequest = 52,     // AdminRequest, operator -> daemon (status, prepared, ...)
  kAdminReply = 53,       // AdminReply, a table
  // 64..79: replication between replicad members (DESIGN.md §8; repl_messages.h)
  kReplHello = 64,          // ReplHello, replica -> primary: "I hold the log up to here"
  kReplStart = 65,          // ReplStart, primary -> replica: where to truncate, what follows
  kReplRecords = 66,        // ReplRecords, primary -> replica: log records, or a heartbeat
  kReplAck = 67,            // ReplAck, replica -> primary: cumulative positions
  kReplSnapshotChunk = 68,  // ReplSnapshotChunk, primary -> replica: full resync
  kReplVoteRequest = 69,    // ReplVoteRequest, candidate -> members, answered by kReplVote
  kReplVote = 70,           // ReplVote
  kReplTakeover = 71,       // ReplTakeover, demoted primary -> switchover target
  // 80..95: the link between a data directory's writer and its replicad (ipc)
  kLinkProgress = 80,  // LinkProgress, writer -> replicad: durable and applied LSNs
  kLinkRole = 81,      // LinkRole, replicad -> writer: primary, replica or paused
  kLinkAcked = 82,     // LinkAcked, replicad -> writer: replica positions
  kLinkAppend = 83,    // LinkAppend, replicad -> writer (replica): records to append
  kLinkTruncate = 84,  // LinkTruncate, replicad -> writer (replica): drop a divergent tail
  kLinkInstall = 85,   // LinkInstall, replicad -> writer (replica): install a resync snapshot
};

// Error codes carried in ErrorReply::code. Wire values: never renumber.
enum class ErrorCode : uint16_t {
  kBadRequest = 1,     // the request could not be decoded or is invalid
  kUnsupported = 2,    // the peer does not handle this message type
  kInternal = 3,       // the peer hit a bug or a fatal local error
  kNotPrimary = 4,     // the peer is not the primary; retry elsewhere
  kUnavailable = 5,    // the service cannot answer now (e.g. shutting down)
  kTemporary = 6,      // a timeout or transient condition; retry may help
  kPermission = 7,     // the request is not allowed for this client
  kRefused = 8,        // a negative answer: not in doubt, already decided (exit 1)
  kNotReplicated = 9,  // durable on the primary, replication not confirmed in time (75)
};

// Size of the fixed header frame: 'S' 'K' version(1) type(2) flags(2) id(8).
inline constexpr size_t kHeaderBytes = 15;

// Header flags this build understands. Unknown bits are rejected so that a
// future flag that changes meaning is never silently ignored.
inline constexpr uint16_t kKnownFlags = 0;

// Frames in one message after the routing frames: header and body.
inline constexpr size_t kMessageFrames = 2;

// The most frames a socket reader keeps for one message, routing frames
// included. Anything beyond is drained and the message rejected.
inline constexpr size_t kMaxFrames = 8;

// The largest frame a socket accepts (ZMQ_MAXMSGSIZE) and the largest body
// the decoder will look at. A peer that sends more is disconnected by libzmq.
inline constexpr size_t kMaxMessageBytes = size_t{16} << 20;

// LocateReply::owners entry for "no node": fewer nodes than replicas.
inline constexpr uint32_t kNoOwner = UINT32_MAX;

// Two-phase commit limits (DESIGN.md §7). A transaction id is 1..kMaxTxidBytes
// bytes of printable ASCII without spaces (0x21..0x7e), so it prints as one
// TSV field. Clients may supply their own (at most kMaxClientTxidBytes, which
// leaves room for the coordinator's "@<tag>.<n>" attempt suffix).
inline constexpr size_t kMaxClientTxidBytes = 128;
inline constexpr size_t kMaxTxidBytes = 200;
inline constexpr size_t kMaxKeyBytes = size_t{64} << 10;   // 64 KiB, never empty
inline constexpr size_t kMaxValueBytes = size_t{8} << 20;  // 8 MiB
inline constexpr size_t kMaxOpsPerTxn = 10000;
// Keys plus values of one transaction. Below kMaxMessageBytes so that a
// PREPARE carrying every op, plus its envelope, always fits in one frame.
inline constexpr size_t kMaxTxnBytes = size_t{12} << 20;
// The most entries and bytes one ScanReply carries; ScanReply::more says
// whether to ask again with start_after set to the last key.
inline constexpr uint32_t kMaxScanEntries = 10000;
inline constexpr size_t kMaxScanBytes = size_t{4} << 20;

// Socket baseline (applied by net::ApplyBaseline). These are protocol
// constants because both ends must agree on how fast a dead peer is noticed.
inline constexpr int kLingerMs = 200;             // bounded: -1 hangs at exit
inline constexpr int kHeartbeatIvlMs = 250;       // ZMTP PING interval
inline constexpr int kHeartbeatTimeoutMs = 1000;  // no traffic for this long: peer dead
inline constexpr int kHeartbeatTtlMs = 1000;      // asks the peer to time us out too
inline constexpr int kHandshakeIvlMs = 5000;      // bounds a stalled CURVE/ZAP handshake

// The name of `type` as used in logs ("LOCATE_REQUEST"), or "UNKNOWN".
constexpr std::string_view MsgTypeName(MsgType type) {
  switch (type) {
    case MsgType::kError:
      return "ERROR";
    case MsgType::kLocateRequest:
      return "LOCATE_REQUEST";
    case MsgType::kLocateReply:
      return "LOCATE_REPLY";
    case MsgType::kPrepare:
      return "PREPARE";
    case MsgType::kVote:
      return "VOTE";
    case MsgType::kCommit:
      return "COMMIT";
    case MsgType::kAbort:
      return "ABORT";
    case MsgType::kAck:
      return "ACK";
    case MsgType::kCommitOnePhase:
      return "COMMIT_ONE_PHASE";
    case MsgType::kOnePhaseResult:
      return "ONE_PHASE_RESULT";
    case MsgType::kInquire:
      return "INQUIRE";
    case MsgType::kOutcome:
      return "OUTCOME";
    case MsgType::kHeuristicReport:
      return "HEURISTIC_REPORT";
    case MsgType::kSubmit:
      return "SUBMIT";
    case MsgType::kSubmitResult:
      return "SUBMIT_RESULT";
    case MsgType::kGetRequest:
      return "GET_REQUEST";
    case MsgType::kGetReply:
      return "GET_REPLY";
    case MsgType::kPutRequest:
      return "PUT_REQUEST";
    case MsgType::kPutReply:
      return "PUT_REPLY";
    case MsgType::kDelRequest:
      return "DEL_REQUEST";
    case MsgType::kDelReply:
      return "DEL_REPLY";
    case MsgType::kScanRequest:
      return "SCAN_REQUEST";
    case MsgType::kScanReply:
      return "SCAN_REPLY";
    case MsgType::kAdminRequest:
      return "ADMIN_REQUEST";
    case MsgType::kAdminReply:
      return "ADMIN_REPLY";
    case MsgType::kReplHello:
      return "REPL_HELLO";
    case MsgType::kReplStart:
      return "REPL_START";
    case MsgType::kReplRecords:
      return "REPL_RECORDS";
    case MsgType::kReplAck:
      return "REPL_ACK";
    case MsgType::kReplSnapshotChunk:
      return "REPL_SNAPSHOT_CHUNK";
    case MsgType::kReplVoteRequest:
      return "REPL_VOTE_REQUEST";
    case MsgType::kReplVote:
      return "REPL_VOTE";
    case MsgType::kReplTakeover:
      return "REPL_TAKEOVER";
    case MsgType::kLinkProgress:
      return "LINK_PROGRESS";
    case MsgType::kLinkRole:
      return "LINK_ROLE";
    case MsgType::kLinkAcked:
      return "LINK_ACKED";
    case MsgType::kLinkAppend:
      return "LINK_APPEND";
    case MsgType::kLinkTruncate:
      return "LINK_TRUNCATE";
    case MsgType::kLinkInstall:
      return "LINK_INSTALL";
  }
  return "UNKNOWN";
}

// True when this build has a body struct for `type`.
constexpr bool IsKnownMsgType(MsgType type) { return MsgTypeName(type) != "UNKNOWN"; }

// A lowercase human name for `code` ("bad request"), or "unknown error".
constexpr std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadRequest:
      return "bad request";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kInternal:
      return "internal error";
    case ErrorCode::kNotPrimary:
      return "not primary";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kTemporary:
      return "temporary failure";
    case ErrorCode::kPermission:
      return "permission denied";
    case ErrorCode::kRefused:
      return "refused";
    case ErrorCode::kNotReplicated:
      return "durable on the primary, replication not confirmed";
  }
  return "unknown error";
}

}  // namespace shardkit::wire
