#include "shardkit/net/loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "zmq_c.h"

namespace shardkit::net {
namespace {

// A repeating timer needs a period, or it would fire forever within one pass.
constexpr auto kMinPeriod = std::chrono::milliseconds(1);

}  // namespace

EventLoop::EventLoop() : wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!wake_fd_.valid()) {
    init_status_ = Status::Internal(std::string("eventfd: ") + std::strerror(errno));
  }
}

void EventLoop::AddSocket(zmq::socket_t& socket, Callback on_readable) {
  watches_.push_back(Watch{socket.handle(), -1, std::move(on_readable)});
}

void EventLoop::RemoveSocket(zmq::socket_t& socket) {
  for (Watch& w : watches_) {
    if (w.socket == socket.handle() && !w.removed) {
      // Only marked: the callback may be the one running right now.
      w.removed = true;
      has_removed_ = true;
    }
  }
}

void EventLoop::AddFd(int fd, Callback on_readable) {
  watches_.push_back(Watch{nullptr, fd, std::move(on_readable)});
}

void EventLoop::RemoveFd(int fd) {
  for (Watch& w : watches_) {
    if (w.socket == nullptr && w.fd == fd && !w.removed) {
      w.removed = true;
      has_removed_ = true;
    }
  }
}

EventLoop::TimerId EventLoop::AddTimer(std::chrono::milliseconds delay, Callback callback,
                                       bool repeat) {
  const TimerId id = next_timer_++;
  const Clock::duration period =
      repeat ? Clock::duration(std::max<std::chrono::milliseconds>(delay, kMinPeriod))
             : Clock::duration::zero();
  const Clock::time_point when = Clock::now() + delay;
  timers_.emplace(id, Timer{when, period, std::move(callback)});
  queue_.emplace(when, id);
  return id;
}

bool EventLoop::CancelTimer(TimerId id) {
  if (id == firing_timer_) {
    // Its callback is running: erase it after the callback returns.
    const bool was_pending = !firing_cancelled_ && timers_.at(id).period != Clock::duration::zero();
    firing_cancelled_ = true;
    return was_pending;
  }
  const auto it = timers_.find(id);
  if (it == timers_.end()) return false;
  queue_.erase({it->second.when, id});
  timers_.erase(it);
  return true;
}

void EventLoop::FireDueTimers() {
  const Clock::time_point now = Clock::now();
  // Only timers due at the start of this pass: one added or re-armed by a
  // callback waits for the next pass, so timers cannot starve the sockets.
  std::vector<std::pair<Clock::time_point, TimerId>> due;
  for (auto it = queue_.begin(); it != queue_.end() && it->first <= now; ++it) due.push_back(*it);
  for (const auto& entry : due) {
    if (stop_requested_) return;
    if (queue_.erase(entry) == 0) continue;  // cancelled by an earlier callback
    auto it = timers_.find(entry.second);
    firing_timer_ = entry.second;
    firing_cancelled_ = false;
    it->second.callback();  // map nodes are stable: adding timers here is safe
    firing_timer_ = 0;
    Timer& timer = it->second;
    if (firing_cancelled_ || timer.period == Clock::duration::zero()) {
      timers_.erase(it);
      continue;
    }
    timer.when += timer.period;
    if (timer.when <= now) timer.when = now + timer.period;  // fell behind: skip, no burst
    queue_.emplace(timer.when, entry.second);
  }
}

void EventLoop::Compact() {
  if (!has_removed_) return;
  std::erase_if(watches_, [](const Watch& w) { return w.removed; });
  has_removed_ = false;
}

int EventLoop::PollTimeoutMs() const {
  if (queue_.empty()) return -1;
  const auto left = queue_.begin()->first - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
}

Status EventLoop::Run() {
  if (!init_status_.ok()) return init_status_;
  std::vector<zmq_pollitem_t> items;
  while (!stop_requested_) {
    Compact();
    const size_t count = watches_.size();
    items.clear();
    items.push_back({nullptr, wake_fd_.get(), ZMQ_POLLIN, 0});
    for (const Watch& w : watches_) items.push_back({w.socket, w.fd, ZMQ_POLLIN, 0});
    if (zmq_poll(items.data(), static_cast<int>(items.size()), PollTimeoutMs()) < 0) {
      const int err = zmq_errno();
      if (err == EINTR) continue;
      return ZmqError("event loop: zmq_poll", err);
    }
    if (items[0].revents & ZMQ_POLLIN) {
      uint64_t drained;
      (void)!::read(wake_fd_.get(), &drained, sizeof drained);
    }
    FireDueTimers();
    // Index, not iterator: callbacks may append watches (a deque keeps the
    // existing ones in place); only those polled this pass are dispatched.
    for (size_t i = 0; i < count && !stop_requested_; ++i) {
      if ((items[i + 1].revents & ZMQ_POLLIN) && !watches_[i].removed) watches_[i].callback();
    }
  }
  stop_requested_ = false;
  std::lock_guard lock(stop_mu_);
  return std::exchange(stop_status_, Status::Ok());
}

void EventLoop::Stop(Status reason) {
  {
    std::lock_guard lock(stop_mu_);
    if (!stop_requested_) stop_status_ = std::move(reason);
    stop_requested_ = true;
  }
  const uint64_t one = 1;
  (void)!::write(wake_fd_.get(), &one, sizeof one);
}

}  // namespace shardkit::net
