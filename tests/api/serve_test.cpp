// `onemap serve` as a process, over raw sockets: what only the transport and the process show.
// Connection persistence (keep-alive by default on HTTP/1.1, "Connection: close", HTTP/1.0),
// HEAD and 204 framing, requests split across packets, the limits that close a connection (431,
// 413, a malformed request), the request log (one JSON line per request, no token in it),
// concurrent clients; the lifecycle (SIGTERM/SIGINT, idle timeout, a busy port, a served store,
// a missing store) and the arguments (usage errors, a read policy refused at start). The
// endpoints themselves are tested in process (server_test.cpp and the other *_http_test.cpp).
#include "tests/support/expect_error.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/tiles.hpp"

#include "auth/tokens.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using nlohmann::json;
using namespace onemap::testing;
using namespace std::chrono_literals;

/// One server shared by the suite (the small county, two event-loop threads).
class ServeTest : public SharedServer<ServeTest> {
 public:
  static std::vector<std::string> extra_args() { return {"--threads", "2"}; }
};

TEST_F(ServeTest, HeadAnswersHeadersOnlyAndTheConnectionStaysUsable) {
  HttpConnection c(port());
  c.send_request("HEAD", "/health");
  const HttpResponse head = c.read_response(/*head=*/true);
  EXPECT_EQ(head.status, 200);
  EXPECT_GT(std::stoul(head.header("Content-Length")), 0u);
  // A body after the HEAD headers would be read here as a malformed status line.
  c.send_request("GET", "/health");
  const HttpResponse get = c.read_response();
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(std::to_string(get.body.size()), head.header("Content-Length"));
}

TEST_F(ServeTest, AnEmptyTileIs204WithoutContentLength) {
  const HttpResponse r = HttpConnection(port()).get("/tiles/grids,households/12/100/100.mvt");
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(r.header("Content-Length"), "");
}

TEST_F(ServeTest, Http11WithoutConnectionHeaderKeepsTheConnection) {
  HttpConnection c(port());
  for (int i = 0; i < 3; ++i) {
    c.send_request("GET", i == 1 ? "/layers" : "/health");
    const HttpResponse r = c.read_response();
    EXPECT_EQ(r.status, 200) << "request " << i;
    EXPECT_EQ(r.header("Connection"), "keep-alive") << "request " << i;
  }
  EXPECT_FALSE(c.closed_by_server(300ms));
}

TEST_F(ServeTest, ErrorsKeepTheConnectionToo) {
  HttpConnection c(port());
  c.send_request("GET", "/missing");
  EXPECT_EQ(c.read_response().status, 404);
  c.send_request("GET", "/health");
  EXPECT_EQ(c.read_response().status, 200);
}

TEST_F(ServeTest, ConnectionCloseIsAnsweredThenClosed) {
  HttpConnection c(port());
  c.send_request("GET", "/health", {"Connection: close"});
  const HttpResponse r = c.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Connection"), "close");
  EXPECT_TRUE(c.closed_by_server(2s));
}

TEST_F(ServeTest, Http10ClosesUnlessKeepAliveIsAsked) {
  {
    HttpConnection c(port());
    c.send_raw("GET /health HTTP/1.0\r\n\r\n");
    const HttpResponse r = c.read_response();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Connection"), "close");
    EXPECT_TRUE(c.closed_by_server(2s));
  }
  {
    HttpConnection c(port());
    c.send_raw("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    const HttpResponse r = c.read_response();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Connection"), "keep-alive");
    c.send_raw("GET /layers HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    EXPECT_EQ(c.read_response().status, 200);
    EXPECT_FALSE(c.closed_by_server(300ms));
  }
}

TEST_F(ServeTest, RequestSplitAcrossPacketsIsAnswered) {
  HttpConnection c(port());
  c.send_raw("GET /hea");
  std::this_thread::sleep_for(50ms);
  c.send_raw("lth HTTP/1.1\r\nHo");
  std::this_thread::sleep_for(50ms);
  c.send_raw("st: x\r\n\r\n");
  EXPECT_EQ(c.read_response().status, 200);
}

