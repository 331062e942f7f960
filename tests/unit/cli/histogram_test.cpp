#include "shardkit/cli/histogram.h"

#include <catch2/catch.hpp>
#include <cstdint>

using shardkit::cli::LatencyHistogram;

TEST_CASE("latency percentiles are within 1/16 of the true value", "[cli][histogram]") {
  LatencyHistogram h;
  CHECK(h.Percentile(0.5) == 0);
  for (uint64_t us = 1; us <= 100000; ++us) h.Record(us);  // uniform 1..100000 µs
  CHECK(h.count() == 100000);
  CHECK(h.max_us() == 100000);
  for (double q : {0.01, 0.5, 0.95, 0.99, 1.0}) {
    const double want = q * 100000;
    const double got = double(h.Percentile(q));
    CHECK(got >= want);                       // an upper bound of the bucket holding the rank...
    CHECK(got <= want * (1 + 1.0 / 16) + 1);  // ...at most 1/16 above it
  }
  CHECK(h.Percentile(1.0) == 100000);  // never above the maximum
}

TEST_CASE("power-of-two buckets add up to every sample", "[cli][histogram]") {
  LatencyHistogram h;
  h.Record(0);
  h.Record(3);
  h.Record(1000);
  h.Record(UINT64_MAX);  // no overflow, no growth
  uint64_t total = 0;
  for (const auto& [upper, n] : h.PowersOfTwo()) total += n;
  CHECK(total == 4);
  CHECK(h.max_us() == UINT64_MAX);
}
