// ringctl: consistent-hash membership, placement and movement plans.
#include "verbs.h"

namespace {

constexpr shardkit::cli::Verb kVerbs[] = {
    {"new", "write an empty ring file", ringctl::RunNew},
    {"add", "add a node to a ring file", ringctl::RunAdd},
    {"remove", "remove nodes from a ring file", ringctl::RunRemove},
    {"set", "change a node's endpoints, weight, zone or key", ringctl::RunSet},
    {"import", "convert a libketama server list to a ring file", ringctl::RunImport},
    {"show", "list nodes with their exact share of the key space", ringctl::RunShow},
    {"locate", "print the node that owns each key", ringctl::RunLocate},
    {"stats", "report the load distribution over keys", ringctl::RunStats},
    {"diff", "report what moves between two rings", ringctl::RunDiff},
    {"serve", "answer locate requests over ZeroMQ", ringctl::RunServe},
    {"query", "ask a ringctl server to locate keys", ringctl::RunQuery},
    {"keygen", "write a CURVE keypair", ringctl::RunKeygen},
    {"bench", "measure in-process lookup speed per algorithm", ringctl::RunBench},
};

constexpr shardkit::cli::Tool kTool = {"ringctl", SHARDKIT_VERSION,
                                       "consistent-hash placement for shardkit", kVerbs, 1};

}  // namespace

int main(int argc, char** argv) { return shardkit::cli::Main(kTool, argc, argv); }
