// repl_sim: runs the replication simulator over one seed or a range.
//
//   repl_sim --seed 12345 [--verbose]        one seed, optionally traced
//   repl_sim --seeds 1:5001                  seeds 1..5000; exit 1 on a violation
//   repl_sim --broken-replica --no-contract-check --seeds 1:2001 --expect-violation
//                                            exit 0 only if a violation is found
//
// A violation prints one line naming the seed, the invariant and what broke,
// and a one-line command that replays it.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "repl_sim.h"
#include "seed_args.h"

namespace {

int Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s (--seed N | --seeds FIRST:END) [--verbose] [--broken-replica]\n"
               "       [--replicad-restarts] [--lossy-resync] [--late-messages] [--operators]\n"
               "       [--no-contract-check] [--keep-going] [--expect-violation]\n",
               argv0);
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  replsim::Options options;
  uint64_t first = 1, end = 2;
  bool expect_violation = false;
  bool keep_going = false;
  uint64_t failed = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    bool ok = true;
    if (simargs::SeedArg(argc, argv, &i, &first, &end, &ok)) {
      if (!ok) return Usage(argv[0]);
    } else if (arg == "--verbose") {
      options.verbose = true;
    } else if (arg == "--broken-replica") {
      options.broken_replica = true;
    } else if (arg == "--late-messages") {
      options.late_messages = true;
    } else if (arg == "--operators") {
      options.operators = true;
    } else if (arg == "--lossy-resync") {
      options.lossy_resync = true;
    } else if (arg == "--replicad-restarts") {
      options.replicad_restarts = true;
    } else if (arg == "--no-contract-check") {
      options.contract_check = false;
    } else if (arg == "--keep-going") {
      keep_going = true;
    } else if (arg == "--expect-violation") {
      expect_violation = true;
    } else {
      return Usage(argv[0]);
    }
  }
  if (end <= first) return Usage(argv[0]);

  const auto start = std::chrono::steady_clock::now();
  replsim::RunStats total;
  uint64_t asserted_seeds = 0;
  for (uint64_t seed = first; seed < end; ++seed) {
    options.seed = seed;
    replsim::RunStats stats;
    std::optional<replsim::Violation> v = replsim::RunSeed(options, &stats);
    total.events += stats.events;
    total.acked += stats.acked;
    total.asserted += stats.asserted;
    total.refused += stats.refused;
    total.crashes += stats.crashes;
    total.member_restarts += stats.member_restarts;
    total.truncations += stats.truncations;
    total.applied_then_cut += stats.applied_then_cut;
    total.resyncs += stats.resyncs;
    total.cut_below_snapshot += stats.cut_below_snapshot;
    total.epochs += stats.epochs;
    asserted_seeds += stats.asserted > 0;
    if (v) {
      std::printf("seed %llu: %s violated at %llu ms: %s\n", static_cast<unsigned long long>(seed),
                  v->invariant.c_str(), static_cast<unsigned long long>(v->at_ms),
                  v->detail.c_str());
      std::printf(
          "replay: %s --seed %llu --verbose%s%s%s%s%s%s\n", argv[0],
          static_cast<unsigned long long>(seed), options.broken_replica ? " --broken-replica" : "",
          options.replicad_restarts ? " --replicad-restarts" : "",
          options.lossy_resync ? " --lossy-resync" : "",
          options.late_messages ? " --late-messages" : "", options.operators ? " --operators" : "",
          options.contract_check ? "" : " --no-contract-check");
      if (expect_violation) {
        std::printf("caught after %llu seeds, as expected\n",
                    static_cast<unsigned long long>(seed - first + 1));
        return 0;
      }
      ++failed;
      if (!keep_going) return 1;
    }
  }
  if (failed > 0) {
    std::printf("%llu of %llu seeds failed\n", static_cast<unsigned long long>(failed),
                static_cast<unsigned long long>(end - first));
    return 1;
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto u = [](uint64_t x) { return static_cast<unsigned long long>(x); };
  std::printf(
      "seeds %llu..%llu: all invariants held; %llu events, %llu writes acknowledged (%llu at a "
      "level that must survive, in %llu seeds), %llu refused or timed out, %llu epochs, %llu "
      "host crashes, %llu replicad restarts, %llu divergent tails cut (%llu below a snapshot, "
      "%llu applied records), %llu full resyncs, %.1f s\n",
      u(first), u(end - 1), u(total.events), u(total.acked), u(total.asserted), u(asserted_seeds),
      u(total.refused), u(total.epochs), u(total.crashes), u(total.member_restarts),
      u(total.truncations), u(total.cut_below_snapshot), u(total.applied_then_cut),
      u(total.resyncs), secs);
  if (expect_violation) {
    std::printf("expected a violation and found none\n");
    return 1;
  }
  return 0;
}
