// What the tile builder's sources share with each other and with no one else: TileBuilder::Impl,
// the builder's state, whose parts live in
//   tiles.cpp              the builder itself: setup, build() layer by layer, the tile geometry
//                          helpers of tiles.hpp (query box, CRS point, reach)
//   tiles_grids.cpp        grid outlines: simplification per zoom, the outlines made once per
//                          zoom and matrix set, their R-tree, the grid layers
//   tiles_point_index.cpp  point layers' indexes: the lon/lat buckets, each matrix set's fine
//                          coordinates and per-cell sums, the incident filter's columns, kept in
//                          step with writes
//   tiles_points.cpp       point layers' features: individual points with their attributes, or
//                          clusters
//   tiles_features.cpp     county layers: their indexes (thinning of lines and polygons, points
//                          in Morton order) and their features
//   tiles_config.cpp       the configuration, the layer names and the incident filter
#pragma once

#include "layers/model/schema.hpp"
#include "layers/tiles/tiles.hpp"

#include "spatial/geometry.hpp"
#include "spatial/mvt.hpp"

#include <boost/geometry/index/rtree.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace onemap::layers {

namespace tiles_internal {

// The simplified geometry is kept for zooms up to this one; above it, the original.
constexpr uint32_t kSimplifyMaxZoom = 13;
// Fine integer tile coordinates: tile (z, x, y) holds fine columns [x << (31 - z), (x + 1) << (31 -
// z)).
constexpr uint32_t kFineZoom = 31;
// Cell sums (SchemeCache::sums) are kept for cells of zooms up to this one: the clusters of tiles
// up to zoom kSumsMaxZoom - log2(cluster_grid) (14 with the default 16 x 16 cells) come from them.
constexpr uint32_t kSumsMaxZoom = 18;
// Lon/lat margin that covers the GCJ-02 shift (at most ~0.007 degrees) when selecting candidates.
constexpr double kGcjMargin = 0.01;

// The slot of a point layer in the builder's per-layer arrays (-1 for grids).
inline int point_layer_slot(LayerKind k) {
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

// A "scheme" is a matrix set with or without the GCJ-02 offset: 0 Web Mercator, 1 Web Mercator +
// GCJ-02, 2 CGCS2000, 3 CGCS2000 + GCJ-02. Indexes and caches that depend on the CRS are kept per
// scheme.
inline int scheme_index(const spatial::TileMatrixSet& tms, bool gcj02) {
  return (tms.kind() == spatial::TileMatrixSet::Kind::WebMercatorQuad ? 0 : 2) + (gcj02 ? 1 : 0);
}
inline const spatial::TileMatrixSet& scheme_tms(int s) {
  return s < 2 ? spatial::TileMatrixSet::web_mercator() : spatial::TileMatrixSet::cgcs2000();
}
inline bool scheme_gcj02(int s) {
  return s % 2 == 1;
}

// The fine grid of a scheme: its top-left corner and fine units per CRS unit. Both sets have
// 2^z columns at zoom z over their full width, and rows of the same size from the top edge
// (Web Mercator: square; CGCS2000: 2^(z-1) rows of the same degrees as columns). So tile (z, x, y)
// spans [x, x + 1] x [y, y + 1] in units of 2^(kFineZoom - z) fine units (tiles_point_index.cpp).
struct FineFrame {
  double left, top, scale;
};
const FineFrame& fine_frame(int s);

// A record's field as the tag `key` of the feature being built in `out`. A datetime is ISO text
// written into `time` (read when the feature is finished: one buffer per field); a null datetime
// or a field the record lacks is left out.
void tag(spatial::MvtLayer& out, uint32_t key, FieldType type, const FieldValue& v, TimeText& time);

// A configured tile attribute resolved once per tile: its field in the schema and its key.
struct TileAttribute {
  std::size_t field;
  uint32_t key;
};

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

  // A whole cell at once: `n` points whose fine columns add up to `sum_col` and rows to
  // `sum_row`. The position sums come out as add() makes them point by point: there each term
  // (dx + 0.5) x unit is a multiple of unit / 2 (unit is a power of two), so both are the exact
  // value while the sum of dx + 0.5 stays below 2^52 (fewer than 2^(21 + z) points in the cell);
  // beyond that, this one, rounded once, is the closer.
  void add_cell(uint32_t cx, uint32_t cy, uint64_t n, uint64_t sum_col, uint64_t sum_row) {
    Acc& a = cells[static_cast<std::size_t>(cy) * g + cx];
    a.count = n;
    a.sx = (static_cast<double>(sum_col - n * x0) + 0.5 * static_cast<double>(n)) * unit;
    a.sy = (static_cast<double>(sum_row - n * y0) + 0.5 * static_cast<double>(n)) * unit;
  }

  void emit(const spatial::TileId& t, spatial::MvtLayer& out, TileStats& st) const {
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
        out.end_point(spatial::TilePoint{tx, ty});
        ++st.features;
        ++st.clusters;
        st.clustered_points += a.count;
      }
  }
};

}  // namespace tiles_internal

