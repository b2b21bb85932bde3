// The onemap executable: `onemap <serve|import|layer|feed|webhook|demo|user|dispatch|version>
// [args]`.
// Dispatches to the subcommands of apps/onemap/cli.hpp; an exception that escapes one is reported
// as "onemap: error: …" with exit status 1; a usage error exits with 2.
#include "apps/onemap/cli.hpp"

#include <gdal.h>

#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#ifndef ONEMAP_VERSION
#define ONEMAP_VERSION "unknown"
#endif

namespace {

constexpr const char* kUsage = R"(usage: onemap <command> [options]

onemap: one map of a county's grids, households, enterprises, incidents and grid teams.

commands:
  serve     serve a store over HTTP (/health, /layers)
  import    load a vector source (Shapefile, GeoJSON, GeoPackage, CSV, FileGDB) into a layer,
            or make a county layer of it (--create)
  layer     list, describe, add, alter and drop the county's own layers (cameras, pipes, zones…)
  feed      add, list and drop the sources a server pulls into county layers on a schedule
  webhook   add, list and remove the subscribers a server pushes incident events to (webhooks,
            the SMS gateway)
  demo      build the demo county (Deqing) into a new store
  user      add, list, change, disable and enable API users; issue their tokens
  dispatch  batch-dispatch a store's unassigned incidents (least total distance under the cap)
  version   print the version

`onemap <command> --help` describes a command's options.
)";

int print_version() {
  std::cout << "onemap " << ONEMAP_VERSION << " (GDAL " << GDALVersionInfo("RELEASE_NAME") << ")\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = argv[1];
  const onemap::cli::Args args(argv + 2, argv + argc);
  try {
    if (command == "--help" || command == "-h" || command == "help") {
      std::cout << kUsage;
      return 0;
    }
    if (command == "version" || command == "--version") return print_version();

    GDALAllRegister();  // once, before any subcommand opens a dataset
    if (command == "serve") return onemap::cli::run_serve(args);
    if (command == "import") return onemap::cli::run_import(args);
    if (command == "layer") return onemap::cli::run_layer(args);
    if (command == "feed") return onemap::cli::run_feed(args);
    if (command == "webhook") return onemap::cli::run_webhook(args);
    if (command == "demo") return onemap::cli::run_demo(args);
    if (command == "user") return onemap::cli::run_user(args);
    if (command == "dispatch") return onemap::cli::run_dispatch(args);

    std::cerr << "onemap: unknown command '" << command << "'\n\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "onemap: error: " << e.what() << "\n";
    return 1;
  } catch (...) {
    std::cerr << "onemap: error: unknown exception\n";
    return 1;
  }
}
