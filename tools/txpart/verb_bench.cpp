// txpart bench: a closed-loop load generator of durable single-shard puts.
// Each client keeps one PUT_REQUEST in flight and sends the next as soon as
// the last is acknowledged (durable). Clients share DEALER connections,
// kClientsPerConnection to each, and all run on one thread over zmq_poll,
// so the tool itself needs little CPU next to the server on a small
// machine. The server's fsync count before and after (from its status
// table) shows group commit at work.
#include <zmq.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

#include "common.h"
#include "shardkit/cli/histogram.h"
#include "shardkit/cli/log.h"
#include "shardkit/cli/progress.h"
#include "shardkit/daemon/client.h"
#include "shardkit/net/socket.h"
#include "shardkit/wire/codec.h"
#include "shardkit/wire/envelope.h"
#include "verbs.h"

namespace txpart {

using namespace shardkit;

namespace {

using Clock = std::chrono::steady_clock;

// Clients per DEALER connection: few sockets to poll, and libzmq batches
// the messages of one connection.
constexpr uint64_t kClientsPerConnection = 16;

struct BenchClient {
  size_t connection = 0;
  uint64_t request_id = 0;  // of the put in flight
  Clock::time_point sent_at;
  bool in_flight = false;
};

struct BenchConnection {
  zmq::socket_t socket;
  std::vector<size_t> blocked;  // clients whose put could not be queued yet
};

// The server's wal_fsyncs_total, or NaN when its status cannot be read.
double FsyncCount(daemon::Conn& conn) {
  auto table = conn.Admin("status");
  if (!table.ok()) {
    cli::LogWarn("cannot read the server's fsync count", {{"reason", table.status().message()}});
    return NAN;
  }
  for (const auto& row : table->rows) {
    if (row.size() == 2 && row[0] == "wal_fsyncs_total")
      return std::strtod(row[1].c_str(), nullptr);
  }
  return NAN;
}

}  // namespace

int RunBench(const Tool& tool, const Verb& verb, int argc, char** argv) {
  cli::VerbParser p(tool, verb, "");
  daemon::AddConnectFlags(p, "the txpart serve endpoint");
  p.Add()("clients", "concurrent clients, one put in flight each",
          cxxopts::value<uint64_t>()->default_value("64"),
          "N")("duration", "seconds to run", cxxopts::value<double>()->default_value("10"), "S")(
      "keys", "distinct keys, chosen uniformly",
      cxxopts::value<uint64_t>()->default_value("100000"),
      "K")("value-size", "bytes per value", cxxopts::value<uint64_t>()->default_value("100"), "B");
  if (!p.Parse(argc, argv)) return 0;
  int rc = 0;
  if (!p.CheckArgCount(0, 0, &rc)) return rc;
  auto clients = PositiveFlag(p, "clients", 4096);
  if (!clients.ok()) return p.UsageError(clients.status().message());
  auto keys = PositiveFlag(p, "keys", 1'000'000'000);
  if (!keys.ok()) return p.UsageError(keys.status().message());
  const uint64_t value_size = p.Get<uint64_t>("value-size");
  if (value_size > wire::kMaxValueBytes) {
    return p.UsageError("--value-size must be at most " + std::to_string(wire::kMaxValueBytes));
  }
  const double duration = p.Get<double>("duration");
  if (!(duration > 0 && duration <= 86400)) return p.UsageError("--duration must be 0..86400");
  net::ConnectOptions options;
  if (Status s = daemon::ConnectFlags(p, &options); !s.ok()) {
    return s.code() == Code::kUsage ? p.UsageError(s.message()) : cli::Fail(tool, s);
  }

  // The admin connection also proves the server is there (69 otherwise).
  auto admin = daemon::Conn::Open(options);
  if (!admin.ok()) return cli::Fail(tool, admin.status());
  const double fsyncs_before = FsyncCount(**admin);
  if (std::isnan(fsyncs_before)) {
    // Tell "down" from "status unreadable" before loading it.
    wire::GetReply ignored;
    if (Status s = (*admin)->Call(wire::GetRequest{}, &ignored); !s.ok()) {
      return cli::Fail(tool, s);
    }
  }

  zmq::context_t context;
  std::vector<BenchConnection> conns((*clients + kClientsPerConnection - 1) /
                                     kClientsPerConnection);
  for (auto& c : conns) {
    auto socket = net::Connect(context, options);
    if (!socket.ok()) return cli::Fail(tool, socket.status());
    c.socket = std::move(*socket);
  }
  std::vector<BenchClient> pool(*clients);
  for (size_t i = 0; i < pool.size(); ++i) pool[i].connection = i % conns.size();

  std::mt19937_64 rng(0x5eed);
  std::uniform_int_distribution<uint64_t> pick(0, *keys - 1);
  wire::PutRequest put;
  put.value.assign(value_size, 'v');
  std::string body;
  char header[wire::kHeaderBytes];
  uint64_t sequence = 0;
  // A request id names its client in the low 16 bits (clients <= 4096).
  auto send = [&](size_t index, Clock::time_point now) -> Status {
    BenchClient& c = pool[index];
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

  cli::LatencyHistogram latency;
  uint64_t puts = 0, errors = 0;
  std::vector<zmq_pollitem_t> items(conns.size());
  std::vector<zmq::message_t> frames;
  cli::Progress progress("bench", 0);
  const auto start = Clock::now();
  const auto stop_sending =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration));
  auto last_reply = start;
  auto fail = [&](const Status& s) {
    progress.Finish(puts);
    return cli::Fail(tool, s);
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
      for (const BenchClient& c : pool) {
        if (!c.in_flight) continue;
        ++waiting;
        if (now - c.sent_at > options.timeout) {
          return fail(Status::Temporary("no reply from " + options.endpoint + " within " +
                                        std::to_string(options.timeout.count()) + " ms"));
        }
      }
      if (!sending && waiting == 0) break;
      if (sending && puts + errors == 0 && waiting == 0 && now - start > options.timeout) {
        return fail(Status::Unavailable("cannot reach " + options.endpoint));
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
      BenchConnection& conn = conns[i];
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
          return fail(Status::DataError("malformed reply from " + options.endpoint));
        }
        const size_t index = size_t(h.request_id & 0xffff);
        if (index >= pool.size()) continue;
        BenchClient& c = pool[index];
        if (h.request_id != c.request_id || !c.in_flight) continue;  // not the put in flight
        c.in_flight = false;
        if (h.type == wire::MsgType::kPutReply) {
          ++puts;
          latency.Record(uint64_t(
              std::chrono::duration_cast<std::chrono::microseconds>(now - c.sent_at).count()));
          progress.Update(puts);
        } else if (h.type == wire::MsgType::kError) {
          wire::ErrorReply e;
          (void)wire::DecodeBody(net::View(frames[1]), &e);
          if (errors++ == 0) cli::LogWarn("put refused", {{"reason", e.reason}});
        } else {
          return fail(Status::DataError("unexpected " + std::string(wire::MsgTypeName(h.type)) +
                                        " reply from " + options.endpoint));
        }
        last_reply = now;
        if (now < stop_sending) {
          if (Status s = send(index, now); !s.ok()) return fail(s);
        }
      }
    }
  }
  progress.Finish(puts);
  const double secs = std::chrono::duration<double>(last_reply - start).count();
  const double fsyncs = FsyncCount(**admin) - fsyncs_before;
  auto ms = [](uint64_t us) { return double(us) / 1000.0; };
  cli::Writer w;
  cli::Record(w, p.json())
      .Uint("clients", *clients)
      .Double("duration_s", secs, 2)
      .Uint("puts", puts)
      .Uint("errors", errors)
      .Double("puts_per_s", secs > 0 ? double(puts) / secs : 0, 0)
      .Double("p50_ms", ms(latency.Percentile(0.50)), 3)
      .Double("p95_ms", ms(latency.Percentile(0.95)), 3)
      .Double("p99_ms", ms(latency.Percentile(0.99)), 3)
      .Double("max_ms", ms(latency.max_us()), 3)
      .Double("fsyncs", fsyncs, 0)
      .Double("fsyncs_per_s", secs > 0 ? fsyncs / secs : NAN, 0)
      .Double("puts_per_fsync", fsyncs > 0 ? double(puts) / fsyncs : NAN, 1)
      .End();
  Status s = w.Flush();
  return s.ok() ? 0 : cli::Fail(tool, s);
}

}  // namespace txpart
