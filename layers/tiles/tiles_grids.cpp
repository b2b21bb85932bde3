// Vector tiles (tiles.hpp): the grid outlines. Each grid simplified for every zoom up to
// kSimplifyMaxZoom at load (topology-preserving, half a tile unit) and, per scheme, made into a
// tile-ready outline for each of those zooms (GridOutline); its box in an R-tree; its full
// geometry projected per scheme for the zooms above; the grid tile layers made from them; all of
// it kept in step with writes (grid_changed).
#include "layers/tiles/tiles.hpp"
#include "layers/tiles/tiles_internal.hpp"

#include "core/parallel.hpp"
#include "spatial/tile_geometry.hpp"

#include <boost/iterator/function_output_iterator.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
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
  // Web Mercator without offset is what most clients ask for: ready before the first request.
  outlines(0, true);
}

uint32_t TileBuilder::Impl::level_minzoom(GridLevel level) const {
  const auto* lc = config.find("grids." + std::string(level_name(level)));
  return lc ? lc->minzoom : 0;
}

std::vector<TileBuilder::Impl::GridOutline> TileBuilder::Impl::make_outlines(std::size_t i,
                                                                             int s) const {
  std::vector<GridOutline> out(kSimplifyMaxZoom + 1);
  const FineFrame& f = fine_frame(s);
  for (uint32_t z = level_minzoom(grid_level[i]); z <= kSimplifyMaxZoom; ++z) {
    const MultiPolygon& ll = grid_simplified[i][z];
    if (ll.empty()) continue;  // add_grids skips it
    const MultiPolygon proj = spatial::project_polygon(ll, scheme_tms(s), scheme_gcj02(s));
    // World tile units per CRS unit at zoom z.
    const double k = f.scale * std::ldexp(static_cast<double>(config.extent),
                                          static_cast<int>(z) - static_cast<int>(kFineZoom));
    double minx = std::numeric_limits<double>::infinity(), miny = minx, maxx = -minx, maxy = -minx;
    auto expand = [&](const spatial::Ring& ring) {
      for (const auto& p : ring) {
        const double u = (p.x() - f.left) * k, v = (f.top - p.y()) * k;
        minx = std::min(minx, u), maxx = std::max(maxx, u);
        miny = std::min(miny, v), maxy = std::max(maxy, v);
      }
    };
    for (const auto& poly : proj) {
      expand(poly.outer());
      for (const auto& hole : poly.inners()) expand(hole);  // inside, unless the input is invalid
    }
    // A window of whole tile units around the grid, seen as one tile of its own: the grid lies
    // inside it, so polygon_to_tile does not clip, only rounds, cleans and keeps it valid, exactly
    // as it would in any tile holding the grid whole (up to the last bits of floating point, which
    // matter only for a vertex exactly half way between two units). A grid too big for that
    // window (polygon_to_tile's exact range) is left to the tiles, as is one with a non-finite
    // vertex.
    if (!(maxx - minx < 1e6 && maxy - miny < 1e6)) continue;
    const double ox = std::floor(minx) - 1, oy = std::floor(miny) - 1;
    const double span = std::ceil(std::max(maxx - ox, maxy - oy)) + 1;
    spatial::TileTransform window;
    window.extent = static_cast<uint32_t>(span);
    window.bounds = {f.left + ox / k, f.top - (oy + span) / k, f.left + (ox + span) / k,
                     f.top - oy / k};
    GridOutline& o = out[z];
    o.polys = spatial::polygon_to_tile(proj, window, 0);
    const auto dx = static_cast<int32_t>(ox), dy = static_cast<int32_t>(oy);
    for (auto& poly : o.polys)
      for (auto& ring : poly)
        for (auto& p : ring) p = {p.x + dx, p.y + dy};
    o.minx = minx, o.miny = miny, o.maxx = maxx, o.maxy = maxy;
    o.ready = true;
  }
  return out;
}

