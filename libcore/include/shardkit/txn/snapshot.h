// The state snapshot of a two-phase-commit core (DESIGN.md §6 rule 7, §7):
// what Participant::ExportState and Coordinator::ExportState produce and
// Recovered::snapshot carries back in.
//
// A snapshot at LSN L is, by definition, the state that replaying the log up
// to L rebuilds: a core loads it and then replays the records after L,
// exactly as if it had replayed the whole log. It is made off the live core
// ("shadow compaction"): build a fresh core with the same options, feed it
// Recovered{snapshot = the previous snapshot, snapshot_lsn = its LSN,
// records = the durable records after it up to L, next_lsn = L + 1}, call
// ExportState(), write the bytes as the snapshot at L, and only then delete
// the log up to L. The live core never pauses.
//
// Layout (a byte string; the file layer, wal/snapshot.h, adds the checksum
// and may split it into entries of at most kMaxSnapshotEntryBytes, to be
// concatenated again on load):
//
//   "SKTXSNAP"                                     magic, 8 bytes
//   section*                                       in non-decreasing kind order
//   section := kind u8 | length u32 LE | body      body: `length` bytes
//
// Each body is the cereal PortableBinary encoding of the struct named below,
// decoded only through the bounded decoder (wire/codec.h), so a corrupt or
// hostile snapshot can neither read out of bounds nor allocate much more
// than its own size: every list in a body is a vector of strings or of
// numbers (never of structs, whose length prefix the decoder can bound only
// loosely). A body is at most wire::kMaxMessageBytes; batches are cut at
// about kSnapshotBatchBytes.
//
//   kind           body                  what
//   kHeader   1    SnapshotHeader        first, exactly once: version, role, L
//   kEnd      2    SnapshotEnd           last, exactly once: sections before it
//   participant
//   kStore    16   SnapshotStoreBatch    the store, keys strictly increasing
//   kBranch   17   SnapshotBranch        one in-doubt transaction (its PREPARED)
//   kHeuristic 18  SnapshotHeuristic     one heuristic outcome
//   kFinished 19   SnapshotFinishedBatch finished txids, oldest first
//   coordinator
//   kDecision 32   CommitDecisionRecord  one decision without END
//   kRemembered 33 SnapshotRememberedBatch committed client txids, oldest first
//   kDecided  34   SnapshotDecidedBatch  decisions kept for heuristic reports
//   kMismatch 35   HeuristicMismatchRecord one heuristic mismatch, in order
//
// Field order is the format: change it only with a new kSnapshotVersion.
// Anything malformed (bad magic, version, role or LSN, a truncated or
// oversized section, a kind out of order or foreign to the role, trailing
// bytes, a body that does not decode, a value replay could never have
// produced) is refused with IoError by Handle(Recovered): refuse to start.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shardkit/status/status.h"
#include "shardkit/txn/core.h"
#include "shardkit/txn/records.h"
#include "shardkit/wire/codec.h"

namespace shardkit::txn {

inline constexpr std::string_view kSnapshotMagic = "SKTXSNAP";
inline constexpr uint32_t kSnapshotVersion = 1;
// Batches (store entries, finished txids, ...) are cut once they reach this
// many bytes of strings; a single item may make one larger.
inline constexpr size_t kSnapshotBatchBytes = size_t{1} << 20;

enum class SnapshotRole : uint8_t { kParticipant = 1, kCoordinator = 2 };

// Section kinds. On-disk values: never renumber.
enum class SnapshotSection : uint8_t {
  kHeader = 1,
  kEnd = 2,
  kStore = 16,
  kBranch = 17,
  kHeuristic = 18,
  kFinished = 19,
  kDecision = 32,
  kRemembered = 33,
  kDecided = 34,
  kMismatch = 35,
};

// "HEADER", "STORE", ... or "UNKNOWN".
std::string_view SnapshotSectionName(SnapshotSection kind);

struct SnapshotHeader {
  uint32_t version = kSnapshotVersion;
  uint8_t role = 0;  // a SnapshotRole
  Lsn lsn = 0;       // the state includes every record up to this LSN

  template <class Archive>
  void serialize(Archive& ar) {
    ar(version, role, lsn);
  }
};

struct SnapshotEnd {
  uint64_t sections = 0;  // sections before this one, the header included

