#include "shardkit/kv/lock_table.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace shardkit::kv;

TEST_CASE("try-lock takes all keys or none and names the conflict", "[kv][locks]") {
  LockTable t;
  LockConflict c;
  const std::string_view a[] = {"k1", "k2", "k1"};
  REQUIRE(t.TryLockAll("tx1", a, &c));
  CHECK(t.size() == 2);
  CHECK(*t.HolderOf("k1") == "tx1");

  const std::string_view b[] = {"k3", "k2", "k4"};
  CHECK_FALSE(t.TryLockAll("tx2", b, &c));
  CHECK(c.key == "k2");
  CHECK(c.holder == "tx1");
  CHECK(t.HolderOf("k3") == nullptr);  // nothing taken on conflict
  CHECK(t.owner_count() == 1);

  // Re-entrant for the same owner.
  const std::string_view more[] = {"k2", "k5"};
  REQUIRE(t.TryLockAll("tx1", more, &c));
  CHECK(t.KeysOf("tx1") == std::vector<std::string>{"k1", "k2", "k5"});

  CHECK(t.ReleaseAll("tx1") == 3);
  CHECK(t.ReleaseAll("tx1") == 0);
  CHECK(t.size() == 0);
  REQUIRE(t.TryLockAll("tx2", b, &c));
  CHECK(t.List() == std::vector<std::pair<std::string, std::string>>{
                        {"k2", "tx2"}, {"k3", "tx2"}, {"k4", "tx2"}});
}

TEST_CASE("an empty key list always succeeds and creates no owner", "[kv][locks]") {
  LockTable t;
  CHECK(t.TryLockAll("tx", {}, nullptr));
  CHECK(t.owner_count() == 0);
  CHECK(t.KeysOf("tx").empty());
}
