// The landing page (GET /) and the conformance classes (GET /conformance) of OGC API - Features,
// and of OGC API - Tiles (api/ogc_tiles.hpp).
#include "api/features_internal.hpp"
#include "api/ogc_tiles.hpp"

#include "layers/model/text.hpp"

namespace onemap::api::features {

namespace {

const std::vector<std::string>& conformance_classes() {
  static const std::vector<std::string> c = {
      "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
      "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
      "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
      "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
      // Part 4 (draft): create, replace, update (merge patch) and delete, If-Match by ETag,
      // the features' endpoints (enterprises and the county layers).
      "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
      "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
      "http://www.opengis.net/spec/ogcapi-features-4/1.0/req/optimistic-locking-etags",
      "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
      "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
      "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
      "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
      "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
      // CQL2 1.0's classes, each claimed only whole (tests/api/features_http_test.cpp
      // EveryClaimedCql2ClassHasAllItsOperators runs every operator of each, in both encodings).
      "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
      "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
      "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
      "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
      "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
      "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
      "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
      "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
      // The same classes by their names in CQL2's drafts, which clients still look for.
      "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-operators",
      "http://www.opengis.net/spec/cql2/1.0/conf/spatial-operators",
      "http://www.opengis.net/spec/cql2/1.0/conf/temporal-operators",
  };
  return c;
}

}  // namespace

HttpAnswer landing(const std::string& base) {
  json j = {
      {"title", "onemap"},
      {"description",
       "The county's one map: grids, households, enterprises, incidents and grid workers"},
      {"links",
       json::array(
           {link(base + "/", "self", "application/json", "This document"),
            link(base + "/api", "service-desc", kOpenApi, "The API definition (OpenAPI 3.0)"),
            link(base + "/conformance", "conformance", "application/json",
                 "The conformance classes implemented"),
            link(base + "/collections", "data", "application/json", "The collections"),
            link(base + "/tiles", kTilesetsVectorRel, "application/json",
                 "Vector tilesets of the collections (OGC API - Tiles)"),
            link(base + "/tileMatrixSets", "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
                 "application/json", "The tile matrix sets")})}};
  return {200, layers::json_text(j), "application/json", {}};
}

HttpAnswer conformance() {
  json classes = conformance_classes();
  for (const auto& c : OgcTiles::conformance_classes()) classes.push_back(c);
  return {200, layers::json_text(json{{"conformsTo", classes}}), "application/json", {}};
}

}  // namespace onemap::api::features