// Sends `bytes` (the server may close while they are still going out: its answer is queued
// first), then reads an error of `status` and `code` with Connection: close, and the close.
void expect_refused_and_closed(uint16_t port, const std::string& bytes, int status,
                               std::string_view code) {
  HttpConnection c(port);
  try {
    c.send_raw(bytes);
  } catch (const std::runtime_error&) {
    // the server may close while the rest is still being sent; its answer is already queued
  }
  const HttpResponse r = c.read_response();
  expect_error(r, status, code);
  EXPECT_EQ(r.header("Connection"), "close");
  EXPECT_TRUE(c.closed_by_server(2s));
}

TEST_F(ServeTest, OversizedHeadersAre431JsonAndClosed) {
  expect_refused_and_closed(
      port(),
      "GET /health HTTP/1.1\r\nHost: x\r\nX-Filler: " + std::string(200 * 1024, 'a') + "\r\n\r\n",
      431, "header_too_large");
}

TEST_F(ServeTest, OversizedRequestIs413JsonAndClosed) {
  const std::size_t body = 5 * 1024 * 1024;  // over the 4 MiB limit
  expect_refused_and_closed(
      port(),
      "POST /collections/grids/items HTTP/1.1\r\nHost: x\r\nContent-Length: " +
          std::to_string(body) + "\r\n\r\n" + std::string(body, ' '),
      413, "payload_too_large");
}

TEST_F(ServeTest, PhotoUploadsTakeTenMegabytesAndNoMore) {
  // Over the server's 4 MiB but within a photo's 10 MB: read whole and judged as an image.
  const std::string junk(6 * 1024 * 1024, 'x');
  const HttpResponse r =
      HttpConnection(port()).send("POST", "/incidents/1/media", junk, kAdminToken, "image/jpeg");
  expect_error(r, 400, "invalid_parameter", "body");
  const std::size_t body = 10 * 1024 * 1024 + 1;
  expect_refused_and_closed(port(),
                            "POST /incidents/1/media HTTP/1.1\r\nHost: x\r\nContent-Type: "
                            "image/jpeg\r\nContent-Length: " +
                                std::to_string(body) + "\r\n\r\n" + std::string(body, 'x'),
                            413, "payload_too_large");
}

TEST_F(ServeTest, UnknownMethodIs501AndTheConnectionStaysUsable) {
  HttpConnection c(port());
  c.send_raw("FETCH /health HTTP/1.1\r\nHost: x\r\n\r\n");
  expect_error(c.read_response(), 501, "not_implemented");
  c.send_request("GET", "/health");
  EXPECT_EQ(c.read_response().status, 200);
}

TEST_F(ServeTest, MalformedRequestIs400JsonAndClosed) {
  expect_refused_and_closed(port(), "hello there\r\n\r\n", 400, "invalid_request");
}

TEST_F(ServeTest, EveryRequestIsOneJsonLogLine) {
  const std::string path = "/log-probe-" + std::to_string(::getpid());
  const HttpResponse r = HttpConnection(port()).get(path + "?a=1");
  ASSERT_EQ(r.status, 404);
  const std::string text = server().log_with(path);
  json entry;
  std::istringstream log(text);
  for (std::string line; std::getline(log, line);) {
    EXPECT_TRUE(json::accept(line)) << line;  // the whole log is JSON lines
    if (line.find(path) != std::string::npos) entry = json::parse(line);
  }
  ASSERT_FALSE(entry.is_null()) << text;
  EXPECT_EQ(entry["method"], "GET");
  EXPECT_EQ(entry["path"], path);
  EXPECT_EQ(entry["query"], "a=1");
  EXPECT_EQ(entry["status"], 404);
  EXPECT_EQ(entry["bytes"], r.body.size());
  EXPECT_EQ(entry["peer"], "127.0.0.1");
  EXPECT_GE(entry["ms"].get<double>(), 0.0);
  const std::string ts = entry["ts"];
  EXPECT_EQ(ts.size(), 24u) << ts;  // 2026-11-26T01:40:00.123Z
  EXPECT_EQ(ts.back(), 'Z');
}

TEST_F(ServeTest, ConcurrentClientsAllGetAnswers) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      try {
        HttpConnection c(port());
        for (int i = 0; i < 50; ++i) {
          c.send_request("GET", "/health");
          if (c.read_response().status == 200) ++ok;
        }
      } catch (const std::exception&) {
        // counted as missing answers below
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8 * 50);
}

