// Driver: repl::Member's actions performed with sockets, files and timers
// (driver.h). The contract it keeps is the one in repl/member.h.
#include "driver.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <unordered_map>
#include <zmq.hpp>

#include "resync.h"
#include "shardkit/cli/log.h"
#include "shardkit/cli/signals.h"
#include "shardkit/daemon/link.h"
#include "shardkit/daemon/node.h"
#include "shardkit/net/connect.h"
#include "shardkit/net/loop.h"
#include "shardkit/net/server.h"
#include "shardkit/net/socket.h"
#include "shardkit/net/unique_fd.h"
#include "shardkit/repl/epochs.h"
#include "shardkit/wal/log_reader.h"
#include "shardkit/wire/codec.h"
#include "status_table.h"

namespace replicad {

using namespace shardkit;

namespace {

using Clock = std::chrono::steady_clock;

// A member message as the core sees it.
using ReplMessage = decltype(repl::MessageReceived{}.msg);

template <class T>
std::vector<std::string> Encode(const T& msg) {
  return wire::EncodeMessage(0, msg);
}

Status SendEncoded(zmq::socket_t& socket, const std::vector<std::string>& frames,
                   std::string_view routing = {}) {
  if (routing.empty()) {
    const std::string_view views[] = {frames[0], frames[1]};
    return net::SendFrames(socket, views, /*dontwait=*/true);
  }
  const std::string_view views[] = {routing, frames[0], frames[1]};
  return net::SendFrames(socket, views, /*dontwait=*/true);
}

// Decodes a REPL_* body into the core's message variant.
Result<ReplMessage> DecodeRepl(wire::MsgType type, std::string_view body) {
  auto decode = [&](auto msg) -> Result<ReplMessage> {
    SK_RETURN_IF_ERROR(wire::DecodeBody(body, &msg));
    return ReplMessage(std::move(msg));
  };
  switch (type) {
    case wire::MsgType::kReplHello:
      return decode(wire::ReplHello{});
    case wire::MsgType::kReplStart:
      return decode(wire::ReplStart{});
    case wire::MsgType::kReplRecords:
      return decode(wire::ReplRecords{});
    case wire::MsgType::kReplAck:
      return decode(wire::ReplAck{});
    case wire::MsgType::kReplVoteRequest:
      return decode(wire::ReplVoteRequest{});
    case wire::MsgType::kReplVote:
      return decode(wire::ReplVote{});
    case wire::MsgType::kReplTakeover:
      return decode(wire::ReplTakeover{});
    default:
      return Status::Unavailable("unsupported message type");
  }
}

}  // namespace

struct Driver::Impl {
  DriverOptions options;
  cli::SignalFd signals{SIGTERM, SIGINT, SIGHUP};
  zmq::context_t context;
  std::optional<net::ZapHandler> zap;
  net::UniqueFd lock_fd;
  zmq::socket_t router;  // members and operators
  std::string endpoint;
  std::unique_ptr<net::Server> server;
  zmq::socket_t link;  // the writer
  net::EventLoop loop;
  Clock::time_point started_at = Clock::now();

  std::optional<repl::Member> member;
  repl::DurableState state;
  std::unordered_map<std::string, zmq::socket_t> peers;
  std::unordered_map<repl::TimerId, net::EventLoop::TimerId> timers;
  std::deque<repl::Event> queue;  // events raised while performing actions
  bool feeding = false;

  // The writer, as last heard on the link.
  std::string writer_id;
  bool writer_seen = false;
  wire::LinkProgress progress;
  std::optional<wire::LinkRole> last_role;  // resent when the writer reconnects

  std::optional<wal::LogReader> reader;
  std::optional<ResyncSender> sender;  // constructed with the data directory
  std::optional<ResyncReceiver> receiver;

  // Operator requests waiting for OperatorDone.
  uint64_t next_token = 1;
  std::map<uint64_t, std::pair<std::string, uint64_t>> operators;  // token -> handle, rid

