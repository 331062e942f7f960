// The vocabulary of the sans-IO two-phase-commit cores (DESIGN.md §2, §7):
// the events a driver feeds in, the actions a core hands back, and the
// contract between them. Start here, then read participant.h and
// coordinator.h.
//
// A core (txn::Participant, txn::Coordinator) is a pure state machine. It
// does no I/O, reads no clock and starts no thread. The driver is the
// daemon's event loop (txpart, txcoord) or the deterministic simulator
// (tests/sim); both run the same core:
//
//   std::vector<txn::Action> actions;
//   Status s = core.Handle(txn::Recovered{records, next_lsn, snapshot, snapshot_lsn},
//                          &actions);               // first, always
//   for (;;) {
//     actions.clear();
//     s = core.Handle(next_event, &actions);   // a message, a timer, LogDurable, ...
//     for (auto& a : actions) Perform(a);      // in order
//   }
//
// THE DRIVER CONTRACT
//
//  1. Recovered is the first event, exactly once, even for an empty log. It
//     carries the newest snapshot the core's ExportState made (if any) and
//     every record the core ever appended after it that survived (see 3),
//     in LSN order, and the LSN the next append will get. Snapshots are made
//     off the live core, by replaying the durable log into a fresh core
//     (snapshot.h); the log up to a snapshot may be deleted once the
//     snapshot is durable.
//  2. Events are handled one at a time; the actions of one Handle call are
//     performed in the order given, before the next event is handled.
//  3. AppendLog{lsn, type, payload, force}: append the record to the log at
//     exactly `lsn`. The core numbers its appends densely from
//     Recovered::next_lsn, so the core must be the log's only writer (a WAL
//     Append that returns another LSN is a bug: stop). `type` is the WAL
//     record-type byte (a txn::RecordType). With force=true, make it durable
//     promptly (group commit may batch it with others); with force=false it
//     may wait for the next batch. Never lose a record and keep a later one:
//     durability is by prefix, as with any log.
//  4. LogDurable{n}: report it once every record with LSN <= n is durable
//     (fdatasync returned), never earlier. Reports are cumulative; one report
//     may cover many records, including unforced ones, and skipping a value
//     is fine.
//  5. Send{to, request_id, msg}: best effort. Losing, delaying or reordering
//     it is safe; the core retries what matters. `to` is either a `from` the
//     core received (a reply) or an address the core was given (a
//     coordinator endpoint, a participant address from the router or from a
//     PREPARE). request_id echoes the request a reply answers (0 otherwise).
//  6. SetTimer{id, delay_ms}: deliver TimerFired{id} once after about
//     delay_ms. CancelTimer{id}: do not deliver it. Delivering a cancelled or
//     unknown timer is harmless (the core ignores ids it no longer expects).
//  7. Resolved{txid, outcome} is a notification (metrics, logs, the
//     simulator's checkers): nothing needs doing.
//  8. A non-ok Status from Handle: for Recovered it means the log or the
//     snapshot is corrupt or inconsistent (IoError: refuse to start, exit
//     74; Config and Internal are the driver's own bugs); for OperatorResolve it is
//     the operator's error to print; other events always return ok (a bad
//     message is answered with an ErrorReply Send, not an error).
//
// THE FORCE-BEFORE-SEND RULE lives in the cores, not in the driver: a core
// emits an action that reveals a forced record's state (a YES vote, a
// COMMIT, an ACK of a COMMIT, a client's "committed", a one-phase result, a
// direct-write reply, an abort a participant decided alone) only after it
// has itself received LogDurable covering that record's LSN. A driver that
// keeps rules 3 and 4 therefore cannot break it, and the simulator checks
// every Send against its simulated disk. The comment blocks at the top of
// participant.cpp and coordinator.cpp list, per transition, which record is
// forced before which message, and why.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "shardkit/status/status.h"
#include "shardkit/wire/messages.h"

