// txcoord: the two-phase-commit coordinator of shardkit (DESIGN.md §7) and
// its client verbs.
#include "verbs.h"

namespace {

constexpr shardkit::cli::Verb kVerbs[] = {
    {"serve", "run the coordinator", txcoord::RunServe},
    {"submit", "run transactions read from stdin", txcoord::RunSubmit},
    {"get", "read keys in one serializable transaction", txcoord::RunGet},
    {"outcome", "print what became of a transaction", txcoord::RunOutcome},
    {"status", "print the coordinator's counters, rates and latencies", txcoord::RunStatus},
    {"inflight", "list the transactions the coordinator is running", txcoord::RunInflight},
    {"heuristics", "list heuristic outcomes reported by participants", txcoord::RunHeuristics},
    {"bench", "load-test a coordinator with many pipelined clients", txcoord::RunBench},
    {"failpoints", "list the failpoints a coordinator hits", txcoord::RunFailpoints},
};

constexpr shardkit::cli::Tool kTool = {"txcoord", SHARDKIT_VERSION,
                                       "two-phase-commit coordinator for shardkit", kVerbs, 1};

}  // namespace

int main(int argc, char** argv) { return shardkit::cli::Main(kTool, argc, argv); }
