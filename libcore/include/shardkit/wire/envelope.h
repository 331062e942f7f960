// The message header frame: the envelope around every body.
//
// Layout (kHeaderBytes = 15, big-endian, no padding):
//
//   offset 0  'S' 'K'        magic
//   offset 2  version        uint8, must be kProtocolVersion
//   offset 3  type           uint16, a MsgType
//   offset 5  flags          uint16, only kKnownFlags bits
//   offset 7  request_id     uint64, echoed in the reply
//
// The header is hand-encoded rather than cereal-encoded so it can be read
// without trusting anything, and so routing needs no archive at all.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "shardkit/status/status.h"
#include "shardkit/wire/protocol.h"

namespace shardkit::wire {

struct Header {
  uint8_t version = kProtocolVersion;
  MsgType type = MsgType::kError;
  uint16_t flags = 0;
  uint64_t request_id = 0;

  bool operator==(const Header&) const = default;
};

// Writes the kHeaderBytes encoding of `header` to `out`, which must have room
// for kHeaderBytes. Encodes the fields as given (no validation), so tests can
// build bad headers. Never fails, never allocates.
void EncodeHeaderTo(const Header& header, char* out);

// Returns the kHeaderBytes encoding of `header` (see EncodeHeaderTo).
std::string EncodeHeader(const Header& header);

// Parses a header frame. On success fills *out and returns ok. Returns
// DataError with a precise reason when the frame is not exactly kHeaderBytes,
// the magic is not "SK", the version is not kProtocolVersion, or unknown flag
// bits are set; *out is left unchanged then. Unknown message types are
// accepted here (the receiver answers them with ErrorCode::kUnsupported).
Status DecodeHeader(std::string_view frame, Header* out);

}  // namespace shardkit::wire
