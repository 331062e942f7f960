// Participant: the sans-IO core of txpart (DESIGN.md §7). It owns the
// shard's kv::Store and kv::LockTable; the driver feeds it events and
// performs its actions (core.h has the contract). The protocol, its states
// and the force-before-send rule of each transition are in the comment block
// at the top of participant.cpp.
//
// Besides two-phase commit it serves the direct single-shard verbs: GET and
// SCAN read the last committed state without locks; PUT and DEL take effect
// (and are answered) only once their DIRECT_WRITE record is durable, and are
// refused with ErrorReply{kTemporary} while a transaction holds the key.
//
// Driving it (txpart serve), beyond core.h's contract:
//   - Startup: open the WAL, read the newest snapshot (its bytes and LSN S;
//     none: empty and 0), collect every surviving record after S as a
//     LogEntry (type byte, payload), Handle(Recovered{records, last_lsn + 1,
//     snapshot bytes, S}), perform the actions, and only then start reading
//     the sockets: in-doubt transactions have re-taken their locks by then.
//   - Peers: `to` addresses are participant addresses and coordinator
//     endpoints (from PREPARE) or reply handles (a `from` you gave it).
//     Keep one DEALER per address you connect to; answer replies on the
//     ROUTER they came in on.
//   - txpart resolve: Handle(OperatorResolve{txid, commit}); a non-ok Status
//     is the operator's error (exit 1); otherwise answer the operator when a
//     Resolved for that txid comes out (the heuristic record is durable).
//   - txpart prepared / status: Branches(), Heuristics(), locks(), stats().
//     The core has no clock: record when you first see a txid in
//     Branches() to show its age.
//   - Snapshots (DESIGN.md §6 rule 7), on a background thread, never on the
//     live core: pick L <= the durable LSN, build a fresh Participant with
//     the same options, Handle(Recovered{durable records in (S, L], L + 1,
//     snapshot S's bytes, S}) on it, ExportState(), write the bytes as the
//     snapshot at L (wal::WriteSnapshot; split into entries of at most
//     kMaxSnapshotEntryBytes and concatenate them again when reading), and
//     only then delete the WAL up to L. snapshot.h has the format; the live
//     core is never paused. The shadow holds a second copy of the state
//     while it works.
//
// Timing. The participant asks the coordinator about an in-doubt
// transaction (INQUIRE) first after inquire_initial_ms, then with doubling
// delays up to inquire_max_ms. An INQUIRE that reaches a coordinator still
// collecting votes makes it abort, so inquire_initial_ms must be well above
// the coordinator's vote timeout.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "shardkit/kv/lock_table.h"
#include "shardkit/kv/store.h"
#include "shardkit/status/status.h"
#include "shardkit/txn/core.h"
#include "shardkit/txn/records.h"

