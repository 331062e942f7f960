#include "checker.h"

#include <algorithm>

#include "shardkit/txn/ops.h"
#include "shardkit/txn/records.h"

namespace sim {

using namespace shardkit;
using namespace shardkit::txn;

std::string ClientOf(const std::string& txid) {
  const size_t at = txid.rfind('@');
  return at == std::string::npos ? txid : txid.substr(0, at);
}

int Checker::NodeOf(const std::string& name) const {
  for (size_t i = 0; i < nodes_->size(); ++i) {
    if ((*nodes_)[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

void Checker::Fail(std::string invariant, std::string detail, uint64_t now) {
  if (!violation_) violation_ = Violation{std::move(invariant), std::move(detail), now};
}

void Checker::Seed(int node, Lsn lsn, const std::string& key, const std::string& value) {
  model_[node].Put(key, value);
  applied_direct_.insert({node, lsn});
}

void Checker::OnHeuristic(const std::string& txid, int node, bool commit) {
  heuristic_[txid][node] = commit;
  accounts_.clear();  // a heuristic may legitimately break the bank's total
}

void Checker::SetBank(std::vector<std::pair<std::string, int>> accounts, int64_t total) {
  accounts_ = std::move(accounts);
  total_ = total;
}

void Checker::OnSend(int node, const Send& s, uint64_t now) {
  const Node& n = (*nodes_)[node];
  const auto order = [&](bool ok, const std::string& what) {
    if (order_check_ && !ok)
      Fail("order", n.name + " sent " + what + " before its record was durable", now);
  };
  if (n.coordinator) {
    if (const auto* p = std::get_if<wire::Prepare>(&s.msg)) {
      ops_[p->txid][NodeOf(s.to)] = p->ops;
    } else if (const auto* c = std::get_if<wire::CommitOnePhase>(&s.msg)) {
      ops_[c->txid][NodeOf(s.to)] = c->ops;
    } else if (const auto* c = std::get_if<wire::Commit>(&s.msg)) {
      order(n.Durable("D:" + c->txid, false), "COMMIT " + c->txid);
      revealed_commit_.insert(c->txid);
    } else if (const auto* a = std::get_if<wire::Abort>(&s.msg)) {
      revealed_abort_.insert(a->txid);
    } else if (const auto* o = std::get_if<wire::Outcome>(&s.msg)) {
      if (o->outcome == wire::TxOutcome::kCommitted) {
        order(n.Durable("D:" + o->txid, false), "OUTCOME(COMMITTED) for " + o->txid);
        revealed_commit_.insert(o->txid);
      } else if (o->outcome == wire::TxOutcome::kAborted) {
        revealed_abort_.insert(o->txid);
      }
    } else if (const auto* r = std::get_if<wire::SubmitResult>(&s.msg)) {
      if (r->outcome == wire::TxOutcome::kCommitted) {
        order(n.Durable("DC:" + r->txid, true), "committed to the client for " + r->txid);
      }
    }
    return;
  }
  if (const auto* v = std::get_if<wire::Vote>(&s.msg)) {
    if (v->vote != wire::VoteKind::kYes) return;
    order(n.Durable("P:" + v->txid, false), "YES for " + v->txid);
    reads_[v->txid][node] = v->reads;
    PState& st = state_[v->txid][node];
    if (st == PState::kCommitted)
      Fail("atomicity", n.name + " voted YES again after committing " + v->txid, now);
    st = PState::kVotedYes;
  } else if (const auto* a = std::get_if<wire::Ack>(&s.msg)) {
    order(n.Durable("C:" + a->txid, true), "ACK for " + a->txid);
  } else if (const auto* r = std::get_if<wire::OnePhaseResult>(&s.msg)) {
    if (r->outcome == wire::TxOutcome::kCommitted) {
      order(n.Durable("1:" + r->txid, true), "one-phase commit of " + r->txid);
      if (!r->reads.empty()) reads_[r->txid][node] = r->reads;
    } else if (r->reason.rfind("bad request", 0) != 0) {
      // It decided alone: the client will hear this abort.
      order(n.Durable("A:" + r->txid, false), "a one-phase abort of " + r->txid);
    }
  } else if (const auto* o = std::get_if<wire::Outcome>(&s.msg)) {
    if (o->outcome == wire::TxOutcome::kCommitted) {
      order(revealed_commit_.count(o->txid) != 0, "OUTCOME(COMMITTED) to a peer for " + o->txid +
                                                      " the coordinator never revealed, and it");
    } else if (o->outcome == wire::TxOutcome::kAborted) {
      // Its own durable ABORTED makes an abort binding only if the
      // coordinator needs its YES: it had writes in the transaction.
      bool writes = false;
      if (auto ops = ops_.find(o->txid); ops != ops_.end() && ops->second.count(node) != 0) {
        for (const wire::Op& op : ops->second.at(node)) writes |= IsWrite(op.kind);
      }
      order(revealed_abort_.count(o->txid) != 0 || (writes && n.Durable("A:" + o->txid, false)),
            "OUTCOME(ABORTED) to a peer for " + o->txid + " (a unilateral abort)");
      // Binding now: a participant whose ABORTED is durable never votes YES,
      // so whoever learns this may pass it on.
      revealed_abort_.insert(o->txid);
    }
  } else if (const auto* p = std::get_if<wire::PutReply>(&s.msg)) {
    order(p->lsn <= n.DurableLsn(), "a put reply at lsn " + std::to_string(p->lsn));
  } else if (const auto* d = std::get_if<wire::DelReply>(&s.msg)) {
    order(d->lsn <= n.DurableLsn(), "a del reply at lsn " + std::to_string(d->lsn));
  }
}

void Checker::OnResolved(int node, const Resolved& r, uint64_t now) {
  const Node& n = (*nodes_)[node];
  if (n.coordinator) return;
  if (r.txid.rfind("direct:", 0) == 0) {
    // Apply the direct write's own record to the model.
    const Lsn lsn = std::stoull(r.txid.substr(7));
    const LogEntry* found = nullptr;
    n.AnyRecord([&](const LogEntry& e) {
      if (e.lsn == lsn) found = &e;
      return found != nullptr;
    });
    if (found == nullptr) {
      return Fail("replay", n.name + " applied a direct write with no record", now);
    }
    DirectWriteRecord rec;
    if (!DecodeRecord(RecordType::kDirectWrite, found->payload, &rec).ok()) {
      return Fail("replay",
                  n.name + " direct write at lsn " + std::to_string(lsn) + " is unreadable", now);
    }
    if (!applied_direct_.insert({node, lsn}).second) {
      return Fail("replay",
                  n.name + " applied the direct write at lsn " + std::to_string(lsn) + " twice",
                  now);
    }
    model_[node].ApplyWrites(ToKvOps(rec.ops));
    return;
  }
  auto& states = state_[r.txid];
  PState& st = states[node];
  const bool heuristic = heuristic_.count(r.txid) != 0;
  const auto other = [&](PState want) {
    if (heuristic) return std::string();  // forced outcomes may disagree
    for (const auto& [p, s] : states) {
      if (p != node && s == want) return (*nodes_)[p].name;
    }
    return std::string();
  };
  if (r.outcome == wire::TxOutcome::kCommitted) {
    if (st == PState::kCommitted)
      return Fail("atomicity", n.name + " committed " + r.txid + " twice", now);
    if (std::string p = other(PState::kAbortedAfterYes); !p.empty()) {
      return Fail("atomicity", r.txid + " committed at " + n.name + " but aborted at " + p, now);
    }
    st = PState::kCommitted;
    auto ops = ops_.find(r.txid);
    if (ops == ops_.end() || ops->second.count(node) == 0) {
      return Fail("replay", n.name + " committed " + r.txid + " that was never sent to it", now);
    }
    kv::Store& model = model_[node];
    std::string failed;
    if (!model.Check(ToKvOps(ops->second[node]), &failed).ok()) {
      return Fail(
          "isolation",
          r.txid + " commits at " + n.name + " but its check on " + failed + " no longer holds",
          now);
    }
    auto reads = reads_.find(r.txid);
    if (reads != reads_.end() && reads->second.count(node) != 0) {
      for (const wire::ReadResult& rd : reads->second[node]) {
        const std::string* v = model.Find(rd.key);
        if ((v != nullptr) != rd.found || (v != nullptr && *v != rd.value)) {
          return Fail("isolation",
                      r.txid + " commits at " + n.name + " but read " + rd.key + " as '" +
                          rd.value + "', which is no longer its value",
                      now);
        }
      }
    }
    model.ApplyWrites(ToKvOps(ops->second[node]));
  } else {
    if (st == PState::kCommitted)
      return Fail("atomicity", n.name + " aborted " + r.txid + " after committing it", now);
    if (st == PState::kVotedYes) {
      if (std::string p = other(PState::kCommitted); !p.empty()) {
        return Fail("atomicity",
                    r.txid + " aborted at " + n.name + " after YES but committed at " + p, now);
      }
      st = PState::kAbortedAfterYes;
    } else if (st != PState::kAbortedAfterYes) {
      st = PState::kAborted;
    }
  }
}

void Checker::OnDirectAck(int node, Lsn lsn, const wire::Op& op) {
  direct_acks_.emplace_back(node, lsn, op);
}

void Checker::OnClientAnswer(const std::string& client_txid, wire::TxOutcome outcome,
                             bool had_writes, uint64_t now) {
  auto [it, inserted] = answered_.try_emplace(client_txid, outcome, had_writes);
  if (!inserted && it->second.first != outcome) {
    Fail("durability", "client txid " + client_txid + " answered both ways", now);
  }
}

void Checker::CheckStore(int node, uint64_t now) {
  const Node& n = (*nodes_)[node];
  if (n.part == nullptr || !n.up) return;
  if (!(n.part->store() == model_[node])) {
    std::string diff;
    const auto& have = n.part->store().entries();
    const auto& want = model_[node].entries();
    for (const auto& [k, v] : want) {
      auto h = have.find(k);
      if (h == have.end() || h->second != v) {
        diff = "key " + k + " is " + (h == have.end() ? "absent" : "'" + h->second + "'") +
               ", history says '" + v + "'";
        break;
      }
    }
    if (diff.empty()) {
      for (const auto& [k, v] : have) {
        if (want.find(k) == want.end()) {
          diff = "key " + k + " is '" + v + "', history says absent";
          break;
        }
      }
    }
    Fail("replay", n.name + " store differs from its committed history: " + diff, now);
  }
}

void Checker::OnRestart(int node, uint64_t now) {
  // A commit record that survived the crash without its durability having
  // been reported (so without a Resolved) is finished by recovery: count it
  // as committed now, in log order, which is also the order of application.
  // The whole history counts, also what a snapshot replaced (it was all
  // durable, so already counted when the snapshot was taken).
  const Node& n = (*nodes_)[node];
  if (n.part == nullptr) return;
  n.AnyRecord([&](const LogEntry& e) {
    const auto type = static_cast<RecordType>(e.type);
    std::string txid;
    if (type == RecordType::kCommitted || type == RecordType::kHeuristicCommitted) {
      TxidRecord r;
      if (DecodeRecord(type, e.payload, &r).ok()) txid = r.txid;
    } else if (type == RecordType::kOnePhaseCommitted) {
      OnePhaseRecord r;
      if (DecodeRecord(type, e.payload, &r).ok()) txid = r.txid;
    } else if (type == RecordType::kDirectWrite) {
      txid = "direct:" + std::to_string(e.lsn);
    } else {
      return false;
    }
    const bool known = type == RecordType::kDirectWrite ? applied_direct_.count({node, e.lsn}) != 0
                                                        : state_[txid][node] == PState::kCommitted;
    if (!known) OnResolved(node, Resolved{txid, wire::TxOutcome::kCommitted}, now);
    return false;
  });
  CheckStore(node, now);
}

void Checker::AfterStep(uint64_t now) {
  if (accounts_.empty()) return;
  for (const auto& [key, owner] : accounts_) {
    const Node& n = (*nodes_)[owner];
    // Not a consistent cut: a node down, a lock held, or a passive core
    // (replicated runs), which takes the locks of its prepared
    // transactions only once promoted.
    if (!n.up || n.promoting || n.part->locks().HolderOf(key) != nullptr) return;
  }
  int64_t sum = 0;
  for (const auto& [key, owner] : accounts_) {
    const std::string* v = (*nodes_)[owner].part->store().Find(key);
    const int64_t balance = v == nullptr ? -1 : std::stoll(*v);
    if (balance < 0)
      return Fail("isolation", "account " + key + " is " + (v ? *v : "missing"), now);
    sum += balance;
  }
  if (sum != total_) {
    Fail("isolation",
         "bank total is " + std::to_string(sum) + ", expected " + std::to_string(total_), now);
  }
}

void Checker::AtRest(uint64_t now) {
  // Atomicity at rest, and which attempts of each client txid committed.
  std::unordered_map<std::string, std::vector<std::string>> committed_attempts;
  for (const auto& [txid, per_node] : ops_) {
    if (heuristic_.count(txid) != 0) continue;
    auto st = state_.find(txid);
    std::string committed_at, missing_at;
    for (const auto& [node, ops] : per_node) {
      const bool writes =
          std::any_of(ops.begin(), ops.end(), [](const wire::Op& o) { return IsWrite(o.kind); });
      const bool committed = st != state_.end() && st->second.count(node) != 0 &&
                             st->second.at(node) == PState::kCommitted;
      if (committed) committed_at += (*nodes_)[node].name + " ";
      if (writes && !committed) missing_at += (*nodes_)[node].name + " ";
    }
    if (committed_at.empty()) continue;
    if (!missing_at.empty()) {
      return Fail("atomicity",
                  txid + " committed at " + committed_at + "but never at " + missing_at, now);
    }
    committed_attempts[ClientOf(txid)].push_back(txid);
  }
  for (const auto& [client, attempts] : committed_attempts) {
    if (attempts.size() > 1) {
      return Fail("durability",
                  "client txid " + client + " committed " + std::to_string(attempts.size()) +
                      " times (" + attempts[0] + ", " + attempts[1] + ")",
                  now);
    }
  }
  std::set<std::string> forced_clients;
  for (const auto& [txid, per_node] : heuristic_) forced_clients.insert(ClientOf(txid));
  for (const auto& [client, answer] : answered_) {
    if (forced_clients.count(client) != 0) continue;
    const auto [outcome, had_writes] = answer;
    const bool committed = committed_attempts.count(client) != 0;
    if (outcome == wire::TxOutcome::kCommitted && had_writes && !committed) {
      return Fail("durability",
                  "client was told " + client + " committed, but it is applied nowhere", now);
    }
    if (outcome == wire::TxOutcome::kAborted && committed) {
      return Fail("durability",
                  "client was told " + client + " aborted, but " + committed_attempts[client][0] +
                      " committed",
                  now);
    }
  }
  for (const auto& [node, lsn, op] : direct_acks_) {
    const Node& n = (*nodes_)[node];
    DirectWriteRecord rec;
    const bool kept = n.AnyRecord([&](const LogEntry& e) {
      return e.lsn == lsn && e.type == static_cast<uint8_t>(RecordType::kDirectWrite) &&
             DecodeRecord(RecordType::kDirectWrite, e.payload, &rec).ok() && rec.ops.size() == 1 &&
             rec.ops[0] == op;
    });
    if (!kept) {
      return Fail("durability",
                  "the acknowledged direct write of " + op.key + " at " + n.name + " lsn " +
                      std::to_string(lsn) + " is lost",
                  now);
    }
  }
  for (size_t i = 0; i < nodes_->size(); ++i) CheckStore(static_cast<int>(i), now);

  // Heuristic mismatches are flagged, and only those.
  std::set<std::string> decided_commit;
  const Node& coord = (*nodes_)[0];
  coord.AnyRecord([&](const LogEntry& e) {
    CommitDecisionRecord rec;
    if (e.type == static_cast<uint8_t>(RecordType::kCommitDecision) &&
        DecodeRecord(RecordType::kCommitDecision, e.payload, &rec).ok()) {
      decided_commit.insert(rec.txid);
    }
    return false;
  });
  for (const auto& [txid, per_node] : heuristic_) {
    for (const auto& [node, commit] : per_node) {
      const std::string& name = (*nodes_)[node].name;
      // Only a resolve whose record reached the disk took effect (a crash
      // before it was durable leaves the transaction in doubt).
      const RecordType want =
          commit ? RecordType::kHeuristicCommitted : RecordType::kHeuristicAborted;
      const bool took_effect = (*nodes_)[node].AnyRecord([&](const LogEntry& e) {
        TxidRecord r;
        return e.type == static_cast<uint8_t>(want) && DecodeRecord(want, e.payload, &r).ok() &&
               r.txid == txid;
      });
      if (!took_effect) continue;
      const bool mismatch = commit != (decided_commit.count(txid) != 0);
      bool flagged = false;
      for (const HeuristicReportInfo& h : coord.coord->Heuristics()) {
        flagged |= h.txid == txid && h.participant == name && h.mismatch;
      }
      if (mismatch != flagged) {
        return Fail("heuristics",
                    std::string(commit ? "heuristic commit" : "heuristic abort") + " of " + txid +
                        " at " + name + (mismatch ? " contradicts" : " agrees with") +
                        " the decision but is " + (flagged ? "" : "not ") + "flagged as a mismatch",
                    now);
      }
    }
  }
}

}  // namespace sim
