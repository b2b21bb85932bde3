// The HTTP server, driven through the real `onemap serve` over raw sockets: /health and /layers
// against the store read independently (the oracle), JSON errors, connection persistence
// (keep-alive by default on HTTP/1.1, "Connection: close", HTTP/1.0), the request log, timeouts
// and shutdown on SIGTERM/SIGINT. Also the exception → HTTP mapping, in process.
#include "fixtures.hpp"
#include "test_support.hpp"

#include "http/errors.hpp"

#include "api/server.hpp"
#include "core/errors.hpp"
#include "layers/model/model.hpp"
#include "layers/model/schema.hpp"
#include "layers/store/store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using nlohmann::json;
using onemap::layers::Dataset;
using onemap::layers::GridLevel;
using onemap::layers::LayerKind;
using onemap::testing::HttpConnection;
using onemap::testing::HttpResponse;
using onemap::testing::ServerProcess;
using onemap::testing::TempDir;
using namespace std::chrono_literals;

/// [minx, miny, maxx, maxy] computed here from the loaded records (the oracle for /layers).
std::vector<double> oracle_extent(const Dataset& d, LayerKind k) {
  double b[4] = {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity(),
                 -std::numeric_limits<double>::infinity(),
                 -std::numeric_limits<double>::infinity()};
  auto add = [&](double x, double y) {
    b[0] = std::min(b[0], x);
    b[1] = std::min(b[1], y);
    b[2] = std::max(b[2], x);
    b[3] = std::max(b[3], y);
  };
  switch (k) {
    case LayerKind::Grids:
      for (const auto& g : d.grids)
        for (const auto& poly : g.geometry)
          for (const auto& p : poly.outer()) add(p.x(), p.y());
      break;
    case LayerKind::Households:
      for (const auto& r : d.households) add(r.location.lon, r.location.lat);
      break;
    case LayerKind::Enterprises:
      for (const auto& r : d.enterprises) add(r.location.lon, r.location.lat);
      break;
    case LayerKind::Incidents:
      for (const auto& r : d.incidents) add(r.location.lon, r.location.lat);
      break;
    case LayerKind::Workers:
      for (const auto& r : d.workers) add(r.location.lon, r.location.lat);
      break;
  }
  return {b[0], b[1], b[2], b[3]};
}

/// One served store shared by the tests of a suite.
class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    store_path_ = onemap::testing::write_small_county(dir_->path());
    oracle_ = new Dataset(onemap::layers::open_store(store_path_, false)->load());
    server_ = new ServerProcess(ONEMAP_BINARY, {"--data", store_path_, "--threads", "2"},
                                dir_->path() + "/serve.log");
  }
  static void TearDownTestSuite() {
    if (server_) server_->stop(SIGTERM, 10s);
    delete server_;
    delete oracle_;
    delete dir_;
    server_ = nullptr;
    oracle_ = nullptr;
    dir_ = nullptr;
  }
  static uint16_t port() { return server_->port(); }

  static TempDir* dir_;
  static std::string store_path_;
  static Dataset* oracle_;
  static ServerProcess* server_;
};
TempDir* ServerTest::dir_ = nullptr;
std::string ServerTest::store_path_;
Dataset* ServerTest::oracle_ = nullptr;
ServerProcess* ServerTest::server_ = nullptr;

void expect_json_error(const HttpResponse& r, int status) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  const json j = json::parse(r.body);
  ASSERT_TRUE(j.contains("error")) << r.body;
  EXPECT_EQ(j["error"]["status"], status);
  // The code comes from the error table, which alone decides the status.
  EXPECT_EQ(onemap::http::error_kind(j["error"]["code"].get<std::string>()).status, status)
      << r.body;
  EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
  EXPECT_EQ(j["error"]["request_id"], r.header("X-Request-Id"));
}