namespace shardkit::txn {

struct ParticipantOptions {
  // This participant's address as coordinators and peers know it (its ring
  // endpoint). Skipped when asking peers, and sent in heuristic reports.
  // May be empty (it then also asks itself, which is harmless).
  std::string self;
  uint32_t inquire_initial_ms = 3000;
  uint32_t inquire_max_ms = 30000;
  // After this many unanswered INQUIREs, also ask the other participants
  // (cooperative termination).
  uint32_t cooperative_after = 3;
  // Finished transactions remembered, so that a duplicate or late PREPARE,
  // COMMIT or ABORT is answered consistently instead of re-executed. Must
  // exceed what this participant finishes while a coordinator still retries
  // one COMMIT.
  size_t finished_memory = 1'000'000;
};

// The state of a transaction that is not finished here.
enum class BranchState : uint8_t {
  kPreparing,   // PREPARED appended, not yet durable; no vote sent
  kPrepared,    // voted YES: in doubt, asking the coordinator
  kCommitting,  // told to commit, COMMITTED appended, not yet durable
  kOnePhase,    // one-phase commit, ONE_PHASE_COMMITTED not yet durable
  kResolving,   // operator forced an outcome, HEURISTIC_* not yet durable
};

// "preparing", "prepared", "committing", "one-phase" or "resolving".
std::string_view BranchStateName(BranchState state);

// How a finished transaction ended here, for idempotent answers.
enum class Finish : uint8_t {
  kCommitted,
  kAborted,          // binding: the coordinator said so, or ABORTED is durable
  kUnilateralAbort,  // voted NO (or gave up before voting); not durable, so
                     // after a restart this participant may vote again
  kHeuristicCommitted,
  kHeuristicAborted,
};

// One row of `txpart prepared`.
struct BranchInfo {
  std::string txid;
  BranchState state = BranchState::kPrepared;
  std::vector<std::string> coordinator;
  std::vector<std::string> participants;
  std::vector<std::string> keys;  // locked keys, sorted
  uint32_t inquiries = 0;         // INQUIREs sent so far
};

// A heuristic outcome, kept for `txpart status` and reported to the
// coordinator until it ACKs.
struct HeuristicInfo {
  std::string txid;
  bool committed = false;
  bool reported = false;  // the coordinator ACKed the report
  // What the coordinator told us afterwards, kUnknown until then.
  wire::TxOutcome decided = wire::TxOutcome::kUnknown;
};

struct ParticipantStats {
  uint64_t prepared = 0;   // YES votes
  uint64_t committed = 0;  // two-phase and one-phase
  uint64_t aborted = 0;
  uint64_t read_only = 0;
  uint64_t one_phase = 0;
  uint64_t conflicts = 0;  // NO votes for a lock conflict
  uint64_t check_failures = 0;
  uint64_t direct_writes = 0;
  uint64_t inquiries = 0;
  uint64_t heuristic = 0;
};

class Participant {
 public:
  explicit Participant(ParticipantOptions options = {});
  Participant(const Participant&) = delete;
  Participant& operator=(const Participant&) = delete;

  // Handles one event and appends the resulting actions to *out (core.h).
  // Errors: Recovered twice, or any other event before it -> Internal;
  // a corrupt or inconsistent record -> IoError naming its LSN (refuse to
  // start); OperatorResolve on a transaction that is not in doubt ->
  // Negative (nothing changes). Every other event returns ok.
  //
  // OperatorResolve returns ok once the HEURISTIC_* record is appended; the
  // outcome takes effect when it is durable, which a Resolved action
  // announces (reply to the operator then).
  Status Handle(const Event& event, std::vector<Action>* out);

  // Transactions not finished here, sorted by txid (txpart prepared).
  std::vector<BranchInfo> Branches() const;
  // Heuristic outcomes, sorted by txid.
  std::vector<HeuristicInfo> Heuristics() const;
  // How `txid` finished here, if it did and is still remembered.
  const Finish* FinishedAs(const std::string& txid) const;
  // The state of `txid` if it is not finished, else nullptr.
  const BranchState* StateOf(const std::string& txid) const;

  const kv::Store& store() const { return store_; }
  const kv::LockTable& locks() const { return locks_; }
  const ParticipantStats& stats() const { return stats_; }
  // True when nothing is in flight: no branch, no pending append, no
  // unreported heuristic. Such a participant has no timer armed.
  bool Idle() const;

  // The state that Handle(Recovered) rebuilt, as a snapshot (snapshot.h) of
  // LSN next_lsn - 1 of that Recovered: the store, the in-doubt (PREPARED)
  // transactions with their ops, coordinator and participants, the
  // heuristic outcomes (all to be reported again), and the finished-
  // transaction memory (so a duplicate COMMIT_ONE_PHASE or PREPARE after a
  // restart is still answered from memory). Recovering from it plus the
  // records after it rebuilds exactly what replaying the whole log would.
  // Counters (stats()) are not part of it: replay does not rebuild them.
  //
  // Defined only on a core that has handled nothing but one successful
  // Recovered (a fresh "shadow" core built to make the snapshot): any other
  // event gives the core state that replay would not rebuild (unlogged
  // unilateral aborts, records not yet durable), so ExportState then returns
  // Internal. Internal also if an item is too large to load back (a single
  // transaction over wire::kMaxMessageBytes, which its own log record could
  // not have carried either).
  Result<std::string> ExportState() const;

