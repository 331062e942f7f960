// Coordinator: the sans-IO core of txcoord (DESIGN.md §7), two-phase commit
// with presumed abort. The driver feeds it events and performs its actions
// (core.h has the contract); the states and the force-before-send rule of
// each transition are in the comment block at the top of coordinator.cpp.
//
// Clients talk to it with SUBMIT (answered by SUBMIT_RESULT), participants
// with VOTE, ACK, ONE_PHASE_RESULT, INQUIRE and HEURISTIC_REPORT. It routes
// each op with the driver's Router (key -> participant address, e.g. the
// ring's endpoint for the key's node).
//
// Driving it (txcoord serve), beyond core.h's contract:
//   - Startup: Handle(Recovered{records, last_lsn + 1, snapshot bytes,
//     snapshot lsn}) (no snapshot: empty bytes, lsn 0; records: only those
//     after the snapshot) re-drives every decision without END (COMMIT sends
//     come out of that call).
//   - Snapshots (DESIGN.md §6 rule 7), on a background thread, never on the
//     live core: pick L <= the durable LSN, build a fresh Coordinator with
//     the same options, Handle(Recovered{durable records in (S, L], L + 1,
//     snapshot S's bytes, S}) on it, ExportState(), write the bytes as the
//     snapshot at L, and only then delete the log up to L (snapshot.h).
//   - options.tag: unique per process start, e.g. 16 random hex digits from
//     getrandom(2). options.endpoints: what participants can connect to.
//   - Router: a pure function of the key (ring lookup -> node endpoint).
//     SetRouter on SIGHUP.
//   - VOTE, ACK and ONE_PHASE_RESULT must arrive with `from` equal to the
//     address the router returned: read them from the DEALER connected to
//     that participant. SUBMIT, INQUIRE and HEURISTIC_REPORT arrive on the
//     ROUTER; reply to their `from` with their request_id.
//   - txcoord status / outcome: InFlight(), Heuristics(), stats(),
//     OutcomeOf(client txid).
//
// Client txids and retries. A SUBMIT without a txid gets "<tag>.<n>". A
// SUBMIT with one is idempotent: while the transaction runs, a retry waits
// for the same outcome; afterwards it gets the remembered outcome (the ops
// of the retry are not compared). Commits are remembered across restarts
// (their decision record is in the log). Aborts are remembered only until a
// restart, since presumed abort logs nothing for them, so a retry after a
// restart may run a two-phase transaction again, as a new attempt with a
// fresh protocol txid (wire/messages.h); the old attempt can no longer
// commit. A one-phase transaction keeps the client's txid, and its
// participant answers the retry from memory. A client must therefore trust
// only the answer to its latest SUBMIT of a txid, over one ordered
// connection, and never resubmit a txid after a definite answer.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shardkit/status/status.h"
#include "shardkit/txn/core.h"
#include "shardkit/txn/records.h"

