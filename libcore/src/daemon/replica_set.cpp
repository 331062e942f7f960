// ReplicaSet: parsing "EP1,EP2,..." and moving between members
// (replica_set.h).
#include "shardkit/daemon/replica_set.h"

#include "shardkit/net/endpoint.h"
#include "shardkit/wire/codec.h"
#include "shardkit/wire/messages.h"

namespace shardkit::daemon {

namespace {

// The list, quoted, for an error message; a long (likely hostile) one is
// cut short so the message stays small.
std::string Quote(std::string_view list) {
  constexpr size_t kMaxShown = 200;
  if (list.size() <= kMaxShown) return "'" + std::string(list) + "'";
  return "'" + std::string(list.substr(0, kMaxShown)) + "...' (" + std::to_string(list.size()) +
         " bytes)";
}

}  // namespace

Result<ReplicaSet> ReplicaSet::Parse(std::string_view list) {
  const std::string quoted = Quote(list);
  if (list.empty()) return Status::Usage("empty endpoint list");
  ReplicaSet set;
  size_t start = 0;
  while (true) {
    const size_t comma = list.find(',', start);
    const std::string_view item = list.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (item.empty()) return Status::Usage("endpoint list " + quoted + " has an empty item");
    if (set.members_.size() == kMaxReplicaSetMembers) {
      return Status::Usage("endpoint list " + quoted + " has more than " +
                           std::to_string(kMaxReplicaSetMembers) + " endpoints");
    }
    SK_RETURN_IF_ERROR(net::ValidateEndpoint(item));
    if (set.Find(item) != set.size()) {
      return Status::Usage("endpoint list " + quoted + " names '" + std::string(item) + "' twice");
    }
    set.members_.emplace_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return set;
}

size_t ReplicaSet::Find(std::string_view endpoint) const {
  for (size_t i = 0; i < members_.size(); ++i) {
    if (members_[i] == endpoint) return i;
  }
  return members_.size();
}

const std::string& ReplicaSet::Advance(std::string_view hint) {
  const size_t named = hint.empty() ? size() : Find(hint);
  if (named != size() && named != current_) {
    current_ = named;
  } else {
    current_ = (current_ + 1) % size();
  }
  return current();
}

std::string_view PrimaryHint(std::string_view reason) {
  // The writers append "; primary EP" (daemon/node_replication.cpp).
  constexpr std::string_view kMark = "; primary ";
  const size_t at = reason.rfind(kMark);
  if (at == std::string_view::npos) return {};
  std::string_view rest = reason.substr(at + kMark.size());
  const size_t end = rest.find_first_of("; \t\n");
  return end == std::string_view::npos ? rest : rest.substr(0, end);
}

bool IsBehind(const Status& status) {
  return status.code() == Code::kTemporary &&
         status.message().find(kBehindPrefix) != std::string::npos;
}

std::optional<std::string> NotPrimaryReason(const net::Reply& reply) {
  if (reply.header.type != wire::MsgType::kError) return std::nullopt;
  wire::ErrorReply error;
  if (!wire::DecodeBody(reply.body(), &error).ok()) return std::nullopt;
  if (error.code != static_cast<uint16_t>(wire::ErrorCode::kNotPrimary)) return std::nullopt;
  return std::move(error.reason);
}

}  // namespace shardkit::daemon
