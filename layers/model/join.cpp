// The grid join (join.hpp): containment by the boundary rule, else nearest within a distance.
#include "layers/model/join.hpp"

#include "core/parallel.hpp"
#include "spatial/crs.hpp"
#include "spatial/geos_ops.hpp"

#include <algorithm>
#include <cmath>

namespace onemap::layers {

namespace {

// The level to join against: "grid" when present, else the finest level present.
GridLevel join_level(const std::vector<Grid>& grids) {
  bool have[5] = {};
  for (const auto& g : grids) have[static_cast<int>(g.level)] = true;
  if (have[static_cast<int>(GridLevel::Grid)]) return GridLevel::Grid;
  for (int l = 4; l >= 0; --l)
    if (have[l]) return static_cast<GridLevel>(l);
  return GridLevel::Grid;
}

}  // namespace

GridJoiner::GridJoiner(const std::vector<Grid>& grids, JoinOptions options)
    : options_(options), level_(join_level(grids)) {
  for (const auto& g : grids) {
    if (g.level != level_) continue;
    codes_.push_back(g.code);
    polygons_.push_back(g.geometry);
  }
  index_ = spatial::PolygonIndex(polygons_);
}

namespace {

// Index, kind and distance of one join, before the grid code is attached.
struct RawJoin {
  int32_t index = -1;
  JoinKind kind = JoinKind::Unassigned;
  double distance_m = 0;
};

}  // namespace

// Workers for n records: every core (at most 8), one for small n.
static std::size_t join_workers(std::size_t n) {
  return n < 20000 ? 1 : std::min<std::size_t>(8, core::available_cores());
}

// The join of a point that index.locate() placed in polygon `found` (-1: in none): contained,
// else the nearest polygon within max_m, else unassigned.
static RawJoin complete(const spatial::PolygonIndex& index, double max_m, LonLat p, int32_t found) {
  if (found >= 0) return {found, JoinKind::Contained, 0.0};
  if (max_m > 0) {
    const auto n = index.nearest_outside(p, max_m);
    if (n.index >= 0) return {n.index, JoinKind::Nearest, n.distance_m};
  }
  return {};
}

GridJoin GridJoiner::join(LonLat p) const {
  if (codes_.empty()) return {};
  const RawJoin r = complete(index_, options_.max_distance_m, p, index_.locate(p));
  if (r.index < 0) return {};
  return {codes_[static_cast<std::size_t>(r.index)], r.kind, r.distance_m};
}

template <class T>
JoinStats GridJoiner::join_vector(std::vector<T>& v) const {
  // On all cores, in chunks small enough to stay in cache: locate the chunk's points straight
  // from the records (PolygonIndex::locate_many fetches the index ahead), then find the nearest
  // grid for those outside every grid and write the joins.
  constexpr std::size_t kChunk = 1024;
  std::vector<JoinStats> shares(join_workers(v.size()));
  core::parallel_chunks(
      v.size(), kChunk, shares.size(), [&](std::size_t t, std::size_t c, std::size_t end) {
        JoinStats& st = shares[t];
        int32_t found[kChunk];
        const std::size_t m = end - c;
        index_.locate_many(&v[c].location, m, sizeof(T), found, 1);
        for (std::size_t i = 0; i < m; ++i) {
          const std::size_t k = c + i;
          // (With no grid every point is unassigned: found is -1 and nothing is near.)
          const RawJoin r = complete(index_, options_.max_distance_m, v[k].location, found[i]);
          GridJoin& j = v[k].join;
          j.kind = r.kind;
          j.distance_m = r.distance_m;
          if (r.index >= 0)
            j.grid_code.assign(codes_[static_cast<std::size_t>(r.index)]);
          else
            j.grid_code.clear();
          switch (r.kind) {
            case JoinKind::Contained:
              ++st.contained;
              break;
            case JoinKind::Nearest:
              ++st.nearest;
              break;
            case JoinKind::Unassigned:
              ++st.unassigned;
              st.unassigned_indices.push_back(k);
              break;
          }
        }
      });
  JoinStats s;
  for (const JoinStats& share : shares) {
    s.contained += share.contained;
    s.nearest += share.nearest;
    s.unassigned += share.unassigned;
    s.unassigned_indices.insert(s.unassigned_indices.end(), share.unassigned_indices.begin(),
                                share.unassigned_indices.end());
  }
  // Workers took chunks in turn: back to record order.
  std::sort(s.unassigned_indices.begin(), s.unassigned_indices.end());
  return s;
}

JoinStats GridJoiner::join_all(std::vector<Household>& v) const {
  return join_vector(v);
}
JoinStats GridJoiner::join_all(std::vector<Enterprise>& v) const {
  return join_vector(v);
}
JoinStats GridJoiner::join_all(std::vector<Incident>& v) const {
  return join_vector(v);
}
JoinStats GridJoiner::join_all(std::vector<Worker>& v) const {
  return join_vector(v);
}

void GridJoiner::join(Feature& f) const {
  f.shares.clear();
  if (const auto* p = std::get_if<LonLat>(&f.geometry)) {
    f.join = join(*p);
    return;
  }
  const auto* lines = std::get_if<MultiLineString>(&f.geometry);
  const auto* area = std::get_if<MultiPolygon>(&f.geometry);
  for (int32_t i : index_.query_box(envelope(f.geometry))) {
    const MultiPolygon& grid = polygons_[static_cast<std::size_t>(i)];
    const double measure = lines ? spatial::length_m(spatial::clip_lines(*lines, grid))
                                 : spatial::area_m2(spatial::intersection(*area, grid));
    if (measure >= (lines ? kMinShareLength_m : kMinShareArea_m2))
      f.shares.push_back({codes_[static_cast<std::size_t>(i)], measure});
  }
  std::sort(f.shares.begin(), f.shares.end(),
            [](const GridShare& a, const GridShare& b) { return a.grid_code < b.grid_code; });
  f.join = {};
  const GridShare* best = nullptr;
  for (const GridShare& s : f.shares)
    if (!best || s.measure > best->measure) best = &s;
  if (best) f.join = {best->grid_code, JoinKind::Contained, 0};
}

JoinStats GridJoiner::join_all(std::vector<Feature>& v) const {
  std::vector<JoinStats> parts(join_workers(v.size() * 8));
  core::parallel_chunks(v.size(), 256, parts.size(),
                        [&](std::size_t t, std::size_t begin, std::size_t end) {
                          for (std::size_t k = begin; k < end; ++k) {
                            join(v[k]);
                            switch (v[k].join.kind) {
                              case JoinKind::Contained:
                                ++parts[t].contained;
                                break;
                              case JoinKind::Nearest:
                                ++parts[t].nearest;
                                break;
                              case JoinKind::Unassigned:
                                ++parts[t].unassigned;
                                parts[t].unassigned_indices.push_back(k);
                                break;
                            }
                          }
                        });
  JoinStats s;
  for (const JoinStats& p : parts) {
    s.contained += p.contained;
    s.nearest += p.nearest;
    s.unassigned += p.unassigned;
    s.unassigned_indices.insert(s.unassigned_indices.end(), p.unassigned_indices.begin(),
                                p.unassigned_indices.end());
  }
  std::sort(s.unassigned_indices.begin(), s.unassigned_indices.end());
  return s;
}

JoinStats GridJoiner::rejoin(Dataset& data) const {
  JoinStats total;
  auto add = [&](const JoinStats& x) {
    total.contained += x.contained;
    total.nearest += x.nearest;
    total.unassigned += x.unassigned;
  };
  add(join_all(data.households));
  add(join_all(data.enterprises));
  add(join_all(data.incidents));
  add(join_all(data.workers));
  return total;
}

}  // namespace onemap::layers