  uint64_t Now() const {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_at).count());
  }

  void Feed(repl::Event event);
  Status Perform(repl::Action& action);
  zmq::socket_t* PeerSocket(const std::string& to);  // connected on first use
  void SendToPeer(const std::string& to, const std::vector<std::string>& frames);
  template <class T>
  void SendToWriter(const T& msg);
  void OnLink();
  net::Server::HandlerResult OnRequest(const wire::Header& header, std::string_view body);
  net::Server::HandlerResult OnAdmin(const wire::AdminRequest& req, uint64_t rid);
  void OnChunk(const wire::ReplSnapshotChunk& chunk);
  void PumpResync();
  void SendInstall();
  void Start();
  wire::LinkAcked CapRetention(wire::LinkAcked acked);
  bool warned_cap = false;
  // The core's last LINK_ACKED: resent every second with the cap applied,
  // because a dead replica sends no acks that would trigger one, and the
  // cap must still free the disk.
  std::optional<wire::LinkAcked> last_acked;
  // A full resync waiting for a fresh snapshot (PumpResync): the LSN it
  // needs, asked of the writer in LINK_ACKED, and since when.
  uint64_t snapshot_wanted = 0;
  std::chrono::steady_clock::time_point wanted_since, wanted_asked;
  uint64_t ResyncMinLsn();
  bool failed = false;  // Fatal ran: the loop ends after this callback
  void Fatal(const Status& s) {
    failed = true;
    loop.Stop(s);
  }
};

Result<std::unique_ptr<Driver>> Driver::Open(DriverOptions options) {
  auto impl = std::make_unique<Impl>();
  Impl& d = *impl;
  d.options = std::move(options);
  SK_RETURN_IF_ERROR(d.signals.status());
  const std::string& dir = d.options.data_dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);  // the writer may not have started yet
  if (ec) return Status::IoError("cannot create " + dir + ": " + ec.message());
  const std::string lock_path = dir + "/replicad.lock";
  d.lock_fd = net::UniqueFd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (d.lock_fd.get() < 0) {
    return Status::IoError("cannot open " + lock_path + ": " + std::strerror(errno));
  }
  if (::flock(d.lock_fd.get(), LOCK_EX | LOCK_NB) != 0) {
    return Status::Temporary(dir + " is served by another replicad");
  }
  auto state = repl::LoadDurableState(dir);
  if (!state.ok()) return state.status();
  d.state = *state;
  d.sender.emplace(dir);
  d.receiver.emplace(dir);
  SK_RETURN_IF_ERROR(daemon::WriteReplicationFile(dir, d.options.config.ack));

  if (!d.options.listen.curve_secret_file.empty()) {
    auto zap = daemon::StartZap(d.context);
    if (!zap.ok()) return zap.status();
    d.zap.emplace(std::move(*zap));
  }
  auto router =
      net::Listen(d.context, d.options.listen, zmq::socket_type::router, d.zap ? &*d.zap : nullptr);
  if (!router.ok()) return router.status();
  d.router = std::move(*router);
  auto bound = net::LastEndpoint(d.router);
  d.endpoint = bound.ok() ? *bound : d.options.listen.endpoint;
  if (d.options.config.endpoint.empty()) d.options.config.endpoint = d.endpoint;
  if (d.options.config.name.empty()) d.options.config.name = d.options.config.endpoint;
  // Checked now, not when the first vote is recorded (a name the vote file
  // cannot hold would stop the member then).
  if (std::string why = repl::CheckMemberName(d.options.config.name); !why.empty()) {
    return Status::Usage("--name: " + why +
                         " (the default is the endpoint; give a --name that fits)");
  }
  d.server = std::make_unique<net::Server>(
      d.router,
      [&d](const wire::Header& h, std::string_view body) { return d.OnRequest(h, body); });

  net::ListenOptions lo;
  lo.endpoint = daemon::LinkEndpoint(dir);
  auto link = net::Listen(d.context, lo, zmq::socket_type::router);
  if (!link.ok()) return link.status().Prefixed("replication link");
  d.link = std::move(*link);
  return std::unique_ptr<Driver>(new Driver(std::move(impl)));
}

Driver::Driver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Driver::~Driver() = default;
const std::string& Driver::listen_endpoint() const { return impl_->endpoint; }

