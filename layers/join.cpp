// The grid join (join.hpp): containment by the boundary rule, else nearest within a distance.
#include "layers/join.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
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

// Interleaves the bits of two 16-bit cell numbers (Z-order / Morton code).
uint32_t morton(uint32_t x, uint32_t y) {
  auto spread = [](uint32_t v) {
    v = (v | (v << 8)) & 0x00FF00FFu;
    v = (v | (v << 4)) & 0x0F0F0F0Fu;
    v = (v | (v << 2)) & 0x33333333u;
    v = (v | (v << 1)) & 0x55555555u;
    return v;
  };
  return spread(x) | (spread(y) << 1);
}

// Positions of `locations` in Z-order over their bounding box, so that consecutive lookups touch
// the same polygons and edges (cache-friendly; several times faster than random order).
std::vector<std::size_t> spatial_order(const std::vector<LonLat>& locations) {
  std::vector<std::size_t> order(locations.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  if (locations.size() < 2) return order;
  double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
  for (const auto& p : locations) {
    if (!std::isfinite(p.lon) || !std::isfinite(p.lat)) continue;
    x0 = std::min(x0, p.lon), x1 = std::max(x1, p.lon);
    y0 = std::min(y0, p.lat), y1 = std::max(y1, p.lat);
  }
  if (!(x1 > x0) || !(y1 > y0)) return order;
  const double sx = 65535.0 / (x1 - x0), sy = 65535.0 / (y1 - y0);
  std::vector<uint32_t> key(locations.size());
  for (std::size_t i = 0; i < locations.size(); ++i) {
    const auto& p = locations[i];
    double cx = std::clamp((p.lon - x0) * sx, 0.0, 65535.0);
    double cy = std::clamp((p.lat - y0) * sy, 0.0, 65535.0);
    key[i] = std::isfinite(cx) && std::isfinite(cy)
                 ? morton(static_cast<uint32_t>(cx), static_cast<uint32_t>(cy))
                 : 0;
  }
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return key[a] < key[b]; });
  return order;
}

}  // namespace

std::vector<GridJoin> GridJoiner::join_many(const std::vector<LonLat>& locations) const {
  std::vector<GridJoin> out(locations.size());
  auto order = spatial_order(locations);
  auto work = [&](std::size_t begin, std::size_t end) {
    for (std::size_t k = begin; k < end; ++k) out[order[k]] = join(locations[order[k]]);
  };
  const std::size_t n = locations.size();
  const unsigned threads = n < 20000 ? 1u : std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
  if (threads == 1) {
    work(0, n);
    return out;
  }
  // Contiguous runs of the Z-order keep each thread's lookups local.
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back(work, n * t / threads, n * (t + 1) / threads);
  for (auto& th : pool) th.join();
  return out;
}

template <class T>
JoinStats GridJoiner::join_vector(std::vector<T>& v) const {
  JoinStats s;
  std::vector<LonLat> locations;
  locations.reserve(v.size());
  for (const auto& r : v) locations.push_back(r.location);
  auto joins = join_many(locations);
  for (std::size_t i = 0; i < v.size(); ++i) {
    v[i].join = std::move(joins[i]);
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
