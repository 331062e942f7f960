// Verb dispatch, common flags and the exception boundary (DESIGN.md §9).
//
// A tool is a table of verbs. cxxopts has no subcommands, so each verb builds
// its own cxxopts::Options through a VerbParser, which adds the flags every
// verb shares (--help, --json, --log-level). Main() is the one place where a
// library exception (cxxopts, cppzmq, cereal, std) becomes a one-line message
// on stderr and a sysexits code.
#pragma once

#include <cxxopts.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shardkit/status/status.h"

namespace shardkit::cli {

struct Tool;

struct Verb {
  std::string_view name;
  std::string_view summary;
  // Runs the verb. argv[0] is the verb name. Returns the exit code.
  int (*run)(const Tool& tool, const Verb& verb, int argc, char** argv);
};

struct Tool {
  std::string_view name;
  std::string_view version;
  std::string_view summary;
  std::span<const Verb> verbs;
  // The section of the tool's manual page, named by `tool --help` ("See
  // tool(1) for details."): 1 for commands, 8 for daemons (replicad).
  int man_section = 1;
};

// Parses one verb's flags and arguments.
class VerbParser {
 public:
  // `args_usage` describes the positional arguments, e.g. "FILE [KEY...|-]".
  VerbParser(const Tool& tool, const Verb& verb, std::string args_usage);

  // Adds verb-specific options (cxxopts syntax).
  cxxopts::OptionAdder Add() { return options_.add_options(); }

  // Parses argv. Returns false when --help was printed (exit 0). Throws
  // cxxopts exceptions on bad flags; Main() turns those into exit 64.
  // Positional arguments (a lone "-" included) end up in args().
  bool Parse(int argc, char** argv);

  const cxxopts::ParseResult& result() const { return result_; }
  bool Has(const std::string& flag) const { return result_.count(flag) > 0; }
  template <typename T>
  T Get(const std::string& flag) const {
    return result_[flag].as<T>();
  }
  const std::vector<std::string>& args() const { return args_; }
  bool json() const { return result_["json"].as<bool>(); }

  // Prints "tool: message" and "Try 'tool VERB --help'." to stderr; returns 64.
  int UsageError(const std::string& message) const;
  // Fails with exit 64 unless min <= args().size() <= max.
  bool CheckArgCount(size_t min, size_t max, int* exit_code) const;

 private:
  const Tool& tool_;
  const Verb& verb_;
  cxxopts::Options options_;
  cxxopts::ParseResult result_;
  std::vector<std::string> args_;
};

// Prints "tool: message" to stderr and returns the status' exit code.
int Fail(const Tool& tool, const Status& status);

// Dispatches argv to a verb, handling `tool --help`, `tool --version`,
// `tool help VERB` and unknown verbs, and catching every exception.
int Main(const Tool& tool, int argc, char** argv);

}  // namespace shardkit::cli