  template <class Archive>
  void serialize(Archive& ar) {
    ar(sections);
  }
};

struct SnapshotStoreBatch {
  std::vector<std::string> keys;
  std::vector<std::string> values;  // same length as keys

  template <class Archive>
  void serialize(Archive& ar) {
    ar(keys, values);
  }
};

// An in-doubt transaction, as its PREPARED record had it. The ops are split
// into parallel lists (see the layout note on vectors).
struct SnapshotBranch {
  std::string txid;
  std::vector<std::string> coordinator;
  std::vector<std::string> participants;
  std::vector<uint8_t> op_kinds;  // wire::OpKind
  std::vector<std::string> op_keys;
  std::vector<std::string> op_values;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(txid, coordinator, participants, op_kinds, op_keys, op_values);
  }
};

struct SnapshotHeuristic {
  std::string txid;
  bool committed = false;
  std::vector<std::string> coordinator;  // where the report goes

  template <class Archive>
  void serialize(Archive& ar) {
    ar(txid, committed, coordinator);
  }
};

struct SnapshotFinishedBatch {
  std::vector<std::string> txids;
  std::vector<uint8_t> how;  // txn::Finish, same length as txids

  template <class Archive>
  void serialize(Archive& ar) {
    ar(txids, how);
  }
};

// Committed client txids the coordinator remembers, with the protocol txid
// each was remembered under (its eviction partner in the decided list).
struct SnapshotRememberedBatch {
  std::vector<std::string> client_txids;
  std::vector<std::string> txids;  // same length

  template <class Archive>
  void serialize(Archive& ar) {
    ar(client_txids, txids);
  }
};

struct SnapshotDecidedBatch {
  std::vector<std::string> txids;
  std::vector<uint8_t> outcomes;  // wire::TxOutcome, same length

  template <class Archive>
  void serialize(Archive& ar) {
    ar(txids, outcomes);
  }
};

// Builds a snapshot: the magic and header at construction, then sections,
// then Finish. Used by the cores' ExportState.
class SnapshotEncoder {
 public:
  SnapshotEncoder(SnapshotRole role, Lsn lsn);

  // Appends one section. A body over wire::kMaxMessageBytes could never be
  // loaded: it makes Finish fail (Internal) instead.
  template <class T>
  void Add(SnapshotSection kind, const T& body) {
    AddEncoded(kind, wire::EncodeBody(body));
  }

  // Appends the end section and returns the snapshot.
  Result<std::string> Finish() &&;

 private:
  void AddEncoded(SnapshotSection kind, std::string body);

  std::string out_;
  uint64_t sections_ = 0;
  Status error_;
};

// Reads a snapshot section by section, checking the framing, the header
// (role, version, LSN), the kind order and the end section.
class SnapshotDecoder {
 public:
  // Checks the magic and the header section. IoError when they are wrong or
  // the header's role or LSN differ from `role` and `lsn`.
  static Result<SnapshotDecoder> Open(std::string_view bytes, SnapshotRole role, Lsn lsn);

  // Moves to the next section: returns true with *kind and *body set, or
  // false once the end section has been read and checked (no bytes may
  // follow it). IoError on any framing damage, and for a kind that is out
  // of order or does not belong to the role.
  Result<bool> Next(SnapshotSection* kind, std::string_view* body);

  // Decodes a section body (bounded); IoError naming the section.
  template <class T>
  Status Decode(SnapshotSection kind, std::string_view body, T* out) const {
    Status s = wire::DecodeBody(body, out);
    if (s.ok()) return s;
    return Fail(std::string(SnapshotSectionName(kind)) + " section: " + s.message());
  }

  // IoError("snapshot: <what> at offset N"), N being the current section.
  Status Fail(const std::string& what) const;

 private:
  SnapshotDecoder(std::string_view bytes, SnapshotRole role)
      : bytes_(bytes), pos_(0), role_(role) {}

  std::string_view bytes_;
  size_t pos_;
  size_t section_at_ = 0;
  SnapshotRole role_;
  uint64_t sections_ = 0;
  uint8_t last_kind_ = 0;
};

}  // namespace shardkit::txn
