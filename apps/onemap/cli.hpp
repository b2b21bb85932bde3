// The onemap command line: one executable, one function per subcommand.
// Each takes the arguments after the subcommand name and returns the process exit code
// (0 ok, 1 failure, 2 usage error). `--help` prints the subcommand's usage and returns 0.
#pragma once

#include <string>
#include <vector>

namespace onemap::cli {

using Args = std::vector<std::string>;

int run_serve(const Args& args);
int run_import(const Args& args);
int run_layer(const Args& args);
int run_feed(const Args& args);
int run_webhook(const Args& args);
int run_demo(const Args& args);
int run_user(const Args& args);
int run_dispatch(const Args& args);

/// The dispatch configuration to load when none is named: ./data/dispatch.json, else
/// $ONEMAP_DATA_DIR/dispatch.json, else data/dispatch.json of the source tree onemap was built
/// from; empty when none exists.
std::string default_dispatch_config();

}  // namespace onemap::cli
