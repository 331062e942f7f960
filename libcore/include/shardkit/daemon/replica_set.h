// ReplicaSet: the endpoints of one replica set (DESIGN.md §8), written
// "EP1,EP2,...", primary first, as in a ring file's endpoint= and in
// --connect, and which member a client talks to now.
//
// A standby answers writes with ErrorReply{kNotPrimary, "...; primary EP"}.
// Whoever talks to the set then moves on: to EP when EP is a member (the
// hint), else to the next member in list order. A hint naming an endpoint
// outside the list is ignored: the list is what the operator configured,
// and the CURVE key that goes with it, so a server cannot redirect a client
// anywhere else.
//
// Users: daemon::Conn (client verbs), txcoord submit, and the Node's peer
// sockets (peer_group.h). Each decides for itself when to give up.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shardkit/net/client.h"
#include "shardkit/status/status.h"

namespace shardkit::daemon {

// The most members a replica set may list.
inline constexpr size_t kMaxReplicaSetMembers = 16;

class ReplicaSet {
 public:
  // Parses "EP[,EP...]" and starts at the first member. Usage, naming the
  // list, for an empty list, an empty item ("a,,b", a trailing comma), an
  // invalid endpoint (net::ValidateEndpoint), a member listed twice, or more
  // than kMaxReplicaSetMembers members.
  static Result<ReplicaSet> Parse(std::string_view list);

  const std::vector<std::string>& members() const { return members_; }
  size_t size() const { return members_.size(); }
  size_t index() const { return current_; }
  const std::string& current() const { return members_[current_]; }

  // The index of `endpoint`, or size() when it is not a member.
  size_t Find(std::string_view endpoint) const;

  // Makes member `i` (< size()) current.
  void Select(size_t i) { current_ = i; }

  // Makes the member named `hint` current when it is one other than the
  // current member, else the next member in list order (wrapping round).
  // A set of one never moves. Returns current().
  const std::string& Advance(std::string_view hint = {});

 private:
  std::vector<std::string> members_;
  size_t current_ = 0;
};

// The primary a NOT_PRIMARY reason names ("this is a standby; primary
// tcp://10.0.0.2:7100"), or "" when it names none.
std::string_view PrimaryHint(std::string_view reason);

// A read with a min_lsn (read-your-writes) on a member that has not applied
// it yet, or with a max_staleness_ms on a standby staler than that, is
// answered TEMPORARY with a reason starting with this.
inline constexpr std::string_view kBehindPrefix = "behind:";
// True for such an answer, as the client sees it (Conn::Call's status).
bool IsBehind(const Status& status);

// The reason of `reply` when it is an ErrorReply with code kNotPrimary;
// nullopt for anything else (including an ErrorReply that cannot be
// decoded, which the caller reports as it always does).
std::optional<std::string> NotPrimaryReason(const net::Reply& reply);

}  // namespace shardkit::daemon
