// libFuzzer target for the DIR/epochs and DIR/vote parsers (repl/epochs.h).
// The same input is fed to both.
//
// Beyond "no crash, no sanitizer report, no huge allocation", it checks:
//   - every refusal has a message ("line N: ..." or the size limit);
//   - what ParseEpochs accepts is a valid state (history invariants, current
//     epoch at least the last one), prints to text that parses back to the
//     same state, and that text is the input itself, give or take the
//     "current" line Format adds when the input had none;
//   - what ParseVote accepts prints back to exactly the input;
//   - EndOfEpoch on an accepted history finds each of its epochs, ending no
//     earlier than just before the epoch's start.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "shardkit/repl/epochs.h"

namespace {

using namespace shardkit::repl;

void CheckRefusal(const shardkit::Status& s) {
  if (s.ok()) return;
  if (s.code() != shardkit::Code::kDataError || s.message().empty()) __builtin_trap();
  const bool line = s.message().rfind("line ", 0) == 0;
  const bool size = s.message().find("-byte limit") != std::string::npos;
  if (!line && !size) __builtin_trap();
}

void CheckEpochs(std::string_view text) {
  DurableState state;
  const shardkit::Status s = ParseEpochs(text, &state);
  CheckRefusal(s);
  if (!s.ok()) return;
  const History& h = state.history;
  if (!ValidateHistory(h).ok()) __builtin_trap();
  if (!h.empty() && state.current_epoch < h.back().epoch) __builtin_trap();

  const std::string printed = FormatEpochs(state);
  DurableState again;
  if (!ParseEpochs(printed, &again).ok() || !(again == state)) __builtin_trap();
  if (printed != text) {
    const std::string added = "current " + std::to_string(state.current_epoch) + "\n";
    if (text.rfind("current ", 0) == 0 || printed != added + std::string(text)) __builtin_trap();
  }

  if (h.empty()) return;
  const uint64_t last_lsn = h.back().start_lsn;
  for (const auto& entry : h) {
    const EpochEnd end = EndOfEpoch(h, entry.epoch, last_lsn);
    if (end.epoch != entry.epoch) __builtin_trap();
    if (entry.start_lsn > 0 && end.end_lsn < entry.start_lsn - 1) __builtin_trap();
  }
}

void CheckVote(std::string_view text) {
  DurableState state;
  const shardkit::Status s = ParseVote(text, &state);
  CheckRefusal(s);
  if (!s.ok()) return;
  if (FormatVote(state) != text) __builtin_trap();
  if ((state.voted_epoch == 0) != state.voted_for.empty()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckEpochs(text);
  CheckVote(text);
  return 0;
}
