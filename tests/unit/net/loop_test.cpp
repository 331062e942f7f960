#include "shardkit/net/loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <vector>

#include "shardkit/net/socket.h"

using shardkit::Code;
using shardkit::Status;
using namespace shardkit::net;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST_CASE("timers fire in deadline order and one-shots fire once", "[net][loop]") {
  EventLoop loop;
  std::vector<int> fired;
  loop.AddTimer(30ms, [&] { fired.push_back(3); });
  loop.AddTimer(10ms, [&] { fired.push_back(1); });
  loop.AddTimer(20ms, [&] { fired.push_back(2); });
  loop.AddTimer(60ms, [&] { loop.Stop(); });
  const auto start = Clock::now();
  REQUIRE(loop.Run().ok());
  CHECK(fired == std::vector<int>{1, 2, 3});
  CHECK(Clock::now() - start >= 60ms);
}

TEST_CASE("a repeating timer repeats until cancelled, even from itself", "[net][loop]") {
  EventLoop loop;
  int ticks = 0;
  EventLoop::TimerId id = 0;
  id = loop.AddTimer(
      5ms,
      [&] {
        if (++ticks == 3) CHECK(loop.CancelTimer(id));
      },
      /*repeat=*/true);
  loop.AddTimer(100ms, [&] { loop.Stop(); });
  REQUIRE(loop.Run().ok());
  CHECK(ticks == 3);
  CHECK_FALSE(loop.CancelTimer(id));  // already gone
}

TEST_CASE("a cancelled timer never fires", "[net][loop]") {
  EventLoop loop;
  bool fired = false;
  const auto id = loop.AddTimer(10ms, [&] { fired = true; });
  loop.AddTimer(1ms, [&] { CHECK(loop.CancelTimer(id)); });
  loop.AddTimer(40ms, [&] { loop.Stop(); });
  REQUIRE(loop.Run().ok());
  CHECK_FALSE(fired);
}

TEST_CASE("fd and socket callbacks run when readable", "[net][loop]") {
  zmq::context_t context;
  auto pull = MakeSocket(context, zmq::socket_type::pair);
  auto push = MakeSocket(context, zmq::socket_type::pair);
  REQUIRE(pull.ok());
  REQUIRE(push.ok());
  REQUIRE(BindEndpoint(*pull, "inproc://loop-test").ok());
  REQUIRE(ConnectEndpoint(*push, "inproc://loop-test").ok());

  const int efd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  REQUIRE(efd >= 0);

  EventLoop loop;
  int messages = 0;
  bool fd_seen = false;
  std::vector<zmq::message_t> frames;
  loop.AddSocket(*pull, [&] {
    while (*ReceiveFrames(*pull, &frames) > 0) ++messages;
    if (messages == 2) {
      const uint64_t one = 1;
      REQUIRE(::write(efd, &one, sizeof one) == sizeof one);
    }
  });
  loop.AddFd(efd, [&] {
    uint64_t v;
    REQUIRE(::read(efd, &v, sizeof v) == sizeof v);
    fd_seen = true;
    loop.RemoveFd(efd);
    loop.Stop(Status::Negative("done"));
  });
  loop.AddTimer(2000ms, [&] { loop.Stop(Status::Temporary("test timed out")); });
  const std::string_view msg[] = {"hello"};
  REQUIRE(SendFrames(*push, msg).ok());
  REQUIRE(SendFrames(*push, msg).ok());

  const Status s = loop.Run();
  CHECK(s.code() == Code::kNegative);  // the first Stop's reason is returned
  CHECK(s.message() == "done");
  CHECK(messages == 2);
  CHECK(fd_seen);
  ::close(efd);
}

TEST_CASE("Stop from another thread wakes a blocked loop", "[net][loop]") {
  EventLoop loop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(20ms);
    loop.Stop();
  });
  const auto start = Clock::now();
  const Status s = loop.Run();  // nothing registered: blocks until woken
  stopper.join();
  CHECK(s.ok());
  CHECK(Clock::now() - start < 2s);

  // And the loop can run again afterwards.
  loop.AddTimer(1ms, [&] { loop.Stop(); });
  CHECK(loop.Run().ok());
}
