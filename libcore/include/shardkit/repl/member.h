// repl::Member: the sans-IO replication core of one replicad (DESIGN.md §2, §8).
//
// A replication group is one primary and its replicas for one data
// directory's log. Each member runs one Member. It knows positions, epochs,
// acknowledgements and votes; it knows nothing about transactions, sockets,
// files or clocks. The driver (replicad, or the simulator in tests/sim)
// feeds it events with the current time and performs the actions it returns,
// in order:
//
//   repl::Member m(config);
//   std::vector<repl::Action> out;
//   m.Handle(repl::Started{...}, now_ms, &out);   // first, exactly once
//   for (;;) { out.clear(); m.Handle(next_event, now_ms, &out); Perform(out); }
//
// THE DRIVER CONTRACT
//
//  1. Started is the first event: the member's durable state (DIR/epochs and
//     DIR/vote), where the writer's durable log ends, and a session base
//     that grows from one start to the next (see Started). The writer may
//     still make records durable past that end (it was primary, or had
//     records in flight); the member counts them from WriterProgress until
//     its first START, which then cuts anything it has not heard of.
//  2. Persist{...}: write the member's durable state (current epoch, epoch
//     history, vote) and fsync it BEFORE performing any later action of the
//     same Handle call. A failure is fatal (exit 70). This is what makes "at
//     most one vote per member per epoch" and "the epoch is recorded before
//     the new primary accepts a write" true.
//  3. Send{to, msg}: best effort to the member whose replicad endpoint is
//     `to`. Loss, delay, duplication and reordering are all safe.
//     MessageReceived::from is only used to answer a START (its sender is
//     followed when the member follows nobody yet); elsewhere the core
//     replies to endpoints carried in the messages.
//  4. ToWriter{msg}: deliver to the data directory's writer over the link, in
//     order. The writer reports back with WriterProgress events, whose
//     last_epoch must be the epoch of the record AT durable_lsn: a replica
//     ignores a report whose epoch disagrees with its history for that LSN
//     (a report about records it has since truncated). LinkRole's
//     primary_hint is left empty: the driver fills it in from
//     primary_client(), and resends the role when that changes.
//  5. ReadLog{to, from_lsn, max_bytes}: read durable records starting at
//     from_lsn (at most about max_bytes, at least one record if any) and hand
//     them back as LogRead{to, ...}; gone = true when from_lsn is older than
//     the oldest retained segment (the replica needs a full resync).
//  6. SendSnapshot{to, session}: stream the newest snapshot to `to` in
//     chunks stamped with `session`, then report ResyncSent{to, snapshot_lsn,
//     snapshot_epoch, session} -- also when the transfer failed (failed =
//     true) -- so exactly one ResyncSent answers each SendSnapshot. The core
//     has at most one SendSnapshot per replica outstanding; a driver that
//     sends one transfer at a time queues the others. The core streams the
//     log after the snapshot once the replica acks its LSN. On the replica,
//     the driver assembles the chunks in order and reports each one as
//     SnapshotProgress; the member answers the last with InstallSnapshot
//     when it wants that snapshot (the resync it waits for, of its epoch and
//     session, at or above every LSN it acknowledged as flushed), and only
//     then does the driver have the writer install it (LinkInstall); once
//     the writer reports it installed, the driver feeds SnapshotInstalled.
//     A snapshot the member does not ask for is discarded. Until
//     SnapshotInstalled the replica ignores RECORDS.
//  7. SetTimer/CancelTimer as in txn/core.h (ids are the core's; stale ids are
//     ignored). Every SetTimer uses a fresh id.
//  8. Note{level, text}: one log line (a resync, a step-down, a vote...).
//  9. OperatorDone{token, status}: the answer to an Operator event, exactly
//     one per Operator: at once, or for an accepted switchover when it
//     completes, times out or is abandoned.
//
// The core is deterministic: no clock but the now_ms passed in, no
// randomness but Config::seed (mixed with Config::name, so members that
// share a seed still draw different election timeouts), and no iteration
// over unordered containers.
//
// ROLES
//
//   replica    follows a primary (or looks for one): appends what it is
//              sent, acks, and with auto_failover starts an election when it
//              has heard nothing from a primary for election_ms (jittered).
//   candidate  asked the members for votes in current_epoch; becomes primary
//              on a majority of the group (itself included), otherwise
//              retries after another jittered timeout. A switchover target
//              runs at once when the TAKEOVER arrives (with or without
//              auto_failover), flagged as a transfer so that voters who
//              heard the old primary lately still vote.
//   primary    streams to every replica that said HELLO, tracks their acks,
//              and tells the writer what is acknowledged (LinkAcked). With an
//              ack level that needs replicas, it pauses the writer when fewer
//              than k replicas acked within lease_ms (counted from the
//              promotion at first), and resumes when they do. Every
//              heartbeat_ms it sends an empty RECORDS (prev_lsn = what it sent
//              that replica, so a lost RECORDS shows as a gap) to each replica
//              and each peer that is not one; replicas ACK every RECORDS,
//              heartbeats included, which is what keeps the lease.
//   paused     a primary holding writes (switchover, lost lease).
//
// SAFETY RULES (each one is checked by tests/unit/repl/member_harness.h; the
// simulator in tests/sim is to check them too)
//
//  * Fencing: any message from a lower epoch is dropped (a replica answers a
//    stale primary's RECORDS with an ACK in its own epoch, which makes it step
//    down; a primary answers a HELLO from a lower epoch with a heartbeat in
//    its own, so a replica that slept through a failover learns the epoch
//    and says HELLO again). A primary or candidate that sees a higher epoch
//    steps down at once and tells the writer (LinkRole replica) before
//    anything else. The one exception is VOTE_REQUEST: a primary, or a
//    replica that heard a live primary within election_ms, refuses it
//    WITHOUT adopting its epoch, so a member coming back from a partition
//    with a high epoch does not depose a working primary through its voters
//    (unless the request is a switchover's transfer).
//  * Promotion persists the new epoch and a history line (epoch, first LSN)
//    before it tells the writer it is primary, together with a vote for
//    itself in that epoch (so a manual promote also spends this member's
//    vote). Earlier history lines that start past the new line are lowered
//    to it (epochs whose records this log never had). Every promotion but
//    the operator's promote is an election won by a majority; a manual
//    promote is an override that needs no quorum, so while the others can
//    still elect a primary it can race that election for the same epoch
//    (the promoted member never votes in its epoch, but the others may).
//  * Votes: one per member per epoch, persisted before it is sent, granted
//    only to a candidate whose log end (last epoch, last lsn) is at least the
//    voter's and only when the voter has not heard from a live primary within
//    election_ms (or the request is a transfer).
//  * The writer's log end: until its first START a replica extends its log
//    end with whatever its writer reports durable (a former primary's writer
//    finishes its own writes), saying HELLO again when it grows; that START
//    then cuts the writer's log to the member's view (LinkTruncate, also
//    when nothing needs cutting), and so does becoming primary, so records
//    the member never heard of are never built on.
//  * Sessions: each HELLO conversation has a session, larger than every
//    earlier one of the member. A primary ignores a HELLO of a session below
//    the one it serves, answers a repeat of it only by resending its START
//    (never with a second resync), and ignores ACKs of other sessions; a
//    replica acts only on the START of its current session with a start_seq
//    above the last it acted on, so a late START cannot move it.
//  * Resyncs: a replica installs only a snapshot it asked for
//    (InstallSnapshot): its current session, in kSnapshot, and at or above
//    every LSN it acknowledged as flushed. It keeps its own epoch history
//    until SnapshotInstalled and persists the primary's after it (a lost
//    snapshot leaves log and history as they were). A replica that waits in
//    kSnapshot 4 * election_ms without a chunk says HELLO again (a new
//    session), and the primary starts a new resync: resync_min_interval_ms
//    counts from the last resync the replica completed (acked), so it limits
//    storms of completed resyncs and never holds back a retry. A primary has
//    one SendSnapshot per replica outstanding; a new one waits for its
//    ResyncSent and never completes with an older transfer's. A member whose
//    log ends below what it acknowledged as flushed (a driver installed an
//    old snapshot unasked) neither runs for primary nor votes for a shorter
//    log.
//  * KIP-101: a HELLO carries the replica's log end; the primary finds the
//    largest epoch in its history not above the replica's last epoch, and
//    where it ended; a replica log past that point is truncated there first.
//    The replica then cuts further where its own epoch history first
//    disagrees with the primary's (an epoch the primary never had below that
//    point, KIP-279), persisting the primary's history only after the
//    LinkTruncate. A replica restarted with a log whose last record's epoch
//    disagrees with its history (a crash inside that window) truncates its
//    whole log at the next START.
//  * A replica appends only records that extend its log densely
//    (prev_lsn == its last lsn; records it already holds are skipped); a gap
//    makes it say HELLO again, and so does election_ms without a word from
//    its primary (a primary that restarted no longer knows it).
//  * A record of an epoch newer than the replica's history gets a history
//    line persisted before the LinkAppend that carries it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "shardkit/repl/ack_level.h"
#include "shardkit/repl/epochs.h"
#include "shardkit/status/status.h"
#include "shardkit/wire/repl_messages.h"

