// Participant: the direct single-shard verbs (txpart get|put|del|scan).
//
// GET and SCAN read the in-memory store, which only ever holds durable,
// committed state (writes are applied after their record is durable), and
// take no lock. PUT and DEL append a DIRECT_WRITE record, FORCED, and apply
// and answer once it is durable: the reply reveals the write. While the
// record is in flight the key is marked, and a PREPARE on it votes NO, so no
// transaction can check a value that is about to change under it.
#include "shardkit/txn/ops.h"
#include "shardkit/txn/participant.h"
#include "shardkit/txn/records.h"

namespace shardkit::txn {
namespace {

Send ErrorTo(const Peer& to, uint64_t rid, wire::ErrorCode code, std::string reason) {
  return Send{to, rid, wire::ErrorReply{static_cast<uint16_t>(code), std::move(reason)}};
}

}  // namespace

void Participant::OnGet(const Peer& from, uint64_t rid, const wire::GetRequest& m,
                        std::vector<Action>* out) {
  if (m.keys.size() > wire::kMaxOpsPerTxn) {
    out->push_back(ErrorTo(from, rid, wire::ErrorCode::kBadRequest,
                           "get of " + std::to_string(m.keys.size()) + " keys, limit " +
                               std::to_string(wire::kMaxOpsPerTxn)));
    return;
  }
  wire::GetReply reply;
  size_t bytes = 0;
  for (const std::string& key : m.keys) {
    const std::string* v = store_.Find(key);
    bytes += key.size() + (v != nullptr ? v->size() : 0);
    if (bytes > wire::kMaxTxnBytes) {
      out->push_back(ErrorTo(from, rid, wire::ErrorCode::kBadRequest,
                             "get reply would exceed " + std::to_string(wire::kMaxTxnBytes) +
                                 " bytes: ask for fewer keys"));
      return;
    }
    reply.reads.push_back(wire::ReadResult{key, v != nullptr, v != nullptr ? *v : std::string()});
  }
  out->push_back(Send{from, rid, std::move(reply)});
}

void Participant::OnWrite(const Peer& from, uint64_t rid, wire::Op op, std::vector<Action>* out) {
  Status valid = ValidateOps(std::span(&op, 1));
  if (!valid.ok()) {
    out->push_back(ErrorTo(from, rid, wire::ErrorCode::kBadRequest, valid.message()));
    return;
  }
  if (const std::string* holder = locks_.HolderOf(op.key)) {
    // A decided holder releases within one fsync: wait for it (see
    // participant_deferred.cpp) rather than refusing.
    auto b = branches_.find(*holder);
    const bool decided = b != branches_.end() && (b->second.state == BranchState::kCommitting ||
                                                  b->second.state == BranchState::kOnePhase);
    if (decided) {
      Message again = op.kind == wire::OpKind::kPut ? Message(wire::PutRequest{op.key, op.value})
                                                    : Message(wire::DelRequest{op.key});
      if (Defer(from, rid, std::move(again))) return;
    }
    out->push_back(
        ErrorTo(from, rid, wire::ErrorCode::kTemporary,
                "key '" + kv::Printable(op.key) + "' is locked by transaction " + *holder));
    return;
  }
  ++direct_pending_[op.key];
  const Lsn lsn =
      Append(RecordType::kDirectWrite, EncodeRecord(DirectWriteRecord{{op}}), /*force=*/true, out);
  Wait(lsn, Waiter::kDirect, "", from, rid).op = std::move(op);
}

void Participant::OnScan(const Peer& from, uint64_t rid, const wire::ScanRequest& m,
                         std::vector<Action>* out) {
  const uint32_t limit =
      m.limit == 0 || m.limit > wire::kMaxScanEntries ? wire::kMaxScanEntries : m.limit;
  wire::ScanReply reply;
  size_t bytes = 0;
  store_.ScanPrefix(m.prefix, m.start_after, [&](std::string_view key, std::string_view value) {
    const size_t size = key.size() + value.size();
    // Always return at least one entry (it fits: keys and values are
    // bounded well below a frame), so a caller paging by start_after moves on.
    if (reply.keys.size() == limit || (!reply.keys.empty() && bytes + size > wire::kMaxScanBytes)) {
      reply.more = true;
      return false;
    }
    bytes += size;
    reply.keys.emplace_back(key);
    reply.values.emplace_back(value);
    return true;
  });
  out->push_back(Send{from, rid, std::move(reply)});
}

}  // namespace shardkit::txn
