// What the OGC API - Features files of api/ share (landing, collections, items, queryables,
// stats, openapi): the collections, the CRSs offered, links, and each resource's entry point.
// Private to api/: nothing outside this folder includes it.
#pragma once

#include "api/features.hpp"
#include "auth/read_policy.hpp"
#include "core/errors.hpp"
#include "layers/county/county.hpp"
#include "spatial/area_index.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace onemap::api::features {

using json = nlohmann::ordered_json;  // keys in the order written
using layers::LayerKind;
using QueryParameters = std::vector<std::pair<std::string, std::string>>;

inline constexpr const char* kCrs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
inline constexpr const char* kGeoJson = "application/geo+json";
inline constexpr const char* kOpenApi = "application/vnd.oai.openapi+json;version=3.0";

struct CollectionInfo {
  LayerKind kind;
  const char* title;
  const char* description;
};

inline constexpr CollectionInfo kCollections[] = {
    {LayerKind::Grids, "Grids",
     "Grid boundaries of every level (county, town, village, grid, micro-grid)"},
    {LayerKind::Households, "Households",
     "Households: the public fields only (no names, phones or ID numbers)"},
    {LayerKind::Enterprises, "Enterprises", "Enterprises with their safety risk level"},
    {LayerKind::Incidents, "Incidents",
     "Incidents reported in the county, with their status in the closed loop"},
    {LayerKind::Workers, "Grid workers", "Grid team members (no names)"},
};

/// The collection of the five layers named `id`, or null (a county layer's, or none).
const CollectionInfo* fixed_collection(std::string_view id);
/// The answer to a collection that does not exist: NotFound listing every collection, the five
/// and `county_layers` (read under the caller's lock).
NotFound no_collection(std::string_view id, const std::vector<layers::FeatureLayer>& county_layers);

json link(const std::string& href, const char* rel, const char* type, const std::string& title);
/// RFC 3986 percent-encoding of a query value (unreserved characters kept, and ',', ':', '/',
/// which a query may hold as they are: bbox and datetime stay readable).
std::string url_encode(std::string_view s);

// The CRSs features can be asked in (Part 2), with their axis order: EPSG's geographic CRSs and
// the Gauss-Krüger one list northing first, CRS84 and Web Mercator easting first.
struct OutputCrs {
  const char* uri;
  const char* proj;  ///< for PROJ
  bool north_first;
};
inline constexpr OutputCrs kCrsList[] = {
    {"http://www.opengis.net/def/crs/OGC/1.3/CRS84", "EPSG:4490", false},
    {"http://www.opengis.net/def/crs/EPSG/0/4490", "EPSG:4490", true},
    {"http://www.opengis.net/def/crs/EPSG/0/4326", "EPSG:4326", true},
    {"http://www.opengis.net/def/crs/EPSG/0/3857", "EPSG:3857", false},
    {"http://www.opengis.net/def/crs/EPSG/0/4549", "EPSG:4549", true},
};

/// A crs or bbox-crs value: the URI, or "EPSG:n" / "[EPSG:n]" / "CRS84" for short.
/// @throws InvalidArgument (parameter) for another.
const OutputCrs& parse_crs(const std::string& parameter, std::string v);
/// Every CRS's URI, as a JSON array.
json crs_uris();

/// A grid level named by a parameter (group_by, the level of area=). @throws InvalidArgument
/// (parameter) for another name.
layers::GridLevel parse_level(const std::string& parameter, const std::string& value);

/// The f parameter: json, geojson, or pjson (ArcGIS's pretty JSON, which QGIS and Esri clients
/// send), each answered with JSON. @throws InvalidArgument("f") for another.
void check_format(const std::string& value);
/// A resource that takes no parameter but f. @throws InvalidArgument naming another.
void only_format(const QueryParameters& query, std::string_view path);
/// The parameters of one feature (…/items/{featureId}): its CRS (crs=) and f.
/// @throws InvalidArgument naming a bad one.
const OutputCrs& feature_crs(const QueryParameters& query);

/// What every resource reads: the county and the limits.
struct Context {
  std::shared_ptr<layers::County> county;
  FeatureServiceOptions options;
};

}  // namespace onemap::api::features

