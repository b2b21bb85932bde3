// The onemap command line: subcommand dispatch, help texts, usage errors and exit codes,
// run as a user would run the real binary.
#include "test_support.hpp"

#include <gtest/gtest.h>

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

}  // namespace
