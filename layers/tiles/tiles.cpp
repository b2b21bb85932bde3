// Vector tiles of the layers (tiles.hpp): selection, attributes, clustering.
#include "layers/tiles/tiles.hpp"
#include "layers/model/schema.hpp"

#include "core/errors.hpp"
#include "core/parallel.hpp"
#include "spatial/chinacrs.hpp"
#include "spatial/tile_geometry.hpp"

#include <boost/geometry/index/rtree.hpp>
#include <boost/iterator/function_output_iterator.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <map>
#include <mutex>
#include <unordered_map>

namespace onemap::layers {

namespace bg = spatial::bg;
using spatial::MvtLayer;
using spatial::MvtProperties;
using spatial::MvtValue;
using spatial::TileMatrixSet;
using spatial::TilePoint;

// ---------------------------------------------------------------------------------------------
// Filter

bool IncidentFilter::matches(const Incident& i) const {
  if (!statuses.empty() && std::find(statuses.begin(), statuses.end(), i.status) == statuses.end())
    return false;
  if (!categories.empty() &&
      std::find(categories.begin(), categories.end(), i.category) == categories.end())
    return false;
  if (since && i.reported_at < *since) return false;
  if (until && i.reported_at >= *until) return false;
  if (std::find(hidden_categories.begin(), hidden_categories.end(), i.category) !=
      hidden_categories.end())
    return false;
  return true;
}

std::string IncidentFilter::key() const {
  if (empty()) return {};
  auto joined = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
    return s;
  };
  std::string k = "status=" + joined(statuses) + "&category=" + joined(categories);
  if (since) k += "&since=" + std::to_string(*since);
  if (until) k += "&until=" + std::to_string(*until);
  if (!hidden_categories.empty()) k += "&hidden=" + joined(hidden_categories);
  return k;
}

// ---------------------------------------------------------------------------------------------
// Configuration

namespace {

constexpr std::array<std::string_view, 6> kGridTileLayers = {
    "grids", "grids.county", "grids.town", "grids.village", "grids.grid", "grids.microgrid"};

// The attributes a tile layer may carry: the served fields of its schema, personal ones excluded.
std::vector<std::string> allowed_fields(LayerKind kind) {
  std::vector<std::string> out;
  for (const auto& f : layer_fields(kind))
    if (!f.personal && f.served) out.push_back(f.name);
  return out;
}

// A layer's tile attributes by default: the fields its schema puts in tiles, each from the
// schema's tile_minzoom, in order of zoom (then of the schema).
std::vector<TileField> schema_tile_fields(LayerKind kind) {
  std::vector<TileField> out;
  for (const auto& f : layer_fields(kind))
    if (f.in_tiles() && !f.personal && f.served)
      out.push_back({f.name, static_cast<uint32_t>(f.tile_minzoom)});
  std::stable_sort(out.begin(), out.end(),
                   [](const TileField& a, const TileField& b) { return a.minzoom < b.minzoom; });
  return out;
}

}  // namespace

TileLayerSource tile_layer_source(std::string_view name) {
  if (name == "grids") return {LayerKind::Grids, std::nullopt};
  if (name.starts_with("grids.")) {
    try {
      return {LayerKind::Grids, level_from_name(name.substr(6))};
    } catch (const InvalidArgument&) {
    }
  } else if (name != "grids") {
    try {
      const LayerKind k = layer_from_name(name);
      if (k != LayerKind::Grids) return {k, std::nullopt};
    } catch (const InvalidArgument&) {
    }
  }
  std::string known;
  for (const auto& n : tile_layer_names()) known += (known.empty() ? "" : ", ") + n;
  throw InvalidArgument("layers",
                        "unknown tile layer '" + std::string(name) + "' (layers: " + known + ")");
}

const std::vector<std::string>& tile_layer_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v(kGridTileLayers.begin(), kGridTileLayers.end());
    for (auto k :
         {LayerKind::Households, LayerKind::Enterprises, LayerKind::Incidents, LayerKind::Workers})
      v.emplace_back(layer_name(k));
    return v;
  }();
  return names;
}

TileConfig TileConfig::defaults() {
  TileConfig c;
  const auto grid_fields = schema_tile_fields(LayerKind::Grids);
  c.layers.push_back({"grids", 0, 24, 0, grid_fields});
  c.layers.push_back({"grids.county", 0, 24, 0, grid_fields});
  c.layers.push_back({"grids.town", 6, 24, 0, grid_fields});
  c.layers.push_back({"grids.village", 9, 24, 0, grid_fields});
  c.layers.push_back({"grids.grid", 11, 24, 0, grid_fields});
  c.layers.push_back({"grids.microgrid", 13, 24, 0, grid_fields});
  // Point layers: what a point is (status, category, risk, role) from the first zoom that shows
  // it; which one it is (ids, dates, grid codes) from zoom 16, where a tile holds few enough
  // points to tell them apart (layers/model/schema.cpp says which field comes when).
  c.layers.push_back({"households", 0, 24, 15, schema_tile_fields(LayerKind::Households)});
  c.layers.push_back({"enterprises", 0, 24, 11, schema_tile_fields(LayerKind::Enterprises)});
  c.layers.push_back({"incidents", 0, 24, 12, schema_tile_fields(LayerKind::Incidents)});
  c.layers.push_back({"workers", 0, 24, 11, schema_tile_fields(LayerKind::Workers)});
  return c;
}

