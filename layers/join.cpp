// The grid join (join.hpp): containment by the boundary rule, else nearest within a distance.
#include "layers/join.hpp"

#include <algorithm>

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

GridJoin GridJoiner::join(LonLat p) const {
  GridJoin j;
  if (codes_.empty()) return j;
  int32_t i = index_.locate(p);
  if (i >= 0) {
    j.grid_code = codes_[static_cast<std::size_t>(i)];
    j.kind = JoinKind::Contained;
    return j;
  }
  if (options_.max_distance_m > 0) {
    auto n = index_.nearest(p, options_.max_distance_m);
    if (n.index >= 0) {
      j.grid_code = codes_[static_cast<std::size_t>(n.index)];
      j.kind = JoinKind::Nearest;
      j.distance_m = n.distance_m;
    }
  }
  return j;
}

template <class T>
JoinStats GridJoiner::join_vector(std::vector<T>& v) const {
  JoinStats s;
  for (std::size_t i = 0; i < v.size(); ++i) {
    v[i].join = join(v[i].location);
    switch (v[i].join.kind) {
      case JoinKind::Contained: ++s.contained; break;
      case JoinKind::Nearest: ++s.nearest; break;
      case JoinKind::Unassigned:
        ++s.unassigned;
        s.unassigned_indices.push_back(i);
        break;
    }
  }
  return s;
}

JoinStats GridJoiner::join_all(std::vector<Household>& v) const { return join_vector(v); }
JoinStats GridJoiner::join_all(std::vector<Enterprise>& v) const { return join_vector(v); }
JoinStats GridJoiner::join_all(std::vector<Incident>& v) const { return join_vector(v); }
JoinStats GridJoiner::join_all(std::vector<Worker>& v) const { return join_vector(v); }

void GridJoiner::rejoin(Dataset& data) const {
  join_all(data.households);
  join_all(data.enterprises);
  join_all(data.incidents);
  join_all(data.workers);
}

}  // namespace onemap::layers