TEST_F(ServerTest, HealthReportsTheCountsOfTheStore) {
  const HttpResponse r = onemap::testing::http_get(port(), "/health");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  const json h = json::parse(r.body);
  EXPECT_EQ(h["status"], "ok");
  EXPECT_EQ(h["version"], ONEMAP_EXPECTED_VERSION);
  EXPECT_EQ(h["data"], store_path_);
  for (auto k : onemap::layers::kAllLayers)
    EXPECT_EQ(h["layers"][std::string(onemap::layers::layer_name(k))], oracle_->count(k))
        << onemap::layers::layer_name(k);
  std::map<std::string, std::size_t> per_level;
  for (const auto& g : oracle_->grids)
    ++per_level[std::string(onemap::layers::level_name(g.level))];
  for (const char* level : {"county", "town", "village", "grid", "microgrid"})
    EXPECT_EQ(h["grids_by_level"][level], per_level[level]) << level;
  EXPECT_EQ(per_level["grid"], 8u);  // the fixture itself: 8 grids written, 8 read back
  EXPECT_GE(h["load_seconds"].get<double>(), 0.0);
  EXPECT_LT(h["load_seconds"].get<double>(), 60.0);
}

TEST_F(ServerTest, LayersDescribeEveryLayerWithoutPersonalFields) {
  const HttpResponse r = onemap::testing::http_get(port(), "/layers");
  ASSERT_EQ(r.status, 200) << r.body;
  const json layers = json::parse(r.body);
  ASSERT_TRUE(layers.is_array());
  ASSERT_EQ(layers.size(), std::size(onemap::layers::kAllLayers));
  std::size_t i = 0;
  for (auto k : onemap::layers::kAllLayers) {
    const json& l = layers[i++];
    const std::string name(onemap::layers::layer_name(k));
    SCOPED_TRACE(name);
    EXPECT_EQ(l["name"], name);
    EXPECT_EQ(l["geometry_type"], k == LayerKind::Grids ? "MultiPolygon" : "Point");
    EXPECT_EQ(l["count"], oracle_->count(k));
    EXPECT_EQ(l["crs"], "EPSG:4490");
    const auto expected = oracle_extent(*oracle_, k);
    ASSERT_TRUE(l["extent"].is_array()) << l.dump();
    ASSERT_EQ(l["extent"].size(), 4u);
    for (int c = 0; c < 4; ++c) EXPECT_NEAR(l["extent"][c].get<double>(), expected[c], 1e-12) << c;
    std::vector<std::string> listed, expected_fields;
    for (const auto& f : l["fields"]) {
      listed.push_back(f["name"]);
      EXPECT_TRUE(f.contains("type"));
      EXPECT_FALSE(f.contains("personal"));
    }
    for (const auto& f : onemap::layers::layer_fields(k))
      if (!f.personal) expected_fields.push_back(f.name);
    EXPECT_EQ(listed, expected_fields);
  }
  // The personal attributes the fixture filled in are nowhere in the public description.
  for (const char* personal : {"head_name", "phone", "id_number"})
    EXPECT_EQ(r.body.find(personal), std::string::npos) << personal;
  // The grids' extent is the fixture's own rectangle: an oracle independent of the store.
  const auto& g = layers[0]["extent"];
  EXPECT_NEAR(g[0].get<double>(), 120.0, 1e-9);
  EXPECT_NEAR(g[1].get<double>(), 30.0, 1e-9);
  EXPECT_NEAR(g[2].get<double>(), 120.4, 1e-9);
  EXPECT_NEAR(g[3].get<double>(), 30.2, 1e-9);
}

TEST_F(ServerTest, UnknownPathIs404Json) {
  const HttpResponse r = onemap::testing::http_get(port(), "/no/such/thing");
  expect_json_error(r, 404);
  EXPECT_NE(r.body.find("/no/such/thing"), std::string::npos);
}

TEST_F(ServerTest, WrongMethodIs405WithAllowHeader) {
  for (const char* method : {"POST", "DELETE", "PUT"}) {
    HttpConnection c(port());
    c.send_request(method, "/health", {"Content-Length: 0"});
    const HttpResponse r = c.read_response();
    SCOPED_TRACE(method);
    expect_json_error(r, 405);
    EXPECT_EQ(r.header("Allow"), "GET, HEAD");
  }
}

