// The replication simulator's trace (--verbose): one line per event.
#include <cstdio>

#include "repl_world.h"

namespace replsim {

// ---- tracing ---------------------------------------------------------------------

void World::Trace(const std::string& line) const {
  if (options_.verbose)
    std::printf("%8llu %s\n", static_cast<unsigned long long>(now_), line.c_str());
}

std::string World::Describe(const Ev& ev) const {
  const std::string host = ev.host < static_cast<int>(hosts_.size()) ? hosts_[ev.host].name : "?";
  switch (ev.kind) {
    case Kind::kDeliver: {
      const char* names[] = {"HELLO",        "START", "RECORDS", "ACK",
                             "VOTE_REQUEST", "VOTE",  "TAKEOVER"};
      const auto& m = std::get<ReplMsg>(ev.payload);
      std::string s = host + " <- " + hosts_[ev.from].name + " " + names[m.index()];
      std::visit([&](const auto& x) { s += " e" + std::to_string(x.epoch); }, m);
      if (const auto* r = std::get_if<wire::ReplRecords>(&m)) {
        s += " prev " + std::to_string(r->prev_lsn) + " +" + std::to_string(r->records.size());
      } else if (const auto* a = std::get_if<wire::ReplAck>(&m)) {
        s += " " + std::to_string(a->received) + "/" + std::to_string(a->flushed) + "/" +
             std::to_string(a->applied);
      } else if (const auto* v = std::get_if<wire::ReplVote>(&m)) {
        s += v->granted ? " granted" : " refused: " + v->reason;
      } else if (const auto* h = std::get_if<wire::ReplHello>(&m)) {
        s +=
            " log end (" + std::to_string(h->last_epoch) + ", " + std::to_string(h->last_lsn) + ")";
      } else if (const auto* st = std::get_if<wire::ReplStart>(&m)) {
        s += st->resync ? " resync" : " next " + std::to_string(st->next_lsn);
        if (st->truncate) s += " truncate after " + std::to_string(st->truncate_after);
      }
      return s;
    }
    case Kind::kTimer:
      return host + " timer " + std::to_string(ev.id);
    case Kind::kToWriter:
      return host + " writer <- link";
    case Kind::kToMember:
      return host + " member <- progress durable " +
             std::to_string(std::get<wire::LinkProgress>(ev.payload).durable_lsn);
    case Kind::kFsync:
      return host + " fsync up to " + std::to_string(ev.id);
    case Kind::kApply:
      return host + " applies up to " + std::to_string(ev.id);
    case Kind::kResyncSent:
      return host + " finished sending a resync snapshot";
    case Kind::kSnapshot:
      return host + " receives a resync snapshot at lsn " +
             std::to_string(std::get<Snapshot>(ev.payload).lsn);
    case Kind::kCrash:
      return "crash " + host;
    case Kind::kRestart:
      return "restart " + host;
    case Kind::kMemberCrash:
      return "replicad crash " + host;
    case Kind::kMemberRestart:
      return "replicad restart " + host;
    case Kind::kPartition:
      return std::string("partition ") + (ev.from >= 4 ? "the primary" : host.c_str()) +
             (ev.from % 4 == 2   ? " from everyone"
              : ev.from % 4 == 1 ? " -> " + hosts_[ev.id].name
                                 : " <-> " + hosts_[ev.id].name) +
             " for " + std::to_string(ev.inc) + " ms";
    case Kind::kCompact:
      return host + " takes a snapshot";
    case Kind::kOperator:
      return "operator at " + host;
    case Kind::kAckTimeout:
      return host + " ack timeout of lsn " + std::to_string(ev.id);
    case Kind::kClientWake:
      return clients_[ev.host].name + " wakes";
    case Kind::kClientRequest:
      return host + " <- " + clients_[ev.from].name + " write " +
             std::get<ClientMsg>(ev.payload).value;
    case Kind::kClientReply: {
      const ClientMsg& m = std::get<ClientMsg>(ev.payload);
      const char* kinds[] = {"write", "ok", "not primary", "not replicated"};
      return clients_[ev.host].name + " <- " + kinds[m.kind] +
             (m.kind == ClientMsg::kOk
                  ? " (" + std::to_string(m.epoch) + ", " + std::to_string(m.lsn) + ")"
                  : "");
    }
    case Kind::kClientTimeout:
      return clients_[ev.host].name + " timeout of request " + std::to_string(ev.id);
    case Kind::kFaultsEnd:
      return "faults stop: heal, restart everything";
    case Kind::kQuiet:
      return "converged?";
  }
  return "?";
}

}  // namespace replsim
