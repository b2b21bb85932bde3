// The collections (GET /collections) and one collection (GET /collections/{id}): every layer
// with its extent, its CRSs and links to its items.
#include "api/features_internal.hpp"
#include "api/ogc_tiles.hpp"

#include "layers/model/text.hpp"

#include <algorithm>
#include <optional>

namespace onemap::api::features {

json collection_json(const Context& ctx, const CollectionInfo& c, const std::string& base) {
  const std::string id(layers::layer_name(c.kind));
  const std::string self = base + "/collections/" + id;
  spatial::Box b;
  std::optional<std::pair<int64_t, int64_t>> times;
  {
    auto lock = ctx.county->read();
    const layers::Dataset& d = ctx.county->data();
    b = layers::layer_extent(d, c.kind);
    if (c.kind == LayerKind::Incidents && !d.incidents.empty()) {
      auto [lo, hi] = std::minmax_element(
          d.incidents.begin(), d.incidents.end(),
          [](const auto& x, const auto& y) { return x.reported_at < y.reported_at; });
      times = {lo->reported_at, hi->reported_at};
    }
  }
  json extent = json::object();
  if (b.min_corner().x() <= b.max_corner().x())
    extent["spatial"] = {
        {"bbox",
         {{b.min_corner().x(), b.min_corner().y(), b.max_corner().x(), b.max_corner().y()}}},
        {"crs", kCrs84}};
  if (times)
    extent["temporal"] = {
        {"interval", json::array({json::array({layers::format_time(times->first),
                                               layers::format_time(times->second)})})},
        {"trs", "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}};
  json links =
      json::array({link(self, "self", "application/json", "This collection"),
                   link(self + "/items", "items", kGeoJson, std::string(c.title) + " as GeoJSON")});
  const auto tiled = OgcTiles::tiled_collections(ctx.county->tiles().config());
  if (std::find(tiled.begin(), tiled.end(), id) != tiled.end())
    links.push_back(link(self + "/tiles", kTilesetsVectorRel, "application/json",
                         std::string(c.title) + " as vector tiles (OGC API - Tiles)"));
  json j = {{"id", id},
            {"title", c.title},
            {"description", c.description},
            {"itemType", "feature"},
            {"crs", crs_uris()},
            {"storageCrs", "http://www.opengis.net/def/crs/EPSG/0/4490"},
            {"extent", extent},
            {"links", links}};
  return j;
}

HttpAnswer collections(const Context& ctx, const std::string& base) {
  json list = json::array();
  for (const auto& c : kCollections) list.push_back(collection_json(ctx, c, base));
  {
    auto lock = ctx.county->read();
    for (const auto& l : ctx.county->feature_layers())
      list.push_back(county_collection_json(ctx, l, base));
  }
  json j = {
      {"links",
       json::array({link(base + "/collections", "self", "application/json", "The collections")})},
      {"collections", list}};
  return {200, layers::json_text(j), "application/json", {}};
}

}  // namespace onemap::api::features
