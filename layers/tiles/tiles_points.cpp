// Vector tiles (tiles.hpp): the point layers' features. Individual points, each with the
// attributes its schema puts in tiles at the zoom, when the zoom is above the layer's
// cluster_maxzoom and the tile holds few enough of them; otherwise clusters (ClusterGrid).
#include "layers/model/schema.hpp"
#include "layers/tiles/tiles.hpp"
#include "layers/tiles/tiles_internal.hpp"

#include "spatial/chinacrs.hpp"
#include "spatial/tile_geometry.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <optional>
#include <type_traits>

namespace onemap::layers {

using namespace tiles_internal;
using spatial::MvtLayer;
using spatial::TilePoint;

namespace tiles_internal {

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

}  // namespace tiles_internal

void TileBuilder::Impl::add_points(const Dataset& d, const TileRequest& rq,
                                   const TileLayerConfig& cfg, LayerKind kind, MvtLayer& out,
                                   TileStats& st) const {
  d.visit(kind, [&](const auto& records) {
    using T = typename std::decay_t<decltype(records)>::value_type;
    if constexpr (!std::is_same_v<T, Grid>) add_points_of<T>(d, rq, cfg, kind, out, st);
  });
}

template <class T>
void TileBuilder::Impl::add_points_of(const Dataset& d, const TileRequest& rq,
                                      const TileLayerConfig& cfg, LayerKind kind, MvtLayer& out,
                                      TileStats& st) const {
  const auto& v = d.of<T>();
  const int slot = point_layer_slot(kind);
  const int s = scheme_index(*rq.tms, rq.gcj02);
  const SchemeCache& sc = scheme(d, s);
  const auto& col = sc.col[slot];
  const auto& row = sc.row[slot];
  const uint32_t z = rq.tile.z;
  const uint32_t shift = kFineZoom - z;
  const IncidentFilter* filter = nullptr;
  std::optional<IncidentMatcher> matches;  // the filter, read from the incident columns
  if constexpr (std::is_same_v<T, Incident>) {
    filter = rq.incidents.empty() ? nullptr : &rq.incidents;
    if (filter) matches.emplace(incident_columns, *filter);
  }

  // The candidates: through the buckets that meet the query box, or, when that box covers a
  // good part of the layer, over every record in order (cheaper than gathering the members of
  // many buckets, which lie scattered over the arrays).
  const Buckets& bk = buckets[slot];
  const spatial::Box q = query_box(rq);
  // scan(pre, f): f(i) for every candidate that passes `pre` (a test on the fine coordinates)
  // and the filter (on the incident columns): both read compact arrays, not the records.
  auto scan = [&](auto&& pre, auto&& f) {
    auto consider = [&](uint32_t i) {
      if (!pre(i)) return;
      if (matches && !(*matches)(i)) return;
      f(i);
    };
    const CellRange range = cell_range(bk, q);
    if (range.count() * 4 > bk.cells.size()) {
      const std::size_t n = std::min(col.size(), bk.cell_of.size());
      for (std::size_t i = 0; i < n; ++i)
        if (bk.cell_of[i] != UINT32_MAX) consider(static_cast<uint32_t>(i));  // skips NaN positions
    } else {
      for_each_candidate(bk, range, [&](uint32_t i) {
        if (i < col.size()) consider(i);
      });
    }
  };
  auto in_tile = [&](uint32_t i) {
    return (col[i] >> shift) == rq.tile.x && (row[i] >> shift) == rq.tile.y;
  };
  // Without a filter, what the tile's points add up to comes from the scheme's cell sums: the
  // tile's own count from its cell at zoom z, its clusters from the cells cluster_grid times
  // finer. The same counts and positions as a pass over the points, without the pass.
  const auto gbits = static_cast<uint32_t>(std::countr_zero(config.cluster_grid));
  const bool summed = filter == nullptr && z + gbits <= kSumsMaxZoom;
  auto clusters_from_sums = [&] {
    ClusterGrid grid(rq.tile, shift, config);
    const SumsLevel& cells = sc.sums[slot][z + gbits];
    const uint64_t c0 = static_cast<uint64_t>(rq.tile.x) << gbits;
    const uint64_t r0 = static_cast<uint64_t>(rq.tile.y) << gbits;
    for (uint32_t cy = 0; cy < config.cluster_grid; ++cy)
      for (uint32_t cx = 0; cx < config.cluster_grid; ++cx)
        if (const auto it = cells.find(cell_key(c0 + cx, r0 + cy)); it != cells.end())
          grid.add_cell(cx, cy, it->second.count, it->second.col, it->second.row);
    grid.emit(rq.tile, out, st);
  };

  if (z > cfg.cluster_maxzoom) {
    if (summed) {
      const auto it = sc.sums[slot][z].find(cell_key(rq.tile.x, rq.tile.y));
      if (it != sc.sums[slot][z].end() && it->second.count > config.max_points_per_tile) {
        clusters_from_sums();
        return;
      }
    }
    // Individual points, unless the tile proper holds too many. Candidates: the fine cells of
    // the buffered tile, one tile unit wider (the exact test below decides).
    const int64_t span = int64_t{1} << shift;
    const int64_t pad = ((static_cast<int64_t>(config.buffer) + 1) << shift) / config.extent + 1;
    const int64_t fx0 = (static_cast<int64_t>(rq.tile.x) << shift) - pad,
                  fx1 = fx0 + span + 2 * pad;
    const int64_t fy0 = (static_cast<int64_t>(rq.tile.y) << shift) - pad,
                  fy1 = fy0 + span + 2 * pad;
    auto in_reach = [&](uint32_t i) {
      return col[i] != UINT32_MAX && col[i] >= fx0 && col[i] < fx1 && row[i] >= fy0 && row[i] < fy1;
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
  if (summed) {
    clusters_from_sums();
    return;
  }
  ClusterGrid grid(rq.tile, shift, config);
  scan(in_tile, [&](uint32_t i) { grid.add(col[i], row[i]); });
  grid.emit(rq.tile, out, st);
}

}  // namespace onemap::layers
