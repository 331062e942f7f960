// A deterministic harness for repl::Member: several members, each with a
// fake writer (an in-memory log with a durable prefix; applied = durable)
// and a fake disk for its DurableState, wired by an in-memory network and
// driven by a fake clock. A resync snapshot travels like a message (it can
// be held, cut or dropped); the receiving driver reports it whole
// (SnapshotProgress) and installs it only on InstallSnapshot. A writer that
// steps down makes its whole log durable, as daemon::Node does.
//
// Performing an action also checks the safety rules a driver can see:
//  * a Send carries an epoch the sender has persisted, and a granted VOTE
//    follows the persisted vote;
//  * LinkRole{primary} follows a persisted history line for that epoch, and
//    no two members are primary in one epoch;
//  * LinkAppend extends the writer's log densely (a record the writer
//    already holds is skipped, and must be the same record), and the
//    persisted history already names each record's epoch.
#pragma once

#include <catch2/catch.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "shardkit/repl/member.h"

namespace repltest {

using namespace shardkit;
using namespace shardkit::repl;

using Msg = decltype(Send::msg);

inline std::string Ep(const std::string& name) { return "tcp://" + name; }

// The epoch of `lsn` according to `h` (0 before the first line).
inline uint64_t HistoryEpochAt(const History& h, uint64_t lsn) {
  uint64_t e = 0;
  for (const auto& x : h) {
    if (x.start_lsn > lsn) break;
    e = x.epoch;
  }
  return lsn == 0 ? 0 : e;
}

template <class M>
uint64_t EpochOfMsg(const M& m) {
  return m.epoch;
}

// The writer beside one member.
struct FakeWriter {
  std::vector<wire::ReplRecord> log;  // LSN i is log[i - 1], snapshot records included
  uint64_t retained_from = 1;         // a ReadLog below this is gone
  uint64_t snapshot_lsn = 0;          // the newest snapshot (retained_from - 1)
  uint64_t durable = 0;               // log[0, durable) is durable
  uint64_t written = 0;               // a primary's: written, maybe not durable
  bool auto_flush = true;
  int drop_appends = 0;       // LINK_APPENDs with records to lose (a full link)
  bool lost_appends = false;  // some were: a gap is refused, not a bug
  wire::LinkRoleKind role = wire::LinkRoleKind::kReplica;
  uint64_t epoch = 0;
  std::vector<wire::LinkRole> roles;
  std::vector<wire::LinkAcked> acked;
  std::vector<uint64_t> truncates;  // LINK_TRUNCATEs that cut records
  int barriers = 0;                 // and those that had nothing to cut
  std::vector<uint64_t> installs;   // snapshot LSNs installed

  uint64_t last_lsn() const { return log.size(); }
  uint64_t EpochOf(uint64_t lsn) const { return lsn == 0 ? 0 : log[lsn - 1].epoch; }
  uint64_t last_epoch() const { return EpochOf(last_lsn()); }
  uint64_t role_seq = 0;  // LinkRole::seq of the role in force
  WriterProgress Progress() const {
    const bool quiet = role == wire::LinkRoleKind::kPaused && durable == last_lsn();
    return WriterProgress{durable, durable, EpochOf(durable), written, quiet ? role_seq : 0};
  }
};

// A full resync's snapshot on its way: the sender's log up to `lsn`.
struct SnapshotXfer {
  uint64_t lsn = 0;
  uint64_t epoch = 0;         // of the record at lsn
  uint64_t sender_epoch = 0;  // ReplSnapshotChunk::epoch
  uint64_t session = 0;       // SendSnapshot::session
  std::vector<wire::ReplRecord> records;
};

struct Packet {
  std::string from;  // endpoints
  std::string to;
  Msg msg;
  std::optional<SnapshotXfer> snapshot;  // set: a resync snapshot, not `msg`
};

struct Node {
  Config config;
  std::unique_ptr<Member> member;
  FakeWriter writer;
  DurableState disk;
  bool up = false;
  std::map<TimerId, uint64_t> timers;  // id -> due
  std::deque<Event> local;             // events the driver owes the member
  std::vector<Action> trace;           // every action performed
  std::vector<OperatorDone> done;
  std::vector<Note> notes;
  std::optional<SnapshotXfer> received;  // a complete resync snapshot, not installed