void Driver::Impl::Feed(repl::Event event) {
  queue.push_back(std::move(event));
  if (feeding) return;  // the outer Feed drains the queue
  feeding = true;
  std::vector<repl::Action> actions;
  while (!queue.empty()) {
    repl::Event e = std::move(queue.front());
    queue.pop_front();
    actions.clear();
    Status s = member->Handle(e, Now(), &actions);
    if (!s.ok() && !std::holds_alternative<repl::Operator>(e)) {
      feeding = false;
      return Fatal(s);
    }
    for (repl::Action& a : actions) {
      if (Status p = Perform(a); !p.ok()) {
        feeding = false;
        return Fatal(p);
      }
    }
  }
  feeding = false;
  // A replica learns its primary's client endpoint after its role: the
  // writer's NOT_PRIMARY answers name it, so tell it again when it changes.
  if (last_role && last_role->role == static_cast<uint8_t>(wire::LinkRoleKind::kReplica)) {
    const std::string& hint = member->primary_client();
    if (hint != last_role->primary_hint) {
      last_role->primary_hint = hint;
      SendToWriter(*last_role);
    }
  }
}

zmq::socket_t* Driver::Impl::PeerSocket(const std::string& to) {
  auto it = peers.find(to);
  if (it != peers.end()) return &it->second;
  net::ConnectOptions co;
  co.endpoint = to;
  co.immediate = true;  // a member that is down gets nothing queued; the core resends
  co.server_key = options.peer_key;
  if (!co.server_key.empty()) co.curve_secret_file = options.listen.curve_secret_file;
  auto socket = net::Connect(context, co, zmq::socket_type::dealer);
  if (!socket.ok()) {
    cli::LogWarn("cannot reach member", {{"member", to}, {"reason", socket.status().message()}});
    return nullptr;
  }
  return &peers.emplace(to, std::move(*socket)).first->second;
}

void Driver::Impl::SendToPeer(const std::string& to, const std::vector<std::string>& frames) {
  zmq::socket_t* socket = PeerSocket(to);
  if (socket) (void)SendEncoded(*socket, frames);  // dropped when not connected: the core resends
}

template <class T>
void Driver::Impl::SendToWriter(const T& msg) {
  if (!writer_seen) return;  // resent (roles) or re-derived (the rest) when it connects
  (void)SendEncoded(link, Encode(msg), writer_id);
}

