// Encoding and checking the record header laid out in wal/record.h.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "shardkit/wal/record.h"

namespace shardkit::wal {

inline constexpr size_t kLengthOffset = 0;
inline constexpr size_t kChecksumOffset = 4;
inline constexpr size_t kTypeOffset = 12;
inline constexpr size_t kEpochOffset = 13;
inline constexpr size_t kLsnOffset = 21;
// The checksum covers everything after itself.
inline constexpr size_t kChecksummedOffset = kTypeOffset;

static_assert(kLsnOffset + 8 == kRecordHeaderBytes);

template <typename T>
inline void StoreLe(char* p, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

template <typename T>
inline T LoadLe(const char* p) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= T(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

// Writes the header of a record whose payload is already at p+29, leaving
// the checksum zero (SealRecord fills it in later, off the caller's thread).
inline void EncodeHeader(char* p, uint8_t type, uint64_t epoch, uint64_t lsn, uint32_t length) {
  StoreLe<uint32_t>(p + kLengthOffset, length);
  StoreLe<uint64_t>(p + kChecksumOffset, 0);
  p[kTypeOffset] = static_cast<char>(type);
  StoreLe<uint64_t>(p + kEpochOffset, epoch);
  StoreLe<uint64_t>(p + kLsnOffset, lsn);
}

inline uint32_t RecordLength(const char* header) { return LoadLe<uint32_t>(header); }
inline uint64_t RecordLsn(const char* header) { return LoadLe<uint64_t>(header + kLsnOffset); }

// The checksum of a complete record (header and payload contiguous at p).
inline uint64_t ComputeChecksum(const char* p, uint32_t length) {
  return XXH3_64bits_withSeed(p + kChecksummedOffset,
                              kRecordHeaderBytes - kChecksummedOffset + length, length);
}

// Fills in the checksum of a complete encoded record at p.
inline void SealRecord(char* p) {
  StoreLe<uint64_t>(p + kChecksumOffset, ComputeChecksum(p, RecordLength(p)));
}

// True when the complete record at p (header plus RecordLength(p) payload
// bytes, all readable) carries a matching checksum.
inline bool ChecksumMatches(const char* p) {
  return LoadLe<uint64_t>(p + kChecksumOffset) == ComputeChecksum(p, RecordLength(p));
}

inline Record DecodeRecord(const char* p) {
  Record r;
  r.type = static_cast<uint8_t>(p[kTypeOffset]);
  r.epoch = LoadLe<uint64_t>(p + kEpochOffset);
  r.lsn = RecordLsn(p);
  r.payload = std::string_view(p + kRecordHeaderBytes, RecordLength(p));
  return r;
}

// An owned streaming XXH3 state (snapshots hash a stream of entries).
struct HashStateDeleter {
  void operator()(XXH3_state_t* s) const { XXH3_freeState(s); }
};
using HashState = std::unique_ptr<XXH3_state_t, HashStateDeleter>;

// A reset state, or null when out of memory.
inline HashState NewHashState() {
  HashState h(XXH3_createState());
  if (h) XXH3_64bits_reset(h.get());
  return h;
}

}  // namespace shardkit::wal