namespace shardkit::txn {

// An address: a reply handle from MessageReceived::from, a participant
// address (from the router or a PREPARE) or a coordinator endpoint. Opaque
// to the cores; the driver maps it to a socket.
using Peer = std::string;
using Lsn = uint64_t;
using TimerId = uint64_t;

// Every message body a core sends or receives.
using Message = std::variant<wire::ErrorReply, wire::Prepare, wire::Vote, wire::Commit, wire::Abort,
                             wire::Ack, wire::CommitOnePhase, wire::OnePhaseResult, wire::Inquire,
                             wire::Outcome, wire::HeuristicReport, wire::Submit, wire::SubmitResult,
                             wire::GetRequest, wire::GetReply, wire::PutRequest, wire::PutReply,
                             wire::DelRequest, wire::DelReply, wire::ScanRequest, wire::ScanReply>;

// One surviving log record, as the WAL's recovery hands it back.
struct LogEntry {
  Lsn lsn = 0;
  uint8_t type = 0;  // a RecordType (records.h)
  std::string payload;
};

// ---- events ---------------------------------------------------------------

// The core's durable state, as recovery found it: the newest snapshot (if
// any) and every log record after it. The core loads the snapshot first,
// then replays the records, and ends up exactly where replaying the whole
// log would have left it (snapshot.h defines the snapshot that way). A log
// that lacks a PREPARED which a later COMMITTED needs is refused (IoError),
// and so is any malformed snapshot.
struct Recovered {
  std::vector<LogEntry> records;  // increasing LSNs, all > snapshot_lsn
  Lsn next_lsn = 1;               // the LSN of the next append (> every record's)
  // The bytes a fresh core's ExportState() returned (snapshot.h), empty for
  // none. It must be of the same role (participant or coordinator) and say
  // it is of snapshot_lsn, which must be below next_lsn; without a snapshot,
  // snapshot_lsn must be 0.
  // (Set all four fields: `Recovered{records, next_lsn}` still compiles but
  // -Wextra flags the missing initializers.)
  std::string snapshot;
  Lsn snapshot_lsn = 0;  // the snapshot includes every record up to this LSN
};

// A decoded message. For the coordinator, VOTE, ACK and ONE_PHASE_RESULT must
// come with `from` equal to the participant address the router returned
// (the driver knows which participant connection it arrived on).
struct MessageReceived {
  Peer from;
  uint64_t request_id = 0;
  Message msg;
};

struct TimerFired {
  TimerId id = 0;
};

struct LogDurable {
  Lsn lsn = 0;  // every record with LSN <= lsn is durable
};

// `txpart resolve TXID --commit|--abort` (participant only): force the
// outcome of an in-doubt transaction. Logged and reported as heuristic.
struct OperatorResolve {
  std::string txid;
  bool commit = false;
};

// Hot standby (DESIGN.md §8). A replica's writer recovers with
// StandbyRecovered instead of Recovered: the core rebuilds its state the
// same way but stays passive. It arms no timer, sends no inquiry or
// re-drive, and answers only reads (a participant's GET and SCAN; anything
// else gets ErrorReply NOT_PRIMARY). Replicated hands it more records, in
// LSN order, that the replica's log made durable; it replays them exactly
// as recovery would. Promoted turns it into the primary: it does what
// Recovered does after replay (re-takes in-doubt locks and asks about them,
// re-drives decisions) and from then on behaves as after Recovered. A
// standby's next append is after the last record it was handed.
struct StandbyRecovered {
  Recovered recovered;
};
struct Replicated {
  std::vector<LogEntry> records;
};
struct Promoted {};

using Event = std::variant<Recovered, MessageReceived, TimerFired, LogDurable, OperatorResolve,
                           StandbyRecovered, Replicated, Promoted>;

// ---- actions --------------------------------------------------------------

struct Send {
  Peer to;
  uint64_t request_id = 0;
  Message msg;
};

struct AppendLog {
  Lsn lsn = 0;
  uint8_t type = 0;  // a RecordType
  std::string payload;
  bool force = false;
};

struct SetTimer {
  TimerId id = 0;
  uint32_t delay_ms = 0;
};

struct CancelTimer {
  TimerId id = 0;
};

// Notification: `txid` reached its final local outcome here. A participant
// reports kCommitted once the writes are applied and kAborted once the
// locks are released; direct writes report kCommitted with a txid of the
// form "direct:<lsn>". The coordinator reports its decision: kCommitted
// once the commit record is durable (or, read-only, at once), kAborted when
// it decides to abort.
struct Resolved {
  std::string txid;
  wire::TxOutcome outcome = wire::TxOutcome::kUnknown;
};

using Action = std::variant<Send, AppendLog, SetTimer, CancelTimer, Resolved>;

// ---- message framing helpers for drivers ------------------------------------

// The wire type of `msg`.
wire::MsgType TypeOf(const Message& msg);

// Returns [header, body] frames for `msg` (wire::EncodeMessage).
std::vector<std::string> EncodeTxnMessage(uint64_t request_id, const Message& msg);

// Decodes a body of wire type `type` (bounded, never throws). Returns
// DataError for a malformed body and Unavailable("unsupported message type
// N") for a type that is not in Message (answer it with kUnsupported).
Result<Message> DecodeTxnMessage(wire::MsgType type, std::string_view body);

}  // namespace shardkit::txn