const TileBuilder::Impl::GridOutlines& TileBuilder::Impl::outlines(int s, bool parallel) const {
  GridOutlines& go = grid_outlines[s];
  std::call_once(go.built, [&] {
    go.outlines.resize(grid_simplified.size());
    auto one = [&](std::size_t i) { go.outlines[i] = make_outlines(i, s); };
    if (parallel) {
      core::parallel_for(grid_simplified.size(), one);
    } else {
      for (std::size_t i = 0; i < grid_simplified.size(); ++i) one(i);
    }
    go.ready = true;
  });
  return go;
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
  std::array<uint32_t, 5> minzoom{};
  for (int l = 0; l < 5; ++l) minzoom[l] = level_minzoom(static_cast<GridLevel>(l));
  // The grids whose boxes meet the tile, in index order (the output does not depend on the
  // tree's layout); their level from the compact array, the record only for those that qualify.
  std::vector<uint32_t> hits;
  grid_tree.query(
      boost::geometry::index::intersects(q),
      boost::make_function_output_iterator([&](const GridEntry& e) { hits.push_back(e.second); }));
  std::sort(hits.begin(), hits.end());
  const int s = scheme_index(*rq.tms, rq.gcj02);
  const std::vector<MultiPolygon>* projected =
      z > kSimplifyMaxZoom ? &projected_grids(d, s) : nullptr;
  const GridOutlines* ready = z > kSimplifyMaxZoom ? nullptr : &outlines(s);
  // The buffered tile in world tile units (see GridOutline).
  const double lox = static_cast<double>(rq.tile.x) * config.extent - config.buffer;
  const double loy = static_cast<double>(rq.tile.y) * config.extent - config.buffer;
  const double hix = lox + config.extent + 2.0 * config.buffer;
  const double hiy = loy + config.extent + 2.0 * config.buffer;
  const auto shift_x = static_cast<int32_t>(static_cast<int64_t>(rq.tile.x) * config.extent);
  const auto shift_y = static_cast<int32_t>(static_cast<int64_t>(rq.tile.y) * config.extent);
  std::vector<spatial::TilePolygon> shifted;  // reused: its rings keep their room
  for (const uint32_t i : hits) {
    if (i >= d.grids.size()) continue;
    const GridLevel gl = grid_level[i];
    if (level && gl != *level) continue;
    if (!level && z < minzoom[static_cast<int>(gl)]) continue;
    const Grid& g = d.grids[i];
    if (ready && i < ready->outlines.size()) {
      const GridOutline& o = ready->outlines[i][z];
      if (o.ready) {
        if (o.maxx <= lox || o.minx >= hix || o.maxy <= loy || o.miny >= hiy) continue;
        if (o.minx >= lox && o.maxx <= hix && o.miny >= loy && o.maxy <= hiy) {
          // Whole in the buffered tile: the outline moved into the tile's units.
          if (o.polys.empty()) continue;
          shifted.resize(o.polys.size());
          for (std::size_t p = 0; p < o.polys.size(); ++p) {
            shifted[p].resize(o.polys[p].size());
            for (std::size_t r = 0; r < o.polys[p].size(); ++r) {
              const spatial::TileRing& from = o.polys[p][r];
              spatial::TileRing& to = shifted[p][r];
              to.resize(from.size());
              for (std::size_t k = 0; k < from.size(); ++k)
                to[k] = {from[k].x - shift_x, from[k].y - shift_y};
            }
          }
          props.clear();
          grid_props(g, cfg, z, props);
          out.add_polygons(static_cast<uint64_t>(g.fid), shifted, props);
          continue;
        }
      }
    }
    // Cut by the tile's edge (or above kSimplifyMaxZoom, or not prepared): clipped here.
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
    auto& go = m.grid_outlines[s];
    // As with the projections below: a scheme made later is made from the data as it then is.
    if (!go.ready.load()) continue;
    if (go.outlines.size() <= index) go.outlines.resize(index + 1);
    go.outlines[index] = m.make_outlines(index, s);
  }
  for (int s = 0; s < 4; ++s) {
    auto& gs = m.grid_schemes[s];
    // A scheme not built yet is built from the data as it then is, this change included.
    if (!gs.ready.load()) continue;
    if (gs.projected.size() <= index) gs.projected.resize(index + 1);
    gs.projected[index] = spatial::project_polygon(g.geometry, scheme_tms(s), scheme_gcj02(s));
  }
}

}  // namespace onemap::layers
