// The SHARDKIT_FAILPOINTS grammar (see failpoint.h).
#include <charconv>
#include <set>

#include "shardkit/failpoint/failpoint.h"

namespace shardkit::failpoint {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Parses a whole decimal string into *out; false on anything else.
bool ParseNumber(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// Parses one "name=action[@N]" entry into *spec, or returns why not.
std::string ParseEntry(std::string_view entry, Spec* spec) {
  size_t eq = entry.find('=');
  if (eq == std::string_view::npos) return "missing '=action'";
  std::string_view name = Trim(entry.substr(0, eq));
  std::string_view action = Trim(entry.substr(eq + 1));
  if (!ValidName(name)) return "bad failpoint name '" + std::string(name) + "'";
  spec->name = std::string(name);

  if (size_t at = action.rfind('@'); at != std::string_view::npos) {
    std::string_view n = Trim(action.substr(at + 1));
    if (!ParseNumber(n, &spec->only_hit) || spec->only_hit == 0) {
      return "bad hit number '" + std::string(n) + "' (want @N with N >= 1)";
    }
    action = Trim(action.substr(0, at));
  }

  if (action == "crash") {
    spec->action = Action::kCrash;
  } else if (action == "error") {
    spec->action = Action::kError;
  } else if (action == "count") {
    spec->action = Action::kCount;
  } else if (action.starts_with("sleep(") && action.ends_with(")")) {
    std::string_view ms = Trim(action.substr(6, action.size() - 7));
    uint64_t value = 0;
    // A day is already far past any test timeout; larger is a typo.
    if (!ParseNumber(ms, &value) || value > 86'400'000) {
      return "bad sleep duration '" + std::string(ms) + "' (want sleep(MILLISECONDS))";
    }
    spec->action = Action::kSleep;
    spec->sleep_ms = static_cast<uint32_t>(value);
  } else {
    return "unknown action '" + std::string(action) + "' (want crash, error, sleep(ms) or count)";
  }
  return "";
}

}  // namespace

Result<std::vector<Spec>> Parse(std::string_view text) {
  std::vector<Spec> specs;
  std::set<std::string, std::less<>> seen;
  size_t index = 0;
  while (true) {
    size_t comma = text.find(',');
    std::string_view entry = Trim(text.substr(0, comma));
    ++index;
    // Blank entries (a trailing comma, an empty variable) are harmless.
    if (!entry.empty()) {
      Spec spec;
      if (std::string why = ParseEntry(entry, &spec); !why.empty()) {
        return Status::Config("SHARDKIT_FAILPOINTS: entry " + std::to_string(index) + " '" +
                              std::string(entry) + "': " + why);
      }
      if (!seen.insert(spec.name).second) {
        return Status::Config("SHARDKIT_FAILPOINTS: failpoint '" + spec.name +
                              "' is configured twice");
      }
      specs.push_back(std::move(spec));
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return specs;
}

}  // namespace shardkit::failpoint
