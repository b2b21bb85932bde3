// The vector-tile endpoints, their cache and its metrics.
//
//   GET /tiles/{layers}/{z}/{x}/{y}.mvt            Web Mercator (WebMercatorQuad)
//   GET /tiles/cgcs2000/{layers}/{z}/{x}/{y}.mvt   CGCS2000 geographic, Tianditu 'c' numbering
//   GET /tiles/{layers}.json, /tiles/cgcs2000/{layers}.json   TileJSON 3.0.0
// {layers} is one tile layer or several joined by commas (layers/tiles/tiles.hpp): the five
// layers' and the county layers', each as its audience allows (401/403 otherwise). Query
// parameters: offset=gcj02, and for the incidents layer status=…, category=… (comma lists),
// since=…, until=… (ISO 8601 or Unix seconds). Anything else is a 400 naming the parameter.
//
// Answers: 200 with the tile (gzip when Accept-Encoding allows it, never otherwise; Vary:
// Accept-Encoding), 204 for a tile with no feature, 304 when If-None-Match holds the tile's ETag,
// 400 for z/x/y outside the matrix (naming the limit).
//
// The cache: built tiles (and their gzip form, made on first demand) under a byte budget, least
// recently used out first. Freshness: County tells the service about every record a write
// changes before the write is acknowledged, and the service drops every cached tile (any zoom,
// layer list, filter) whose content that changes: for a point that moved, appeared or entered or
// left the tile's filter, the tiles of its layer whose buffered extent holds its old or new
// position; for a point whose attributes alone changed, only those that draw it unclustered with
// one of those attributes; for a grid, the grid-layer tiles meeting its box before or after.
// The scan costs O(cached tiles) per changed record (a few nanoseconds each). Answers carry
// X-Cache: hit or miss.
#pragma once

#include "auth/read_policy.hpp"
#include "layers/county/county.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onemap::api {

struct TileServiceOptions {
  std::size_t cache_bytes = 256u << 20;    ///< 0 disables the cache
  std::string cache_control = "no-cache";  ///< clients revalidate with the ETag (cheap 304s)
  int empty_status = 204;                  ///< answer for a tile with no feature: 204 or 200
};

struct HttpAnswer {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

class TileService {
 public:
  /// @throws InvalidArgument("tiles-config") when a tile layer's attribute needs more than the
  /// layer's audience under `policy` (tiles are shared by every viewer of the layer).
  TileService(std::shared_ptr<layers::County> county, TileServiceOptions options,
              const auth::ReadPolicy& policy = auth::ReadPolicy::standard());
  ~TileService();
  TileService(const TileService&) = delete;
  TileService& operator=(const TileService&) = delete;

  /// Answers GET/HEAD of a path under /tiles/. `query` as received (decoded pairs);
  /// `accept_encoding` and `if_none_match` are the request headers ("" when absent);
  /// `base_url` is the server's own URL for TileJSON ("http://127.0.0.1:8080").
  /// @throws InvalidArgument (400) and NotFound (404) for the caller to map.
  HttpAnswer handle(std::string_view path,
                    const std::vector<std::pair<std::string, std::string>>& query,
                    std::string_view accept_encoding, std::string_view if_none_match,
                    const std::string& base_url, const auth::Viewer& viewer = {});
  /// handle()'s answer when it is a cached tile that needs no work (nullopt otherwise: a
  /// TileJSON, a tile not cached, a gzip form not made yet, one being made): what the event loop
  /// may answer itself. It waits for no lock that a build or a compression holds.
  /// @throws as handle().
  std::optional<HttpAnswer> handle_cached(
      std::string_view path, const std::vector<std::pair<std::string, std::string>>& query,
      std::string_view accept_encoding, std::string_view if_none_match,
      const auth::Viewer& viewer = {});

  /// Prometheus text exposition of the cache and build metrics.
  std::string metrics() const;

 private:
  // handle() (cached_only false: never nullopt) and handle_cached() (true).
  std::optional<HttpAnswer> answer(std::string_view path,
                                   const std::vector<std::pair<std::string, std::string>>& query,
                                   std::string_view accept_encoding, std::string_view if_none_match,
                                   const std::string& base_url, const auth::Viewer& viewer,
                                   bool cached_only);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Whether an Accept-Encoding header value allows gzip (RFC 9110 §12.5.3: "gzip" or "*" with a
/// non-zero q, unless gzip itself has q=0).
bool accepts_gzip(std::string_view accept_encoding);

/// Refuses `viewer` the tiles of the tile layer `name` when it may not have them: a layer above
/// its audience, or a staff layer for a user with an area scope (tiles are cut for the whole
/// county). What handle() answers then. @throws Unauthorized, Forbidden.
void check_tile_access(const auth::Viewer& viewer, std::string_view name);
/// The same for a layer of that `audience` whose features `collection` serves (a county layer).
void check_tile_access(const auth::Viewer& viewer, std::string_view name, auth::Audience audience,
                       std::string_view collection);

/// gzip (RFC 1952) of `data` with zlib.
std::string gzip(std::string_view data);

}  // namespace onemap::api
