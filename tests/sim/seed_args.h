// The seed arguments both simulators take: --seed N (one seed) or --seeds
// FIRST:END (FIRST up to END - 1). Header-only: txn_sim and repl_sim share
// no library.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>

namespace simargs {

// Decimal digits only, the whole text.
inline bool ParseU64(const std::string& text, uint64_t* out) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return false;
  *out = std::strtoull(text.c_str(), nullptr, 10);
  return true;
}

// When argv[*i] is --seed or --seeds: consumes its value (advancing *i),
// sets [*first, *end) and returns true; *ok is false for a missing or
// malformed value. Returns false for any other argument.
inline bool SeedArg(int argc, char** argv, int* i, uint64_t* first, uint64_t* end, bool* ok) {
  const std::string arg = argv[*i];
  if (arg != "--seed" && arg != "--seeds") return false;
  *ok = false;
  if (*i + 1 >= argc) return true;
  const std::string value = argv[++*i];
  if (arg == "--seed") {
    *ok = ParseU64(value, first);
    *end = *first + 1;
    return true;
  }
  const size_t colon = value.find(':');
  *ok = colon != std::string::npos && ParseU64(value.substr(0, colon), first) &&
        ParseU64(value.substr(colon + 1), end);
  return true;
}

}  // namespace simargs
