// The onemap HTTP server: a Pistache endpoint serving one county loaded from the store.
//
// Endpoints: GET /health (status, version, layer counts, load time), GET /layers (name,
// geometry type, count, extent, CRS, public fields of every layer), the vector tiles under
// /tiles/ (api/tile_service.hpp), GET /metrics (Prometheus text), and incidents:
// POST /incidents, GET and PATCH /incidents/{id} (writes need the bearer token given to the
// server; without one they are refused). Every error is a JSON body
// {"error":{"code":…,"message":…[,"parameter":…]}}; api_error_from() is the one place that maps
// onemap's exceptions (spatial/errors.hpp) to HTTP statuses.
//
// Connections: HTTP/1.1 requests without a Connection header get persistent connections (the
// server answers "Connection: keep-alive"); "Connection: close" and HTTP/1.0 without
// "Connection: keep-alive" are answered and then closed. Idle connections are closed after
// ServerOptions::keepalive_timeout, half-sent requests after header_timeout. One JSON line per
// request goes to stderr, written in batches by a background thread so that a slow stderr never
// stalls the event loop. Pipelined requests (several in one packet) are not supported: the
// parser of Pistache 0.0.5 keeps only the first.
#pragma once

#include "api/features.hpp"
#include "api/tile_service.hpp"
#include "api/web_app.hpp"
#include "layers/county.hpp"
#include "layers/join.hpp"
#include "layers/model.hpp"

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>

namespace onemap::api {

/// How the server listens.
/// max(1, cores - 1).
int default_threads();

struct ServerOptions {
  std::string address = "127.0.0.1";  ///< IPv4 or IPv6 literal, or a host name
  uint16_t port = 8080;               ///< 0: any free port (see Server::port())
  /// Event-loop threads. Default: one less than the cores (at least one), leaving a core for
  /// the request-log writer, store writes and the OS; on 2 cores one loop serves more requests
  /// than two that compete with everything else.
  int threads = default_threads();
  std::string data_path;              ///< the store the state was loaded from (reported by /health)
  /// Request line + headers + body (a feature query may carry a large polygon).
  std::size_t max_request_bytes = 4 * 1024 * 1024;
  std::chrono::seconds header_timeout{10};    ///< a request must be complete within this
  std::chrono::seconds keepalive_timeout{
      60};                   ///< idle persistent connections are closed after this
  bool log_requests = true;  ///< one JSON line per request on stderr
  TileServiceOptions tiles;  ///< tile cache and HTTP behaviour
  FeatureServiceOptions features;  ///< OGC API - Features: public household fields, limits
  /// Bearer token that writes must present; empty: writes are refused (403).
  std::string write_token;
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
std::shared_ptr<const ServerState> load_state(const std::string& data_path,
                                              layers::JoinOptions join = {},
                                              layers::TileConfig tiles = layers::TileConfig::defaults(),
                                              layers::DispatchConfig dispatch = {});

/// An error as the API reports it.
struct ApiError {
  int status = 500;
  std::string message;
  std::string parameter;  ///< the offending parameter, when there is one
};

/// The one mapping from exceptions to HTTP: InvalidArgument → 400 (with its parameter),
/// NotFound → 404, any other exception → 500.
ApiError api_error_from(const std::exception& e);

/// The JSON error body: {"error":{"code":404,"message":"…"}} plus "parameter" when set.
std::string error_body(const ApiError& e);

/// The HTTP server. start() returns once the socket is bound; requests are served on
/// `threads` background threads until shutdown().
class Server {
 public:
  Server(ServerOptions options, std::shared_ptr<const ServerState> state);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds and starts serving. @throws Error when the address cannot be bound.
  void start();
  /// The bound port (the chosen one when ServerOptions::port was 0). Valid after start().
  uint16_t port() const;
  /// "http://127.0.0.1:8080" (IPv6 literals in brackets). Valid after start().
  std::string url() const;
  /// Stops accepting and closes every connection; idempotent.
  void shutdown();

  /// Blocks SIGINT and SIGTERM in the calling thread; threads started afterwards inherit the
  /// mask, so that wait_for_shutdown_signal() receives them. Call before start().
  static void block_shutdown_signals();
  /// Waits (sigwait) until SIGINT or SIGTERM arrives; returns the signal number.
  static int wait_for_shutdown_signal();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace onemap::api
