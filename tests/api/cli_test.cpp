// The onemap command line: subcommand dispatch, help texts, usage errors and exit codes,
// run as a user would run the real binary.
#include "fixtures.hpp"
#include "test_support.hpp"

#include "layers/store/store_lock.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <string>
#include <vector>

namespace {

using onemap::testing::run_command;
using namespace std::chrono_literals;

TEST(Cli, HelpListsEverySubcommand) {
  for (const char* flag : {"--help", "-h", "help"}) {
    const auto r = run_command({ONEMAP_BINARY, flag}, 30s);
    EXPECT_EQ(r.exit_code, 0) << flag;
    for (const char* sub : {"serve", "import", "demo", "version"})
      EXPECT_NE(r.out.find(std::string("\n  ") + sub + " "), std::string::npos)
          << flag << " " << sub << "\n"
          << r.out;
  }
}

TEST(Cli, NoSubcommandIsAUsageError) {
  const auto r = run_command({ONEMAP_BINARY}, 30s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find("usage: onemap <command>"), std::string::npos) << r.err;
}

TEST(Cli, UnknownSubcommandIsAUsageErrorOnStderr) {
  const auto r = run_command({ONEMAP_BINARY, "frobnicate", "--now"}, 30s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("onemap: unknown command 'frobnicate'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("usage: onemap <command>"), std::string::npos) << r.err;
}

TEST(Cli, VersionPrintsTheProjectVersion) {
  const auto r = run_command({ONEMAP_BINARY, "version"}, 30s);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind(std::string("onemap ") + ONEMAP_EXPECTED_VERSION + " ", 0), 0u) << r.out;
}

TEST(Cli, EverySubcommandHasHelp) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> expected = {
      {"serve", {"--data", "--address", "--port", "--threads", "--join-distance"}},
      {"import", {"--data", "--layer", "--src-crs", "--encoding", "--field-map"}},
      {"demo", {"--out"}},
  };
  for (const auto& [sub, flags] : expected) {
    const auto r = run_command({ONEMAP_BINARY, sub, "--help"}, 30s);
    EXPECT_EQ(r.exit_code, 0) << sub << "\n" << r.err;
    const std::string text = r.out + r.err;
    for (const auto& f : flags)
      EXPECT_NE(text.find(f), std::string::npos) << sub << " --help lacks " << f;
  }
}

TEST(Cli, DispatchAndImportRefuseAServedStore) {
  // This process holds the server's lock (as `onemap serve` does): the commands that write the
  // store directly refuse with its pid and what to do instead; `onemap user` goes on.
  const onemap::testing::TempDir dir;
  const std::string store = onemap::testing::write_dispatch_county(dir.path());
  const std::string pid = std::to_string(::getpid());
  {
    const auto served = onemap::layers::StoreLock::for_serving(store);
    const auto d = run_command({ONEMAP_BINARY, "dispatch", "--data", store}, 60s);
    EXPECT_EQ(d.exit_code, 1) << d.out << d.err;
    EXPECT_NE(
        d.err.find("onemap: error: the store " + store + " is served by a running onemap (pid " +
                   pid + "): use POST /dispatch/batch instead"),
        std::string::npos)
        << d.err;
    const auto i =
        run_command({ONEMAP_BINARY, "import", "--data", store, "--layer", "households",
                     std::string(ONEMAP_SOURCE_DIR) + "/tests/data/nyc/nyc311_sample.csv"},
                    60s);
    EXPECT_EQ(i.exit_code, 1) << i.out << i.err;
    EXPECT_NE(i.err.find("is served by a running onemap (pid " + pid + ")"), std::string::npos)
        << i.err;
    const auto u = run_command(
        {ONEMAP_BINARY, "user", "add", "--data", store, "--id", "c1", "--role", "centre"}, 60s);
    EXPECT_EQ(u.exit_code, 0) << u.err;
  }
  const auto d = run_command({ONEMAP_BINARY, "dispatch", "--data", store}, 60s);
  EXPECT_EQ(d.exit_code, 0) << d.err;
}

}  // namespace
