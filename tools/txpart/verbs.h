// txpart's verbs, one file each (verb_<name>.cpp).
#pragma once

#include "shardkit/cli/tool.h"

namespace txpart {

using shardkit::cli::Tool;
using shardkit::cli::Verb;

int RunServe(const Tool&, const Verb&, int argc, char** argv);
int RunGet(const Tool&, const Verb&, int argc, char** argv);
int RunPut(const Tool&, const Verb&, int argc, char** argv);
int RunDel(const Tool&, const Verb&, int argc, char** argv);
int RunScan(const Tool&, const Verb&, int argc, char** argv);
int RunPrepared(const Tool&, const Verb&, int argc, char** argv);
int RunResolve(const Tool&, const Verb&, int argc, char** argv);
int RunStatus(const Tool&, const Verb&, int argc, char** argv);
int RunBench(const Tool&, const Verb&, int argc, char** argv);
int RunFailpoints(const Tool&, const Verb&, int argc, char** argv);

}  // namespace txpart
