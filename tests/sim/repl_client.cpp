// The simulated clients. Each writes one unique value at a time to the host
// it believes is primary: at first a random one, then the one a NOT_PRIMARY
// answer names, and a random one again after a timeout. The writer's "ok"
// is what the checker counts as acknowledged (repl_writer.cpp, Gate), at
// the group's ack level. Once the faults stop, only the probe writes.
#include "repl_world.h"

namespace replsim {

void World::ClientWake(int c) {
  if (clients_[c].busy || !faults_) return;
  SendWrite(c);
}

void World::SendWrite(int c) {
  Client& cl = clients_[c];
  cl.busy = true;
  cl.rid = next_rid_++;
  ClientMsg m;
  m.kind = ClientMsg::kWrite;
  m.rid = cl.rid;
  m.value = cl.name + "." + std::to_string(cl.next++);
  Ev& timeout = Push(Kind::kClientTimeout, now_ + params_.client_timeout_ms, c);
  timeout.id = cl.rid;
  if (faults_ && rng_.Chance(params_.drop)) return Trace("  (request lost)");
  // A ZeroMQ pipe: in order, and what is in flight dies with the server's
  // connection (its incarnation).
  uint64_t& last = fifo_[{-1 - c, cl.target}];
  const uint64_t t = std::max(now_ + rng_.Range(1, params_.max_delay_ms), last);
  last = t;
  Ev& ev = Push(Kind::kClientRequest, t, cl.target);
  ev.from = c;
  ev.inc = hosts_[cl.target].host_inc;
  ev.payload = std::move(m);
}

void World::ClientReply(int c, const ClientMsg& m) {
  Client& cl = clients_[c];
  if (!cl.busy || m.rid != cl.rid) return;  // an answer to an earlier write
  cl.busy = false;
  if (m.kind == ClientMsg::kOk) {
    if (m.rid == probe_rid_) probe_acked_ = true;
  } else {
    ++stats_.refused;
    if (m.kind == ClientMsg::kNotPrimary) {
      cl.target = m.hint >= 0 ? m.hint : static_cast<int>(rng_.Range(0, params_.members - 1));
    }
  }
  Push(Kind::kClientWake, now_ + rng_.Range(0, params_.client_gap_ms), c);
}

void World::ClientTimeout(int c, uint64_t rid) {
  Client& cl = clients_[c];
  if (!cl.busy || rid != cl.rid) return;
  ++stats_.refused;  // the outcome is unknown: not acknowledged
  cl.busy = false;
  cl.target = static_cast<int>(rng_.Range(0, params_.members - 1));
  Push(Kind::kClientWake, now_ + rng_.Range(0, params_.client_gap_ms), c);
}

}  // namespace replsim