TileConfig TileConfig::from_json(std::string_view text) {
  TileConfig c = defaults();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    throw InvalidArgument("tiles config", std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw InvalidArgument("tiles config", "must be a JSON object");
  auto unsigned_at = [](const nlohmann::json& o, const std::string& key, const std::string& where,
                        uint32_t lo, uint32_t hi, uint32_t& out) {
    if (!o.contains(key)) return;
    const auto& v = o[key];
    if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi)
      throw InvalidArgument(where + key, "must be an integer in [" + std::to_string(lo) + ", " +
                                             std::to_string(hi) + "]");
    out = v.get<uint32_t>();
  };
  for (const auto& [key, value] : j.items()) {
    if (key != "extent" && key != "buffer" && key != "max_points_per_tile" &&
        key != "cluster_grid" && key != "layers")
      throw InvalidArgument(key, "unknown key in the tiles configuration");
  }
  unsigned_at(j, "extent", "", 256, 65536, c.extent);
  unsigned_at(j, "buffer", "", 0, 4096, c.buffer);
  unsigned_at(j, "max_points_per_tile", "", 1, 1000000, c.max_points_per_tile);
  unsigned_at(j, "cluster_grid", "", 1, 256, c.cluster_grid);
  if ((c.cluster_grid & (c.cluster_grid - 1)) != 0)
    throw InvalidArgument("cluster_grid", "must be a power of two");
  if (j.contains("layers")) {
    if (!j["layers"].is_object())
      throw InvalidArgument("layers", "must be an object keyed by layer name");
    for (const auto& [name, lj] : j["layers"].items()) {
      const TileLayerSource src = tile_layer_source(name);
      auto it = std::find_if(c.layers.begin(), c.layers.end(),
                             [&layer = name](const auto& l) { return l.name == layer; });
      // tile_layer_source reads names in any case ("Incidents", "grids.Micro-Grid"); the
      // configuration is keyed by the exact one.
      if (it == c.layers.end()) {
        std::string known;
        for (const auto& n : tile_layer_names()) known += (known.empty() ? "" : ", ") + n;
        throw InvalidArgument("layers",
                              "unknown tile layer '" + name + "' (layers: " + known + ")");
      }
      TileLayerConfig& l = *it;
      const std::string where = "layers." + name + ".";
      if (!lj.is_object()) throw InvalidArgument("layers." + name, "must be an object");
      for (const auto& [key, value] : lj.items())
        if (key != "minzoom" && key != "maxzoom" && key != "cluster_maxzoom" && key != "fields")
          throw InvalidArgument(where + key, "unknown key");
      unsigned_at(lj, "minzoom", where, 0, 24, l.minzoom);
      unsigned_at(lj, "maxzoom", where, 0, 24, l.maxzoom);
      unsigned_at(lj, "cluster_maxzoom", where, 0, 24, l.cluster_maxzoom);
      if (l.minzoom > l.maxzoom) throw InvalidArgument(where + "minzoom", "is above maxzoom");
      if (lj.contains("fields")) {
        const auto& fj = lj["fields"];
        if (!fj.is_array()) throw InvalidArgument(where + "fields", "must be an array");
        const auto allowed = allowed_fields(src.kind);
        l.fields.clear();
        for (const auto& f : fj) {
          TileField tf;
          if (f.is_string()) {
            tf.name = f.get<std::string>();
          } else if (f.is_object() && f.contains("name") && f["name"].is_string()) {
            tf.name = f["name"].get<std::string>();
            unsigned_at(f, "minzoom", where + "fields." + tf.name + ".", 0, 24, tf.minzoom);
          } else {
            throw InvalidArgument(where + "fields",
                                  "entries are names or {\"name\":…, \"minzoom\":…}");
          }
          if (is_personal(src.kind, tf.name))
            throw InvalidArgument(
                where + "fields",
                "'" + tf.name + "' is personal information and never goes into tiles");
          if (std::find(allowed.begin(), allowed.end(), tf.name) == allowed.end()) {
            std::string list;
            for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
            throw InvalidArgument(where + "fields",
                                  "unknown field '" + tf.name + "' (fields: " + list + ")");
          }
          l.fields.push_back(tf);
        }
      }
    }
  }
  return c;
}