Status Driver::Impl::Perform(repl::Action& action) {
  if (auto* p = std::get_if<repl::Persist>(&action)) {
    Status s = repl::SaveDurableState(options.data_dir, p->state);
    if (!s.ok()) {
      // DESIGN.md §6 rule 4: a failed fsync is fatal; a vote or an epoch
      // that may not be on disk must not be acted on.
      cli::LogError("cannot persist replication state", {{"reason", s.message()}});
      std::_Exit(70);
    }
    state = p->state;
    return Status::Ok();
  }
  if (auto* s = std::get_if<repl::Send>(&action)) {
    std::visit([&](const auto& m) { SendToPeer(s->to, Encode(m)); }, s->msg);
    return Status::Ok();
  }
  if (auto* w = std::get_if<repl::ToWriter>(&action)) {
    std::visit(
        [&](const auto& m) {
          using T = std::decay_t<decltype(m)>;
          if constexpr (std::is_same_v<T, wire::LinkRole>) {
            // The writer holds its answers to the group's ack level, which
            // it learns here (and from DIR/replication when it restarts).
            last_role = m;
            last_role->ack = repl::FormatAckLevel(options.config.ack);
            last_role->primary_hint = member->primary_client();
            SendToWriter(*last_role);
          } else if constexpr (std::is_same_v<T, wire::LinkAcked>) {
            last_acked = m;
            SendToWriter(CapRetention(m));
          } else {
            SendToWriter(m);
          }
        },
        w->msg);
    return Status::Ok();
  }
  if (auto* r = std::get_if<repl::ReadLog>(&action)) {
    repl::LogRead result;
    result.to = r->to;
    result.from_lsn = r->from_lsn;
    if (!reader) {
      auto opened = wal::LogReader::Open(options.data_dir + "/wal");
      if (!opened.ok()) return opened.status();
      reader.emplace(std::move(*opened));
    }
    std::vector<wal::OwnedRecord> records;
    // A primary's writer reports what it has written before the fdatasync
    // ends: the replicas flush it while the primary does (the member asks
    // for nothing past what the writer reported).
    const uint64_t upto = std::max(progress.durable_lsn, progress.written_lsn);
    Status s = reader->Read(r->from_lsn, upto, r->max_bytes, &records);
    if (s.code() == Code::kNoInput) {
      result.gone = true;
    } else if (!s.ok()) {
      return s;
    }
    result.records.reserve(records.size());
    for (wal::OwnedRecord& rec : records) {
      result.records.push_back(
          wire::ReplRecord{rec.type, rec.epoch, rec.lsn, std::move(rec.payload)});
    }
    queue.push_back(std::move(result));
    return Status::Ok();
  }
  if (auto* ss = std::get_if<repl::SendSnapshot>(&action)) {
    // One transfer at a time; the others wait their turn (PumpResync), and
    // each gets its ResyncSent, sent or failed.
    const bool busy = sender->busy();
    auto replaced =
        sender->Queue(ResyncSender::Request{ss->to, ss->session, member->epoch(), state.history});
    if (busy) {
      cli::LogInfo("full resync queued behind another",
                   {{"replica", ss->to}, {"waiting", std::to_string(sender->queued())}});
    }
    if (replaced) {
      queue.push_back(repl::ResyncSent{replaced->to, 0, 0, replaced->session, true});
    }
    return Status::Ok();
  }
  if (auto* in = std::get_if<repl::InstallSnapshot>(&action)) {
    if (!receiver->complete() || receiver->lsn() != in->snapshot_lsn ||
        receiver->epoch() != in->snapshot_epoch) {
      return Status::Internal("the member asked to install the snapshot of lsn " +
                              std::to_string(in->snapshot_lsn) + ", which is not the one received");
    }
    receiver->MarkInstalling();
    SendInstall();
    return Status::Ok();
  }
  if (auto* t = std::get_if<repl::SetTimer>(&action)) {
    const repl::TimerId id = t->id;
    auto loop_id = loop.AddTimer(std::chrono::milliseconds(t->delay_ms), [this, id] {
      timers.erase(id);
      Feed(repl::TimerFired{id});
    });
    if (auto old = timers.find(id); old != timers.end()) loop.CancelTimer(old->second);
    timers[id] = loop_id;
    return Status::Ok();
  }
  if (auto* c = std::get_if<repl::CancelTimer>(&action)) {
    if (auto it = timers.find(c->id); it != timers.end()) {
      loop.CancelTimer(it->second);
      timers.erase(it);
    }
    return Status::Ok();
  }
  if (auto* n = std::get_if<repl::Note>(&action)) {
    const cli::LogLevel level = n->level == repl::Note::kError  ? cli::LogLevel::kError
                                : n->level == repl::Note::kWarn ? cli::LogLevel::kWarn
                                                                : cli::LogLevel::kInfo;
    cli::LogLine(level, n->text);
    return Status::Ok();
  }
  if (auto* o = std::get_if<repl::OperatorDone>(&action)) {
    auto it = operators.find(o->token);
    if (it == operators.end()) return Status::Ok();
    const auto [handle, rid] = it->second;
    operators.erase(it);
    std::string body;
    if (o->status.ok()) {
      wire::AdminReply reply{{"result"}, {{"ok"}}};
      wire::EncodeBodyTo(reply, &body);
      (void)server->Reply(handle, wire::MsgType::kAdminReply, rid, body);
    } else {
      wire::EncodeBodyTo(wire::ErrorReplyFromStatus(o->status), &body);
      (void)server->Reply(handle, wire::MsgType::kError, rid, body);
    }
    return Status::Ok();
  }
  return Status::Ok();
}

