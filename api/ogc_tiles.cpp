// OGC API - Tiles over TileService (ogc_tiles.hpp): paths parsed here, tiles and their TileJSON
// asked of TileService under its own paths.
#include "api/ogc_tiles.hpp"

#include "api/features_internal.hpp"
#include "core/errors.hpp"
#include "layers/model/text.hpp"
#include "layers/tiles/tiles.hpp"
#include "spatial/chinacrs.hpp"
#include "spatial/tms.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <mutex>
#include <unordered_map>

namespace onemap::api {

namespace {

using json = nlohmann::ordered_json;
using features::link;
using layers::LayerKind;
using spatial::TileId;
using spatial::TileMatrixSet;
using Query = std::vector<std::pair<std::string, std::string>>;
namespace bg = spatial::bg;

constexpr const char* kJson = "application/json";
constexpr const char* kMvt = "application/vnd.mapbox-vector-tile";
constexpr const char* kTilingSchemeRel = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme";

// What the OGC registers say of a matrix set (its numbers are spatial/tms's).
struct Register {
  const char* title;
  const char* uri;        ///< in the OGC register; null for CGCS2000Quad
  const char* scale_set;  ///< a well-known scale set; null for none
  const char* axes[2];    ///< in the CRS's order
};

Register register_of(const TileMatrixSet& t) {
  if (t.kind() == TileMatrixSet::Kind::WebMercatorQuad)
    return {"Google Maps Compatible for the World",
            "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad",
            "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
            {"X", "Y"}};
  return {"CGCS2000 geographic quad, numbered as Tianditu's 'c' set (WorldCRS84Quad's zoom z-1)",
          nullptr,
          nullptr,
          {"Lat", "Lon"}};
}

std::string ids_text() {
  std::string s;
  for (const TileMatrixSet* t : TileMatrixSet::all())
    s += (s.empty() ? "" : ", ") + std::string(t->name());
  return s;
}

const TileMatrixSet& matrix_set(std::string_view id) {
  for (const TileMatrixSet* t : TileMatrixSet::all())
    if (t->name() == id) return *t;
  throw NotFound("tileMatrixSetId: no tile matrix set '" + std::string(id) + "' (" + ids_text() +
                 ")");
}

// A position in the CRS's own axis order, as OGC documents give it.
json crs_position(const TileMatrixSet& t, double x, double y) {
  return t.north_first() ? json::array({y, x}) : json::array({x, y});
}

json tile_matrix_set_json(const TileMatrixSet& t, const std::string& base) {
  const Register r = register_of(t);
  const spatial::CrsPoint o = t.origin();
  const spatial::CrsBox e = t.extent();
  json matrices = json::array();
  for (uint32_t z = t.min_zoom(); z <= t.max_zoom(); ++z) {
    const std::string id = std::to_string(z);
    matrices.push_back({{"id", id},
                        {"scaleDenominator", t.scale_denominator(z)},
                        {"cellSize", t.cell_size(z)},
                        {"cornerOfOrigin", "topLeft"},
                        {"pointOfOrigin", crs_position(t, o.x, o.y)},
                        {"tileWidth", TileMatrixSet::kTilePixels},
                        {"tileHeight", TileMatrixSet::kTilePixels},
                        {"matrixWidth", t.matrix_width(z)},
                        {"matrixHeight", t.matrix_height(z)}});
  }
  json j = {{"id", t.name()}, {"title", r.title}};
  if (r.uri) j["uri"] = r.uri;
  j["crs"] = t.crs_uri();
  j["orderedAxes"] = {r.axes[0], r.axes[1]};
  if (r.scale_set) j["wellKnownScaleSet"] = r.scale_set;
  j["boundingBox"] = {{"lowerLeft", crs_position(t, e.minx, e.miny)},
                      {"upperRight", crs_position(t, e.maxx, e.maxy)},
                      {"crs", t.crs_uri()}};
  j["tileMatrices"] = matrices;
  j["links"] = json::array(
      {link(base + "/tileMatrixSets/" + std::string(t.name()), "self", kJson, r.title)});
  return j;
}

json tile_matrix_sets_json(const std::string& base) {
  json list = json::array();
  for (const TileMatrixSet* t : TileMatrixSet::all()) {
    const Register r = register_of(*t);
    const std::string id(t->name());
    json entry = {{"id", id}, {"title", r.title}};
    if (r.uri) entry["uri"] = r.uri;
    entry["crs"] = t->crs_uri();
    entry["links"] = json::array(
        {link(base + "/tileMatrixSets/" + id, "self", kJson, "The tile matrix set " + id)});
    list.push_back(entry);
  }
  return {{"links",
           json::array({link(base + "/tileMatrixSets", "self", kJson, "The tile matrix sets")})},
          {"tileMatrixSets", list}};
}

// The URI a tileset names its matrix set by: the register's, else its definition here (GDAL's
// OGCAPI driver chooses a tileset by finding the set's name in this URI).
std::string matrix_set_uri(const TileMatrixSet& t, const std::string& base) {
  const Register r = register_of(t);
  return r.uri ? r.uri : base + "/tileMatrixSets/" + std::string(t.name());
}

// ---------------------------------------------------------------------------------------------
// Requests

// A path of ogc_tiles.hpp, split.
struct Target {
  bool matrix_sets = false;               ///< /tileMatrixSets[/{id}]
  std::optional<std::string> collection;  ///< /collections/{id}/tiles…; nullopt: the dataset
  const TileMatrixSet* tms = nullptr;     ///< null: a list
  std::optional<std::array<std::string, 3>> tile;  ///< tileMatrix, tileRow, tileCol
};

Target parse_target(std::string_view path) {
  std::vector<std::string> s;
  for (std::size_t pos = 1; pos <= path.size();) {
    const std::size_t end = std::min(path.find('/', pos), path.size());
    s.emplace_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  Target t;
  std::size_t i = 0;
  if (!s.empty() && s[0] == "tileMatrixSets") {
    t.matrix_sets = true;
    if (s.size() == 2) t.tms = &matrix_set(s[1]);
    if (s.size() <= 2) return t;
  } else if (s.size() >= 3 && s[0] == "collections" && s[2] == "tiles") {
    t.collection = s[1];
    i = 3;
  } else if (!s.empty() && s[0] == "tiles") {
    i = 1;
  }
  if (i > 0 && s.size() == i) return t;
  if (i > 0 && (s.size() == i + 1 || s.size() == i + 4)) {
    t.tms = &matrix_set(s[i]);
    if (s.size() == i + 4) t.tile = {{s[i + 1], s[i + 2], s[i + 3]}};
    return t;
  }
  throw NotFound("no tiles resource at " + std::string(path));
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : sep) + i;
  return s;
}

// What a request selects: its tile layers and the parameters that go on to TileService.
struct Selection {
  std::vector<std::string> layers;  ///< tile layer names, in order
  Query passed;                     ///< for TileService (offset and the incident filters)
  std::string query;                ///< the selection as a query string ("?…" or ""), for links
  std::string passed_query;         ///< `passed` as a query string, for TileService's links
  bool gcj02 = false;
};

Selection select(const Target& t, const Query& query, const layers::TileConfig& config,
                 const auth::Viewer& viewer) {
  const std::vector<std::string> tiled = OgcTiles::tiled_collections(config);
  auto tiled_list = [&] { return "collections with tiles: " + join(tiled, ", "); };
  Selection s;
  std::optional<std::string> collections;
  for (const auto& [k, v] : query) {
    if (k == "f") {
      if (!t.tile)
        features::check_format(v);
      else if (v != "mvt")
        throw InvalidArgument("f", "tiles are Mapbox Vector Tiles (f=mvt)");
    } else if (k == "collections") {
      if (t.collection)
        throw InvalidArgument("collections",
                              "picks collections of the dataset's tiles (/tiles/…), not of one "
                              "collection's");
      collections = v;
    } else {
      s.gcj02 = s.gcj02 || (k == "offset" && v == "gcj02");
      s.passed.emplace_back(k, v);
    }
  }
  if (t.collection) {
    if (std::find(tiled.begin(), tiled.end(), *t.collection) == tiled.end())
      throw NotFound("collectionId: collection '" + *t.collection + "' has no tiles (" +
                     tiled_list() + ")");
    s.layers = {*t.collection};
  } else if (collections) {
    std::size_t pos = 0;
    while (true) {
      const std::size_t end = std::min(collections->find(',', pos), collections->size());
      std::string id = collections->substr(pos, end - pos);
      // A collection's URL names it too (…/collections/{id}).
      constexpr std::string_view kPrefix = "/collections/";
      if (const auto at = id.rfind(kPrefix); at != std::string::npos) {
        id = id.substr(at + kPrefix.size());
        if (id.ends_with('/')) id.pop_back();
      }
      if (std::find(tiled.begin(), tiled.end(), id) == tiled.end())
        throw InvalidArgument("collections",
                              "no collection '" + id + "' with tiles (" + tiled_list() + ")");
      if (std::find(s.layers.begin(), s.layers.end(), id) != s.layers.end())
        throw InvalidArgument("collections", "collection '" + id + "' is named twice");
      s.layers.push_back(id);
      if (end == collections->size()) break;
      pos = end + 1;
    }
  } else {
    // Every collection the viewer may have the tiles of: a dataset tile never holds a layer above
    // its audience.
    for (const auto& id : tiled) {
      try {
        check_tile_access(viewer, id);
      } catch (const Error&) {  // Unauthorized, Forbidden: not this viewer's
        continue;
      }
      s.layers.push_back(id);
    }
    if (s.layers.empty()) throw NotFound("no collection has tiles for this viewer");
  }
  for (const auto& id : s.layers) check_tile_access(viewer, id);
  std::vector<std::string> q;
  for (const auto& [k, v] : s.passed)
    q.push_back(features::url_encode(k) + "=" + features::url_encode(v));
  if (!q.empty()) s.passed_query = "?" + join(q, "&");
  if (collections) q.insert(q.begin(), "collections=" + features::url_encode(join(s.layers, ",")));
  if (!q.empty()) s.query = "?" + join(q, "&");
  return s;
}

// TileService's path for the tile layers on a matrix set: "/tiles/[cgcs2000/]{layers}" + rest.
std::string tile_service_path(const TileMatrixSet& t, const std::vector<std::string>& layers,
                              const std::string& rest) {
  return std::string("/tiles/") + (t.kind() == TileMatrixSet::Kind::Cgcs2000 ? "cgcs2000/" : "") +
         join(layers, ",") + rest;
}

// The tiles of a zoom that meet a lon/lat box.
struct TileRange {
  uint32_t min_col, max_col, min_row, max_row;
};

// Where a tileset has tiles: its layers' zoom range and, when they hold records, the tiles meeting
// their extent at each of those zooms.
struct Limits {
  uint32_t min_zoom = 0, max_zoom = 0;
  std::optional<spatial::Box> extent;  ///< lon/lat, shifted into GCJ-02 with offset=gcj02

