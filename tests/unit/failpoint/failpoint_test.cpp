#include "shardkit/failpoint/failpoint.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <string>

using shardkit::Code;
using shardkit::Status;
namespace fp = shardkit::failpoint;

namespace {

const fp::Point kTestPoint{"test.point"};
const fp::Point kOtherPoint{"test.other-point"};

struct ChildResult {
  int status = 0;
  std::string err;  // the child's stderr
};

// Runs `body` in a forked child with stderr captured; the child exits 0 if
// body returns.
template <typename F>
ChildResult RunChild(F body) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(fds[1], STDERR_FILENO);
    ::close(fds[0]);
    body();
    ::_exit(0);
  }
  ::close(fds[1]);
  ChildResult r;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) r.err.append(buf, size_t(n));
  ::close(fds[0]);
  REQUIRE(::waitpid(pid, &r.status, 0) == pid);
  return r;
}

// Re-executes this test binary running only the hidden test case `tag`, with
// SHARDKIT_FAILPOINTS set to `env` (the environment is read once per
// process, so reading it needs a fresh one).
ChildResult ExecChild(const std::string& tag, const char* env) {
  return RunChild([&] {
    if (env) {
      ::setenv("SHARDKIT_FAILPOINTS", env, 1);
    } else {
      ::unsetenv("SHARDKIT_FAILPOINTS");
    }
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::execl("/proc/self/exe", "unit_failpoint", tag.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  });
}

}  // namespace

TEST_CASE("the grammar accepts every action, hit numbers and blanks", "[failpoint]") {
  auto specs = fp::Parse(" a.b=crash, c-d=error@3 ,e_f=sleep( 50 ),g=count,, h=crash@1 ");
  REQUIRE(specs.ok());
  REQUIRE(specs->size() == 5);
  CHECK((*specs)[0].name == "a.b");
  CHECK((*specs)[0].action == fp::Action::kCrash);
  CHECK((*specs)[0].only_hit == 0);
  CHECK((*specs)[1].action == fp::Action::kError);
  CHECK((*specs)[1].only_hit == 3);
  CHECK((*specs)[2].action == fp::Action::kSleep);
  CHECK((*specs)[2].sleep_ms == 50);
  CHECK((*specs)[3].action == fp::Action::kCount);
  CHECK((*specs)[4].only_hit == 1);
  CHECK(fp::Parse("")->empty());
  CHECK(fp::Parse(" , ")->empty());
}

TEST_CASE("malformed configurations are config errors naming the entry", "[failpoint]") {
  struct Case {
    const char* text;
    const char* needle;
  };
  for (const Case& c :
       {Case{"a=crash,b", "entry 2 'b': missing '=action'"},
        Case{"a=crsh", "unknown action 'crsh'"}, Case{"a=sleep(x)", "bad sleep duration 'x'"},
        Case{"a=sleep(10", "unknown action"}, Case{"a=error@0", "bad hit number '0'"},
        Case{"a=error@two", "bad hit number 'two'"}, Case{"a b=crash", "bad failpoint name 'a b'"},
        Case{"=crash", "bad failpoint name ''"},
        Case{"a=count,a=crash", "'a' is configured twice"}}) {
    INFO(c.text);
    auto specs = fp::Parse(c.text);
    REQUIRE_FALSE(specs.ok());
    CHECK(specs.status().code() == Code::kConfig);
    CHECK(specs.status().exit_code() == 78);
    CHECK(specs.status().message().find(c.needle) != std::string::npos);
  }
}

TEST_CASE("an error action makes only that point fail, and every hit counts", "[failpoint]") {
  REQUIRE(fp::Configure("test.point=error").ok());
  Status s = kTestPoint.Hit();
  CHECK(s.code() == Code::kIoError);
  CHECK(s.message() == "failpoint test.point: injected error");
  CHECK(kOtherPoint.Hit().ok());
  CHECK(fp::Hit("test.point").code() == Code::kIoError);
  CHECK(fp::Hits("test.point") == 2);
  CHECK(fp::Hits("test.other-point") == 1);
  REQUIRE(fp::Configure("").ok());
  CHECK(kTestPoint.Hit().ok());
  CHECK(fp::Hits("test.point") == 0);
}

TEST_CASE("@N fires only on the Nth hit", "[failpoint]") {
  REQUIRE(fp::Configure("test.point=error@3").ok());
  CHECK(kTestPoint.Hit().ok());
  CHECK(kTestPoint.Hit().ok());
  CHECK_FALSE(kTestPoint.Hit().ok());
  CHECK(kTestPoint.Hit().ok());
  CHECK(fp::Hits("test.point") == 4);
  REQUIRE(fp::Configure("").ok());
}

