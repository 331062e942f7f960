// replicad's verbs, one file each (verb_<name>.cpp).
#pragma once

#include "shardkit/cli/tool.h"

namespace replicad {

using shardkit::cli::Tool;
using shardkit::cli::Verb;

int RunServe(const Tool&, const Verb&, int argc, char** argv);
int RunStatus(const Tool&, const Verb&, int argc, char** argv);
int RunPromote(const Tool&, const Verb&, int argc, char** argv);
int RunDemote(const Tool&, const Verb&, int argc, char** argv);
int RunSwitchover(const Tool&, const Verb&, int argc, char** argv);
int RunBench(const Tool&, const Verb&, int argc, char** argv);

}  // namespace replicad
