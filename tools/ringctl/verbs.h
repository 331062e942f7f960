// ringctl's verbs, one file each (verb_<name>.cpp).
#pragma once

#include "shardkit/cli/tool.h"

namespace ringctl {

using shardkit::cli::Tool;
using shardkit::cli::Verb;

int RunNew(const Tool&, const Verb&, int argc, char** argv);
int RunAdd(const Tool&, const Verb&, int argc, char** argv);
int RunRemove(const Tool&, const Verb&, int argc, char** argv);
int RunSet(const Tool&, const Verb&, int argc, char** argv);
int RunImport(const Tool&, const Verb&, int argc, char** argv);
int RunShow(const Tool&, const Verb&, int argc, char** argv);
int RunLocate(const Tool&, const Verb&, int argc, char** argv);
int RunStats(const Tool&, const Verb&, int argc, char** argv);
int RunDiff(const Tool&, const Verb&, int argc, char** argv);
int RunServe(const Tool&, const Verb&, int argc, char** argv);
int RunQuery(const Tool&, const Verb&, int argc, char** argv);
int RunKeygen(const Tool&, const Verb&, int argc, char** argv);
int RunBench(const Tool&, const Verb&, int argc, char** argv);

}  // namespace ringctl