// A cached tile is answered at once by the thread that read the request (lane "now" in the log);
// a tile to build, a gzip form to make, a request with credentials and everything else go to a
// worker. Answers keep their order on a connection whichever thread gives them.
TEST_F(ServeTest, ACachedTileIsAnsweredAtOnceAndTheRestByAWorker) {
  const Tile t = mercator_tile(120.123, 30.111, 13);
  const std::string path = "/tiles/grids.village,households/" + t.path() + ".mvt";
  HttpConnection c(port());
  auto get = [&](const std::vector<std::string>& headers) {
    c.send_request("GET", path, headers);
    return c.read_response();
  };
  const HttpResponse built = get({});
  ASSERT_EQ(built.status, 200) << built.body;
  ASSERT_FALSE(built.body.empty());
  EXPECT_EQ(built.header("X-Cache"), "miss");
  const HttpResponse hit = get({});
  EXPECT_EQ(hit.status, 200);
  EXPECT_EQ(hit.header("X-Cache"), "hit");
  EXPECT_EQ(hit.body, built.body);
  EXPECT_EQ(hit.header("ETag"), built.header("ETag"));
  EXPECT_FALSE(hit.header("X-Request-Id").empty());
  EXPECT_EQ(hit.header("Access-Control-Allow-Origin"), "*");
  const HttpResponse gz_made = get({"Accept-Encoding: gzip"});  // a worker compresses it
  EXPECT_EQ(gz_made.header("Content-Encoding"), "gzip");
  const HttpResponse gz_hit = get({"Accept-Encoding: gzip"});
  EXPECT_EQ(gz_hit.body, gz_made.body);
  EXPECT_EQ(gunzip(gz_hit.body), built.body);
  EXPECT_EQ(get({"If-None-Match: " + built.header("ETag")}).status, 304);
  EXPECT_EQ(get({"Authorization: Bearer nobody-has-this"}).status, 401);

  // Pipelined: a hit, a request for a worker, a hit; answered in that order.
  c.send_raw("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n" +
             "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
  const HttpResponse p1 = c.read_response(), p2 = c.read_response(), p3 = c.read_response();
  EXPECT_EQ(p1.body, built.body);
  EXPECT_EQ(p2.status, 200);
  EXPECT_TRUE(json::accept(p2.body));
  EXPECT_EQ(p3.body, built.body);

  // The log is written in the order of the answers; this one comes last.
  const std::string last = "/log-probe-now-" + std::to_string(::getpid());
  c.send_request("GET", last);
  EXPECT_EQ(c.read_response().status, 404);
  std::vector<std::string> lanes;
  std::istringstream log(server().log_with(last));
  for (std::string line; std::getline(log, line);)
    if (line.find("\"path\":\"" + path + "\"") != std::string::npos)
      lanes.push_back(json::parse(line)["lane"]);
  EXPECT_EQ(lanes,
            (std::vector<std::string>{"read", "now", "read", "now", "now", "read", "now", "now"}));
}

// ---------------------------------------------------------------------------------------------
// The request log: no token ever reaches it, wherever a client put one.

TEST(ServeLog, NoTokenEverReachesTheServersLog) {
  TempDir dir;
  const std::string store = write_dispatch_county(dir.path());
  const auto app = run_user_command(store, {"add", "--id", "app", "--role", "reporter"});
  const auto centre = run_user_command(store, {"add", "--id", "centre", "--role", "centre"});
  ASSERT_EQ(app.exit_code, 0) << app.err;
  ASSERT_EQ(centre.exit_code, 0) << centre.err;
  const std::string admin = kAdminToken;
  std::vector<std::string> secrets = {admin, app.out, centre.out,
                                      "om_0123456789abcdef0123456789abcdef01234567"};
  const std::string log = dir.file("serve.log");
  {
    ServerProcess server({"--data", store, "--config", dispatch_config_path(), "--write-token-file",
                          admin_token_file(dir.path())},
                         log);
    auto client = [&] { return HttpConnection(server.port()); };
    // In Authorization: valid, unknown, the administrator's.
    EXPECT_EQ(client().get("/users/me", app.out).status, 200);
    EXPECT_EQ(client().get("/users/me", secrets[3]).status, 401);
    EXPECT_EQ(client().get("/households/1", centre.out).status, 200);
    HttpResponse r = client().send("POST", "/users", R"({"id":"new","role":"reporter"})", admin);
    ASSERT_EQ(r.status, 201) << r.body;
    secrets.push_back(r.json()["token"]);
    r = client().send("POST", "/users/new/token", "", admin);
    ASSERT_EQ(r.status, 200) << r.body;
    secrets.push_back(r.json()["token"]);
    // As api_key in the query: Open311's GET, its name spelt plainly, percent-encoded and in
    // capitals; a wrong key; an api_key where no route takes one.
    EXPECT_EQ(client().get("/open311/v2/requests.json?api_key=" + app.out).status, 200);
    EXPECT_EQ(client().get("/open311/v2/requests.json?api%5Fkey=" + centre.out).status, 200);
    client().get("/open311/v2/requests.json?API_KEY=" + centre.out);
    EXPECT_EQ(client().get("/open311/v2/requests.json?api_key=" + secrets[3]).status, 401);
    client().get("/health?api_key=" + secrets[4]);
    client().get("/users/me?token=" + secrets[5]);
    // In an Open311 form body.
    const std::string form = "api_key=" + app.out + "&service_code=0101&lat=30.1&long=120.02";
    EXPECT_EQ(client()
                  .send("POST", "/open311/v2/requests.json", form, "",
                        "application/x-www-form-urlencoded")
                  .status,
              201);
    ASSERT_EQ(server.stop(SIGTERM, 20s), 0);
  }
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_NE(text.find("\"path\":\"/open311/v2/requests.json\""), std::string::npos)
      << text;  // requests were logged
  EXPECT_NE(text.find("api_key=REDACTED"), std::string::npos) << text;
  EXPECT_NE(text.find("api%5Fkey=REDACTED"), std::string::npos) << text;
  for (const std::string& s : secrets) {
    EXPECT_EQ(text.find(s), std::string::npos) << "a token in the log: " << s;
    EXPECT_EQ(text.find(onemap::auth::token_hash(s)), std::string::npos);
  }
}

// ---------------------------------------------------------------------------------------------
// Lifecycle: each test starts its own server.

class ServeLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = write_small_county(dir_.path()); }
  TempDir dir_;
  std::string store_;
};

