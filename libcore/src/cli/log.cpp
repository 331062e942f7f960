#include "shardkit/cli/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace shardkit::cli {
namespace {

// Set once at start-up (see log.h); atomics keep later reads race-free.
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::string g_tool;

constexpr std::string_view kLevelNames[] = {"error", "warn", "info", "debug"};

}  // namespace

void InitLogging(std::string_view tool) {
  g_tool = tool;
  if (const char* env = std::getenv("SHARDKIT_LOG")) {
    // A bad $SHARDKIT_LOG must not stop the tool; keep the default.
    (void)SetLogLevel(env);
  }
}

Status SetLogLevel(std::string_view name) {
  for (int i = 0; i < 4; ++i) {
    if (kLevelNames[i] == name) {
      g_level.store(i);
      return Status::Ok();
    }
  }
  return Status::Usage("unknown log level '" + std::string(name) +
                       "' (expected error, warn, info or debug)");
}

bool LogEnabled(LogLevel level) { return static_cast<int>(level) <= g_level.load(); }

void AppendLogfmtValue(std::string* out, std::string_view value) {
  bool quote = value.empty();
  for (unsigned char c : value) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) {
      quote = true;
      break;
    }
  }
  if (!quote) {
    out->append(value);
    return;
  }
  out->push_back('"');
  for (unsigned char c : value) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\r':
        out->append("\\r");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out->append(buf);
        } else {
          out->push_back(char(c));
        }
    }
  }
  out->push_back('"');
}

namespace {

// "ts=... level=... tool=... " for a line at `level`.
std::string LinePrefix(LogLevel level) {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t secs = system_clock::to_time_t(now);
  int ms = int(duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm;
  gmtime_r(&secs, &tm);
  char ts[96];
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  std::string line = "ts=";
  line.append(ts);
  line.append(" level=");
  line.append(kLevelNames[static_cast<int>(level)]);
  if (!g_tool.empty()) {
    line.append(" tool=");
    line.append(g_tool);
  }
  line.push_back(' ');
  return line;
}

void WriteLine(std::string& line) {
  line.push_back('\n');
  // One write per line keeps lines whole when threads log concurrently.
  ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
  (void)n;
}

}  // namespace

void LogLine(LogLevel level, std::string_view logfmt) {
  if (!LogEnabled(level)) return;
  std::string line = LinePrefix(level);
  line.append(logfmt);
  WriteLine(line);
}

void Log(LogLevel level, std::string_view msg, std::initializer_list<Field> fields) {
  if (!LogEnabled(level)) return;
  std::string line = LinePrefix(level);
  line.append("msg=");
  AppendLogfmtValue(&line, msg);
  for (const Field& f : fields) {
    line.push_back(' ');
    line.append(f.first);
    line.push_back('=');
    AppendLogfmtValue(&line, f.second);
  }
  WriteLine(line);
}

}  // namespace shardkit::cli