struct TileBuilder::Impl {
  TileConfig config;

  // ---- Grids (tiles_grids.cpp) ----

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
  // A grid at one zoom up to kSimplifyMaxZoom in one scheme, ready for every tile that holds it
  // whole: its simplified geometry projected, in the zoom's "world tile units" (tile (z, x, y)
  // spans [x, x + 1] x [y, y + 1] times extent, y down), rounded to the integer grid, cleaned,
  // oriented and kept valid (spatial::polygon_to_tile without a clip). A tile whose buffered
  // square holds the grid's box takes `polys` shifted by its corner, an integer shift that keeps
  // them valid; a tile that cuts the grid clips it itself.
  struct GridOutline {
    bool ready = false;  ///< false: not made (a zoom below the level's, or a huge grid)
    double minx = 0, miny = 0, maxx = 0, maxy = 0;  ///< unrounded box, world tile units
    std::vector<spatial::TilePolygon> polys;        ///< world tile units; empty: collapsed
  };
  // Per scheme: outlines[grid][zoom], made on first use (scheme 0 at construction) and remade
  // for a grid by grid_changed.
  struct GridOutlines {
    std::once_flag built;
    std::atomic<bool> ready{false};
    std::vector<std::vector<GridOutline>> outlines;
  };
  mutable std::array<GridOutlines, 4> grid_outlines;

  // Simplifies every grid (on every core) and bulk-loads the R-tree.
  void index_grids(const Dataset& d);
  // Simplifies grid i for every zoom and notes its box and level (the R-tree is the caller's).
  void simplify_grid(const Grid& g, std::size_t i);
  const std::vector<MultiPolygon>& projected_grids(const Dataset& d, int s) const;
  // Grid i's outlines in scheme s, for every zoom up to kSimplifyMaxZoom from its level's minzoom
  // on (grid_simplified must be up to date).
  std::vector<GridOutline> make_outlines(std::size_t i, int s) const;
  // The scheme's outlines, made on first use; `parallel`: on every core.
  const GridOutlines& outlines(int s, bool parallel = false) const;
  // The zoom from which a level's grids are in tiles (its grids.<level> layer's minzoom).
  uint32_t level_minzoom(GridLevel level) const;
  // The grids of a grid tile layer (`level`: one level; nullopt: every level from its minzoom).
  void add_grids(const Dataset& d, const TileRequest& rq, const TileLayerConfig& cfg,
                 std::optional<GridLevel> level, spatial::MvtLayer& out) const;

  // ---- Point layers' indexes (tiles_point_index.cpp) ----

  // Point layers: a bucket grid over lon/lat, shared by every matrix set.
  struct Buckets {
    double x0 = 0, y0 = 0, inv_w = 1, inv_h = 1;
    uint32_t nx = 1, ny = 1;
    std::vector<std::vector<uint32_t>> cells;
    std::vector<uint32_t> cell_of;  // record index → cell (UINT32_MAX: not indexed)
  };
  std::array<Buckets, 4> buckets;