 private:
  friend struct StandbyDriver;  // standby.cpp
  struct Branch {
    BranchState state = BranchState::kPreparing;
    std::vector<wire::Op> ops;
    std::vector<std::string> coordinator;
    std::vector<std::string> participants;
    Peer reply_to;  // where the vote or one-phase result goes
    uint64_t reply_request_id = 0;
    std::vector<std::pair<Peer, uint64_t>> ack_to;  // COMMIT senders
    std::vector<wire::ReadResult> reads;            // one-phase only
    bool heuristic_commit = false;                  // kResolving only
    TimerId timer = 0;
    uint32_t backoff_ms = 0;
    uint32_t inquiries = 0;
  };
  // What to do once the record at an LSN is durable.
  struct Waiter {
    enum Kind : uint8_t { kVote, kCommit, kOnePhase, kDirect, kRevealAbort, kHeuristic } kind;
    std::string txid;
    Peer to;
    uint64_t request_id = 0;
    wire::Op op;    // kDirect
    Message reply;  // kRevealAbort: sent once the abort is durable
  };
  struct Heuristic {
    bool committed = false;
    bool reported = false;
    wire::TxOutcome decided = wire::TxOutcome::kUnknown;
    std::vector<std::string> coordinator;
    TimerId timer = 0;
    uint32_t backoff_ms = 0;
    uint32_t tries = 0;
  };
  struct FinishedEntry {
    Finish how = Finish::kAborted;
    Lsn abort_lsn = 0;    // an ABORTED record for a unilateral abort, or 0
    bool writes = false;  // a unilateral abort: did our ops include a write?
  };

  // participant.cpp: two-phase commit.
  void OnPrepare(const Peer& from, uint64_t rid, const wire::Prepare& m, std::vector<Action>* out);
  void OnCommit(const Peer& from, uint64_t rid, const std::string& txid, std::vector<Action>* out);
  void OnAbort(const Peer& from, uint64_t rid, const std::string& txid, std::vector<Action>* out);
  void OnCommitOnePhase(const Peer& from, uint64_t rid, const wire::CommitOnePhase& m,
                        std::vector<Action>* out);
  void OnDurable(Lsn lsn, std::vector<Action>* out);
  void FinishWaiter(Lsn lsn, Waiter& w, std::vector<Action>* out);
  void StartCommit(const std::string& txid, Branch& b, std::vector<Action>* out);
  void AbortBranch(const std::string& txid, std::vector<Action>* out);
  // Locks the ops' keys and evaluates the checks. On failure fills *reason
  // and *key, releases, and returns false.
  bool LockAndCheck(const std::string& txid, const std::vector<wire::Op>& ops, std::string* reason,
                    std::string* key);
  std::vector<wire::ReadResult> Reads(const std::vector<wire::Op>& ops) const;

  // participant_termination.cpp: in-doubt handling and heuristics.
  void OnTimer(TimerId id, std::vector<Action>* out);
  void OnInquire(const Peer& from, uint64_t rid, const std::string& txid, std::vector<Action>* out);
  void OnOutcome(const wire::Outcome& m, std::vector<Action>* out);
  void OnAck(const std::string& txid, std::vector<Action>* out);
  Status OnResolve(const OperatorResolve& r, std::vector<Action>* out);
  void ArmInquiry(const std::string& txid, Branch& b, uint32_t delay_ms, std::vector<Action>* out);
  void ReportHeuristic(const std::string& txid, Heuristic& h, std::vector<Action>* out);
  // Sends `reply`, which reveals that the finished transaction `txid`
  // aborted, once that abort is binding: at once if the coordinator decided
  // it, else after forcing an ABORTED record (appended now if need be).
  void RevealAbort(const std::string& txid, FinishedEntry* f, Send reply, std::vector<Action>* out);

