#include "shardkit/cli/tool.h"

#include <cstdio>
#include <exception>
#include <new>

#include "shardkit/cli/log.h"

namespace shardkit::cli {
namespace {

void PrintToolHelp(const Tool& tool) {
  std::printf("%.*s - %.*s\n\nUsage: %.*s VERB [OPTIONS] [ARGS]\n\nVerbs:\n", int(tool.name.size()),
              tool.name.data(), int(tool.summary.size()), tool.summary.data(),
              int(tool.name.size()), tool.name.data());
  for (const Verb& v : tool.verbs) {
    std::printf("  %-10.*s %.*s\n", int(v.name.size()), v.name.data(), int(v.summary.size()),
                v.summary.data());
  }
  std::printf(
      "\nCommon options:\n  -h, --help       show help (also: %.*s VERB --help)\n"
      "      --version    print the version\n"
      "\nSee %.*s(%d) for details.\n",
      int(tool.name.size()), tool.name.data(), int(tool.name.size()), tool.name.data(),
      tool.man_section);
}

int UnknownVerb(const Tool& tool, std::string_view what) {
  std::fprintf(stderr, "%.*s: %.*s\nTry '%.*s --help'.\n", int(tool.name.size()), tool.name.data(),
               int(what.size()), what.data(), int(tool.name.size()), tool.name.data());
  return ExitCodeFor(Code::kUsage);
}

}  // namespace

VerbParser::VerbParser(const Tool& tool, const Verb& verb, std::string args_usage)
    : tool_(tool),
      verb_(verb),
      options_(std::string(tool.name) + " " + std::string(verb.name), std::string(verb.summary)) {
  options_.custom_help("[OPTIONS]");
  options_.positional_help(std::move(args_usage));
  options_.show_positional_help();
  options_.add_options()("h,help", "show this help")("json", "print JSON Lines instead of TSV")(
      "log-level", "log level: error, warn, info, debug (default: $SHARDKIT_LOG or info)",
      cxxopts::value<std::string>(),
      "LEVEL")("args", "positional arguments", cxxopts::value<std::vector<std::string>>());
  options_.parse_positional({"args"});
}

bool VerbParser::Parse(int argc, char** argv) {
  result_ = options_.parse(argc, argv);
  if (result_.count("help")) {
    // Hide the internal "args" option from the help text.
    std::string help = options_.help({""});
    std::fputs(help.c_str(), stdout);
    return false;
  }
  if (result_.count("log-level")) {
    Status s = SetLogLevel(result_["log-level"].as<std::string>());
    if (!s.ok()) throw cxxopts::exceptions::incorrect_argument_type(s.message());
  }
  if (result_.count("args")) args_ = result_["args"].as<std::vector<std::string>>();
  return true;
}

int VerbParser::UsageError(const std::string& message) const {
  std::fprintf(stderr, "%.*s: %s\nTry '%.*s %.*s --help'.\n", int(tool_.name.size()),
               tool_.name.data(), message.c_str(), int(tool_.name.size()), tool_.name.data(),
               int(verb_.name.size()), verb_.name.data());
  return ExitCodeFor(Code::kUsage);
}

bool VerbParser::CheckArgCount(size_t min, size_t max, int* exit_code) const {
  if (args_.size() < min) {
    *exit_code = UsageError("missing argument");
    return false;
  }
  if (args_.size() > max) {
    *exit_code = UsageError("unexpected argument '" + args_[max] + "'");
    return false;
  }
  return true;
}

int Fail(const Tool& tool, const Status& status) {
  std::fprintf(stderr, "%.*s: %s\n", int(tool.name.size()), tool.name.data(),
               status.message().c_str());
  return status.exit_code();
}

int Main(const Tool& tool, int argc, char** argv) {
  InitLogging(tool.name);
  if (argc < 2) {
    PrintToolHelp(tool);
    return ExitCodeFor(Code::kUsage);
  }
  std::string_view first = argv[1];
  if (first == "-h" || first == "--help") {
    PrintToolHelp(tool);
    return 0;
  }
  if (first == "--version") {
    std::printf("%.*s %.*s\n", int(tool.name.size()), tool.name.data(), int(tool.version.size()),
                tool.version.data());
    return 0;
  }
  if (first == "help" && argc == 3) first = argv[2];
  for (const Verb& verb : tool.verbs) {
    if (verb.name != first) continue;
    try {
      if (std::string_view(argv[1]) == "help") {
        char help_flag[] = "--help";
        char* help_argv[] = {argv[2], help_flag, nullptr};
        return verb.run(tool, verb, 2, help_argv);
      }
      return verb.run(tool, verb, argc - 1, argv + 1);
    } catch (const cxxopts::exceptions::exception& e) {
      std::string msg = e.what();
      std::fprintf(stderr, "%.*s: %s\nTry '%.*s %.*s --help'.\n", int(tool.name.size()),
                   tool.name.data(), msg.c_str(), int(tool.name.size()), tool.name.data(),
                   int(verb.name.size()), verb.name.data());
      return ExitCodeFor(Code::kUsage);
    } catch (const std::bad_alloc&) {
      return Fail(tool, Status::Internal("out of memory"));
    } catch (const std::exception& e) {
      return Fail(tool, Status::Internal(std::string("internal error: ") + e.what()));
    }
  }
  if (first.starts_with("-"))
    return UnknownVerb(tool, "unknown option '" + std::string(first) + "'");
  return UnknownVerb(tool, "unknown verb '" + std::string(first) + "'");
}

}  // namespace shardkit::cli
