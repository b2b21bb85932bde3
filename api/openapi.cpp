// The OpenAPI 3.0 document of the whole server (GET /api): OGC API - Features and - Tiles, and the
// status, tile, record, closed-loop, user, audit and Open311 endpoints. It is one long function
// because it is one document, written in the order a reader looks things up in it.
#include "api/features_internal.hpp"
#include "api/ogc_tiles.hpp"

#include "layers/model/model.hpp"
#include "layers/model/schema.hpp"
#include "layers/model/text.hpp"
#include "layers/query/feature_fields.hpp"
#include "spatial/tms.hpp"

namespace onemap::api::features {

namespace {

using layers::cql2::Type;

// The fields of a collection's features as JSON Schema types.
json schema_properties(LayerKind kind) {
  json props = json::object();
  for (const auto& f : layers::layer_fields(kind)) {
    if (f.personal || f.name == "extra") continue;
    using layers::FieldType;
    std::string type = f.type == FieldType::Integer   ? "integer"
                       : f.type == FieldType::Real    ? "number"
                       : f.type == FieldType::Boolean ? "boolean"
                                                      : "string";
    json s = {{"type", type}};
    if (f.type == FieldType::DateTime) s["format"] = "date-time";
    props[f.name] = s;
  }
  return props;
}

}  // namespace

HttpAnswer openapi(const Context& ctx, const std::string& base) {
  const FeatureServiceOptions& options = ctx.options;
  auto param_ref = [](const char* name) {
    return json{{"$ref", std::string("#/components/parameters/") + name}};
  };
  auto response = [](const char* description, const char* type, const json& schema) {
    return json{{"description", description}, {"content", {{type, {{"schema", schema}}}}}};
  };
  const json error_schema = {{"$ref", "#/components/schemas/error"}};
  const json errors = {
      {"400", response("A bad parameter (named in the answer)", "application/json", error_schema)},
      {"404", response("No such resource", "application/json", error_schema)}};
  auto item_params = [&] {
    // filter-lang inline (not a $ref): GDAL's OAPIF driver looks for its enum to decide to send
    // filters, under the older name cql-text.
    const json filter_lang = {
        {"name", "filter-lang"},
        {"in", "query"},
        {"required", false},
        {"description",
         "The filter's encoding: cql2-text (cql-text is the same, by its draft name) or "
         "cql2-json"},
        {"schema",
         {{"type", "string"},
          {"enum", {"cql2-text", "cql-text", "cql2-json"}},
          {"default", "cql2-text"}}}};
    return json::array({param_ref("collectionId"), param_ref("bbox"), param_ref("bbox-crs"),
                        param_ref("crs"), param_ref("datetime"), param_ref("filter"), filter_lang,
                        param_ref("filter-crs"), param_ref("area"), param_ref("near"),
                        param_ref("radius"), param_ref("properties"), param_ref("sortby"),
                        param_ref("limit"), param_ref("offset"), param_ref("f")});
  };
  auto get = [&](const char* summary, const char* op, json params, json ok) {
    json responses = {{"200", ok}};
    for (const auto& [k, v] : errors.items()) responses[k] = v;
    return json{{"get",
                 {{"summary", summary},
                  {"operationId", op},
                  {"parameters", params},
                  {"responses", responses}}}};
  };
  json ids = json::array();
  for (const auto& c : kCollections) ids.push_back(std::string(layers::layer_name(c.kind)));
  // The county's own layers as they are now (added and dropped while serving).
  std::vector<layers::LayerDef> county_layers;
  {
    auto lock = ctx.county->read();
    for (const auto& l : ctx.county->feature_layers()) county_layers.push_back(l.def);
  }
  for (const auto& d : county_layers) ids.push_back(d.name);
  const json object = {{"type", "object"}};
  json paths = {
      {"/", get("The landing page", "getLandingPage", json::array({param_ref("f")}),
                response("Links to the API definition, conformance and collections",
                         "application/json", object))},
      {"/conformance",
       get("The conformance classes", "getConformance", json::array({param_ref("f")}),
           response("The conformance classes", "application/json", object))},
      {"/api", get("This document", "getApi", json::array({param_ref("f")}),
                   response("The OpenAPI document", kOpenApi, object))},
      {"/collections", get("The collections", "getCollections", json::array({param_ref("f")}),
                           response("Every layer as a collection", "application/json", object))},
      {"/collections/{collectionId}",
       get("One collection", "describeCollection",
           json::array({param_ref("collectionId"), param_ref("f")}),
           response("The collection with its extent", "application/json", object))},
      {"/collections/{collectionId}/items",
       get("Features of a collection", "getFeatures", item_params(),
           response("A page of features, by feature id", kGeoJson,
                    {{"$ref", "#/components/schemas/featureCollection"}}))},
      {"/collections/{collectionId}/queryables",
       get("The properties a filter may use", "getQueryables",
           json::array({param_ref("collectionId"), param_ref("f")}),
           response("A JSON Schema of the queryables", "application/schema+json", object))},
      {"/collections/incidents/stats",
       get("Incident counts in a window and the window before it", "getIncidentStats",
           json::array({param_ref("datetime"), param_ref("area"), param_ref("bbox"),
                        param_ref("bbox-crs"), param_ref("group_by"), param_ref("top")}),
           response(
               "Counts by area x category x status with change and ratio, and the rising areas",
               "application/json", object))},
      {"/collections/{collectionId}/items/{featureId}",
       get("One feature", "getFeature",
           json::array({param_ref("collectionId"), param_ref("featureId"), param_ref("crs"),
                        param_ref("f")}),
           response("The feature", kGeoJson, {{"$ref", "#/components/schemas/feature"}}))},
  };
  // Each collection's items path too, with its queryables as parameters (equality): GDAL's OAPIF
  // driver reads them there to know which fields it may put in a filter.
  auto items_path = [&](const std::string& id, const std::string& title,
                        const std::vector<layers::cql2::Queryable>& queryables) {
    json params = item_params();
    params.erase(params.begin());  // collectionId: fixed in this path
    for (const auto& q : queryables) {
      if (q.type == Type::Geometry) continue;
      json schema = q.type == Type::Number      ? json{{"type", "number"}}
                    : q.type == Type::Boolean   ? json{{"type", "boolean"}}
                    : q.type == Type::Timestamp ? json{{"type", "string"}, {"format", "date-time"}}
                                                : json{{"type", "string"}};
      params.push_back({{"name", q.name},
                        {"in", "query"},
                        {"required", false},
                        {"description", "Features whose " + q.name + " equals this value"},
                        {"schema", schema}});
    }
    paths["/collections/" + id + "/items"] =
        get(title.c_str(), ("getFeatures_" + id).c_str(), params,
            response("A page of features, by feature id", kGeoJson,
                     {{"$ref", "#/components/schemas/featureCollection"}}));
  };
  for (const auto& c : kCollections)
    items_path(std::string(layers::layer_name(c.kind)), c.title, layers::layer_queryables(c.kind));
  for (const auto& d : county_layers) {
    items_path(d.name, d.title, layers::queryables_of(d).queryables);
    paths["/collections/" + d.name + "/stats"] =
        get(("Statistics of " + d.title + " by grid group").c_str(), ("getStats_" + d.name).c_str(),
            json::array({param_ref("group_by"), param_ref("area"), param_ref("bbox"),
                         param_ref("bbox-crs"), param_ref("filter")}),
            response("Per group: how many features lie there, and their metres or square metres",
                     "application/json", object));
  }
  {
    json post =
        get("Features of a collection within a polygon (GeoJSON Polygon, MultiPolygon or a Feature "
            "with one, in CRS84, as the body)",
            "getFeaturesWithinPolygon", item_params(),
            response("A page of features within the polygon", kGeoJson,
                     {{"$ref", "#/components/schemas/featureCollection"}}))["get"];
    post["requestBody"] = {{"required", true},
                           {"content",
                            {{"application/geo+json", {{"schema", object}}},
                             {"application/json", {{"schema", object}}}}}};
    paths["/collections/{collectionId}/items"]["post"] = post;
  }
  json parameters = {
      {"collectionId",
       {{"name", "collectionId"},
        {"in", "path"},
        {"required", true},
        {"description", "The collection"},
        {"schema", {{"type", "string"}, {"enum", ids}}}}},
      {"featureId",
       {{"name", "featureId"},
        {"in", "path"},
        {"required", true},
        {"description", "The feature id (an integer, the same as in vector tiles)"},
        {"schema", {{"type", "integer"}, {"format", "int64"}}}}},
      {"bbox",
       {{"name", "bbox"},
        {"in", "query"},
        {"required", false},
        {"style", "form"},
        {"explode", false},
        {"description",
         "Features meeting this box: minlon,minlat,maxlon,maxlat in CRS84 (6 numbers with "
         "heights)"},
        {"schema",
         {{"type", "array"}, {"minItems", 4}, {"maxItems", 6}, {"items", {{"type", "number"}}}}}}},
      {"datetime",
       {{"name", "datetime"},
        {"in", "query"},
        {"required", false},
        {"description",
         "Incidents reported at this instant or within this interval (RFC 3339; '..' for an "
         "open end), e.g. 2026-11-01T00:00:00Z/.. ; other collections have no time"},
        {"schema", {{"type", "string"}}}}},
      {"limit",
       {{"name", "limit"},
        {"in", "query"},
        {"required", false},
        {"style", "form"},
        {"explode", false},
        {"description", "Features per page (a larger value is taken as the maximum)"},
        {"schema",
         {{"type", "integer"},
          {"minimum", 1},
          {"maximum", options.max_limit},
          {"default", options.default_limit}}}}},
      {"offset",
       {{"name", "offset"},
        {"in", "query"},
        {"required", false},
        {"description", "Features to skip (the next links carry it)"},
        {"schema", {{"type", "integer"}, {"minimum", 0}, {"default", 0}}}}},
      {"filter",
       {{"name", "filter"},
        {"in", "query"},
        {"required", false},
        {"description",
         "A CQL2 filter over the collection's queryables (see "
         "/collections/{collectionId}/queryables), in text or, with filter-lang=cql2-json, "
         "in JSON: comparisons, LIKE, IN, BETWEEN, IS NULL, AND/OR/NOT, CQL2 1.0's spatial "
         "functions (S_INTERSECTS, S_TOUCHES, ...) with WKT or BBOX (GeoJSON or bbox in JSON), "
         "and its temporal functions (T_INTERSECTS, T_MEETS, ...) on times"},
        {"schema", {{"type", "string"}}}}},
      {"properties",
       {{"name", "properties"},
        {"in", "query"},
        {"required", false},
        {"style", "form"},
        {"explode", false},
        {"description", "The properties to include, comma-separated (queryables)"},
        {"schema", {{"type", "array"}, {"items", {{"type", "string"}}}}}}},
      {"sortby",
       {{"name", "sortby"},
        {"in", "query"},
        {"required", false},
        {"style", "form"},
        {"explode", false},
        {"description",
         "Sort keys, comma-separated queryables, '-' before one for descending (ties by feature "
         "id)"},
        {"schema", {{"type", "array"}, {"items", {{"type", "string"}}}}}}},
      {"filter-crs",
       {{"name", "filter-crs"},
        {"in", "query"},
        {"required", false},
        {"description", "The CRS of the filter's geometries: CRS84 only"},
        {"schema",
         {{"type", "string"}, {"format", "uri"}, {"enum", {kCrs84}}, {"default", kCrs84}}}}},
      {"area",
       {{"name", "area"},
        {"in", "query"},
        {"required", false},
        {"description",
         "level:code, e.g. town:330521001: the grid of that level and code and every grid "
         "under it (points by the grid they are joined to; grids by code)"},
        {"schema",
         {{"type", "string"}, {"pattern", "^(county|town|village|grid|microgrid):.+$"}}}}},
      {"near",
       {{"name", "near"},
        {"in", "query"},
        {"required", false},
        {"style", "form"},
        {"explode", false},
        {"description", "lon,lat (CRS84): with radius, features within that many metres of it"},
        {"schema",
         {{"type", "array"}, {"minItems", 2}, {"maxItems", 2}, {"items", {{"type", "number"}}}}}}},
      {"radius",
       {{"name", "radius"},
        {"in", "query"},
        {"required", false},
        {"description", "metres, with near"},
        {"schema",
         {{"type", "number"}, {"exclusiveMinimum", true}, {"minimum", 0}, {"maximum", 100000}}}}},
      {"group_by",
       {{"name", "group_by"},
        {"in", "query"},
        {"required", false},
        {"description", "the level counts are grouped by"},
        {"schema",
         {{"type", "string"},
          {"enum", {"county", "town", "village", "grid", "microgrid"}},
          {"default", "town"}}}}},
      {"top",
       {{"name", "top"},
        {"in", "query"},
        {"required", false},
        {"description", "how many rising area x category pairs to list"},
        {"schema", {{"type", "integer"}, {"minimum", 0}, {"maximum", 1000}, {"default", 10}}}}},
      {"crs",
       {{"name", "crs"},
        {"in", "query"},
        {"required", false},
        {"description",
         "The CRS of the answer's coordinates, in its axis order (EPSG:4490 and 4326: "
         "latitude first; EPSG:4549: northing first); the Content-Crs header names it"},
        {"schema",
         {{"type", "string"}, {"format", "uri"}, {"enum", crs_uris()}, {"default", kCrs84}}}}},
      {"bbox-crs",
       {{"name", "bbox-crs"},
        {"in", "query"},
        {"required", false},
        {"description", "The CRS of bbox, in its axis order"},
        {"schema",
         {{"type", "string"}, {"format", "uri"}, {"enum", crs_uris()}, {"default", kCrs84}}}}},
      {"f",
       {{"name", "f"},
        {"in", "query"},
        {"required", false},
        {"description", "The format: json"},
        {"schema", {{"type", "string"}, {"enum", {"json"}}}}}},
  };
  auto typed = [](const char* type) { return json{{"type", type}}; };
  json error_props = {{"code", typed("integer")},
                      {"message", typed("string")},
                      {"parameter", typed("string")},
                      {"index", typed("integer")},
                      {"reason", typed("string")}};
  json error_obj = {{"type", "object"},
                    {"properties", {{"error", {{"type", "object"}, {"properties", error_props}}}}}};
  json feature_props = {{"type", {{"type", "string"}, {"enum", {"Feature"}}}},
                        {"id", typed("integer")},
                        {"geometry", {{"type", "object"}, {"nullable", true}}},
                        {"properties", {{"type", "object"}, {"nullable", true}}}};
  json feature_obj = {{"type", "object"},
                      {"required", {"type", "geometry", "properties"}},
                      {"properties", feature_props}};
  json fc_props = {
      {"type", {{"type", "string"}, {"enum", {"FeatureCollection"}}}},
      {"features", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/feature"}}}}},
      {"numberMatched", {{"type", "integer"}, {"minimum", 0}}},
      {"numberReturned", {{"type", "integer"}, {"minimum", 0}}},
      {"timeStamp", {{"type", "string"}, {"format", "date-time"}}},
      {"links", {{"type", "array"}, {"items", typed("object")}}}};
  json fc_obj = {{"type", "object"}, {"required", {"type", "features"}}, {"properties", fc_props}};
  json schemas = {{"error", error_obj}, {"feature", feature_obj}, {"featureCollection", fc_obj}};
  for (const auto& c : kCollections)
    schemas[std::string(layers::layer_name(c.kind)) + "_properties"] = {
        {"type", "object"}, {"properties", schema_properties(c.kind)}};
  // The rest of the server: status, tiles, and the record endpoints (writes need the bearer token).
  auto in_path = [](const char* name, const char* description, json schema) {
    return json{{"name", name},
                {"in", "path"},
                {"required", true},
                {"description", description},
                {"schema", schema}};
  };
  auto in_query = [](const char* name, const char* description) {
    return json{{"name", name},
                {"in", "query"},
                {"required", false},
                {"description", description},
                {"schema", {{"type", "string"}}}};
  };
  auto op = [&](const char* summary, const char* id, json params, json ok, bool write = false) {
    json responses = {{"200", ok}};
    for (const auto& [k, v] : errors.items()) responses[k] = v;
    json o = {{"summary", summary},
              {"operationId", id},
              {"parameters", params},
              {"responses", responses}};
    if (write) {
      o["security"] = json::array({{{"bearer", json::array()}}});
      o["responses"]["401"] =
          response("No or a wrong bearer token", "application/json", error_schema);
      o["responses"]["403"] =
          response("The user's role or area does not allow it", "application/json", error_schema);
      o["requestBody"] = {{"required", true},
                          {"content", {{"application/json", {{"schema", object}}}}}};
    }
    return o;
  };
  const json tile_query =
      json::array({in_query("offset", "gcj02: coordinates shifted into GCJ-02 (Amap, Tencent)"),
                   in_query("status", "incidents: comma list of statuses"),
                   in_query("category", "incidents: comma list of categories"),
                   in_query("since", "incidents reported at or after (ISO 8601 or Unix seconds)"),
                   in_query("until", "incidents reported before (ISO 8601 or Unix seconds)")});
  auto tile_params = [&](bool xyz) {
    json p = json::array({in_path("layers", "tile layers, comma-separated", {{"type", "string"}})});
    if (xyz)
      for (const char* n : {"z", "x", "y"})
        p.push_back(in_path(n, "tile zoom, column, row", {{"type", "integer"}, {"minimum", 0}}));
    for (const auto& q : tile_query) p.push_back(q);
    return p;
  };
  const json mvt = {
      {"description", "A Mapbox Vector Tile (204 when empty, 304 when the ETag matches)"},
      {"content",
       {{"application/vnd.mapbox-vector-tile",
         {{"schema", {{"type", "string"}, {"format", "binary"}}}}}}}};
  paths["/health"]["get"] = op("Status, version and layer counts", "getHealth", json::array(),
                               response("Status", "application/json", object));
  paths["/layers"]["get"] = op("Every layer with its public fields", "getLayers", json::array(),
                               response("Layers", "application/json", object));
  paths["/metrics"]["get"] =
      op("Tile cache and build metrics", "getMetrics", json::array(),
         {{"description", "Prometheus text"},
          {"content", {{"text/plain", {{"schema", {{"type", "string"}}}}}}}});
  paths["/style.json"]["get"] =
      op("The whole map as a MapLibre style (v8): what the viewer may see, the county layers as "
         "their definitions style them, their catalogue by theme in metadata",
         "getMapStyle",
         json::array({in_query("offset", "gcj02: tile URLs shifted into GCJ-02 (or none)")}),
         response("MapLibre style", "application/json", object));
  {
    json q = in_query("q", "the address as a caller gives it (德清县武康街道城西村3组12号)");
    q["required"] = true;
    paths["/geocode"]["get"] =
        op("An address to the places it may mean, from the county's gazetteer (towns, villages, "
           "households' addresses, enterprises' names); a house only for a viewer who may read "
           "households' addresses in its grid, else its group, road or village",
           "geocode",
           json::array({q, in_query("limit", "candidates, 1 to 20 (default 5)"), param_ref("f")}),
           response("The candidates, best first (level, label, lon, lat, confidence, town_code, "
                    "village_code, grid_code)",
                    "application/json", object));
  }
  paths["/tiles/{layers}/{z}/{x}/{y}.mvt"]["get"] =
      op("A vector tile (Web Mercator)", "getTile", tile_params(true), mvt);
  paths["/tiles/cgcs2000/{layers}/{z}/{x}/{y}.mvt"]["get"] =
      op("A vector tile (CGCS2000, Tianditu 'c')", "getTileCgcs2000", tile_params(true), mvt);
  paths["/tiles/{layers}.json"]["get"] = op("TileJSON 3.0.0", "getTileJson", tile_params(false),
                                            response("TileJSON", "application/json", object));
  paths["/tiles/cgcs2000/{layers}.json"]["get"] =
      op("TileJSON 3.0.0 (CGCS2000)", "getTileJsonCgcs2000", tile_params(false),
         response("TileJSON", "application/json", object));
  // OGC API - Tiles (api/ogc_tiles.hpp); the operation ids end in OGC 20-057's suffixes.
  {
    json set_ids = json::array();
    for (const auto* t : spatial::TileMatrixSet::all()) set_ids.push_back(std::string(t->name()));
    const json tiled = OgcTiles::tiled_collections(ctx.county->tiles().config());
    const json set_id = in_path("tileMatrixSetId", "the tile matrix set (see /tileMatrixSets)",
                                {{"type", "string"}, {"enum", set_ids}});
    const json tile_ids = json::array(
        {in_path("tileMatrix", "the zoom: 0 to 24 (WebMercatorQuad), 1 to 24 (CGCS2000Quad)",
                 {{"type", "string"}}),
         in_path("tileRow", "the row, from the north", {{"type", "integer"}, {"minimum", 0}}),
         in_path("tileCol", "the column, from the west", {{"type", "integer"}, {"minimum", 0}})});
    const json meta = response("JSON (OGC API - Tiles, TMS 2.0)", "application/json", object);
    paths["/tileMatrixSets"]["get"] =
        op("The tile matrix sets", "getTileMatrixSetsList", json::array({param_ref("f")}), meta);
    paths["/tileMatrixSets/{tileMatrixSetId}"]["get"] =
        op("A tile matrix set (TMS 2.0 JSON)", "getTileMatrixSet",
           json::array({set_id, param_ref("f")}), meta);
    for (const bool dataset : {true, false}) {
      const std::string prefix = dataset ? "/tiles" : "/collections/{collectionId}/tiles";
      const std::string origin = dataset ? "tiles.dataset.vector." : "tiles.collection.vector.";
      json own =
          dataset ? json::array(
                        {{{"name", "collections"},
                          {"in", "query"},
                          {"required", false},
                          {"style", "form"},
                          {"explode", false},
                          {"description",
                           "the collections in the tiles, in this order (default: "
                           "every one the caller may see)"},
                          {"schema",
                           {{"type", "array"}, {"items", {{"type", "string"}, {"enum", tiled}}}}}}})
                  : json::array({in_path("collectionId", "a collection with tiles",
                                         {{"type", "string"}, {"enum", tiled}})});
      json list_params = own, set_params = own, tile_args = own;
      list_params.push_back(param_ref("f"));
      set_params.push_back(set_id);
      tile_args.push_back(set_id);
      for (const auto& p : tile_ids) tile_args.push_back(p);
      for (const auto& q : tile_query) set_params.push_back(q), tile_args.push_back(q);
      set_params.push_back(param_ref("f"));
      paths[prefix]["get"] = op(dataset ? "The dataset's tilesets" : "A collection's tilesets",
                                (origin + "getTileSetsList").c_str(), list_params, meta);
      paths[prefix + "/{tileMatrixSetId}"]["get"] =
          op("A tileset: its layers, tile matrix limits and tile template",
             (origin + "getTileSet").c_str(), set_params, meta);
      paths[prefix + "/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"]["get"] =
          op("A vector tile (404 outside the tileset's limits)", (origin + "getTile").c_str(),
             tile_args, mvt);
    }
  }
  const json id_param = json::array(
      {in_path("id", "the record's feature id", {{"type", "integer"}, {"format", "int64"}})});
  for (const char* kind : {"incidents", "households", "enterprises"}) {
    const std::string k = kind;
    paths["/" + k]["post"] =
        op(("Create a record of " + k).c_str(), ("create_" + k).c_str(), json::array(),
           response("The record, joined to its grid", "application/json", object), true);
    paths["/" + k]["post"]["responses"]["201"] = paths["/" + k]["post"]["responses"]["200"];
    paths["/" + k]["post"]["responses"].erase("200");
    paths["/" + k + "/{id}"]["get"] =
        op(("One record of " + k).c_str(), ("get_" + k).c_str(), id_param,
           response("The record", "application/json", object), false);
    if (k == "households")
      paths["/" + k + "/{id}"]["get"]["security"] = json::array({{{"bearer", json::array()}}});
    paths["/" + k + "/{id}"]["patch"] =
        op(("Change a record of " + k).c_str(), ("patch_" + k).c_str(), id_param,
           response("The record", "application/json", object), true);
  }
  paths["/grids/{id}"]["get"] = op("One grid with its outline", "get_grid", id_param,
                                   response("The grid", "application/json", object));
  paths["/grids/{id}"]["patch"] = op("Rename a grid or change its outline", "patch_grid", id_param,
                                     response("The grid", "application/json", object), true);
  // The closed loop.
  paths["/incidents/{id}/actions"]["post"] =
      op("A step of the closed loop: dispatch, accept, start, resolve, return, verify, close, "
         "reopen, escalate",
         "act_on_incident", id_param,
         response("The incident after the step, with the event", "application/json", object), true);
  paths["/incidents/{id}/actions"]["post"]["parameters"].push_back(
      {{"name", "If-Match"},
       {"in", "header"},
       {"required", false},
       {"description", "the incident's ETag (version): a stale one loses with 409"},
       {"schema", {{"type", "string"}}}});
  paths["/incidents/{id}/actions"]["post"]["responses"]["409"] =
      response("The state or the version does not allow it", "application/json", error_schema);
  paths["/incidents/{id}/history"]["get"] =
      op("An incident's audit trail", "get_incident_history", id_param,
         response("The events", "application/json", object));
  // Photos of incidents (api/media_api.hpp).
  {
    const json image = {{"schema", {{"type", "string"}, {"format", "binary"}}}};
    const json images = {{"image/jpeg", image}, {"image/png", image}, {"image/webp", image}};
    json add_media =
        op("Add a photo to an incident: the image is the body (at most 10 MB, 8000 "
           "pixels a side); its reporter, assignee, handler and the staff of its area",
           "add_incident_media", id_param,
           response("The photo's id and links", "application/json", object), true);
    add_media["parameters"].push_back(
        {{"name", "kind"},
         {"in", "query"},
         {"required", false},
         {"description", "why it was taken (default report)"},
         {"schema", {{"type", "string"}, {"enum", {"report", "before", "after"}}}}});
    add_media["requestBody"] = {{"required", true}, {"content", images}};
    add_media["responses"]["201"] = add_media["responses"]["200"];
    add_media["responses"].erase("200");
    add_media["responses"]["413"] =
        response("The image is over 10 MB", "application/json", error_schema);
    paths["/incidents/{id}/media"]["post"] = add_media;
    json get_media =
        op("A photo: the original for staff of its incident's area and its reporter, a "
           "copy without EXIF or other metadata for everyone else",
           "get_media",
           json::array({in_path("id", "the photo's id", {{"type", "integer"}, {"format", "int64"}}),
                        {{"name", "size"},
                         {"in", "query"},
                         {"required", false},
                         {"description", "thumb: a JPEG of at most 320 pixels a side"},
                         {"schema", {{"type", "string"}, {"enum", {"thumb"}}}}}}),
           {{"description", "The image"}, {"content", images}});
    paths["/media/{id}"]["get"] = get_media;
  }
  // A report that waits for the command centre is a ticket (api/tickets.hpp).
  paths["/incidents"]["post"]["responses"]["202"] = response(
      "The report waits in the command centre's queue: the ticket (its state, why it "
      "waits); Location /tickets/{id}",
      "application/json", object);
  paths["/tickets"]["get"] =
      op("The command centre's intake queue, newest first", "list_tickets",
         json::array({in_query("state", "pending, admitted, rejected or merged (default all)"),
                      in_query("limit", "1 to 1000 (default 50)"),
                      in_query("offset", "tickets to skip (default 0)")}),
         response("The tickets and their total", "application/json", object), true);
  paths["/tickets"]["get"].erase("requestBody");
  paths["/tickets/{id}"]["get"] =
      op("A ticket: the report, its place, candidates and suggested duplicates", "get_ticket",
         id_param, response("The ticket", "application/json", object), true);
  paths["/tickets/{id}"]["get"].erase("requestBody");
  paths["/tickets/{id}/actions"]["post"] =
      op("Decide a ticket: admit (lon, lat, category), reject (note) or merge (into)",
         "decide_ticket", id_param,
         response("The ticket, and the incident it became or joined", "application/json", object),
         true);
  paths["/tickets/{id}/actions"]["post"]["responses"]["409"] = response(
      "The ticket was decided already, or its version is stale", "application/json", error_schema);
  // Joint cases (api/joint.hpp).
  {
    const json task_param =
        json::array({in_path("id", "the incident's id", {{"type", "integer"}, {"format", "int64"}}),
                     in_path("seq", "the task's number in the case", {{"type", "integer"}})});
    paths["/agencies"]["get"] =
        op("The agencies that handle cases: departments, town units, towns, villages, grids",
           "list_agencies",
           json::array({in_query("level", "county, town, village or grid"),
                        in_query("area", "an area code: the agencies serving in or over it")}),
           response("The agencies", "application/json", object));
    paths["/incidents/{id}/joint"]["post"] =
        op("Make a case joint (联合处置): a lead and co-handlers, each with a task", "make_joint",
           id_param, response("The case and its tasks", "application/json", object), true);
    paths["/incidents/{id}/summons"]["post"] =
        op("Summon agencies to a case (吹哨报到): each must report within a time", "summon",
           id_param, response("The case and its tasks", "application/json", object), true);
    paths["/incidents/{id}/tasks"]["get"] =
        op("The tasks of a joint case", "list_tasks", id_param,
           response("The tasks", "application/json", object), true);
    paths["/incidents/{id}/tasks"]["get"].erase("requestBody");
    paths["/incidents/{id}/tasks/{seq}/actions"]["post"] =
        op("Act on a task: accept (报到) or done with feedback", "act_on_task", task_param,
           response("The case and its tasks", "application/json", object), true);
    for (const char* p : {"/incidents/{id}/joint", "/incidents/{id}/summons",
                          "/incidents/{id}/tasks/{seq}/actions"})
      paths[p]["post"]["responses"]["409"] = response(
          "The case's state or the version does not allow it", "application/json", error_schema);
    paths["/stats/agencies"]["get"] =
        op("Each agency's tasks: done, on time, late, summons answered in time, median hours",
           "agency_stats",
           json::array({in_query("area", "an area code (default the user's scope)"),
                        in_query("from", "cases reported from (ISO 8601)"),
                        in_query("to", "cases reported before (ISO 8601)")}),
           response("The figures by agency", "application/json", object), true);
    paths["/stats/agencies"]["get"].erase("requestBody");
    paths["/stats/loop"]["get"] =
        op("The loop's figures (有效率, 及时率, stages) of each worker, agency, town or grid",
           "loop_stats",
           json::array({in_query("by", "worker, agency, town or grid (required)"),
                        in_query("area", "an area code (default the user's scope)"),
                        in_query("from", "cases reported from (ISO 8601)"),
                        in_query("to", "cases reported before (ISO 8601)")}),
           response("The figures by group", "application/json", object), true);
    paths["/stats/loop"]["get"].erase("requestBody");
  }
  paths["/dispatch/batch"]["post"] =
      op("Dispatch every unassigned incident of an area at once (least total distance)",
         "batch_dispatch", json::array(), response("The assignment", "application/json", object),
         true);
  paths["/escalations/sweep"]["post"] =
      op("Escalate every overdue incident one level", "sweep_overdue", json::array(),
         response("The incidents escalated", "application/json", object), true);
  paths["/users/me"]["get"] =
      op("The user the bearer token names", "get_me", json::array(),
         response("The user and the actions their role allows", "application/json", object), true);
  paths["/users/me"]["get"].erase("requestBody");
  paths["/users/me/incidents"]["get"] =
      op("The open cases the caller holds, earliest deadline first (a worker's task list)",
         "my_incidents", json::array(),
         response("A GeoJSON FeatureCollection of incidents", "application/json", object), true);
  paths["/users/me/incidents"]["get"].erase("requestBody");
  paths["/users/me/reports"]["get"] =
      op("What the caller reported: its cases with their progress, and its waiting reports",
         "my_reports", json::array(),
         response("The reports, newest first", "application/json", object), true);
  paths["/users/me/reports"]["get"].erase("requestBody");
  // Residents' sign-in by phone (api/residents_api.hpp): public.
  {
    json code = op("Text a sign-in code to a resident's phone", "resident_code", json::array(),
                   response("The code was sent", "application/json", object), true);
    code.erase("security");
    code["responses"].erase("401");
    code["responses"].erase("403");
    code["responses"]["202"] = code["responses"]["200"];
    code["responses"].erase("200");
    code["responses"]["429"] =
        response("A code was sent a moment ago, or too many today (Retry-After)",
                 "application/json", error_schema);
    paths["/residents/code"]["post"] = code;
    json token = op("Trade a texted code for a resident's token", "resident_token", json::array(),
                    response("The token", "application/json", object), true);
    token.erase("security");
    token["responses"].erase("401");
    token["responses"].erase("403");
    paths["/residents/token"]["post"] = token;
  }
  // Users and the audit: the administrator's (api/users_api.hpp).
  {
    const json user_id = json::array({in_path("id", "the user's id", {{"type", "string"}})});
    auto admin_op = [&](const char* summary, const char* id, json params, const char* ok,
                        bool body) {
      json o = op(summary, id, std::move(params), response(ok, "application/json", object), true);
      o["responses"]["403"] = response("Not an administrator", "application/json", error_schema);
      if (!body) o.erase("requestBody");
      return o;
    };
    paths["/users"]["get"] =
        admin_op("Every user (never a token)", "list_users", json::array(), "The users", false);
    paths["/users"]["post"] =
        admin_op("Add a user: its token is in the answer, once", "create_user", json::array(),
                 "The user and its token", true);
    paths["/users"]["post"]["responses"]["201"] = paths["/users"]["post"]["responses"]["200"];
    paths["/users"]["post"]["responses"].erase("200");
    paths["/users/{id}"]["patch"] =
        admin_op("Change a user's name, role, scope, worker record or active flag", "patch_user",
                 user_id, "The user", true);
    paths["/users/{id}/token"]["post"] =
        admin_op("A new token for a user (shown once); the old one stops at once", "rotate_token",
                 user_id, "The user's id and new token", false);
    paths["/audit"]["get"] = admin_op(
        "The audit of personal data and user changes, newest first", "get_audit",
        json::array(
            {in_query("from", "at or after (ISO 8601 or Unix seconds)"),
             in_query("to", "at or before (ISO 8601 or Unix seconds)"),
             in_query("user", "the actor's id"),
             in_query("action",
                      "read_personal, write_personal, user_create, user_change, user_disable, "
                      "user_enable, token_rotate"),
             in_query("limit", "1 to 1000 (default 100)"), in_query("offset", "rows to skip")}),
        "The rows and their total", false);
  }
  // The county's own layers: the administrator's (api/layers_admin.hpp).
  {
    auto admin_op = [&](const char* summary, const char* id, json params, const char* ok,
                        int status) {
      json o = op(summary, id, std::move(params), response(ok, "application/json", object), true);
      o["responses"]["403"] = response("Not an administrator", "application/json", error_schema);
      if (status != 200) {
        o["responses"][std::to_string(status)] = o["responses"]["200"];
        o["responses"].erase("200");
      }
      return o;
    };
    const json name = json::array({in_path("name", "the layer's name", {{"type", "string"}})});
    paths["/admin/layers"]["get"] = admin_op("Every county layer's definition and feature count",
                                             "list_layers", json::array(), "The layers", 200);
    paths["/admin/layers"]["get"].erase("requestBody");
    paths["/admin/layers"]["post"] = admin_op(
        "A new county layer from a source in the body (GeoJSON, CSV, zipped Shapefile, "
        "GeoPackage), served at once",
        "create_layer",
        json::array({in_query("name", "the new layer's name"), in_query("title", "its title"),
                     in_query("theme", "its group in the catalogue"),
                     in_query("geometry", "point, line or polygon (default: the source's)"),
                     in_query("id_field", "the field with the source system's ids"),
                     in_query("src_crs", "the source's CRS when it declares none"),
                     in_query("encoding", "the source's attribute encoding")}),
        "Its definition and the import's report", 201);
    paths["/admin/layers"]["post"]["requestBody"] = {
        {"required", true},
        {"content",
         {{"application/geo+json", {{"schema", object}}},
          {"text/csv", {{"schema", {{"type", "string"}}}}},
          {"application/zip", {{"schema", {{"type", "string"}, {"format", "binary"}}}}},
          {"application/geopackage+sqlite3",
           {{"schema", {{"type", "string"}, {"format", "binary"}}}}}}}};
    paths["/admin/layers/{name}"]["get"] =
        admin_op("A county layer's definition", "get_layer", name, "The definition", 200);
    paths["/admin/layers/{name}"]["get"].erase("requestBody");
    paths["/admin/layers/{name}"]["put"] =
        admin_op("An empty county layer from a definition (the body)", "put_layer", name,
                 "The definition", 201);
    paths["/admin/layers/{name}"]["patch"] = admin_op(
        "Alter a county layer (add fields; change audiences, title, theme, style, zooms), served "
        "at once; its name, geometry, id field and a field's name or type stay, and no field is "
        "removed",
        "alter_layer", name, "The new definition", 200);
    paths["/admin/layers/{name}"]["patch"]["requestBody"]["content"]
         ["application/merge-patch+json"] = {{"schema", object}};
    paths["/admin/layers/{name}"]["delete"] =
        admin_op("Drops a county layer and its features", "drop_layer", name, "Dropped", 204);
    paths["/admin/layers/{name}"]["delete"].erase("requestBody");
    paths["/admin/layers/{name}"]["delete"]["responses"]["204"].erase("content");
  }
  // Feeds into the county layers that have an id field (api/feeds.hpp).
  for (const auto& d : county_layers) {
    if (d.id_field.empty()) continue;
    json o = op(("Upsert a batch of " + d.title + " by " + d.id_field).c_str(),
                ("feed_" + d.name).c_str(), json::array(),
                response("What the batch did: inserted, updated, unchanged and deleted records, "
                         "and the grid joins of those inserted or moved",
                         "application/json", object),
                true);
    o["description"] =
        "Records matched by " + d.id_field +
        ": a key the layer lacks is inserted, a key it has replaces that record's geometry and "
        "values (its id stays), a feature whose _delete property is true removes its key's "
        "record. Every feature is checked before anything is written; one refused is a 400 "
        "naming its index and reason, and nothing changes. A record sent as it is is not "
        "written: a replay changes nothing. For an administrator, or a feed user whose scope "
        "names the layer.";
    o["responses"]["403"] = response("Neither an administrator nor a feed user of this layer",
                                     "application/json", error_schema);
    o["responses"]["409"] = response("The layer changed while the batch was read: send it again",
                                     "application/json", error_schema);
    const json text = {{"schema", {{"type", "string"}}}};
    o["requestBody"] = {{"required", true},
                        {"content",
                         {{"application/geo+json", {{"schema", object}}},
                          {"application/json", {{"schema", object}}},
                          {"application/geo+json-seq", text},
                          {"application/x-ndjson", text}}}};
    paths["/collections/" + d.name + "/feed"]["post"] = o;
  }
  // OGC API - Features Part 4 (api/feature_edits.cpp): the enterprises' and each county
  // layer's features written, with their ETag and If-Match, and each record's history.
  {
    std::vector<std::string> writable = {std::string(layers::layer_name(LayerKind::Enterprises))};
    for (const auto& d : county_layers) writable.push_back(d.name);
    const json feature_id = in_path("featureId", "the feature's id", {{"type", "integer"}});
    const json if_match = {
        {"name", "If-Match"},
        {"in", "header"},
        {"required", false},
        {"description",
         "the feature's ETag as last read (or *): a feature changed since, or gone, is a 412 "
         "and nothing changes (RFC 9110 §13.1.1); without it the write goes ahead"},
        {"schema", {{"type", "string"}}}};
    const json etag_header = {{"description", "the feature's state (a strong entity tag)"},
                              {"schema", {{"type", "string"}}}};
    const json feature = response("The feature as the writer reads it", kGeoJson, object);
    const json geojson_body = {
        {"required", true},
        {"content",
         {{kGeoJson, {{"schema", object}}}, {"application/json", {{"schema", object}}}}}};
    auto edit_op = [&](const std::string& summary, const std::string& id, json params) {
      json o = op(summary.c_str(), id.c_str(), std::move(params), feature, true);
      o["responses"]["200"]["headers"]["ETag"] = etag_header;
      o["responses"]["412"] = response(
          "If-Match names no current state of the feature (the answer's ETag is its current "
          "one), or there is no feature",
          "application/json", error_schema);
      o["responses"]["415"] =
          response("A body of another media type", "application/json", error_schema);
      o["requestBody"] = geojson_body;
      return o;
    };
    for (const std::string& c : writable) {
      const std::string items = "/collections/" + c + "/items", item = items + "/{featureId}";
      json create = edit_op("Create a feature of " + c + " (a GeoJSON Feature in CRS84)",
                            "create_" + c, json::array());
      create["responses"]["201"] = create["responses"]["200"];
      create["responses"]["201"]["headers"]["Location"] = {
          {"description", "the new feature's path"}, {"schema", {{"type", "string"}}}};
      create["responses"].erase("200");
      create["responses"].erase("412");
      create["responses"]["409"] =
          response("Its id field's value is another feature's", "application/json", error_schema);
      paths[items]["post"] = create;
      paths[item]["put"] = edit_op("Replace a feature of " + c + " (a property left out is null)",
                                   "replace_" + c, json::array({feature_id, if_match}));
      json patch = edit_op("Update a feature of " + c +
                               " by a JSON merge patch (RFC 7396): named properties change, null "
                               "unsets, a geometry replaces the geometry",
                           "update_" + c, json::array({feature_id, if_match}));
      patch["requestBody"]["content"]["application/merge-patch+json"] = {{"schema", object}};
      paths[item]["patch"] = patch;
      json del =
          edit_op("Delete a feature of " + c, "delete_" + c, json::array({feature_id, if_match}));
      del.erase("requestBody");
      del["responses"]["204"] = {{"description", "Deleted"}};
      del["responses"].erase("200");
      del["responses"].erase("415");
      paths[item]["delete"] = del;
      json history = op(("Who changed a feature of " + c +
                         ", when, how and which fields (never values), newest first")
                            .c_str(),
                        ("history_" + c).c_str(),
                        json::array({feature_id, in_query("limit", "1 to 1000 (default 100)"),
                                     in_query("offset", "rows to skip")}),
                        response("The changes", "application/json", object));
      history["security"] = json::array({{{"bearer", json::array()}}});
      paths[item + "/history"]["get"] = history;
    }
  }
  // Open311 GeoReport v2.
  const json open311_list = {
      {"description", "A JSON list (Open311 GeoReport v2)"},
      {"content", {{"application/json", {{"schema", {{"type", "array"}, {"items", object}}}}}}}};
  paths["/open311/v2/services.json"]["get"] =
      op("Open311: the service list (categories)", "open311_services",
         json::array({in_query("jurisdiction_id", "ignored (one jurisdiction)")}), open311_list);
  paths["/open311/v2/requests.json"]["get"] = op(
      "Open311: service requests", "open311_requests",
      json::array(
          {in_query("service_request_id", "comma list of ids"),
           in_query("service_code", "comma list of codes"), in_query("start_date", "W3C date-time"),
           in_query("end_date", "W3C date-time"), in_query("status", "open, closed or both"),
           in_query("coordinate_system", "WGS84 (default) or GCJ02 for the coordinates returned"),
           in_query("jurisdiction_id", "ignored"),
           in_query("api_key",
                    "a user's token: its own reports in full (checked: an unknown key is a 401)")}),
      open311_list);
  paths["/open311/v2/requests.json"]["post"] = op("Open311: a new service request, routed at once",
                                                  "open311_create", json::array(), open311_list);
  paths["/open311/v2/requests.json"]["post"]["responses"]["201"] =
      paths["/open311/v2/requests.json"]["post"]["responses"]["200"];
  paths["/open311/v2/requests.json"]["post"]["responses"].erase("200");
  paths["/open311/v2/requests.json"]["post"]["requestBody"] = {
      {"required", true},
      {"content",
       {{"application/x-www-form-urlencoded", {{"schema", object}}},
        {"application/json", {{"schema", object}}}}}};
  paths["/open311/v2/requests/{id}.json"]["get"] = op(
      "Open311: one service request", "open311_request",
      json::array(
          {in_path("id", "the service_request_id", {{"type", "integer"}}),
           in_query("coordinate_system", "WGS84 (default) or GCJ02"),
           in_query("jurisdiction_id", "ignored"),
           in_query("api_key",
                    "a user's token: its own reports in full (checked: an unknown key is a 401)")}),
      open311_list);
  // The outbox as server-sent events (api/events.hpp).
  json events =
      op("Server-sent events of the incidents' outbox as the caller may read them (an area-scoped "
         "user: its area; the public: no sensitive category, public fields only). Each event: id "
         "(the outbox id) and data (JSON: id, subject, action, area, seq, from, to, at, "
         "incident). Last-Event-ID resumes after an event; \": ping\" comments keep it open",
         "events",
         json::array({{{"name", "Last-Event-ID"},
                       {"in", "header"},
                       {"required", false},
                       {"description", "the last event id received: resume after it"},
                       {"schema", {{"type", "integer"}}}}}),
         response("The stream", "text/event-stream", {{"type", "string"}}));
  events["responses"]["503"] =
      response("Too many streams are open", "application/json", error_schema);
  paths["/events"]["get"] = events;

  json doc = {{"openapi", "3.0.3"},
              {"info",
               {{"title", "onemap"},
                {"version", "1.0.0"},
                {"description",
                 "The county's one map: OGC API - Features over its layers, vector tiles, "
                 "and the record endpoints"}}},
              {"servers", json::array({{{"url", base}}})},
              {"paths", paths},
              {"components",
               {{"parameters", parameters},
                {"schemas", schemas},
                {"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}}};
  return {200, layers::json_text(doc), kOpenApi, {}};
}

}  // namespace onemap::api::features