const TileLayerConfig* TileConfig::find(std::string_view name) const {
  for (const auto& l : layers)
    if (l.name == name) return &l;
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Attributes

namespace {

void grid_props(const Grid& g, const TileLayerConfig& cfg, uint32_t z, MvtProperties& out) {
  for (const auto& f : cfg.fields) {
    if (z < f.minzoom) continue;
    if (f.name == "code")
      out.emplace_back(f.name, g.code);
    else if (f.name == "name")
      out.emplace_back(f.name, g.name);
    else if (f.name == "level")
      out.emplace_back(f.name, level_name(g.level));
    else if (f.name == "parent_code")
      out.emplace_back(f.name, g.parent_code);
    else if (f.name == "area_m2")
      out.emplace_back(f.name, std::round(g.area_m2));
    else if (f.name == "synthetic")
      out.emplace_back(f.name, g.synthetic);
  }
}

// A point's field as the tag `key` of the feature being built in `out`. A datetime is ISO text
// written into `time` (read when the feature is finished: one buffer per field); a null datetime
// or a field the record lacks is left out.
void tag(MvtLayer& out, uint32_t key, FieldType type, const FieldValue& v, TimeText& time) {
  switch (type) {
    case FieldType::String:
      if (const auto* s = std::get_if<std::string_view>(&v)) out.tag_string(key, *s);
      return;
    case FieldType::Integer:
      if (const auto* n = std::get_if<int64_t>(&v)) out.tag_int(key, *n);
      return;
    case FieldType::Real:
      if (const auto* d = std::get_if<double>(&v)) out.tag_double(key, *d);
      return;
    case FieldType::Boolean:
      if (const auto* b = std::get_if<bool>(&v)) out.tag_bool(key, *b);
      return;
    case FieldType::DateTime:
      if (const auto* t = std::get_if<int64_t>(&v); t && *t) {
        time = time_text(*t);
        out.tag_string(key, time.view());
      }
      return;
  }
}

// A configured tile attribute resolved once per tile: its field in the schema and its key.
struct TileAttribute {
  std::size_t field;
  uint32_t key;
};

template <class T>
const std::vector<T>& records(const Dataset& d);
template <>
const std::vector<Household>& records(const Dataset& d) {
  return d.households;
}
template <>
const std::vector<Enterprise>& records(const Dataset& d) {
  return d.enterprises;
}
template <>
const std::vector<Incident>& records(const Dataset& d) {
  return d.incidents;
}
template <>
const std::vector<Worker>& records(const Dataset& d) {
  return d.workers;
}

int point_layer_slot(LayerKind k) {
  switch (k) {
    case LayerKind::Households:
      return 0;
    case LayerKind::Enterprises:
      return 1;
    case LayerKind::Incidents:
      return 2;
    case LayerKind::Workers:
      return 3;
    case LayerKind::Grids:
      break;
  }
  return -1;
}

// The simplified geometry is kept for zooms up to this one; above it, the original.
constexpr uint32_t kSimplifyMaxZoom = 13;
// Fine integer tile coordinates: tile (z, x, y) holds fine columns [x << (31 - z), (x + 1) << (31 -
// z)).
constexpr uint32_t kFineZoom = 31;
// Lon/lat margin that covers the GCJ-02 shift (at most ~0.007 degrees) when selecting candidates.
constexpr double kGcjMargin = 0.01;

}  // namespace

// ---------------------------------------------------------------------------------------------
// The builder

spatial::Box tile_query_box(const TileMatrixSet& tms, bool gcj02, const spatial::TileId& tile,
                            uint32_t extent, uint32_t buffer) {
  // The tile with its buffer, widened for GCJ-02 (whose shift moves points by up to ~700 m).
  const double frac = static_cast<double>(buffer) / extent;
  spatial::Box b = tms.to_lonlat(tms.buffered_bounds(tile, frac));
  if (gcj02) {
    bg::set<bg::min_corner, 0>(b, bg::get<bg::min_corner, 0>(b) - kGcjMargin);
    bg::set<bg::min_corner, 1>(b, bg::get<bg::min_corner, 1>(b) - kGcjMargin);
    bg::set<bg::max_corner, 0>(b, bg::get<bg::max_corner, 0>(b) + kGcjMargin);
    bg::set<bg::max_corner, 1>(b, bg::get<bg::max_corner, 1>(b) + kGcjMargin);
  }
  return b;
}

spatial::Point tile_crs_point(const TileMatrixSet& tms, bool gcj02, LonLat p) {
  if (gcj02) p = spatial::wgs84_to_gcj02(p);
  double x, y;
  tms.project(p.lon, p.lat, x, y);
  return {x, y};
}

bool tile_reaches(const TileMatrixSet& tms, const spatial::TileId& tile, const spatial::Point& at,
                  uint32_t extent, uint32_t buffer) {
  // One tile unit of slack over the exact buffer: rounding may put a point just outside the
  // buffer on its edge, and a point a cluster counts lies inside the tile proper anyway.
  return spatial::point_to_tile(at.x(), at.y(), spatial::TileTransform{tms.bounds(tile), extent},
                                buffer + 1)
      .has_value();
}

struct TileBuilder::Impl {
  TileConfig config;

  // Grids: lon/lat bounding box and the geometry simplified for each zoom 0..kSimplifyMaxZoom.
  std::vector<spatial::Box> grid_box;
  std::vector<GridLevel> grid_level;
  std::vector<std::vector<MultiPolygon>> grid_simplified;
  // The grids' boxes in an R-tree (value: box and grid index), kept in step with grid_box.
  using GridEntry = std::pair<spatial::Box, uint32_t>;
  boost::geometry::index::rtree<GridEntry, boost::geometry::index::rstar<16>> grid_tree;
  // Per scheme: each grid's full geometry in the scheme's CRS, for the zooms above
  // kSimplifyMaxZoom (where it is drawn unsimplified), built on first use.
  struct GridScheme {
    std::once_flag built;
    std::atomic<bool> ready{false};
    std::vector<MultiPolygon> projected;
  };
  mutable std::array<GridScheme, 4> grid_schemes;

  // Point layers: a bucket grid over lon/lat, shared by every matrix set.
  struct Buckets {
    double x0 = 0, y0 = 0, inv_w = 1, inv_h = 1;
    uint32_t nx = 1, ny = 1;
    std::vector<std::vector<uint32_t>> cells;
    std::vector<uint32_t> cell_of;  // record index → cell (UINT32_MAX: not indexed)
  };
  std::array<Buckets, 4> buckets;

  // Per matrix set × offset ("scheme"): each point's fine column and row, built on first use.
  struct SchemeCache {
    std::once_flag built;
    std::atomic<bool> ready{false};
    std::array<std::vector<uint32_t>, 4> col, row;
  };
  mutable std::array<SchemeCache, 4> schemes;

  static int scheme_index(const TileMatrixSet& tms, bool gcj02) {
    return (tms.kind() == TileMatrixSet::Kind::WebMercatorQuad ? 0 : 2) + (gcj02 ? 1 : 0);
  }
  static const TileMatrixSet& scheme_tms(int s) {
    return s < 2 ? TileMatrixSet::web_mercator() : TileMatrixSet::cgcs2000();
  }

  // The fine grid of a scheme: its top-left corner and fine units per CRS unit. Both sets have
  // 2^z columns at zoom z over their full width, and rows of the same size from the top edge
  // (Web Mercator: square; CGCS2000: 2^(z-1) rows of the same degrees as columns).
  struct FineFrame {
    double left, top, scale;
  };
  static const FineFrame& fine_frame(int s) {
    static const std::array<FineFrame, 4> frames = [] {
      std::array<FineFrame, 4> f{};
      for (int k = 0; k < 4; ++k) {
        const TileMatrixSet& tms = scheme_tms(k);
        const spatial::CrsBox b0 = k < 2 ? tms.bounds({0, 0, 0}) : tms.bounds({1, 0, 0});
        const double width = k < 2 ? b0.maxx - b0.minx : 2 * (b0.maxx - b0.minx);
        f[k] = {b0.minx, b0.maxy, std::ldexp(1.0, kFineZoom) / width};
      }
      return f;
    }();
    return frames[s];
  }

  // Fine column/row of a lon/lat point in a scheme.
  static void fine(int s, LonLat p, uint32_t& col, uint32_t& row) {
    if (!std::isfinite(p.lon) || !std::isfinite(p.lat)) {
      col = row = UINT32_MAX;  // in no tile of any zoom up to 24
      return;
    }
    if (s % 2 == 1) p = spatial::wgs84_to_gcj02(p);
    double x, y;
    scheme_tms(s).project(p.lon, p.lat, x, y);
    const FineFrame& f = fine_frame(s);
    const double fc = std::floor((x - f.left) * f.scale), fr = std::floor((f.top - y) * f.scale);
    const double limit = std::ldexp(1.0, kFineZoom) - 1;
    col = static_cast<uint32_t>(std::clamp(fc, 0.0, limit));
    row = static_cast<uint32_t>(std::clamp(fr, 0.0, limit));
  }

  template <class T>
  void fill_scheme(int s, const std::vector<T>& v, int slot) const {
    auto& col = schemes[s].col[slot];
    auto& row = schemes[s].row[slot];
    col.resize(v.size());
    row.resize(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) fine(s, v[i].location, col[i], row[i]);
  }

  const SchemeCache& scheme(const Dataset& d, int s) const {
    std::call_once(schemes[s].built, [&] {
      fill_scheme(s, d.households, 0);
      fill_scheme(s, d.enterprises, 1);
      fill_scheme(s, d.incidents, 2);
      fill_scheme(s, d.workers, 3);
      schemes[s].ready = true;
    });
    return schemes[s];
  }

  template <class T>
  void build_buckets(const std::vector<T>& v, Buckets& b) {
    spatial::Box ext;
    bg::assign_inverse(ext);
    for (const auto& r : v)
      if (std::isfinite(r.location.lon) && std::isfinite(r.location.lat))
        bg::expand(ext, spatial::Point(r.location.lon, r.location.lat));
    if (bg::get<bg::min_corner, 0>(ext) > bg::get<bg::max_corner, 0>(ext))
      ext = spatial::Box({119, 30}, {121, 31});
    const double w =
        std::max(1e-6, bg::get<bg::max_corner, 0>(ext) - bg::get<bg::min_corner, 0>(ext));
    const double h =
        std::max(1e-6, bg::get<bg::max_corner, 1>(ext) - bg::get<bg::min_corner, 1>(ext));
    // About 64 points per cell, at most 512 x 512 cells.
    const double target = std::clamp(static_cast<double>(v.size()) / 64.0, 1.0, 262144.0);
    const double side = std::sqrt(w * h / target);
    b.nx = static_cast<uint32_t>(std::clamp(std::ceil(w / side), 1.0, 512.0));
    b.ny = static_cast<uint32_t>(std::clamp(std::ceil(h / side), 1.0, 512.0));
    b.x0 = bg::get<bg::min_corner, 0>(ext);
    b.y0 = bg::get<bg::min_corner, 1>(ext);
    b.inv_w = b.nx / w;
    b.inv_h = b.ny / h;
    b.cells.assign(static_cast<std::size_t>(b.nx) * b.ny, {});
    b.cell_of.assign(v.size(), UINT32_MAX);
    for (std::size_t i = 0; i < v.size(); ++i) place(b, i, v[i].location);
  }

  static uint32_t clamp_cell(double f, uint32_t n) {
    if (!(f > 0)) return 0;  // also NaN
    return static_cast<uint32_t>(std::min(f, n - 1.0));
  }

  static void place(Buckets& b, std::size_t i, LonLat p) {
    if (b.cell_of.size() <= i) b.cell_of.resize(i + 1, UINT32_MAX);
    const uint32_t old = b.cell_of[i];
    if (old != UINT32_MAX) {
      auto& c = b.cells[old];
      c.erase(std::find(c.begin(), c.end(), static_cast<uint32_t>(i)));
    }
    if (!std::isfinite(p.lon) || !std::isfinite(p.lat)) {
      b.cell_of[i] = UINT32_MAX;
      return;
    }
    const uint32_t cx = clamp_cell((p.lon - b.x0) * b.inv_w, b.nx);
    const uint32_t cy = clamp_cell((p.lat - b.y0) * b.inv_h, b.ny);
    const uint32_t cell = cy * b.nx + cx;
    b.cells[cell].push_back(static_cast<uint32_t>(i));
    b.cell_of[i] = cell;
  }

  // The buckets meeting a lon/lat box (clamped to the grid, so that points placed in border
  // cells are found too): columns [c0, c1] and rows [r0, r1].
  struct CellRange {
    uint32_t c0, c1, r0, r1;
    std::size_t count() const { return static_cast<std::size_t>(c1 - c0 + 1) * (r1 - r0 + 1); }
  };
  static CellRange cell_range(const Buckets& b, const spatial::Box& box) {
    return {clamp_cell((bg::get<bg::min_corner, 0>(box) - b.x0) * b.inv_w, b.nx),
            clamp_cell((bg::get<bg::max_corner, 0>(box) - b.x0) * b.inv_w, b.nx),
            clamp_cell((bg::get<bg::min_corner, 1>(box) - b.y0) * b.inv_h, b.ny),
            clamp_cell((bg::get<bg::max_corner, 1>(box) - b.y0) * b.inv_h, b.ny)};
  }

  // Calls f(index) for every point in the buckets of `range`.
  template <class F>
  static void for_each_candidate(const Buckets& b, const CellRange& range, F&& f) {
    for (uint32_t r = range.r0; r <= range.r1; ++r)
      for (uint32_t c = range.c0; c <= range.c1; ++c)
        for (uint32_t i : b.cells[static_cast<std::size_t>(r) * b.nx + c]) f(i);
  }

  const std::vector<MultiPolygon>& projected_grids(const Dataset& d, int s) const {
    GridScheme& gs = grid_schemes[s];
    std::call_once(gs.built, [&] {
      gs.projected.resize(d.grids.size());
      for (std::size_t i = 0; i < d.grids.size(); ++i)
        gs.projected[i] = spatial::project_polygon(d.grids[i].geometry, scheme_tms(s), s % 2 == 1);
      gs.ready = true;
    });
    return gs.projected;
  }

  // Simplifies grid i for every zoom and notes its box and level (the R-tree is the caller's).
  void simplify_grid(const Grid& g, std::size_t i) {
    grid_box[i] = spatial::envelope(g.geometry);
    grid_level[i] = g.level;
    auto& out = grid_simplified[i];
    out.assign(kSimplifyMaxZoom + 1, MultiPolygon{});
    // One tile unit at zoom z is 360 / 2^z / extent degrees of longitude in both matrix sets; in
    // latitude it is that times cos(latitude) on Web Mercator. Half of the smaller keeps the
    // simplification error within half a tile unit on either axis.
    const double lat =
        (bg::get<bg::min_corner, 1>(grid_box[i]) + bg::get<bg::max_corner, 1>(grid_box[i])) / 2;
    const double k = 0.5 * std::cos(lat * 3.14159265358979323846 / 180.0);
    for (uint32_t z = 0; z <= kSimplifyMaxZoom; ++z) {
      const double tol = k * 360.0 / std::ldexp(1.0, static_cast<int>(z)) / config.extent;
      out[z] = spatial::simplify_polygon(g.geometry, tol);
    }
  }

  spatial::Box query_box(const TileRequest& rq) const {
    return tile_query_box(*rq.tms, rq.gcj02, rq.tile, config.extent, config.buffer);
  }

  void add_grids(const Dataset& d, const TileRequest& rq, const TileLayerConfig& cfg,
                 std::optional<GridLevel> level, MvtLayer& out) const {
    const uint32_t z = rq.tile.z;
    const spatial::Box q = query_box(rq);
    const spatial::TileTransform tt{rq.tms->bounds(rq.tile), config.extent};
    MvtProperties props;
    // "grids" (every level) shows each level from that level's own layer's minzoom on, so that
    // a low-zoom tile never carries thousands of small grids.
    std::array<uint32_t, 5> level_minzoom{};
    for (int l = 0; l < 5; ++l) {
      const auto* lc = config.find("grids." + std::string(level_name(static_cast<GridLevel>(l))));
      level_minzoom[l] = lc ? lc->minzoom : 0;
    }
    // The grids whose boxes meet the tile, in index order (the output does not depend on the
    // tree's layout); their level from the compact array, the record only for those that qualify.
    std::vector<uint32_t> hits;
    grid_tree.query(boost::geometry::index::intersects(q),
                    boost::make_function_output_iterator(
                        [&](const GridEntry& e) { hits.push_back(e.second); }));
    std::sort(hits.begin(), hits.end());
    const std::vector<MultiPolygon>* projected =
        z > kSimplifyMaxZoom ? &projected_grids(d, scheme_index(*rq.tms, rq.gcj02)) : nullptr;
    for (const uint32_t i : hits) {
      if (i >= d.grids.size()) continue;
      const GridLevel gl = grid_level[i];
      if (level && gl != *level) continue;
      if (!level && z < level_minzoom[static_cast<int>(gl)]) continue;
      const Grid& g = d.grids[i];
      MultiPolygon scratch;
      const MultiPolygon* proj = nullptr;
      if (projected) {
        proj = &(*projected)[i];
      } else {
        const MultiPolygon& ll = grid_simplified[i][z];
        if (ll.empty()) continue;
        scratch = spatial::project_polygon(ll, *rq.tms, rq.gcj02);
        proj = &scratch;
      }
      if (proj->empty()) continue;
      const auto polys = spatial::polygon_to_tile(*proj, tt, config.buffer);
      if (polys.empty()) continue;
      props.clear();
      grid_props(g, cfg, z, props);
      out.add_polygons(static_cast<uint64_t>(g.fid), polys, props);
    }
  }

  template <class T>
  void add_points(const Dataset& d, const TileRequest& rq, const TileLayerConfig& cfg,
                  LayerKind kind, MvtLayer& out, TileStats& st) const {
    const auto& v = records<T>(d);
    const int slot = point_layer_slot(kind);
    const int s = scheme_index(*rq.tms, rq.gcj02);
    const SchemeCache& sc = scheme(d, s);
    const auto& col = sc.col[slot];
    const auto& row = sc.row[slot];
    const uint32_t z = rq.tile.z;
    const uint32_t shift = kFineZoom - z;
    const IncidentFilter* filter = nullptr;
    if constexpr (std::is_same_v<T, Incident>)
      filter = rq.incidents.empty() ? nullptr : &rq.incidents;

    // The candidates: through the buckets that meet the query box, or, when that box covers a
    // good part of the layer, over every record in order (cheaper than gathering the members of
    // many buckets, which lie scattered over the arrays).
    const Buckets& bk = buckets[slot];
    const spatial::Box q = query_box(rq);
    // scan(pre, f): f(i) for every candidate that passes `pre` (a test on the fine coordinates,
    // which lie in compact arrays) and the filter (which reads the record: only for those left).
    auto scan = [&](auto&& pre, auto&& f) {
      auto consider = [&](uint32_t i) {
        if (!pre(i)) return;
        if constexpr (std::is_same_v<T, Incident>)
          if (filter && !filter->matches(v[i])) return;
        f(i);
      };
      const CellRange range = cell_range(bk, q);
      if (range.count() * 4 > bk.cells.size()) {
        const std::size_t n = std::min(col.size(), bk.cell_of.size());
        for (std::size_t i = 0; i < n; ++i)
          if (bk.cell_of[i] != UINT32_MAX)
            consider(static_cast<uint32_t>(i));  // skips NaN positions
      } else {
        for_each_candidate(bk, range, [&](uint32_t i) {
          if (i < col.size()) consider(i);
        });
      }
    };
    auto in_tile = [&](uint32_t i) {
      return (col[i] >> shift) == rq.tile.x && (row[i] >> shift) == rq.tile.y;
    };

    if (z > cfg.cluster_maxzoom) {
      // Individual points, unless the tile proper holds too many. Candidates: the fine cells of
      // the buffered tile, one tile unit wider (the exact test below decides).
      const int64_t span = int64_t{1} << shift;
      const int64_t pad = ((static_cast<int64_t>(config.buffer) + 1) << shift) / config.extent + 1;
      const int64_t fx0 = (static_cast<int64_t>(rq.tile.x) << shift) - pad,
                    fx1 = fx0 + span + 2 * pad;
      const int64_t fy0 = (static_cast<int64_t>(rq.tile.y) << shift) - pad,
                    fy1 = fy0 + span + 2 * pad;
      auto in_reach = [&](uint32_t i) {
        return col[i] != UINT32_MAX && col[i] >= fx0 && col[i] < fx1 && row[i] >= fy0 &&
               row[i] < fy1;
      };
      std::vector<uint32_t> near;
      std::size_t inside = 0;
      scan(in_reach, [&](uint32_t i) {
        near.push_back(i);
        inside += in_tile(i);
      });
      if (inside <= config.max_points_per_tile) {
        std::sort(near.begin(), near.end());  // stable output whatever the bucket order
        const spatial::TileTransform tt{rq.tms->bounds(rq.tile), config.extent};
        // Up to zoom 17 the fine coordinates place a point within 1/8 tile unit; above, project.
        const bool from_fine = z <= 17;
        const double unit = config.extent / static_cast<double>(span);
        const double lo = -static_cast<double>(config.buffer),
                     hi = config.extent + static_cast<double>(config.buffer);
        TilePoint one;
        const Schema<T>& schema_t = schema<T>();
        std::vector<TileAttribute> fields;  // those shown at this zoom, with their keys
        for (const auto& f : cfg.fields)
          if (const int at = schema_t.index(f.name); at >= 0 && z >= f.minzoom)
            fields.push_back({static_cast<std::size_t>(at), out.key(f.name)});
        std::vector<TimeText> times(fields.size());
        for (std::size_t k = 0; k < near.size(); ++k) {
          const uint32_t i = near[k];
          if (k + 4 < near.size()) {  // the records are scattered: fetch the coming ones ahead
            const T& next = v[near[k + 4]];
            __builtin_prefetch(&next);
            __builtin_prefetch(reinterpret_cast<const char*>(&next) + 64);
            __builtin_prefetch(reinterpret_cast<const char*>(&next) + 128);
            __builtin_prefetch(&next.join);
          }
          if (from_fine) {
            const double tx =
                (static_cast<double>(static_cast<int64_t>(col[i]) - (fx0 + pad)) + 0.5) * unit;
            const double ty =
                (static_cast<double>(static_cast<int64_t>(row[i]) - (fy0 + pad)) + 0.5) * unit;
            if (tx < lo || tx > hi || ty < lo || ty > hi) continue;
            one = TilePoint{static_cast<int32_t>(std::floor(tx + 0.5)),
                            static_cast<int32_t>(std::floor(ty + 0.5))};
          } else {
            LonLat p = v[i].location;
            if (rq.gcj02) p = spatial::wgs84_to_gcj02(p);
            double x, y;
            rq.tms->project(p.lon, p.lat, x, y);
            const auto tp = spatial::point_to_tile(x, y, tt, config.buffer);
            if (!tp) continue;
            one = *tp;
          }
          out.begin_feature(static_cast<uint64_t>(v[i].fid));
          for (std::size_t a = 0; a < fields.size(); ++a)
            tag(out, fields[a].key, schema_t.fields[fields[a].field].type,
                schema_t.shown(v[i], fields[a].field), times[a]);
          out.end_point(one);
          ++st.features;
        }
        return;
      }
    }
    ClusterGrid grid(rq.tile, shift, config);
    scan(in_tile, [&](uint32_t i) { grid.add(col[i], row[i]); });
    grid.emit(rq.tile, out, st);
  }

  // Clusters of one tile: cluster_grid x cluster_grid cells, each with its count and the sum of
  // its points' positions (in tile units, from the fine coordinates).
  struct ClusterGrid {
    struct Acc {
      uint64_t count = 0;
      double sx = 0, sy = 0;
    };
    uint32_t g, gbits, shift;
    double unit;  // tile units per fine unit
    uint64_t x0, y0;
    uint32_t extent;
    std::vector<Acc> cells;

    ClusterGrid(const spatial::TileId& t, uint32_t shift_, const TileConfig& c)
        : g(c.cluster_grid),
          gbits(static_cast<uint32_t>(std::countr_zero(c.cluster_grid))),
          shift(shift_),
          unit(c.extent / std::ldexp(1.0, static_cast<int>(shift_))),
          x0(static_cast<uint64_t>(t.x) << shift_),
          y0(static_cast<uint64_t>(t.y) << shift_),
          extent(c.extent),
          cells(static_cast<std::size_t>(c.cluster_grid) * c.cluster_grid) {}

    void add(uint32_t col, uint32_t row) {
      const uint64_t dx = col - x0, dy = row - y0;  // in [0, 2^shift)
      const uint64_t cx = shift >= gbits ? dx >> (shift - gbits) : dx << (gbits - shift);
      const uint64_t cy = shift >= gbits ? dy >> (shift - gbits) : dy << (gbits - shift);
      Acc& a = cells[cy * g + cx];
      ++a.count;
      a.sx += (static_cast<double>(dx) + 0.5) * unit;
      a.sy += (static_cast<double>(dy) + 0.5) * unit;
    }

    void emit(const spatial::TileId& t, MvtLayer& out, TileStats& st) const {
      const uint32_t count_key = out.key("count"), cluster_key = out.key("cluster");
      for (uint32_t cy = 0; cy < g; ++cy)
        for (uint32_t cx = 0; cx < g; ++cx) {
          const Acc& a = cells[static_cast<std::size_t>(cy) * g + cx];
          if (a.count == 0) continue;
          const double n = static_cast<double>(a.count);
          const int32_t tx =
              static_cast<int32_t>(std::clamp(std::floor(a.sx / n), 0.0, extent - 1.0));
          const int32_t ty =
              static_cast<int32_t>(std::clamp(std::floor(a.sy / n), 0.0, extent - 1.0));
          // Cluster ids: top bit set, then the cell's zoom and its column and row at that zoom.
          const uint64_t cz = t.z + gbits;
          const uint64_t ccol = (static_cast<uint64_t>(t.x) << gbits) + cx;
          const uint64_t crow = (static_cast<uint64_t>(t.y) << gbits) + cy;
          const uint64_t id =
              (uint64_t{1} << 63) | (cz << 56) | ((ccol & 0xFFFFFFF) << 28) | (crow & 0xFFFFFFF);
          out.begin_feature(id);
          out.tag_uint(count_key, a.count);
          out.tag_bool(cluster_key, true);
          out.end_point(TilePoint{tx, ty});
          ++st.features;
          ++st.clusters;
          st.clustered_points += a.count;
        }
    }
  };
};

TileBuilder::TileBuilder(const Dataset& data, TileConfig config) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.config = std::move(config);
  m.grid_box.resize(data.grids.size());
  m.grid_level.resize(data.grids.size());
  m.grid_simplified.resize(data.grids.size());
  // Simplify on every core (spatial::simplify_polygon uses a GEOS context per thread).
  core::parallel_for(data.grids.size(), [&](std::size_t i) { m.simplify_grid(data.grids[i], i); });
  std::vector<Impl::GridEntry> entries;
  entries.reserve(data.grids.size());
  for (std::size_t i = 0; i < data.grids.size(); ++i)
    entries.emplace_back(m.grid_box[i], static_cast<uint32_t>(i));
  m.grid_tree = decltype(m.grid_tree)(entries);  // bulk loaded (packed)
  m.build_buckets(data.households, m.buckets[0]);
  m.build_buckets(data.enterprises, m.buckets[1]);
  m.build_buckets(data.incidents, m.buckets[2]);
  m.build_buckets(data.workers, m.buckets[3]);
  // Web Mercator without offset is what most clients ask for: ready before the first request.
  m.scheme(data, 0);
}

