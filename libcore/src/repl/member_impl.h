// Private state of repl::Member, shared by member*.cpp.
//
//   member.cpp           dispatch, Started, timers, epochs, Report
//   member_primary.cpp   a primary: HELLO, log reads, streaming, acks, lease
//   member_replica.cpp   a replica: sessions, START, RECORDS, takeover, own tail
//   member_election.cpp  votes, candidates, becoming primary
//   member_operator.cpp  promote, demote, switchover
//   member_resync.cpp    full resyncs, both ends
//
// The state machine itself is described at the top of member.cpp.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shardkit/repl/member.h"

namespace shardkit::repl {

using ReplMsg = decltype(Send::msg);
using WriterMsg = decltype(ToWriter::msg);

// A replica's view of the primary it follows.
enum class Sync : uint8_t {
  kSearching,  // no primary known: wait for a heartbeat (or an election)
  kHello,      // said HELLO to `follow`, waiting for START (resent every heartbeat)
  kSnapshot,   // START{resync}: waiting for the snapshot and SnapshotInstalled,
               // records ignored; HELLO again after kResyncStallElections
               // election timeouts without a chunk
  kStreaming,  // appending RECORDS that extend the log densely
};

// A primary's view of one replica's stream.
enum class Phase : uint8_t {
  kStarting,    // HELLO handled, START not sent: waits for the first LogRead
  kStreaming,   // START sent: RECORDS within the window
  kResyncWait,  // the log is gone but the last resync is too recent: timer
  kResyncing,   // START{resync} sent; SendSnapshot issued (or queued behind the
                // transfer still out to this endpoint), waiting for ResyncSent
};

// A replica in kSnapshot says HELLO again after this many election_ms
// without a snapshot chunk (the snapshot or its START was lost).
inline constexpr uint32_t kResyncStallElections = 4;

// One record in flight: its LSN and its estimated wire size.
struct Flight {
  uint64_t lsn = 0;
  uint64_t bytes = 0;
};

// A queue of flights with their byte sum.
struct Flights {
  std::deque<Flight> q;
  uint64_t bytes = 0;
  void Push(Flight f) {
    bytes += f.bytes;
    q.push_back(f);
  }
  // Drops flights with lsn <= upto (acknowledged).
  void DropThrough(uint64_t upto) {
    while (!q.empty() && q.front().lsn <= upto) {
      bytes -= q.front().bytes;
      q.pop_front();
    }
  }
  // Drops flights with lsn > after (to be sent again).
  void DropAfter(uint64_t after) {
    while (!q.empty() && q.back().lsn > after) {
      bytes -= q.back().bytes;
      q.pop_back();
    }
  }
  void Clear() {
    q.clear();
    bytes = 0;
  }
};

struct Follower {
  std::string name;
  std::string endpoint;
  Phase phase = Phase::kStarting;
  uint64_t session = 0;                  // the HELLO session this stream answers
  std::optional<wire::ReplStart> start;  // the last START of the session (resent)
  bool session_acked = false;            // it acked in `session`: it has the START
  bool snapshot_queued = false;          // kResyncing: SendSnapshot waits for a transfer
  bool resync_open = false;              // floor not acked yet: the resync is incomplete
  bool start_sent = false;
  bool truncate = false;  // KIP-101 cut for the next START
  uint64_t truncate_after = 0;
  uint64_t sent = 0;                  // the last LSN sent; the next read starts at sent + 1
  uint64_t base = 0;                  // the stream started after this LSN (the HELLO's cut)
  uint64_t floor = 0;                 // after a resync: the snapshot LSN the replica must ack first
  std::optional<uint64_t> read_from;  // the ReadLog in flight
  uint64_t received = 0;
  uint64_t flushed = 0;
  uint64_t applied = 0;
  bool acked = false;  // has acked in this epoch
  uint64_t last_ack_ms = 0;
  uint64_t waiting_since_ms = 0;  // last ack progress, or when records went out to an idle stream
  uint64_t caught_up_ms = 0;      // the last time flushed >= the primary's durable LSN
  Flights unacked;                // lsn > received
  Flights unflushed;              // lsn > flushed
  uint64_t resyncs = 0;
  std::string last_resync_reason;
  std::optional<uint64_t> last_resync_ms;  // the last resync it completed
  TimerId retry_timer = 0;
};

struct PendingSwitchover {
  uint64_t token = 0;
  std::string target;  // member name
  TimerId timer = 0;
  uint64_t started_ms = 0;
};

struct Member::Impl {
  explicit Impl(Config c);

  // ---- member.cpp ----
  Status OnStarted(const Started& s);
  void OnTimer(TimerId id);
  void OnHeartbeat();
  void OnMessage(const MessageReceived& m);
  MemberStatus Report(uint64_t now_ms) const;

