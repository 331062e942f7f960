// Coordinator: retries, questions from participants, heuristic reports, and
// recovery. The safety argument for every answer is in coordinator.cpp's
// state block.
#include <algorithm>

#include "shardkit/txn/coordinator.h"
#include "shardkit/txn/ops.h"
#include "shardkit/txn/records.h"

namespace shardkit::txn {

Status ValidateCoordinatorOptions(const CoordinatorOptions& o) {
  if (o.tag.empty() || o.tag.size() > 32) {
    return Status::Config("coordinator tag must be 1..32 bytes, got " +
                          std::to_string(o.tag.size()));
  }
  for (char c : o.tag) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '_' || c == '-';
    if (!ok)
      return Status::Config("coordinator tag '" + o.tag +
                            "' has a character outside [0-9A-Za-z_-]");
  }
  if (o.vote_timeout_ms == 0 || o.prepare_resend_ms == 0 || o.resend_initial_ms == 0 ||
      o.resend_max_ms < o.resend_initial_ms) {
    return Status::Config("coordinator timeouts must be positive, resend_max >= resend_initial");
  }
  return Status::Ok();
}

void Coordinator::Arm(const std::string& txid, Txn& t, uint32_t delay_ms,
                      std::vector<Action>* out) {
  t.timer = next_timer_++;
  out->push_back(SetTimer{t.timer, delay_ms});
  timers_[t.timer] = txid;
  if (t.state != CoordState::kVoting) t.backoff_ms = delay_ms;
}

void Coordinator::OnTimer(TimerId id, std::vector<Action>* out) {
  auto tm = timers_.find(id);
  if (tm == timers_.end()) return;
  const std::string txid = std::move(tm->second);
  timers_.erase(tm);
  auto it = live_.find(txid);
  if (it == live_.end() || it->second.timer != id) return;
  Txn& t = it->second;
  t.timer = 0;
  const uint32_t next =
      static_cast<uint32_t>(std::min<uint64_t>(uint64_t{t.backoff_ms} * 2, options_.resend_max_ms));
  switch (t.state) {
    case CoordState::kVoting: {
      t.elapsed_ms += options_.prepare_resend_ms;
      std::vector<std::string> silent, participants;
      for (const auto& [p, b] : t.branches) {
        participants.push_back(p);
        if (b.vote == VoteState::kNone) silent.push_back(p);
      }
      if (t.elapsed_ms >= options_.vote_timeout_ms) {
        std::string who;
        for (const auto& p : silent) {
          if (!who.empty()) who += ", ";
          who += p;
        }
        return Abort(txid, "vote timeout: no answer from " + who, "", out);
      }
      for (const auto& p : silent) {
        out->push_back(
            Send{p, 0, wire::Prepare{txid, options_.endpoints, participants, t.branches[p].ops}});
      }
      return Arm(txid, t, options_.prepare_resend_ms, out);
    }
    case CoordState::kCommitted:
      for (const auto& [p, b] : t.branches) {
        if (b.vote == VoteState::kYes && !b.acked) out->push_back(Send{p, 0, wire::Commit{txid}});
      }
      return Arm(txid, t, next, out);
    case CoordState::kOnePhase: {
      const auto& [p, b] = *t.branches.begin();
      out->push_back(Send{p, 0, wire::CommitOnePhase{txid, b.ops}});
      return Arm(txid, t, next, out);
    }
    case CoordState::kDeciding:
      return;  // waits for the log, not for a timer
  }
}

void Coordinator::OnInquire(const Peer& from, uint64_t rid, const std::string& txid,
                            std::vector<Action>* out) {
  ++stats_.inquiries;
  wire::TxOutcome answer = wire::TxOutcome::kAborted;
  if (auto it = live_.find(txid); it != live_.end()) {
    switch (it->second.state) {
      case CoordState::kVoting:
        Abort(txid, "aborted: a participant asked for the outcome before every vote was in", "",
              out);
        break;
      case CoordState::kDeciding:
        return;  // COMMIT follows once the decision is durable
      case CoordState::kCommitted:
        answer = wire::TxOutcome::kCommitted;
        break;
      case CoordState::kOnePhase:
        answer = wire::TxOutcome::kUnknown;
        break;
    }
  }
  out->push_back(Send{from, rid, wire::Outcome{txid, answer}});
}

