// txcoord's verbs, one file each (verb_<name>.cpp).
#pragma once

#include "shardkit/cli/tool.h"

namespace txcoord {

using shardkit::cli::Tool;
using shardkit::cli::Verb;

int RunServe(const Tool&, const Verb&, int argc, char** argv);
int RunSubmit(const Tool&, const Verb&, int argc, char** argv);
int RunGet(const Tool&, const Verb&, int argc, char** argv);
int RunOutcome(const Tool&, const Verb&, int argc, char** argv);
int RunStatus(const Tool&, const Verb&, int argc, char** argv);
int RunInflight(const Tool&, const Verb&, int argc, char** argv);
int RunHeuristics(const Tool&, const Verb&, int argc, char** argv);
int RunBench(const Tool&, const Verb&, int argc, char** argv);
int RunFailpoints(const Tool&, const Verb&, int argc, char** argv);

}  // namespace txcoord
