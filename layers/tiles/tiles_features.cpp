// Vector tiles (tiles.hpp): the county layers. Each layer has an index of its own, made again
// whenever the layer changes: for lines and polygons the thinning (the first zoom that draws each
// feature) and their boxes in an R-tree per such zoom; for points, per scheme, the fine
// coordinates in Morton order, so that a tile's points are one run and its clusters one pass
// over it.
#include "layers/tiles/tiles.hpp"
#include "layers/tiles/tiles_internal.hpp"

#include "spatial/tile_geometry.hpp"

#include <boost/iterator/function_output_iterator.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>

namespace onemap::layers {

namespace bg = spatial::bg;
using namespace tiles_internal;
using spatial::MvtLayer;

namespace {

// The bits of v spread to the even bits of the result (v < 2^32).
uint64_t spread(uint64_t v) {
  v &= 0xFFFFFFFFull;
  v = (v | (v << 16)) & 0x0000FFFF0000FFFFull;
  v = (v | (v << 8)) & 0x00FF00FF00FF00FFull;
  v = (v | (v << 4)) & 0x0F0F0F0F0F0F0F0Full;
  v = (v | (v << 2)) & 0x3333333333333333ull;
  v = (v | (v << 1)) & 0x5555555555555555ull;
  return v;
}

// Morton (Z-order) code of a column and row: a quadtree cell's codes share its prefix.
uint64_t morton(uint64_t col, uint64_t row) {
  return spread(col) | (spread(row) << 1);
}

constexpr uint32_t kThinBits = std::countr_zero(kThinGrid);
// The thinning's finest cells: kThinGrid x kThinGrid per tile of zoom kThinMaxZoom.
constexpr uint32_t kThinLevel = kThinMaxZoom + kThinBits;

// The thinning cell (at kThinLevel, as a Morton code) of a box's centre, in lon/lat cells of
// 360 / 2^level degrees from (-180, 90): the CGCS2000 tiles' own grid, and close to Web
// Mercator's in longitude.
uint64_t thin_cell(const spatial::Box& b) {
  const double lon = (b.min_corner().x() + b.max_corner().x()) / 2;
  const double lat = (b.min_corner().y() + b.max_corner().y()) / 2;
  const double n = std::ldexp(1.0, kThinLevel);
  auto cell = [n](double v) {
    return static_cast<uint64_t>(std::isfinite(v) ? std::clamp(std::floor(v * n), 0.0, n - 1) : 0);
  };
  return morton(cell((lon + 180) / 360), cell((90 - lat) / 360));
}

// How large a feature is for the thinning: its box's larger side in metres (roughly; only the
// order matters).
double thin_size(const spatial::Box& b) {
  const double lat = (b.min_corner().y() + b.max_corner().y()) / 2;
  const double w = (b.max_corner().x() - b.min_corner().x()) * std::cos(lat * M_PI / 180);
  const double h = b.max_corner().y() - b.min_corner().y();
  const double s = std::max(w, h);
  return std::isfinite(s) ? s : 0;
}

bool allowed_in_tiles(const LayerDef& def, const Field& f) {
  return !f.personal && f.audience != Audience::Personal &&
         static_cast<int>(f.audience) <= static_cast<int>(def.audience);
}

}  // namespace

TileLayerConfig feature_tile_config(const LayerDef& def) {
  TileLayerConfig c;
  c.name = def.name;
  c.minzoom = def.minzoom;
  c.maxzoom = def.maxzoom;
  c.cluster_maxzoom = def.geometry == GeometryKind::Point ? kFeatureClusterMaxZoom : 0;
  for (const Field& f : def.fields)
    if (f.in_tiles() && allowed_in_tiles(def, f))
      c.fields.push_back({f.name, static_cast<uint32_t>(f.tile_minzoom)});
  if (const Field* label = def.find(def.style.label); label && allowed_in_tiles(def, *label)) {
    const auto from =
        static_cast<uint32_t>(def.style.minzoom >= 0 ? def.style.minzoom : def.minzoom);
    auto it = std::find_if(c.fields.begin(), c.fields.end(),
                           [&](const TileField& t) { return t.name == label->name; });
    if (it == c.fields.end())
      c.fields.push_back({label->name, from});
    else
      it->minzoom = std::min(it->minzoom, from);
  }
  std::stable_sort(c.fields.begin(), c.fields.end(),
                   [](const TileField& a, const TileField& b) { return a.minzoom < b.minzoom; });
  return c;
}

std::unique_ptr<TileBuilder::Impl::FeatureTiles> TileBuilder::Impl::index_features(
    const FeatureLayer& layer) const {
  auto ft = std::make_unique<FeatureTiles>();
  ft->config = feature_tile_config(layer.def);
  ft->kind = layer.def.geometry;
  const std::size_t n = layer.features.size();
  ft->fid.resize(n);
  ft->box.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    ft->fid[i] = layer.features[i].fid;
    ft->box[i] = envelope(layer.features[i].geometry);
  }
  if (ft->kind == GeometryKind::Point) return ft;

