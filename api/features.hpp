// OGC API - Features, Part 1 (Core, GeoJSON, OpenAPI 3.0) over the county's layers:
//
//   GET /                                        landing page: links to self, service-desc,
//                                                conformance, data (api/landing.cpp)
//   GET /conformance                             the conformance classes (api/landing.cpp)
//   GET /api                                     the OpenAPI 3.0 document (api/openapi.cpp)
//   GET /collections                             every layer as a collection (api/collections.cpp)
//   GET /collections/{id}                        one, with its spatial (and, for incidents,
//                                                temporal) extent (api/collections.cpp)
//   GET /collections/{id}/items                  features: bbox, datetime, limit, offset…
//                                                (api/items.cpp, parameters api/item_query.cpp)
//   GET /collections/{id}/items/{featureId}      one feature (the integer feature id, as in
//                                                tiles) (api/items.cpp)
//   POST /collections/{id}/items                 the items query within a GeoJSON polygon body
//   GET /collections/{id}/queryables             Part 3 queryables (api/queryables.cpp)
//   GET /collections/incidents/stats             incident statistics (api/stats.cpp)
//
// Collections: grids, households, enterprises, incidents, workers. Features are GeoJSON (RFC
// 7946) in CRS84 (CGCS2000 lon/lat, which GeoJSON takes as WGS84: the two differ by centimetres),
// ordered by feature id. A person's identity never appears; each feature shows the fields the
// read policy lets its viewer read where the record lies (auth/read_policy.hpp). Items:
// `limit` 1..10000 (default 10; a larger value is taken as 10000), `offset` from 0; `next`/`prev`
// links repeat every other parameter; numberMatched counts every match. `datetime` (an instant, or
// an interval with `..` for an open end) applies to the incidents' reported_at; on a collection
// without time it is a 400. Unknown parameters and bad values are a 400 naming the parameter.
#pragma once

#include "api/tiles.hpp"
#include "auth/read_policy.hpp"
#include "layers/county/county.hpp"
#include "layers/query/cql2.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onemap::api {

struct FeatureServiceOptions {
  std::size_t default_limit = 10;
  std::size_t max_limit = 10000;
};

/// The queryables of a collection (Part 3): its properties (no person's identity) and its
/// geometry, what a `filter` is checked against; a caller may use those the read policy lets it
/// read everywhere it queries.
std::vector<layers::cql2::Queryable> collection_queryables(layers::LayerKind kind,
                                                           const FeatureServiceOptions& options);

/// The polygon of a POST items query: a GeoJSON Polygon or MultiPolygon, or a Feature with one,
/// in CRS84, valid (rings oriented). @throws InvalidArgument ("body").
spatial::MultiPolygon read_polygon_body(std::string_view body);

/// A write of OGC API - Features Part 4 (api/feature_edits.cpp): POST of
/// /collections/{collection}/items, PUT, PATCH or DELETE of …/items/{feature_id}.
struct EditRequest {
  std::string_view method;
  std::string_view collection;
  std::string_view feature_id;  ///< "" for a POST
  std::string_view body;
  std::string content_type;  ///< the media type, lower case, without parameters
  std::string_view content_crs, if_match;
  std::optional<layers::Actor> actor;  ///< nullopt: anonymous
  std::string request_id;
  std::string base_url;
};

class FeatureService {
 public:
  FeatureService(std::shared_ptr<layers::County> county, FeatureServiceOptions options);
  ~FeatureService();
  FeatureService(const FeatureService&) = delete;
  FeatureService& operator=(const FeatureService&) = delete;

  /// Whether `path` is one of this service's (/, /conformance, /api, /collections…).
  static bool handles(std::string_view path);

  /// Answers GET/HEAD of one of its paths, and POST of /collections/{id}/items (the items query
  /// with a GeoJSON Polygon or MultiPolygon, or a Feature holding one, as the body: features
  /// within it, grids meeting it). `base_url` is the server's own URL for links
  /// ("http://127.0.0.1:8080"). @throws InvalidArgument (400) and NotFound (404).
  HttpAnswer handle(std::string_view path,
                    const std::vector<std::pair<std::string, std::string>>& query,
                    const std::string& base_url, std::string_view method = "GET",
                    std::string_view body = {}, const auth::Viewer& viewer = {}) const;

  /// Whether `path` takes POST (an items query with a polygon body).
  static bool takes_post(std::string_view path);
  /// Whether a POST of `path` with `body` creates a feature (Part 4): a GeoJSON Feature sent to
  /// the items of the enterprises or of a county layer. Any other POST is the items query.
  bool creates(std::string_view path, std::string_view body) const;
  /// Creates, replaces, updates (a JSON merge patch) or deletes a feature of the enterprises or
  /// a county layer, as the administrator or a command-centre user inside its area, writing
  /// only fields it reads; If-Match is met under the county's writers' lock or nothing changes.
  /// Answers the feature as the viewer reads it with its ETag (201 with Location for a create,
  /// 204 for a delete). @throws Unauthorized, Forbidden, NotFound, MethodNotAllowed (the other
  /// four collections), PreconditionFailed, Conflict, UnsupportedMediaType, InvalidArgument
  /// naming the member, property or header at fault.
  HttpAnswer edit(const EditRequest& request, const auth::Viewer& viewer) const;
  /// GET /collections/{collection}/items/{feature}/history: who changed the record, when, how
  /// and which fields (never values), newest first, `limit` (1-1000, default 100) from `offset`;
  /// for the administrator, and a command-centre user whose area holds the record.
  HttpAnswer history(std::string_view collection, std::string_view feature,
                     const std::vector<std::pair<std::string, std::string>>& query,
                     const std::optional<layers::Actor>& user) const;
  /// The methods `user` (nullopt: anonymous) may use on a collection's items (`item` false) or
  /// on one of them: what OPTIONS answers in Allow.
  std::vector<std::string> allowed_methods(std::string_view collection, bool item,
                                           const std::optional<layers::Actor>& user) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace onemap::api
