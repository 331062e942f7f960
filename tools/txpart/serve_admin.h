// The operator side of `txpart serve`: the admin requests (status,
// prepared, locks, heuristics, resolve) answered from the participant core,
// plus the bookkeeping the core cannot do because it has no clock: how long
// a transaction has been unfinished, and rates over the last seconds.
//
// Everything here runs on the node's event-loop thread (admin hooks, action
// hooks and loop timers), so nothing is locked.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "shardkit/daemon/node.h"
#include "shardkit/txn/participant.h"

namespace txpart {

class ServeAdmin {
 public:
  using Clock = std::chrono::steady_clock;

  // `node` and `core` must outlive this object; `self` is the participant's
  // address as shown by status.
  ServeAdmin(shardkit::daemon::Node& node, const shardkit::txn::Participant& core,
             std::string self);

  // Call about once a second: samples the counters for the rates and notes
  // when each unfinished transaction was first seen.
  void Tick();

  // Node::OnAdmin. Unknown verbs and bad arguments are DataError (exit 65
  // at the client).
  void Handle(const shardkit::wire::AdminRequest& request, shardkit::daemon::Node::Respond respond);

  // Node::OnAction: answers pending resolves when their Resolved comes out.
  void OnAction(const shardkit::txn::Action& action);

  // Resolve requests still waiting for their record to be durable.
  size_t pending_resolves() const;

 private:
  struct Sample {
    Clock::time_point at;
    uint64_t commits = 0, writes = 0, fsyncs = 0;
  };

  Sample Now() const;
  shardkit::wire::AdminReply StatusTable() const;
  shardkit::wire::AdminReply PreparedTable();
  shardkit::wire::AdminReply LocksTable() const;
  shardkit::wire::AdminReply HeuristicsTable() const;
  void Resolve(const std::vector<std::string>& args, shardkit::daemon::Node::Respond respond);
  void NoteBranches(const std::vector<shardkit::txn::BranchInfo>& branches);

  shardkit::daemon::Node& node_;
  const shardkit::txn::Participant& core_;
  const std::string self_;
  const Clock::time_point started_;
  std::deque<Sample> samples_;                           // oldest first, about 10 s
  std::map<std::string, Clock::time_point> first_seen_;  // unfinished txid -> when
  // Operators waiting for a Resolved, by txid.
  std::map<std::string, std::vector<shardkit::daemon::Node::Respond>> resolving_;
};

}  // namespace txpart