  // The thinning: for each zoom up to kThinMaxZoom, the largest feature of each cell (by its
  // box's centre) is drawn from that zoom on. Sorted by finest cell, the features of a cell of
  // any zoom are one run (its Morton prefix).
  std::vector<uint64_t> cell(n);
  std::vector<double> size(n);
  std::vector<uint32_t> order(n);
  for (std::size_t i = 0; i < n; ++i) {
    cell[i] = thin_cell(ft->box[i]);
    size[i] = thin_size(ft->box[i]);
  }
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return cell[a] != cell[b] ? cell[a] < cell[b] : a < b; });
  ft->minzoom.assign(n, static_cast<uint8_t>(kThinMaxZoom + 1));
  for (uint32_t z = 0; z <= kThinMaxZoom; ++z) {
    const uint32_t shift = 2 * (kThinMaxZoom - z);
    for (std::size_t k = 0; k < n;) {
      const uint64_t prefix = cell[order[k]] >> shift;
      uint32_t best = order[k];
      std::size_t e = k + 1;
      for (; e < n && (cell[order[e]] >> shift) == prefix; ++e)
        if (size[order[e]] > size[best]) best = order[e];  // ties: the first fid
      ft->minzoom[best] = std::min<uint8_t>(ft->minzoom[best], static_cast<uint8_t>(z));
      k = e;
    }
  }
  ft->lines(layer, 0);
  std::vector<std::vector<FeatureTiles::Entry>> entries(kThinMaxZoom + 2);
  for (std::size_t i = 0; i < n; ++i)
    if (ft->box[i].min_corner().x() <= ft->box[i].max_corner().x())  // not empty, not NaN
      entries[ft->minzoom[i]].emplace_back(ft->box[i], i);
  for (auto& e : entries) ft->trees.emplace_back(e);  // bulk loaded (packed)
  return ft;
}

const TileBuilder::Impl::FeatureTiles::PointScheme& TileBuilder::Impl::FeatureTiles::points(
    const FeatureLayer& layer, int s) const {
  PointScheme& ps = schemes[s];
  std::call_once(ps.built, [&] {
    struct P {
      uint64_t code;
      uint32_t col, row, index;
    };
    std::vector<P> v;
    v.reserve(layer.features.size());
    for (std::size_t i = 0; i < layer.features.size(); ++i) {
      const auto* p = std::get_if<LonLat>(&layer.features[i].geometry);
      if (!p) continue;
      uint32_t col, row;
      Impl::fine(s, *p, col, row);
      if (col == UINT32_MAX) continue;  // not finite: in no tile
      v.push_back({morton(col, row), col, row, static_cast<uint32_t>(i)});
    }
    std::sort(v.begin(), v.end(), [](const P& a, const P& b) {
      return a.code != b.code ? a.code < b.code : a.index < b.index;
    });
    for (const P& p : v) {
      ps.code.push_back(p.code);
      ps.col.push_back(p.col);
      ps.row.push_back(p.row);
      ps.index.push_back(p.index);
    }
    ps.ready = true;
  });
  return ps;
}

const TileBuilder::Impl::FeatureTiles::LineScheme& TileBuilder::Impl::FeatureTiles::lines(
    const FeatureLayer& layer, int s) const {
  LineScheme& ls = line_schemes[s];
  std::call_once(ls.built, [&] {
    const spatial::TileMatrixSet& tms = scheme_tms(s);
    const bool gcj02 = scheme_gcj02(s);
    ls.first.reserve(layer.features.size() + 1);
    ls.first.push_back(0);
    for (const Feature& f : layer.features) {
      if (const auto* ml = std::get_if<MultiLineString>(&f.geometry))
        for (const auto& line : spatial::project_lines(*ml, tms, gcj02)) {
          ls.xy.emplace_back(static_cast<double>(line.size()), 0.0);
          ls.xy.insert(ls.xy.end(), line.begin(), line.end());
        }
      ls.first.push_back(ls.xy.size());
    }
  });
  return ls;
}

