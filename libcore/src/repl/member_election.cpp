// repl::Member elections (auto_failover) and becoming primary.
//
// A replica that has heard no primary for its election timeout (jittered in
// [election_ms, 2 * election_ms) from Config::seed and the member name)
// becomes a candidate: epoch current + 1, a vote for itself PERSISTED, then
// VOTE_REQUEST to every peer. A majority of peers.size() + 1 makes it
// primary; a timeout starts a new epoch.
//
// A voter grants at most one vote per epoch, PERSISTED before the VOTE
// leaves, and only to a candidate whose log end (last epoch, last lsn) is at
// least its own, so the winner holds every write a majority acknowledged.
// A voter that heard a live primary within election_ms (and a primary
// itself) refuses WITHOUT adopting the request's epoch: a member that was
// cut off and comes back with a higher epoch cannot depose a working
// primary (Raft's "leader stickiness", thesis §4.2.3).
//
// A switchover ends in an election too: the target runs at once when the
// TAKEOVER arrives (not jittered, with or without auto_failover, retrying
// on its timer until it wins or hears a primary). Its VOTE_REQUEST is a
// transfer, which voters grant despite having heard the old primary
// (Raft's leadership transfer, thesis §3.10); the old primary demoted
// itself first, and the electorate includes it even when it is not a
// configured peer. Only a manual promote makes a primary without votes.
#include <algorithm>
#include <utility>

#include "member_impl.h"

