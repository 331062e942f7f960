// Fuzzes recovery of the two-phase-commit cores from arbitrary log records:
// the participant and the coordinator must either recover or refuse with
// IoError, never crash, hang or allocate without bound, and a participant
// that recovers must hold exactly the locks of its in-doubt transactions.
//
// Input layout (what tests/fuzz/corpus/txn_recovery/ seeds hold): a sequence
// of records, each a type byte, a little-endian uint16 payload length and
// the payload. LSNs are 1, 2, 3, ... in order.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "shardkit/txn/coordinator.h"
#include "shardkit/txn/participant.h"
#include "shardkit/txn/records.h"

using namespace shardkit;
using namespace shardkit::txn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Recovered r;
  size_t pos = 0;
  while (pos + 3 <= size) {
    const uint8_t type = data[pos];
    const size_t len = data[pos + 1] | (size_t{data[pos + 2]} << 8);
    pos += 3;
    if (len > size - pos) break;
    r.records.push_back(LogEntry{r.records.size() + 1, type,
                                 std::string(reinterpret_cast<const char*>(data + pos), len)});
    (void)DescribeRecord(type, r.records.back().payload);
    pos += len;
  }
  r.next_lsn = r.records.size() + 1;

  std::vector<Action> out;
  Participant p;
  Status s = p.Handle(r, &out);
  if (!s.ok() && s.code() != Code::kIoError) std::abort();
  if (s.ok()) {
    size_t locked = 0;
    for (const BranchInfo& b : p.Branches()) {
      if (b.state != BranchState::kPrepared) std::abort();
      locked += b.keys.size();
    }
    if (locked != p.locks().size()) std::abort();
  }

  CoordinatorOptions o;
  o.tag = "fuzz";
  Coordinator c(o, [](std::string_view) { return std::string("p"); });
  out.clear();
  s = c.Handle(r, &out);
  if (!s.ok() && s.code() != Code::kIoError) std::abort();
  return 0;
}