void Coordinator::OnHeuristicReport(const Peer& from, uint64_t rid, const wire::HeuristicReport& m,
                                    std::vector<Action>* out) {
  wire::TxOutcome decided = wire::TxOutcome::kAborted;
  if (auto it = live_.find(m.txid); it != live_.end()) {
    switch (it->second.state) {
      case CoordState::kVoting:
        Abort(m.txid, "aborted: participant " + m.participant + " resolved it heuristically", "",
              out);
        break;
      case CoordState::kDeciding:
      case CoordState::kOnePhase:
        return;  // not decided yet: the participant reports again
      case CoordState::kCommitted:
        decided = wire::TxOutcome::kCommitted;
        break;
    }
  } else if (auto d = decided_.find(m.txid); d != decided_.end()) {
    decided = d->second;
  }
  const bool known = std::any_of(heuristics_.begin(), heuristics_.end(), [&](const auto& h) {
    return h.txid == m.txid && h.participant == m.participant;
  });
  if (!known) {
    HeuristicReportInfo info{m.txid, m.participant, decided, m.outcome, m.outcome != decided};
    if (info.mismatch) {
      // The ACK stops the participant from reporting, so the mismatch must
      // survive a crash first: forced, and ACKed once durable.
      ++stats_.heuristic_mismatches;
      const Lsn lsn =
          Append(RecordType::kHeuristicMismatch,
                 EncodeRecord(HeuristicMismatchRecord{m.txid, m.participant, decided, m.outcome}),
                 /*force=*/true, out);
      heuristics_.push_back(std::move(info));
      ack_waits_.emplace(lsn, Send{from, rid, wire::Ack{m.txid}});
      return;
    }
    heuristics_.push_back(std::move(info));
  } else if (std::any_of(ack_waits_.begin(), ack_waits_.end(), [&](const auto& w) {
               return std::get<wire::Ack>(w.second.msg).txid == m.txid;
             })) {
    return;  // its mismatch record is on its way to disk; the ACK follows
  }
  out->push_back(Send{from, rid, wire::Ack{m.txid}});
}

Status Coordinator::OnRecovered(const Recovered& r, std::vector<Action>* out) {
  SK_RETURN_IF_ERROR(Restore(r));
  return Activate(out);
}

Status Coordinator::Restore(const Recovered& r) {
  SK_RETURN_IF_ERROR(ValidateCoordinatorOptions(options_));
  if (recovered_) return Status::Internal("coordinator: Recovered delivered twice");
  if (r.snapshot_lsn >= r.next_lsn) {
    return Status::IoError("snapshot lsn " + std::to_string(r.snapshot_lsn) +
                           " is not below the next lsn " + std::to_string(r.next_lsn));
  }
  if (!r.snapshot.empty()) {
    SK_RETURN_IF_ERROR(LoadSnapshot(r.snapshot, r.snapshot_lsn));
  } else if (r.snapshot_lsn != 0) {
    return Status::IoError("snapshot lsn " + std::to_string(r.snapshot_lsn) +
                           " given without a snapshot");
  }
  Lsn last = r.snapshot_lsn;
  for (const LogEntry& e : r.records) {
    if (e.lsn <= last || e.lsn >= r.next_lsn) {
      return Status::IoError("log record lsn " + std::to_string(e.lsn) + ": out of order");
    }
    last = e.lsn;
    SK_RETURN_IF_ERROR(Replay(e).Prefixed("log record lsn " + std::to_string(e.lsn)));
  }
  next_lsn_ = r.next_lsn;
  durable_lsn_ = r.next_lsn - 1;
  recovered_ = true;
  return Status::Ok();
}

