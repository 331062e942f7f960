#include "shardkit/wire/envelope.h"

#include <catch2/catch.hpp>
#include <string>

using shardkit::Code;
using shardkit::wire::DecodeHeader;
using shardkit::wire::EncodeHeader;
using shardkit::wire::Header;
using shardkit::wire::kHeaderBytes;
using shardkit::wire::MsgType;

TEST_CASE("header round trips every field", "[wire][header]") {
  Header in{1, MsgType::kLocateReply, 0, 0x0102030405060708ull};
  const std::string frame = EncodeHeader(in);
  REQUIRE(frame.size() == kHeaderBytes);
  // The layout is part of the protocol: magic, version, then big-endian.
  CHECK(frame == std::string("SK\x01\x00\x11\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08", 15));
  Header out;
  REQUIRE(DecodeHeader(frame, &out).ok());
  CHECK(out == in);

  in.request_id = UINT64_MAX;
  in.type = static_cast<MsgType>(0xfffe);  // unknown types decode; the server answers them
  REQUIRE(DecodeHeader(EncodeHeader(in), &out).ok());
  CHECK(out == in);
}

TEST_CASE("header rejects malformed frames with a precise reason", "[wire][header]") {
  const std::string good = EncodeHeader(Header{1, MsgType::kLocateRequest, 0, 7});
  const Header sentinel{1, MsgType::kError, 0, 99};

  struct Case {
    std::string name;
    std::string frame;
    std::string reason;
  };
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  std::string bad_version = good;
  bad_version[2] = 2;
  std::string zero_version = good;
  zero_version[2] = 0;
  std::string bad_flags = good;
  bad_flags[6] = 0x04;
  const Case cases[] = {
      {"empty", "", "header frame is 0 bytes, expected 15"},
      {"short", good.substr(0, 14), "header frame is 14 bytes, expected 15"},
      {"long", good + "x", "header frame is 16 bytes, expected 15"},
      {"magic", bad_magic, "bad magic 0x584b in header, expected 0x534b ('SK')"},
      {"version 2", bad_version, "unsupported protocol version 2, expected 1"},
      {"version 0", zero_version, "unsupported protocol version 0, expected 1"},
      {"flags", bad_flags, "unknown header flags 0x0004"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Header out = sentinel;
    const shardkit::Status s = DecodeHeader(c.frame, &out);
    CHECK(s.code() == Code::kDataError);
    CHECK(s.message() == c.reason);
    CHECK(out == sentinel);  // untouched on failure
  }
}
