// daemon::ReplicaSet: parsing "EP1,EP2,..." lists, moving between members,
// and reading the primary a NOT_PRIMARY names.
#include "shardkit/daemon/replica_set.h"

#include <catch2/catch.hpp>

#include "shardkit/wire/codec.h"

using namespace shardkit;
using daemon::ReplicaSet;

namespace {

ReplicaSet Must(std::string_view list) {
  auto set = ReplicaSet::Parse(list);
  REQUIRE(set.ok());
  return std::move(*set);
}

std::string ParseError(std::string_view list) {
  auto set = ReplicaSet::Parse(list);
  REQUIRE_FALSE(set.ok());
  CHECK(set.status().code() == Code::kUsage);
  return set.status().message();
}

}  // namespace

TEST_CASE("a replica set lists its members in order, primary first", "[daemon]") {
  ReplicaSet one = Must("tcp://127.0.0.1:7100");
  CHECK(one.members() == std::vector<std::string>{"tcp://127.0.0.1:7100"});
  ReplicaSet three = Must("tcp://10.0.0.2:7100,tcp://10.0.1.2:7100,ipc:///tmp/x.sock");
  CHECK(three.size() == 3);
  CHECK(three.current() == "tcp://10.0.0.2:7100");
  CHECK(three.Find("ipc:///tmp/x.sock") == 2);
  CHECK(three.Find("tcp://10.0.0.9:7100") == 3);
}

TEST_CASE("malformed endpoint lists are refused with a precise message", "[daemon]") {
  CHECK(ParseError("") == "empty endpoint list");
  CHECK(ParseError("tcp://a:1,,tcp://b:1") ==
        "endpoint list 'tcp://a:1,,tcp://b:1' has an empty item");
  CHECK(ParseError("tcp://a:1,") == "endpoint list 'tcp://a:1,' has an empty item");
  CHECK(ParseError(",tcp://a:1") == "endpoint list ',tcp://a:1' has an empty item");
  CHECK(ParseError("tcp://a:1,tcp://a:1") ==
        "endpoint list 'tcp://a:1,tcp://a:1' names 'tcp://a:1' twice");
  CHECK(ParseError("tcp://a:1,udp://b:2").find("udp://b:2") != std::string::npos);
  std::string many;
  for (size_t i = 0; i <= daemon::kMaxReplicaSetMembers; ++i) {
    many += (i ? "," : "") + std::string("tcp://h") + std::to_string(i) + ":1";
  }
  CHECK(ParseError(many).find("more than 16 endpoints") != std::string::npos);
  // A huge hostile list is refused at the cap, with a short message.
  std::string huge;
  for (int i = 0; i < 100000; ++i) huge += "tcp://h" + std::to_string(i) + ":1,";
  const std::string message = ParseError(huge);
  CHECK(message.find("more than 16 endpoints") != std::string::npos);
  CHECK(message.size() < 400);
}

TEST_CASE("advancing follows a member hint, else the list order", "[daemon]") {
  ReplicaSet s = Must("tcp://a:1,tcp://b:1,tcp://c:1");
  CHECK(s.Advance() == "tcp://b:1");
  CHECK(s.Advance() == "tcp://c:1");
  CHECK(s.Advance() == "tcp://a:1");  // wraps round
  CHECK(s.Advance("tcp://c:1") == "tcp://c:1");
  CHECK(s.Advance("tcp://evil:1") == "tcp://a:1");  // not a member: ignored
  CHECK(s.Advance("tcp://a:1") == "tcp://b:1");     // names the current one: next
  ReplicaSet alone = Must("tcp://a:1");
  CHECK(alone.Advance("tcp://b:1") == "tcp://a:1");
  CHECK(alone.Advance() == "tcp://a:1");
}

TEST_CASE("the primary a NOT_PRIMARY reason names is found", "[daemon]") {
  using daemon::PrimaryHint;
  CHECK(PrimaryHint("this is a standby; primary tcp://10.0.0.2:7100") == "tcp://10.0.0.2:7100");
  CHECK(PrimaryHint("not primary: stepped down; primary ipc:///run/p.sock") == "ipc:///run/p.sock");
  CHECK(PrimaryHint("writes are paused; primary tcp://h:1; later") == "tcp://h:1");
  CHECK(PrimaryHint("this is a standby").empty());
  CHECK(PrimaryHint("").empty());

  net::Reply reply;
  reply.header.type = wire::MsgType::kError;
  reply.body_frame = zmq::message_t(
      wire::EncodeBody(wire::ErrorReply{static_cast<uint16_t>(wire::ErrorCode::kNotPrimary),
                                        "this is a standby; primary tcp://h:1"}));
  CHECK(daemon::NotPrimaryReason(reply) == "this is a standby; primary tcp://h:1");
  reply.body_frame = zmq::message_t(wire::EncodeBody(
      wire::ErrorReply{static_cast<uint16_t>(wire::ErrorCode::kTemporary), "busy"}));
  CHECK_FALSE(daemon::NotPrimaryReason(reply));
  reply.body_frame = zmq::message_t(std::string("\x01", 1));  // not an ErrorReply at all
  CHECK_FALSE(daemon::NotPrimaryReason(reply));
}
