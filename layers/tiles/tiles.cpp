// Vector tiles (tiles.hpp): the builder. TileBuilder's setup and build(), which makes each
// requested layer (tiles_grids.cpp, tiles_points.cpp; tiles_internal.hpp lists the parts), and
// the tile geometry helpers that cache invalidation shares with it.
#include "layers/tiles/tiles.hpp"
#include "layers/tiles/tiles_internal.hpp"

#include "spatial/chinacrs.hpp"
#include "spatial/tile_geometry.hpp"

#include <algorithm>

namespace onemap::layers {

namespace bg = spatial::bg;
using namespace tiles_internal;
using spatial::MvtLayer;
using spatial::TileMatrixSet;

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

TileBuilder::TileBuilder(const Dataset& data, TileConfig config,
                         const std::vector<FeatureLayer>& feature_layers)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.config = std::move(config);
  m.index_grids(data);
  m.index_points(data);
  for (const auto& l : feature_layers) m.feature_tiles.emplace(l.def.name, m.index_features(l));
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
    if (const auto ft = impl_->feature_tiles.find(cfg->name); ft != impl_->feature_tiles.end()) {
      const FeatureLayer* source = nullptr;
      if (rq.feature_layers) {
        const auto& all = *rq.feature_layers;
        const auto it = std::lower_bound(
            all.begin(), all.end(), cfg->name,
            [](const FeatureLayer& l, const std::string& n) { return l.def.name < n; });
        if (it != all.end() && it->def.name == cfg->name) source = &*it;
      }
      if (source) impl_->add_features(*ft->second, *source, rq, *cfg, layer, st);
      layers.push_back(std::move(layer));
      continue;
    }
    const TileLayerSource src = tile_layer_source(cfg->name);
    if (src.kind == LayerKind::Grids)
      impl_->add_grids(data, rq, *cfg, src.level, layer);
    else
      impl_->add_points(data, rq, *cfg, src.kind, layer, st);
    if (src.kind == LayerKind::Grids) st.features += layer.feature_count();
    layers.push_back(std::move(layer));
  }
  if (stats) *stats = st;
  return spatial::encode_tile(layers);
}

}  // namespace onemap::layers
