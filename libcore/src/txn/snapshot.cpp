// Framing of core state snapshots (snapshot.h has the layout).
#include "shardkit/txn/snapshot.h"

#include <cstring>

namespace shardkit::txn {
namespace {

constexpr size_t kFrameBytes = 5;  // kind u8 | length u32

bool BelongsTo(SnapshotRole role, uint8_t kind) {
  switch (static_cast<SnapshotSection>(kind)) {
    case SnapshotSection::kHeader:
    case SnapshotSection::kEnd:
      return true;
    case SnapshotSection::kStore:
    case SnapshotSection::kBranch:
    case SnapshotSection::kHeuristic:
    case SnapshotSection::kFinished:
      return role == SnapshotRole::kParticipant;
    case SnapshotSection::kDecision:
    case SnapshotSection::kRemembered:
    case SnapshotSection::kDecided:
    case SnapshotSection::kMismatch:
      return role == SnapshotRole::kCoordinator;
  }
  return false;
}

std::string_view RoleName(uint8_t role) {
  switch (static_cast<SnapshotRole>(role)) {
    case SnapshotRole::kParticipant:
      return "participant";
    case SnapshotRole::kCoordinator:
      return "coordinator";
  }
  return "unknown";
}

}  // namespace

std::string_view SnapshotSectionName(SnapshotSection kind) {
  switch (kind) {
    case SnapshotSection::kHeader:
      return "HEADER";
    case SnapshotSection::kEnd:
      return "END";
    case SnapshotSection::kStore:
      return "STORE";
    case SnapshotSection::kBranch:
      return "BRANCH";
    case SnapshotSection::kHeuristic:
      return "HEURISTIC";
    case SnapshotSection::kFinished:
      return "FINISHED";
    case SnapshotSection::kDecision:
      return "DECISION";
    case SnapshotSection::kRemembered:
      return "REMEMBERED";
    case SnapshotSection::kDecided:
      return "DECIDED";
    case SnapshotSection::kMismatch:
      return "MISMATCH";
  }
  return "UNKNOWN";
}

SnapshotEncoder::SnapshotEncoder(SnapshotRole role, Lsn lsn) {
  out_.append(kSnapshotMagic);
  Add(SnapshotSection::kHeader, SnapshotHeader{kSnapshotVersion, static_cast<uint8_t>(role), lsn});
}

void SnapshotEncoder::AddEncoded(SnapshotSection kind, std::string body) {
  if (!error_.ok()) return;
  if (body.size() > wire::kMaxMessageBytes) {
    error_ = Status::Internal("snapshot: a " + std::string(SnapshotSectionName(kind)) +
                              " section of " + std::to_string(body.size()) + " bytes exceeds the " +
                              std::to_string(wire::kMaxMessageBytes) + "-byte limit");
    return;
  }
  const auto size = static_cast<uint32_t>(body.size());
  out_.push_back(static_cast<char>(kind));
  for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((size >> (8 * i)) & 0xff));
  out_.append(body);
  ++sections_;
}

Result<std::string> SnapshotEncoder::Finish() && {
  Add(SnapshotSection::kEnd, SnapshotEnd{sections_});
  if (!error_.ok()) return error_;
  return std::move(out_);
}

Status SnapshotDecoder::Fail(const std::string& what) const {
  return Status::IoError("snapshot: " + what + " (section at offset " +
                         std::to_string(section_at_) + ")");
}

Result<SnapshotDecoder> SnapshotDecoder::Open(std::string_view bytes, SnapshotRole role, Lsn lsn) {
  if (bytes.size() < kSnapshotMagic.size() ||
      bytes.substr(0, kSnapshotMagic.size()) != kSnapshotMagic) {
    return Status::IoError("snapshot: bad magic (not a transaction-core snapshot)");
  }
  SnapshotDecoder d(bytes, role);
  d.pos_ = kSnapshotMagic.size();
  SnapshotSection kind;
  std::string_view body;
  Result<bool> more = d.Next(&kind, &body);
  if (!more.ok()) return more.status();
  if (!*more || kind != SnapshotSection::kHeader) return d.Fail("the first section is not HEADER");
  SnapshotHeader h;
  SK_RETURN_IF_ERROR(d.Decode(kind, body, &h));
  if (h.version != kSnapshotVersion) {
    return d.Fail("format version " + std::to_string(h.version) + ", this build reads " +
                  std::to_string(kSnapshotVersion));
  }
  if (h.role != static_cast<uint8_t>(role)) {
    return d.Fail("a " + std::string(RoleName(h.role)) + " snapshot, expected a " +
                  std::string(RoleName(static_cast<uint8_t>(role))) + " one");
  }
  if (h.lsn != lsn) {
    return d.Fail("the snapshot is of lsn " + std::to_string(h.lsn) + ", but was loaded as lsn " +
                  std::to_string(lsn));
  }
  return d;
}

Result<bool> SnapshotDecoder::Next(SnapshotSection* kind, std::string_view* body) {
  section_at_ = pos_;
  if (last_kind_ == static_cast<uint8_t>(SnapshotSection::kEnd)) return false;
  const size_t left = bytes_.size() - pos_;
  if (left < kFrameBytes) return Fail("truncated: no END section");
  const auto* p = reinterpret_cast<const unsigned char*>(bytes_.data() + pos_);
  const uint8_t k = p[0];
  const uint32_t size =
      uint32_t{p[1]} | uint32_t{p[2]} << 8 | uint32_t{p[3]} << 16 | uint32_t{p[4]} << 24;
  if (size > left - kFrameBytes) {
    return Fail("section of " + std::to_string(size) + " bytes, only " +
                std::to_string(left - kFrameBytes) + " left");
  }
  if (!BelongsTo(role_, k)) {
    return Fail("section kind " + std::to_string(k) + " does not belong in a " +
                std::string(RoleName(static_cast<uint8_t>(role_))) + " snapshot");
  }
  const bool header = k == static_cast<uint8_t>(SnapshotSection::kHeader);
  if (header != (sections_ == 0)) return Fail("HEADER must come first, and only once");
  const bool end = k == static_cast<uint8_t>(SnapshotSection::kEnd);
  if (!end && k < last_kind_) {
    return Fail(std::string(SnapshotSectionName(static_cast<SnapshotSection>(k))) +
                " section after " +
                std::string(SnapshotSectionName(static_cast<SnapshotSection>(last_kind_))));
  }
  *kind = static_cast<SnapshotSection>(k);
  *body = bytes_.substr(pos_ + kFrameBytes, size);
  pos_ += kFrameBytes + size;
  last_kind_ = k;
  if (end) {
    SnapshotEnd e;
    SK_RETURN_IF_ERROR(Decode(*kind, *body, &e));
    if (e.sections != sections_) {
      return Fail("END counts " + std::to_string(e.sections) + " sections, found " +
                  std::to_string(sections_));
    }
    if (pos_ != bytes_.size()) {
      return Fail(std::to_string(bytes_.size() - pos_) + " bytes after the END section");
    }
    return false;
  }
  ++sections_;
  return true;
}

}  // namespace shardkit::txn
