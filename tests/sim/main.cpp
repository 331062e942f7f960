// txn_sim: runs the deterministic simulator over one seed or a range.
//
//   txn_sim --seed 12345 [--verbose]          one seed, optionally traced
//   txn_sim --seeds 1:5001                    seeds 1..5000; exit 1 on a violation
//   txn_sim --broken-coordinator --no-order-check --seeds 1:501 --expect-violation
//                                             exit 0 only if a violation is found
//   txn_sim --no-compaction --seeds 1:5001    the same runs, without snapshots
//   txn_sim --replicated --seeds 1:5001       every node a primary and a hot
//                                             standby, with failovers
//   txn_sim --replicated --broken-promotion --no-order-check --seeds 1:2001 --expect-violation
//
// A violation prints one line naming the seed, the invariant and what broke,
// and a one-line command that replays it.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "seed_args.h"
#include "sim.h"

namespace {

int Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s (--seed N | --seeds FIRST:END) [--verbose] [--broken-coordinator]\n"
               "       [--no-order-check] [--no-compaction] [--replicated [--broken-promotion]]\n"
               "       [--expect-violation]\n",
               argv0);
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  sim::Options options;
  uint64_t first = 1, end = 2;
  bool expect_violation = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    bool ok = true;
    if (simargs::SeedArg(argc, argv, &i, &first, &end, &ok)) {
      if (!ok) return Usage(argv[0]);
    } else if (arg == "--verbose") {
      options.verbose = true;
    } else if (arg == "--broken-coordinator") {
      options.broken_coordinator = true;
    } else if (arg == "--no-order-check") {
      options.order_check = false;
    } else if (arg == "--no-compaction") {
      options.compaction = false;
    } else if (arg == "--replicated") {
      options.replicated = true;
    } else if (arg == "--broken-promotion") {
      options.broken_promotion = true;
    } else if (arg == "--expect-violation") {
      expect_violation = true;
    } else {
      return Usage(argv[0]);
    }
  }
  if (end <= first || (options.broken_promotion && !options.replicated)) return Usage(argv[0]);

  const auto start = std::chrono::steady_clock::now();
  sim::RunStats total;
  for (uint64_t seed = first; seed < end; ++seed) {
    options.seed = seed;
    sim::RunStats stats;
    std::optional<sim::Violation> v = sim::RunSeed(options, &stats);
    total.events += stats.events;
    total.committed += stats.committed;
    total.aborted += stats.aborted;
    total.unknown += stats.unknown;
    total.crashes += stats.crashes;
    total.snapshots += stats.snapshots;
    total.snapshot_restarts += stats.snapshot_restarts;
    total.failovers += stats.failovers;
    if (v) {
      std::printf("seed %llu: %s violated at %llu ms: %s\n", static_cast<unsigned long long>(seed),
                  v->invariant.c_str(), static_cast<unsigned long long>(v->at_ms),
                  v->detail.c_str());
      std::printf("replay: %s --seed %llu --verbose%s%s%s%s%s\n", argv[0],
                  static_cast<unsigned long long>(seed),
                  options.broken_coordinator ? " --broken-coordinator" : "",
                  options.order_check ? "" : " --no-order-check",
                  options.compaction ? "" : " --no-compaction",
                  options.replicated ? " --replicated" : "",
                  options.broken_promotion ? " --broken-promotion" : "");
      if (expect_violation) {
        std::printf("caught after %llu seeds, as expected\n",
                    static_cast<unsigned long long>(seed - first + 1));
        return 0;
      }
      return 1;
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "seeds %llu..%llu: all invariants held; %llu events, %llu committed, %llu aborted, "
      "%llu unknown, %llu crashes, %llu failovers, %llu snapshots, %llu restarts from one, "
      "%.1f s\n",
      static_cast<unsigned long long>(first), static_cast<unsigned long long>(end - 1),
      static_cast<unsigned long long>(total.events),
      static_cast<unsigned long long>(total.committed),
      static_cast<unsigned long long>(total.aborted),
      static_cast<unsigned long long>(total.unknown),
      static_cast<unsigned long long>(total.crashes),
      static_cast<unsigned long long>(total.failovers),
      static_cast<unsigned long long>(total.snapshots),
      static_cast<unsigned long long>(total.snapshot_restarts), secs);
  if (expect_violation) {
    std::printf("expected a violation and found none\n");
    return 1;
  }
  return 0;
}
