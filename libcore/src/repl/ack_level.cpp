// Ack levels: parsing, printing, ordering, and the LSN a level confirms
// (ack_level.h). Pure functions; no I/O.
#include "shardkit/repl/ack_level.h"

#include <algorithm>
#include <functional>

namespace shardkit::repl {
namespace {

// The most replicas a level may ask for. A group larger than this is not a
// supported configuration, and a bound keeps a typo ("flushed:100") from
// producing a level that can never be met.
constexpr uint32_t kMaxAckReplicas = 16;

constexpr std::string_view kExpected =
    "expected none, local, received:K, flushed:K, applied:K or K (1 <= K <= 16)";

// Parses a replica count: decimal digits only, 1..kMaxAckReplicas.
Result<uint32_t> ParseReplicaCount(std::string_view digits, std::string_view text) {
  const std::string quoted = "'" + std::string(text) + "'";
  if (digits.empty()) {
    return Status::Usage("ack level " + quoted + " has no replica count, " +
                         std::string(kExpected));
  }
  if (digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return Status::Usage("ack level " + quoted + ": replica count '" + std::string(digits) +
                         "' is not a number");
  }
  uint32_t k = 0;
  for (const char c : digits) {
    k = k * 10 + static_cast<uint32_t>(c - '0');
    if (k > kMaxAckReplicas) break;  // out of range already; never overflows
  }
  if (k < 1 || k > kMaxAckReplicas) {
    return Status::Usage("ack level " + quoted + ": replica count '" + std::string(digits) +
                         "' is out of range 1.." + std::to_string(kMaxAckReplicas));
  }
  return k;
}

}  // namespace

bool AckLevel::AtLeast(const AckLevel& other) const {
  return static_cast<uint8_t>(kind) >= static_cast<uint8_t>(other.kind) && k >= other.k;
}

Result<AckLevel> ParseAckLevel(std::string_view text) {
  if (text.empty()) return Status::Usage("empty ack level, " + std::string(kExpected));
  if (text == "none") return AckLevel{AckKind::kNone, 0};
  if (text == "local") return AckLevel{AckKind::kLocal, 0};

  AckKind kind = AckKind::kFlushed;  // a bare count
  std::string_view count = text;
  if (const size_t colon = text.find(':'); colon != std::string_view::npos) {
    const std::string_view name = text.substr(0, colon);
    count = text.substr(colon + 1);
    if (name == "received") {
      kind = AckKind::kReceived;
    } else if (name == "flushed") {
      kind = AckKind::kFlushed;
    } else if (name == "applied") {
      kind = AckKind::kApplied;
    } else {
      return Status::Usage("unknown ack level '" + std::string(text) + "', " +
                           std::string(kExpected));
    }
  } else if (text.find_first_not_of("0123456789") != std::string_view::npos) {
    return Status::Usage("unknown ack level '" + std::string(text) + "', " +
                         std::string(kExpected));
  }
  auto k = ParseReplicaCount(count, text);
  if (!k.ok()) return k.status();
  return AckLevel{kind, *k};
}

std::string FormatAckLevel(const AckLevel& level) {
  switch (level.kind) {
    case AckKind::kNone:
      return "none";
    case AckKind::kLocal:
      return "local";
    case AckKind::kReceived:
      return "received:" + std::to_string(level.k);
    case AckKind::kFlushed:
      return "flushed:" + std::to_string(level.k);
    case AckKind::kApplied:
      return "applied:" + std::to_string(level.k);
  }
  return "unknown:" + std::to_string(static_cast<int>(level.kind));
}

uint64_t AckedLsn(const AckLevel& level, uint64_t durable_lsn,
                  const std::vector<uint64_t>& received, const std::vector<uint64_t>& flushed,
                  const std::vector<uint64_t>& applied) {
  const std::vector<uint64_t>* positions = nullptr;
  switch (level.kind) {
    case AckKind::kNone:
      return UINT64_MAX;
    case AckKind::kLocal:
      return durable_lsn;
    case AckKind::kReceived:
      positions = &received;
      break;
    case AckKind::kFlushed:
      positions = &flushed;
      break;
    case AckKind::kApplied:
      positions = &applied;
      break;
  }
  if (positions == nullptr) return 0;  // an out-of-range kind confirms nothing
  if (level.k == 0) return durable_lsn;
  if (positions->size() < level.k) return 0;
  // The k-th highest position: at least k replicas hold everything up to it.
  std::vector<uint64_t> sorted(*positions);
  const auto kth = sorted.begin() + (level.k - 1);
  std::nth_element(sorted.begin(), kth, sorted.end(), std::greater<>());
  return std::min(*kth, durable_lsn);
}

}  // namespace shardkit::repl
