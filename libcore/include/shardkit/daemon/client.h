// The client side shared by the txpart and txcoord verbs: the connect flags
// every client verb takes, and admin requests printed as tables.
#pragma once

#include <string>
#include <vector>

#include "shardkit/cli/output.h"
#include "shardkit/cli/tool.h"
#include "shardkit/net/connect.h"
#include "shardkit/status/status.h"
#include "shardkit/wire/messages.h"

namespace shardkit::daemon {

// Adds --connect EP, --server-key KEY|FILE, --curve-secret FILE,
// --timeout MS (default `timeout_ms`) and --retries N (default 2).
void AddConnectFlags(cli::VerbParser& p, const std::string& what, int timeout_ms = 2000);

// Reads the flags AddConnectFlags added into *out. Usage errors (a missing
// --connect, a bad number) and key-file errors come back as Status.
Status ConnectFlags(const cli::VerbParser& p, net::ConnectOptions* out);

// Sends one AdminRequest and returns the reply (ErrorReplies as Status).
Result<wire::AdminReply> CallAdmin(const net::ConnectOptions& options, const std::string& verb,
                                   std::vector<std::string> args = {});

// Prints every row of `table`: TSV fields in column order, or one JSON
// object per row keyed by column name. With `header`, TSV output starts
// with a "# col1<TAB>col2..." comment line.
void WriteTable(cli::Writer& w, bool json, const wire::AdminReply& table, bool header = false);

// The `failpoints` verb of a daemon tool: every failpoint name a `role`
// serve can hit (KnownFailpoints), one per line ({"name":...} with --json),
// so fault tests can enumerate them.
int RunFailpointsVerb(const cli::Tool& tool, const cli::Verb& verb, int argc, char** argv,
                      const std::string& role);

}  // namespace shardkit::daemon
