// The onemap HTTP server: the county's endpoints in one route table (routes()), served by the
// HTTP transport (http/transport.hpp) on worker lanes.
//
// Endpoints: GET /health, GET /layers, GET /metrics, the vector tiles under /tiles/
// (api/tiles.hpp) and as OGC API - Tiles (api/ogc_tiles.hpp), OGC API - Features under /,
// /conformance, /api and /collections (api/features.hpp), the record endpoints (api/records.hpp),
// Open311 under /open311/v2/ (api/open311.hpp) and the web map under / and /app/ (api/web_app.hpp).
// Each route declares who may call it and which lane runs it; errors come from the error table
// (http/errors.hpp).
#pragma once

#include "api/events.hpp"
#include "api/features.hpp"
#include "api/tiles.hpp"
#include "api/web_app.hpp"
#include "core/parallel.hpp"
#include "http/router.hpp"
#include "http/transport.hpp"
#include "layers/county/county.hpp"
#include "layers/model/join.hpp"
#include "layers/model/model.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace onemap::api {

struct ServerOptions {
  std::string address = "127.0.0.1";  ///< IPv4 or IPv6 literal, or a host name
  uint16_t port = 8080;               ///< 0: any free port (see Server::port())
  int threads = 1;                    ///< event-loop threads (reading sockets only)
  /// Workers of the read, query and write lanes (http/router.hpp Lane).
  std::array<int, http::kLanes> lane_threads =
      http::default_lane_threads(static_cast<unsigned>(core::available_cores()));
  std::string data_path;  ///< the store the state was loaded from (reported by /health)
  /// The largest body any route takes (a feature query may carry a large polygon), but feeds.
  std::size_t max_request_bytes = 4 * 1024 * 1024;
  /// The largest batch POST /collections/{name}/feed takes (api/feeds.hpp): 100,000 features
  /// of a few vertices each are about 20 MiB of GeoJSON. Only an admin's or a feed user's
  /// request reaches the reader.
  std::size_t max_feed_bytes = 64 * 1024 * 1024;
  std::chrono::seconds header_timeout{10};  ///< a request must be complete within this
  std::chrono::seconds keepalive_timeout{
      60};  ///< idle persistent connections are closed after this
  std::chrono::milliseconds request_budget{30000};  ///< a request's time budget (503 beyond)
  bool log_requests = true;                         ///< one JSON line per request on stderr
  std::string cors_origin = "*";                    ///< Access-Control-Allow-Origin; empty: none
  TileServiceOptions tiles;                         ///< tile cache and HTTP behaviour
  FeatureServiceOptions features;                   ///< OGC API - Features: limits
  /// What each audience reads in every output (null: auth::ReadPolicy::standard()).
  std::shared_ptr<const auth::ReadPolicy> read_policy;
  /// The administrator's bearer token; empty: only users' tokens are accepted.
  std::string write_token;
  /// GET /events: how many streams at most, how often an idle one is pinged (api/events.hpp).
  EventStreamOptions events;
  /// The web map served at / (to browsers) and /app/ (api/web_app.hpp); no dir: none.
  WebAppOptions web;
};

/// What the server serves: one county, in memory with its store.
struct ServerState {
  std::shared_ptr<layers::County> county;
  std::string data_path;
};

/// Opens the store at `data_path` (it must exist), reads every layer, builds the indexes and the
/// tile builder (with `tiles`) and measures the time.
/// @throws StoreError when the store cannot be opened or read.
std::shared_ptr<const ServerState> load_state(
    const std::string& data_path, layers::JoinOptions join = {},
    layers::TileConfig tiles = layers::TileConfig::defaults(),
    layers::DispatchConfig dispatch = {});

/// The route table of the whole server over `state`: what the transport serves, and what
/// in-process tests call (Router::handle) without a socket.
std::shared_ptr<http::Router> make_router(const ServerOptions& options,
                                          const std::shared_ptr<const ServerState>& state);

/// The HTTP server. start() returns once the socket is bound; requests are served on background
/// threads until shutdown().
class Server {
 public:
  Server(ServerOptions options, const std::shared_ptr<const ServerState>& state);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds and starts serving. @throws Error when the address cannot be bound.
  void start();
  /// The bound port (the chosen one when ServerOptions::port was 0). Valid after start().
  uint16_t port() const;
  /// "http://127.0.0.1:8080" (IPv6 literals in brackets). Valid after start().
  std::string url() const;
  /// Answers the requests in progress, stops accepting and closes every connection; idempotent.
  void shutdown();

  /// Blocks SIGINT and SIGTERM in the calling thread; threads started afterwards inherit the
  /// mask, so that wait_for_shutdown_signal() receives them. Call before start().
  static void block_shutdown_signals();
  /// Waits (sigwait) until SIGINT or SIGTERM arrives; returns the signal number.
  static int wait_for_shutdown_signal();

 private:
  ServerOptions options_;
  std::unique_ptr<http::Transport> transport_;
};

}  // namespace onemap::api
