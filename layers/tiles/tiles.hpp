// Vector tiles of the layers: which features go into a tile, with which attributes, and how point
// layers are aggregated so that no tile is ever huge.
//
// Tile layers (the names used in URLs, TileJSON and inside the MVT):
//   grids, grids.county, grids.town, grids.village, grids.grid, grids.microgrid  (polygons; grids
//   holds every level, each from the minzoom of its own grids.<level> layer on)
//   households, enterprises, incidents, workers                                  (points)
//   every county layer (layers/model/feature_layer.hpp), by its name     (points, lines, polygons)
// Each has a zoom range and attribute lists per zoom (TileConfig; personal fields are refused). A
// county layer's come from its definition (feature_tile_config).
//
// Polygons: simplified per zoom at load (one tile unit at that zoom, topology-preserving), then
// projected, clipped to the tile plus its buffer, and kept valid (spatial/tile_geometry.hpp). Up
// to zoom 13 each grid is projected, rounded and made valid once per zoom and matrix set: a tile
// holding the grid whole only shifts it into its own units; a tile cutting it clips it.
//
// Points: individual features (id = the record's fid) when the zoom is above the layer's
// cluster_maxzoom and the tile holds at most max_points_per_tile of them; otherwise clusters:
// the tile is cut into cluster_grid x cluster_grid cells and every cell with points becomes one
// point feature at the mean position of its points, with `count` (and `cluster` = true). A point
// is counted in the one tile that contains it (never in a neighbour's buffer), so the counts of
// the tiles of a zoom add up to the points of the layer (after filters) exactly. Without a filter,
// counts and mean positions come from per-cell sums kept for every zoom up to 18, not from a pass
// over the points.
//
// County layers' lines and polygons: at zooms up to kThinMaxZoom a tile shows at most one feature
// per cell of a grid of kThinGrid x kThinGrid cells per tile (the largest whose box centre lies
// in the cell; ties to the first fid), drawn whole wherever it reaches; from kThinMaxZoom + 1 on,
// every feature. A feature shown at a zoom is shown at every zoom above it (the largest of a cell
// is the largest of each cell inside it), so zooming in only adds features. Lines are clipped and
// simplified (one tile unit); polygons as grids are. Their points cluster as the point layers'
// do, from their own points only.
//
// Coordinates: tiles are cut in a TileMatrixSet (Web Mercator or CGCS2000 geographic); with
// `gcj02` every coordinate is first shifted from CGCS2000 into GCJ-02, so that the features sit
// right on Amap/Tencent basemaps.
//
// Thread safety: build() may run on many threads at once while the dataset is not written (the
// caller holds a read lock); the *_changed() calls need exclusive access (a write lock).
#pragma once

#include "layers/model/feature_layer.hpp"
#include "layers/model/model.hpp"
#include "spatial/mvt.hpp"
#include "spatial/tms.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onemap::layers {

/// Incidents shown in a tile (and, later, in queries): every non-empty criterion must hold.
struct IncidentFilter {
  std::vector<std::string> statuses;    ///< any of these (empty: any status)
  std::vector<std::string> categories;  ///< any of these (empty: any category)
  std::optional<int64_t> since;         ///< reported_at >= since (Unix seconds)
  std::optional<int64_t> until;         ///< reported_at < until
  /// None of these (the sensitive categories, in the public's tiles: auth/read_policy.hpp).
  std::vector<std::string> hidden_categories;

  bool empty() const {
    return statuses.empty() && categories.empty() && !since && !until && hidden_categories.empty();
  }
  bool matches(const Incident& i) const;
  /// A canonical text of the filter (sorted lists), for cache keys; "" when empty.
  std::string key() const;
};

struct TileField {
  std::string name;
  uint32_t minzoom = 0;  ///< the attribute is in tiles of this zoom and above
};

struct TileLayerConfig {
  std::string name;  ///< "households", "grids.town", …
  uint32_t minzoom = 0;
  uint32_t maxzoom = 24;
  /// Point layers: clusters at zooms up to this one (individual points above it).
  uint32_t cluster_maxzoom = 0;
  std::vector<TileField> fields;
};

struct TileConfig {
  uint32_t extent = 4096;
  uint32_t buffer = 64;  ///< tile units around the tile that features are clipped to
  /// A point layer with more points than this in a tile is clustered at any zoom.
  uint32_t max_points_per_tile = 3000;
  uint32_t cluster_grid = 16;  ///< cluster cells per tile side (16: 256 units, 16 px at 256 px)
  std::vector<TileLayerConfig> layers;

  /// onemap's defaults (documented in README "Vector tiles").
  static TileConfig defaults();
  /// Reads a JSON configuration: {"extent":…, "buffer":…, "max_points_per_tile":…,
  /// "cluster_grid":…, "layers":{"households":{"minzoom":…, "maxzoom":…, "cluster_maxzoom":…,
  /// "fields":[{"name":"members","minzoom":15}, …]}, …}}. Layers and keys not given keep their
  /// defaults. @throws InvalidArgument naming the key for an unknown layer or field, a personal
  /// field, or a bad value.
  static TileConfig from_json(std::string_view text);

