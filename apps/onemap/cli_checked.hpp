// What the subcommands that parse their own options share (`layer`, `feed`): a usage error, the
// reading of options, and the exit codes of apps/onemap/cli.hpp.
#pragma once

#include "apps/onemap/cli.hpp"
#include "core/errors.hpp"

#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace onemap::cli {

/// A command line that does not parse: exit 2, with a pointer to --help.
struct UsageError {
  std::string message;
};

/// What an option does with its value.
using OptionSetter = std::function<void(std::string)>;
/// Sets `s` to the option's value.
inline OptionSetter into(std::string& s) {
  return [&s](std::string v) { s = std::move(v); };
}

/// Reads args[first…]: an option `options` names takes the argument after it as its value; any
/// other argument starting with '-' is unknown; the rest are returned, in order.
/// @throws UsageError.
inline std::vector<std::string> read_options(const Args& args, std::size_t first,
                                             const std::map<std::string, OptionSetter>& options) {
  std::vector<std::string> positional;
  for (std::size_t i = first; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (const auto it = options.find(a); it != options.end()) {
      if (i + 1 >= args.size()) throw UsageError{a + " needs a value"};
      it->second(args[++i]);
    } else if (!a.empty() && a[0] == '-') {
      throw UsageError{"unknown option " + a};
    } else {
      positional.push_back(a);
    }
  }
  return positional;
}

/// `onemap NAME ARGS`: --help anywhere prints `usage`; parse(args) reads the options, a
/// UsageError from it is exit 2; run(options) does the work: its exit code, 2 for a UsageError
/// or an InvalidArgument, 1 for any other error, each said on stderr.
template <class Parse, class Run>
int run_checked(const char* name, const Args& args, const char* usage, Parse parse, Run run) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      std::cout << usage;
      return 0;
    }
  decltype(parse(args)) options;
  try {
    options = parse(args);
  } catch (const UsageError& e) {
    std::cerr << "onemap " << name << ": " << e.message << "\n(see 'onemap " << name
              << " --help')\n";
    return 2;
  }
  try {
    return run(options);
  } catch (const UsageError& e) {
    std::cerr << "onemap " << name << ": " << e.message << "\n";
    return 2;
  } catch (const InvalidArgument& e) {
    std::cerr << "onemap " << name << ": " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "onemap " << name << ": error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace onemap::cli
