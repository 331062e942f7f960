#include "shardkit/txn/core.h"

#include "shardkit/wire/codec.h"

namespace shardkit::txn {
namespace {

template <class T>
Result<Message> DecodeAs(std::string_view body) {
  T value;
  SK_RETURN_IF_ERROR(wire::DecodeBody(body, &value));
  return Message(std::move(value));
}

// Finds the alternative of Message whose kType is `type`, at compile time.
template <size_t I = 0>
Result<Message> DecodeByIndex(wire::MsgType type, std::string_view body) {
  if constexpr (I == std::variant_size_v<Message>) {
    return Status::Unavailable("unsupported message type " +
                               std::to_string(static_cast<unsigned>(type)));
  } else {
    using T = std::variant_alternative_t<I, Message>;
    if (T::kType == type) return DecodeAs<T>(body);
    return DecodeByIndex<I + 1>(type, body);
  }
}

}  // namespace

wire::MsgType TypeOf(const Message& msg) {
  return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::kType; }, msg);
}

std::vector<std::string> EncodeTxnMessage(uint64_t request_id, const Message& msg) {
  return std::visit([&](const auto& m) { return wire::EncodeMessage(request_id, m); }, msg);
}

Result<Message> DecodeTxnMessage(wire::MsgType type, std::string_view body) {
  return DecodeByIndex(type, body);
}

}  // namespace shardkit::txn
