// Vector tiles (tiles.hpp): the grid outlines. Each grid simplified for every zoom up to
// kSimplifyMaxZoom at load (topology-preserving, half a tile unit), its box in an R-tree, its full
// geometry projected per scheme for the zooms above; the grid tile layers made from them; all of
// it kept in step with writes (grid_changed).
#include "layers/tiles/tiles.hpp"
#include "layers/tiles/tiles_internal.hpp"

#include "core/parallel.hpp"
#include "spatial/tile_geometry.hpp"

#include <boost/iterator/function_output_iterator.hpp>

#include <algorithm>
#include <cmath>
#include <string>

namespace onemap::layers {

namespace bg = spatial::bg;
using namespace tiles_internal;
using spatial::MvtLayer;
using spatial::MvtProperties;

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

}  // namespace

void TileBuilder::Impl::index_grids(const Dataset& d) {
  grid_box.resize(d.grids.size());
  grid_level.resize(d.grids.size());
  grid_simplified.resize(d.grids.size());
  // Simplify on every core (spatial::simplify_polygon uses a GEOS context per thread).
  core::parallel_for(d.grids.size(), [&](std::size_t i) { simplify_grid(d.grids[i], i); });
  std::vector<GridEntry> entries;
  entries.reserve(d.grids.size());
  for (std::size_t i = 0; i < d.grids.size(); ++i)
    entries.emplace_back(grid_box[i], static_cast<uint32_t>(i));
  grid_tree = decltype(grid_tree)(entries);  // bulk loaded (packed)
}

void TileBuilder::Impl::simplify_grid(const Grid& g, std::size_t i) {
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

const std::vector<MultiPolygon>& TileBuilder::Impl::projected_grids(const Dataset& d, int s) const {
  GridScheme& gs = grid_schemes[s];
  std::call_once(gs.built, [&] {
    gs.projected.resize(d.grids.size());
    for (std::size_t i = 0; i < d.grids.size(); ++i)
      gs.projected[i] =
          spatial::project_polygon(d.grids[i].geometry, scheme_tms(s), scheme_gcj02(s));
    gs.ready = true;
  });
  return gs.projected;
}

void TileBuilder::Impl::add_grids(const Dataset& d, const TileRequest& rq,
                                  const TileLayerConfig& cfg, std::optional<GridLevel> level,
                                  MvtLayer& out) const {
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
  grid_tree.query(
      boost::geometry::index::intersects(q),
      boost::make_function_output_iterator([&](const GridEntry& e) { hits.push_back(e.second); }));
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
    gs.projected[index] = spatial::project_polygon(g.geometry, scheme_tms(s), scheme_gcj02(s));
  }
}

}  // namespace onemap::layers
