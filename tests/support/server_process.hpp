// The real onemap binary in a child process: a command run to completion, and `onemap serve` in
// the background. Only for what needs the real process: the transport over TCP, the request log,
// signals and exit codes, the command line, durability after SIGKILL, and HTTP clients that need
// a socket; endpoint tests run in process (api_harness.hpp).
#pragma once

#include "layers/store/store.hpp"
#include "tests/support/county.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace onemap::testing {

/// Result of running a command to completion.
struct CommandResult {
  int exit_code = -1;  ///< -1 when killed by a signal or timed out
  std::string out;
  std::string err;
};
/// Runs `args` (args[0] is the program), capturing stdout and stderr.
CommandResult run_command(const std::vector<std::string>& args,
                          std::chrono::seconds timeout = std::chrono::seconds(120));

/// `onemap user ARGS --data STORE --config data/dispatch.json`; `out` without its line end (the
/// token, for `add` and `token`).
CommandResult run_user_command(const std::string& store, std::vector<std::string> args);

/// Checks an OpenAPI document with swagger-parser (tests/browser/validate-openapi.mjs, its npm
/// packages from scripts/setup) run by `node` (a test's ONEMAP_NODE), through the file DIR/NAME.
void expect_valid_openapi(const std::string& document, const std::string& node,
                          const std::string& dir, const std::string& name = "openapi.json");

/// A file DIR/admin.token holding kAdminToken, for `onemap serve --write-token-file`; its path.
std::string admin_token_file(const std::string& dir);

/// `onemap serve …` running in the background, its stdout and stderr in a log file.
class ServerProcess {
 public:
  /// Starts `onemap serve <args> --port 0` and waits for its "listening on" line.
  /// @throws std::runtime_error when it exits or does not listen within `timeout`.
  ServerProcess(const std::vector<std::string>& args, const std::string& log_path,
                std::chrono::seconds timeout = std::chrono::seconds(60));
  /// Kills it (SIGKILL) when still running.
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  /// "http://127.0.0.1:PORT".
  std::string url() const;
  /// The whole log so far.
  std::string log() const;
  /// The log once it holds `text` (the request log is written by a thread of its own, up to
  /// about 50 ms behind), or as it is after `timeout`.
  std::string log_with(const std::string& text,
                       std::chrono::milliseconds timeout = std::chrono::seconds(2)) const;
  /// Sends `sig` and waits for the exit: the exit status, or nullopt when it did not exit within
  /// `timeout` (it is then killed) or died of a signal.
  std::optional<int> stop(int sig, std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string log_path_;
};

/// A test suite whose tests share one spawned `onemap serve`: the small county's store with the
/// administrator's token (admin_token_file()), plus Suite::extra_args() (this class's: none),
/// started before the suite's first test and stopped with SIGTERM after its last. The store is
/// read back as the oracle before the server starts.
template <class Suite>
class SharedServer : public ::testing::Test {
 public:
  static std::vector<std::string> extra_args() { return {}; }
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    store_ = write_small_county(dir_->path());
    oracle_ = std::make_unique<layers::Dataset>(layers::open_store(store_, false)->load());
    std::vector<std::string> args = {"--data", store_, "--write-token-file",
                                     admin_token_file(dir_->path())};
    for (const auto& a : Suite::extra_args()) args.push_back(a);
    server_ = std::make_unique<ServerProcess>(args, dir_->file("serve.log"));
  }
  static void TearDownTestSuite() {
    if (server_) server_->stop(SIGTERM, std::chrono::seconds(10));
    server_.reset();
    oracle_.reset();
    dir_.reset();
  }

 protected:
  static ServerProcess& server() { return *server_; }
  static uint16_t port() { return server_->port(); }
  static const TempDir& dir() { return *dir_; }
  static const std::string& store_path() { return store_; }
  static const layers::Dataset& oracle() { return *oracle_; }

 private:
  static inline std::unique_ptr<TempDir> dir_;
  static inline std::string store_;
  static inline std::unique_ptr<layers::Dataset> oracle_;
  static inline std::unique_ptr<ServerProcess> server_;
};

}  // namespace onemap::testing
