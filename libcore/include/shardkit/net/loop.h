// EventLoop: one thread's zmq_poll loop over sockets, file descriptors and
// timers (DESIGN.md §2, process model).
//
// Single-threaded: everything but Stop() must be called from the thread
// that runs Run(), normally from inside callbacks. Callbacks may add and
// remove sockets, fds and timers, including their own, while running.
//
// Readiness is level-triggered: a callback that does not drain its socket is
// simply called again on the next pass. Timers run on the monotonic clock
// (std::chrono::steady_clock), so a wall-clock jump never fires or delays
// them, and at millisecond resolution.
//
//   EventLoop loop;
//   loop.AddSocket(router, [&] { if (Status s = server.ServePending(); !s.ok()) loop.Stop(s); });
//   loop.AddFd(signal_fd, [&] { loop.Stop(); });
//   loop.AddTimer(std::chrono::seconds(1), [&] { ReportRates(); }, /*repeat=*/true);
//   Status s = loop.Run();
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <utility>
#include <vector>
#include <zmq.hpp>

#include "shardkit/net/unique_fd.h"
#include "shardkit/status/status.h"

namespace shardkit::net {

class EventLoop {
 public:
  using Callback = std::function<void()>;
  using TimerId = uint64_t;
  using Clock = std::chrono::steady_clock;

  // Never fails; if the wake-up eventfd cannot be created, Run() reports it.
  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Calls `on_readable` whenever `socket` has a message to read. The socket
  // must stay open until RemoveSocket (or the loop's end).
  void AddSocket(zmq::socket_t& socket, Callback on_readable);
  void RemoveSocket(zmq::socket_t& socket);

  // Calls `on_readable` whenever `fd` is readable (a signalfd, a pipe).
  void AddFd(int fd, Callback on_readable);
  void RemoveFd(int fd);

  // Calls `callback` once after `delay`, or every `delay` when `repeat`
  // (a repeating timer keeps its phase; one that falls behind skips ahead
  // rather than firing in a burst). Returns an id for CancelTimer.
  TimerId AddTimer(std::chrono::milliseconds delay, Callback callback, bool repeat = false);

  // Cancels a pending timer (also from its own callback). Returns false if
  // it had already fired (one-shot) or was never added.
  bool CancelTimer(TimerId id);

  // Polls and dispatches until Stop(). Returns the status given to the first
  // Stop() (ok by default), or Internal if polling itself fails (e.g. a
  // socket was closed while still registered). Can be called again after
  // it returns.
  Status Run();

  // Makes Run() return `reason` after the current callback. Safe to call
  // from any thread, but not from a signal handler (use a signalfd and
  // AddFd). The first reason wins.
  void Stop(Status reason = Status::Ok());

 private:
  struct Watch {
    void* socket;  // nullptr for an fd
    int fd;
    Callback callback;
    bool removed = false;
  };
  struct Timer {
    Clock::time_point when;
    Clock::duration period;  // zero: one-shot
    Callback callback;
  };

  void FireDueTimers();
  void Compact();
  int PollTimeoutMs() const;

  UniqueFd wake_fd_;  // eventfd that Stop() writes to wake zmq_poll
  Status init_status_;

  // A deque so that adding a watch from inside a callback never moves the
  // std::function that is running.
  std::deque<Watch> watches_;
  bool has_removed_ = false;

  std::map<TimerId, Timer> timers_;
  std::set<std::pair<Clock::time_point, TimerId>> queue_;  // (when, id), soonest first
  TimerId next_timer_ = 1;
  TimerId firing_timer_ = 0;  // the timer whose callback is running, or 0
  bool firing_cancelled_ = false;

  std::atomic<bool> stop_requested_{false};
  std::mutex stop_mu_;
  Status stop_status_;  // guarded by stop_mu_
};

}  // namespace shardkit::net
