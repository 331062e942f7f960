// Replication message bodies (DESIGN.md §8), MsgTypes 64..95.
//
// Two conversations use them:
//
//  * between replicad members over tcp (REPL_*): a replica says where its
//    log ends (HELLO), the primary answers where to cut a divergent tail and
//    what follows (START), then streams records (RECORDS; an empty one is a
//    heartbeat) or, when the records are gone, a snapshot (SNAPSHOT_CHUNK);
//    the replica acks cumulatively (ACK). Elections use VOTE_REQUEST/VOTE,
//    and a switchover ends with TAKEOVER.
//  * between a data directory's writer (txpart, txcoord) and the replicad
//    beside it, over ipc://DIR/repl.sock (LINK_*).
//
// Every REPL_* message carries the sender's epoch; a receiver drops a
// message from a lower epoch (fencing) and adopts a higher one. The same
// rules as messages.h hold: field order is the wire format, decode only
// through DecodeBody.
#pragma once

#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "shardkit/wire/protocol.h"

namespace shardkit::wire {

// "Epoch e began at LSN s": one line of DIR/epochs.
struct EpochStart {
  static constexpr size_t kMinWireBytes = 16;
  uint64_t epoch = 0;
  uint64_t start_lsn = 0;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(epoch, start_lsn);
  }
  bool operator==(const EpochStart&) const = default;
};

// One WAL record as it travels; the receiver re-verifies nothing here (the
// frame is integrity-checked by the transport) but checks LSN density.
struct ReplRecord {
  static constexpr size_t kMinWireBytes = 1 + 8 + 8 + 8;
  uint8_t type = 0;
  uint64_t epoch = 0;
  uint64_t lsn = 0;
  std::string payload;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(type, epoch, lsn, payload);
  }
  bool operator==(const ReplRecord&) const = default;
};

struct ReplHello {
  static constexpr MsgType kType = MsgType::kReplHello;
  uint64_t epoch = 0;       // the highest epoch the replica knows
  std::string name;         // the replica's member name
  std::string endpoint;     // where the replica listens: the primary sends there
  uint64_t last_epoch = 0;  // epoch of its last log record (0: empty log)
  uint64_t last_lsn = 0;    // LSN of its last log record (0: empty log)
  // Names this conversation: a replica sends a new, larger session each
  // time its log end or its primary changes (also across its restarts) and
  // repeats it while it waits. START, ACK and snapshot chunks echo it, so a
  // late or repeated HELLO, START or snapshot is recognised as stale.
  uint64_t session = 0;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(epoch, name, endpoint, last_epoch, last_lsn, session);
  }
  bool operator==(const ReplHello&) const = default;
};

// The primary's answer to a HELLO. When `truncate` is set the replica first
// drops every record after truncate_after (KIP-101: the primary looked up
// where the replica's last epoch ended in its own history). Then either
// records follow from next_lsn (resync = false), or a snapshot of
// snapshot_lsn follows in chunks and records after it (resync = true).
// `session` is the HELLO's; start_seq grows with each START the primary
// sends in answer to it (a resync after streaming started is a second
// START), so a replica acts on each one once, in order.
struct ReplStart {
  static constexpr MsgType kType = MsgType::kReplStart;
  uint64_t epoch = 0;
  std::string primary;  // the primary's member name
  bool truncate = false;
  uint64_t truncate_after = 0;
  uint64_t next_lsn = 0;
  bool resync = false;
  std::vector<EpochStart> history;  // the primary's epoch history
  uint64_t session = 0;
  uint64_t start_seq = 0;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(epoch, primary, truncate, truncate_after, next_lsn, resync, history, session, start_seq);
  }
  bool operator==(const ReplStart&) const = default;
};