  Role role() const { return member->role(); }
  bool HasNote(const std::string& part) const {
    for (const auto& n : notes) {
      if (n.text.find(part) != std::string::npos) return true;
    }
    return false;
  }
  template <class A>
  std::vector<A> Traced() const {
    std::vector<A> r;
    for (const auto& a : trace) {
      if (const auto* x = std::get_if<A>(&a)) r.push_back(*x);
    }
    return r;
  }
  template <class M>
  std::vector<Send> SentOf() const {
    std::vector<Send> r;
    for (const auto& a : trace) {
      if (const auto* s = std::get_if<Send>(&a); s && std::holds_alternative<M>(s->msg)) {
        r.push_back(*s);
      }
    }
    return r;
  }
};

class Cluster {
 public:
  uint64_t now = 1000;
  std::map<std::string, Node> nodes;  // by name
  std::deque<Packet> net;
  bool hold = false;  // queue messages until Deliver()/Run() with hold off
  std::set<std::pair<std::string, std::string>> cut;    // (from, to) names
  std::function<bool(const Packet&)> drop;              // true: lose it
  std::map<uint64_t, std::set<std::string>> primaries;  // epoch -> who led it
  uint64_t starts = 0;  // Started::session_base: grows with every start, as a clock would

  // A member named `name`; peers and follow are member names.
  Node& Add(const std::string& name, std::vector<std::string> peers = {},
            const std::string& follow = "", Config base = Config{}) {
    Config c = std::move(base);
    c.name = name;
    c.endpoint = Ep(name);
    c.peers.clear();
    for (const auto& p : peers) c.peers.push_back(Ep(p));
    c.follow = follow.empty() ? "" : Ep(follow);
    Node& n = nodes[name];
    n.config = c;
    return n;
  }

  Node& operator[](const std::string& name) {
    auto it = nodes.find(name);
    REQUIRE(it != nodes.end());
    return it->second;
  }

  void Start(const std::string& name) {
    Node& n = (*this)[name];
    n.member = std::make_unique<Member>(n.config);
    n.up = true;
    n.timers.clear();
    n.local.clear();
    Feed(name, Started{n.disk, n.writer.last_epoch(), n.writer.last_lsn(), ++starts});
  }
  void StartAll() {
    for (auto& [name, n] : nodes) Start(name);
    Run();
  }

  // kill -9: the member's state goes, the writer keeps its durable prefix.
  void Crash(const std::string& name) {
    Node& n = (*this)[name];
    n.up = false;
    n.member.reset();
    n.timers.clear();
    n.local.clear();
    n.writer.log.resize(n.writer.durable);
    n.writer.written = 0;
    n.writer.role = wire::LinkRoleKind::kReplica;
  }
  void Restart(const std::string& name) {
    Crash(name);
    Start(name);
  }
  // replicad alone restarts: the writer runs on in its role, and the new
  // member starts from the writer's durable log end.
  void RestartMember(const std::string& name) {
    Node& n = (*this)[name];
    n.member = std::make_unique<Member>(n.config);
    n.up = true;
    n.timers.clear();
    n.local.clear();
    Feed(name, Started{n.disk, n.writer.EpochOf(n.writer.durable), n.writer.durable, ++starts});
  }

  void Cut(const std::string& a, const std::string& b) {
    cut.insert({a, b});
    cut.insert({b, a});
  }
  void Isolate(const std::string& a) {
    for (auto& [name, n] : nodes) {
      if (name != a) Cut(a, name);
    }
  }
  void Heal() { cut.clear(); }

