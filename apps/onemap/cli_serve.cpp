// `onemap serve`: loads a store into memory and serves it over HTTP until SIGINT or SIGTERM.
//   onemap serve --data FILE.gpkg [--address 127.0.0.1] [--port 8080] [options]
// Every line it writes to stderr is one JSON object: lifecycle messages ("msg") and one line
// per request (see api/server.hpp).
#include "api/feeds.hpp"
#include "api/server.hpp"
#include "api/webhooks.hpp"
#include "apps/onemap/cli.hpp"
#include "layers/store/store_lock.hpp"

#include "core/errors.hpp"
#include "core/time.hpp"

#include <nlohmann/json.hpp>

#include <unistd.h>
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

namespace onemap::cli {

namespace {

constexpr const char* kUsage = R"(usage: onemap serve --data FILE.gpkg [options]

Loads every layer of the store into memory and serves it over HTTP:
  GET /health   status, version, layer counts, grids per level, load time
  GET /layers   name, geometry type, count, extent, CRS and public fields of every layer
  GET /tiles/{layers}/{z}/{x}/{y}.mvt, /tiles/cgcs2000/…, /tiles/{layers}.json   vector tiles
  GET /metrics  tile cache and build metrics (Prometheus text)
  GET /, /conformance, /api, /collections[/{id}[/items[/{featureId}]]]   OGC API - Features
  POST /incidents, GET|PATCH /incidents/{id}, POST /incidents/{id}/actions,
  GET /incidents/{id}/history   intake, routing and the closed loop (users' bearer tokens from
                `onemap user`); the same for /households, /enterprises, GET|PATCH /grids/{id}
  /open311/v2/services.json, /open311/v2/requests.json, /open311/v2/requests/{id}.json
                Open311 GeoReport v2 intake
  POST /dispatch/batch, POST /escalations/sweep   batch dispatch and the overdue sweep
  GET|POST /admin/layers, GET|PUT|DELETE /admin/layers/{name}   the county's own layers, added
                and dropped while serving (the administrator's)
  POST /collections/{name}/feed   a batch of another system's records upserted into a county
                layer by its id field (an admin's or a feed user's token); the feeds of
                `onemap feed add` are pulled when due
  GET /events   server-sent events of the incidents' outbox, as the caller may read them; and
                every event POSTed to the subscribers of `onemap webhook add`, signed
Logs one JSON line per request on stderr. Stops cleanly on SIGINT or SIGTERM.

  --data FILE.gpkg      the store to serve (required; see `onemap demo` and `onemap import`)
  --address ADDR        address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  --port N              TCP port (default 8080; 0 picks a free one, printed when listening)
  --threads N           event-loop threads reading sockets (default 1; handlers run on workers)
  --workers R,Q,W       workers of the read, query and write lanes (default: 2x cores, cores
                        and 2; cores as this process's CPU affinity allows)
  --request-timeout S   a request's time budget: one that waits or runs longer gets a 503 with
                        Retry-After (default 30)
  --join-distance M     points outside every grid join the nearest grid within M metres
                        (default 500)
  --idle-timeout S      close a persistent connection idle for S seconds, and one whose
                        request is not complete within min(S, 10) seconds (default 60)
  --write-token-file F  a file whose first line is the administrator's bearer token (default:
                        $ONEMAP_WRITE_TOKEN; without either, only users' tokens from `onemap
                        user` are accepted). Never on the command line, where `ps` shows it.
  --config FILE         dispatch configuration: categories, deadlines, calendar, workload cap
                        (default: data/dispatch.json, see `onemap user --help`)
  --sweep-interval S    escalate overdue incidents every S seconds (default 60; 0: never)
  --feed-interval S     look for pulled feeds due (onemap feed add) every S seconds (default
                        10; 0: never pull)
  --feed-max-mb N       the largest batch POST /collections/{name}/feed takes, in MiB (default
                        64)
  --event-streams N     GET /events streams open at once (default 256; 503 beyond)
  --webhook-max-retry S the longest pause between retries of a failing subscriber (default 60)
  --tiles-config FILE   tile layers' zooms, attributes and clustering (JSON; see README)
  --tile-cache-mb N     tile cache budget in MiB (default 256; 0 disables the cache)
  --cache-control TEXT  Cache-Control of tiles (default "no-cache": revalidate by ETag)
  --cors ORIGIN         Access-Control-Allow-Origin of every answer (default "*"; "" for none)
  --empty-tile 204|200  answer for a tile with no feature (default 204)
  --read-policy FILE    who reads which layer and field (JSON; default: data/read_policy.json
                        as built in; see the README's Security section)
  --web-dir DIR         the web map served at / to browsers and at /app/ (default: web/dist
                        of the source tree onemap was built from, or <prefix>/share/onemap/web)
  --basemap URL         a basemap tile URL ({z}/{x}/{y}) for the web map, e.g. Tianditu or Amap;
                        repeat for layers drawn on top; overlays shift to GCJ-02 for Amap
                        (default: none, a plain background)
  --help                this text
)";

int usage_error(const std::string& message) {
  std::cerr << "onemap serve: " << message << "\n(see onemap serve --help)\n";
  return 2;
}

/// Calls fn() every `seconds` on a thread of its own until destroyed (never when 0).
class Periodic {
 public:
  Periodic(int seconds, std::function<void()> fn) {
    if (seconds <= 0) return;
    thread_ = std::thread([this, seconds, fn = std::move(fn)] {
      std::unique_lock lk(mutex_);
      while (!cv_.wait_for(lk, std::chrono::seconds(seconds), [&] { return stopping_; })) {
        lk.unlock();
        fn();
        lk.lock();
      }
    });
  }
  ~Periodic() {
    {
      std::lock_guard lk(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

/// One JSON log line on stderr: {"ts":"…","level":"info","msg":"…"} plus `extra`'s members.
void log_line(const std::string& msg,
              const nlohmann::ordered_json& extra = nlohmann::ordered_json::object()) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  std::string ts;
  core::append_iso8601_ms(ts, ms);
  nlohmann::ordered_json line = {{"ts", ts}, {"level", "info"}, {"msg", msg}};
  for (const auto& item : extra.items()) line[item.key()] = item.value();
  const std::string text =
      line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  // One write, so that it never interleaves with the request log of the server threads.
  if (::write(STDERR_FILENO, text.data(), text.size()) < 0) {
  }
}

std::optional<long> parse_long(const std::string& s) {
  if (s.empty()) return std::nullopt;
  std::size_t used = 0;
  try {
    const long v = std::stol(s, &used);
    if (used != s.size()) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<double> parse_double(const std::string& s) {
  if (s.empty()) return std::nullopt;
  std::size_t used = 0;
  try {
    const double v = std::stod(s, &used);
    if (used != s.size() || !std::isfinite(v)) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

int run_serve(const Args& args) {
  api::ServerOptions options;
  layers::JoinOptions join;
  std::string data;
  std::string tiles_config;
  std::string config;
  int sweep_seconds = 60;
  int feed_seconds = 10;
  api::WebhookDeliverer::Options webhooks;

  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    std::optional<std::string> inline_value;
    if (a.rfind("--", 0) == 0) {
      if (const auto eq = a.find('='); eq != std::string::npos) {
        inline_value = a.substr(eq + 1);
        a = a.substr(0, eq);
      }
    }
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
    const bool takes_value =
        a == "--data" || a == "--address" || a == "--port" || a == "--threads" ||
        a == "--join-distance" || a == "--idle-timeout" || a == "--write-token" ||
        a == "--write-token-file" || a == "--workers" || a == "--request-timeout" ||
        a == "--tiles-config" || a == "--tile-cache-mb" || a == "--cache-control" ||
        a == "--cors" || a == "--empty-tile" || a == "--read-policy" || a == "--web-dir" ||
        a == "--basemap" || a == "--config" || a == "--sweep-interval" || a == "--feed-interval" ||
        a == "--feed-max-mb" || a == "--webhook-max-retry" || a == "--event-streams";
    if (!takes_value) return usage_error("unknown argument '" + a + "'");
    std::string v;
    if (inline_value) {
      v = *inline_value;
    } else {
      if (i + 1 >= args.size()) return usage_error(a + " needs a value");
      v = args[++i];
    }
    if (a == "--data") {
      data = v;
    } else if (a == "--address") {
      if (v.empty()) return usage_error("--address: empty");
      options.address = v;
    } else if (a == "--port") {
      const auto p = parse_long(v);
      if (!p || *p < 0 || *p > 65535)
        return usage_error("--port: expected 0-65535, got '" + v + "'");
      options.port = static_cast<uint16_t>(*p);
    } else if (a == "--threads") {
      const auto t = parse_long(v);
      if (!t || *t < 1 || *t > 256)
        return usage_error("--threads: expected 1-256, got '" + v + "'");
      options.threads = static_cast<int>(*t);
    } else if (a == "--join-distance") {
      const auto d = parse_double(v);
      if (!d || *d < 0)
        return usage_error("--join-distance: expected metres >= 0, got '" + v + "'");
      join.max_distance_m = *d;
    } else if (a == "--idle-timeout") {
      const auto t = parse_long(v);
      if (!t || *t < 1 || *t > 86400)
        return usage_error("--idle-timeout: expected 1-86400 seconds, got '" + v + "'");
      options.keepalive_timeout = std::chrono::seconds(*t);
      options.header_timeout = std::min(options.header_timeout, options.keepalive_timeout);
    } else if (a == "--write-token") {
      return usage_error(
          "--write-token: a token on the command line is visible to every user of the machine "
          "(ps); put it in a file for --write-token-file, or in $ONEMAP_WRITE_TOKEN");
    } else if (a == "--write-token-file") {
      std::ifstream in(v);
      if (!in) return usage_error("--write-token-file: cannot read " + v);
      std::string token;
      std::getline(in, token);
      while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
      if (token.size() < 16)
        return usage_error("--write-token-file: the token in " + v +
                           " is shorter than 16 characters");
      options.write_token = token;
    } else if (a == "--workers") {
      std::array<int, http::kLanes> lanes{};
      std::size_t k = 0, start = 0;
      bool ok = true;
      while (ok && start <= v.size() && k < lanes.size()) {
        const std::size_t comma = std::min(v.find(',', start), v.size());
        const auto n = parse_long(v.substr(start, comma - start));
        ok = n && *n >= 1 && *n <= 256;
        if (ok) lanes[k++] = static_cast<int>(*n);
        start = comma + 1;
      }
      if (!ok || k != lanes.size() || start <= v.size())
        return usage_error("--workers: expected three counts 1-256 (read,query,write), got '" + v +
                           "'");
      options.lane_threads = lanes;
    } else if (a == "--request-timeout") {
      const auto t = parse_double(v);
      if (!t || *t < 0.1 || *t > 3600)
        return usage_error("--request-timeout: expected 0.1-3600 seconds, got '" + v + "'");
      options.request_budget = std::chrono::milliseconds(static_cast<long>(*t * 1000));
    } else if (a == "--config") {
      config = v;
    } else if (a == "--sweep-interval") {
      const auto t = parse_long(v);
      if (!t || *t < 0 || *t > 86400)
        return usage_error("--sweep-interval: expected 0-86400 seconds, got '" + v + "'");
      sweep_seconds = static_cast<int>(*t);
    } else if (a == "--feed-interval") {
      const auto t = parse_long(v);
      if (!t || *t < 0 || *t > 86400)
        return usage_error("--feed-interval: expected 0-86400 seconds, got '" + v + "'");
      feed_seconds = static_cast<int>(*t);
    } else if (a == "--event-streams") {
      const auto n = parse_long(v);
      if (!n || *n < 1 || *n > 100000)
        return usage_error("--event-streams: expected 1-100000, got '" + v + "'");
      options.events.max_streams = static_cast<std::size_t>(*n);
    } else if (a == "--webhook-max-retry") {
      const auto t = parse_long(v);
      if (!t || *t < 1 || *t > 86400)
        return usage_error("--webhook-max-retry: expected 1-86400 seconds, got '" + v + "'");
      webhooks.max_retry = std::chrono::seconds(*t);
      webhooks.first_retry = std::min(webhooks.first_retry, webhooks.max_retry);
    } else if (a == "--feed-max-mb") {
      const auto mb = parse_long(v);
      if (!mb || *mb < 1 || *mb > 4096)
        return usage_error("--feed-max-mb: expected 1-4096, got '" + v + "'");
      options.max_feed_bytes = static_cast<std::size_t>(*mb) << 20;
    } else if (a == "--tiles-config") {
      tiles_config = v;
    } else if (a == "--tile-cache-mb") {
      const auto mb = parse_long(v);
      if (!mb || *mb < 0 || *mb > 1048576)
        return usage_error("--tile-cache-mb: expected 0-1048576, got '" + v + "'");
      options.tiles.cache_bytes = static_cast<std::size_t>(*mb) << 20;
    } else if (a == "--cache-control") {
      options.tiles.cache_control = v;
    } else if (a == "--cors") {
      options.cors_origin = v;
    } else if (a == "--empty-tile") {
      if (v != "204" && v != "200")
        return usage_error("--empty-tile: expected 204 or 200, got '" + v + "'");
      options.tiles.empty_status = v == "204" ? 204 : 200;
    } else if (a == "--web-dir") {
      if (v.empty()) return usage_error("--web-dir: empty");
      options.web.dir = v;
    } else if (a == "--basemap") {
      if (v.find("{z}") == std::string::npos || v.find("{x}") == std::string::npos ||
          v.find("{y}") == std::string::npos)
        return usage_error("--basemap: expected a tile URL with {z}, {x} and {y}, got '" + v + "'");
      options.web.basemaps.push_back(v);
    } else if (a == "--read-policy") {
      try {
        options.read_policy = std::make_shared<const auth::ReadPolicy>(auth::ReadPolicy::read(v));
      } catch (const InvalidArgument& e) {
        return usage_error("--read-policy: " + e.detail());
      }
    }
  }
  if (options.write_token.empty())
    if (const char* t = std::getenv("ONEMAP_WRITE_TOKEN")) options.write_token = t;
  if (data.empty()) return usage_error("--data FILE.gpkg is required");
  if (options.web.dir.empty()) options.web.dir = api::default_web_dir();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(data, ec))
    throw StoreError("no store at " + data + " (create one with `onemap demo --out " + data +
                     "` or `onemap import --data " + data + " …`)");
  options.data_path = data;
  // Held while serving (and released after the store closes): `onemap dispatch` and `onemap
  // import` refuse the store meanwhile.
  const auto store_lock = layers::StoreLock::for_serving(data);

  // Before any thread exists, so that every thread inherits the mask and sigwait gets them.
  api::Server::block_shutdown_signals();

  layers::TileConfig tiles = layers::TileConfig::defaults();
  if (!tiles_config.empty()) {
    std::ifstream in(tiles_config);
    if (!in) return usage_error("--tiles-config: cannot read " + tiles_config);
    std::stringstream text;
    text << in.rdbuf();
    tiles = layers::TileConfig::from_json(text.str());
  }
  if (config.empty()) config = default_dispatch_config();
  layers::DispatchConfig dispatch;
  if (!config.empty())
    dispatch = layers::DispatchConfig::load(config);
  else
    log_line(
        "no dispatch configuration (data/dispatch.json): any category is taken, with no deadline",
        {{"level", "warning"}});
  const auto state = api::load_state(data, join, std::move(tiles), std::move(dispatch));
  auto lock = state->county->read();
  const auto& d = state->county->data();
  const double load_seconds = state->county->load_seconds();
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.2f", load_seconds);
  log_line("loaded " + std::to_string(d.grids.size()) + " grids, " +
               std::to_string(d.households.size()) + " households, " +
               std::to_string(d.enterprises.size()) + " enterprises, " +
               std::to_string(d.incidents.size()) + " incidents, " +
               std::to_string(d.workers.size()) + " workers from " + data + " in " + secs + " s",
           {{"load_seconds", load_seconds}});
  lock.unlock();

  api::Server server(options, state);
  server.start();
  log_line("listening on " + server.url(),
           {{"port", server.port()},
            {"threads", options.threads},
            {"workers",
             {{"read", options.lane_threads[0]},
              {"query", options.lane_threads[1]},
              {"write", options.lane_threads[2]}}},
            {"request_timeout_s", options.request_budget.count() / 1000.0}});
  const auto [web_ok, web_status] = api::web_app_status(options.web.dir);
  log_line(
      web_status,
      {{"level", web_ok ? "info" : "warning"}, {"web_dir", options.web.dir}, {"web_app", web_ok}});

  // The overdue sweep and the feeds' pulls, each on its own thread.
  std::unique_ptr<api::FeedPuller> feeds;
  if (feed_seconds > 0) feeds = std::make_unique<api::FeedPuller>(state->county);
  std::optional<Periodic> sweeper, puller;  // after `feeds`: stopped before it goes
  sweeper.emplace(sweep_seconds, [&] {
    try {
      const auto r = state->county->sweep_overdue();
      if (!r.escalated.empty() || !r.marked_overdue.empty())
        log_line("overdue sweep: " + std::to_string(r.escalated.size()) + " escalated, " +
                     std::to_string(r.marked_overdue.size()) + " marked overdue",
                 {{"escalated", r.escalated.size()}});
    } catch (const std::exception& e) {
      log_line(std::string("overdue sweep failed: ") + e.what(), {{"level", "error"}});
    }
  });
  puller.emplace(feed_seconds, [&] {
    try {
      for (const auto& o : feeds->run_due())
        log_line("feed " + o.feed + " into " + o.layer + (o.ok ? ": pulled" : ": failed"),
                 {{"level", o.ok ? "info" : "error"},
                  {"result", nlohmann::ordered_json::parse(o.result)}});
    } catch (const std::exception& e) {
      log_line(std::string("feeds could not be read: ") + e.what(), {{"level", "error"}});
    }
  });

  // The outbox pushed to its subscribers (onemap webhook add).
  auto deliverer = std::make_unique<api::WebhookDeliverer>(
      state->county, webhooks, [](const std::string& message, bool error) {
        log_line(message, {{"level", error ? "error" : "info"}});
      });

  const int sig = api::Server::wait_for_shutdown_signal();
  deliverer.reset();
  sweeper.reset();
  puller.reset();
  log_line(std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
  server.shutdown();
  // How many commits shared a disk flush (Store::sync): the group commit's effect.
  const auto synced = state->county->store_sync_counts();
  log_line("stopped", {{"store_commits", synced.commits}, {"store_flushes", synced.flushes}});
  return 0;
}

}  // namespace onemap::cli