void TileBuilder::Impl::add_features(const FeatureTiles& ft, const FeatureLayer& layer,
                                     const TileRequest& rq, const TileLayerConfig& cfg,
                                     MvtLayer& out, TileStats& st) const {
  const uint32_t z = rq.tile.z;
  const spatial::TileTransform tt{rq.tms->bounds(rq.tile), config.extent};
  // The attributes shown at this zoom, with their keys and places in the records.
  std::vector<TileAttribute> fields;
  std::vector<FieldType> types;
  for (const auto& f : cfg.fields)
    if (const int at = layer.def.index(f.name); at >= 0 && z >= f.minzoom) {
      fields.push_back({static_cast<std::size_t>(at), out.key(f.name)});
      types.push_back(layer.def.fields[static_cast<std::size_t>(at)].type);
    }
  std::vector<TimeText> times(fields.size());
  auto begin = [&](const Feature& f) {
    out.begin_feature(static_cast<uint64_t>(f.fid));
    for (std::size_t a = 0; a < fields.size(); ++a)
      if (fields[a].field < f.attributes.size())
        tag(out, fields[a].key, types[a], view(f.attributes[fields[a].field]), times[a]);
  };

  if (ft.kind == GeometryKind::Point) {
    const int s = scheme_index(*rq.tms, rq.gcj02);
    const FeatureTiles::PointScheme& ps = ft.points(layer, s);
    const uint32_t shift = kFineZoom - z;
    // The points of tile (x, y) at zoom z: the run of codes with its prefix.
    auto run = [&](uint64_t x, uint64_t y) {
      const uint64_t lo = morton(x, y) << (2 * shift);
      const uint64_t hi = lo + (uint64_t{1} << (2 * shift));
      const auto b = std::lower_bound(ps.code.begin(), ps.code.end(), lo);
      const auto e = std::lower_bound(b, ps.code.end(), hi);
      return std::pair<std::size_t, std::size_t>(b - ps.code.begin(), e - ps.code.begin());
    };
    const auto [b, e] = run(rq.tile.x, rq.tile.y);
    if (z > cfg.cluster_maxzoom && e - b <= config.max_points_per_tile) {
      // Individual points: the tile's and those of its neighbours within the buffer.
      std::vector<uint32_t> near;
      const uint64_t last = (uint64_t{1} << z) - 1;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          if ((dx < 0 && rq.tile.x == 0) || (dy < 0 && rq.tile.y == 0) ||
              (dx > 0 && rq.tile.x == last) || (dy > 0 && rq.tile.y == last))
            continue;
          const auto [nb, ne] = run(rq.tile.x + dx, rq.tile.y + dy);
          for (std::size_t k = nb; k < ne; ++k) near.push_back(ps.index[k]);
        }
      std::sort(near.begin(), near.end());  // the output in fid order
      for (const uint32_t i : near) {
        const Feature& f = layer.features[i];
        const spatial::Point at = tile_crs_point(*rq.tms, rq.gcj02, std::get<LonLat>(f.geometry));
        const auto p = spatial::point_to_tile(at.x(), at.y(), tt, config.buffer);
        if (!p) continue;
        begin(f);
        out.end_point(*p);
        ++st.features;
      }
      return;
    }
    ClusterGrid grid(rq.tile, shift, config);
    for (std::size_t k = b; k < e; ++k) grid.add(ps.col[k], ps.row[k]);
    grid.emit(rq.tile, out, st);
    return;
  }

  // Lines and polygons: those the zoom draws whose boxes meet the buffered tile, in fid order.
  const spatial::Box q = query_box(rq);
  std::vector<uint32_t> hits;
  const uint32_t last_tree = std::min<uint32_t>(z, kThinMaxZoom + 1);
  for (uint32_t k = 0; k <= last_tree && k < ft.trees.size(); ++k)
    ft.trees[k].query(bg::index::intersects(q),
                      boost::make_function_output_iterator(
                          [&](const FeatureTiles::Entry& en) { hits.push_back(en.second); }));
  std::sort(hits.begin(), hits.end());
  // One tile unit in degrees (as grids are simplified), for polygons up to kSimplifyMaxZoom.
  const double unit_deg = 360.0 / std::ldexp(1.0, static_cast<int>(z)) / config.extent;
  const FeatureTiles::LineScheme& ls = ft.lines(layer, scheme_index(*rq.tms, rq.gcj02));
  spatial::LineTiler tiler(tt, config.buffer);
  // The hits lie scattered over the layer's memory: each one's record and vertices are fetched
  // ahead of its turn (kAhead hits ahead what holds their addresses, half as far what those
  // point to), so that the cache misses overlap instead of coming one after another.
  // (Written in the loop: GCC drops prefetches in a lambda, which it finds free of effects.)
  constexpr std::size_t kAhead = 16;
  for (std::size_t j = 0; j < hits.size(); ++j) {
    if (j + kAhead < hits.size() && hits[j + kAhead] < layer.features.size()) {
      const uint32_t i = hits[j + kAhead];
      __builtin_prefetch(&layer.features[i].geometry);
      __builtin_prefetch(&layer.features[i].attributes);
      __builtin_prefetch(&ls.first[i]);
    }
    if (j + kAhead / 2 < hits.size() && hits[j + kAhead / 2] < layer.features.size() &&
        hits[j + kAhead / 2] < ls.first.size()) {
      const uint32_t i = hits[j + kAhead / 2];
      __builtin_prefetch(layer.features[i].attributes.data());
      __builtin_prefetch(ls.xy.data() + ls.first[i]);
    }
    const uint32_t i = hits[j];
    if (i >= layer.features.size()) continue;
    const Feature& f = layer.features[i];
    if (std::holds_alternative<MultiLineString>(f.geometry) && i + 1 < ls.first.size()) {
      tiler.clear();
      for (std::size_t k = ls.first[i]; k < ls.first[i + 1];) {
        const auto n = static_cast<std::size_t>(ls.xy[k].x());
        tiler.add(std::span(ls.xy).subspan(k + 1, n));
        k += 1 + n;
      }
      if (tiler.lines().empty()) continue;
      begin(f);
      out.end_lines(tiler.lines());
    } else if (const auto* area = std::get_if<MultiPolygon>(&f.geometry)) {
      std::size_t vertices = 0;
      for (const auto& p : *area) {
        vertices += p.outer().size();
        for (const auto& h : p.inners()) vertices += h.size();
      }
      MultiPolygon simplified;
      const MultiPolygon* ll = area;
      // Simplified as grids are (half a tile unit), where that saves work.
      if (z <= kSimplifyMaxZoom && vertices > 16) {
        const double lat =
            (bg::get<bg::min_corner, 1>(ft.box[i]) + bg::get<bg::max_corner, 1>(ft.box[i])) / 2;
        simplified = spatial::simplify_polygon(*area, 0.5 * std::cos(lat * M_PI / 180) * unit_deg);
        ll = &simplified;
      }
      const auto polys = spatial::polygon_to_tile(spatial::project_polygon(*ll, *rq.tms, rq.gcj02),
                                                  tt, config.buffer);
      if (polys.empty()) continue;
      begin(f);
      out.end_polygons(polys);
    }
    ++st.features;
  }
}