  // The primary writer accepts `count` writes (durable at once with
  // auto_flush).
  void Write(const std::string& name, int count = 1, const std::string& payload = "v") {
    Node& n = (*this)[name];
    REQUIRE(n.writer.role == wire::LinkRoleKind::kPrimary);
    for (int i = 0; i < count; ++i) {
      wire::ReplRecord r;
      r.type = 1;
      r.epoch = n.writer.epoch;
      r.lsn = n.writer.last_lsn() + 1;
      r.payload = payload + std::to_string(r.lsn);
      n.writer.log.push_back(r);
    }
    if (n.writer.auto_flush) Flush(name);
    Run();
  }
  void Flush(const std::string& name) {
    Node& n = (*this)[name];
    n.writer.durable = n.writer.last_lsn();
    n.local.push_back(n.writer.Progress());
  }
  // The primary's writer reports its whole log written, its fsync not done.
  void Written(const std::string& name) {
    Node& n = (*this)[name];
    n.writer.written = n.writer.last_lsn();
    n.local.push_back(n.writer.Progress());
    Run();
  }
  // Drops the log up to `upto` from retention: a snapshot of it remains.
  void Compact(const std::string& name, uint64_t upto) {
    Node& n = (*this)[name];
    REQUIRE(upto <= n.writer.durable);
    n.writer.snapshot_lsn = upto;
    n.writer.retained_from = upto + 1;
  }

  // Feeds one event and performs its actions; the event must succeed.
  void Feed(const std::string& name, const Event& e) {
    Status s = FeedStatus(name, e);
    INFO(s.message());
    REQUIRE(s.ok());
  }
  Status FeedStatus(const std::string& name, const Event& e) {
    Node& n = (*this)[name];
    REQUIRE(n.up);
    std::vector<Action> out;
    Status s = n.member->Handle(e, now, &out);
    for (auto& a : out) Perform(n, a);
    return s;
  }
  // An operator verb, then everything it set moving.
  Status Operate(const std::string& name, Operator op) {
    Status s = FeedStatus(name, op);
    Run();
    return s;
  }

  // Delivers everything owed until nothing moves.
  void Run() {
    for (int steps = 0; steps < 200000; ++steps) {
      bool moved = false;
      for (auto& [name, n] : nodes) {
        if (n.up && !n.local.empty()) {
          Event e = std::move(n.local.front());
          n.local.pop_front();
          Feed(name, e);
          moved = true;
          break;
        }
      }
      if (moved) continue;
      if (hold || net.empty()) return;
      Packet p = std::move(net.front());
      net.pop_front();
      Deliver(p);
    }
    FAIL("harness: no quiescence after 200000 steps");
  }
  // Delivers the queued messages (even with hold on), then runs.
  void DeliverQueued() {
    std::deque<Packet> q;
    q.swap(net);
    for (auto& p : q) Deliver(p);
    const bool h = hold;
    hold = false;
    Run();
    hold = h;
  }

  // Advances the clock by `ms`, firing due timers in order.
  void Advance(uint64_t ms) {
    const uint64_t until = now + ms;
    for (;;) {
      Run();
      std::string who;
      TimerId id = 0;
      uint64_t due = UINT64_MAX;
      for (auto& [name, n] : nodes) {
        if (!n.up) continue;
        for (auto& [tid, t] : n.timers) {
          if (t < due) {
            due = t;
            who = name;
            id = tid;
          }
        }
      }
      if (id == 0 || due > until) break;
      now = std::max(now, due);
      (*this)[who].timers.erase(id);
      Feed(who, TimerFired{id});
    }
    now = until;
    Run();
  }