TileBuilder::~TileBuilder() = default;

const TileConfig& TileBuilder::config() const {
  return impl_->config;
}

std::string TileBuilder::build(const Dataset& data, const TileRequest& rq, TileStats* stats) const {
  TileStats st;
  std::vector<MvtLayer> layers;
  layers.reserve(rq.layers.size());
  for (const TileLayerConfig* cfg : rq.layers) {
    if (rq.tile.z < cfg->minzoom || rq.tile.z > cfg->maxzoom) continue;
    MvtLayer layer(cfg->name, impl_->config.extent);
    const TileLayerSource src = tile_layer_source(cfg->name);
    switch (src.kind) {
      case LayerKind::Grids:
        impl_->add_grids(data, rq, *cfg, src.level, layer);
        break;
      case LayerKind::Households:
        impl_->add_points<Household>(data, rq, *cfg, src.kind, layer, st);
        break;
      case LayerKind::Enterprises:
        impl_->add_points<Enterprise>(data, rq, *cfg, src.kind, layer, st);
        break;
      case LayerKind::Incidents:
        impl_->add_points<Incident>(data, rq, *cfg, src.kind, layer, st);
        break;
      case LayerKind::Workers:
        impl_->add_points<Worker>(data, rq, *cfg, src.kind, layer, st);
        break;
    }
    if (src.kind == LayerKind::Grids) st.features += layer.feature_count();
    layers.push_back(std::move(layer));
  }
  if (stats) *stats = st;
  return spatial::encode_tile(layers);
}