// Records prev_lsn+1, prev_lsn+2, ... (dense), or none: a heartbeat. A
// member that receives one from a higher epoch follows primary_endpoint.
// durable_lsn is the primary's own durable LSN (lag, and the bar a manual
// promote must clear without --accept-data-loss).
struct ReplRecords {
  static constexpr MsgType kType = MsgType::kReplRecords;
  uint64_t epoch = 0;
  std::string primary;           // member name
  std::string primary_endpoint;  // its replicad endpoint
  uint64_t prev_lsn = 0;
  uint64_t durable_lsn = 0;
  std::vector<ReplRecord> records;
  // The primary's writer's client endpoint ("" if unknown): replicas hand
  // it to their writers, whose NOT_PRIMARY answers name it.
  std::string primary_client;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(epoch, primary, primary_endpoint, prev_lsn, durable_lsn, records, primary_client);
  }
  bool operator==(const ReplRecords&) const = default;
};

// Cumulative: every record up to `received` arrived, up to `flushed` is
// fsynced, up to `applied` is applied by the standby. `session` is the
// HELLO session whose START the replica is following (0 in an ACK that only
// tells a stale primary the epoch).
struct ReplAck {
  static constexpr MsgType kType = MsgType::kReplAck;
  uint64_t epoch = 0;
  std::string name;
  uint64_t received = 0;
  uint64_t flushed = 0;
  uint64_t applied = 0;
  uint64_t session = 0;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(epoch, name, received, flushed, applied, session);
  }
  bool operator==(const ReplAck&) const = default;
};

// A piece of the snapshot of `snapshot_lsn` (written in snapshot_epoch):
// bytes [offset, offset + data.size()) of `total`, for the resync that
// answers HELLO `session`.
struct ReplSnapshotChunk {
  static constexpr MsgType kType = MsgType::kReplSnapshotChunk;
  uint64_t epoch = 0;
  uint64_t snapshot_lsn = 0;
  uint64_t snapshot_epoch = 0;
  uint64_t offset = 0;
  uint64_t total = 0;
  std::string data;
  uint64_t session = 0;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(epoch, snapshot_lsn, snapshot_epoch, offset, total, data, session);
  }
  bool operator==(const ReplSnapshotChunk&) const = default;
};

struct ReplVoteRequest {
  static constexpr MsgType kType = MsgType::kReplVoteRequest;
  uint64_t epoch = 0;  // the epoch the candidate wants to start
  std::string candidate;
  std::string candidate_endpoint;
  uint64_t last_epoch = 0;  // the candidate's log end
  uint64_t last_lsn = 0;
  // The candidate runs because its primary handed over (TAKEOVER): voters
  // grant even if they heard that primary lately (Raft's leadership
  // transfer); the one-vote-per-epoch and log-end rules still hold.
  bool transfer = false;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(epoch, candidate, candidate_endpoint, last_epoch, last_lsn, transfer);
  }
  bool operator==(const ReplVoteRequest&) const = default;
};

struct ReplVote {
  static constexpr MsgType kType = MsgType::kReplVote;
  uint64_t epoch = 0;
  std::string voter;
  bool granted = false;
  std::string reason;  // why not, when !granted
  template <class Archive>
  void serialize(Archive& ar) {
    ar(epoch, voter, granted, reason);
  }
  bool operator==(const ReplVote&) const = default;
};

// "I demoted myself and you hold everything I wrote: run for primary now."
struct ReplTakeover {
  static constexpr MsgType kType = MsgType::kReplTakeover;
  uint64_t epoch = 0;
  std::string from;
  uint64_t last_lsn = 0;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(epoch, from, last_lsn);
  }
  bool operator==(const ReplTakeover&) const = default;
};

// ---- writer <-> replicad (ipc://DIR/repl.sock) -----------------------------

