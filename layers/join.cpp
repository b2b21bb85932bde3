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

namespace {

// Index, kind and distance of one join, before the grid code is attached.
struct RawJoin {
  int32_t index = -1;
  JoinKind kind = JoinKind::Unassigned;
  double distance_m = 0;
};

}  // namespace

// Runs work(begin, end) over [0, n) on all cores in contiguous shares (one thread for small n).
template <class F>
static void parallel_ranges(std::size_t n, F&& work) {
  const unsigned threads =
      n < 20000 ? 1u : std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
  if (threads == 1) {
    work(std::size_t{0}, n);
    return;
  }
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t] { work(n * t / threads, n * (t + 1) / threads); });
  for (auto& th : pool) th.join();
}

// Locates one point: contained, else nearest within max_m, else unassigned.
static RawJoin locate_one(const spatial::PolygonIndex& index, double max_m, LonLat p) {
  RawJoin r;
  r.index = index.locate(p);
  if (r.index >= 0) {
    r.kind = JoinKind::Contained;
  } else if (max_m > 0) {
    auto n = index.nearest_outside(p, max_m);
    if (n.index >= 0) r = {n.index, JoinKind::Nearest, n.distance_m};
  }
  return r;
}

GridJoin GridJoiner::join(LonLat p) const {
  if (codes_.empty()) return {};
  const RawJoin r = locate_one(index_, options_.max_distance_m, p);
  if (r.index < 0) return {};
  return {codes_[static_cast<std::size_t>(r.index)], r.kind, r.distance_m};
}

template <class T>
JoinStats GridJoiner::join_vector(std::vector<T>& v) const {
  // Locate all points at once, straight from the records (PolygonIndex::locate_many sorts them
  // along the index), then, on all cores in the records' own order, find the nearest grid for the
  // points outside every grid and write the joins into the records.
  const std::size_t n = v.size();
  std::vector<int32_t> found(n, -1);
  if (!codes_.empty() && n > 0)
    index_.locate_many(&v[0].location, n, sizeof(T), found.data());
  std::vector<JoinKind> kinds(n);
  parallel_ranges(n, [&](std::size_t begin, std::size_t end) {
    for (std::size_t k = begin; k < end; ++k) {
      RawJoin r{found[k], JoinKind::Contained, 0.0};
      if (r.index < 0) {
        r = {};
        if (!codes_.empty() && options_.max_distance_m > 0) {
          const auto near = index_.nearest_outside(v[k].location, options_.max_distance_m);
          if (near.index >= 0) r = {near.index, JoinKind::Nearest, near.distance_m};
        }
      }
      GridJoin& j = v[k].join;
      j.kind = kinds[k] = r.kind;
      j.distance_m = r.distance_m;
      if (r.index >= 0)
        j.grid_code.assign(codes_[static_cast<std::size_t>(r.index)]);
      else
        j.grid_code.clear();
    }
  });
  JoinStats s;
  for (std::size_t i = 0; i < n; ++i) {
    switch (kinds[i]) {
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