  // The up member that is primary (or paused) in the highest epoch, ""
  // if none. A cut-off primary of an older epoch may not know yet that it
  // was replaced; two in one epoch is a bug.
  std::string Primary() {
    std::string who;
    std::set<uint64_t> epochs;
    for (auto& [name, n] : nodes) {
      if (n.up && (n.role() == Role::kPrimary || n.role() == Role::kPaused)) {
        CHECK(epochs.insert(n.member->epoch()).second);
        if (who.empty() || n.member->epoch() > nodes.at(who).member->epoch()) who = name;
      }
    }
    return who;
  }

 private:
  Node* ByEndpoint(const std::string& ep) {
    for (auto& [name, n] : nodes) {
      if (n.config.endpoint == ep) return &n;
    }
    return nullptr;
  }

  void Deliver(const Packet& p) {
    Node* to = ByEndpoint(p.to);
    Node* from = ByEndpoint(p.from);
    if (!to || !to->up || !from) return;
    if (cut.count({from->config.name, to->config.name})) return;
    if (drop && drop(p)) return;
    if (p.snapshot) return ReceiveSnapshot(*to, *p.snapshot);
    Feed(to->config.name, MessageReceived{p.from, p.msg});
  }

  void Perform(Node& n, const Action& a) {
    n.trace.push_back(a);
    const std::string& me = n.config.name;
    if (const auto* p = std::get_if<Persist>(&a)) {
      CHECK(p->state.current_epoch >= n.disk.current_epoch);
      CHECK(p->state.voted_epoch >= n.disk.voted_epoch);
      CHECK(ValidateHistory(p->state.history).ok());
      n.disk = p->state;
    } else if (const auto* s = std::get_if<Send>(&a)) {
      const uint64_t e = std::visit([](const auto& m) { return EpochOfMsg(m); }, s->msg);
      INFO(me << " sends in epoch " << e << " with persisted epoch " << n.disk.current_epoch);
      CHECK(e <= n.disk.current_epoch);
      if (const auto* v = std::get_if<wire::ReplVote>(&s->msg); v && v->granted) {
        CHECK(n.disk.voted_epoch == v->epoch);
      }
      net.push_back(Packet{n.config.endpoint, s->to, s->msg, std::nullopt});
    } else if (const auto* w = std::get_if<ToWriter>(&a)) {
      ToWriterMsg(n, w->msg);
    } else if (const auto* r = std::get_if<ReadLog>(&a)) {
      LogRead lr;
      lr.to = r->to;
      lr.from_lsn = r->from_lsn;
      if (r->from_lsn < n.writer.retained_from) {
        lr.gone = true;
      } else {
        uint64_t bytes = 0;
        const uint64_t upto = std::max(n.writer.durable, n.writer.written);
        for (uint64_t l = r->from_lsn; l <= upto; ++l) {
          if (!lr.records.empty() && bytes >= r->max_bytes) break;
          lr.records.push_back(n.writer.log[l - 1]);
          bytes += n.writer.log[l - 1].payload.size() + wire::ReplRecord::kMinWireBytes;
        }
      }
      n.local.push_back(lr);
    } else if (const auto* ss = std::get_if<SendSnapshot>(&a)) {
      // The transfer streams at once; the snapshot travels like a message
      // (cut, dropped or held like one), and the sender hears ResyncSent
      // whether it arrives or not.
      SnapshotXfer x;
      x.lsn = n.writer.snapshot_lsn;
      x.epoch = n.writer.EpochOf(x.lsn);
      x.sender_epoch = n.member->epoch();
      x.session = ss->session;
      x.records.assign(n.writer.log.begin(), n.writer.log.begin() + x.lsn);
      n.local.push_back(ResyncSent{ss->to, x.lsn, x.epoch, ss->session, false});
      net.push_back(Packet{n.config.endpoint, ss->to, wire::ReplHello{}, std::move(x)});
    } else if (const auto* in = std::get_if<InstallSnapshot>(&a)) {
      // Only the snapshot the driver holds, as the member names it.
      REQUIRE(n.received);
      CHECK(in->snapshot_lsn == n.received->lsn);
      CHECK(in->snapshot_epoch == n.received->epoch);
      Install(n, *n.received);
      n.received.reset();
    } else if (const auto* t = std::get_if<SetTimer>(&a)) {
      n.timers[t->id] = now + t->delay_ms;
    } else if (const auto* c = std::get_if<CancelTimer>(&a)) {
      n.timers.erase(c->id);
    } else if (const auto* note = std::get_if<Note>(&a)) {
      n.notes.push_back(*note);
    } else if (const auto* d = std::get_if<OperatorDone>(&a)) {
      n.done.push_back(*d);
    }
  }

