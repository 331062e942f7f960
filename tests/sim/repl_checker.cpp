#include "repl_checker.h"

#include "shardkit/repl/epochs.h"

namespace replsim {

using namespace shardkit;
using namespace shardkit::repl;

namespace {

uint64_t Mix(uint64_t z) {  // splitmix64's finaliser
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t HistoryEpochAt(const History& h, uint64_t lsn) {
  uint64_t e = 0;
  if (lsn == 0) return 0;
  for (const auto& x : h) {
    if (x.start_lsn > lsn) break;
    e = x.epoch;
  }
  return e;
}

template <class M>
uint64_t EpochOf(const M& m) {
  return m.epoch;
}

}  // namespace

uint64_t Chain(uint64_t prev, uint64_t epoch, uint64_t lsn, const std::string& value) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : value) h = (h ^ c) * 0x100000001b3ull;
  return Mix(prev ^ Mix(epoch * 0x9e3779b97f4a7c15ull + lsn) ^ Mix(h));
}

Checker::Checker(std::vector<std::string> names, AckLevel ack, bool hosts_crash, bool contract)
    : names_(std::move(names)), ack_(ack), contract_(contract) {
  const uint64_t n = names_.size();
  const bool survives = ack.k + 1 + (n / 2 + 1) > n;
  switch (ack.kind) {
    case AckKind::kNone:
    case AckKind::kLocal:
      asserted_ = false;
      break;
    case AckKind::kReceived:
      asserted_ = survives && !hosts_crash;
      break;
    case AckKind::kFlushed:
    case AckKind::kApplied:
      asserted_ = survives;
      break;
  }
}

void Checker::Fail(std::string invariant, std::string detail, uint64_t now) {
  if (!violation_) violation_ = Violation{std::move(invariant), std::move(detail), now};
}

std::string Checker::Where(const Rec& r) const {
  return "(epoch " + std::to_string(r.epoch) + ", lsn " + std::to_string(r.lsn) + ") = '" +
         r.value + "'";
}

std::string Checker::Missing(const std::vector<Rec>& log, const Rec& a) {
  if (log.size() < a.lsn) return "its log ends at lsn " + std::to_string(log.size());
  const Rec& have = log[a.lsn - 1];
  if (have.epoch == a.epoch && have.value == a.value) return "";
  return "it holds (epoch " + std::to_string(have.epoch) + ") = '" + have.value + "' there";
}

// ---- the driver contract ------------------------------------------------------

void Checker::OnPersist(int h, const DurableState& disk, const DurableState& next, uint64_t now) {
  if (!contract_) return;
  const std::string& me = names_[h];
  if (next.current_epoch < disk.current_epoch) {
    return Fail("contract",
                me + " persisted epoch " + std::to_string(next.current_epoch) +
                    " below its persisted " + std::to_string(disk.current_epoch),
                now);
  }
  if (next.voted_epoch < disk.voted_epoch) {
    return Fail("contract",
                me + " persisted a vote in epoch " + std::to_string(next.voted_epoch) +
                    " below its persisted vote in " + std::to_string(disk.voted_epoch),
                now);
  }
  if (next.voted_epoch == disk.voted_epoch && next.voted_epoch != 0 &&
      next.voted_for != disk.voted_for) {
    return Fail("contract",
                me + " voted twice in epoch " + std::to_string(next.voted_epoch) + ": for " +
                    disk.voted_for + ", then for " + next.voted_for,
                now);
  }
  if (Status s = ValidateHistory(next.history); !s.ok()) {
    return Fail("contract", me + " persisted an invalid history: " + s.message(), now);
  }
  if (!next.history.empty() && next.history.back().epoch > next.current_epoch) {
    Fail("contract", me + " persisted a history reaching past its current epoch", now);
  }
}

void Checker::OnSend(int h, const std::string& to, const ReplMsg& msg, const DurableState& disk,
                     uint64_t now) {
  if (!contract_) return;
  const uint64_t e = std::visit([](const auto& m) { return EpochOf(m); }, msg);
  if (e > disk.current_epoch) {
    return Fail("contract",
                names_[h] + " sent a message of epoch " + std::to_string(e) + " with only epoch " +
                    std::to_string(disk.current_epoch) + " persisted",
                now);
  }
  if (const auto* v = std::get_if<wire::ReplVote>(&msg); v != nullptr && v->granted) {
    if (disk.voted_epoch != v->epoch || "tcp://" + disk.voted_for != to) {
      Fail("contract",
           names_[h] + " granted a vote in epoch " + std::to_string(v->epoch) + " to " + to +
               " but persisted a vote for " + disk.voted_for + " in epoch " +
               std::to_string(disk.voted_epoch),
           now);
    }
  }
}

