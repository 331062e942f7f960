// repl::Member operator verbs: promote, demote and switchover.
//
// Every Operator event gets exactly one OperatorDone: at once for promote,
// demote and a refused switchover; for an accepted switchover when the
// target has everything (ok), when switchover_ms passes (Temporary, the
// primary resumes) or when the primary steps down meanwhile (Temporary).
//
//   promote     replica/candidate -> primary in current_epoch + 1. Refused
//               (Negative) when this member's flushed LSN is below the
//               durable LSN its primary last advertised, unless
//               accept_data_loss; (Temporary) while its writer installs a
//               resync snapshot. A primary answers ok and stays as it is.
//               An operator override: no votes are asked for. It persists
//               this member's vote for the new epoch (BecomePrimary), so it
//               never votes for anybody else in it, but with a quorum of
//               the others still able to elect, one of them can win an
//               election for the same epoch: promote only a group whose
//               primary is gone and whose members cannot elect (no
//               auto_failover, or no majority left).
//   demote      primary -> replica in the same epoch (LinkRole replica). A
//               replica answers ok.
//   switchover  primary -> paused until the target's flushed LSN reaches
//               this member's durable LSN; then LinkRole{replica}, TAKEOVER
//               to the target (repeated every heartbeat until the target
//               leads a new epoch) and follow it. The target is not
//               promoted: it runs an election at once (member_election.cpp).
#include <algorithm>

#include "member_impl.h"

namespace shardkit::repl {

Status Member::Impl::OnOperator(const Operator& op) {
  auto done = [&](Status s) {
    Emit(OperatorDone{op.token, s});
    return s;
  };
  switch (op.verb) {
    case OperatorVerb::kPromote: {
      if (IsPrimary()) return done(Status::Ok());
      if (install_pending) {
        return done(Status::Temporary("installing a resync snapshot at lsn " +
                                      std::to_string(install_pending->first)));
      }
      // Safe without --accept-data-loss only when this member knows it
      // holds everything the primary had durable: it heard the primary's
      // durable LSN since it started and has flushed that far. A group that
      // never had a primary (no epoch yet) has nothing to lose.
      const bool fresh = ds.current_epoch == 0 && ds.history.empty();
      if (!op.accept_data_loss && !fresh && !primary_heard) {
        return done(Status::Negative(
            "may lack acknowledged writes: no word from a primary since this member started; "
            "pass --accept-data-loss"));
      }
      if (!op.accept_data_loss && LostAcknowledged()) {
        return done(Status::Negative("may lack acknowledged writes: log ends at " +
                                     std::to_string(last_lsn) + ", below the acknowledged " +
                                     std::to_string(flushed_acked) + "; pass --accept-data-loss"));
      }
      if (!op.accept_data_loss && !fresh && durable_lsn < primary_durable) {
        return done(Status::Negative("may lack acknowledged writes: log ends at " +
                                     std::to_string(durable_lsn) + ", primary reported durable " +
                                     std::to_string(primary_durable) +
                                     "; pass --accept-data-loss"));
      }
      Log(Note::kWarn, "msg=\"promoted by operator\" flushed_lsn=" + std::to_string(durable_lsn) +
                           " primary_durable=" + std::to_string(primary_durable) +
                           (op.accept_data_loss ? " accept_data_loss=true" : ""));
      BecomePrimary(ds.current_epoch + 1, "operator promote");
      return done(Status::Ok());
    }
    case OperatorVerb::kDemote: {
      if (!IsPrimary()) return done(Status::Ok());
      TellRole(wire::LinkRoleKind::kReplica);
      LeavePrimary("demoted by operator");
      Log(Note::kWarn, "msg=\"demoted by operator\" epoch=" + std::to_string(ds.current_epoch));
      FollowConfigured();
      ArmElection();
      return done(Status::Ok());
    }
    case OperatorVerb::kSwitchover: {
      if (!IsPrimary())
        return done(Status::Negative("not the primary: role is " + std::string(RoleName(role))));
      if (switchover) {
        return done(
            Status::Temporary("a switchover to " + switchover->target + " is already in progress"));
      }
      auto it = followers.find(op.target);
      if (it == followers.end()) {
        return done(Status::Negative("unknown replica '" + op.target + "'"));
      }
      switchover = PendingSwitchover{op.token, op.target, Arm(config.switchover_ms), now};
      Log(Note::kInfo, "msg=\"switchover started\" target=" + Quote(op.target) +
                           " durable_lsn=" + std::to_string(durable_lsn));
      UpdateWriterRole();  // paused: the target catches up with a still log
      CheckSwitchover();
      return Status::Ok();  // answered later
    }
  }
  return done(Status::Usage("unknown operator verb"));
}

void Member::Impl::CheckSwitchover() {
  if (!switchover) return;
  auto it = followers.find(switchover->target);
  if (it == followers.end()) return;
  const Follower& f = it->second;
  // The paused writer may still finish writes it took before the pause: its
  // log ends only once it says so for this pause. Handing over earlier would
  // leave this member with records the target lacks, and its vote refused.
  // (Paused, the last role the writer was sent is the pause: role_seq.)
  if (role != Role::kPaused || writer_quiet_seq != role_seq || durable_lsn < StreamEnd()) return;
  if (f.flushed < durable_lsn || f.received < durable_lsn) return;
  const uint64_t token = switchover->token;
  const std::string target = f.name;
  const std::string endpoint = f.endpoint;
  Disarm(&switchover->timer);
  switchover.reset();
  TellRole(wire::LinkRoleKind::kReplica);  // demote first, then hand over
  LeavePrimary("switchover");
  Log(Note::kInfo, "msg=\"switchover: handing over\" target=" + Quote(target) +
                       " lsn=" + std::to_string(durable_lsn));
  wire::ReplTakeover t;
  t.epoch = ds.current_epoch;
  t.from = config.name;
  t.last_lsn = durable_lsn;
  SendTo(endpoint, std::move(t));
  takeover_target = endpoint;
  takeover_epoch = ds.current_epoch;
  Follow(endpoint, target);
  ArmElection();
  Emit(OperatorDone{token, Status::Ok()});
}

void Member::Impl::OnSwitchoverTimeout() {
  if (!switchover) return;
  const PendingSwitchover sw = *switchover;
  switchover.reset();
  uint64_t flushed = 0;
  if (auto it = followers.find(sw.target); it != followers.end()) flushed = it->second.flushed;
  const std::string why = "switchover to " + sw.target + " timed out after " +
                          std::to_string(config.switchover_ms) + " ms: " + sw.target + " flushed " +
                          std::to_string(flushed) + ", primary durable " +
                          std::to_string(durable_lsn);
  Log(Note::kWarn, "msg=\"switchover timed out: resuming\" target=" + Quote(sw.target) +
                       " flushed_lsn=" + std::to_string(flushed) +
                       " durable_lsn=" + std::to_string(durable_lsn));
  UpdateWriterRole();
  Emit(OperatorDone{sw.token, Status::Temporary(why)});
}

}  // namespace shardkit::repl