  // participant_recovery.cpp.
  Status OnRecovered(const Recovered& r, std::vector<Action>* out);
  Status Restore(const Recovered& r);  // load and replay: the passive half
  Status Activate(std::vector<Action>* out);
  Status OnStandbyEvent(const Event& event, std::vector<Action>* out);
  Status Replay(const LogEntry& e);
  // participant_snapshot.cpp: the state of a fresh core from a snapshot.
  Status LoadSnapshot(std::string_view bytes, Lsn lsn);

  // participant_deferred.cpp: requests that wait for a decided lock holder.
  // True when every key of `ops` that is unavailable (locked by another
  // transaction, or with a direct write in flight) is held by a holder whose
  // outcome is already decided and only waits for its record to be durable
  // (COMMITTING, ONE_PHASE, a direct write), and at least one is. Such a
  // request is deferred, not refused: the holder releases within one fsync,
  // and it waits for nothing itself, so no deadlock can form.
  bool BlockedOnlyByDecided(const std::string& txid, const std::vector<wire::Op>& ops) const;
  // Queues `msg` from `from` to be handled again after the next LogDurable.
  // False when the queue is full (the caller refuses instead).
  bool Defer(const Peer& from, uint64_t rid, Message msg);
  // Re-handles every deferred request (after LogDurable released locks).
  void RetryDeferred(std::vector<Action>* out);

  // participant_direct.cpp: get, put, del, scan.
  void OnGet(const Peer& from, uint64_t rid, const wire::GetRequest& m, std::vector<Action>* out);
  void OnWrite(const Peer& from, uint64_t rid, wire::Op op, std::vector<Action>* out);
  void OnScan(const Peer& from, uint64_t rid, const wire::ScanRequest& m, std::vector<Action>* out);

  // Helpers.
  Lsn Append(RecordType type, std::string payload, bool force, std::vector<Action>* out);
  // Registers what to do once `lsn` is durable; returns it for extra fields.
  Waiter& Wait(Lsn lsn, Waiter::Kind kind, std::string txid, Peer to = {}, uint64_t rid = 0);
  TimerId NewTimer(uint32_t delay_ms, std::vector<Action>* out);
  void Remember(const std::string& txid, FinishedEntry entry);
  FinishedEntry* Recall(const std::string& txid);
  void Release(const std::string& txid);

  ParticipantOptions options_;
  bool recovered_ = false;
  bool standby_ = false;   // StandbyRecovered and not yet Promoted
  bool pristine_ = false;  // recovered, and has handled nothing else since
  Lsn next_lsn_ = 1;
  Lsn durable_lsn_ = 0;
  TimerId next_timer_ = 1;

  kv::Store store_;
  kv::LockTable locks_;
  std::map<std::string, Branch> branches_;                     // unfinished, by txid
  std::multimap<Lsn, Waiter> waiters_;                         // several may wait for one LSN
  std::unordered_map<TimerId, std::string> inquiry_timers_;    // -> txid
  std::unordered_map<TimerId, std::string> heuristic_timers_;  // -> txid
  std::map<std::string, Heuristic> heuristics_;
  // Requests waiting for a decided lock holder (BlockedOnlyByDecided).
  struct DeferredRequest {
    Peer from;
    uint64_t request_id = 0;
    Message msg;
  };
  std::vector<DeferredRequest> deferred_;
  // Keys with a direct write appended but not yet durable, and how many.
  std::map<std::string, uint32_t, std::less<>> direct_pending_;
  // Finished transactions, oldest first for eviction.
  std::unordered_map<std::string, FinishedEntry> finished_;
  std::deque<std::string> finished_order_;
  ParticipantStats stats_;
};

}  // namespace shardkit::txn