TEST_F(ServeLifecycleTest, SigtermStopsPromptlyWithExitZeroEvenWithOpenConnections) {
  ServerProcess s({"--data", store_}, dir_.file("serve.log"));
  HttpConnection idle(s.port());
  idle.send_request("GET", "/health");
  ASSERT_EQ(idle.read_response().status, 200);
  const auto t0 = std::chrono::steady_clock::now();
  const auto code = s.stop(SIGTERM, 5s);
  ASSERT_TRUE(code.has_value()) << "did not exit within 5 s of SIGTERM\n" << s.log();
  EXPECT_EQ(*code, 0) << s.log();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  const std::string log = s.log();
  EXPECT_NE(log.find("received SIGTERM, shutting down"), std::string::npos) << log;
  // The request log is written before the last line.
  const auto request_line = log.find("\"path\":\"/health\"");
  const auto stopped = log.find("\"msg\":\"stopped\"");
  ASSERT_NE(stopped, std::string::npos) << log;
  ASSERT_NE(request_line, std::string::npos) << log;
  EXPECT_LT(request_line, stopped) << log;
  EXPECT_EQ(log.find('\n', stopped), log.size() - 1) << "\"stopped\" is not the last line:\n"
                                                     << log;
}

TEST_F(ServeLifecycleTest, SigintStopsWithExitZero) {
  ServerProcess s({"--data", store_}, dir_.file("serve.log"));
  const auto code = s.stop(SIGINT, 5s);
  ASSERT_TRUE(code.has_value()) << s.log();
  EXPECT_EQ(*code, 0) << s.log();
  EXPECT_NE(s.log().find("received SIGINT"), std::string::npos) << s.log();
}

