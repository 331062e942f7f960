#include "shardkit/txn/ops.h"

namespace shardkit::txn {

Status ValidateTxid(std::string_view txid, size_t max_bytes) {
  if (txid.empty()) return Status::DataError("empty transaction id");
  if (txid.size() > max_bytes) {
    return Status::DataError("transaction id is " + std::to_string(txid.size()) + " bytes, limit " +
                             std::to_string(max_bytes));
  }
  for (size_t i = 0; i < txid.size(); ++i) {
    const auto c = static_cast<unsigned char>(txid[i]);
    if (c < 0x21 || c > 0x7e) {
      return Status::DataError("transaction id has a byte outside printable ascii at offset " +
                               std::to_string(i));
    }
  }
  return Status::Ok();
}

bool IsWrite(wire::OpKind kind) { return kind == wire::OpKind::kPut || kind == wire::OpKind::kDel; }

std::string_view OpKindName(wire::OpKind kind) {
  switch (kind) {
    case wire::OpKind::kPut:
      return "put";
    case wire::OpKind::kDel:
      return "del";
    case wire::OpKind::kGet:
      return "get";
    case wire::OpKind::kCheckEq:
    case wire::OpKind::kCheckAbsent:
      return "check";
  }
  return "op?";
}

Status ValidateOps(std::span<const wire::Op> ops) {
  if (ops.empty()) return Status::DataError("empty transaction");
  if (ops.size() > wire::kMaxOpsPerTxn) {
    return Status::DataError("transaction has " + std::to_string(ops.size()) + " ops, limit " +
                             std::to_string(wire::kMaxOpsPerTxn));
  }
  size_t total = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    const wire::Op& op = ops[i];
    const auto fail = [i](const std::string& why) {
      return Status::DataError("op " + std::to_string(i + 1) + ": " + why);
    };
    if (OpKindName(op.kind) == "op?") {
      return fail("unknown op kind " + std::to_string(static_cast<unsigned>(op.kind)));
    }
    if (op.key.empty()) return fail("empty key");
    if (op.key.size() > wire::kMaxKeyBytes) {
      return fail("key is " + std::to_string(op.key.size()) + " bytes, limit " +
                  std::to_string(wire::kMaxKeyBytes));
    }
    if (op.value.size() > wire::kMaxValueBytes) {
      return fail("value is " + std::to_string(op.value.size()) + " bytes, limit " +
                  std::to_string(wire::kMaxValueBytes));
    }
    if (!op.value.empty() && op.kind != wire::OpKind::kPut && op.kind != wire::OpKind::kCheckEq) {
      return fail(std::string(OpKindName(op.kind)) + " carries a value");
    }
    total += op.key.size() + op.value.size();
    if (total > wire::kMaxTxnBytes) {
      return fail("transaction exceeds " + std::to_string(wire::kMaxTxnBytes) + " bytes");
    }
  }
  return Status::Ok();
}

std::vector<kv::OpView> ToKvOps(std::span<const wire::Op> ops) {
  std::vector<kv::OpView> out;
  out.reserve(ops.size());
  for (const wire::Op& op : ops) {
    kv::OpKind kind = kv::OpKind::kGet;
    switch (op.kind) {
      case wire::OpKind::kPut:
        kind = kv::OpKind::kPut;
        break;
      case wire::OpKind::kDel:
        kind = kv::OpKind::kDel;
        break;
      case wire::OpKind::kGet:
        kind = kv::OpKind::kGet;
        break;
      case wire::OpKind::kCheckEq:
        kind = kv::OpKind::kCheckEq;
        break;
      case wire::OpKind::kCheckAbsent:
        kind = kv::OpKind::kCheckAbsent;
        break;
    }
    out.push_back({kind, op.key, op.value});
  }
  return out;
}

}  // namespace shardkit::txn
