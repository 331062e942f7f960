// replicad: replicates a data directory's log from a primary to its
// replicas, with epochs, fencing and failover (DESIGN.md §8), and the
// operator verbs that inspect and steer it.
#include "verbs.h"

namespace {

constexpr shardkit::cli::Verb kVerbs[] = {
    {"serve", "replicate the log of one data directory", replicad::RunServe},
    {"status", "print role, epoch and each replica's positions and lag", replicad::RunStatus},
    {"promote", "make this replica the primary, in a new epoch", replicad::RunPromote},
    {"demote", "make this primary a replica", replicad::RunDemote},
    {"switchover", "hand the primary role to a caught-up replica", replicad::RunSwitchover},
    {"bench", "measure put throughput and latency at each ack level", replicad::RunBench},
};

constexpr shardkit::cli::Tool kTool = {
    "replicad", SHARDKIT_VERSION, "the replication daemon of a shardkit data directory", kVerbs, 8};

}  // namespace

int main(int argc, char** argv) { return shardkit::cli::Main(kTool, argc, argv); }
