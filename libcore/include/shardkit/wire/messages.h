// Message bodies: one struct per MsgType, each with a cereal serialize().
//
// The field order in serialize() IS the wire format. Append fields only at
// the end and only with a protocol version bump; never reorder. Each struct
// names its MsgType in kType so typed helpers (EncodeMessage, Client::Call)
// cannot pair a body with the wrong header type.
//
// Decode bodies only through DecodeBody (codec.h): it bounds every length
// prefix by the bytes actually present in the frame.
#pragma once

#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "shardkit/status/status.h"
#include "shardkit/wire/protocol.h"

namespace shardkit::wire {

// The answer to any request that failed. `code` is an ErrorCode; it is kept
// as a raw uint16_t so an ErrorReply from a newer peer with a code this build
// does not know still decodes (it maps to Status::Internal).
struct ErrorReply {
  static constexpr MsgType kType = MsgType::kError;

  uint16_t code = 0;
  std::string reason;  // lowercase, no trailing period, names the bad value

  template <class Archive>
  void serialize(Archive& ar) {
    ar(code, reason);
  }
  bool operator==(const ErrorReply&) const = default;
};

// "Which nodes own these keys?" Answered by LocateReply.
struct LocateRequest {
  static constexpr MsgType kType = MsgType::kLocateRequest;

  uint32_t replicas = 1;          // nodes wanted per key, in preference order
  std::vector<std::string> keys;  // raw key bytes

  template <class Archive>
  void serialize(Archive& ar) {
    ar(replicas, keys);
  }
  bool operator==(const LocateRequest&) const = default;
};

// The owners of each requested key. Nodes are sent once, as a table, and
// keys refer to them by index, so a 1000-key reply costs 4 bytes per owner
// rather than a name and endpoint per key.
struct LocateReply {
  static constexpr MsgType kType = MsgType::kLocateReply;

  uint64_t generation = 0;             // ring content hash; changes on any edit
  std::vector<std::string> names;      // node table: names...
  std::vector<std::string> endpoints;  // ...and each node's first endpoint or ""
  uint32_t replicas = 1;               // owners per key
  // keys.size() * replicas node indexes, row-major (key i's owners are
  // owners[i*replicas .. i*replicas+replicas-1]); kNoOwner pads a row when
  // the ring has fewer nodes than replicas.
  std::vector<uint32_t> owners;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(generation, names, endpoints, replicas, owners);
  }
  bool operator==(const LocateReply&) const = default;
};

// The Status a client should see for `reply`: kBadRequest -> DataError,
// kNotPrimary and kTemporary -> Temporary, kUnavailable and kUnsupported ->
// Unavailable, kPermission -> Permission, kInternal and unknown codes ->
// Internal. The message is "<code name>: <reason>". Never returns ok.
Status StatusFromErrorReply(const ErrorReply& reply);

// The ErrorReply a server should send for a failed `status` (must not be ok):
// DataError, Usage, NoInput -> kBadRequest; Temporary -> kTemporary;
// Unavailable -> kUnavailable; Permission -> kPermission; anything else ->
// kInternal. The reason is the status message.
ErrorReply ErrorReplyFromStatus(const Status& status);

// Checks the invariants DecodeBody cannot know: names and endpoints have the
// same length, replicas >= 1, owners has key_count * replicas entries, and
// every owner is a node index or kNoOwner. Returns DataError naming the first
// violation, ok otherwise.
Status ValidateLocateReply(const LocateReply& reply, size_t key_count);

}  // namespace shardkit::wire
