// Fuzzes recovery of the two-phase-commit cores from an arbitrary snapshot
// (Recovered::snapshot, txn/snapshot.h): the participant and the
// coordinator must either recover or refuse with IoError, never crash, hang
// or allocate without bound. A core that recovers must be consistent (a
// participant holds exactly the locks of its in-doubt transactions) and
// export a snapshot that loads back to the very same export.
//
// Input layout (what tests/fuzz/corpus/snapshot/ seeds hold): the snapshot
// bytes, loaded as the snapshot of the LSN its header claims (the 8 bytes at
// offset 19 of a well-formed snapshot, 0 if the input is shorter), with no
// log after it. Both cores get the same bytes; the header's role lets at
// most one of them past it.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "shardkit/txn/coordinator.h"
#include "shardkit/txn/participant.h"

using namespace shardkit;
using namespace shardkit::txn;

namespace {

// magic (8) | kind (1) | length (4) | endianness (1) | version (4) | role (1)
constexpr size_t kLsnOffset = 19;

void CheckStatus(const Status& s) {
  if (!s.ok() && s.code() != Code::kIoError) std::abort();
}

template <class Core, class Make>
void RoundTrip(const Core& core, Make make, Lsn lsn) {
  Result<std::string> exported = core.ExportState();
  if (!exported.ok()) std::abort();
  auto again = make();
  std::vector<Action> out;
  if (!again->Handle(Recovered{{}, lsn + 1, *exported, lsn}, &out).ok()) std::abort();
  Result<std::string> twice = again->ExportState();
  if (!twice.ok() || *twice != *exported) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Recovered r;
  r.snapshot.assign(reinterpret_cast<const char*>(data), size);
  if (size >= kLsnOffset + 8) {
    for (int i = 7; i >= 0; --i) r.snapshot_lsn = r.snapshot_lsn << 8 | data[kLsnOffset + i];
  }
  if (r.snapshot_lsn == UINT64_MAX) return 0;  // no next LSN to give
  r.next_lsn = r.snapshot_lsn + 1;

  const auto participant = [] { return std::make_unique<Participant>(); };
  auto p = participant();
  std::vector<Action> out;
  Status s = p->Handle(r, &out);
  CheckStatus(s);
  if (s.ok()) {
    size_t locked = 0;
    for (const BranchInfo& b : p->Branches()) {
      if (b.state != BranchState::kPrepared) std::abort();
      locked += b.keys.size();
    }
    if (locked != p->locks().size()) std::abort();
    RoundTrip(*p, participant, r.snapshot_lsn);
  }

  const auto coordinator = [] {
    CoordinatorOptions o;
    o.tag = "fuzz";
    return std::make_unique<Coordinator>(o, [](std::string_view) { return std::string("p"); });
  };
  auto c = coordinator();
  out.clear();
  s = c->Handle(r, &out);
  CheckStatus(s);
  if (s.ok()) {
    for (const CoordTxnInfo& t : c->InFlight()) {
      if (t.state != CoordState::kCommitted) std::abort();
    }
    RoundTrip(*c, coordinator, r.snapshot_lsn);
  }
  return 0;
}