// One record of the log, as recovery (and a standby) replays it.
Status Coordinator::Replay(const LogEntry& e) {
  auto& open = replayed_open_;  // decided, not ENDed
  const auto type = static_cast<RecordType>(e.type);
  Status s;
  if (type == RecordType::kCommitDecision) {
    CommitDecisionRecord rec;
    s = DecodeRecord(type, e.payload, &rec);
    if (s.ok()) s = ValidateTxid(rec.txid);
    if (s.ok()) {
      Remember(
          rec.client_txid, rec.txid,
          Remembered{wire::SubmitResult{rec.client_txid, wire::TxOutcome::kCommitted, "", "", {}},
                     true});
      open[rec.txid] = std::move(rec);
    }
  } else if (type == RecordType::kEnd) {
    TxidRecord rec;
    s = DecodeRecord(type, e.payload, &rec);
    if (s.ok()) open.erase(rec.txid);
  } else if (type == RecordType::kHeuristicMismatch) {
    HeuristicMismatchRecord rec;
    s = DecodeRecord(type, e.payload, &rec);
    if (s.ok()) {
      heuristics_.push_back(
          HeuristicReportInfo{rec.txid, rec.participant, rec.decided, rec.heuristic, true});
    }
  } else {
    s = Status::IoError("record type " + std::to_string(e.type) +
                        " does not belong in a coordinator log");
  }
  if (!s.ok()) return Status::IoError(s.message());
  return Status::Ok();
}

Status Coordinator::Activate(std::vector<Action>* out) {
  // Re-drive every decision without an END.
  for (const auto& [txid, rec] : replayed_open_) {
    Txn t;
    t.client_txid = rec.client_txid;
    t.state = CoordState::kCommitted;
    for (const std::string& p : rec.participants) t.branches[p].vote = VoteState::kReadOnly;
    for (const std::string& p : rec.yes_voters) {
      t.branches[p].vote = VoteState::kYes;
      out->push_back(Send{p, 0, wire::Commit{txid}});
    }
    Arm(txid, t, options_.resend_initial_ms, out);
    live_by_client_[t.client_txid] = txid;
    live_.emplace(txid, std::move(t));
  }
  pristine_ = true;
  return Status::Ok();
}

void Coordinator::Remember(const std::string& client_txid, const std::string& txid, Remembered r) {
  decided_[txid] = r.result.outcome;
  auto [it, inserted] = memory_.insert_or_assign(client_txid, std::move(r));
  if (!inserted) return;
  memory_order_.emplace_back(client_txid, txid);
  while (memory_order_.size() > options_.outcome_memory) {
    memory_.erase(memory_order_.front().first);
    decided_.erase(memory_order_.front().second);
    memory_order_.pop_front();
  }
}

Lsn Coordinator::Append(RecordType type, std::string payload, bool force,
                        std::vector<Action>* out) {
  const Lsn lsn = next_lsn_++;
  out->push_back(AppendLog{lsn, static_cast<uint8_t>(type), std::move(payload), force});
  return lsn;
}

std::vector<CoordTxnInfo> Coordinator::InFlight() const {
  std::vector<CoordTxnInfo> rows;
  for (const auto& [txid, t] : live_) {
    CoordTxnInfo info{txid, t.client_txid, t.state, {}, {}};
    for (const auto& [p, b] : t.branches) {
      info.participants.push_back(p);
      const bool waiting = t.state == CoordState::kCommitted
                               ? (b.vote == VoteState::kYes && !b.acked)
                               : b.vote == VoteState::kNone;
      if (waiting) info.waiting_for.push_back(p);
    }
    rows.push_back(std::move(info));
  }
  return rows;
}

const wire::SubmitResult* Coordinator::OutcomeOf(const std::string& client_txid) const {
  auto it = memory_.find(client_txid);
  return it == memory_.end() ? nullptr : &it->second.result;
}

}  // namespace shardkit::txn