  // The points of a cell of some zoom (fine columns >> (kFineZoom - zoom)), with the sums of their
  // fine columns and rows: what a cluster needs (its count and mean position).
  struct CellSums {
    uint64_t count = 0, col = 0, row = 0;
  };
  // One zoom's cells with points, keyed by cell_key.
  using SumsLevel = std::unordered_map<uint64_t, CellSums>;
  // Every zoom's, 0..kSumsMaxZoom.
  using Sums = std::array<SumsLevel, tiles_internal::kSumsMaxZoom + 1>;
  static uint64_t cell_key(uint64_t col, uint64_t row) { return col << 32 | row; }

  // Per matrix set × offset ("scheme"), built on first use: each point's fine column and row
  // (UINT32_MAX for a position that is not finite), and per layer and zoom up to kSumsMaxZoom the
  // cells' sums over the points with a position, so that a tile without a filter is clustered
  // from cluster_grid x cluster_grid lookups rather than a pass over its points.
  struct SchemeCache {
    std::once_flag built;
    std::atomic<bool> ready{false};
    std::array<std::vector<uint32_t>, 4> col, row;
    std::array<Sums, 4> sums;
  };
  mutable std::array<SchemeCache, 4> schemes;
  // Adds a point at fine (col, row) to the sums of every zoom (sign +1), or removes it (-1).
  static void add_to_sums(Sums& sums, uint32_t col, uint32_t row, int sign);
  // The sums of every zoom, from the fine coordinates (finest zoom first, then each from the one
  // below it).
  static void build_sums(const std::vector<uint32_t>& col, const std::vector<uint32_t>& row,
                         Sums& sums);

  // Fine column/row of a lon/lat point in a scheme (UINT32_MAX for a position not finite).
  static void fine(int s, LonLat p, uint32_t& col, uint32_t& row);
  // The scheme's fine coordinates, built from `d` on first use.
  const SchemeCache& scheme(const Dataset& d, int s) const;

  // Incidents: what IncidentFilter reads, by record in compact columns (status and category as
  // ids of their texts), so that a filtered tile tests its candidates without reading their
  // records, which lie scattered in memory. Kept in step by point_changed.
  struct IncidentColumns {
    std::vector<uint32_t> status, category;
    std::vector<int64_t> reported_at;
    std::unordered_map<std::string, uint32_t> ids;  // every status and category text seen
    uint32_t id(const std::string& text) {
      return ids.try_emplace(text, static_cast<uint32_t>(ids.size())).first->second;
    }
    void set(std::size_t i, const Incident& r) {
      if (status.size() <= i) {
        status.resize(i + 1);
        category.resize(i + 1);
        reported_at.resize(i + 1);
      }
      status[i] = id(r.status);
      category[i] = id(r.category);
      reported_at[i] = r.reported_at;
    }
  };
  IncidentColumns incident_columns;
  // An IncidentFilter read from the columns: (*this)(i) == filter.matches(incidents[i]).
  struct IncidentMatcher {
    const IncidentColumns& c;
    std::vector<char> status_ok, category_ok;  // by text id; empty: any
    std::optional<int64_t> since, until;
    IncidentMatcher(const IncidentColumns& columns, const IncidentFilter& f);
    bool operator()(uint32_t i) const {
      if (!status_ok.empty() && !status_ok[c.status[i]]) return false;
      if (!category_ok.empty() && !category_ok[c.category[i]]) return false;
      if (since && c.reported_at[i] < *since) return false;
      return !until || c.reported_at[i] < *until;
    }
  };

