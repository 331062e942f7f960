// Helpers shared by txcoord's verbs.
#pragma once

#include <string>
#include <string_view>

#include "shardkit/cli/output.h"
#include "shardkit/cli/tool.h"
#include "shardkit/status/status.h"
#include "shardkit/txn/records.h"
#include "shardkit/wire/messages.h"

namespace txcoord {

// `n` random lowercase hex digits from getrandom(2). Internal on failure.
shardkit::Result<std::string> RandomHex(size_t n);

using shardkit::txn::OutcomeName;

// Prints the result of one transaction, as `submit` does (see txcoord(1)):
//   TSV:  txid<TAB>outcome<TAB>reason
//         get<TAB>key<TAB>found|absent<TAB>value   (one per get, in op order)
//   JSON: {"txid":..,"outcome":..,"reason":..,"key":..,
//          "reads":[{"key":..,"found":..,"value":..},...]}
void PutSubmitResult(shardkit::cli::Writer& w, bool json, const shardkit::wire::SubmitResult& r);

// The admin verbs' client side: --connect flags, one AdminRequest, the
// reply table printed as TSV or JSON Lines. Returns the exit code.
int RunAdminVerb(const shardkit::cli::Tool& tool, const shardkit::cli::Verb& verb, int argc,
                 char** argv, const std::string& admin_verb);

}  // namespace txcoord
