// A closed-loop load of durable single-key puts against one writer (txpart
// serve), shared by `txpart bench` and `replicad bench`. Each client keeps
// one PUT_REQUEST in flight and sends the next as soon as the last is
// answered. Clients share DEALER connections, kClientsPerConnection to
// each, and all run on the calling thread over zmq_poll, so the load
// generator needs little CPU next to the servers on a small machine.
#pragma once

#include <cstdint>
#include <string>

#include "shardkit/cli/histogram.h"
#include "shardkit/net/connect.h"
#include "shardkit/status/status.h"

namespace shardkit::daemon {

struct PutLoadOptions {
  net::ConnectOptions connect;  // the writer; timeout bounds each put
  uint64_t clients = 64;        // 1..4096
  uint64_t keys = 100000;       // distinct keys, chosen uniformly
  uint64_t value_size = 100;
  double duration_s = 10;
  std::string ack;       // PutRequest::ack ("" for the group's level)
  std::string progress;  // the label of the progress line on stderr
};

struct PutLoadResult {
  uint64_t puts = 0;              // answered PUT_REPLY
  uint64_t errors = 0;            // answered ERROR (the first one is logged)
  double seconds = 0;             // from the first send to the last answer
  cli::LatencyHistogram latency;  // of the puts, in microseconds
};

// Runs the load for options.duration_s, then waits for the puts in flight.
// Unavailable when nothing ever answers, Temporary when a put goes
// unanswered for connect.timeout, DataError for a malformed answer.
Result<PutLoadResult> RunPutLoad(const PutLoadOptions& options);

}  // namespace shardkit::daemon
