// Signal handling for daemons (DESIGN.md §9): block the signals before any
// thread starts, then read them from a signalfd in the event loop.
#pragma once

#include <initializer_list>

#include "shardkit/status/status.h"

namespace shardkit::cli {

class SignalFd {
 public:
  // Blocks `signals` in the calling thread (threads started later inherit the
  // mask) and opens a non-blocking signalfd for them.
  explicit SignalFd(std::initializer_list<int> signals);
  ~SignalFd();
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;

  // The fd to poll; -1 if set-up failed (see status()).
  int fd() const { return fd_; }
  const Status& status() const { return status_; }
  // The next pending signal number, or 0 if none is pending.
  int Read();

 private:
  int fd_ = -1;
  Status status_;
};

}  // namespace shardkit::cli
