// Helpers for scripted event sequences against the txn cores: feed one
// event, then look at what came out.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "shardkit/txn/core.h"
#include "shardkit/txn/records.h"

namespace txntest {

using namespace shardkit;
using namespace shardkit::txn;

struct Out {
  std::vector<Action> actions;

  template <class M>
  std::vector<std::pair<Peer, M>> Sent() const {
    std::vector<std::pair<Peer, M>> r;
    for (const Action& a : actions) {
      if (const auto* s = std::get_if<Send>(&a)) {
        if (const auto* m = std::get_if<M>(&s->msg)) r.emplace_back(s->to, *m);
      }
    }
    return r;
  }
  template <class M>
  M One(const Peer& to) const {
    auto all = Sent<M>();
    REQUIRE(all.size() == 1);
    CHECK(all[0].first == to);
    return all[0].second;
  }
  size_t Sends() const { return Count<Send>(); }
  std::vector<AppendLog> Appends() const { return All<AppendLog>(); }
  std::vector<SetTimer> Timers() const { return All<SetTimer>(); }
  std::vector<Resolved> Resolutions() const { return All<Resolved>(); }

  template <class A>
  std::vector<A> All() const {
    std::vector<A> r;
    for (const Action& a : actions) {
      if (const auto* x = std::get_if<A>(&a)) r.push_back(*x);
    }
    return r;
  }
  template <class A>
  size_t Count() const {
    return All<A>().size();
  }
};

template <class Core>
Out Feed(Core& core, Event e) {
  Out out;
  Status s = core.Handle(e, &out.actions);
  INFO(s.message());
  REQUIRE(s.ok());
  return out;
}

template <class Core, class M>
Out Deliver(Core& core, const Peer& from, M msg, uint64_t rid = 0) {
  return Feed(core, MessageReceived{from, rid, Message(std::move(msg))});
}

inline wire::Op Put(std::string k, std::string v) { return {wire::OpKind::kPut, k, v}; }
inline wire::Op Del(std::string k) { return {wire::OpKind::kDel, k, ""}; }
inline wire::Op Get(std::string k) { return {wire::OpKind::kGet, k, ""}; }
inline wire::Op CheckEq(std::string k, std::string v) { return {wire::OpKind::kCheckEq, k, v}; }
inline wire::Op CheckAbsent(std::string k) { return {wire::OpKind::kCheckAbsent, k, ""}; }

// A simulated log: keeps what the core appended, to replay it on restart.
struct Log {
  std::vector<LogEntry> entries;
  Lsn next = 1;

  void Take(const Out& out) {
    for (const AppendLog& a : out.Appends()) {
      REQUIRE(a.lsn == next);
      entries.push_back(LogEntry{a.lsn, a.type, a.payload});
      ++next;
    }
  }
  Recovered Recover() const { return Recovered{entries, next, {}, 0}; }
};

}  // namespace txntest