// Sent by the writer on connect and whenever a value grows.
struct LinkProgress {
  static constexpr MsgType kType = MsgType::kLinkProgress;
  uint64_t durable_lsn = 0;   // every record up to here is fsynced
  uint64_t applied_lsn = 0;   // a standby: applied up to here
  uint64_t last_epoch = 0;    // epoch of the record at durable_lsn
  uint64_t snapshot_lsn = 0;  // the newest snapshot's LSN (0: none)
  // A primary: written (in the page cache, maybe not fsynced) up to here,
  // >= durable_lsn; replicad may stream that far. 0 on a standby.
  uint64_t written_lsn = 0;
  std::string client_endpoint;  // where the writer serves clients
  // Paused by the LINK_ROLE with this seq, and every record it appended is
  // durable: its log ends at durable_lsn until its role changes (0: not
  // so). A switchover hands over only then.
  uint64_t quiet_seq = 0;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(durable_lsn, applied_lsn, last_epoch, snapshot_lsn, written_lsn, client_endpoint, quiet_seq);
  }
  bool operator==(const LinkProgress&) const = default;
};

enum class LinkRoleKind : uint8_t {
  kReplica = 0,  // a standby: refuse writes (NOT_PRIMARY, hint), serve reads
  kPrimary = 1,  // accept writes, stamping records with `epoch`
  kPaused = 2,   // primary, but hold new writes (switchover, lost lease)
};

struct LinkRole {
  static constexpr MsgType kType = MsgType::kLinkRole;
  uint8_t role = 0;  // a LinkRoleKind
  uint64_t epoch = 0;
  std::string primary_hint;  // a client endpoint of the primary, "" if unknown
  std::string ack;           // the group's ack level (repl/ack_level.h)
  uint64_t seq = 0;          // numbers the member's role messages (LinkProgress::quiet_seq)
  template <class Archive>
  void serialize(Archive& ar) {
    ar(role, epoch, primary_hint, ack, seq);
  }
  bool operator==(const LinkRole&) const = default;
};

// Every connected replica's cumulative positions in the current epoch; the
// writer derives each ack level from them (repl/ack_level.h).
struct LinkAcked {
  static constexpr MsgType kType = MsgType::kLinkAcked;
  uint64_t epoch = 0;
  std::vector<uint64_t> received;  // one entry per replica, same order in all three
  std::vector<uint64_t> flushed;
  std::vector<uint64_t> applied;
  uint64_t retain_from = 0;  // keep segments holding LSNs >= this (0: no need)
  // A full resync waits for a snapshot at or above this LSN (0: none
  // wanted): the newest one is older than the log the cap keeps.
  uint64_t snapshot_wanted = 0;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(epoch, received, flushed, applied, retain_from, snapshot_wanted);
  }
  bool operator==(const LinkAcked&) const = default;
};

// Records for a standby, and the primary's durable LSN as of the RECORDS
// they came in (a heartbeat brings an append without records): once the
// standby has applied that LSN it is as fresh as the primary was then
// (GetRequest::max_staleness_ms).
struct LinkAppend {
  static constexpr MsgType kType = MsgType::kLinkAppend;
  std::vector<ReplRecord> records;  // dense, starting at the writer's last LSN + 1
  uint64_t primary_durable_lsn = 0;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(records, primary_durable_lsn);
  }
  bool operator==(const LinkAppend&) const = default;
};

struct LinkTruncate {
  static constexpr MsgType kType = MsgType::kLinkTruncate;
  uint64_t after_lsn = 0;  // drop every record with a higher LSN
  template <class Archive>
  void serialize(Archive& ar) {
    ar(after_lsn);
  }
  bool operator==(const LinkTruncate&) const = default;
};

// replicad wrote a complete, fsynced snapshot file at `path` (inside DIR);
// the writer makes it the data directory's only state: it moves it into
// snap/, deletes every segment and rebuilds from it.
struct LinkInstall {
  static constexpr MsgType kType = MsgType::kLinkInstall;
  std::string path;
  uint64_t snapshot_lsn = 0;
  uint64_t snapshot_epoch = 0;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(path, snapshot_lsn, snapshot_epoch);
  }
  bool operator==(const LinkInstall&) const = default;
};

}  // namespace shardkit::wire
