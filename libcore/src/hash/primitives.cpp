// Hash primitives: thin wrappers over xxHash, nettle and zlib (DESIGN.md §3
// forbids hand-written hash functions; the one exception is jump hash, which
// is an algorithm over a 64-bit key rather than a hash of bytes).
#include <nettle/md5.h>
#include <xxhash.h>
#include <zlib.h>

#include "shardkit/hash/hash.h"

namespace shardkit::hash {

uint64_t Xxh3(std::string_view data, uint64_t seed) {
  return XXH3_64bits_withSeed(data.data(), data.size(), seed);
}

uint64_t Xxh64(std::string_view data, uint64_t seed) {
  return XXH64(data.data(), data.size(), seed);
}

std::array<uint8_t, 16> Md5(std::string_view data) {
  md5_ctx ctx;
  md5_init(&ctx);
  md5_update(&ctx, data.size(), reinterpret_cast<const uint8_t*>(data.data()));
  std::array<uint8_t, 16> digest;
  md5_digest(&ctx, digest.size(), digest.data());
  return digest;
}

uint32_t Md5Le32(std::string_view data) {
  const std::array<uint8_t, 16> d = Md5(data);
  return static_cast<uint32_t>(d[0]) | static_cast<uint32_t>(d[1]) << 8 |
         static_cast<uint32_t>(d[2]) << 16 | static_cast<uint32_t>(d[3]) << 24;
}

uint32_t Crc32(std::string_view data, uint32_t prev) {
  // zlib returns its initial value (0), not `prev`, when handed a null buffer,
  // and an empty string_view may carry one: chaining over an empty piece
  // (nginx's empty port for unix sockets) must leave the checksum unchanged.
  if (data.empty()) return prev;
  return static_cast<uint32_t>(
      crc32_z(prev, reinterpret_cast<const Bytef*>(data.data()), data.size()));
}

int32_t JumpHash(uint64_t key, int32_t buckets) {
  // Lamping & Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm"
  // (arXiv:1406.2294), figure 1, verbatim: the vectors in jump.txt pin the
  // LCG constant and the double arithmetic.
  int64_t b = -1;
  int64_t j = 0;
  while (j < buckets) {
    b = j;
    key = key * 2862933555777941757ULL + 1;
    j = static_cast<int64_t>(static_cast<double>(b + 1) * (static_cast<double>(1LL << 31) /
                                                           static_cast<double>((key >> 33) + 1)));
  }
  return static_cast<int32_t>(b);
}

}  // namespace shardkit::hash