  // The receiving driver: a snapshot of a lower epoch is fenced; otherwise
  // it reports the whole file as received, and the writer installs it only
  // if the member answers InstallSnapshot.
  void ReceiveSnapshot(Node& n, const SnapshotXfer& x) {
    if (x.sender_epoch < n.member->epoch()) return;
    n.received = x;
    const uint64_t bytes = x.lsn + 1;  // any size will do
    Feed(n.config.name, SnapshotProgress{x.sender_epoch, x.session, x.lsn, x.epoch, bytes, bytes});
    n.received.reset();  // not asked for: discarded
  }
  void Install(Node& n, const SnapshotXfer& x) {
    FakeWriter& w = n.writer;
    w.installs.push_back(x.lsn);
    w.log = x.records;
    w.durable = x.lsn;
    w.snapshot_lsn = x.lsn;
    w.retained_from = x.lsn + 1;
    n.local.push_back(SnapshotInstalled{x.lsn, x.epoch});
  }

  void ToWriterMsg(Node& n, const decltype(ToWriter::msg)& msg) {
    FakeWriter& w = n.writer;
    if (const auto* r = std::get_if<wire::LinkRole>(&msg)) {
      const auto was = w.role;
      w.role = static_cast<wire::LinkRoleKind>(r->role);
      w.role_seq = r->seq;
      // Paused, the writer says when its log is still (daemon::Node::OnRole).
      if (w.role == wire::LinkRoleKind::kPaused) n.local.push_back(w.Progress());
      if (w.role == wire::LinkRoleKind::kReplica && was != wire::LinkRoleKind::kReplica) {
        // Stepping down closes the log (daemon::Node::Rebuild): whatever
        // the primary appended becomes durable, and the writer says so.
        w.durable = w.last_lsn();
        n.local.push_back(w.Progress());
      }
      w.epoch = r->epoch;
      w.roles.push_back(*r);
      if (w.role == wire::LinkRoleKind::kPrimary) {
        INFO(n.config.name << " primary in epoch " << r->epoch);
        CHECK(n.disk.current_epoch == r->epoch);
        REQUIRE(!n.disk.history.empty());
        CHECK(n.disk.history.back().epoch == r->epoch);
        primaries[r->epoch].insert(n.config.name);
        CHECK(primaries[r->epoch].size() == 1);
      }
    } else if (const auto* ap = std::get_if<wire::LinkAppend>(&msg)) {
      CHECK(w.role == wire::LinkRoleKind::kReplica);
      // No records: the primary's durable LSN alone (a heartbeat), which
      // only a standby's staleness bound uses.
      if (ap->records.empty()) return;
      if (w.drop_appends > 0) {
        --w.drop_appends;
        w.lost_appends = true;
        return;
      }
      bool resent = false;
      for (const auto& rec : ap->records) {
        INFO(n.config.name << " appends lsn " << rec.lsn << " of epoch " << rec.epoch);
        if (rec.lsn <= w.last_lsn()) {
          // The writer skips a record it holds (a resend): it must be the
          // same record, or the logs have silently parted.
          CHECK(w.log[rec.lsn - 1] == rec);
          resent = true;
          continue;
        }
        if (rec.lsn != w.last_lsn() + 1) {
          REQUIRE(w.lost_appends);  // daemon::Node refuses a gap
          break;
        }
        CHECK(HistoryEpochAt(n.disk.history, rec.lsn) == rec.epoch);
        w.log.push_back(rec);
      }
      if (w.auto_flush) {
        w.durable = w.last_lsn();
        n.local.push_back(w.Progress());
      } else if (resent) {
        n.local.push_back(w.Progress());  // daemon::Node::OnAppend
      }
    } else if (const auto* t = std::get_if<wire::LinkTruncate>(&msg)) {
      REQUIRE(t->after_lsn <= w.last_lsn());
      if (t->after_lsn == w.last_lsn()) {
        ++w.barriers;
        return;
      }
      w.truncates.push_back(t->after_lsn);
      w.log.resize(t->after_lsn);
      w.durable = std::min(w.durable, t->after_lsn);
    } else if (const auto* ak = std::get_if<wire::LinkAcked>(&msg)) {
      w.acked.push_back(*ak);
    }
  }
};

// Direct use of one Member: feed an event, look at what came out.
struct Solo {
  Member member;
  uint64_t now = 1000;
  uint64_t session = 0;    // of the last HELLO the member sent
  uint64_t start_seq = 0;  // of the last START Answer made
  explicit Solo(Config c) : member(std::move(c)) {}

