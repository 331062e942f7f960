#include "shardkit/wal/data_dir.h"

#include <catch2/catch.hpp>

#include "wal_test_util.h"

using namespace wal_test;

TEST_CASE("Open creates the layout, with missing parents", "[wal][datadir]") {
  TempDir tmp;
  std::string path = tmp.path() + "/a/b/data/";
  auto dir = DataDir::Open(path);
  REQUIRE(dir.ok());
  CHECK(dir->path() == tmp.path() + "/a/b/data");
  CHECK(fs::is_directory(dir->wal_dir()));
  CHECK(fs::is_directory(dir->snap_dir()));
  CHECK(fs::exists(dir->path() + "/LOCK"));
  CHECK(ReadFile(dir->path() + "/LOCK") == std::to_string(::getpid()) + "\n");
  CHECK(dir->epochs_path() == dir->path() + "/epochs");
}

TEST_CASE("a second open in the same process is refused with 75 and the pid", "[wal][datadir]") {
  TempDir tmp;
  auto first = DataDir::Open(tmp.data());
  REQUIRE(first.ok());
  auto second = DataDir::Open(tmp.data());
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == Code::kTemporary);
  CHECK(second.status().exit_code() == 75);
  CHECK(second.status().message() ==
        tmp.data() + " is locked by another process (pid " + std::to_string(::getpid()) + ")");
  // Moving keeps the lock; destroying releases it.
  DataDir moved = std::move(*first);
  CHECK_FALSE(DataDir::Open(tmp.data()).ok());
  { DataDir gone = std::move(moved); }
  CHECK(DataDir::Open(tmp.data()).ok());
}

TEST_CASE("another process gets exit code 75, and a dead owner leaves no lock", "[wal][datadir]") {
  TempDir tmp;
  int out[2];
  REQUIRE(::pipe(out) == 0);
  auto try_open_in_child = [&] {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      auto dir = DataDir::Open(tmp.data());
      std::string m = dir.ok() ? "ok" : dir.status().message();
      (void)!::write(out[1], m.data(), m.size());
      ::_exit(dir.ok() ? 0 : dir.status().exit_code());
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    char buf[512];
    ssize_t n = ::read(out[0], buf, sizeof buf);
    REQUIRE(WIFEXITED(status));
    return std::make_pair(WEXITSTATUS(status), std::string(buf, size_t(std::max<ssize_t>(n, 0))));
  };
  {
    auto held = DataDir::Open(tmp.data());
    REQUIRE(held.ok());
    auto [code, message] = try_open_in_child();
    CHECK(code == 75);
    CHECK(message ==
          tmp.data() + " is locked by another process (pid " + std::to_string(::getpid()) + ")");
  }
  // A child that takes the lock and is killed: the kernel drops its lock.
  pid_t holder = ::fork();
  REQUIRE(holder >= 0);
  if (holder == 0) {
    auto dir = DataDir::Open(tmp.data());
    (void)!::write(out[1], "x", 1);
    ::pause();
    ::_exit(0);
  }
  char c;
  REQUIRE(::read(out[0], &c, 1) == 1);
  auto blocked = DataDir::Open(tmp.data());
  REQUIRE_FALSE(blocked.ok());
  CHECK(blocked.status().message().find("(pid " + std::to_string(holder) + ")") !=
        std::string::npos);
  ::kill(holder, SIGKILL);
  ::waitpid(holder, nullptr, 0);
  CHECK(DataDir::Open(tmp.data()).ok());
  ::close(out[0]);
  ::close(out[1]);
}

TEST_CASE("Open refuses a data path that is a file", "[wal][datadir]") {
  TempDir tmp;
  WriteFile(tmp.data(), "not a directory");
  auto dir = DataDir::Open(tmp.data());
  REQUIRE_FALSE(dir.ok());
  CHECK(dir.status().message().find("not a directory") != std::string::npos);
}
