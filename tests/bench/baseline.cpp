// The two baselines every transaction benchmark is reported against, measured
// on this machine in the same run:
//
//   fdatasync_per_s  appends of 4 KiB to a file in DIR, each followed by
//                    fdatasync, per second (what one commit at a time costs)
//   rtt_us_p50       a ZeroMQ DEALER -> ROUTER -> DEALER round trip over
//                    loopback TCP, median microseconds (what one hop costs)
//
// Usage: bench_baseline [DIR] [SECONDS]. Prints "name value" lines.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>
#include <zmq.hpp>

namespace {

using Clock = std::chrono::steady_clock;

double FsyncRate(const std::string& dir, double seconds) {
  const std::string path = dir + "/bench_baseline.tmp";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::perror(path.c_str());
    return 0;
  }
  const std::string block(4096, 'x');
  uint64_t n = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds && n < 1'000'000) {
    if (::write(fd, block.data(), block.size()) != ssize_t(block.size()) || ::fdatasync(fd) != 0) {
      std::perror("write/fdatasync");
      break;
    }
    ++n;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  ::close(fd);
  ::unlink(path.c_str());
  return elapsed > 0 ? double(n) / elapsed : 0;
}

double RoundTripP50Us(int count) {
  zmq::context_t ctx;
  zmq::socket_t server(ctx, zmq::socket_type::router);
  server.set(zmq::sockopt::linger, 0);
  server.bind("tcp://127.0.0.1:*");
  const std::string ep = server.get(zmq::sockopt::last_endpoint);
  zmq::socket_t client(ctx, zmq::socket_type::dealer);
  client.set(zmq::sockopt::linger, 0);
  client.connect(ep);
  std::vector<double> us;
  us.reserve(count);
  for (int i = 0; i < count + 100; ++i) {  // the first 100 warm up
    const auto t0 = Clock::now();
    client.send(zmq::buffer("ping", 4), zmq::send_flags::none);
    zmq::message_t id, body;
    if (!server.recv(id) || !server.recv(body)) return 0;
    server.send(id, zmq::send_flags::sndmore);
    server.send(body, zmq::send_flags::none);
    zmq::message_t reply;
    if (!client.recv(reply)) return 0;
    if (i >= 100)
      us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::nth_element(us.begin(), us.begin() + us.size() / 2, us.end());
  return us[us.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : ".";
  const double seconds = argc > 2 ? std::stod(argv[2]) : 2.0;
  std::printf("fdatasync_per_s %.0f\n", FsyncRate(dir, seconds));
  std::printf("rtt_us_p50 %.1f\n", RoundTripP50Us(2000));
  return 0;
}
