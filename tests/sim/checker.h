// The simulator's invariants. Each hook is called by the world as the
// corresponding thing happens; the first violation sticks.
//
//   order        (every send) a core reveals a forced record's state only once
//                it is durable on the simulated disk: a YES vote needs its
//                PREPARED, an ACK its COMMITTED (if any), a one-phase reply
//                its record (ONE_PHASE_COMMITTED, or ABORTED: the participant
//                decided alone), a direct-write reply its record, a COMMIT,
//                an OUTCOME(COMMITTED) or a client "committed" the
//                coordinator's decision record. And a participant answers a
//                peer's INQUIRE only with a binding outcome: COMMITTED only
//                after the coordinator revealed a commit, ABORTED only after
//                the coordinator revealed an abort (ABORT, OUTCOME(ABORTED)),
//                or a peer did, or once its own ABORTED record is durable and
//                it had writes in the transaction (else it may have voted
//                READ_ONLY, forgotten it, and been counted as consenting).
//   atomicity    (every step) no transaction is committed at one participant
//                while aborted at another that had voted YES for it; (at
//                rest) a transaction committed anywhere is committed at every
//                participant that had writes in it.
//   isolation    (every step at which all participants are up and no
//                participant holds a lock on any bank account, i.e. no
//                transfer is half-applied) the balances sum to the initial
//                total and none is negative; and (every commit) each check
//                of the transaction, and each read its YES vote or one-phase
//                result returned, still holds against the committed history
//                at the moment it is applied. Strict 2PL promises exactly
//                that, and it makes each participant's commit order a serial
//                order consistent with what every transaction saw.
//   durability   (at rest) every transaction a client was told is committed
//                is applied at all its write participants; none a client was
//                told is aborted is applied anywhere; each client txid
//                commits at most once (exactly-once retries); every direct
//                put or del a client saw acknowledged is in its node's log.
//   replay       (after each participant restart, and at rest) the store
//                equals the committed history: initial state plus the ops of
//                every transaction and direct write it reported committed,
//                in the order it reported them.
//   heuristics   an operator's forced outcome (txpart resolve) exempts its
//                transaction from atomicity and durability, and the bank
//                check stops; instead, (at rest) every forced outcome that
//                contradicts the coordinator's decision (a COMMIT_DECISION in
//                its log, or presumed abort) is listed by the coordinator as
//                a heuristic mismatch, and none that agrees is.
//   snapshot     (every restart from a snapshot) the core that recovered
//                from the snapshot plus the log after it exports the same
//                state and emits the same recovery actions as a core that
//                replays the whole history (compacted records included);
//                taking a snapshot (shadow replay + ExportState) never fails.
//                The other invariants read the whole history too.
//   liveness     (at rest: faults stopped, every node restarted) within the
//                quiesce bound every transaction resolves: no branch in
//                doubt, no lock held, nothing in flight at the coordinator,
//                every client answered or given up.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "node.h"
#include "shardkit/kv/store.h"
#include "sim.h"

namespace sim {

class Checker {
 public:
  Checker(const std::vector<Node>* nodes, bool order_check)
      : nodes_(nodes), order_check_(order_check) {}

  // Setup: a participant's initial committed state, and the bank accounts
  // with the node that owns each.
  void Seed(int node, shardkit::txn::Lsn lsn, const std::string& key, const std::string& value);
  void SetBank(std::vector<std::pair<std::string, int>> accounts, int64_t total);

  void OnSend(int node, const shardkit::txn::Send& s, uint64_t now);
  void OnResolved(int node, const shardkit::txn::Resolved& r, uint64_t now);
  void OnDirectAck(int node, shardkit::txn::Lsn lsn, const shardkit::wire::Op& op);
  void OnClientAnswer(const std::string& client_txid, shardkit::wire::TxOutcome outcome,
                      bool had_writes, uint64_t now);
  void OnRestart(int node, uint64_t now);
  void OnHeuristic(const std::string& txid, int node, bool commit);
  void AfterStep(uint64_t now);
  void AtRest(uint64_t now);
  void Fail(std::string invariant, std::string detail, uint64_t now);

  const std::optional<Violation>& violation() const { return violation_; }
  // The committed state of a participant node, as the history says.
  const shardkit::kv::Store& Model(int node) { return model_[node]; }

 private:
  enum class PState : uint8_t { kNone, kVotedYes, kAbortedAfterYes, kCommitted, kAborted };
  int NodeOf(const std::string& name) const;
  void CheckStore(int node, uint64_t now);

  const std::vector<Node>* nodes_;
  bool order_check_;
  std::optional<Violation> violation_;
  std::map<int, shardkit::kv::Store> model_;
  // txid -> participant node -> ops routed there (from the coordinator's sends).
  std::unordered_map<std::string, std::map<int, std::vector<shardkit::wire::Op>>> ops_;
  std::unordered_map<std::string, std::map<int, PState>> state_;
  std::unordered_map<std::string, std::pair<shardkit::wire::TxOutcome, bool>> answered_;
  std::set<std::pair<int, shardkit::txn::Lsn>> applied_direct_;  // (node, lsn) in the model
  std::vector<std::tuple<int, shardkit::txn::Lsn, shardkit::wire::Op>> direct_acks_;
  // txid -> participant node -> the reads it reported with YES or a commit.
  std::unordered_map<std::string, std::map<int, std::vector<shardkit::wire::ReadResult>>> reads_;
  // Outcomes the coordinator has revealed, by txid.
  std::set<std::string> revealed_commit_, revealed_abort_;
  std::unordered_map<std::string, std::map<int, bool>> heuristic_;  // txid -> node -> commit?
  std::vector<std::pair<std::string, int>> accounts_;
  int64_t total_ = 0;
};

// The client txid a protocol txid belongs to ("x@T.3" -> "x").
std::string ClientOf(const std::string& txid);

}  // namespace sim
