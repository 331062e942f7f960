#include "shardkit/status/status.h"

#include <catch2/catch.hpp>
#include <string>

using shardkit::Code;
using shardkit::Result;
using shardkit::Status;

TEST_CASE("every code maps to its sysexits exit status") {
  CHECK(Status::Ok().exit_code() == 0);
  CHECK(Status::Negative("x").exit_code() == 1);
  CHECK(Status::Usage("x").exit_code() == 64);
  CHECK(Status::DataError("x").exit_code() == 65);
  CHECK(Status::NoInput("x").exit_code() == 66);
  CHECK(Status::Unavailable("x").exit_code() == 69);
  CHECK(Status::Internal("x").exit_code() == 70);
  CHECK(Status::IoError("x").exit_code() == 74);
  CHECK(Status::Temporary("x").exit_code() == 75);
  CHECK(Status::Permission("x").exit_code() == 77);
  CHECK(Status::Config("x").exit_code() == 78);
}

TEST_CASE("Result holds a value or an error, and errors keep their prefix") {
  Result<std::string> good = std::string("v");
  REQUIRE(good.ok());
  CHECK(*good == "v");
  CHECK(good.status().ok());
  Result<std::string> bad = Status::DataError("bad weight").Prefixed("c.ring:3");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == Code::kDataError);
  CHECK(bad.status().message() == "c.ring:3: bad weight");
}

namespace {

Status Step(bool fail) { return fail ? Status::IoError("disk") : Status::Ok(); }

Status Chain(bool fail, int* reached) {
  SK_RETURN_IF_ERROR(Step(fail));
  *reached = 1;
  return Status::Ok();
}

}  // namespace

TEST_CASE("SK_RETURN_IF_ERROR returns early on failure only") {
  int reached = 0;
  CHECK(Chain(true, &reached).code() == Code::kIoError);
  CHECK(reached == 0);
  CHECK(Chain(false, &reached).ok());
  CHECK(reached == 1);
}
