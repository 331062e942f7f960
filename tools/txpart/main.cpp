// txpart: the two-phase-commit participant of one shard (DESIGN.md §7), and
// the client verbs that talk to it.
#include "verbs.h"

namespace {

constexpr shardkit::cli::Verb kVerbs[] = {
    {"serve", "run the participant of one shard", txpart::RunServe},
    {"get", "print the committed values of keys", txpart::RunGet},
    {"put", "set a key, durably, outside any transaction", txpart::RunPut},
    {"del", "delete a key, durably, outside any transaction", txpart::RunDel},
    {"scan", "print the keys with a prefix and their values", txpart::RunScan},
    {"prepared", "list the transactions not finished here", txpart::RunPrepared},
    {"resolve", "force the outcome of an in-doubt transaction", txpart::RunResolve},
    {"status", "print counters, rates, locks and heuristic outcomes", txpart::RunStatus},
    {"bench", "measure durable single-shard put throughput", txpart::RunBench},
    {"failpoints", "list the failpoint names serve hits (for fault tests)", txpart::RunFailpoints},
};

constexpr shardkit::cli::Tool kTool = {
    "txpart", SHARDKIT_VERSION, "the transaction participant of one shardkit shard", kVerbs, 1};

}  // namespace

int main(int argc, char** argv) { return shardkit::cli::Main(kTool, argc, argv); }