namespace shardkit::txn {

// The participant address that owns `key`; "" if none (the SUBMIT is then
// refused with ErrorReply{kBadRequest}). Must be a pure function of the key
// between SetRouter calls.
using Router = std::function<std::string(std::string_view key)>;

struct CoordinatorOptions {
  // Unique per process start (e.g. 16 random hex digits, or a durable
  // counter): 1..32 bytes of [0-9A-Za-z_-]. Part of every protocol txid.
  std::string tag;
  // This coordinator's endpoints, sent in PREPARE so participants can
  // INQUIRE (tried in turn).
  std::vector<std::string> endpoints;
  uint32_t vote_timeout_ms = 2000;    // abort if a vote is still missing
  uint32_t prepare_resend_ms = 500;   // resend PREPARE to silent participants
  uint32_t resend_initial_ms = 200;   // COMMIT / COMMIT_ONE_PHASE retries...
  uint32_t resend_max_ms = 10000;     // ...doubling up to this
  bool one_phase = true;              // COMMIT_ONE_PHASE for one participant
  size_t outcome_memory = 1'000'000;  // finished client txids remembered
  // TEST ONLY: a deliberately broken coordinator. It reveals a commit (COMMIT
  // to participants, "committed" to the client) as soon as the decision
  // record is appended, before it is durable. tests/sim uses it to prove the
  // simulator catches the bug. Never set it anywhere else.
  bool unsafe_reveal_commit_before_durable = false;
};

// Returns ok when `options` can be used (tag format, timeouts > 0).
Status ValidateCoordinatorOptions(const CoordinatorOptions& options);

enum class CoordState : uint8_t {
  kVoting,     // PREPAREs out, collecting votes; nothing logged
  kDeciding,   // all voted yes: COMMIT_DECISION appended, not yet durable
  kCommitted,  // decision durable: COMMIT out to YES voters until they ACK
  kOnePhase,   // COMMIT_ONE_PHASE out to the only participant
};

// "voting", "deciding", "committed" or "one-phase".
std::string_view CoordStateName(CoordState state);

// One row of `txcoord status`.
struct CoordTxnInfo {
  std::string txid;
  std::string client_txid;
  CoordState state = CoordState::kVoting;
  std::vector<std::string> participants;
  std::vector<std::string> waiting_for;  // no vote yet (voting) or no ACK yet
};

// A participant's heuristic outcome as reported, and whether it contradicts
// the decision (a heuristic mismatch: the operator must repair by hand).
struct HeuristicReportInfo {
  std::string txid;
  std::string participant;
  wire::TxOutcome decided = wire::TxOutcome::kUnknown;
  wire::TxOutcome heuristic = wire::TxOutcome::kUnknown;
  bool mismatch = false;
};

struct CoordinatorStats {
  uint64_t submitted = 0;
  uint64_t committed = 0;
  uint64_t aborted = 0;
  uint64_t read_only = 0;  // committed with no phase two
  uint64_t one_phase = 0;
  uint64_t retries = 0;  // SUBMITs answered from memory or joined to a running txn
  uint64_t inquiries = 0;
  uint64_t heuristic_mismatches = 0;
};

class Coordinator {
 public:
  // `options` must pass ValidateCoordinatorOptions (checked by the first
  // Handle, which returns Config otherwise).
  Coordinator(CoordinatorOptions options, Router router);
  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;

  // Handles one event and appends the resulting actions to *out (core.h).
  // Errors: bad options -> Config; Recovered twice or any event before it ->
  // Internal; a corrupt record -> IoError naming its LSN. Otherwise ok.
  Status Handle(const Event& event, std::vector<Action>* out);

  // Replaces the router (ring reload). Running transactions keep the
  // participants they were routed to.
  void SetRouter(Router router) { router_ = std::move(router); }

  // Running transactions, sorted by txid.
  std::vector<CoordTxnInfo> InFlight() const;
  const std::vector<HeuristicReportInfo>& Heuristics() const { return heuristics_; }
  // The remembered result for a finished client txid, or nullptr (unknown,
  // forgotten, or still running: see InFlight).
  const wire::SubmitResult* OutcomeOf(const std::string& client_txid) const;
  const CoordinatorStats& stats() const { return stats_; }
  // True when no transaction is running, no timer is armed and no reply
  // waits for the log.
  bool Idle() const { return live_.empty() && ack_waits_.empty(); }

  // The state that Handle(Recovered) rebuilt, as a snapshot (snapshot.h) of
  // LSN next_lsn - 1 of that Recovered: the decisions without END (to
  // re-drive), the remembered committed client txids and decisions, and the
  // heuristic mismatches. Recovering from it plus the records after it
  // rebuilds exactly what replaying the whole log would; counters (stats())
  // are not part of it.
  //
  // Defined only on a core that has handled nothing but one successful
  // Recovered (a fresh "shadow" core built to make the snapshot); on any
  // other core it returns Internal, since such a core holds state that
  // replay would not rebuild (aborts remembered in memory only, decisions
  // not yet durable).
  Result<std::string> ExportState() const;

