#include "shardkit/daemon/put_load.h"

#include <zmq.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <vector>
#include <zmq.hpp>

#include "shardkit/cli/log.h"
#include "shardkit/cli/progress.h"
#include "shardkit/net/socket.h"
#include "shardkit/wire/codec.h"
#include "shardkit/wire/envelope.h"
#include "shardkit/wire/messages.h"

namespace shardkit::daemon {

namespace {

using Clock = std::chrono::steady_clock;

// Clients per DEALER connection: few sockets to poll, and libzmq batches
// the messages of one connection.
constexpr uint64_t kClientsPerConnection = 16;

struct LoadClient {
  size_t connection = 0;
  uint64_t request_id = 0;  // of the put in flight
  Clock::time_point sent_at;
  bool in_flight = false;
};

struct LoadConnection {
  zmq::socket_t socket;
  std::vector<size_t> blocked;  // clients whose put could not be queued yet
};

}  // namespace

Result<PutLoadResult> RunPutLoad(const PutLoadOptions& options) {
  if (options.clients == 0 || options.clients > 4096) {
    return Status::Usage("clients must be 1..4096");
  }
  const std::string& endpoint = options.connect.endpoint;
  zmq::context_t context;
  std::vector<LoadConnection> conns((options.clients + kClientsPerConnection - 1) /
                                    kClientsPerConnection);
  for (auto& c : conns) {
    auto socket = net::Connect(context, options.connect);
    if (!socket.ok()) return socket.status();
    c.socket = std::move(*socket);
  }
  std::vector<LoadClient> pool(options.clients);
  for (size_t i = 0; i < pool.size(); ++i) pool[i].connection = i % conns.size();

  // A new sequence each run: a fill that runs the load again and again
  // writes new keys, not the same ones.
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_int_distribution<uint64_t> pick(0, options.keys == 0 ? 0 : options.keys - 1);
  wire::PutRequest put;
  put.value.assign(options.value_size, 'v');
  put.ack = options.ack;
  std::string body;
  char header[wire::kHeaderBytes];
  uint64_t sequence = 0;
  // A request id names its client in the low 16 bits (clients <= 4096).
  auto send = [&](size_t index, Clock::time_point now) -> Status {
    LoadClient& c = pool[index];
    char key[32];
    std::snprintf(key, sizeof key, "bench:%010llu", (unsigned long long)pick(rng));
    put.key = key;
    wire::EncodeBodyTo(put, &body);
    c.request_id = ++sequence << 16 | index;
    wire::EncodeHeaderTo(
        wire::Header{wire::kProtocolVersion, wire::MsgType::kPutRequest, 0, c.request_id}, header);
    const std::string_view frames[] = {std::string_view(header, sizeof header), body};
    Status s = net::SendFrames(conns[c.connection].socket, frames, /*dontwait=*/true);
    if (s.code() == Code::kTemporary) {  // not connected yet: retried on POLLOUT
      conns[c.connection].blocked.push_back(index);
      return Status::Ok();
    }
    if (!s.ok()) return s;
    c.in_flight = true;
    c.sent_at = now;
    return Status::Ok();
  };

  PutLoadResult result;
  std::vector<zmq_pollitem_t> items(conns.size());
  std::vector<zmq::message_t> frames;
  cli::Progress progress(options.progress.empty() ? "bench" : options.progress, 0);
  const auto start = Clock::now();
  const auto stop_sending = start + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(options.duration_s));
  auto last_reply = start;
  auto fail = [&](const Status& s) {
    progress.Finish(result.puts);
    return s;
  };
  for (size_t i = 0; i < pool.size(); ++i) {
    if (Status s = send(i, start); !s.ok()) return fail(s);
  }
  auto next_check = start;
  while (true) {
    auto now = Clock::now();
    const bool sending = now < stop_sending;
    // Every 100 ms (and at every pass once sending stopped): unanswered
    // puts, the end of the run, an unreachable server.
    if (now >= next_check || !sending) {
      next_check = now + std::chrono::milliseconds(100);
      size_t waiting = 0;
      for (const LoadClient& c : pool) {
        if (!c.in_flight) continue;
        ++waiting;
        if (now - c.sent_at > options.connect.timeout) {
          return fail(Status::Temporary("no reply from " + endpoint + " within " +
                                        std::to_string(options.connect.timeout.count()) + " ms"));
        }
      }
      if (!sending && waiting == 0) break;
      if (sending && result.puts + result.errors == 0 && waiting == 0 &&
          now - start > options.connect.timeout) {
        return fail(Status::Unavailable("cannot reach " + endpoint));
      }
    }
    for (size_t i = 0; i < conns.size(); ++i) {
      const short events = ZMQ_POLLIN | (sending && !conns[i].blocked.empty() ? ZMQ_POLLOUT : 0);
      items[i] = zmq_pollitem_t{conns[i].socket.handle(), 0, events, 0};
    }
    const int ready = zmq_poll(items.data(), int(items.size()), 50);
    if (ready < 0) {
      if (zmq_errno() == EINTR) continue;
      return fail(Status::Internal(std::string("zmq_poll: ") + zmq_strerror(zmq_errno())));
    }
    now = Clock::now();
    for (size_t i = 0; i < conns.size() && ready > 0; ++i) {
      LoadConnection& conn = conns[i];
      if (items[i].revents & ZMQ_POLLOUT) {
        std::vector<size_t> retry;
        retry.swap(conn.blocked);
        for (size_t index : retry) {
          if (Status s = send(index, now); !s.ok()) return fail(s);
        }
      }
      if (!(items[i].revents & ZMQ_POLLIN)) continue;
      while (true) {
        auto got = net::ReceiveFrames(conn.socket, &frames, /*dontwait=*/true);
        if (!got.ok()) return fail(got.status());
        if (*got == 0) break;
        wire::Header h;
        if (*got != wire::kMessageFrames || !wire::DecodeHeader(net::View(frames[0]), &h).ok()) {
          return fail(Status::DataError("malformed reply from " + endpoint));
        }
        const size_t index = size_t(h.request_id & 0xffff);
        if (index >= pool.size()) continue;
        LoadClient& c = pool[index];
        if (h.request_id != c.request_id || !c.in_flight) continue;  // not the put in flight
        c.in_flight = false;
        if (h.type == wire::MsgType::kPutReply) {
          ++result.puts;
          result.latency.Record(uint64_t(
              std::chrono::duration_cast<std::chrono::microseconds>(now - c.sent_at).count()));
          progress.Update(result.puts);
        } else if (h.type == wire::MsgType::kError) {
          wire::ErrorReply e;
          (void)wire::DecodeBody(net::View(frames[1]), &e);
          if (result.errors++ == 0) cli::LogWarn("put refused", {{"reason", e.reason}});
        } else {
          return fail(Status::DataError("unexpected " + std::string(wire::MsgTypeName(h.type)) +
                                        " reply from " + endpoint));
        }
        last_reply = now;
        if (now < stop_sending) {
          if (Status s = send(index, now); !s.ok()) return fail(s);
        }
      }
    }
  }
  progress.Finish(result.puts);
  result.seconds = std::chrono::duration<double>(last_reply - start).count();
  return result;
}

}  // namespace shardkit::daemon
