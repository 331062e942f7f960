// Hot standby for both cores (core.h: StandbyRecovered, Replicated,
// Promoted). A standby's state is exactly what replaying its log rebuilds,
// so it reuses recovery's Replay for every record the replica's log made
// durable, and Promoted runs the half of recovery that acts: re-taking
// in-doubt locks and asking about them (participant), re-driving decisions
// (coordinator). Until then it sends nothing but answers: reads (the
// participant serves GET and SCAN before this is reached) and NOT_PRIMARY.
#include "shardkit/txn/coordinator.h"
#include "shardkit/txn/participant.h"

namespace shardkit::txn {

// Shared by both cores, which are friends of it: each has next_lsn_,
// durable_lsn_, standby_, Replay and Activate.
struct StandbyDriver {
  template <class Core>
  static Status Handle(Core& core, const Event& event, std::vector<Action>* out);
};

template <class Core>
Status StandbyDriver::Handle(Core& core, const Event& event, std::vector<Action>* out) {
  Lsn& next_lsn = core.next_lsn_;
  Lsn& durable_lsn = core.durable_lsn_;
  bool& standby = core.standby_;
  if (const auto* r = std::get_if<Replicated>(&event)) {
    // The whole batch must continue the log densely before any of it is
    // applied, so a refused batch leaves the standby where it was.
    Lsn expect = next_lsn;
    for (const LogEntry& e : r->records) {
      if (e.lsn != expect) {
        return Status::Internal("standby: replicated record lsn " + std::to_string(e.lsn) +
                                ", expected " + std::to_string(expect));
      }
      ++expect;
    }
    for (const LogEntry& e : r->records) {
      SK_RETURN_IF_ERROR(core.Replay(e).Prefixed("log record lsn " + std::to_string(e.lsn)));
      next_lsn = e.lsn + 1;
      durable_lsn = e.lsn;
    }
    return Status::Ok();
  }
  if (std::holds_alternative<Promoted>(event)) {
    SK_RETURN_IF_ERROR(core.Activate(out));
    standby = false;
    return Status::Ok();
  }
  if (const auto* m = std::get_if<MessageReceived>(&event)) {
    // Requests get NOT_PRIMARY; replies (a vote, an ack, an outcome, an
    // error) are dropped, as a primary drops stray replies, so two peers
    // can never bounce errors at each other.
    const bool reply = std::holds_alternative<wire::ErrorReply>(m->msg) ||
                       std::holds_alternative<wire::Vote>(m->msg) ||
                       std::holds_alternative<wire::Ack>(m->msg) ||
                       std::holds_alternative<wire::Outcome>(m->msg) ||
                       std::holds_alternative<wire::OnePhaseResult>(m->msg) ||
                       std::holds_alternative<wire::SubmitResult>(m->msg) ||
                       std::holds_alternative<wire::GetReply>(m->msg) ||
                       std::holds_alternative<wire::PutReply>(m->msg) ||
                       std::holds_alternative<wire::DelReply>(m->msg) ||
                       std::holds_alternative<wire::ScanReply>(m->msg);
    if (reply) return Status::Ok();
    out->push_back(Send{m->from, m->request_id,
                        wire::ErrorReply{static_cast<uint16_t>(wire::ErrorCode::kNotPrimary),
                                         "this is a standby"}});
    return Status::Ok();
  }
  if (std::holds_alternative<OperatorResolve>(event)) {
    return Status::Temporary("this is a standby; resolve on the primary");
  }
  return Status::Ok();  // timers and durability reports mean nothing here
}

Status Participant::OnStandbyEvent(const Event& event, std::vector<Action>* out) {
  return StandbyDriver::Handle(*this, event, out);
}

Status Coordinator::OnStandbyEvent(const Event& event, std::vector<Action>* out) {
  return StandbyDriver::Handle(*this, event, out);
}

}  // namespace shardkit::txn