 private:
  friend struct StandbyDriver;  // standby.cpp
  enum class VoteState : uint8_t { kNone, kYes, kNo, kReadOnly };
  struct Branch {
    std::vector<wire::Op> ops;
    std::vector<size_t> get_slots;  // index in the client's reads of each get
    VoteState vote = VoteState::kNone;
    bool acked = false;
  };
  struct Txn {
    std::string client_txid;
    CoordState state = CoordState::kVoting;
    std::map<Peer, Branch> branches;
    std::vector<std::pair<Peer, uint64_t>> clients;  // waiting SUBMITs
    std::vector<wire::ReadResult> reads;             // one per get, in submit order
    TimerId timer = 0;
    uint32_t elapsed_ms = 0;  // voting
    uint32_t backoff_ms = 0;  // committed, one-phase
  };
  struct Remembered {
    wire::SubmitResult result;
    bool reads_lost = false;  // recovered from the log: get results are gone
  };

  // coordinator.cpp: the commit protocol.
  void OnSubmit(const Peer& from, uint64_t rid, const wire::Submit& m, std::vector<Action>* out);
  void OnVote(const Peer& from, const wire::Vote& m, std::vector<Action>* out);
  void Decide(const std::string& txid, Txn& t, std::vector<Action>* out);
  void RevealCommit(const std::string& txid, std::vector<Action>* out);
  void OnAck(const Peer& from, const std::string& txid, std::vector<Action>* out);
  void OnOnePhaseResult(const Peer& from, const wire::OnePhaseResult& m, std::vector<Action>* out);
  void Abort(const std::string& txid, std::string reason, std::string key,
             std::vector<Action>* out);
  void Finish(const std::string& txid, Txn& t, wire::SubmitResult result, std::vector<Action>* out);

  // coordinator_termination.cpp: timers, INQUIRE, heuristics, recovery.
  void OnTimer(TimerId id, std::vector<Action>* out);
  void OnInquire(const Peer& from, uint64_t rid, const std::string& txid, std::vector<Action>* out);
  void OnHeuristicReport(const Peer& from, uint64_t rid, const wire::HeuristicReport& m,
                         std::vector<Action>* out);
  Status OnRecovered(const Recovered& r, std::vector<Action>* out);
  Status Restore(const Recovered& r);  // load and replay: the passive half
  Status Activate(std::vector<Action>* out);
  Status OnStandbyEvent(const Event& event, std::vector<Action>* out);
  Status Replay(const LogEntry& e);
  // coordinator_snapshot.cpp.
  Status LoadSnapshot(std::string_view bytes, Lsn lsn);
  void Arm(const std::string& txid, Txn& t, uint32_t delay_ms, std::vector<Action>* out);
  void Remember(const std::string& client_txid, const std::string& txid, Remembered r);
  Lsn Append(RecordType type, std::string payload, bool force, std::vector<Action>* out);

  CoordinatorOptions options_;
  Router router_;
  bool recovered_ = false;
  bool standby_ = false;   // StandbyRecovered and not yet Promoted
  bool pristine_ = false;  // recovered, and has handled nothing else since
  Lsn next_lsn_ = 1;
  Lsn durable_lsn_ = 0;
  TimerId next_timer_ = 1;
  uint64_t next_attempt_ = 1;

  std::map<std::string, Txn> live_;                              // by protocol txid
  std::unordered_map<std::string, std::string> live_by_client_;  // client txid -> txid
  std::multimap<Lsn, std::string> commit_waits_;                 // decision LSN -> txid
  std::multimap<Lsn, Send> ack_waits_;  // heuristic-report ACKs waiting for their record
  std::unordered_map<TimerId, std::string> timers_;  // -> txid
  // Finished client txids (oldest first for eviction), and the decision of
  // finished protocol txids for comparing heuristic reports.
  std::unordered_map<std::string, Remembered> memory_;
  std::unordered_map<std::string, wire::TxOutcome> decided_;
  std::deque<std::pair<std::string, std::string>> memory_order_;  // (client txid, txid)
  std::vector<HeuristicReportInfo> heuristics_;
  // While pristine_: the decisions without END that recovery found, as
  // logged (ExportState writes them back verbatim).
  std::map<std::string, CommitDecisionRecord> replayed_open_;
  CoordinatorStats stats_;
};

}  // namespace shardkit::txn