  const TileLayerConfig* find(std::string_view name) const;
};

/// The source layer of a tile layer, and for grids.* the level (nullopt: every level).
struct TileLayerSource {
  LayerKind kind = LayerKind::Grids;
  std::optional<GridLevel> level;
};
/// @throws InvalidArgument("layers", …) for an unknown tile layer name.
TileLayerSource tile_layer_source(std::string_view name);

/// Every tile layer name, in a stable order.
const std::vector<std::string>& tile_layer_names();

/// County layers' lines and polygons: shown thinned (one per cell of kThinGrid x kThinGrid per
/// tile) at zooms up to this one, all of them above.
constexpr uint32_t kThinMaxZoom = 13;
constexpr uint32_t kThinGrid = 64;
/// County layers' points: clustered at zooms up to this one.
constexpr uint32_t kFeatureClusterMaxZoom = 12;

/// A county layer's tile layer: its name, its definition's zoom range, clusters up to
/// kFeatureClusterMaxZoom, and the fields the definition puts in tiles (Field::tile_minzoom) that
/// every viewer of the layer may read (the layer's audience or a wider one; never a personal
/// field), with the style's label field from the style's minzoom when it is one of those.
TileLayerConfig feature_tile_config(const LayerDef& def);

/// What to build.
struct TileRequest {
  const spatial::TileMatrixSet* tms = &spatial::TileMatrixSet::web_mercator();
  spatial::TileId tile;
  bool gcj02 = false;
  std::vector<const TileLayerConfig*> layers;  ///< in output order, at least one
  IncidentFilter incidents;                    ///< applies to the incidents layer
  /// The county layers (County::feature_layers(): sorted by name), for the layers not among the
  /// five.
  const std::vector<FeatureLayer>* feature_layers = nullptr;
};

/// What a build did (for metrics and tests).
struct TileStats {
  std::size_t features = 0;
  std::size_t clusters = 0;          ///< cluster features among them
  std::size_t clustered_points = 0;  ///< points the clusters stand for
};

/// The point p (CGCS2000 lon/lat) in the matrix set's CRS units, as build() places it (shifted
/// into GCJ-02 first with `gcj02`).
spatial::Point tile_crs_point(const spatial::TileMatrixSet& tms, bool gcj02, LonLat p);

/// Whether build() would place a point at CRS position `at` (tile_crs_point) in the tile as an
/// individual point: inside the tile widened by `buffer` tile units (also true for every point a
/// cluster of the tile counts). For cache invalidation.
bool tile_reaches(const spatial::TileMatrixSet& tms, const spatial::TileId& tile,
                  const spatial::Point& at, uint32_t extent, uint32_t buffer);

/// The lon/lat box that holds every point and polygon part build() may put in the tile.
spatial::Box tile_query_box(const spatial::TileMatrixSet& tms, bool gcj02,
                            const spatial::TileId& tile, uint32_t extent, uint32_t buffer);

class TileBuilder {
 public:
  /// Precomputes the per-zoom simplified grid polygons and their Web Mercator outlines (on every
  /// core), the point layers' indexes and cell sums in Web Mercator, and the county layers'
  /// indexes.
  TileBuilder(const Dataset& data, TileConfig config,
              const std::vector<FeatureLayer>& feature_layers = {});
  ~TileBuilder();
  TileBuilder(const TileBuilder&) = delete;
  TileBuilder& operator=(const TileBuilder&) = delete;

  const TileConfig& config() const;

  /// The MVT bytes of a tile ("" when it has no feature). The request's tile must be valid for
  /// its matrix set (the caller checks and reports the limits).
  std::string build(const Dataset& data, const TileRequest& request,
                    TileStats* stats = nullptr) const;

  /// After a write: the record at `index` of a point layer was added, moved or changed.
  void point_changed(const Dataset& data, LayerKind kind, std::size_t index);
  /// After a write: the grid at `index` was added or its geometry changed.
  void grid_changed(const Dataset& data, std::size_t index);

  /// After a write: a county layer was added or altered or its features changed; its index is
  /// made again. Returns the lon/lat boxes of the features that a tile now shows differently
  /// although they did not change: those whose thinning zoom moved (empty for a new layer).
  std::vector<spatial::Box> feature_layer_changed(const FeatureLayer& layer);
  /// After a write: a county layer was dropped.
  void feature_layer_dropped(std::string_view name);
  /// A county layer's tile configuration (feature_tile_config), or null when there is no county
  /// layer of that name. Valid until the layer changes.
  const TileLayerConfig* feature_layer_config(std::string_view name) const;

  /// The records of a point layer that may lie in a lon/lat box (those of the index cells the box
  /// meets; the caller tests each), in increasing index order. Positions that are not finite are
  /// never returned.
  std::vector<uint32_t> point_candidates(LayerKind kind, const spatial::Box& box) const;
  /// The grids whose bounding boxes meet a lon/lat box, in increasing index order.
  std::vector<uint32_t> grid_candidates(const spatial::Box& box) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace onemap::layers