  std::vector<Action> Feed(const Event& e) {
    std::vector<Action> out;
    Status s = member.Handle(e, now, &out);
    INFO(s.message());
    REQUIRE(s.ok());
    for (const auto& a : out) {
      const auto* send = std::get_if<Send>(&a);
      const auto* h = send ? std::get_if<wire::ReplHello>(&send->msg) : nullptr;
      if (h) session = h->session;
    }
    return out;
  }
  // `s` as the primary's answer to the member's last HELLO.
  wire::ReplStart Answer(wire::ReplStart s) {
    s.session = session;
    s.start_seq = ++start_seq;
    return s;
  }
  std::vector<Action> Deliver(const std::string& from, Msg m) {
    return Feed(MessageReceived{from, std::move(m)});
  }
};

template <class A>
std::vector<A> All(const std::vector<Action>& out) {
  std::vector<A> r;
  for (const auto& a : out) {
    if (const auto* x = std::get_if<A>(&a)) r.push_back(*x);
  }
  return r;
}

template <class M>
std::vector<M> SentMsgs(const std::vector<Action>& out) {
  std::vector<M> r;
  for (const auto& a : out) {
    if (const auto* s = std::get_if<Send>(&a)) {
      if (const auto* m = std::get_if<M>(&s->msg)) r.push_back(*m);
    }
  }
  return r;
}

template <class M>
std::vector<M> ToWriterMsgs(const std::vector<Action>& out) {
  std::vector<M> r;
  for (const auto& a : out) {
    if (const auto* w = std::get_if<ToWriter>(&a)) {
      if (const auto* m = std::get_if<M>(&w->msg)) r.push_back(*m);
    }
  }
  return r;
}

// The index of the first action satisfying pred, or -1.
template <class Pred>
int IndexOf(const std::vector<Action>& out, Pred pred) {
  for (size_t i = 0; i < out.size(); ++i) {
    if (pred(out[i])) return static_cast<int>(i);
  }
  return -1;
}

inline bool IsPersist(const Action& a) { return std::holds_alternative<Persist>(a); }
inline bool IsRole(const Action& a, wire::LinkRoleKind kind) {
  const auto* w = std::get_if<ToWriter>(&a);
  if (!w) return false;
  const auto* r = std::get_if<wire::LinkRole>(&w->msg);
  return r && r->role == static_cast<uint8_t>(kind);
}

inline std::string Payloads(const FakeWriter& w) {
  std::string s;
  for (const auto& r : w.log) s += std::to_string(r.epoch) + ":" + r.payload + " ";
  return s;
}

}  // namespace repltest