TEST_F(ServeLifecycleTest, IdleConnectionsAreClosedAfterTheIdleTimeout) {
  ServerProcess s({"--data", store_, "--idle-timeout", "1"}, dir_.file("serve.log"));
  HttpConnection after_request(s.port());
  after_request.send_request("GET", "/health");
  ASSERT_EQ(after_request.read_response().status, 200);
  HttpConnection silent(s.port());  // connects and never sends a byte
  EXPECT_TRUE(after_request.closed_by_server(5s));
  // The silent one is closed too (Pistache answers 408 first); it must not stay open forever.
  bool silent_closed = false;
  try {
    const HttpResponse r = silent.read_response(false, 5s);
    EXPECT_EQ(r.status, 408);
    silent_closed = silent.closed_by_server(2s);
  } catch (const std::runtime_error&) {
    silent_closed = true;  // closed without an answer
  }
  EXPECT_TRUE(silent_closed);
  // The server itself is still fine.
  EXPECT_EQ(HttpConnection(s.port()).get("/health").status, 200);
}

TEST_F(ServeLifecycleTest, BusyPortIsAnErrorWithExitOne) {
  ServerProcess first({"--data", store_}, dir_.file("first.log"));
  // Another store: the same one is refused before the port is tried (ServedStoreIsRefused).
  const std::string other = dir_.file("other.gpkg");
  std::filesystem::copy_file(store_, other);
  const auto r = run_command(
      {ONEMAP_BINARY, "serve", "--data", other, "--port", std::to_string(first.port())}, 30s);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("onemap: error: cannot listen on 127.0.0.1:" + std::to_string(first.port())),
            std::string::npos)
      << r.err;
}

TEST_F(ServeLifecycleTest, ServedStoreIsRefused) {
  ServerProcess first({"--data", store_}, dir_.file("first.log"));
  const auto r = run_command({ONEMAP_BINARY, "serve", "--data", store_, "--port", "0"}, 30s);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("is served by a running onemap"), std::string::npos) << r.err;
  EXPECT_EQ(HttpConnection(first.port()).get("/health").status, 200);
}

TEST_F(ServeLifecycleTest, MissingStoreIsAnErrorWithExitOne) {
  const std::string missing = dir_.file("absent.gpkg");
  const auto r = run_command({ONEMAP_BINARY, "serve", "--data", missing}, 30s);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("onemap: error: no store at " + missing), std::string::npos) << r.err;
}

// A county's own read policy (--read-policy) that closes an attribute the tiles carry to the
// public stops the server at start, naming it; a wrong entry is a usage error naming itself.
TEST_F(ServeLifecycleTest, AReadPolicyTheTilesCannotKeepIsRefusedAtStart) {
  json policy = source_data_json("read_policy.json");
  policy["layers"]["enterprises"]["fields"]["last_inspection"] = "staff";
  const std::string closing = dir_.file("closing-policy.json");
  std::ofstream(closing) << policy.dump();
  const auto refused = run_command(
      {ONEMAP_BINARY, "serve", "--data", store_, "--port", "0", "--read-policy", closing}, 60s);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("last_inspection"), std::string::npos) << refused.err;
  // A wrong entry names itself before anything is loaded.
  policy["roles"]["mayor"] = {{"audience", "personal"}};
  std::ofstream(closing) << policy.dump();
  const auto wrong = run_command(
      {ONEMAP_BINARY, "serve", "--data", store_, "--port", "0", "--read-policy", closing}, 30s);
  EXPECT_EQ(wrong.exit_code, 2) << wrong.err;
  EXPECT_NE(wrong.err.find("roles.mayor"), std::string::npos) << wrong.err;
}

TEST(ServeArguments, BadValuesAreUsageErrorsNamingTheOption) {
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{"--port", "70000", "--data", "x.gpkg"}, "--port"},
      {{"--port", "80a", "--data", "x.gpkg"}, "--port"},
      {{"--threads", "0", "--data", "x.gpkg"}, "--threads"},
      {{"--join-distance", "-5", "--data", "x.gpkg"}, "--join-distance"},
      {{"--idle-timeout", "0", "--data", "x.gpkg"}, "--idle-timeout"},
      {{"--port"}, "--port needs a value"},
      {{"--bogus", "1"}, "unknown argument '--bogus'"},
      {{}, "--data FILE.gpkg is required"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv = {ONEMAP_BINARY, "serve"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const auto r = run_command(argv, 30s);
    EXPECT_EQ(r.exit_code, 2) << c.expected << "\n" << r.err;
    EXPECT_NE(r.err.find("onemap serve: " + c.expected), std::string::npos) << r.err;
  }
}

}  // namespace
