#include "shardkit/net/endpoint.h"

#include <catch2/catch.hpp>
#include <string>

using shardkit::Code;
using shardkit::Status;
using namespace shardkit::net;

TEST_CASE("valid endpoints are accepted", "[net][endpoint]") {
  for (const char* ep :
       {"tcp://127.0.0.1:7100", "tcp://10.0.0.1:0", "tcp://*:7100", "tcp://127.0.0.1:*",
        "tcp://0.0.0.0:65535", "tcp://localhost:1", "tcp://node-a.example.com:7100",
        "tcp://eth0:7100", "tcp://[::1]:7100", "tcp://[fe80::1%eth0]:7100", "tcp://[::]:*",
        "ipc:///tmp/sk.sock", "ipc://@abstract", "ipc://*", "inproc://loop"}) {
    INFO(ep);
    const Status s = ValidateEndpoint(ep);
    CHECK(s.message() == "");
    CHECK(s.ok());
  }
}

TEST_CASE("invalid endpoints are refused with a precise reason", "[net][endpoint]") {
  struct Case {
    std::string endpoint;
    std::string message;
  };
  const std::string long_ipc = "ipc:///" + std::string(107, 'x');
  const Case cases[] = {
      {"", "endpoint '' has no transport; expected tcp://HOST:PORT, ipc://PATH or inproc://NAME"},
      {"10.0.0.1:7100",
       "endpoint '10.0.0.1:7100' has no transport; expected tcp://HOST:PORT, ipc://PATH or "
       "inproc://NAME"},
      {"udp://1.2.3.4:5",
       "unsupported transport 'udp' in 'udp://1.2.3.4:5'; expected tcp://, ipc:// or inproc://"},
      {"tcp://", "endpoint 'tcp://' has no host"},
      {"tcp://host", "endpoint 'tcp://host' has no port (expected tcp://HOST:PORT)"},
      {"tcp://:7100", "endpoint 'tcp://:7100' has no host"},
      {"tcp://host:", "invalid port '' in 'tcp://host:' (expected 0-65535 or '*')"},
      {"tcp://host:65536", "invalid port '65536' in 'tcp://host:65536' (expected 0-65535 or '*')"},
      {"tcp://host:-1", "invalid port '-1' in 'tcp://host:-1' (expected 0-65535 or '*')"},
      {"tcp://host:71000000",
       "invalid port '71000000' in 'tcp://host:71000000' (expected 0-65535 or '*')"},
      {"tcp://300.1.1.1:5", "invalid IPv4 address '300.1.1.1' in 'tcp://300.1.1.1:5'"},
      {"tcp://1.2.3:5", "invalid IPv4 address '1.2.3' in 'tcp://1.2.3:5'"},
      {"tcp://::1:5", "IPv6 address in 'tcp://::1:5' must be in brackets, e.g. tcp://[::1]:7100"},
      {"tcp://[::1:5", "endpoint 'tcp://[::1:5' has an unterminated '[' in its host"},
      {"tcp://[::1]", "endpoint 'tcp://[::1]' has no port (expected tcp://[ADDR]:PORT)"},
      {"tcp://[zz::1]:5", "invalid IPv6 address '[zz::1]' in 'tcp://[zz::1]:5'"},
      {"tcp://a;b:5", "invalid host 'a;b' in 'tcp://a;b:5'"},
      {"tcp://a..b:5", "invalid host 'a..b' in 'tcp://a..b:5'"},
      {"ipc://", "endpoint 'ipc://' has an empty path"},
      {long_ipc, "ipc path in '" + long_ipc + "' is 108 bytes, max 107"},
      {"inproc://", "endpoint 'inproc://' has an empty name"},
  };
  for (const Case& c : cases) {
    INFO(c.endpoint);
    const Status s = ValidateEndpoint(c.endpoint);
    CHECK(s.code() == Code::kUsage);
    CHECK(s.message() == c.message);
  }
}

TEST_CASE("loopback endpoints are detected, and only those", "[net][endpoint]") {
  for (const char* ep :
       {"tcp://127.0.0.1:7100", "tcp://127.255.0.9:*", "tcp://localhost:1", "tcp://LocalHost:1",
        "tcp://[::1]:7100", "tcp://[::ffff:127.0.0.1]:5", "ipc:///tmp/x", "inproc://x"}) {
    INFO(ep);
    CHECK(IsLoopback(ep));
  }
  for (const char* ep :
       {"tcp://0.0.0.0:7100", "tcp://*:7100", "tcp://10.0.0.1:7100", "tcp://128.0.0.1:1",
        "tcp://[::]:7100", "tcp://[::ffff:10.0.0.1]:5", "tcp://localhost.evil.com:1",
        "tcp://lo:7100", "tcp://127.0.0.1", "udp://127.0.0.1:5", "garbage"}) {
    INFO(ep);
    CHECK_FALSE(IsLoopback(ep));
  }
}

TEST_CASE("listening off loopback needs CURVE or --insecure", "[net][endpoint]") {
  const Status refused = CheckListenPolicy("tcp://0.0.0.0:7100", false, false);
  CHECK(refused.code() == Code::kConfig);
  CHECK(refused.message() ==
        "refusing to listen on tcp://0.0.0.0:7100 without CURVE; pass --curve-secret FILE or "
        "--insecure");
  CHECK(refused.exit_code() == 78);

  CHECK(CheckListenPolicy("tcp://0.0.0.0:7100", false, true).ok());     // --insecure
  CHECK(CheckListenPolicy("tcp://0.0.0.0:7100", true, false).ok());     // CURVE
  CHECK(CheckListenPolicy("tcp://127.0.0.1:7100", false, false).ok());  // loopback
  CHECK(CheckListenPolicy("ipc:///tmp/sk.sock", false, false).ok());
  CHECK(CheckListenPolicy("tcp://*:7100", false, false).code() == Code::kConfig);

  // A bad endpoint is reported as such, not as a policy refusal.
  CHECK(CheckListenPolicy("tcp://host", false, true).code() == Code::kUsage);
}
