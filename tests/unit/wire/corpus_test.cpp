// The fuzz seeds in tests/fuzz/corpus/wire/ are golden encodings: each file
// is a header frame followed by its body (the layout wire_fuzz.cpp splits).
// This test regenerates them in memory and compares byte for byte, so it
// fails when the wire format changes by accident, and keeps the seeds valid.
// To rewrite the files after an intended change, run this test with
// SHARDKIT_WRITE_CORPUS=1.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "shardkit/wire/codec.h"
#include "shardkit/wire/messages.h"

using namespace shardkit::wire;

namespace {

std::string Concat(const std::vector<std::string>& frames) {
  std::string out;
  for (const auto& f : frames) out += f;
  return out;
}

std::map<std::string, std::string> Seeds() {
  LocateReply reply;
  reply.generation = 0x1122334455667788ull;
  reply.names = {"a", "b", "c"};
  reply.endpoints = {"tcp://10.0.0.1:7100", "tcp://10.0.0.2:7100", ""};
  reply.replicas = 2;
  reply.owners = {0, 1, 2, 0, 1, kNoOwner};
  return {
      {"error_reply.bin",
       Concat(EncodeMessage(1, ErrorReply{static_cast<uint16_t>(ErrorCode::kBadRequest),
                                          "header frame is 3 bytes, expected 15"}))},
      {"locate_request.bin",
       Concat(EncodeMessage(2, LocateRequest{2, {"user:1", "user:2", "user:3"}}))},
      {"locate_request_empty.bin", Concat(EncodeMessage(3, LocateRequest{}))},
      {"locate_reply.bin", Concat(EncodeMessage(4, reply))},
  };
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("fuzz corpus seeds are the current encodings", "[wire][corpus]") {
  const std::string dir = std::string(SHARDKIT_SOURCE_DIR) + "/tests/fuzz/corpus/wire/";
  const bool write = std::getenv("SHARDKIT_WRITE_CORPUS") != nullptr;
  for (const auto& [name, bytes] : Seeds()) {
    INFO(dir + name);
    if (write) {
      std::ofstream(dir + name, std::ios::binary | std::ios::trunc) << bytes;
    }
    CHECK(ReadFile(dir + name) == bytes);

    // And each seed decodes as the fuzz target splits it.
    const std::string_view all(bytes);
    const std::string_view frames[] = {all.substr(0, kHeaderBytes), all.substr(kHeaderBytes)};
    auto m = DecodeMessage(frames);
    REQUIRE(m.ok());
    CHECK(IsKnownMsgType(m->header.type));
  }
}
