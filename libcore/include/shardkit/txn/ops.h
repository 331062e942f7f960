// Validation of transaction ids and op lists, shared by the coordinator, the
// participant and the script parser, so all three enforce the same limits
// (wire/protocol.h).
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "shardkit/kv/store.h"
#include "shardkit/status/status.h"
#include "shardkit/wire/messages.h"

namespace shardkit::txn {

// Ok when `txid` is 1..max_bytes bytes of 0x21..0x7e; DataError naming the
// problem otherwise.
Status ValidateTxid(std::string_view txid, size_t max_bytes = wire::kMaxTxidBytes);

// Ok when `ops` has 1..kMaxOpsPerTxn ops of known kinds, every key is
// 1..kMaxKeyBytes, every value is at most kMaxValueBytes and empty unless
// the op is put or check_eq, and keys plus values total at most
// kMaxTxnBytes. DataError naming the first bad op ("op 3: ...") otherwise.
Status ValidateOps(std::span<const wire::Op> ops);

// True for put and del.
bool IsWrite(wire::OpKind kind);

// "put", "del", "get", "check", "check" or "op?".
std::string_view OpKindName(wire::OpKind kind);

// Views of `ops` for kv::Store (valid while `ops` is).
std::vector<kv::OpView> ToKvOps(std::span<const wire::Op> ops);

}  // namespace shardkit::txn