  bool IsPrimary() const { return role == Role::kPrimary || role == Role::kPaused; }
  // The log ends below what this member acknowledged as flushed (a driver
  // installed a stale snapshot unasked): it must not run for primary until
  // a primary has given those records back.
  bool LostAcknowledged() const {
    return std::pair{last_epoch, last_lsn} < std::pair{flushed_acked_epoch, flushed_acked};
  }
  void Emit(Action a) { out->push_back(std::move(a)); }
  void Persist() { Emit(repl::Persist{ds}); }
  void SendTo(const std::string& to, ReplMsg msg);
  void TellWriter(WriterMsg msg) { Emit(ToWriter{std::move(msg)}); }
  void TellRole(wire::LinkRoleKind kind);
  void Log(Note::Level level, std::string text) { Emit(Note{level, std::move(text)}); }
  TimerId Arm(uint32_t delay_ms);
  void Disarm(TimerId* id);
  uint64_t NextRandom();
  // Adopts a higher epoch: a primary tells its writer it is a replica first,
  // a candidate gives up; the epoch is persisted; nobody is followed.
  void AdoptEpoch(uint64_t epoch, std::string_view why);
  // Leaves the primary role (the caller told the writer); answers a pending
  // switchover with `why`.
  void LeavePrimary(std::string_view why);
  wire::ReplRecords Heartbeat(uint64_t prev_lsn) const;

  // ---- member_primary.cpp ----
  void OnHello(const wire::ReplHello& h);
  void OnAck(const wire::ReplAck& a);
  void OnLogRead(const LogRead& r);
  Status OnPrimaryProgress(const WriterProgress& p);
  uint64_t StreamEnd() const { return std::max(durable_lsn, written_lsn); }
  void PrimaryTick();
  void Pump(Follower& f);
  void SendStart(Follower& f, bool resync);
  void GoBack(Follower& f);
  void CheckLease();
  void UpdateWriterRole();
  void EmitAcked();
  Follower* FindByEndpoint(const std::string& endpoint);

  // ---- member_replica.cpp ----
  void OnStart(const std::string& from, const wire::ReplStart& s);
  // Where this log is to be cut for START `s` (KIP-101 and the refinements).
  uint64_t KeepFor(const wire::ReplStart& s) const;
  void OnRecords(const wire::ReplRecords& r);
  void OnTakeover(const wire::ReplTakeover& t);
  void OnReplicaProgress(const WriterProgress& p);
  void ReplicaTick();
  void Follow(const std::string& endpoint, const std::string& name);
  void FollowConfigured();
  void SendHello();
  void SendAck();
  // A new HELLO conversation with `follow`: a new session, kHello, HELLO.
  void HelloAgain();
  void NewSession();
  // Cuts the writer's log after `keep` (its view of the log end moves
  // there), and forgets the writer's own tail.
  void CutWriter(uint64_t keep);
  // A RECORDS or START of the current epoch from `name`: true when this
  // member now follows it (a candidate gives up, a searching replica starts).
  bool AcceptPrimary(const std::string& endpoint, const std::string& name);

  // ---- member_resync.cpp ----
  void OnGone(Follower& f, uint64_t lsn);
  // SendSnapshot for f's session; the transfer is outstanding until its
  // ResyncSent.
  void IssueSnapshot(Follower& f);
  void OnRetry(Follower& f);
  void OnResyncSent(const ResyncSent& r);
  void OnSnapshotProgress(const SnapshotProgress& p);
  void OnSnapshotInstalled(const SnapshotInstalled& s);

  // ---- member_election.cpp ----
  void ArmElection();
  void OnElectionTimer();
  void StartElection(bool transfer = false);
  void CandidateTick();
  void OnVoteRequest(const wire::ReplVoteRequest& q);
  void OnVote(const wire::ReplVote& v);
  void BecomePrimary(uint64_t epoch, std::string_view why);

  // ---- member_operator.cpp ----
  Status OnOperator(const Operator& op);
  void CheckSwitchover();
  void OnSwitchoverTimeout();

  Config config;
  uint64_t now = 0;
  std::vector<Action>* out = nullptr;
  bool started = false;

  DurableState ds;
  Role role = Role::kReplica;

  // This member's log, as its writer holds it. On a replica last_lsn is what
  // it handed the writer (LinkAppend); durable/applied come from
  // WriterProgress. On a primary last_lsn follows durable_lsn.
  uint64_t last_epoch = 0;
  uint64_t last_lsn = 0;
  uint64_t durable_lsn = 0;
  uint64_t applied_lsn = 0;
  // A primary: its writer has written up to here (>= durable_lsn), so the
  // streams may go that far (WriterProgress::written_lsn).
  uint64_t written_lsn = 0;
  // LinkRole::seq of the last role sent to the writer, and the writer's
  // last quiet_seq (it equals role_seq once a paused writer's log is still).
  uint64_t role_seq = 0;
  uint64_t writer_quiet_seq = 0;
  // Started found a log whose last record's epoch disagrees with the epoch
  // history: a crash between adopting a primary's history and the writer
  // truncating the tail. The next START truncates the whole log.
  bool log_suspect = false;
  // Set at start and when leaving the primary role: the writer may hold or
  // still make durable records the member never heard of (accepted as
  // primary, or appended before a restart). WriterProgress extends last_lsn
  // with them until the next START or promotion, which cut the writer's log
  // to last_lsn (CutWriter) and clear it.
  bool own_tail = false;

