#include "shardkit/wire/messages.h"

namespace shardkit::wire {

Status StatusFromErrorReply(const ErrorReply& reply) {
  const auto code = static_cast<ErrorCode>(reply.code);
  std::string message(ErrorCodeName(code));
  if (message == "unknown error") message.append(" ").append(std::to_string(reply.code));
  message += ": " + reply.reason;
  switch (code) {
    case ErrorCode::kBadRequest:
      return Status::DataError(std::move(message));
    case ErrorCode::kNotPrimary:
    case ErrorCode::kNotReplicated:
    case ErrorCode::kTemporary:
      return Status::Temporary(std::move(message));
    case ErrorCode::kUnsupported:
    case ErrorCode::kUnavailable:
      return Status::Unavailable(std::move(message));
    case ErrorCode::kPermission:
      return Status::Permission(std::move(message));
    case ErrorCode::kRefused:
      return Status::Negative(std::move(message));
    case ErrorCode::kInternal:
      break;
  }
  return Status::Internal(std::move(message));
}

ErrorReply ErrorReplyFromStatus(const Status& status) {
  ErrorCode code = ErrorCode::kInternal;
  switch (status.code()) {
    case Code::kDataError:
    case Code::kUsage:
    case Code::kNoInput:
      code = ErrorCode::kBadRequest;
      break;
    case Code::kTemporary:
      code = ErrorCode::kTemporary;
      break;
    case Code::kUnavailable:
      code = ErrorCode::kUnavailable;
      break;
    case Code::kPermission:
      code = ErrorCode::kPermission;
      break;
    case Code::kNegative:
      code = ErrorCode::kRefused;
      break;
    default:
      break;
  }
  return ErrorReply{static_cast<uint16_t>(code), status.message()};
}

Status ValidateLocateReply(const LocateReply& reply, size_t key_count) {
  if (reply.names.size() != reply.endpoints.size()) {
    return Status::DataError("locate reply has " + std::to_string(reply.names.size()) +
                             " node names but " + std::to_string(reply.endpoints.size()) +
                             " endpoints");
  }
  if (reply.replicas == 0) return Status::DataError("locate reply has replicas=0");
  // Divide before multiplying: a hostile key_count * replicas could wrap.
  if (key_count > reply.owners.size() / reply.replicas ||
      reply.owners.size() != key_count * reply.replicas) {
    return Status::DataError("locate reply has " + std::to_string(reply.owners.size()) +
                             " owners, expected " + std::to_string(key_count) + " keys x " +
                             std::to_string(reply.replicas) + " replicas");
  }
  for (size_t i = 0; i < reply.owners.size(); ++i) {
    const uint32_t owner = reply.owners[i];
    if (owner != kNoOwner && owner >= reply.names.size()) {
      return Status::DataError("locate reply owner " + std::to_string(i) + " is node " +
                               std::to_string(owner) + " but there are only " +
                               std::to_string(reply.names.size()) + " nodes");
    }
  }
  return Status::Ok();
}

}  // namespace shardkit::wire
