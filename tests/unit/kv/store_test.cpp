#include "shardkit/kv/store.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using shardkit::Code;
using shardkit::Status;
using namespace shardkit::kv;

namespace {

std::vector<std::pair<std::string, std::string>> Scan(const Store& s, std::string_view prefix,
                                                      std::string_view after = "",
                                                      size_t limit = 100) {
  std::vector<std::pair<std::string, std::string>> out;
  s.ScanPrefix(prefix, after, [&](std::string_view k, std::string_view v) {
    out.emplace_back(k, v);
    return out.size() < limit;
  });
  return out;
}

}  // namespace

TEST_CASE("put, get and del keep the byte count", "[kv][store]") {
  Store s;
  CHECK(s.Find("a") == nullptr);
  s.Put("a", "1");
  s.Put("bb", "22");
  REQUIRE(s.Find("a") != nullptr);
  CHECK(*s.Find("a") == "1");
  CHECK(s.bytes() == 2 + 4);
  s.Put("a", "longer");
  CHECK(*s.Find("a") == "longer");
  CHECK(s.bytes() == 7 + 4);
  CHECK(s.Del("a"));
  CHECK_FALSE(s.Del("a"));
  CHECK(s.bytes() == 4);
  CHECK(s.size() == 1);
  CHECK(s.Del("bb"));
  CHECK(s.bytes() == 0);
}

TEST_CASE("keys and values are raw bytes", "[kv][store]") {
  Store s;
  const std::string key("k\0x", 3), value("\0\xff", 2);
  s.Put(key, value);
  CHECK(s.Find(std::string_view("k", 1)) == nullptr);
  REQUIRE(s.Find(key) != nullptr);
  CHECK(*s.Find(key) == value);
  s.Put("", "empty key is storable");
  CHECK(*s.Find("") == "empty key is storable");
}

TEST_CASE("scan by prefix is ordered, bounded and resumable", "[kv][store]") {
  Store s;
  for (const char* k : {"user:3", "user:1", "user:2", "usf", "use", "a"}) s.Put(k, k);
  using P = std::vector<std::pair<std::string, std::string>>;
  CHECK(Scan(s, "user:") == P{{"user:1", "user:1"}, {"user:2", "user:2"}, {"user:3", "user:3"}});
  CHECK(Scan(s, "user:", "", 2).size() == 2);
  CHECK(Scan(s, "user:", "user:1") == P{{"user:2", "user:2"}, {"user:3", "user:3"}});
  CHECK(Scan(s, "user:", "user:3").empty());
  CHECK(Scan(s, "user:", "a") == Scan(s, "user:"));  // start_after before the prefix
  CHECK(Scan(s, "zzz").empty());
  CHECK(Scan(s, "").size() == 6);
}

TEST_CASE("apply is all or nothing and checks see the old state", "[kv][store]") {
  Store s;
  s.Put("x", "1");
  std::string failed;
  const OpView bad[] = {{OpKind::kPut, "y", "2"}, {OpKind::kCheckEq, "x", "9"}};
  Status st = s.Apply(bad, &failed);
  CHECK(st.code() == Code::kNegative);
  CHECK(failed == "x");
  CHECK(st.message() == "check failed: key 'x' is '1', expected '9'");
  CHECK(s.Find("y") == nullptr);

  const OpView absent[] = {{OpKind::kCheckAbsent, "x", ""}};
  CHECK(s.Apply(absent, &failed).message() == "check failed: key 'x' is '1', expected absent");
  const OpView missing[] = {{OpKind::kCheckEq, "nope", "v"}};
  CHECK(s.Apply(missing).message() == "check failed: key 'nope' is absent, expected 'v'");

  // Checks are evaluated before the writes of the same op list.
  const OpView good[] = {{OpKind::kPut, "x", "2"},        {OpKind::kCheckEq, "x", "1"},
                         {OpKind::kCheckAbsent, "y", ""}, {OpKind::kGet, "x", ""},
                         {OpKind::kPut, "y", "3"},        {OpKind::kDel, "y", ""}};
  REQUIRE(s.Apply(good).ok());
  CHECK(*s.Find("x") == "2");
  CHECK(s.Find("y") == nullptr);
}

TEST_CASE("printable escapes what a terminal should not see", "[kv][store]") {
  CHECK(Printable("abc") == "abc");
  CHECK(Printable(std::string("a\0\n'\\", 5)) == "a\\x00\\x0a\\x27\\x5c");
  CHECK(Printable(std::string(70, 'z')) == std::string(64, 'z') + "...");
}
