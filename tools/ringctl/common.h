// Helpers shared by ringctl's verbs.
#pragma once

#include <string>
#include <string_view>

#include "shardkit/cli/output.h"
#include "shardkit/cli/tool.h"
#include "shardkit/ring/ring.h"

namespace ringctl {

// Adds --weight, --zone and --curve-key to a verb that edits one node.
void AddNodeFlags(shardkit::cli::VerbParser& p);
// Copies the node flags that were given into *node. kUsage on a bad value.
shardkit::Status ApplyNodeFlags(const shardkit::cli::VerbParser& p, shardkit::ring::Node* node);

// Refuses an edit that would leave a node owning no points (possible with
// ketama and libmemcached weights), or a ring that does not build.
shardkit::Status CheckBuildable(const shardkit::ring::RingFile& file);

// Writes one locate line: key, then node and endpoint for each of `n`
// owners (UINT32_MAX pads a short list). TSV: key<TAB>node<TAB>endpoint...;
// JSON: {"key":..,"node":..,"endpoint":..} plus "nodes" and "endpoints"
// arrays when n > 1.
void PutLocation(shardkit::cli::Writer& w, bool json, std::string_view key, const uint32_t* owners,
                 size_t n, const std::vector<std::string>& names,
                 const std::vector<std::string>& endpoints);

// Node names and first endpoints of `ring`, indexed like its nodes.
void NodeTables(const shardkit::ring::Ring& ring, std::vector<std::string>* names,
                std::vector<std::string>* endpoints);

// Parses a positive number flag; kUsage naming the flag otherwise.
shardkit::Result<double> PositiveNumber(std::string_view flag, const std::string& value);

}  // namespace ringctl
