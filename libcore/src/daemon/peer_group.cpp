// PeerGroup: one DEALER per peer address, moved between the members of a
// replica set (peer_group.h).
#include "peer_group.h"

#include <utility>
#include <vector>

#include "shardkit/cli/log.h"

namespace shardkit::daemon {

PeerGroup::PeerGroup(std::string address, ReplicaSet set, Connector connect, net::EventLoop& loop,
                     net::EventLoop::Callback on_readable, std::chrono::milliseconds silence)
    : address_(std::move(address)),
      set_(std::move(set)),
      connect_(std::move(connect)),
      loop_(loop),
      on_readable_(std::move(on_readable)),
      silence_(silence) {}

Result<std::unique_ptr<PeerGroup>> PeerGroup::Open(const std::string& address, Connector connect,
                                                   net::EventLoop& loop,
                                                   net::EventLoop::Callback on_readable,
                                                   std::chrono::milliseconds silence) {
  auto set = ReplicaSet::Parse(address);
  if (!set.ok()) return set.status();
  auto group = std::make_unique<PeerGroup>(address, std::move(*set), std::move(connect), loop,
                                           std::move(on_readable), silence);
  Status last;
  for (size_t i = 0; i < group->set_.size(); ++i) {
    group->set_.Select(i);
    auto socket = group->connect_(group->set_.current());
    if (!socket.ok()) {
      last = socket.status();
      continue;
    }
    group->socket_ = std::move(*socket);
    loop.AddSocket(group->socket_, group->on_readable_);
    return group;
  }
  return last;
}

PeerGroup::~PeerGroup() {
  if (socket_) loop_.RemoveSocket(socket_);
}

void PeerGroup::BeforeSend(Clock::time_point now) {
  if (unanswered_since_ && set_.size() > 1 && now - *unanswered_since_ >= silence_) {
    Move("no reply for " + std::to_string(silence_.count()) + " ms", {});
  }
  if (!unanswered_since_) unanswered_since_ = now;
}

bool PeerGroup::OnError(const wire::ErrorReply& error) {
  if (set_.size() == 1 || error.code != static_cast<uint16_t>(wire::ErrorCode::kNotPrimary)) {
    return false;
  }
  Move("not primary: " + error.reason, PrimaryHint(error.reason));
  return true;
}

void PeerGroup::Move(const std::string& reason, std::string_view hint) {
  const std::string from = set_.current();
  const size_t start = set_.index(), n = set_.size();
  // The member the hint names first, then the others in list order.
  const size_t named = hint.empty() ? n : set_.Find(hint);
  std::vector<size_t> order;
  if (named != n && named != start) order.push_back(named);
  for (size_t k = 1; k < n; ++k) {
    const size_t i = (start + k) % n;
    if (i != named) order.push_back(i);
  }
  for (size_t i : order) {
    set_.Select(i);
    const std::string& to = set_.current();
    auto socket = connect_(to);
    if (!socket.ok()) {
      cli::LogWarn("cannot reach peer",
                   {{"peer", address_}, {"endpoint", to}, {"reason", socket.status().message()}});
      continue;
    }
    cli::LogInfo("trying next endpoint",
                 {{"peer", address_}, {"from", from}, {"to", to}, {"reason", reason}});
    // The new socket is watched before the old one goes, so the loop never
    // confuses the two even if libzmq reuses the old one's address.
    zmq::socket_t old = std::exchange(socket_, std::move(*socket));
    loop_.AddSocket(socket_, on_readable_);
    loop_.RemoveSocket(old);
    old.close();
    unanswered_since_.reset();
    ++moves_;
    return;
  }
  set_.Select(start);
  unanswered_since_.reset();  // try again after another silence, not at every send
  cli::LogWarn("no other endpoint of peer could be connected",
               {{"peer", address_}, {"endpoint", from}, {"reason", reason}});
}

}  // namespace shardkit::daemon