void TileBuilder::point_changed(const Dataset& data, LayerKind kind, std::size_t index) {
  Impl& m = *impl_;
  const int slot = point_layer_slot(kind);
  if (slot < 0) return;
  LonLat p;
  switch (kind) {
    case LayerKind::Households:
      p = data.households.at(index).location;
      break;
    case LayerKind::Enterprises:
      p = data.enterprises.at(index).location;
      break;
    case LayerKind::Incidents:
      p = data.incidents.at(index).location;
      break;
    case LayerKind::Workers:
      p = data.workers.at(index).location;
      break;
    case LayerKind::Grids:
      return;
  }
  Impl::place(m.buckets[slot], index, p);
  for (int s = 0; s < 4; ++s) {
    auto& sc = m.schemes[s];
    // A scheme not built yet is built from the data as it then is, this change included.
    if (!sc.ready.load()) continue;
    if (sc.col[slot].size() <= index) {
      sc.col[slot].resize(index + 1);
      sc.row[slot].resize(index + 1);
    }
    Impl::fine(s, p, sc.col[slot][index], sc.row[slot][index]);
  }
}

std::vector<uint32_t> TileBuilder::point_candidates(LayerKind kind, const spatial::Box& box) const {
  const int slot = point_layer_slot(kind);
  if (slot < 0) return {};
  const Impl::Buckets& b = impl_->buckets[slot];
  std::vector<uint32_t> out;
  Impl::for_each_candidate(b, Impl::cell_range(b, box), [&](uint32_t i) { out.push_back(i); });
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<uint32_t> TileBuilder::grid_candidates(const spatial::Box& box) const {
  std::vector<uint32_t> out;
  impl_->grid_tree.query(boost::geometry::index::intersects(box),
                         boost::make_function_output_iterator(
                             [&](const Impl::GridEntry& e) { out.push_back(e.second); }));
  std::sort(out.begin(), out.end());
  return out;
}

void TileBuilder::grid_changed(const Dataset& data, std::size_t index) {
  Impl& m = *impl_;
  const Grid& g = data.grids.at(index);
  if (m.grid_box.size() <= index) {
    m.grid_box.resize(index + 1);
    m.grid_level.resize(index + 1);
    m.grid_simplified.resize(index + 1);
  } else {
    m.grid_tree.remove(Impl::GridEntry(m.grid_box[index], static_cast<uint32_t>(index)));
  }
  m.simplify_grid(g, index);
  m.grid_tree.insert(Impl::GridEntry(m.grid_box[index], static_cast<uint32_t>(index)));
  for (int s = 0; s < 4; ++s) {
    auto& gs = m.grid_schemes[s];
    // A scheme not built yet is built from the data as it then is, this change included.
    if (!gs.ready.load()) continue;
    if (gs.projected.size() <= index) gs.projected.resize(index + 1);
    gs.projected[index] = spatial::project_polygon(g.geometry, Impl::scheme_tms(s), s % 2 == 1);
  }
}

}  // namespace onemap::layers