namespace onemap::api {
struct FeatureService::Impl {
  features::Context ctx;
};
}  // namespace onemap::api

namespace onemap::api::features {

struct ItemQuery;  // api/item_query.hpp

// landing.cpp
HttpAnswer landing(const std::string& base);
HttpAnswer conformance();
// collections.cpp
json collection_json(const Context& ctx, const CollectionInfo& c, const std::string& base);
HttpAnswer collections(const Context& ctx, const std::string& base);
// items.cpp: an items query (its area resolved against the grids under the same lock), and
// /items/{featureId}.
HttpAnswer items(const Context& ctx, const CollectionInfo& c, ItemQuery& q, const std::string& base,
                 const auth::Viewer& viewer);
HttpAnswer item(const Context& ctx, const CollectionInfo& c, std::string_view id,
                const QueryParameters& query, const std::string& base, const auth::Viewer& viewer);
/// A feature as an answer: `feature` (a JSON object) with its self and collection links, in
/// `crs` (Content-Crs).
HttpAnswer with_links(std::string feature, const std::string& base, const std::string& collection,
                      int64_t fid, const OutputCrs& crs);
/// One record of the five layers as a feature the viewer reads, with its links (an enterprise's
/// with its ETag, layers/model/feature_edit.hpp).
template <class T>
HttpAnswer record_answer(const T& r, LayerKind kind, const OutputCrs& crs, const std::string& base,
                         const auth::Viewer& viewer);
// queryables.cpp: as a JSON Schema, those `audience` may query (geometry_format: the JSON
// Schema format of the geometry, "geometry-point"…).
struct CollectionQueryables;  // api/item_query.hpp
HttpAnswer queryables(const CollectionQueryables& fields, const std::string& title,
                      std::string_view geometry_format, const std::string& base,
                      auth::Audience audience);
// county_layers.cpp: the county's own layers (layers/model/feature_layer.hpp) as collections,
// each the viewer may see.
json county_collection_json(const Context& ctx, const layers::FeatureLayer& l,
                            const std::string& base);
/// /collections/{id}[/items[/{featureId}]|/queryables|/stats] of a collection that is none of the
/// five: a county layer's, else a 404 listing the collections; `rest` is what follows the id (""
/// for the collection itself). `post_body`: the polygon of a POST items query (read once the
/// layer is found and the viewer may see it, as for the five).
HttpAnswer county_layer(const Context& ctx, std::string_view id, std::string_view rest,
                        const QueryParameters& query, const std::string& base,
                        const auth::Viewer& viewer, auth::Audience query_audience,
                        std::optional<std::string_view> post_body = std::nullopt);
/// What the viewer reads of a county layer's record: its audience at the record's grid, or
/// nullopt when the viewer does not see the record at all.
std::optional<auth::Audience> county_feature_audience(const layers::LayerDef& def,
                                                      const layers::Feature& f,
                                                      const auth::Viewer& viewer);
/// A county layer's record as an answer, as the viewer reads it, with its links and ETag.
HttpAnswer county_feature_answer(const layers::LayerDef& def, const layers::Feature& f,
                                 const OutputCrs& crs, const std::string& base,
                                 const auth::Viewer& viewer);
// feature_edits.cpp: whether a collection's features are edited through it (Part 4): the
// enterprises' and every county layer's.
bool writable_collection(const Context& ctx, std::string_view id);
// stats.cpp: each grid's ancestor (or itself) at a grouping level, found once per code.
class GridGroups {
 public:
  GridGroups(const std::vector<layers::Grid>& grids, layers::GridLevel level);
  /// The grid of the level that holds the grid `code` (null: none, or an unknown code).
  const layers::Grid* operator()(const std::string& code);

 private:
  layers::GridLevel level_;
  std::unordered_map<std::string_view, const layers::Grid*> by_code_;
  std::unordered_map<std::string_view, const layers::Grid*> group_of_;
};
// stats.cpp: /collections/incidents/stats.
HttpAnswer stats(const Context& ctx, const QueryParameters& query, const auth::ReadPolicy& policy);
// openapi.cpp: the OpenAPI document of the whole server.
HttpAnswer openapi(const Context& ctx, const std::string& base);

}  // namespace onemap::api::features
