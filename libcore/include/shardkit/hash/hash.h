// Hash primitives. Thin wrappers over xxHash, nettle (MD5) and zlib (CRC32):
// shardkit writes no hash primitive by hand.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace shardkit::hash {

uint64_t Xxh3(std::string_view data, uint64_t seed = 0);
uint64_t Xxh64(std::string_view data, uint64_t seed = 0);
std::array<uint8_t, 16> Md5(std::string_view data);
// libketama's ketama_hashi(): the first four MD5 bytes as a little-endian u32.
uint32_t Md5Le32(std::string_view data);
// zlib crc32, continuing from `prev` (0 starts a new checksum).
uint32_t Crc32(std::string_view data, uint32_t prev = 0);
// Lamping & Veach jump consistent hash: a bucket in [0, buckets). buckets > 0.
int32_t JumpHash(uint64_t key, int32_t buckets);

}  // namespace shardkit::hash