void Driver::Impl::OnLink() {
  std::vector<zmq::message_t> in;
  for (int i = 0; i < 256; ++i) {
    auto total = net::ReceiveFrames(link, &in, /*dontwait=*/true);
    if (!total.ok()) return Fatal(total.status());
    if (*total == 0) return;
    if (*total != 1 + wire::kMessageFrames) continue;
    const std::string_view views[] = {net::View(in[1]), net::View(in[2])};
    auto m = wire::DecodeMessage(views);
    if (!m.ok() || m->header.type != wire::MsgType::kLinkProgress) {
      cli::LogWarn("unexpected message from the writer");
      continue;
    }
    wire::LinkProgress p;
    if (Status s = wire::DecodeBody(m->body, &p); !s.ok()) {
      cli::LogWarn("malformed progress from the writer", {{"reason", s.message()}});
      continue;
    }
    const std::string id(net::View(in[0]));
    const bool reconnected = writer_seen && id != writer_id;
    writer_id = id;
    const bool first = !writer_seen;
    writer_seen = true;
    const bool went_back = p.durable_lsn < progress.durable_lsn;
    progress = p;
    if (first) {
      cli::LogInfo("writer connected", {{"durable_lsn", std::to_string(p.durable_lsn)},
                                        {"last_epoch", std::to_string(p.last_epoch)}});
      Start();
      continue;
    }
    if (reconnected || went_back) {
      // A restarted writer (or one that rebuilt from disk) may have cut a
      // torn tail: read the log afresh, and tell it its role again -- after
      // the member saw its log end (a primary whose writer lost records it
      // had streamed must not go on in this epoch).
      cli::LogInfo("writer reconnected", {{"durable_lsn", std::to_string(p.durable_lsn)}});
      if (reader) reader->Reset();
      Feed(repl::ToWriterProgress(p));
      if (failed) return;
      if (last_role) SendToWriter(*last_role);
      // A writer that restarted before it installed the snapshot never
      // will: ask the new one (the member waits for SnapshotInstalled).
      if (reconnected && receiver->installing() && p.snapshot_lsn != receiver->lsn()) {
        SendInstall();
      }
    }
    if (receiver->installing() && p.snapshot_lsn == receiver->lsn() &&
        p.durable_lsn >= receiver->lsn()) {
      const repl::SnapshotInstalled done{receiver->lsn(), receiver->epoch()};
      receiver->Done();
      Feed(done);
    }
    Feed(repl::ToWriterProgress(p));
  }
}

// The lowest snapshot LSN a full resync may start from: the log after the
// snapshot must still be there, and stay (the cap). 0: no constraint, also
// after waiting a minute for a writer that writes no snapshot (the resync
// then goes ahead with what there is, and a replica that cannot continue
// gets another, rate-limited).
uint64_t Driver::Impl::ResyncMinLsn() {
  constexpr auto kMaxWait = std::chrono::seconds(60);
  if (snapshot_wanted != 0 && std::chrono::steady_clock::now() - wanted_since > kMaxWait) {
    cli::LogWarn("no fresh snapshot after 60 s; resyncing from the newest",
                 {{"needs_lsn", std::to_string(snapshot_wanted)}});
    wanted_since = std::chrono::steady_clock::now();
    return 0;
  }
  auto view = ViewRetention(options.data_dir + "/wal", options.retention);
  if (!view.ok()) return 0;
  const uint64_t keep_from = std::max(view->first_lsn, view->cap_lsn);
  return keep_from > 0 ? keep_from - 1 : 0;
}

// The replicas' retain_from, raised to what the cap allows, and the
// snapshot a waiting resync wants.
wire::LinkAcked Driver::Impl::CapRetention(wire::LinkAcked acked) {
  acked.snapshot_wanted = snapshot_wanted;
  if (acked.retain_from == 0) return acked;
  auto view = ViewRetention(options.data_dir + "/wal", options.retention);
  if (!view.ok() || view->cap_lsn <= acked.retain_from) {
    warned_cap = false;
    return acked;
  }
  if (!warned_cap) {
    cli::LogWarn("a replica is behind the retention cap: it will need a full resync",
                 {{"needs_lsn", std::to_string(acked.retain_from)},
                  {"cap_lsn", std::to_string(view->cap_lsn)},
                  {"log_bytes", std::to_string(view->log_bytes)},
                  {"retain_bytes", std::to_string(options.retention.max_bytes)}});
    warned_cap = true;
  }
  acked.retain_from = view->cap_lsn;
  return acked;
}

void Driver::Impl::Start() {
  options.config.client_endpoint = progress.client_endpoint;
  // Connect to the known members now: a message to a peer whose connection
  // is not up yet is dropped (immediate), and some are sent once (a vote).
  for (const std::string& peer : options.config.peers) {
    if (peer != options.config.endpoint) (void)PeerSocket(peer);
  }
  if (!options.config.follow.empty()) (void)PeerSocket(options.config.follow);
  member.emplace(options.config);
  repl::Started s;
  s.state = state;
  s.last_epoch = progress.last_epoch;
  if (s.last_epoch == 0 && progress.durable_lsn > 0) {
    // A log that starts after an installed snapshot does not know the
    // epoch of its snapshot's last record; the history does.
    for (const wire::EpochStart& e : state.history) {
      if (e.start_lsn <= progress.durable_lsn) s.last_epoch = e.epoch;
    }
  }
  s.last_lsn = progress.durable_lsn;
  // HELLO sessions must grow across restarts of this replicad, and Now()
  // starts at 0 with every one: the wall clock carries them over.
  s.session_base = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
  Feed(s);
  cli::LogInfo("member started", {{"name", options.config.name},
                                  {"role", std::string(repl::RoleName(member->role()))},
                                  {"epoch", std::to_string(member->epoch())}});
}

