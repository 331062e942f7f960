#include "shardkit/cli/output.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "shardkit/cli/input.h"
#include "shardkit/cli/log.h"

using shardkit::cli::Record;
using shardkit::cli::Writer;

namespace {

// Runs `fn` with a Writer on a temp file and returns what it wrote.
template <typename Fn>
std::string Capture(Fn fn) {
  FILE* f = std::tmpfile();
  {
    Writer w(fileno(f), 16);  // tiny buffer: exercises spilling
    fn(w);
    REQUIRE(w.Flush().ok());
  }
  std::string out;
  std::rewind(f);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

}  // namespace

TEST_CASE("TSV records escape tabs, newlines and backslashes") {
  std::string out = Capture([](Writer& w) {
    Record(w, false).Str("k", "a\tb\nc\\d").Uint("n", 42).Double("x", 0.5, 3).End();
  });
  CHECK(out == "a\\tb\\nc\\\\d\t42\t0.500\n");
}

TEST_CASE("JSON records are one compact valid object per line") {
  std::string out = Capture([](Writer& w) {
    std::vector<std::string> eps = {"tcp://a:1", "tcp://b:2"};
    Record(w, true).Str("key", "q\"\x01\xff").Int("i", -3).Bool("ok", true).List("eps", eps).End();
  });
  CHECK(out ==
        "{\"key\":\"q\\\"\\u0001\\u00ff\",\"i\":-3,\"ok\":true,\"eps\":[\"tcp://a:1\",\"tcp://"
        "b:2\"]}\n");
}

TEST_CASE("valid UTF-8 passes through JSON strings unchanged") {
  std::string out = Capture([](Writer& w) { shardkit::cli::PutJsonString(w, "zürich ✓"); });
  CHECK(out == "\"zürich ✓\"");
}

TEST_CASE("logfmt values are quoted only when needed") {
  std::string s;
  shardkit::cli::AppendLogfmtValue(&s, "plain");
  s += ' ';
  shardkit::cli::AppendLogfmtValue(&s, "two words=\"x\"\n");
  s += ' ';
  shardkit::cli::AppendLogfmtValue(&s, "");
  CHECK(s == "plain \"two words=\\\"x\\\"\\n\" \"\"");
}

TEST_CASE("log levels parse and unknown ones are usage errors") {
  CHECK(shardkit::cli::SetLogLevel("debug").ok());
  CHECK(shardkit::cli::LogEnabled(shardkit::cli::LogLevel::kDebug));
  CHECK(shardkit::cli::SetLogLevel("warn").ok());
  CHECK_FALSE(shardkit::cli::LogEnabled(shardkit::cli::LogLevel::kInfo));
  auto s = shardkit::cli::SetLogLevel("loud");
  CHECK(s.exit_code() == 64);
  CHECK(shardkit::cli::SetLogLevel("info").ok());
}

namespace {

std::string TempFileWith(const std::string& content) {
  char path[] = "/tmp/linereader.XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, content.data(), content.size()) == ssize_t(content.size()));
  close(fd);
  return path;
}

}  // namespace

TEST_CASE("LineReader streams lines, including a last line without newline") {
  std::string path = TempFileWith("a\nbb\n\nccc");
  shardkit::cli::LineReader in;
  REQUIRE(in.Open(path, 8).ok());
  std::vector<std::string> lines;
  std::string_view l;
  while (in.Next(&l)) lines.emplace_back(l);
  CHECK(in.status().ok());
  CHECK(lines == std::vector<std::string>{"a", "bb", "", "ccc"});
  unlink(path.c_str());
}

TEST_CASE("LineReader handles lines that straddle its buffer") {
  std::string content;
  for (int i = 0; i < 50000; ++i) content += "key:" + std::to_string(i) + "\n";
  std::string path = TempFileWith(content);
  shardkit::cli::LineReader in;
  REQUIRE(in.Open(path).ok());
  std::string_view l;
  int n = 0;
  bool in_order = true;
  while (in.Next(&l)) in_order &= (l == "key:" + std::to_string(n++));
  CHECK(in.status().ok());
  CHECK(n == 50000);
  CHECK(in_order);
  unlink(path.c_str());
}

TEST_CASE("LineReader rejects over-long lines and NUL bytes with the line number") {
  std::string path = TempFileWith("ok\n" + std::string(100, 'x') + "\n");
  shardkit::cli::LineReader in;
  REQUIRE(in.Open(path, 64).ok());
  std::string_view l;
  CHECK(in.Next(&l));
  CHECK_FALSE(in.Next(&l));
  CHECK(in.status().exit_code() == 65);
  CHECK_THAT(in.status().message(), Catch::Matchers::Contains(":2: line longer than 64 bytes"));
  unlink(path.c_str());

  path = TempFileWith(std::string("a\nb\0c\n", 6));
  shardkit::cli::LineReader in2;
  REQUIRE(in2.Open(path).ok());
  CHECK(in2.Next(&l));
  CHECK_FALSE(in2.Next(&l));
  CHECK_THAT(in2.status().message(), Catch::Matchers::Contains(":2: NUL byte"));
  unlink(path.c_str());
}

TEST_CASE("LineReader reports a missing file as exit 66") {
  shardkit::cli::LineReader in;
  auto s = in.Open("/nonexistent/keys");
  CHECK(s.exit_code() == 66);
}
