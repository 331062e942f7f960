// Node: performs a txn core's actions with the event loop, the WAL and
// ZeroMQ sockets. The contract it keeps is in txn/core.h; node.h says how
// addresses, failpoints and shutdown work.
#include "shardkit/daemon/node.h"

#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <zmq.hpp>

#include "node_impl.h"
#include "shardkit/cli/log.h"
#include "shardkit/cli/signals.h"
#include "shardkit/daemon/link.h"
#include "shardkit/failpoint/failpoint.h"
#include "shardkit/net/connect.h"
#include "shardkit/net/server.h"
#include "shardkit/net/socket.h"
#include "shardkit/net/unique_fd.h"
#include "shardkit/net/zap.h"
#include "shardkit/txn/records.h"
#include "shardkit/wal/data_dir.h"
#include "shardkit/wal/snapshot.h"
#include "shardkit/wire/codec.h"

namespace shardkit::daemon {

namespace {

// A reply handle is this byte followed by a ROUTER routing id. Endpoints
// ("tcp://...", "ipc://...") never start with it, so the two kinds of
// address cannot be confused.
constexpr char kReplyTag = '\x01';

// Records and messages, by the failpoint step they are named after.
struct RecordStep {
  txn::RecordType type;
  const char* step;
};
constexpr RecordStep kRecordSteps[] = {
    {txn::RecordType::kPrepared, "prepare"},
    {txn::RecordType::kCommitted, "commit"},
    {txn::RecordType::kAborted, "abort"},
    {txn::RecordType::kOnePhaseCommitted, "one-phase"},
    {txn::RecordType::kDirectWrite, "direct-write"},
    {txn::RecordType::kHeuristicCommitted, "heuristic"},
    {txn::RecordType::kHeuristicAborted, "heuristic"},
    {txn::RecordType::kCommitDecision, "commit"},
    {txn::RecordType::kEnd, "end"},
    {txn::RecordType::kHeuristicMismatch, "mismatch"},
};

bool IsCoordinatorRecord(txn::RecordType t) {
  return t == txn::RecordType::kCommitDecision || t == txn::RecordType::kEnd ||
         t == txn::RecordType::kHeuristicMismatch;
}

// The messages each role sends.
constexpr wire::MsgType kParticipantSends[] = {
    wire::MsgType::kError,           wire::MsgType::kVote,      wire::MsgType::kAck,
    wire::MsgType::kOnePhaseResult,  wire::MsgType::kInquire,   wire::MsgType::kOutcome,
    wire::MsgType::kHeuristicReport, wire::MsgType::kGetReply,  wire::MsgType::kPutReply,
    wire::MsgType::kDelReply,        wire::MsgType::kScanReply,
};
constexpr wire::MsgType kCoordinatorSends[] = {
    wire::MsgType::kError,          wire::MsgType::kPrepare,
    wire::MsgType::kCommit,         wire::MsgType::kAbort,
    wire::MsgType::kCommitOnePhase, wire::MsgType::kSubmitResult,
    wire::MsgType::kOutcome,        wire::MsgType::kAck,
};

// "ONE_PHASE_RESULT" -> "one-phase-result".
std::string StepOfMessage(wire::MsgType type) {
  std::string s(wire::MsgTypeName(type));
  for (char& c : s)
    c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool IsCoordinator(const std::string& role) { return role == "txcoord"; }

}  // namespace

FailpointNames::FailpointNames(const std::string& role) {
  const bool coord = IsCoordinator(role);
  for (const RecordStep& r : kRecordSteps) {
    if (IsCoordinatorRecord(r.type) != coord) continue;
    force[static_cast<uint8_t>(r.type)] = {role + ".before-" + r.step + "-force",
                                           role + ".after-" + r.step + "-force"};
  }
  auto add = [&](std::span<const wire::MsgType> types) {
    for (wire::MsgType t : types) {
      send[t] = {role + ".before-" + StepOfMessage(t) + "-send",
                 role + ".after-" + StepOfMessage(t) + "-send"};
    }
  };
  if (coord)
    add(kCoordinatorSends);
  else
    add(kParticipantSends);
}

namespace {

// Snapshot entries are at most 64 MiB; a state is split into pieces of this.
constexpr size_t kSnapshotPiece = size_t{16} << 20;

// Reads a whole snapshot (its entries concatenated) into *out.
Status ReadSnapshot(const wal::SnapshotInfo& info, std::string* out) {
  auto reader = wal::SnapshotReader::Open(info);
  if (!reader.ok()) return reader.status();
  out->clear();
  std::string piece;
  for (;;) {
    auto more = reader->Next(&piece);
    if (!more.ok()) return more.status();
    if (!*more) return Status::Ok();
    out->append(piece);
  }
}

}  // namespace

std::vector<std::string> KnownFailpoints(const std::string& role) {
  FailpointNames names(role);
  std::vector<std::string> out;
  for (const auto& [type, pair] : names.force) {
    out.push_back(pair.first);
    out.push_back(pair.second);
  }
  for (const auto& [type, pair] : names.send) {
    out.push_back(pair.first);
    out.push_back(pair.second);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<net::ZapHandler> StartZap(zmq::context_t& context) {
  return net::ZapHandler::Start(context, [](const net::ZapEvent& e) {
    using K = net::ZapEvent::Kind;
    if (e.kind == K::kAllow) {
      cli::LogDebug("client allowed", {{"address", e.address}, {"key", e.client_key}});
    } else if (e.kind == K::kDeny) {
      cli::LogWarn("client refused", {{"address", e.address},
                                      {"mechanism", e.mechanism},
                                      {"key", e.client_key},
                                      {"reason", e.reason}});
    } else {
      cli::LogError("authentication worker restarted", {{"reason", e.reason}});
    }
  });
}

Result<std::unique_ptr<Node>> Node::Open(NodeOptions options) {
  SK_RETURN_IF_ERROR(failpoint::InitFromEnv());
  auto impl = std::make_unique<Impl>(std::move(options));
  Impl& n = *impl;
  SK_RETURN_IF_ERROR(n.signals.status());

  auto dir = wal::DataDir::Open(n.options.data_dir);
  if (!dir.ok()) return dir.status();
  n.dir.emplace(std::move(*dir));
  auto replicated = ReadReplicationFile(n.options.data_dir);
  if (!replicated.ok()) return replicated.status();
  if (*replicated) n.ack = **replicated;
  if (*replicated || n.options.standby) n.role = Impl::Role::kStandby;
  SK_RETURN_IF_ERROR(n.OpenLog());
  n.durable = n.log->durable_lsn();
  n.epoch = n.log->last_epoch();

  if (!n.options.listen.curve_secret_file.empty()) {
    auto zap = StartZap(n.context);
    if (!zap.ok()) return zap.status();
    n.zap.emplace(std::move(*zap));
  }
  auto router =
      net::Listen(n.context, n.options.listen, zmq::socket_type::router, n.zap ? &*n.zap : nullptr);
  if (!router.ok()) return router.status();
  n.router = std::move(*router);
  auto bound = net::LastEndpoint(n.router);
  n.endpoint = bound.ok() ? *bound : n.options.listen.endpoint;
  n.server = std::make_unique<net::Server>(
      n.router,
      [&n](const wire::Header& h, std::string_view body) { return n.OnRequest(h, body); });
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

// The newest snapshot and the log after it; the records wait in
// `recovered` for TakeRecovered.
Status Node::Impl::OpenLog() {
  start_snapshot.clear();
  snap_lsn = 0;
  recovered.clear();
  auto newest = wal::NewestSnapshot(*dir);
  if (!newest.ok()) return newest.status();
  if (*newest) {
    SK_RETURN_IF_ERROR(ReadSnapshot(**newest, &start_snapshot));
    snap_lsn = (*newest)->lsn;
  }
  auto opened = wal::Log::Open(*dir, options.log, snap_lsn + 1, [this](const wal::Record& r) {
    recovered.push_back(txn::LogEntry{r.lsn, r.type, std::string(r.payload)});
    return Status::Ok();
  });
  if (!opened.ok()) return opened.status();
  log.emplace(std::move(*opened));
  return Status::Ok();
}

txn::Recovered Node::Impl::TakeRecovered() {
  txn::Recovered rec;
  rec.records = std::move(recovered);
  recovered = {};
  rec.next_lsn = std::max(log->last_lsn(), snap_lsn) + 1;
  rec.snapshot = std::move(start_snapshot);
  rec.snapshot_lsn = snap_lsn;
  start_snapshot = {};
  return rec;
}

void Node::Impl::WatchLog() {
  loop.AddFd(log->notify_fd(), [this] { OnDurable(); });
}

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Node::~Node() = default;

void Node::OnAdmin(AdminFn fn) { impl_->admin = std::move(fn); }
void Node::OnHangup(std::function<void()> fn) { impl_->hangup = std::move(fn); }
void Node::OnReset(std::function<void()> fn) { impl_->reset_core = std::move(fn); }
void Node::OnMessage(std::function<void(const txn::MessageReceived&)> fn) {
  impl_->on_message = std::move(fn);
}
void Node::OnAction(std::function<void(const txn::Action&)> fn) {
  impl_->on_action = std::move(fn);
}
net::EventLoop& Node::loop() { return impl_->loop; }
wal::LogStats Node::log_stats() const { return impl_->log->stats(); }
uint64_t Node::durable_lsn() const { return impl_->durable; }
uint64_t Node::snapshots() const { return impl_->snapshots_written; }
uint64_t Node::snapshot_lsn() const { return impl_->snap_lsn; }
void Node::RequestSnapshot() { impl_->StartSnapshot(); }
const std::string& Node::listen_endpoint() const { return impl_->endpoint; }

Status Node::Handle(const txn::Event& event) {
  if (!impl_->running) return Status::Internal("Node::Handle called outside Run");
  return impl_->Feed(event);
}

Status Node::Impl::Feed(const txn::Event& event) {
  if (on_message) {
    if (const auto* m = std::get_if<txn::MessageReceived>(&event)) on_message(*m);
  }
  std::vector<txn::Action> actions;
  Status s = core(event, &actions);
  // Actions are performed even when the core reports an error (an operator's
  // mistake): whatever it emitted is part of its state.
  for (const txn::Action& a : actions) {
    if (Status p = Perform(a); !p.ok()) {
      Fail(p);
      return p;
    }
    if (on_action) on_action(a);
  }
  return s;
}

Status Node::Impl::Perform(const txn::Action& action) {
  if (const auto* a = std::get_if<txn::AppendLog>(&action)) {
    auto it = fp.force.find(a->type);
    if (a->force && it != fp.force.end()) SK_RETURN_IF_ERROR(failpoint::Hit(it->second.first));
    const uint64_t lsn = log->Append(a->type, epoch, a->payload);
    if (lsn != a->lsn) {
      return Status::Internal("log out of step with the core: appended lsn " + std::to_string(lsn) +
                              ", core expected " + std::to_string(a->lsn));
    }
    if (a->force) {
      forced.emplace_back(lsn, a->type);
      log->RequestSync();
    }
    return Status::Ok();
  }
  if (const auto* s = std::get_if<txn::Send>(&action)) return SendMessage(*s);
  if (const auto* t = std::get_if<txn::SetTimer>(&action)) {
    const txn::TimerId id = t->id;
    auto loop_id = loop.AddTimer(std::chrono::milliseconds(t->delay_ms), [this, id] {
      timers.erase(id);
      (void)Feed(txn::TimerFired{id});
    });
    if (auto old = timers.find(id); old != timers.end()) loop.CancelTimer(old->second);
    timers[id] = loop_id;
    return Status::Ok();
  }
  if (const auto* c = std::get_if<txn::CancelTimer>(&action)) {
    if (auto it = timers.find(c->id); it != timers.end()) {
      loop.CancelTimer(it->second);
      timers.erase(it);
    }
    return Status::Ok();
  }
  return Status::Ok();  // Resolved: a notification for the hooks
}

Status Node::Impl::SendMessage(const txn::Send& send) {
  const wire::MsgType type = txn::TypeOf(send.msg);
  auto names = fp.send.find(type);
  if (names != fp.send.end()) SK_RETURN_IF_ERROR(failpoint::Hit(names->second.first));
  if (!send.to.empty() && send.to[0] == kReplyTag) {
    if (!pending_writes.empty()) pending_writes.erase({send.to, send.request_id});
    std::string body;
    std::visit([&](const auto& m) { wire::EncodeBodyTo(m, &body); }, send.msg);
    if (!write_levels.empty() && HoldReply(send, body)) return Status::Ok();
    SK_RETURN_IF_ERROR(
        server->Reply(std::string_view(send.to).substr(1), type, send.request_id, body));
  } else {
    auto peer = PeerFor(send.to);
    if (!peer.ok()) {
      // A bad address from a PREPARE or the ring: log it; the core retries
      // or times out as for a lost message.
      cli::LogWarn("cannot reach peer", {{"peer", send.to}, {"reason", peer.status().message()}});
      return Status::Ok();
    }
    PeerGroup& group = *(*peer)->group;
    // May move a replica set on to its next member (and socket) first.
    group.BeforeSend(net::EventLoop::Clock::now());
    const uint64_t id = send.request_id ? send.request_id : next_request_id++;
    const std::vector<std::string> frames = txn::EncodeTxnMessage(id, send.msg);
    const std::string_view views[] = {frames[0], frames[1]};
    Status s = net::SendFrames(group.socket(), views, /*dontwait=*/true);
    // Not connected yet, or its queue is full: dropped, and the core's
    // retry covers it (rule 5 of the driver contract).
    if (!s.ok() && s.code() != Code::kTemporary && s.code() != Code::kUnavailable) return s;
  }
  if (names != fp.send.end()) SK_RETURN_IF_ERROR(failpoint::Hit(names->second.second));
  return Status::Ok();
}

// `address` is one endpoint or a replica set "EP1,EP2,..." (peer_group.h):
// one DEALER either way, keyed by the address exactly as the core wrote it.
Result<Node::Impl::Peer*> Node::Impl::PeerFor(const std::string& address) {
  if (auto it = peers.find(address); it != peers.end()) return it->second.get();
  // Asked once per member endpoint: each may have its own CURVE key.
  auto connect = [this](const std::string& endpoint) -> Result<zmq::socket_t> {
    net::ConnectOptions co;
    co.endpoint = endpoint;
    // The first message to a new peer waits for the connection rather than
    // being dropped (and resent only after the core's retry delay). A peer
    // that is down gets at most a high-water mark of stale, idempotent
    // messages when it comes back.
    co.immediate = false;
    if (options.key_for_endpoint) co.server_key = options.key_for_endpoint(endpoint);
    if (co.server_key.empty()) co.server_key = options.peer_key;
    if (!co.server_key.empty()) co.curve_secret_file = options.listen.curve_secret_file;
    return net::Connect(context, co, zmq::socket_type::dealer);
  };
  auto peer = std::make_unique<Peer>();
  Peer* raw = peer.get();
  auto group = PeerGroup::Open(address, std::move(connect), loop,
                               [this, address, raw] { DrainPeer(address, raw); });
  if (!group.ok()) return group.status();
  raw->group = std::move(*group);
  peers.emplace(address, std::move(peer));
  return raw;
}

// Replies reach the core as MessageReceived{from = address}, whichever
// member sent them; a NOT_PRIMARY from a replica set's member moves the set
// on instead (the core's resend goes to the next member).
void Node::Impl::DrainPeer(const std::string& address, Peer* peer) {
  PeerGroup& group = *peer->group;
  for (int i = 0; i < 1024; ++i) {
    auto total = net::ReceiveFrames(group.socket(), &frames, /*dontwait=*/true);
    if (!total.ok()) return Fail(total.status());
    if (*total == 0) return;
    group.Heard();
    if (*total != wire::kMessageFrames) {
      cli::LogWarn("malformed reply from peer", {{"peer", address}});
      continue;
    }
    const std::string_view views[] = {net::View(frames[0]), net::View(frames[1])};
    auto message = wire::DecodeMessage(views);
    if (!message.ok()) {
      cli::LogWarn("malformed reply from peer",
                   {{"peer", address}, {"reason", message.status().message()}});
      continue;
    }
    auto msg = txn::DecodeTxnMessage(message->header.type, message->body);
    if (!msg.ok()) {
      cli::LogWarn("malformed reply from peer",
                   {{"peer", address}, {"reason", msg.status().message()}});
      continue;
    }
    if (const auto* error = std::get_if<wire::ErrorReply>(&*msg);
        error != nullptr && group.OnError(*error)) {
      return;  // moved on: the socket this came from is closed
    }
    if (role == Role::kStandby) continue;  // an answer to a core that is gone
    (void)Feed(txn::MessageReceived{address, message->header.request_id, std::move(*msg)});
    if (!running) return;
  }
}

net::Server::HandlerResult Node::Impl::OnRequest(const wire::Header& header,
                                                 std::string_view body) {
  const std::string handle = kReplyTag + std::string(server->ReplyHandle());
  if (header.type == wire::MsgType::kAdminRequest) {
    if (!admin) return net::Server::Unsupported(header);
    wire::AdminRequest req;
    SK_RETURN_IF_ERROR(wire::DecodeBody(body, &req));
    const uint64_t rid = header.request_id;
    admin(req, [this, handle, rid](Result<wire::AdminReply> reply) {
      std::string out;
      const std::string_view to = std::string_view(handle).substr(1);
      if (reply.ok()) {
        wire::EncodeBodyTo(*reply, &out);
        (void)server->Reply(to, wire::MsgType::kAdminReply, rid, out);
      } else {
        wire::EncodeBodyTo(wire::ErrorReplyFromStatus(reply.status()), &out);
        (void)server->Reply(to, wire::MsgType::kError, rid, out);
      }
    });
    return net::Server::Deferred();
  }
  auto msg = txn::DecodeTxnMessage(header.type, body);
  if (!msg.ok()) {
    if (msg.status().code() == Code::kUnavailable) return net::Server::Unsupported(header);
    return msg.status();
  }
  if (Refuse(handle, header.request_id, *msg)) return net::Server::Deferred();
  (void)Feed(txn::MessageReceived{handle, header.request_id, std::move(*msg)});
  return net::Server::Deferred();
}

void Node::Impl::OnDurable() {
  const uint64_t lsn = log->ConsumeNotify();
  if (role == Role::kStandby) return OnDurableReport(lsn);
  if (lsn <= durable) {
    // Only written, not yet durable: replicad may stream it already.
    if (log->written_lsn() > progress_written) SendProgress();
    return;
  }
  durable = lsn;
  // The forced records that just became durable: their "after" failpoints
  // run before the core may send anything that depends on them.
  while (!forced.empty() && forced.front().first <= lsn) {
    auto it = fp.force.find(forced.front().second);
    forced.pop_front();
    if (it == fp.force.end()) continue;
    if (Status s = failpoint::Hit(it->second.second); !s.ok()) return Fail(s);
  }
  // Under load the next records are already on their way to write(2): the
  // report of those carries this durable LSN too, one message instead of
  // two per batch (at worst the 100 ms tick does). Otherwise, and while
  // paused or promoting (a switchover or a promotion waits for it), now.
  const bool written_next = role == Role::kPrimary && !promoting &&
                            log->written_lsn() <= progress_written &&
                            log->last_lsn() > log->written_lsn();
  if (!written_next) SendProgress();
  Gate();
}

void Node::Impl::OnSignals(bool* draining) {
  while (int sig = signals.Read()) {
    if (sig == SIGHUP) {
      if (hangup) hangup();
      continue;
    }
    if (*draining) continue;
    *draining = true;
    cli::LogInfo("stopping", {{"signal", sig == SIGTERM ? "TERM" : "INT"}});
    // New requests wait in the socket (and time out at their clients); work
    // in flight continues until it is done or the drain timeout passes.
    loop.RemoveSocket(router);
  }
}

void Node::Impl::MaybeSnapshot() {
  if (compacting || !options.compact || durable <= snap_lsn) return;
  const uint64_t grown = log->stats().bytes - bytes_at_snapshot;
  const auto age = net::EventLoop::Clock::now() - snapshot_time;
  if (grown >= options.snapshot_bytes || age >= options.snapshot_interval) StartSnapshot();
}

void Node::Impl::StartSnapshot() {
  if (compacting || !options.compact || durable <= snap_lsn) return;
  compacting = true;
  compact_lsn = durable;
  bytes_at_snapshot = log->stats().bytes;
  snapshot_time = net::EventLoop::Clock::now();
  if (compactor.joinable()) compactor.join();
  compactor = std::thread([this, prev = snap_lsn, upto = compact_lsn] {
    Status s = Compact(prev, upto);
    {
      std::lock_guard<std::mutex> lock(compact_mu);
      compact_status = s;
    }
    const uint64_t one = 1;
    (void)!::write(compact_done.get(), &one, sizeof one);
  });
}

// On the compactor thread: the previous snapshot plus the durable records
// after it, up to `upto`, become the snapshot at `upto`.
Status Node::Impl::Compact(txn::Lsn prev_lsn, txn::Lsn upto) {
  std::string prev;
  if (prev_lsn > 0) {
    auto newest = wal::NewestSnapshot(*dir);
    if (!newest.ok()) return newest.status();
    if (!*newest || (*newest)->lsn != prev_lsn) {
      return Status::Internal("snapshot " + std::to_string(prev_lsn) + " is gone");
    }
    SK_RETURN_IF_ERROR(ReadSnapshot(**newest, &prev));
  }
  std::vector<txn::LogEntry> records;
  const Status stop = Status::Negative("enough");
  const Status cancelled = Status::Unavailable("stopping");
  Status r = log->Replay(prev_lsn + 1, [&](const wal::Record& rec) {
    if (rec.lsn > upto) return stop;
    if (compact_cancel.load(std::memory_order_relaxed)) return cancelled;
    // By name, not a failpoint::Point: the crash matrices need not stop here.
    SK_RETURN_IF_ERROR(failpoint::Hit("daemon.before-compact-record"));
    records.push_back(txn::LogEntry{rec.lsn, rec.type, std::string(rec.payload)});
    return Status::Ok();
  });
  if (!r.ok() && !(r.code() == Code::kNegative && r.message() == "enough")) return r;
  if (records.empty() || records.back().lsn != upto) {
    return Status::Internal("log replay for a snapshot stopped at lsn " +
                            std::to_string(records.empty() ? prev_lsn : records.back().lsn) +
                            ", expected " + std::to_string(upto));
  }
  auto state = options.compact(prev, prev_lsn, std::move(records));
  if (!state.ok()) return state.status();
  const std::string& bytes = *state;
  return wal::WriteSnapshot(*dir, upto, [&](wal::SnapshotWriter& w) {
    for (size_t off = 0; off < bytes.size(); off += kSnapshotPiece) {
      if (compact_cancel.load(std::memory_order_relaxed)) return cancelled;
      SK_RETURN_IF_ERROR(w.Append(std::string_view(bytes).substr(off, kSnapshotPiece)));
    }
    return Status::Ok();
  });
}

void Node::Impl::SnapshotDone() {
  uint64_t count;
  if (::read(compact_done.get(), &count, sizeof count) != sizeof count) return;
  if (compactor.joinable()) compactor.join();
  compacting = false;
  Status s;
  {
    std::lock_guard<std::mutex> lock(compact_mu);
    s = compact_status;
  }
  if (!s.ok()) {
    cli::LogError("snapshot failed; the log is kept whole",
                  {{"lsn", std::to_string(compact_lsn)}, {"reason", s.message()}});
    return;
  }
  snap_lsn = compact_lsn;
  ++snapshots_written;
  // The snapshot is durable (WriteSnapshot fsyncs it and its directory), so
  // what it replaces can go.
  Status del = TrimLog();
  if (del.ok()) del = wal::DeleteSnapshotsBefore(*dir, snap_lsn);
  cli::LogInfo("snapshot written",
               {{"lsn", std::to_string(snap_lsn)}, {"trimmed", del.ok() ? "yes" : del.message()}});
}

// Deletes the segments the newest snapshot covers, except those a replica
// still needs (replicad caps that by bytes and age, so a dead replica cannot
// fill the disk: retain_from). Runs after each snapshot and whenever the cap
// moves, so the disk is bounded even when writes stop.
Status Node::Impl::TrimLog() {
  if (snap_lsn == 0) return Status::Ok();
  uint64_t floor = snap_lsn + 1;
  if (role != Role::kStandby && acked.retain_from > 0) floor = std::min(floor, acked.retain_from);
  return log->DeleteSegmentsBefore(floor);
}

Status Node::Run(CoreFn core, std::function<bool()> idle) {
  Impl& n = *impl_;
  n.core = std::move(core);
  n.running = true;
  struct Stop {
    bool* flag;
    ~Stop() { *flag = false; }
  } stop{&n.running};

  size_t records = 0;
  {
    txn::Recovered rec = n.TakeRecovered();
    records = rec.records.size();
    std::vector<txn::Action> actions;
    const bool standby = n.role == Impl::Role::kStandby;
    Status s = standby ? n.core(txn::StandbyRecovered{std::move(rec)}, &actions)
                       : n.core(std::move(rec), &actions);
    if (!s.ok()) return s;
    for (const txn::Action& a : actions) {
      SK_RETURN_IF_ERROR(n.Perform(a));
      if (n.on_action) n.on_action(a);
    }
  }
  n.fed = n.durable;

  bool draining = false;
  n.WatchLog();
  SK_RETURN_IF_ERROR(n.OpenLink());
  n.loop.AddTimer(
      std::chrono::milliseconds(100),
      [&n] {
        n.SendProgress();
        n.SweepPendingWrites();
      },
      true);
  n.loop.AddFd(n.signals.fd(), [&n, &draining] { n.OnSignals(&draining); });
  n.loop.AddSocket(n.router, [&n] {
    if (Status s = n.server->ServePending(); !s.ok()) n.Fail(s);
  });
  if (n.options.compact) {
    n.compact_done = net::UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (n.compact_done.get() < 0) return Status::Internal("eventfd failed");
    n.loop.AddFd(n.compact_done.get(), [&n] { n.SnapshotDone(); });
    n.loop.AddTimer(
        std::chrono::seconds(1), [&n] { n.MaybeSnapshot(); }, true);
  }
  auto drain_started = net::EventLoop::Clock::time_point{};
  n.loop.AddTimer(
      std::chrono::milliseconds(20),
      [&] {
        if (!draining) return;
        const auto now = net::EventLoop::Clock::now();
        if (drain_started == net::EventLoop::Clock::time_point{}) drain_started = now;
        // Held replies count as answered for the core: wait for them too
        // (they are released, or time out as NOT_REPLICATED).
        const bool done = idle && idle() && n.held.empty();
        if (done || now - drain_started >= n.options.drain_timeout) n.loop.Stop();
      },
      true);

  cli::LogInfo("serving", {{"role", n.options.role},
                           {"mode", n.role == Impl::Role::kStandby ? "standby" : "primary"},
                           {"data", n.options.data_dir},
                           {"listen", n.endpoint},
                           {"curve", n.options.listen.curve_secret_file.empty() ? "off" : "on"},
                           {"recovered_records", std::to_string(records)},
                           {"next_lsn", std::to_string(n.log->last_lsn() + 1)}});
  Status s = n.loop.Run();
  if (n.compactor.joinable()) {
    // A snapshot in progress is abandoned (the log still holds it all): a
    // large store's compaction would hold up the exit for seconds.
    n.compact_cancel = true;
    n.compactor.join();
    std::lock_guard<std::mutex> lock(n.compact_mu);
    if (n.compacting && n.compact_status.code() == Code::kUnavailable) {
      cli::LogInfo("snapshot abandoned", {{"lsn", std::to_string(n.compact_lsn)}});
    }
  }
  // Whatever was appended is made durable before we go; nothing waits for
  // it any more, but it keeps the log's tail clean for the next start.
  if (Status sync = n.log->SyncUpTo(n.log->last_lsn()); s.ok() && !sync.ok()) s = sync;
  const wal::LogStats st = n.log->stats();
  cli::LogInfo("stopped", {{"records", std::to_string(st.records)},
                           {"fsyncs", std::to_string(st.fsyncs)},
                           {"bad_requests", std::to_string(n.server->bad_requests())}});
  return s;
}

}  // namespace shardkit::daemon