net::Server::HandlerResult Driver::Impl::OnRequest(const wire::Header& header,
                                                   std::string_view body) {
  if (header.type == wire::MsgType::kAdminRequest) {
    wire::AdminRequest req;
    SK_RETURN_IF_ERROR(wire::DecodeBody(body, &req));
    return OnAdmin(req, header.request_id);
  }
  if (header.type == wire::MsgType::kReplSnapshotChunk) {
    wire::ReplSnapshotChunk chunk;
    SK_RETURN_IF_ERROR(wire::DecodeBody(body, &chunk));
    OnChunk(chunk);
    return net::Server::Deferred();  // one-way
  }
  auto msg = DecodeRepl(header.type, body);
  if (!msg.ok()) {
    if (msg.status().code() == Code::kUnavailable) return net::Server::Unsupported(header);
    return msg.status();
  }
  if (!member) return net::Server::Deferred();
  // A queued resync for an older session of this replica would be sent
  // whole and then refused (seen: a restarted replica's first two HELLOs):
  // it ends now, so the new session's starts without waiting for it.
  std::optional<ResyncSender::Done> superseded;
  if (const auto* hello = std::get_if<wire::ReplHello>(&*msg)) {
    superseded = sender->Supersede(hello->endpoint, hello->session);
  }
  Feed(repl::MessageReceived{std::string(server->ReplyHandle()), std::move(*msg)});
  if (superseded) {
    Feed(repl::ResyncSent{superseded->to, 0, 0, superseded->session, /*failed=*/true});
  }
  return net::Server::Deferred();  // one-way: member messages are never answered here
}

// A replica's end of a full resync: chunks are written in order, and the
// member hears of each (it times a stalled resync out); once the file is
// complete, the writer installs it only if the member answers
// InstallSnapshot (a late or stale snapshot would drop acknowledged records).
void Driver::Impl::OnChunk(const wire::ReplSnapshotChunk& chunk) {
  if (!member || chunk.epoch < member->epoch()) return;  // fencing
  Result<bool> complete = receiver->Add(chunk);
  if (!complete.ok()) {
    cli::LogWarn("resync snapshot chunk refused", {{"reason", complete.status().message()}});
    return;
  }
  Feed(repl::SnapshotProgress{chunk.epoch, chunk.session, chunk.snapshot_lsn, chunk.snapshot_epoch,
                              receiver->received(), chunk.total});
  if (!*complete) return;
  if (receiver->installing()) {
    cli::LogWarn(
        "full resync snapshot received; installing",
        {{"lsn", std::to_string(chunk.snapshot_lsn)}, {"bytes", std::to_string(chunk.total)}});
  } else {
    cli::LogWarn(
        "full resync snapshot not wanted by the member; discarded",
        {{"lsn", std::to_string(chunk.snapshot_lsn)}, {"session", std::to_string(chunk.session)}});
    receiver->Discard();
  }
}

void Driver::Impl::SendInstall() {
  if (::access(receiver->path().c_str(), F_OK) != 0) {
    cli::LogError("the resync snapshot to install is gone",
                  {{"path", receiver->path()}, {"lsn", std::to_string(receiver->lsn())}});
    return;
  }
  SendToWriter(wire::LinkInstall{receiver->path(), receiver->lsn(), receiver->epoch()});
}