std::vector<spatial::Box> TileBuilder::feature_layer_changed(const FeatureLayer& layer) {
  Impl& m = *impl_;
  auto fresh = m.index_features(layer);
  std::vector<spatial::Box> moved;
  if (auto it = m.feature_tiles.find(layer.def.name); it != m.feature_tiles.end()) {
    // Features whose thinning zoom changed although they may not have: both sorted by fid.
    const Impl::FeatureTiles& old = *it->second;
    if (!old.minzoom.empty() && !fresh->minzoom.empty()) {
      std::size_t a = 0;
      for (std::size_t b = 0; b < fresh->fid.size(); ++b) {
        while (a < old.fid.size() && old.fid[a] < fresh->fid[b]) ++a;
        if (a < old.fid.size() && old.fid[a] == fresh->fid[b] &&
            old.minzoom[a] != fresh->minzoom[b]) {
          moved.push_back(old.box[a]);
          moved.push_back(fresh->box[b]);
        }
      }
    }
    it->second = std::move(fresh);
  } else {
    m.feature_tiles.emplace(layer.def.name, std::move(fresh));
  }
  return moved;
}

void TileBuilder::feature_layer_dropped(std::string_view name) {
  if (auto it = impl_->feature_tiles.find(name); it != impl_->feature_tiles.end())
    impl_->feature_tiles.erase(it);
}

const TileLayerConfig* TileBuilder::feature_layer_config(std::string_view name) const {
  const auto it = impl_->feature_tiles.find(name);
  return it == impl_->feature_tiles.end() ? nullptr : &it->second->config;
}

}  // namespace onemap::layers
