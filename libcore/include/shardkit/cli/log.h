// logfmt logging to stderr: one line per event,
//   ts=2026-11-27T15:04:05.123Z level=info tool=ringctl msg="reloaded ring" generation=9f3c...
// The level comes from --log-level or $SHARDKIT_LOG (error, warn, info, debug).
// The level is process-wide and set once at start-up, before any thread
// starts; logging itself is thread-safe (one write(2) per line).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "shardkit/status/status.h"

namespace shardkit::cli {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

// Reads $SHARDKIT_LOG and remembers the tool name. Called by Main().
void InitLogging(std::string_view tool);
// Sets the level from its name; kUsage for an unknown name.
Status SetLogLevel(std::string_view name);
bool LogEnabled(LogLevel level);

using Field = std::pair<std::string_view, std::string>;
void Log(LogLevel level, std::string_view msg, std::initializer_list<Field> fields = {});
// A line whose fields are already logfmt ("msg=\"...\" key=value"), e.g.
// from a sans-IO core's Note: only the ts, level and tool are added.
void LogLine(LogLevel level, std::string_view logfmt);

inline void LogError(std::string_view m, std::initializer_list<Field> f = {}) {
  Log(LogLevel::kError, m, f);
}
inline void LogWarn(std::string_view m, std::initializer_list<Field> f = {}) {
  Log(LogLevel::kWarn, m, f);
}
inline void LogInfo(std::string_view m, std::initializer_list<Field> f = {}) {
  Log(LogLevel::kInfo, m, f);
}
inline void LogDebug(std::string_view m, std::initializer_list<Field> f = {}) {
  Log(LogLevel::kDebug, m, f);
}

// Appends `value` to *out as a logfmt value: bare when it has no space, quote,
// '=' or control character, otherwise double-quoted with escapes.
void AppendLogfmtValue(std::string* out, std::string_view value);

}  // namespace shardkit::cli