namespace shardkit::repl {

using TimerId = uint64_t;

struct Config {
  std::string name;      // this member
  std::string endpoint;  // this member's replicad endpoint
  // Its writer's client endpoint, told to replicas while this member is
  // primary (their writers' NOT_PRIMARY answers name it). "" if unknown.
  std::string client_endpoint;
  // The other members' replicad endpoints. The group is these plus this
  // member; votes need a majority of it. May be empty (no elections).
  std::vector<std::string> peers;
  // The primary to follow at start (--follow); empty: with no peers and no
  // follow, start as primary (a new epoch); with peers, start as replica and
  // wait for a primary or an election.
  std::string follow;
  AckLevel ack;
  bool auto_failover = false;
  uint32_t heartbeat_ms = 100;
  uint32_t lease_ms = 1000;
  uint32_t election_ms = 1000;  // the timeout is jittered in [election_ms, 2 * election_ms)
  uint32_t switchover_ms = 5000;
  uint64_t window_bytes = uint64_t{8} << 20;  // unacked bytes in flight per replica
  // At most this much per RECORDS (one large record may exceed it): several
  // in the window at once, so that the primary reads and sends the next
  // while the replica takes in the last.
  uint64_t batch_bytes = uint64_t{1} << 20;
  uint32_t resync_min_interval_ms = 30000;  // per replica: no resync storms
  uint64_t seed = 1;                        // jitter
  // A simulator-only fault, never set by the tools: a replica with it set
  // appends a RECORDS from a lower epoch (and acknowledges it in that epoch)
  // instead of fencing it. tests/sim runs it to prove its invariants catch a
  // replica that accepts a stale primary.
  bool test_accept_lower_epoch = false;
};

// ---- events ---------------------------------------------------------------

struct Started {
  // DIR/epochs and DIR/vote (epochs.h). A vote one epoch past current_epoch
  // (a crash between the two files) raises current_epoch to it.
  DurableState state;
  uint64_t last_epoch = 0;  // the writer's durable log end (0, 0 for an empty log)
  uint64_t last_lsn = 0;
  // HELLO sessions are at least (session_base + now_ms) << 16 and only grow,
  // and they must grow across restarts too: a primary ignores a HELLO whose
  // session is below one it already answered (a stale message). replicad,
  // whose now_ms starts at 0, passes the wall clock in ms; a driver whose
  // clock runs on across restarts (the simulator) may pass 0.
  uint64_t session_base = 0;
};

struct MessageReceived {
  std::string from;  // the sender's endpoint when known, else an opaque handle
  std::variant<wire::ReplHello, wire::ReplStart, wire::ReplRecords, wire::ReplAck,
               wire::ReplVoteRequest, wire::ReplVote, wire::ReplTakeover>
      msg;
};

struct TimerFired {
  TimerId id = 0;
};

// The writer's LinkProgress.
struct WriterProgress {
  uint64_t durable_lsn = 0;
  uint64_t applied_lsn = 0;
  uint64_t last_epoch = 0;
  // A primary's writer: handed to write(2), not necessarily fsynced (0:
  // durable_lsn). A primary streams that far, so its replicas flush while
  // it does; acknowledgements still wait for its own durable_lsn. Records
  // written but lost with the machine are never acknowledged, and the
  // primary that comes back starts a new epoch (Started), so a replica's
  // copy of them is a divergent tail like any other. A writer whose log
  // ends below what the member already streamed (records lost without the
  // machine going down: a failed fdatasync) makes Handle fail: going on in
  // this epoch would fork it.
  uint64_t written_lsn = 0;
  // The writer is paused by the LinkRole with this seq and its whole log is
  // durable (wire::LinkProgress::quiet_seq). 0: not so.
  uint64_t quiet_seq = 0;
};

// The member's view of a writer's LINK_PROGRESS.
inline WriterProgress ToWriterProgress(const wire::LinkProgress& p) {
  return WriterProgress{p.durable_lsn, p.applied_lsn, p.last_epoch, p.written_lsn, p.quiet_seq};
}

// The answer to ReadLog: the durable records from from_lsn on (LSN order).
struct LogRead {
  std::string to;
  uint64_t from_lsn = 0;
  bool gone = false;
  std::vector<wire::ReplRecord> records;
};

// The answer to SendSnapshot: the last chunk went out (or the transfer
// failed: no snapshot, a read error).
struct ResyncSent {
  std::string to;
  uint64_t snapshot_lsn = 0;
  uint64_t snapshot_epoch = 0;
  uint64_t session = 0;  // SendSnapshot's; 0: the one outstanding for `to`
  bool failed = false;
};

// A replica's driver received resync snapshot chunks in order, up to
// received_bytes of total_bytes (== total_bytes: the file is complete and
// fsynced, and the member answers InstallSnapshot if it wants it).
struct SnapshotProgress {
  uint64_t epoch = 0;  // the chunks' (the sending primary's) epoch
  uint64_t session = 0;
  uint64_t snapshot_lsn = 0;
  uint64_t snapshot_epoch = 0;
  uint64_t received_bytes = 0;
  uint64_t total_bytes = 0;
};

// A replica's writer installed a resync snapshot: its log now ends there.
struct SnapshotInstalled {
  uint64_t snapshot_lsn = 0;
  uint64_t snapshot_epoch = 0;
};

enum class OperatorVerb : uint8_t { kPromote, kDemote, kSwitchover };
// promote: replica -> primary in a new epoch. demote: primary -> replica in
// the same epoch. switchover: hand the primary role to replica `target`.
struct Operator {
  uint64_t token = 0;
  OperatorVerb verb = OperatorVerb::kPromote;
  bool accept_data_loss = false;  // promote
  std::string target;             // switchover: the member name
};

using Event = std::variant<Started, MessageReceived, TimerFired, WriterProgress, LogRead,
                           ResyncSent, SnapshotProgress, SnapshotInstalled, Operator>;

// ---- actions --------------------------------------------------------------

struct Persist {
  DurableState state;
};
struct Send {
  std::string to;
  std::variant<wire::ReplHello, wire::ReplStart, wire::ReplRecords, wire::ReplAck,
               wire::ReplVoteRequest, wire::ReplVote, wire::ReplTakeover>
      msg;
};
struct ToWriter {
  std::variant<wire::LinkRole, wire::LinkAcked, wire::LinkAppend, wire::LinkTruncate> msg;
};
struct ReadLog {
  std::string to;
  uint64_t from_lsn = 0;
  uint64_t max_bytes = 0;
};
struct SendSnapshot {
  std::string to;
  uint64_t session = 0;  // stamped on every chunk and echoed in ResyncSent
};
// Have the writer install the completed resync snapshot (LinkInstall).
struct InstallSnapshot {
  uint64_t snapshot_lsn = 0;
  uint64_t snapshot_epoch = 0;
};
struct SetTimer {
  TimerId id = 0;
  uint32_t delay_ms = 0;
};
struct CancelTimer {
  TimerId id = 0;
};
struct Note {
  enum Level : uint8_t { kInfo, kWarn, kError } level = kInfo;
  std::string text;  // logfmt-ready: msg="..." key=value
};
struct OperatorDone {
  uint64_t token = 0;
  Status status;
};

using Action = std::variant<Persist, Send, ToWriter, ReadLog, SendSnapshot, InstallSnapshot,
                            SetTimer, CancelTimer, Note, OperatorDone>;

// ---- status ---------------------------------------------------------------

enum class Role : uint8_t { kReplica, kCandidate, kPrimary, kPaused };
std::string_view RoleName(Role role);

struct ReplicaStatus {
  std::string name;
  std::string endpoint;
  uint64_t sent_lsn = 0;
  uint64_t received_lsn = 0;
  uint64_t flushed_lsn = 0;
  uint64_t applied_lsn = 0;
  // Estimated: the wire size (payload + ReplRecord::kMinWireBytes) of the
  // records sent but not yet flushed, plus the durable but unsent records
  // counted at the mean size of every record sent so far.
  uint64_t lag_bytes = 0;
  uint64_t lag_ms = 0;           // now - when the primary's durable LSN last equalled flushed
  uint64_t last_ack_age_ms = 0;  // 0 before the first ack
  uint64_t resyncs = 0;
  std::string last_resync_reason;
};

struct MemberStatus {
  Role role = Role::kReplica;
  uint64_t epoch = 0;
  std::string primary;           // name, "" if unknown
  std::string primary_endpoint;  // "" if unknown
  uint64_t last_epoch = 0;       // this member's log end
  uint64_t last_lsn = 0;
  uint64_t durable_lsn = 0;
  uint64_t applied_lsn = 0;
  uint64_t acked_lsn = 0;               // primary: the LSN that meets the group's ack level
  std::vector<ReplicaStatus> replicas;  // primary: one per replica that said HELLO
};

class Member {
 public:
  explicit Member(Config config);

  // Always Ok except for Started with an inconsistent state (Internal: a
  // history that fails ValidateHistory or reaches past current_epoch, a log
  // end past current_epoch), an event before Started (Internal), a
  // primary's WriterProgress whose log ends below what it already streamed
  // (Internal: the driver must stop; see WriterProgress), and an
  // Operator verb whose refusal is also reported through OperatorDone
  // (promote: Negative when it may lose acknowledged writes, Temporary
  // while a resync snapshot is being installed; switchover:
  // Negative when not primary or the target is not a connected replica,
  // Temporary while another is in progress). An accepted switchover returns
  // Ok and is answered later. Promote on a primary and demote on a replica
  // are Ok and change nothing.
  Status Handle(const Event& event, uint64_t now_ms, std::vector<Action>* out);

  MemberStatus Report(uint64_t now_ms) const;
  // A replica: the client endpoint of the primary it follows, as that
  // primary announced it; "" when unknown or not a replica. For LinkRole's
  // primary_hint (driver contract 4).
  const std::string& primary_client() const;
  Role role() const;
  uint64_t epoch() const;

  struct Impl;
  ~Member();
  Member(Member&&) noexcept;
  Member& operator=(Member&&) noexcept;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace shardkit::repl