TEST_CASE("count only counts and sleep delays", "[failpoint]") {
  REQUIRE(fp::Configure("test.point=count,test.other-point=sleep(30)").ok());
  for (int i = 0; i < 5; ++i) CHECK(kTestPoint.Hit().ok());
  CHECK(fp::Hits("test.point") == 5);
  const auto start = std::chrono::steady_clock::now();
  CHECK(kOtherPoint.Hit().ok());
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(30));
  REQUIRE(fp::Configure("").ok());
}

TEST_CASE("a bad Configure keeps the previous configuration", "[failpoint]") {
  REQUIRE(fp::Configure("test.point=error").ok());
  CHECK(fp::Configure("test.point=nonsense").code() == Code::kConfig);
  CHECK_FALSE(kTestPoint.Hit().ok());
  REQUIRE(fp::Configure("").ok());
}

TEST_CASE("unset failpoints are inert and count nothing", "[failpoint]") {
  REQUIRE(fp::Configure("").ok());
  for (int i = 0; i < 1000; ++i) REQUIRE(kTestPoint.Hit().ok());
  CHECK(fp::Hits("test.point") == 0);
}

TEST_CASE("Known lists the points linked into the binary", "[failpoint]") {
  auto known = fp::Known();
  CHECK(std::is_sorted(known.begin(), known.end()));
  CHECK(std::count(known.begin(), known.end(), "test.point") == 1);
  CHECK(std::count(known.begin(), known.end(), "test.other-point") == 1);
}

TEST_CASE("crash kills the process with SIGKILL after naming the point", "[failpoint]") {
  ChildResult r = RunChild([] {
    (void)fp::Configure("test.point=crash");
    (void)kOtherPoint.Hit();
    (void)kTestPoint.Hit();
    ::_exit(3);  // reached only if the crash did not happen
  });
  REQUIRE(WIFSIGNALED(r.status));
  CHECK(WTERMSIG(r.status) == SIGKILL);
  CHECK(r.err.find("failpoint=test.point") != std::string::npos);
}

TEST_CASE("crash@N survives the first N-1 hits", "[failpoint]") {
  ChildResult r = RunChild([] {
    (void)fp::Configure("test.point=crash@3");
    for (int i = 1; i <= 5; ++i) {
      (void)kTestPoint.Hit();
      std::string line = "survived " + std::to_string(i) + "\n";
      (void)!::write(STDERR_FILENO, line.data(), line.size());
    }
    ::_exit(3);
  });
  REQUIRE(WIFSIGNALED(r.status));
  CHECK(r.err.find("survived 2") != std::string::npos);
  CHECK(r.err.find("survived 3") == std::string::npos);
}

// Hidden: run only by ExecChild, in a fresh process.
TEST_CASE("child: hit test.point", "[.][fp-env-child]") {
  (void)kTestPoint.Hit();
  (void)kTestPoint.Hit();
}

TEST_CASE("child: InitFromEnv", "[.][fp-init-child]") {
  Status s = fp::InitFromEnv();
  ::_exit(s.exit_code());
}

TEST_CASE("SHARDKIT_FAILPOINTS from the environment arms points", "[failpoint]") {
  ChildResult crash = ExecChild("[fp-env-child]", "test.point=crash@2");
  REQUIRE(WIFSIGNALED(crash.status));
  CHECK(WTERMSIG(crash.status) == SIGKILL);

  ChildResult unset = ExecChild("[fp-env-child]", nullptr);
  REQUIRE(WIFEXITED(unset.status));
  CHECK(WEXITSTATUS(unset.status) == 0);

  // A count configured from the environment reports its hits at exit.
  ChildResult count = ExecChild("[fp-env-child]", "test.point=count,test.never=count");
  REQUIRE(WIFEXITED(count.status));
  CHECK(WEXITSTATUS(count.status) == 0);
  CHECK(count.err.find("msg=\"failpoint hits\"") != std::string::npos);
  CHECK(count.err.find("test.point=2") != std::string::npos);
  CHECK(count.err.find("test.never=0") != std::string::npos);
}

TEST_CASE("a malformed SHARDKIT_FAILPOINTS exits 78 with one clear line", "[failpoint]") {
  // Lazily, at the first hit, when the tool never called InitFromEnv().
  ChildResult lazy = ExecChild("[fp-env-child]", "test.point=explode");
  REQUIRE(WIFEXITED(lazy.status));
  CHECK(WEXITSTATUS(lazy.status) == 78);
  CHECK(lazy.err.find("unknown action 'explode'") != std::string::npos);

  // Through InitFromEnv(), the error is a Status the tool maps to 78.
  ChildResult init = ExecChild("[fp-init-child]", "test.point=explode");
  REQUIRE(WIFEXITED(init.status));
  CHECK(WEXITSTATUS(init.status) == 78);
  ChildResult ok = ExecChild("[fp-init-child]", "test.point=count");
  REQUIRE(WIFEXITED(ok.status));
  CHECK(WEXITSTATUS(ok.status) == 0);
}