  TileRange at(const TileMatrixSet& t, uint32_t z) const {
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    t.project(extent->min_corner().x(), extent->max_corner().y(), x0, y0);
    t.project(extent->max_corner().x(), extent->min_corner().y(), x1, y1);
    const TileId nw = t.tile_at(x0, y0, z), se = t.tile_at(x1, y1, z);
    return {nw.x, se.x, nw.y, se.y};
  }
};

uint32_t parse_index(const std::string& s, const char* name) {
  uint32_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size())
    throw InvalidArgument(name, "'" + s + "' is not a non-negative integer");
  return v;
}

// The tile a request names, checked against the matrix set and the tileset's limits.
TileId checked_tile(const TileMatrixSet& t, const std::array<std::string, 3>& ids,
                    const Limits& limits) {
  TileId tile;
  tile.z = t.max_zoom() + 1;
  for (uint32_t z = t.min_zoom(); z <= t.max_zoom(); ++z)
    if (std::to_string(z) == ids[0]) tile.z = z;
  if (tile.z > t.max_zoom())
    throw NotFound("tileMatrix: no tile matrix '" + ids[0] + "' in " + std::string(t.name()) +
                   " (" + std::to_string(t.min_zoom()) + " to " + std::to_string(t.max_zoom()) +
                   ")");
  tile.y = parse_index(ids[1], "tileRow");
  tile.x = parse_index(ids[2], "tileCol");
  const std::string at = " of tile matrix " + ids[0];
  if (tile.y >= t.matrix_height(tile.z))
    throw NotFound("tileRow: " + ids[1] + " is outside [0, " +
                   std::to_string(t.matrix_height(tile.z) - 1) + "]" + at);
  if (tile.x >= t.matrix_width(tile.z))
    throw NotFound("tileCol: " + ids[2] + " is outside [0, " +
                   std::to_string(t.matrix_width(tile.z) - 1) + "]" + at);
  if (tile.z < limits.min_zoom || tile.z > limits.max_zoom)
    throw NotFound("tileMatrix: " + ids[0] + " is outside the tileset's tile matrices (" +
                   std::to_string(limits.min_zoom) + " to " + std::to_string(limits.max_zoom) +
                   ")");
  if (limits.extent) {
    const TileRange r = limits.at(t, tile.z);
    if (tile.y < r.min_row || tile.y > r.max_row)
      throw NotFound("tileRow: " + ids[1] + " is outside the tileset's limits [" +
                     std::to_string(r.min_row) + ", " + std::to_string(r.max_row) + "]" + at);
    if (tile.x < r.min_col || tile.x > r.max_col)
      throw NotFound("tileCol: " + ids[2] + " is outside the tileset's limits [" +
                     std::to_string(r.min_col) + ", " + std::to_string(r.max_col) + "]" + at);
  }
  return tile;
}

std::string geometry_kind(LayerKind k) {
  const std::string_view g = layers::geometry_type(k);
  return g.find("Polygon") != std::string_view::npos ? "polygons"
         : g.find("Line") != std::string_view::npos  ? "lines"
                                                     : "points";
}

// TileJSON's field text ("Number (from zoom 12)") as a JSON Schema property.
json field_schema(const std::string& text) {
  const std::string type = text.substr(0, text.find(' '));
  return {{"type", type == "Number"    ? "number"
                   : type == "Boolean" ? "boolean"
                                       : "string"},
          {"description", text}};
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct OgcTiles::Impl {
  std::shared_ptr<layers::County> county;
  std::shared_ptr<TileService> tiles;
  uint64_t listener = 0;

  // The lon/lat extent of each layer's records, computed on first use and grown by every write
  // (never shrunk: limits a little wide only let a client ask for an empty tile). Lock order: the
  // county's lock, then this mutex (County calls on_change under its write lock).
  std::mutex mutex;
  std::unordered_map<LayerKind, spatial::Box> extents;

  void on_change(const layers::Change& c) {
    if (c.ticket) return;
    std::lock_guard lock(mutex);
    auto it = extents.find(c.layer);
    if (it == extents.end()) return;
    if (c.after && std::isfinite(c.after->lon) && std::isfinite(c.after->lat))
      bg::expand(it->second, spatial::Point(c.after->lon, c.after->lat));
    if (c.grid_after) bg::expand(it->second, *c.grid_after);
  }

  // The extent of the layers' records; nullopt when one is not known yet and `wait` is false (the
  // event loop waits for no lock a write holds).
  std::optional<spatial::Box> records_extent(const std::vector<std::string>& names, bool wait) {
    std::vector<LayerKind> kinds;
    for (const auto& n : names) kinds.push_back(layers::tile_layer_source(n).kind);
    auto all_known = [&] {
      return std::all_of(kinds.begin(), kinds.end(), [&](LayerKind k) { return extents.count(k); });
    };
    auto joined = [&] {
      spatial::Box b;
      bg::assign_inverse(b);
      for (LayerKind k : kinds)
        if (extents.at(k).min_corner().x() <= extents.at(k).max_corner().x())
          bg::expand(b, extents.at(k));
      return b;
    };
    {
      std::lock_guard lock(mutex);
      if (all_known()) return joined();
    }
    if (!wait) return std::nullopt;
    auto county_lock = county->read();  // no write between the scan and the cache
    std::lock_guard lock(mutex);
    for (LayerKind k : kinds)
      if (!extents.count(k)) extents[k] = layers::layer_extent(county->data(), k);
    return joined();
  }

  // nullopt when the extent is not known yet and `wait` is false.
  std::optional<Limits> limits(const TileMatrixSet& t, const Selection& s, bool wait) {
    const auto extent = records_extent(s.layers, wait);
    if (!extent) return std::nullopt;
    Limits l;
    l.min_zoom = t.max_zoom();
    for (const auto& n : s.layers) {
      const layers::TileLayerConfig* c = county->tiles().config().find(n);
      l.min_zoom = std::min(l.min_zoom, std::max(c->minzoom, t.min_zoom()));
      l.max_zoom = std::max(l.max_zoom, std::min(c->maxzoom, t.max_zoom()));
    }
    if (extent->min_corner().x() <= extent->max_corner().x()) {
      spatial::LonLat sw{extent->min_corner().x(), extent->min_corner().y()};
      spatial::LonLat ne{extent->max_corner().x(), extent->max_corner().y()};
      if (s.gcj02) sw = spatial::wgs84_to_gcj02(sw), ne = spatial::wgs84_to_gcj02(ne);
      l.extent = spatial::Box(spatial::Point(sw.lon, sw.lat), spatial::Point(ne.lon, ne.lat));
    }
    return l;
  }

  json tilesets(const Target& t, const Selection& s, const std::string& base) const {
    const std::string prefix =
        base + (t.collection ? "/collections/" + *t.collection : "") + "/tiles";
    json list = json::array();
    for (const TileMatrixSet* m : TileMatrixSet::all()) {
      const std::string id(m->name());
      list.push_back({{"title", (t.collection ? *t.collection : "onemap") + " on " + id},
                      {"dataType", "vector"},
                      {"crs", m->crs_uri()},
                      {"tileMatrixSetURI", matrix_set_uri(*m, base)},
                      {"links", json::array({link(prefix + "/" + id + s.query, "self", kJson,
                                                  "The tileset on " + id),
                                             link(base + "/tileMatrixSets/" + id, kTilingSchemeRel,
                                                  kJson, "The tile matrix set " + id)})}});
    }
    return {{"links", json::array({link(prefix + s.query, "self", kJson, "The tilesets")})},
            {"tilesets", list}};
  }

  json tileset(const Target& t, const Selection& s, const std::string& base,
               const auth::Viewer& viewer) {
    const TileMatrixSet& m = *t.tms;
    const std::string id(m.name());
    const std::string prefix =
        base + (t.collection ? "/collections/" + *t.collection : "") + "/tiles/" + id;
    // TileService's TileJSON of these layers: it checks the parameters that go on to it and
    // describes each layer's attributes.
    const std::string tilejson_path = tile_service_path(m, s.layers, ".json");
    const HttpAnswer tj = tiles->handle(tilejson_path, s.passed, "", "", base, viewer);
    const json described = json::parse(tj.body);
    const Limits l = *limits(m, s, true);

    json layer_list = json::array();
    for (const auto& v : described["vector_layers"]) {
      const std::string name = v["id"];
      const LayerKind kind = layers::tile_layer_source(name).kind;
      json props = json::object();
      for (const auto& [field, text] : v["fields"].items()) props[field] = field_schema(text);
      layer_list.push_back(
          {{"id", name},
           {"title", features::fixed_collection(name)->title},
           {"description", v["description"]},
           {"dataType", "vector"},
           {"geometryType", geometry_kind(kind)},
           {"minTileMatrix", std::to_string(std::max(v["minzoom"].get<uint32_t>(), m.min_zoom()))},
           {"maxTileMatrix", std::to_string(std::min(v["maxzoom"].get<uint32_t>(), m.max_zoom()))},
           {"propertiesSchema", {{"type", "object"}, {"properties", props}}},
           {"links", json::array({link(base + "/collections/" + name,
                                       "http://www.opengis.net/def/rel/ogc/1.0/geodata", kJson,
                                       "The collection")})}});
    }
    json item = link(prefix + "/{tileMatrix}/{tileRow}/{tileCol}" + s.query, "item", kMvt,
                     "A tile (Mapbox Vector Tile; 204 when empty)");
    item["templated"] = true;
    json links = json::array(
        {link(prefix + s.query, "self", kJson, "This tileset"),
         link(base + "/tileMatrixSets/" + id, kTilingSchemeRel, kJson, "The tile matrix set " + id),
         item,
         link(base + tilejson_path + s.passed_query, "describedby", kJson,
              "TileJSON 3.0.0 of these tiles (" + id + " numbering: x = tileCol, y = tileRow)"),
         t.collection
             ? link(base + "/collections/" + *t.collection, "collection", kJson, "The collection")
             : link(base + "/", "dataset", kJson, "The landing page")});
    json limits_json = json::array();
    if (l.extent)
      for (uint32_t z = l.min_zoom; z <= l.max_zoom; ++z) {
        const TileRange r = l.at(m, z);
        limits_json.push_back({{"tileMatrix", std::to_string(z)},
                               {"minTileRow", r.min_row},
                               {"maxTileRow", r.max_row},
                               {"minTileCol", r.min_col},
                               {"maxTileCol", r.max_col}});
      }
    json j = {{"title", (t.collection ? *t.collection : "onemap") + " on " + id},
              {"dataType", "vector"},
              {"crs", m.crs_uri()},
              {"tileMatrixSetURI", matrix_set_uri(m, base)},
              {"mediaTypes", {kMvt}},
              {"links", links}};
    if (l.extent) {
      j["tileMatrixSetLimits"] = limits_json;
      j["boundingBox"] = {{"lowerLeft", {l.extent->min_corner().x(), l.extent->min_corner().y()}},
                          {"upperRight", {l.extent->max_corner().x(), l.extent->max_corner().y()}},
                          {"crs", features::kCrs84}};
    }
    j["layers"] = layer_list;
    return j;
  }
};

OgcTiles::OgcTiles(std::shared_ptr<layers::County> county, std::shared_ptr<TileService> tiles)
    : impl_(std::make_unique<Impl>()) {
  impl_->county = std::move(county);
  impl_->tiles = std::move(tiles);
  Impl* m = impl_.get();
  impl_->listener = impl_->county->on_change([m](const layers::Change& c) { m->on_change(c); });
}

OgcTiles::~OgcTiles() {
  impl_->county->remove_listener(impl_->listener);
}

std::vector<std::string> OgcTiles::patterns() {
  std::vector<std::string> p = {"/tileMatrixSets",
                                "/tileMatrixSets/{tileMatrixSetId}",
                                "/tiles",
                                "/collections/{collectionId}/tiles",
                                "/collections/{collectionId}/tiles/{tileMatrixSetId}",
                                "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/"
                                "{tileRow}/{tileCol}"};
  for (const TileMatrixSet* t : TileMatrixSet::all()) {
    p.push_back("/tiles/" + std::string(t->name()));
    p.push_back("/tiles/" + std::string(t->name()) + "/{tileMatrix}/{tileRow}/{tileCol}");
  }
  return p;
}

std::optional<HttpAnswer> OgcTiles::answer(const http::Context& c, const auth::Viewer& viewer,
                                           bool cached_only) {
  Impl& m = *impl_;
  const Target t = parse_target(c.request.path);
  if (cached_only && !t.tile) return std::nullopt;
  // Limits grow with writes: clients ask again (as for TileJSON).
  auto json_answer = [](const json& j) {
    return HttpAnswer{200, layers::json_text(j), kJson, {{"Cache-Control", "no-cache"}}};
  };
  if (t.matrix_sets) {
    features::only_format(c.query, c.request.path);
    return json_answer(t.tms ? tile_matrix_set_json(*t.tms, c.base_url)
                             : tile_matrix_sets_json(c.base_url));
  }
  const Selection s = select(t, c.query, m.county->tiles().config(), viewer);
  if (!t.tms) return json_answer(m.tilesets(t, s, c.base_url));
  if (!t.tile) return json_answer(m.tileset(t, s, c.base_url, viewer));
  const auto limits = m.limits(*t.tms, s, !cached_only);
  if (!limits) return std::nullopt;
  const TileId tile = checked_tile(*t.tms, *t.tile, *limits);
  const std::string path =
      tile_service_path(*t.tms, s.layers,
                        "/" + std::to_string(tile.z) + "/" + std::to_string(tile.x) + "/" +
                            std::to_string(tile.y) + ".mvt");
  const auto encoding = c.request.header("accept-encoding");
  const auto none_match = c.request.header("if-none-match");
  if (cached_only) return m.tiles->handle_cached(path, s.passed, encoding, none_match, viewer);
  return m.tiles->handle(path, s.passed, encoding, none_match, c.base_url, viewer);
}

std::vector<std::string> OgcTiles::tiled_collections(const layers::TileConfig& config) {
  std::vector<std::string> out;
  for (const auto& c : features::kCollections)
    if (config.find(layers::layer_name(c.kind))) out.emplace_back(layers::layer_name(c.kind));
  return out;
}

const std::vector<std::string>& OgcTiles::conformance_classes() {
  static const std::vector<std::string> c = {
      "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
      "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
      "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
      "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets",
      "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
      "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/collections-selection",
      "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
      "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
      "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
      "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
      "http://www.opengis.net/spec/tms/2.0/conf/tilesetmetadata",
      "http://www.opengis.net/spec/tms/2.0/conf/json-tilesetmetadata",
      "http://www.opengis.net/spec/tms/2.0/conf/tilematrixsetlimits",
      "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixsetlimits",
  };
  return c;
}

}  // namespace onemap::api
