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

// Positions of `locations` grouped by a 256 x 256 bucket grid over their extent (a counting
// sort, O(n)): consecutive lookups then touch the same part of the index and stay in cache.
static std::vector<uint32_t> bucket_order(const std::vector<LonLat>& locations) {
  const std::size_t n = locations.size();
  double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
  for (const auto& p : locations) {
    if (!std::isfinite(p.lon) || !std::isfinite(p.lat)) continue;
    x0 = std::min(x0, p.lon), x1 = std::max(x1, p.lon);
    y0 = std::min(y0, p.lat), y1 = std::max(y1, p.lat);
  }
  constexpr uint32_t kSide = 256;
  std::vector<uint32_t> bucket(n, 0);
  if (x1 > x0 && y1 > y0) {
    const double sx = kSide / (x1 - x0), sy = kSide / (y1 - y0);
    for (std::size_t i = 0; i < n; ++i) {
      const double cx = (locations[i].lon - x0) * sx, cy = (locations[i].lat - y0) * sy;
      if (!(cx >= 0) || !(cy >= 0)) continue;  // NaN goes to bucket 0
      const uint32_t c = std::min<uint32_t>(kSide - 1, static_cast<uint32_t>(cx));
      const uint32_t r = std::min<uint32_t>(kSide - 1, static_cast<uint32_t>(cy));
      // Rows alternate direction (boustrophedon) so consecutive buckets are neighbours.
      bucket[i] = r * kSide + (r % 2 ? kSide - 1 - c : c);
    }
  }
  std::vector<uint32_t> start(kSide * kSide + 1, 0);
  for (uint32_t b : bucket) ++start[b + 1];
  for (std::size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
  std::vector<uint32_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[start[bucket[i]]++] = static_cast<uint32_t>(i);
  return order;
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
  // Each thread locates its share and writes the joins in place (all per-point work in
  // parallel); the counts are gathered afterwards.
  std::vector<LonLat> locations(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) locations[i] = v[i].location;
  const auto order = bucket_order(locations);
  parallel_ranges(v.size(), [&](std::size_t begin, std::size_t end) {
    for (std::size_t o = begin; o < end; ++o) {
      const std::size_t k = order[o];
      GridJoin& j = v[k].join;
      const RawJoin r = codes_.empty() ? RawJoin{}
                                       : locate_one(index_, options_.max_distance_m, locations[k]);
      j.kind = r.kind;
      j.distance_m = r.distance_m;
      if (r.index >= 0)
        j.grid_code.assign(codes_[static_cast<std::size_t>(r.index)]);
      else
        j.grid_code.clear();
    }
  });
  JoinStats s;
  for (std::size_t i = 0; i < v.size(); ++i) {
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
