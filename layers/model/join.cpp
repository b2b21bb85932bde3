// The grid join (join.hpp): containment by the boundary rule, else nearest within a distance.
#include "layers/model/join.hpp"

#include "core/parallel.hpp"
#include "spatial/crs.hpp"
#include "spatial/geos_ops.hpp"

#include <boost/geometry/index/rtree.hpp>
#include <boost/iterator/function_output_iterator.hpp>

#include <algorithm>
#include <cmath>
#include <map>

namespace onemap::layers {

namespace bg = spatial::bg;
namespace bgi = boost::geometry::index;

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

void JoinStats::count(JoinKind kind, std::size_t index) {
  switch (kind) {
    case JoinKind::Contained:
      ++contained;
      break;
    case JoinKind::Nearest:
      ++nearest;
      break;
    case JoinKind::Unassigned:
      ++unassigned;
      unassigned_indices.push_back(index);
      break;
  }
}

void JoinStats::add(const JoinStats& other) {
  contained += other.contained;
  nearest += other.nearest;
  unassigned += other.unassigned;
  unassigned_indices.insert(unassigned_indices.end(), other.unassigned_indices.begin(),
                            other.unassigned_indices.end());
}

struct GridJoiner::Boundaries {
  using Segment = bg::model::segment<spatial::Point>;
  std::vector<Segment> segments;
  // Each segment's box with its position in `segments`; packed by the constructor.
  bgi::rtree<std::pair<spatial::Box, uint32_t>, bgi::quadratic<16>> index;
};

GridJoiner::~GridJoiner() = default;

const GridJoiner::Boundaries& GridJoiner::boundaries() const {
  std::call_once(boundaries_built_, [this] {
    auto b = std::make_unique<Boundaries>();
    auto add_ring = [&](const spatial::Ring& r) {
      for (std::size_t i = 1; i < r.size(); ++i) b->segments.emplace_back(r[i - 1], r[i]);
    };
    for (const MultiPolygon& mp : polygons_)
      for (const auto& poly : mp) {
        add_ring(poly.outer());
        for (const auto& hole : poly.inners()) add_ring(hole);
      }
    std::vector<std::pair<spatial::Box, uint32_t>> boxes;
    boxes.reserve(b->segments.size());
    for (std::size_t i = 0; i < b->segments.size(); ++i)
      boxes.emplace_back(bg::return_envelope<spatial::Box>(b->segments[i]),
                         static_cast<uint32_t>(i));
    b->index = decltype(b->index)(boxes.begin(), boxes.end());
    boundaries_ = std::move(b);
  });
  return *boundaries_;
}

bool GridJoiner::share_inner_lines(const MultiLineString& lines,
                                   std::vector<GridShare>& shares) const {
  const Boundaries& b = boundaries();
  std::map<int32_t, double> measure;  // grid → metres
  for (const auto& line : lines) {
    for (std::size_t i = 1; i < line.size(); ++i) {
      const Boundaries::Segment s(line[i - 1], line[i]);
      bool meets = false;
      b.index.query(bgi::intersects(bg::return_envelope<spatial::Box>(s)) &&
                        bgi::satisfies([&](const auto& e) {
                          return !meets && (meets = bg::intersects(s, b.segments[e.second]));
                        }),
                    boost::make_function_output_iterator([](const auto&) {}));
      if (meets) return false;
    }
    if (line.empty()) continue;
    const double m = spatial::length_m(MultiLineString{line});
    for (int32_t g : index_.locate_all({line.front().x(), line.front().y()})) measure[g] += m;
  }
  for (const auto& [g, m] : measure)
    if (m >= kMinShareLength_m) shares.push_back({codes_[static_cast<std::size_t>(g)], m});
  return true;
}

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
          st.count(r.kind, k);
        }
      });
  JoinStats s;
  for (const JoinStats& share : shares) s.add(share);
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
  if (!lines || !share_inner_lines(*lines, f.shares)) {
    f.shares.clear();
    for (int32_t i : index_.query_box(envelope(f.geometry))) {
      const MultiPolygon& grid = polygons_[static_cast<std::size_t>(i)];
      const double measure = lines ? spatial::length_m(spatial::clip_lines(*lines, grid))
                                   : spatial::area_m2(spatial::intersection(*area, grid));
      if (measure >= (lines ? kMinShareLength_m : kMinShareArea_m2))
        f.shares.push_back({codes_[static_cast<std::size_t>(i)], measure});
    }
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
                            parts[t].count(v[k].join.kind, k);
                          }
                        });
  JoinStats s;
  for (const JoinStats& p : parts) s.add(p);
  std::sort(s.unassigned_indices.begin(), s.unassigned_indices.end());
  return s;
}

JoinStats GridJoiner::rejoin(Dataset& data) const {
  JoinStats total;
  for (JoinStats x : {join_all(data.households), join_all(data.enterprises),
                      join_all(data.incidents), join_all(data.workers)}) {
    x.unassigned_indices.clear();  // positions are per layer
    total.add(x);
  }
  return total;
}

}  // namespace onemap::layers
