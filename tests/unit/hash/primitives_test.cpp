// The hash primitives against published values: twemproxy/libmemcached's
// hash unit vectors (libmemcached.txt B3), the jump hash references
// (jump.txt), and the standard check values of each hash.
#include <regex>

#include "shardkit/hash/hash.h"
#include "vectors.h"

namespace shardkit::hash {
namespace {

using testing::LineStartingWith;
using testing::Numbers;
using testing::ReadVectors;

uint64_t Capture(const std::string& text, const std::string& pattern) {
  std::smatch m;
  INFO("pattern " << pattern);
  REQUIRE(std::regex_search(text, m, std::regex(pattern)));
  return std::stoull(m[1].str());
}

TEST_CASE("md5 and crc32 reproduce the twemproxy hash vectors (B3)", "[hash][vectors]") {
  const std::string text = ReadVectors("libmemcached.txt");
  CHECK(Md5Le32("apple") == Capture(text, R"(hash_md5\("apple"\) = (\d+))"));
  // twemproxy's crc32a is plain zlib crc32; its crc32 is libmemcached's
  // 15-bit variant built on top of it.
  const uint32_t crc = Crc32("apple");
  CHECK(crc == Capture(text, R"(crc32a\("apple"\) = (\d+))"));
  CHECK(((crc >> 16) & 0x7fff) == Capture(text, R"( crc32\("apple"\) = (\d+))"));

  // ketama_hash(key, alignment): the alignment-th little-endian u32 of md5.
  const auto d = Md5("server1-8");
  auto le32 = [&d](int a) {
    return static_cast<uint32_t>(d[4 * a]) | static_cast<uint32_t>(d[4 * a + 1]) << 8 |
           static_cast<uint32_t>(d[4 * a + 2]) << 16 | static_cast<uint32_t>(d[4 * a + 3]) << 24;
  };
  CHECK(le32(0) == Capture(text, R"(ketama_hash\("server1-8", align 0\) = (\d+))"));
  CHECK(le32(3) == Capture(text, R"(align 3 = (\d+))"));
  CHECK(le32(0) == Md5Le32("server1-8"));
}

TEST_CASE("primitives match the standard check values", "[hash]") {
  const std::array<uint8_t, 16> empty_md5 = {0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04,
                                             0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42, 0x7e};
  CHECK(Md5("") == empty_md5);
  CHECK(Crc32("123456789") == 0xCBF43926u);
  CHECK(Xxh64("") == 0xEF46DB3751D8E999ull);
  CHECK(Xxh3("") == 0x2D06800538D394C2ull);
  CHECK(Xxh3("abc", 0) == Xxh3("abc"));
  CHECK(Xxh3("abc", 1) != Xxh3("abc"));
  CHECK(Xxh64("abc", 1) != Xxh64("abc"));
}

TEST_CASE("crc32 chains like one pass, and an empty piece changes nothing", "[hash]") {
  CHECK(Crc32("6789", Crc32("12345")) == Crc32("123456789"));
  CHECK(Crc32(std::string_view(), 0xdeadbeef) == 0xdeadbeefu);
  CHECK(Crc32("", 0x12345678) == 0x12345678u);
  CHECK(Crc32(std::string_view("a\0b", 3)) != Crc32("ab"));
}

TEST_CASE("jump hash reproduces the reference implementation (jump.txt)", "[hash][vectors]") {
  const std::string text = ReadVectors("jump.txt");
  for (const char* key : {"1", "3735928559", "998690804919562253"}) {
    const std::string line = LineStartingWith(text, std::string("key=") + key + " buckets 1..19:");
    const std::vector<uint64_t> expected = Numbers(line.substr(line.find(':') + 1));
    REQUIRE(expected.size() == 19);
    for (int32_t n = 1; n <= 19; ++n) {
      INFO("key " << key << " buckets " << n);
      CHECK(JumpHash(std::stoull(key), n) == static_cast<int32_t>(expected[n - 1]));
    }
  }
  for (int32_t n = 1; n < 100000; n = n * 3 + 1) CHECK(JumpHash(0, n) == 0);

  const std::string golden = LineStartingWith(text, "golden100");
  const std::vector<uint64_t> expected = Numbers(golden.substr(golden.find(':') + 1));
  REQUIRE(expected.size() == 20);
  for (uint64_t key = 0; key < expected.size(); ++key) {
    INFO("golden100 key " << key);
    CHECK(JumpHash(key, 100) == static_cast<int32_t>(expected[key]));
  }

  const std::regex call(R"(jump\((\d+),(\d+)\)=(\d+))");
  int calls = 0;
  for (std::sregex_iterator it(text.begin(), text.end(), call), end; it != end; ++it, ++calls) {
    const uint64_t key = std::stoull((*it)[1].str());
    const int32_t buckets = std::stoi((*it)[2].str());
    INFO((*it)[0].str());
    CHECK(JumpHash(key, buckets) == std::stoi((*it)[3].str()));
  }
  CHECK(calls == 6);
}

TEST_CASE("jump hash only ever moves keys to the new bucket", "[hash]") {
  for (uint64_t key = 0; key < 2000; ++key) {
    const uint64_t h = Xxh3(std::to_string(key));
    for (int32_t n = 1; n < 64; ++n) {
      const int32_t before = JumpHash(h, n);
      const int32_t after = JumpHash(h, n + 1);
      REQUIRE((after == before || after == n));
    }
  }
}

}  // namespace
}  // namespace shardkit::hash