TEST_F(ServerTest, UnknownQueryParameterIs400NamingIt) {
  const HttpResponse r = onemap::testing::http_get(port(), "/layers?colour=red");
  expect_json_error(r, 400);
  EXPECT_EQ(json::parse(r.body)["error"]["parameter"], "colour");
}

TEST_F(ServerTest, HeadAnswersHeadersOnlyAndTheConnectionStaysUsable) {
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

TEST_F(ServerTest, Http11WithoutConnectionHeaderKeepsTheConnection) {
  HttpConnection c(port());
  for (int i = 0; i < 3; ++i) {
    c.send_request("GET", i == 1 ? "/layers" : "/health");
    const HttpResponse r = c.read_response();
    EXPECT_EQ(r.status, 200) << "request " << i;
    EXPECT_EQ(r.header("Connection"), "keep-alive") << "request " << i;
  }
  EXPECT_FALSE(c.closed_by_server(300ms));
}

TEST_F(ServerTest, ErrorsKeepTheConnectionToo) {
  HttpConnection c(port());
  c.send_request("GET", "/missing");
  EXPECT_EQ(c.read_response().status, 404);
  c.send_request("GET", "/health");
  EXPECT_EQ(c.read_response().status, 200);
}

TEST_F(ServerTest, ConnectionCloseIsAnsweredThenClosed) {
  HttpConnection c(port());
  c.send_request("GET", "/health", {"Connection: close"});
  const HttpResponse r = c.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Connection"), "close");
  EXPECT_TRUE(c.closed_by_server(2s));
}

TEST_F(ServerTest, Http10ClosesUnlessKeepAliveIsAsked) {
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

TEST_F(ServerTest, RequestSplitAcrossPacketsIsAnswered) {
  HttpConnection c(port());
  c.send_raw("GET /hea");
  std::this_thread::sleep_for(50ms);
  c.send_raw("lth HTTP/1.1\r\nHo");
  std::this_thread::sleep_for(50ms);
  c.send_raw("st: x\r\n\r\n");
  EXPECT_EQ(c.read_response().status, 200);
}

TEST_F(ServerTest, OversizedHeadersAre431JsonAndClosed) {
  HttpConnection c(port());
  try {
    c.send_raw("GET /health HTTP/1.1\r\nHost: x\r\nX-Filler: " + std::string(200 * 1024, 'a') +
               "\r\n\r\n");
  } catch (const std::runtime_error&) {
    // the server may close while the rest is still being sent; its answer is already queued
  }
  const HttpResponse r = c.read_response();
  expect_json_error(r, 431);
  EXPECT_EQ(r.header("Connection"), "close");
  EXPECT_TRUE(c.closed_by_server(2s));
}

TEST_F(ServerTest, OversizedRequestIs413JsonAndClosed) {
  HttpConnection c(port());
  const std::size_t body = 5 * 1024 * 1024;  // over the 4 MiB limit
  try {
    c.send_raw("POST /collections/grids/items HTTP/1.1\r\nHost: x\r\nContent-Length: " +
               std::to_string(body) + "\r\n\r\n" + std::string(body, ' '));
  } catch (const std::runtime_error&) {
    // the server may close while the rest is still being sent; its answer is already queued
  }
  const HttpResponse r = c.read_response();
  expect_json_error(r, 413);
  EXPECT_EQ(r.header("Connection"), "close");
  EXPECT_TRUE(c.closed_by_server(2s));
}

TEST_F(ServerTest, UnknownMethodIs501AndTheConnectionStaysUsable) {
  HttpConnection c(port());
  c.send_raw("FETCH /health HTTP/1.1\r\nHost: x\r\n\r\n");
  expect_json_error(c.read_response(), 501);
  c.send_request("GET", "/health");
  EXPECT_EQ(c.read_response().status, 200);
}

TEST_F(ServerTest, MalformedRequestIs400JsonAndClosed) {
  HttpConnection c(port());
  c.send_raw("hello there\r\n\r\n");
  const HttpResponse r = c.read_response();
  expect_json_error(r, 400);
  EXPECT_TRUE(c.closed_by_server(2s));
}

TEST_F(ServerTest, EveryRequestIsOneJsonLogLine) {
  const std::string path = "/log-probe-" + std::to_string(::getpid());
  const HttpResponse r = onemap::testing::http_get(port(), path + "?a=1");
  ASSERT_EQ(r.status, 404);
  json entry;
  for (int attempt = 0; attempt < 100 && entry.is_null(); ++attempt) {
    std::istringstream log(server_->log());
    std::string line;
    while (std::getline(log, line)) {
      if (line.find(path) == std::string::npos) continue;
      entry = json::parse(line);  // every line must be one JSON object
    }
    if (entry.is_null()) std::this_thread::sleep_for(20ms);
  }
  ASSERT_FALSE(entry.is_null()) << server_->log();
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
  // And the whole log is JSON lines.
  std::istringstream log(server_->log());
  std::string line;
  while (std::getline(log, line)) EXPECT_TRUE(json::accept(line)) << line;
}

TEST_F(ServerTest, ConcurrentClientsAllGetAnswers) {
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

// ---------------------------------------------------------------------------------------------
// Lifecycle: each test starts its own server.

class ServeLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = onemap::testing::write_small_county(dir_.path()); }
  TempDir dir_;
  std::string store_;
};

TEST_F(ServeLifecycleTest, SigtermStopsPromptlyWithExitZeroEvenWithOpenConnections) {
  ServerProcess s(ONEMAP_BINARY, {"--data", store_}, dir_.path() + "/serve.log");
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
  ServerProcess s(ONEMAP_BINARY, {"--data", store_}, dir_.path() + "/serve.log");
  const auto code = s.stop(SIGINT, 5s);
  ASSERT_TRUE(code.has_value()) << s.log();
  EXPECT_EQ(*code, 0) << s.log();
  EXPECT_NE(s.log().find("received SIGINT"), std::string::npos) << s.log();
}

TEST_F(ServeLifecycleTest, IdleConnectionsAreClosedAfterTheIdleTimeout) {
  ServerProcess s(ONEMAP_BINARY, {"--data", store_, "--idle-timeout", "1"},
                  dir_.path() + "/serve.log");
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
  EXPECT_EQ(onemap::testing::http_get(s.port(), "/health").status, 200);
}

TEST_F(ServeLifecycleTest, BusyPortIsAnErrorWithExitOne) {
  ServerProcess first(ONEMAP_BINARY, {"--data", store_}, dir_.path() + "/first.log");
  // Another store: the same one is refused before the port is tried (ServedStoreIsRefused).
  const std::string other = dir_.path() + "/other.gpkg";
  std::filesystem::copy_file(store_, other);
  const auto r = onemap::testing::run_command(
      {ONEMAP_BINARY, "serve", "--data", other, "--port", std::to_string(first.port())}, 30s);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("onemap: error: cannot listen on 127.0.0.1:" + std::to_string(first.port())),
            std::string::npos)
      << r.err;
}

TEST_F(ServeLifecycleTest, ServedStoreIsRefused) {
  ServerProcess first(ONEMAP_BINARY, {"--data", store_}, dir_.path() + "/first.log");
  const auto r =
      onemap::testing::run_command({ONEMAP_BINARY, "serve", "--data", store_, "--port", "0"}, 30s);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("is served by a running onemap"), std::string::npos) << r.err;
  EXPECT_EQ(onemap::testing::http_get(first.port(), "/health").status, 200);
}

TEST_F(ServeLifecycleTest, MissingStoreIsAnErrorWithExitOne) {
  const std::string missing = dir_.path() + "/absent.gpkg";
  const auto r = onemap::testing::run_command({ONEMAP_BINARY, "serve", "--data", missing}, 30s);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("onemap: error: no store at " + missing), std::string::npos) << r.err;
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
    const auto r = onemap::testing::run_command(argv, 30s);
    EXPECT_EQ(r.exit_code, 2) << c.expected << "\n" << r.err;
    EXPECT_NE(r.err.find("onemap serve: " + c.expected), std::string::npos) << r.err;
  }
}

}  // namespace