void Checker::OnToWriter(int h, const WriterMsg& msg, const DurableState& disk, uint64_t now) {
  const std::string& me = names_[h];
  if (const auto* r = std::get_if<wire::LinkRole>(&msg)) {
    if (r->role == static_cast<uint8_t>(wire::LinkRoleKind::kReplica)) return;
    auto [it, added] = role_primary_.try_emplace(r->epoch, h);
    if (it->second != h) {
      return Fail("split-brain",
                  me + " told its writer to take writes in epoch " + std::to_string(r->epoch) +
                      ", as " + names_[it->second] + " did",
                  now);
    }
    if (!contract_) return;
    if (disk.current_epoch != r->epoch || disk.history.empty() ||
        disk.history.back().epoch != r->epoch) {
      Fail("contract",
           me + " made its writer primary in epoch " + std::to_string(r->epoch) +
               " before persisting that epoch and its history line",
           now);
    }
  } else if (const auto* a = std::get_if<wire::LinkAppend>(&msg); a != nullptr && contract_) {
    for (const auto& rec : a->records) {
      if (HistoryEpochAt(disk.history, rec.lsn) != rec.epoch) {
        return Fail("contract",
                    me + " handed its writer lsn " + std::to_string(rec.lsn) + " of epoch " +
                        std::to_string(rec.epoch) + " but its persisted history says epoch " +
                        std::to_string(HistoryEpochAt(disk.history, rec.lsn)),
                    now);
      }
    }
  }
}

// ---- the writers ------------------------------------------------------------------

void Checker::OnWriterPrimary(int h, uint64_t epoch, const std::vector<Rec>& log, uint64_t now) {
  auto [it, added] = writer_primary_.try_emplace(epoch, h);
  if (it->second != h) {
    return Fail("split-brain",
                "the writers of " + names_[it->second] + " and " + names_[h] +
                    " both took writes in epoch " + std::to_string(epoch),
                now);
  }
  if (!added) return;  // paused and resumed in the same epoch
  for (const Acked& a : acked_) {
    if (a.rec.epoch >= epoch) continue;
    if (std::string why = Missing(log, a.rec); !why.empty()) {
      return Fail("durability",
                  "the write " + Where(a.rec) + " acknowledged by " + names_[a.host] + " at " +
                      std::to_string(a.at) + " ms is not in the log of " + names_[h] +
                      ", primary of epoch " + std::to_string(epoch) + ": " + why,
                  now);
    }
  }
  promoted_[epoch] = log;
}

void Checker::OnPrimaryAppend(int h, const Rec& r, uint64_t now) {
  auto w = writer_primary_.find(r.epoch);
  if (w == writer_primary_.end() || w->second != h) {
    return Fail("split-brain",
                names_[h] + " wrote " + Where(r) + " without being the primary of its epoch", now);
  }
  auto [it, added] = written_.try_emplace({r.epoch, r.lsn}, Written{h, r.chain});
  if (!added) {
    Fail("split-brain",
         names_[h] + " wrote " + Where(r) + " at an LSN already written in epoch " +
             std::to_string(r.epoch),
         now);
  }
}

void Checker::OnFollowerRecord(int h, const Rec& r, const char* what, uint64_t now) {
  auto it = written_.find({r.epoch, r.lsn});
  if (it == written_.end()) {
    return Fail("log-matching",
                names_[h] + " " + what + " " + Where(r) + ", which no primary of epoch " +
                    std::to_string(r.epoch) + " wrote",
                now);
  }
  if (it->second.chain != r.chain) {
    Fail("log-matching",
         names_[h] + " " + what + " " + Where(r) + " on a log that differs below it from the log " +
             names_[it->second.host] + " wrote it on (a divergent tail was built on)",
         now);
  }
}

void Checker::OnAck(int h, const Rec& r, uint64_t now) {
  ++acked_count_;
  if (!asserted_) return;
  acked_.push_back(Acked{h, r, now});
  for (auto it = promoted_.upper_bound(r.epoch); it != promoted_.end(); ++it) {
    if (std::string why = Missing(it->second, r); !why.empty()) {
      return Fail("durability",
                  names_[h] + " acknowledged " + Where(r) + " at " + FormatAckLevel(ack_) +
                      ", but epoch " + std::to_string(it->first) +
                      " already has a primary without it: " + why,
                  now);
    }
  }
}

void Checker::AtRest(const std::vector<const std::vector<Rec>*>& logs, uint64_t now) {
  for (const Acked& a : acked_) {
    for (size_t i = 0; i < logs.size(); ++i) {
      if (std::string why = Missing(*logs[i], a.rec); !why.empty()) {
        return Fail("durability",
                    "the write " + Where(a.rec) + " acknowledged by " + names_[a.host] + " at " +
                        FormatAckLevel(ack_) + " at " + std::to_string(a.at) +
                        " ms is lost at rest: " + names_[i] + " " + why,
                    now);
      }
    }
  }
}

}  // namespace replsim
