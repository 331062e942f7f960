// cli::Main's tool-level help (tool.h): the verb list and the manual page it
// points to, whose section comes from Tool::man_section (1 unless set, 8 for
// a daemon such as replicad).
#include "shardkit/cli/tool.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <vector>

using shardkit::cli::Tool;
using shardkit::cli::Verb;

namespace {

int RunNothing(const Tool&, const Verb&, int, char**) { return 0; }

constexpr Verb kVerbs[] = {{"serve", "serve something", RunNothing}};

struct Run {
  int exit_code = -1;
  std::string out;
};

// Runs cli::Main(tool, {"demo", args...}) with stdout sent to a temp file.
Run RunMain(const Tool& tool, std::vector<std::string> args) {
  std::vector<char*> argv;
  std::string name(tool.name);
  argv.push_back(name.data());
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  Run run;
  FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  std::fflush(stdout);
  const int saved = ::dup(STDOUT_FILENO);
  REQUIRE(saved >= 0);
  REQUIRE(::dup2(fileno(f), STDOUT_FILENO) >= 0);
  run.exit_code = shardkit::cli::Main(tool, static_cast<int>(argv.size() - 1), argv.data());
  std::fflush(stdout);
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  std::rewind(f);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) run.out.append(buf, n);
  std::fclose(f);
  return run;
}

}  // namespace

TEST_CASE("tool --help lists the verbs and names the section 1 page by default", "[cli][tool]") {
  // Designated initializers leave man_section at its default.
  const Tool tool{.name = "demo", .version = "0.0", .summary = "a demo", .verbs = kVerbs};
  CHECK(tool.man_section == 1);
  Run run = RunMain(tool, {"--help"});
  CHECK(run.exit_code == 0);
  CHECK(run.out.find("  serve      serve something\n") != std::string::npos);
  CHECK(run.out.find("\nSee demo(1) for details.\n") != std::string::npos);
}

TEST_CASE("a daemon's help names its section 8 page", "[cli][tool]") {
  const Tool tool{"demod", "0.0", "a demo daemon", kVerbs, 8};
  Run run = RunMain(tool, {"--help"});
  CHECK(run.exit_code == 0);
  CHECK(run.out.find("\nSee demod(8) for details.\n") != std::string::npos);
  CHECK(run.out.find("(1)") == std::string::npos);
  // Without arguments the same help goes to stdout, with the usage exit code.
  run = RunMain(tool, {});
  CHECK(run.exit_code == 64);
  CHECK(run.out.find("\nSee demod(8) for details.\n") != std::string::npos);
}
