// The grid join (join.hpp): containment by the boundary rule, else nearest within a distance.
#include "layers/join.hpp"

#include <algorithm>
#include <cmath>
#include <thread>

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

namespace {

// Index, kind and distance of one join, before the grid code is attached.
struct RawJoin {
  int32_t index = -1;
  JoinKind kind = JoinKind::Unassigned;
  double distance_m = 0;
};

}  // namespace

// Locates every point on all cores, each thread taking a contiguous share in input order (the
// index's cover raster makes most lookups one array read, so sorting the points first costs
// more than it saves).
static std::vector<RawJoin> locate_many(const spatial::PolygonIndex& index, double max_m,
                                        const std::vector<LonLat>& locations) {
  std::vector<RawJoin> out(locations.size());
  auto work = [&](std::size_t begin, std::size_t end) {
    for (std::size_t k = begin; k < end; ++k) {
      RawJoin& r = out[k];
      r.index = index.locate(locations[k]);
      if (r.index >= 0) {
        r.kind = JoinKind::Contained;
      } else if (max_m > 0) {
        auto n = index.nearest(locations[k], max_m);
        if (n.index >= 0) r = {n.index, JoinKind::Nearest, n.distance_m};
      }
    }
  };
  const std::size_t n = locations.size();
  const unsigned threads =
      n < 20000 ? 1u : std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
  if (threads == 1) {
    work(0, n);
    return out;
  }
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back(work, n * t / threads, n * (t + 1) / threads);
  for (auto& th : pool) th.join();
  return out;
}

std::vector<GridJoin> GridJoiner::join_many(const std::vector<LonLat>& locations) const {
  std::vector<GridJoin> out(locations.size());
  if (codes_.empty()) return out;
  auto raw = locate_many(index_, options_.max_distance_m, locations);
  for (std::size_t i = 0; i < raw.size(); ++i)
    if (raw[i].index >= 0)
      out[i] = {codes_[static_cast<std::size_t>(raw[i].index)], raw[i].kind, raw[i].distance_m};
  return out;
}

template <class T>
JoinStats GridJoiner::join_vector(std::vector<T>& v) const {
  JoinStats s;
  std::vector<LonLat> locations;
  locations.reserve(v.size());
  for (const auto& r : v) locations.push_back(r.location);
  auto raw = codes_.empty() ? std::vector<RawJoin>(v.size())
                            : locate_many(index_, options_.max_distance_m, locations);
  for (std::size_t i = 0; i < v.size(); ++i) {
    GridJoin& j = v[i].join;
    j.kind = raw[i].kind;
    j.distance_m = raw[i].distance_m;
    if (raw[i].index >= 0)
      j.grid_code.assign(codes_[static_cast<std::size_t>(raw[i].index)]);
    else
      j.grid_code.clear();
    switch (j.kind) {
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