namespace shardkit::repl {

void Member::Impl::ArmElection() {
  if (!(config.auto_failover || takeover_candidate) || IsPrimary()) return;
  if (config.peers.empty() && !takeover_candidate) return;
  Disarm(&election_timer);
  election_timeout_ms =
      config.election_ms + static_cast<uint32_t>(NextRandom() % config.election_ms);
  election_timer = Arm(election_timeout_ms);
}

void Member::Impl::OnElectionTimer() {
  if (IsPrimary() || !(config.auto_failover || takeover_candidate)) return;
  if (install_pending || LostAcknowledged()) {
    ArmElection();  // the writer is replacing the log, or lost promised records: not now
    return;
  }
  if (role == Role::kReplica && primary_heard_ms && now - *primary_heard_ms < election_timeout_ms) {
    // Heard a primary since the timer was set: wait out the rest.
    election_timer = Arm(static_cast<uint32_t>(*primary_heard_ms + election_timeout_ms - now));
    return;
  }
  StartElection();
}

void Member::Impl::StartElection(bool transfer) {
  const uint64_t epoch = ds.current_epoch + 1;
  std::vector<std::string> electorate_endpoints = config.peers;
  if (transfer && !follow.empty() &&
      std::find(config.peers.begin(), config.peers.end(), follow) == config.peers.end()) {
    electorate_endpoints.push_back(follow);  // the old primary, not a configured peer
  }
  ds.current_epoch = epoch;
  ds.voted_epoch = epoch;
  ds.voted_for = config.name;
  Persist();  // the self-vote before any request
  role = Role::kCandidate;
  votes = {config.name};
  sync = Sync::kSearching;
  follow.clear();
  primary_name.clear();
  primary_heard_ms.reset();
  takeover_target.clear();
  electorate = electorate_endpoints.size() + 1;
  Log(Note::kInfo, "msg=\"election started\" epoch=" + std::to_string(epoch) + " last_epoch=" +
                       std::to_string(last_epoch) + " last_lsn=" + std::to_string(last_lsn) +
                       (transfer ? " cause=takeover" : ""));
  wire::ReplVoteRequest q;
  q.epoch = epoch;
  q.candidate = config.name;
  q.candidate_endpoint = config.endpoint;
  q.last_epoch = last_epoch;
  q.last_lsn = last_lsn;
  q.transfer = transfer;
  for (const auto& peer : electorate_endpoints) SendTo(peer, q);
  vote_request = q;
  vote_requested = std::move(electorate_endpoints);
  ArmElection();
}

// Each heartbeat while a candidate: the request again, so one lost request
// or vote does not cost a whole election timeout (a voter answers the same
// candidate in the same epoch the same way).
void Member::Impl::CandidateTick() {
  if (role != Role::kCandidate || vote_request.epoch != ds.current_epoch) return;
  for (const auto& peer : vote_requested) SendTo(peer, vote_request);
}

void Member::Impl::OnVoteRequest(const wire::ReplVoteRequest& q) {
  if (q.candidate.empty() || q.candidate == config.name) return;
  auto answer = [&](bool granted, std::string reason) {
    wire::ReplVote v;
    v.epoch = ds.current_epoch;
    v.voter = config.name;
    v.granted = granted;
    v.reason = std::move(reason);
    SendTo(q.candidate_endpoint, std::move(v));
  };
  if (q.epoch < ds.current_epoch) {
    answer(false,
           "stale epoch " + std::to_string(q.epoch) + " < " + std::to_string(ds.current_epoch));
    return;
  }
  if (IsPrimary()) {
    answer(false, "primary of epoch " + std::to_string(ds.current_epoch));
    return;
  }
  if (!q.transfer && role == Role::kReplica && primary_heard_ms &&
      now - *primary_heard_ms < config.election_ms) {
    answer(false, "heard primary " + primary_name + " " + std::to_string(now - *primary_heard_ms) +
                      " ms ago");
    return;
  }
  bool dirty = false;
  if (q.epoch > ds.current_epoch) {
    if (role == Role::kCandidate) {
      role = Role::kReplica;
      votes.clear();
      takeover_candidate = false;
    }
    ds.current_epoch = q.epoch;
    takeover_target.clear();
    dirty = true;
    if (follow == q.candidate_endpoint && !follow.empty()) {
      // Keep saying HELLO to it (a new conversation, in the new epoch, from
      // the next heartbeat: the epoch is not persisted yet): a switchover's
      // old primary may not be among its peers, and would never hear its
      // heartbeats otherwise.
      NewSession();
      sync = Sync::kHello;
    } else {
      sync = Sync::kSearching;
      follow.clear();
      primary_name.clear();
    }
  }
  // The candidate must hold this log, and anything this member acknowledged
  // as flushed even if its log lost it since (a stale snapshot installed).
  const auto mine =
      std::max(std::pair{last_epoch, last_lsn}, std::pair{flushed_acked_epoch, flushed_acked});
  const bool log_ok = std::pair{q.last_epoch, q.last_lsn} >= mine;
  const bool unvoted =
      ds.voted_epoch < q.epoch || (ds.voted_epoch == q.epoch && ds.voted_for == q.candidate);
  if (log_ok && unvoted) {
    ds.voted_epoch = q.epoch;
    ds.voted_for = q.candidate;
    Persist();  // before the VOTE leaves
    Log(Note::kInfo, "msg=\"vote granted\" epoch=" + std::to_string(q.epoch) +
                         " candidate=" + Quote(q.candidate));
    answer(true, "");
    ArmElection();  // give the candidate a full timeout to win
    return;
  }
  if (dirty) Persist();
  std::string why;
  if (!unvoted) {
    why = "already voted for " + ds.voted_for + " in epoch " + std::to_string(ds.voted_epoch);
  } else {
    why = "candidate log ends at (" + std::to_string(q.last_epoch) + ", " +
          std::to_string(q.last_lsn) + "), before mine (" + std::to_string(mine.first) + ", " +
          std::to_string(mine.second) + ")";
  }
  Log(Note::kInfo, "msg=\"vote refused\" epoch=" + std::to_string(q.epoch) +
                       " candidate=" + Quote(q.candidate) + " reason=" + Quote(why));
  answer(false, why);
}

void Member::Impl::OnVote(const wire::ReplVote& v) {
  if (v.epoch > ds.current_epoch) {
    AdoptEpoch(v.epoch, "vote from " + v.voter);
    FollowConfigured();
    return;
  }
  if (role != Role::kCandidate || v.epoch != ds.current_epoch || !v.granted) return;
  votes.insert(v.voter);
  if (votes.size() * 2 > electorate) {
    BecomePrimary(ds.current_epoch, "elected with " + std::to_string(votes.size()) + " votes");
  }
}

void Member::Impl::BecomePrimary(uint64_t epoch, std::string_view why) {
  Disarm(&election_timer);
  votes.clear();
  takeover_candidate = false;
  // The writer may hold records past last_lsn that this member never heard
  // of; the new epoch starts at last_lsn + 1, so they go first.
  if (own_tail) CutWriter(last_lsn);
  const uint64_t start = last_lsn + 1;
  AddEpochLine(&ds.history, epoch, start);
  ds.current_epoch = epoch;
  if (ds.voted_epoch < epoch) {  // nobody else gets this member's vote in it
    ds.voted_epoch = epoch;
    ds.voted_for = config.name;
  }
  Persist();  // the epoch and its history line, before the writer hears of it
  role = Role::kPrimary;
  primary_since_ms = now;
  lease_lost = false;
  followers.clear();
  written_lsn = 0;  // the writer reports it again as primary
  sync = Sync::kSearching;
  follow.clear();
  primary_name = config.name;
  primary_heard_ms.reset();
  primary_durable = 0;
  primary_heard = false;
  takeover_target.clear();
  TellRole(wire::LinkRoleKind::kPrimary);
  EmitAcked();  // no replica in the new epoch yet
  Log(Note::kInfo, "msg=\"became primary\" epoch=" + std::to_string(epoch) +
                       " start_lsn=" + std::to_string(start) + " cause=" + Quote(why));
  PrimaryTick();  // heartbeat every peer now
}

}  // namespace shardkit::repl