  // Replica side.
  Sync sync = Sync::kSearching;
  uint64_t session_base = 0;    // Started::session_base
  uint64_t hello_session = 0;   // the current HELLO conversation
  uint64_t start_seq_seen = 0;  // the last START acted on in hello_session
  // The highest flushed position acknowledged (epoch of the record, LSN),
  // lowered only by a cut the primary asked for: what this member promised
  // to hold. A snapshot installed below it (by a driver that did not ask)
  // does not lower it, and votes compare against it too.
  uint64_t flushed_acked = 0;
  uint64_t flushed_acked_epoch = 0;
  // Records handed to the writer and not yet durable there, one flight per
  // RECORDS. Past half a window of them the received acks hold back, so a
  // writer that falls behind slows the primary (the link to it drops what
  // it cannot queue); nothing becoming durable for kResyncStallElections
  // election timeouts means the writer lost some: HELLO again from its
  // durable end.
  Flights to_writer;
  uint64_t received_acked = 0;    // the received LSN last acked in hello_session
  uint64_t writer_moved_ms = 0;   // to_writer's front last moved (or it filled)
  uint64_t resync_floor = 0;      // kSnapshot: a snapshot below this is refused
  History resync_history;         // kSnapshot: the primary's, adopted once installed
  uint64_t resync_epoch = 0;      // the epoch of the START{resync} it came with
  uint64_t snapshot_wait_ms = 0;  // kSnapshot since, or the last chunk
  // InstallSnapshot was emitted: the writer is installing (lsn, epoch); no
  // START, append, election or promotion until SnapshotInstalled.
  std::optional<std::pair<uint64_t, uint64_t>> install_pending;
  std::string follow;        // the primary's replicad endpoint
  std::string primary_name;  // "" if unknown
  // The client endpoint announced in RECORDS, and by which primary.
  std::string primary_client;
  std::string primary_client_of;
  std::optional<uint64_t> primary_heard_ms;
  uint64_t primary_durable = 0;  // the durable LSN the primary last advertised
  bool primary_heard = false;    // primary_durable came from a primary since Started
  std::string takeover_target;   // after a switchover: resend TAKEOVER there
  uint64_t takeover_epoch = 0;

  // Primary side.
  std::map<std::string, Follower> followers;  // by member name
  uint64_t primary_since_ms = 0;
  bool lease_lost = false;
  std::optional<PendingSwitchover> switchover;
  // Endpoint -> session of the SendSnapshot whose ResyncSent is still out.
  // Kept across role changes: the driver's transfers outlive them.
  std::map<std::string, uint64_t> transfers;
  uint64_t start_seq = 0;         // the last ReplStart::start_seq sent
  uint64_t bytes_sent_total = 0;  // for the lag estimate
  uint64_t records_sent_total = 0;

  // Elections.
  std::set<std::string> votes;
  size_t electorate = 0;  // members whose votes count in this candidacy, itself included
  // The candidacy's request and where it went: resent each heartbeat until
  // the election ends (a request or a vote may be lost; votes repeat).
  wire::ReplVoteRequest vote_request;
  std::vector<std::string> vote_requested;
  bool takeover_candidate = false;  // a candidacy a TAKEOVER started: it retries
  uint64_t rng = 0;
  uint32_t election_timeout_ms = 0;  // the current jittered timeout

  // Timers: every SetTimer gets a fresh id, so a late TimerFired for a
  // cancelled or replaced timer matches nothing.
  TimerId next_timer = 1;
  TimerId heartbeat_timer = 0;
  TimerId election_timer = 0;
};

// ---- history helpers (member.cpp) -----------------------------------------

// The epoch of the record at `lsn` in a log described by `h`: the last entry
// whose start_lsn <= lsn; 0 (pre-history) when there is none or lsn is 0.
uint64_t EpochAt(const History& h, uint64_t lsn);

// The smallest LSN in [1, upto] whose epoch differs between the two
// histories; upto + 1 when they agree on all of it.
uint64_t FirstDivergence(const History& a, const History& b, uint64_t upto);

// Appends "epoch `epoch` starts at `start`", first lowering the start of any
// earlier entry above `start` (epochs this log holds no record of), so the
// history stays non-decreasing.
void AddEpochLine(History* h, uint64_t epoch, uint64_t start);

// "key=value" helpers for Note texts.
std::string Quote(std::string_view s);

}  // namespace shardkit::repl