// A primary's end: a few chunks of the current transfer per tick, so one
// big snapshot never stalls heartbeats and acks; each transfer that ends,
// sent or failed, is reported to the member.
void Driver::Impl::PumpResync() {
  if (!sender->busy() || !member) return;
  const uint64_t min_lsn = sender->sending() ? 0 : ResyncMinLsn();
  std::vector<ResyncSender::Done> ended = sender->Pump(
      [&](const std::string& to, const wire::ReplSnapshotChunk& c) { SendToPeer(to, Encode(c)); },
      min_lsn);
  const auto now = std::chrono::steady_clock::now();
  if (sender->waiting_for() == 0) {
    snapshot_wanted = 0;
  } else {
    if (snapshot_wanted == 0) {
      wanted_since = now;
      wanted_asked = {};
      cli::LogWarn("full resync waits for a fresh snapshot",
                   {{"needs_lsn", std::to_string(sender->waiting_for())}});
    }
    snapshot_wanted = sender->waiting_for();
    if (now - wanted_asked >= std::chrono::seconds(1) && last_acked &&
        last_acked->epoch == member->epoch()) {
      wanted_asked = now;
      SendToWriter(CapRetention(*last_acked));  // carries snapshot_wanted
    }
  }
  for (const ResyncSender::Done& e : ended) {
    if (!e.status.ok()) {
      cli::LogError("full resync failed", {{"replica", e.to}, {"reason", e.status.message()}});
    }
    Feed(repl::ResyncSent{e.to, e.lsn, e.snapshot_epoch, e.session, !e.status.ok()});
  }
}

net::Server::HandlerResult Driver::Impl::OnAdmin(const wire::AdminRequest& req, uint64_t rid) {
  if (!member) return Status::Temporary("waiting for the writer (txpart or txcoord) to connect");
  if (req.verb == "status") {
    return std::pair{wire::MsgType::kAdminReply,
                     wire::EncodeBody(StatusTable(member->Report(Now()), options.config, progress,
                                                  options.data_dir + "/wal", options.retention))};
  }
  repl::Operator op;
  op.token = next_token++;
  if (req.verb == "promote") {
    op.verb = repl::OperatorVerb::kPromote;
    op.accept_data_loss = !req.args.empty() && req.args[0] == "accept-data-loss";
  } else if (req.verb == "demote") {
    op.verb = repl::OperatorVerb::kDemote;
  } else if (req.verb == "switchover") {
    if (req.args.size() != 1) return Status::Usage("switchover needs the target member's name");
    op.verb = repl::OperatorVerb::kSwitchover;
    op.target = req.args[0];
  } else {
    return Status::Usage("unknown admin verb '" + req.verb + "'");
  }
  operators[op.token] = {std::string(server->ReplyHandle()), rid};
  Feed(op);
  return net::Server::Deferred();
}

Status Driver::Run() {
  Impl& d = *impl_;
  bool stopping = false;
  d.loop.AddFd(d.signals.fd(), [&] {
    while (int sig = d.signals.Read()) {
      if (sig == SIGHUP) continue;
      if (!stopping) cli::LogInfo("stopping", {{"signal", sig == SIGTERM ? "TERM" : "INT"}});
      stopping = true;
      d.loop.Stop();
    }
  });
  d.loop.AddSocket(d.router, [&d] {
    if (Status s = d.server->ServePending(); !s.ok()) d.Fatal(s);
  });
  d.loop.AddSocket(d.link, [&d] { d.OnLink(); });
  d.loop.AddTimer(
      std::chrono::milliseconds(5), [&d] { d.PumpResync(); }, true);
  d.loop.AddTimer(
      std::chrono::seconds(1),
      [&d] {
        if (!d.writer_seen) {
          cli::LogInfo("waiting for the writer",
                       {{"link", daemon::LinkEndpoint(d.options.data_dir)}});
          return;
        }
        const bool primary = d.member && (d.member->role() == repl::Role::kPrimary ||
                                          d.member->role() == repl::Role::kPaused);
        if (primary && d.last_acked && d.last_acked->epoch == d.member->epoch()) {
          d.SendToWriter(d.CapRetention(*d.last_acked));
        }
      },
      true);
  cli::LogInfo("serving", {{"role", "replicad"},
                           {"data", d.options.data_dir},
                           {"listen", d.endpoint},
                           {"name", d.options.config.name},
                           {"ack", repl::FormatAckLevel(d.options.config.ack)},
                           {"curve", d.options.listen.curve_secret_file.empty() ? "off" : "on"}});
  Status s = d.loop.Run();
  cli::LogInfo("stopped");
  return s;
}

}  // namespace replicad
