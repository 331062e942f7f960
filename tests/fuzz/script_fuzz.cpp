// Fuzzes the transaction-script parser (txn/script.h). Beyond "no crash, no
// hang, no unbounded allocation", it checks that:
//   - every error is a DataError "line N: ..." and the reader moves on;
//   - every transaction it accepts respects the limits and passes
//     ValidateOps, so nothing the parser lets through is refused later;
//   - printing an accepted transaction back as a script (EscapeField) parses
//     to the same ops;
//   - EscapeField and UnescapeField round-trip any bytes.
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "shardkit/txn/ops.h"
#include "shardkit/txn/script.h"

namespace {

using namespace shardkit;
using namespace shardkit::txn;

std::string Render(const std::vector<wire::Op>& ops) {
  std::string out;
  for (const wire::Op& op : ops) {
    switch (op.kind) {
      case wire::OpKind::kPut:
        out += "put " + EscapeField(op.key) + " " + EscapeField(op.value);
        break;
      case wire::OpKind::kDel:
        out += "del " + EscapeField(op.key);
        break;
      case wire::OpKind::kGet:
        out += "get " + EscapeField(op.key);
        break;
      case wire::OpKind::kCheckEq:
        out += "check " + EscapeField(op.key) + " = " + EscapeField(op.value);
        break;
      case wire::OpKind::kCheckAbsent:
        out += "check " + EscapeField(op.key) + " absent";
        break;
    }
    out += "\n";
  }
  return out + "commit\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const ScriptLimits limits{64, 256, 50, 4096};
  std::istringstream in(text);
  ScriptReader reader(in, limits);
  ScriptTxn txn;
  for (size_t guard = 0; guard <= size + 1; ++guard) {
    Result<bool> r = reader.Next(&txn);
    if (!r.ok()) {
      if (r.status().code() != Code::kDataError || r.status().message().rfind("line ", 0) != 0) {
        std::abort();
      }
      continue;
    }
    if (!*r) break;
    if (txn.ops.empty() || txn.ops.size() > limits.max_ops || txn.first_line == 0) std::abort();
    if (!ValidateOps(txn.ops).ok()) std::abort();
    for (const wire::Op& op : txn.ops) {
      if (op.key.size() > limits.max_key_bytes || op.value.size() > limits.max_value_bytes) {
        std::abort();
      }
    }
    std::istringstream again(Render(txn.ops));
    ScriptReader reader2(again, limits);
    ScriptTxn txn2;
    Result<bool> r2 = reader2.Next(&txn2);
    if (!r2.ok() || !*r2 || txn2.ops != txn.ops) std::abort();
  }
  Result<std::string> back = UnescapeField(EscapeField(text));
  if (!back.ok() || *back != text) std::abort();
  return 0;
}
