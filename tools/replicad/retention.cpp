// ViewRetention and BytesFrom (retention.h). Segments are named by their
// first LSN (wal/record.h), so listing DIR/wal with sizes and times is all
// it takes; the writer may delete one while we look, which is harmless.
#include "retention.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace replicad {

using namespace shardkit;

namespace {

struct Segment {
  uint64_t first_lsn = 0;
  uint64_t bytes = 0;
  std::chrono::system_clock::time_point mtime;
};

Result<std::vector<Segment>> ListSegments(const std::string& wal_dir) {
  std::vector<Segment> out;
  std::error_code ec;
  std::filesystem::directory_iterator it(wal_dir, ec);
  if (ec) return Status::IoError("cannot list " + wal_dir + ": " + ec.message());
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (name.size() != 24 || !name.ends_with(".seg")) continue;
    uint64_t lsn = 0;
    bool digits = true;
    for (size_t i = 0; i < 20; ++i) {
      if (name[i] < '0' || name[i] > '9') digits = false;
      lsn = lsn * 10 + static_cast<uint64_t>(name[i] - '0');
    }
    if (!digits) continue;
    struct stat st;
    if (::stat(entry.path().c_str(), &st) != 0) continue;  // deleted meanwhile
    Segment s;
    s.first_lsn = lsn;
    s.bytes = static_cast<uint64_t>(st.st_size);
    s.mtime = std::chrono::system_clock::from_time_t(st.st_mtime);
    out.push_back(s);
  }
  std::sort(out.begin(), out.end(),
            [](const Segment& a, const Segment& b) { return a.first_lsn < b.first_lsn; });
  return out;
}

}  // namespace

Result<RetentionView> ViewRetention(const std::string& wal_dir, const RetentionCap& cap) {
  auto segments = ListSegments(wal_dir);
  if (!segments.ok()) return segments.status();
  RetentionView v;
  if (!segments->empty()) v.first_lsn = segments->front().first_lsn;
  const auto now = std::chrono::system_clock::now();
  uint64_t kept = 0;
  // From the newest segment back: the first one that breaks the cap, and
  // everything older, may go.
  for (auto it = segments->rbegin(); it != segments->rend(); ++it) {
    v.log_bytes += it->bytes;
    if (v.cap_lsn != 0) continue;
    const bool newest = it == segments->rbegin();  // always kept: it is being written
    kept += it->bytes;
    if (!newest && (kept > cap.max_bytes || now - it->mtime > cap.max_age)) {
      v.cap_lsn = std::prev(it)->first_lsn;
    }
  }
  return v;
}

Result<uint64_t> BytesFrom(const std::string& wal_dir, uint64_t lsn) {
  auto segments = ListSegments(wal_dir);
  if (!segments.ok()) return segments.status();
  uint64_t bytes = 0;
  for (const Segment& s : *segments) {
    // The segment holding lsn counts whole: an estimate within one segment.
    if (&s == &segments->back() || (&s + 1)->first_lsn > lsn) bytes += s.bytes;
  }
  return bytes;
}

}  // namespace replicad
