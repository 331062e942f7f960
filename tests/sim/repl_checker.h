// The replication simulator's invariants. The world calls each hook as the
// corresponding thing happens; the first violation sticks.
//
//   contract     (every member action; --no-contract-check turns it off) the
//                driver contract of repl/member.h: a persisted epoch and vote
//                never go back, one vote per member per epoch, the history
//                stays valid; a message never carries an epoch that is not
//                persisted yet, and a granted VOTE follows its persisted vote;
//                LinkRole{primary} follows a persisted history line for its
//                epoch; LinkAppend follows a persisted history that names
//                each record's epoch.
//   split-brain  (a) at most one member's writer accepts writes in an epoch,
//                over the whole run: the member that sent LinkRole{primary}
//                or {paused} for it, and the only writer that stamps records
//                with it, one record per LSN.
//   durability   (b) a write acknowledged to a client at a level that must
//                survive a failover is, at the same LSN with the same epoch
//                and value, in the log of every later primary (checked when
//                its writer is promoted, and when the write is acknowledged
//                against primaries already promoted), and at rest in every
//                member's log. Which levels must survive: with a majority
//                election among N members, a write held by k replicas and
//                the primary survives when (k + 1) + (N / 2 + 1) > N, that
//                is k >= N - N / 2 - 1: flushed:1 and applied:1 with 3
//                members, flushed:2 and applied:2 with 5 (flushed:1 with 5
//                is run but not asserted). received:k counts as well in runs without
//                host crashes (a replica that received a record but did not
//                fsync it loses it only by crashing). local never does: the
//                primary alone may be cut off and replaced.
//   log-matching (c) whenever a writer appends, installs or applies the
//                record of epoch e at LSN l, its whole log up to l is the log
//                the primary of e had when it wrote l (a chained hash), so no
//                record is ever appended or applied on top of a divergent
//                tail: a divergent tail is truncated first, never built on.
//   convergence  (d, at rest: faults stopped, partitions healed, every host
//                restarted) within a bounded virtual time there is one
//                primary, every other member follows it in its epoch, every
//                writer's log is the primary's log, durable and applied to
//                its end, and a new write is acknowledged.
//   core         Member::Handle never fails on an event the driver may feed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "repl_sim.h"
#include "shardkit/repl/member.h"

namespace replsim {

using ReplMsg = decltype(shardkit::repl::Send::msg);
using WriterMsg = decltype(shardkit::repl::ToWriter::msg);

// One record of a simulated log. `chain` hashes the whole log up to it.
struct Rec {
  uint64_t epoch = 0;
  uint64_t lsn = 0;
  std::string value;
  uint64_t chain = 0;
};
uint64_t Chain(uint64_t prev, uint64_t epoch, uint64_t lsn, const std::string& value);

class Checker {
 public:
  Checker(std::vector<std::string> names, shardkit::repl::AckLevel ack, bool hosts_crash,
          bool contract);

  // True when writes acknowledged at the group's level must survive.
  bool asserted() const { return asserted_; }

  // The driver contract.
  void OnPersist(int h, const shardkit::repl::DurableState& disk,
                 const shardkit::repl::DurableState& next, uint64_t now);
  void OnSend(int h, const std::string& to, const ReplMsg& msg,
              const shardkit::repl::DurableState& disk, uint64_t now);
  void OnToWriter(int h, const WriterMsg& msg, const shardkit::repl::DurableState& disk,
                  uint64_t now);

  // The writers.
  void OnWriterPrimary(int h, uint64_t epoch, const std::vector<Rec>& log, uint64_t now);
  void OnPrimaryAppend(int h, const Rec& r, uint64_t now);
  // A record a replica's writer appended or installed, or a writer applied.
  void OnFollowerRecord(int h, const Rec& r, const char* what, uint64_t now);
  void OnAck(int h, const Rec& r, uint64_t now);
  // At rest, over every writer's log.
  void AtRest(const std::vector<const std::vector<Rec>*>& logs, uint64_t now);

  void Fail(std::string invariant, std::string detail, uint64_t now);
  const std::optional<Violation>& violation() const { return violation_; }
  uint64_t acked() const { return acked_count_; }
  uint64_t asserted_acked() const { return acked_.size(); }

 private:
  struct Written {
    int host = 0;
    uint64_t chain = 0;
  };
  struct Acked {
    int host = 0;
    Rec rec;
    uint64_t at = 0;
  };
  std::string Where(const Rec& r) const;
  // "" when `log` holds `a` at its LSN, else what it holds there.
  static std::string Missing(const std::vector<Rec>& log, const Rec& a);

  std::vector<std::string> names_;
  shardkit::repl::AckLevel ack_;
  bool asserted_ = false;
  bool contract_ = true;
  std::optional<Violation> violation_;
  std::map<uint64_t, int> role_primary_;    // epoch -> the member that sent LinkRole{primary}
  std::map<uint64_t, int> writer_primary_;  // epoch -> the writer that took writes in it
  std::map<std::pair<uint64_t, uint64_t>, Written> written_;  // (epoch, lsn) -> its primary's
  std::map<uint64_t, std::vector<Rec>> promoted_;  // epoch -> its primary's log when promoted
  std::vector<Acked> acked_;                       // asserted ones
  uint64_t acked_count_ = 0;
};

}  // namespace replsim