  // Fills the buckets of every point layer.
  void index_points(const Dataset& d);
  template <class T>
  static void build_buckets(const std::vector<T>& v, Buckets& b);
  template <class T>
  void fill_scheme(int s, const std::vector<T>& v, int slot) const;
  static void place(Buckets& b, std::size_t i, LonLat p);
  // The buckets meeting a lon/lat box (clamped to the grid, so that points placed in border
  // cells are found too): columns [c0, c1] and rows [r0, r1].
  struct CellRange {
    uint32_t c0, c1, r0, r1;
    std::size_t count() const { return static_cast<std::size_t>(c1 - c0 + 1) * (r1 - r0 + 1); }
  };
  static CellRange cell_range(const Buckets& b, const spatial::Box& box);
  // Calls f(index) for every point in the buckets of `range`.
  template <class F>
  static void for_each_candidate(const Buckets& b, const CellRange& range, F&& f) {
    for (uint32_t r = range.r0; r <= range.r1; ++r)
      for (uint32_t c = range.c0; c <= range.c1; ++c)
        for (uint32_t i : b.cells[static_cast<std::size_t>(r) * b.nx + c]) f(i);
  }

  // ---- Point layers' features (tiles_points.cpp) ----

  // The features of a point layer: individual points or clusters.
  void add_points(const Dataset& d, const TileRequest& rq, const TileLayerConfig& cfg,
                  LayerKind kind, spatial::MvtLayer& out, TileStats& st) const;
  template <class T>
  void add_points_of(const Dataset& d, const TileRequest& rq, const TileLayerConfig& cfg,
                     LayerKind kind, spatial::MvtLayer& out, TileStats& st) const;

  // ---- County layers (tiles_features.cpp) ----

  // One county layer's index, made again whenever the layer changes.
  struct FeatureTiles {
    TileLayerConfig config;
    GeometryKind kind = GeometryKind::Point;
    // Per feature, in the layer's order (by fid): its fid and lon/lat box.
    std::vector<int64_t> fid;
    std::vector<spatial::Box> box;
    // Lines and polygons: the first zoom that draws each (the thinning; kThinMaxZoom + 1: only
    // unthinned tiles), and their boxes in one R-tree per such zoom, so that a tile of zoom z
    // asks the trees 0..z and meets no feature it would not draw.
    std::vector<uint8_t> minzoom;
    using Entry = std::pair<spatial::Box, uint32_t>;
    std::vector<boost::geometry::index::rtree<Entry, boost::geometry::index::rstar<16>>> trees;
    // Points: per scheme, built on first use, the fine columns and rows with their Morton codes,
    // sorted by code: the points of any tile are then one run (tile (z, x, y) is the codes with
    // its 2z-bit prefix).
    struct PointScheme {
      std::once_flag built;
      std::atomic<bool> ready{false};
      std::vector<uint64_t> code;
      std::vector<uint32_t> col, row, index;
    };
    mutable std::array<PointScheme, 4> schemes;
    const PointScheme& points(const FeatureLayer& layer, int s) const;
    // Lines and polygons: per scheme, every line's vertices in the scheme's CRS, projected once
    // rather than for every tile (Web Mercator when the index is made, the others on first use):
    // feature i's are xy[first[i], first[i + 1]), each of its lines as a point holding the
    // line's number of vertices (in x) and then its vertices. Flat arrays rather than a vector
    // per line: a feature's vertices are then two memory reads away.
    struct LineScheme {
      std::once_flag built;
      std::vector<spatial::Point> xy;
      std::vector<std::size_t> first;
    };
    mutable std::array<LineScheme, 4> line_schemes;
    const LineScheme& lines(const FeatureLayer& layer, int s) const;
  };
  std::map<std::string, std::unique_ptr<FeatureTiles>, std::less<>> feature_tiles;

  // The index of a county layer.
  std::unique_ptr<FeatureTiles> index_features(const FeatureLayer& layer) const;
  // A county layer's features in a tile.
  void add_features(const FeatureTiles& ft, const FeatureLayer& layer, const TileRequest& rq,
                    const TileLayerConfig& cfg, spatial::MvtLayer& out, TileStats& st) const;

  // The lon/lat box of the request's tile with its buffer (tile_query_box).
  spatial::Box query_box(const TileRequest& rq) const {
    return tile_query_box(*rq.tms, rq.gcj02, rq.tile, config.extent, config.buffer);
  }
};

}  // namespace onemap::layers
