// http/request_log: every line is one valid JSON object whatever bytes a request carried (a path
// with invalid UTF-8, quotes, control characters), with the timestamp in its documented form.
#include "http/request_log.hpp"

#include "core/json_text.hpp"

#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

using onemap::http::LogEntry;
using onemap::http::RequestLog;

// What the request log writes to stderr while `write` runs.
template <class F>
std::string captured_stderr(F&& write) {
  char path[] = "/tmp/onemap_request_log_XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  std::fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  dup2(fd, STDERR_FILENO);
  write();
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(fd);
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::remove(path);
  return text.str();
}

TEST(RequestLog, AHostilePathStillMakesOneValidJsonLine) {
  const std::string path = "/collections/\xff\xfe\"x\x01y\\z\xe4\xb8\xad\xc0\x80";
  const std::string text = captured_stderr([&] {
    RequestLog log;
    LogEntry e;
    e.request_id = "5f1c0a2e-17";
    e.method = "GET";
    e.path = path;
    e.query = "token=secret&q=\xff";
    e.peer = "127.0.0.1";
    e.lane = "read";
    e.status = 404;
    e.bytes = 12;
    e.ms = 0.5;
    e.error = "not_found";
    e.detail = "bad \x7f\n";
    log.add(e);
    log.stop();  // writes what is pending
  });
  ASSERT_FALSE(text.empty());
  ASSERT_EQ(text.back(), '\n');
  ASSERT_EQ(text.find('\n'), text.size() - 1) << "one line: " << text;
  EXPECT_TRUE(onemap::is_valid_utf8(text));
  const auto line = nlohmann::json::parse(text, nullptr, false);
  ASSERT_FALSE(line.is_discarded()) << text;
  // Valid sequences (中) kept, each invalid one replaced by U+FFFD, the rest escaped.
  EXPECT_EQ(line["path"],
            "/collections/\xEF\xBF\xBD\xEF\xBF\xBD\"x\x01y\\z\xe4\xb8\xad\xEF\xBF\xBD");
  EXPECT_EQ(line["query"], "token=REDACTED&q=\xEF\xBF\xBD");
  EXPECT_EQ(line["detail"], "bad \x7f\n");
  EXPECT_EQ(line["status"], 404);
  EXPECT_EQ(line["ms"], 0.5);
  EXPECT_TRUE(std::regex_match(line["ts"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << line["ts"];
}

}  // namespace
