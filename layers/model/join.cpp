// The grid join (join.hpp): containment by the boundary rule, else nearest within a distance.
#include "layers/model/join.hpp"

#include "core/parallel.hpp"

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
  std::vector<MultiPolygon> polys;
  for (const auto& g : grids) {
    if (g.level != level_) continue;
    codes_.push_back(g.code);
    polys.push_back(g.geometry);
  }
  index_ = spatial::PolygonIndex(polys);
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
