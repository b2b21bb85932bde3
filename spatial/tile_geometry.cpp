// CRS geometry to MVT tile coordinates.
//
// polygon_to_tile works in four steps:
//  1. Transform every vertex into unrounded tile coordinates (x right, y down), noting the
//     bounding box on the way.
//  2. Clip to the buffered square [-buffer, extent + buffer]^2 with GEOS's rectangle clipper
//     (GEOSClipByRect, linear in the number of vertices, unlike a general overlay). A polygon
//     whose bounding box lies inside the square is not clipped at all; one whose box misses it
//     gives nothing.
//  3. Round every vertex to the nearest integer (floor(v + 0.5): the same rule on both sides of a
//     tile edge, so neighbouring tiles agree), drop consecutive repeated points and the tips of
//     spikes (A B C on one line with C back towards A: zero area, and invalid, the commonest
//     thing rounding does to a narrow part; removing them here spares the repair), drop rings
//     left with fewer than 3 points or with all their points on one line (an exterior with its
//     holes), and orient: the exterior's area by the surveyor's formula in tile coordinates
//     positive, holes negative.
//  4. Keep the result valid. Rounding moves vertices by up to half a unit per axis, which can make
//     a narrow part collapse onto itself or a hole touch or cross its shell. A cheap exact check
//     in integer arithmetic (certainly_valid: no two edges meet except neighbours at their shared
//     vertex, found with monotone chains; every hole inside its shell; no nesting of holes or of
//     parts) passes almost always.
//     When it does not (it also refuses valid touching configurations), GEOS decides; only when
//     GEOS finds the rounded result invalid is it repaired: the clipped unrounded geometry is
//     made valid (GEOS MakeValid, when needed) and snap-rounded to the integer grid by
//     GEOSGeom_setPrecision (grid size 1), whose output is valid by construction; its rings go
//     through step 3 again (which changes nothing but orientation on valid integer rings).
#include "spatial/tile_geometry.hpp"

#include "core/errors.hpp"
#include "spatial/chinacrs.hpp"
#include "spatial/geos_internal.hpp"
#include "spatial/geos_ops.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace onemap::spatial {
namespace {

using detail::from_geos;
using detail::GeomPtr;
using detail::h;
using detail::take_error;
using detail::to_geos;

// The affine map of a TileTransform, its two scale factors computed once.
struct Affine {
  double minx;
  double maxy;
  double sx;
  double sy;

  explicit Affine(const TileTransform& t)
      : minx(t.bounds.minx),
        maxy(t.bounds.maxy),
        sx(t.extent / (t.bounds.maxx - t.bounds.minx)),
        sy(t.extent / (t.bounds.maxy - t.bounds.miny)) {}

  void apply(double x, double y, double& tx, double& ty) const {
    tx = (x - minx) * sx;
    ty = (maxy - y) * sy;
  }
};

// Nearest integer, halves rounded up: floor(v + 0.5), the same rule on both sides of zero (unlike
// std::round), saturated to the int32 range (NaN gives its minimum). The floor is a truncation
// corrected for negative numbers (std::floor is a library call without SSE4.1).
int32_t round_coord(double v) {
  constexpr double lo = std::numeric_limits<int32_t>::min();
  constexpr double hi = std::numeric_limits<int32_t>::max();
  double r = v + 0.5;
  if (!(r >= lo))
    r = lo;
  else if (r > hi)
    r = hi;
  const auto t = static_cast<int32_t>(r);
  return t - (r < t ? 1 : 0);
}

// The index after i in a cycle of n.
uint32_t next(uint32_t i, uint32_t n) {
  return i + 1 == n ? 0 : i + 1;
}

// ---- exact integer geometry ----------------------------------------------------------------
// Tile coordinates are bounded by kMaxSpan (checked on entry), so coordinate differences are
// below 2^22 and every cross or dot product below 2^44: exact in int64.

constexpr uint32_t kMaxSpan = 1U << 20;

int64_t cross(const TilePoint& o, const TilePoint& a, const TilePoint& b) {
  return (int64_t{a.x} - o.x) * (int64_t{b.y} - o.y) - (int64_t{a.y} - o.y) * (int64_t{b.x} - o.x);
}

int sign(int64_t v) {
  return (v > 0) - (v < 0);
}

// Twice the signed area by the surveyor's formula (positive: counter-clockwise in the axes as
// given, i.e. clockwise on screen with y down). Summed modulo 2^64: partial sums may wrap, but the
// result, bounded by the ring's winding, is exact.
int64_t twice_area(const TileRing& r) {
  uint64_t sum = 0;
  for (std::size_t i = 0, j = r.size() - 1; i < r.size(); j = i++)
    sum += static_cast<uint64_t>(int64_t{r[j].x} * r[i].y - int64_t{r[i].x} * r[j].y);
  return static_cast<int64_t>(sum);
}

// B is the tip of a spike when A, B, C lie on one line and C goes back from B towards A.
bool is_spike(const TilePoint& a, const TilePoint& b, const TilePoint& c) {
  return cross(a, b, c) == 0 &&
         (int64_t{a.x} - b.x) * (int64_t{c.x} - b.x) + (int64_t{a.y} - b.y) * (int64_t{c.y} - b.y) >
             0;
}

// Removes consecutive repeated points and spike tips, also across the ring's start (the ring is
// open: its first point is not repeated). Linear: a stack for the run, then the junction folded.
void clean_ring(TileRing& r) {
  std::size_t n = 0;  // r[0, n) is the cleaned prefix
  for (const TilePoint& p : r) {
    r[n++] = p;
    for (;;) {
      if (n >= 2 && r[n - 2] == r[n - 1]) {
        --n;
      } else if (n >= 3 && is_spike(r[n - 3], r[n - 2], r[n - 1])) {
        r[n - 2] = r[n - 1];
        --n;
      } else {
        break;
      }
    }
  }
  std::size_t lo = 0;
  std::size_t hi = n;
  while (hi - lo >= 3) {
    if (r[hi - 1] == r[lo] || is_spike(r[hi - 2], r[hi - 1], r[lo]))
      --hi;
    else if (is_spike(r[hi - 1], r[lo], r[lo + 1]))
      ++lo;
    else
      break;
  }
  r.erase(r.begin() + static_cast<std::ptrdiff_t>(hi), r.end());
  r.erase(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(lo));
}

bool collinear(const TileRing& r) {
  for (std::size_t i = 2; i < r.size(); ++i)
    if (cross(r[0], r[1], r[i]) != 0) return false;
  return true;
}

// Step 3 on one ring: rounded, cleaned, oriented (`sign_wanted` +1 for exteriors, -1 for holes).
// Empty when the ring collapsed: fewer than 3 points, or all on one line. A ring with zero area
// whose points are not on one line crosses itself (a figure eight, from invalid input): it is
// kept as it is, for step 4 to find and repair.
template <typename PointRange>
TileRing round_ring(const PointRange& ring, int sign_wanted) {
  TileRing out;
  out.reserve(ring.size());
  for (const auto& p : ring) out.push_back({round_coord(p.x()), round_coord(p.y())});
  clean_ring(out);
  if (out.size() < 3) return {};
  const int s = sign(twice_area(out));
  if (s == 0 && collinear(out)) return {};
  if (s == -sign_wanted) std::reverse(out.begin(), out.end());
  return out;
}

std::vector<TilePolygon> round_polygons(const MultiPolygon& mp) {
  std::vector<TilePolygon> out;
  out.reserve(mp.size());
  for (const auto& poly : mp) {
    TileRing shell = round_ring(poly.outer(), +1);
    if (shell.empty()) continue;
    TilePolygon tp{std::move(shell)};
    for (const auto& hole : poly.inners()) {
      TileRing r = round_ring(hole, -1);
      if (!r.empty()) tp.push_back(std::move(r));
    }
    out.push_back(std::move(tp));
  }
  return out;
}

// ---- the cheap validity check --------------------------------------------------------------

struct IBox {
  int32_t minx, miny, maxx, maxy;
  bool overlaps(const IBox& o) const {
    return minx <= o.maxx && o.minx <= maxx && miny <= o.maxy && o.miny <= maxy;
  }
};

IBox ring_box(const TileRing& r) {
  IBox b{r[0].x, r[0].y, r[0].x, r[0].y};
  for (const auto& p : r) {
    b.minx = std::min(b.minx, p.x);
    b.maxx = std::max(b.maxx, p.x);
    b.miny = std::min(b.miny, p.y);
    b.maxy = std::max(b.maxy, p.y);
  }
  return b;
}

// p on the closed segment [a, b], given that the three are collinear.
bool within_span(const TilePoint& a, const TilePoint& b, const TilePoint& p) {
  return std::min(a.x, b.x) <= p.x && p.x <= std::max(a.x, b.x) && std::min(a.y, b.y) <= p.y &&
         p.y <= std::max(a.y, b.y);
}

// Closed segments [a, b] and [c, d] share at least one point (crossing, touching or overlapping).
bool segments_meet(const TilePoint& a, const TilePoint& b, const TilePoint& c, const TilePoint& d) {
  const int d1 = sign(cross(c, d, a));
  const int d2 = sign(cross(c, d, b));
  const int d3 = sign(cross(a, b, c));
  const int d4 = sign(cross(a, b, d));
  if (d1 * d2 < 0 && d3 * d4 < 0) return true;
  return (d1 == 0 && within_span(c, d, a)) || (d2 == 0 && within_span(c, d, b)) ||
         (d3 == 0 && within_span(a, b, c)) || (d4 == 0 && within_span(a, b, d));
}

// p strictly inside ring r, for a p known not to lie on r (crossing number, exact).
bool inside(const TilePoint& p, const TileRing& r) {
  bool in = false;
  for (std::size_t i = 0, j = r.size() - 1; i < r.size(); j = i++) {
    const TilePoint& a = r[j];
    const TilePoint& b = r[i];
    if ((a.y > p.y) != (b.y > p.y) && (cross(a, b, p) > 0) == (b.y > a.y)) in = !in;
  }
  return in;
}

IBox edge_box(const TilePoint& a, const TilePoint& b) {
  return {std::min(a.x, b.x), std::min(a.y, b.y), std::max(a.x, b.x), std::max(a.y, b.y)};
}

// A run of consecutive edges of one ring along which x never changes direction, nor y (edge i
// runs from point i to point i + 1, cyclically). Two edges of one chain never meet unless they are
// consecutive: a later edge starts where both coordinates have moved on from the earlier one's
// end, at least one of them strictly (consecutive points differ).
struct Chain {
  const TileRing* ring;
  uint32_t ring_id;
  uint32_t first;  ///< first edge
  uint32_t last;   ///< last edge (inclusive)
  IBox box;
};

std::vector<Chain> monotone_chains(const std::vector<TilePolygon>& polys) {
  std::vector<Chain> chains;
  uint32_t ring_id = 0;
  for (const auto& poly : polys) {
    for (const auto& ring : poly) {
      const auto n = static_cast<uint32_t>(ring.size());
      auto dir = [&](uint32_t i, int& sx, int& sy) {
        const TilePoint& a = ring[i];
        const TilePoint& b = ring[next(i, n)];
        sx = (b.x > a.x) - (b.x < a.x);
        sy = (b.y > a.y) - (b.y < a.y);
      };
      for (uint32_t i = 0; i < n;) {
        Chain c{&ring, ring_id, i, i, edge_box(ring[i], ring[next(i, n)])};
        int cx = 0;
        int cy = 0;
        dir(i, cx, cy);
        for (++i; i < n; ++i) {
          int ex = 0;
          int ey = 0;
          dir(i, ex, ey);
          if ((ex != 0 && cx != 0 && ex != cx) || (ey != 0 && cy != 0 && ey != cy)) break;
          cx = cx != 0 ? cx : ex;
          cy = cy != 0 ? cy : ey;
          const IBox e = edge_box(ring[i], ring[next(i, n)]);
          c.box = {std::min(c.box.minx, e.minx), std::min(c.box.miny, e.miny),
                   std::max(c.box.maxx, e.maxx), std::max(c.box.maxy, e.maxy)};
          c.last = i;
        }
        chains.push_back(c);
      }
      ++ring_id;
    }
  }
  return chains;
}

// No edge of chain a meets an edge of chain b, except neighbours in a ring at their shared vertex.
// Skipping neighbours loses nothing: were they to overlap (a spike, which clean_ring removes
// anyway), the edge leaving the spike would meet the edge before it, two edges apart in a ring of
// 4 or more points (3 points on one line are dropped as collapsed). Only the edges that reach into
// the intersection of the two chains' boxes are compared; `ea` and `eb` are scratch.
bool chains_apart(const Chain& a, const Chain& b, std::vector<uint32_t>& ea,
                  std::vector<uint32_t>& eb) {
  const IBox w{std::max(a.box.minx, b.box.minx), std::max(a.box.miny, b.box.miny),
               std::min(a.box.maxx, b.box.maxx), std::min(a.box.maxy, b.box.maxy)};
  auto reaching = [&w](const Chain& c, std::vector<uint32_t>& out) {
    out.clear();
    const TileRing& r = *c.ring;
    const auto n = static_cast<uint32_t>(r.size());
    for (uint32_t i = c.first; i <= c.last; ++i)
      if (edge_box(r[i], r[next(i, n)]).overlaps(w)) out.push_back(i);
  };
  reaching(a, ea);
  reaching(b, eb);
  const TileRing& ra = *a.ring;
  const TileRing& rb = *b.ring;
  const auto na = static_cast<uint32_t>(ra.size());
  const auto nb = static_cast<uint32_t>(rb.size());
  for (uint32_t i : ea) {
    const TilePoint& p = ra[i];
    const TilePoint& q = ra[next(i, na)];
    const IBox bi = edge_box(p, q);
    for (uint32_t j : eb) {
      if (a.ring_id == b.ring_id && (j == next(i, na) || i == next(j, na))) continue;
      const TilePoint& r = rb[j];
      const TilePoint& s = rb[next(j, nb)];
      if (bi.overlaps(edge_box(r, s)) && segments_meet(p, q, r, s)) return false;
    }
  }
  return true;
}

// No two edges meet, except neighbours in a ring at their shared vertex: monotone chains (edges
// of one chain never meet, see Chain), chains swept in order of their boxes' west edges.
bool edges_disjoint(const std::vector<TilePolygon>& polys) {
  const std::vector<Chain> chains = monotone_chains(polys);
  std::vector<uint32_t> order(chains.size());
  std::iota(order.begin(), order.end(), 0U);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return chains[a].box.minx < chains[b].box.minx; });
  std::vector<uint32_t> ea;
  std::vector<uint32_t> eb;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Chain& a = chains[order[i]];
    for (std::size_t j = i + 1; j < order.size() && chains[order[j]].box.minx <= a.box.maxx; ++j) {
      const Chain& b = chains[order[j]];
      if (a.box.overlaps(b.box) && !chains_apart(a, b, ea, eb)) return false;
    }
  }
  return true;
}

// Calls f(i, j) for every pair i < j of boxes that overlap (sweep over x).
template <typename F>
bool all_overlapping_pairs(const std::vector<IBox>& boxes, F f) {
  std::vector<std::size_t> order(boxes.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return boxes[a].minx < boxes[b].minx; });
  for (std::size_t i = 0; i < order.size(); ++i)
    for (std::size_t j = i + 1; j < order.size() && boxes[order[j]].minx <= boxes[order[i]].maxx;
         ++j)
      if (boxes[order[i]].overlaps(boxes[order[j]]) && !f(order[i], order[j])) return false;
  return true;
}

// True only when the rounded polygons are certainly valid: rings cleaned and with non-zero area
// (round_polygons), no two edges meeting (so rings are simple and no ring touches another), each
// hole inside its shell, no hole inside another hole, and no part inside another part's area.
// Given disjoint boundaries, one vertex decides each containment question.
bool certainly_valid(const std::vector<TilePolygon>& polys) {
  if (!edges_disjoint(polys)) return false;
  std::vector<IBox> part_boxes;
  part_boxes.reserve(polys.size());
  for (const auto& poly : polys) {
    std::vector<IBox> hole_boxes;
    for (std::size_t k = 1; k < poly.size(); ++k) {
      if (!inside(poly[k].front(), poly.front())) return false;
      hole_boxes.push_back(ring_box(poly[k]));
    }
    const bool holes_apart = all_overlapping_pairs(hole_boxes, [&](std::size_t a, std::size_t b) {
      return !inside(poly[a + 1].front(), poly[b + 1]) && !inside(poly[b + 1].front(), poly[a + 1]);
    });
    if (!holes_apart) return false;
    part_boxes.push_back(ring_box(poly.front()));
  }
  auto in_area = [](const TilePoint& p, const TilePolygon& poly) {
    if (!inside(p, poly.front())) return false;
    for (std::size_t k = 1; k < poly.size(); ++k)
      if (inside(p, poly[k])) return false;
    return true;
  };
  return all_overlapping_pairs(part_boxes, [&](std::size_t a, std::size_t b) {
    return !in_area(polys[a].front().front(), polys[b]) &&
           !in_area(polys[b].front().front(), polys[a]);
  });
}

MultiPolygon to_multipolygon(const std::vector<TilePolygon>& polys) {
  MultiPolygon mp;
  for (const auto& tp : polys) {
    Polygon p;
    for (std::size_t k = 0; k < tp.size(); ++k) {
      Ring& r = k == 0 ? p.outer() : p.inners().emplace_back();
      for (const auto& q : tp[k]) r.emplace_back(q.x, q.y);
      r.emplace_back(tp[k].front().x, tp[k].front().y);
    }
    mp.push_back(std::move(p));
  }
  return mp;
}

bool geos_valid(const std::vector<TilePolygon>& polys) {
  GeomPtr g = to_geos(to_multipolygon(polys));
  return GEOSisValid_r(h(), g.get()) == 1;
}

// The repair: `clipped` (unrounded tile coordinates) made valid, then snap-rounded to the integer
// grid by GEOS (valid output, collapsed parts removed).
std::vector<TilePolygon> snap_round(const MultiPolygon& clipped) {
  const MultiPolygon fixed = make_valid(clipped);
  if (fixed.empty()) return {};
  GeomPtr g = to_geos(fixed);
  GeomPtr snapped(GEOSGeom_setPrecision_r(h(), g.get(), 1.0, GEOS_PREC_VALID_OUTPUT));
  if (!snapped) throw Error("tile geometry: snap rounding failed: " + take_error());
  return round_polygons(from_geos(snapped.get()));
}

// Points of a ring not counting a repeated closing point.
std::size_t open_size(const Ring& r) {
  const std::size_t n = r.size();
  return n > 1 && bg::equals(r.front(), r.back()) ? n - 1 : n;
}

}  // namespace

TilePoint TileTransform::to_tile(double x, double y) const {
  double tx = 0;
  double ty = 0;
  to_tile(x, y, tx, ty);
  return {round_coord(tx), round_coord(ty)};
}

void TileTransform::to_tile(double x, double y, double& tx, double& ty) const {
  Affine(*this).apply(x, y, tx, ty);
}

std::optional<TilePoint> point_to_tile(double x, double y, const TileTransform& t,
                                       uint32_t buffer) {
  double tx = 0;
  double ty = 0;
  t.to_tile(x, y, tx, ty);
  const double lo = -static_cast<double>(buffer);
  const double hi = static_cast<double>(t.extent) + buffer;
  // Written so that NaN coordinates are outside.
  if (!(tx >= lo && tx <= hi && ty >= lo && ty <= hi)) return std::nullopt;
  return TilePoint{round_coord(tx), round_coord(ty)};
}

namespace {

void check_span(const TileTransform& t, uint32_t buffer) {
  if (t.extent == 0 || uint64_t{t.extent} + 2 * uint64_t{buffer} > kMaxSpan)
    throw InvalidArgument("extent",
                          "extent + 2 x buffer must be within 1.." + std::to_string(kMaxSpan));
}

using Unrounded = std::pair<double, double>;  // tile units, x and y

// Liang-Barsky: the part of segment a-b inside [lo, hi]^2 as parameters t0 <= t1 along it, or
// false when none of it is (NaN coordinates are outside).
bool clip_segment(const Unrounded& a, const Unrounded& b, double lo, double hi, double& t0,
                  double& t1) {
  t0 = 0;
  t1 = 1;
  const double dx = b.first - a.first, dy = b.second - a.second;
  auto edge = [&](double p, double q) {  // p * t <= q
    if (p == 0) return q >= 0;
    const double r = q / p;
    if (p < 0) {
      if (r > t1) return false;
      t0 = std::max(t0, r);
    } else {
      if (r < t0) return false;
      t1 = std::min(t1, r);
    }
    return true;
  };
  return edge(-dx, a.first - lo) && edge(dx, hi - a.first) && edge(-dy, a.second - lo) &&
         edge(dy, hi - a.second) && t0 <= t1;
}

// Douglas-Peucker over pts[first..last] (both kept): marks in `keep` the points further than
// `tol` from the chord, recursively (an explicit stack, `todo`: a long line must not overflow
// the real one).
void douglas_peucker(const std::vector<Unrounded>& pts, double tol, std::vector<char>& keep,
                     std::vector<std::pair<std::size_t, std::size_t>>& todo) {
  todo.assign(1, {0, pts.size() - 1});
  const double tol2 = tol * tol;
  while (!todo.empty()) {
    const auto [first, last] = todo.back();
    todo.pop_back();
    if (last <= first + 1) continue;
    const auto [ax, ay] = pts[first];
    const auto [bx, by] = pts[last];
    const double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
    double worst = -1;
    std::size_t at = first;
    for (std::size_t i = first + 1; i < last; ++i) {
      const double px = pts[i].first - ax, py = pts[i].second - ay;
      double d2;
      if (len2 == 0) {
        d2 = px * px + py * py;
      } else {
        // Distance to the segment (not the infinite line): a spike beyond an end point stays.
        const double u = std::clamp((px * dx + py * dy) / len2, 0.0, 1.0);
        const double ex = px - u * dx, ey = py - u * dy;
        d2 = ex * ex + ey * ey;
      }
      if (d2 > worst) worst = d2, at = i;
    }
    if (worst > tol2) {
      keep[at] = 1;
      todo.emplace_back(first, at);
      todo.emplace_back(at, last);
    }
  }
}

}  // namespace

LineTiler::LineTiler(const TileTransform& t, uint32_t buffer, double tolerance)
    : transform_(t),
      lo_(-static_cast<double>(buffer)),
      hi_(static_cast<double>(t.extent) + buffer),
      tolerance_(tolerance) {
  check_span(t, buffer);
}

void LineTiler::finish_run() {
  if (run_.size() >= 2) {
    keep_.assign(run_.size(), 0);
    keep_.front() = keep_.back() = 1;
    if (tolerance_ > 0)
      douglas_peucker(run_, tolerance_, keep_, todo_);
    else
      std::fill(keep_.begin(), keep_.end(), 1);
    TileLine line;
    if (!spare_.empty()) {
      line = std::move(spare_.back());
      spare_.pop_back();
      line.clear();
    }
    for (std::size_t i = 0; i < run_.size(); ++i) {
      if (!keep_[i]) continue;
      const TilePoint p{round_coord(run_[i].first), round_coord(run_[i].second)};
      if (line.empty() || !(line.back() == p)) line.push_back(p);
    }
    (line.size() >= 2 ? parts_ : spare_).push_back(std::move(line));
  }
  run_.clear();
}

void LineTiler::clear() {
  for (auto& line : parts_) spare_.push_back(std::move(line));
  parts_.clear();
}

void LineTiler::add(std::span<const Point> ls) {
  if (ls.size() < 2) return;
  const Affine affine(transform_);
  auto to_tile = [&](const Point& p) {
    Unrounded u;
    affine.apply(p.x(), p.y(), u.first, u.second);
    return u;
  };
  Unrounded prev = to_tile(ls[0]);
  for (std::size_t i = 1; i < ls.size(); ++i) {
    const Unrounded cur = to_tile(ls[i]);
    double t0, t1;
    if (clip_segment(prev, cur, lo_, hi_, t0, t1)) {
      const double dx = cur.first - prev.first, dy = cur.second - prev.second;
      // A segment entering the square starts a new part.
      if (t0 > 0 || run_.empty()) {
        finish_run();
        run_.emplace_back(prev.first + t0 * dx, prev.second + t0 * dy);
      }
      run_.emplace_back(prev.first + t1 * dx, prev.second + t1 * dy);
      if (t1 < 1) finish_run();  // it leaves the square
    } else {
      finish_run();
    }
    prev = cur;
  }
  finish_run();
}

std::vector<TileLine> lines_to_tile(const MultiLineString& ml, const TileTransform& t,
                                    uint32_t buffer, double tolerance) {
  LineTiler tiler(t, buffer, tolerance);
  for (const auto& ls : ml) tiler.add(ls);
  return tiler.lines();
}

std::vector<TilePolygon> polygon_to_tile(const MultiPolygon& mp, const TileTransform& t,
                                         uint32_t buffer) {
  check_span(t, buffer);

  // 1. Into unrounded tile coordinates. Rings with fewer than 3 points enclose nothing (and GEOS
  //    would refuse them).
  const Affine affine(t);
  MultiPolygon tile_space;
  tile_space.reserve(mp.size());
  double minx = std::numeric_limits<double>::infinity();
  double miny = minx;
  double maxx = -minx;
  double maxy = -minx;
  for (const auto& poly : mp) {
    if (open_size(poly.outer()) < 3) continue;
    Polygon& out = tile_space.emplace_back();
    for (std::size_t k = 0; k <= poly.inners().size(); ++k) {
      const Ring& src = k == 0 ? poly.outer() : poly.inners()[k - 1];
      if (k > 0 && open_size(src) < 3) continue;
      Ring& dst = k == 0 ? out.outer() : out.inners().emplace_back();
      dst.reserve(src.size());
      for (const auto& p : src) {
        double tx = 0;
        double ty = 0;
        affine.apply(p.x(), p.y(), tx, ty);
        dst.emplace_back(tx, ty);
        minx = std::min(minx, tx);
        maxx = std::max(maxx, tx);
        miny = std::min(miny, ty);
        maxy = std::max(maxy, ty);
      }
    }
  }

  // 2. Clip, unless the polygon's box lies inside the buffered square (then there is nothing to
  //    cut) or meets it in no more than an edge (then nothing of positive area is left).
  const double lo = -static_cast<double>(buffer);
  const double hi = static_cast<double>(t.extent) + buffer;
  if (tile_space.empty() || maxx <= lo || minx >= hi || maxy <= lo || miny >= hi) return {};
  MultiPolygon clipped;
  if (minx >= lo && maxx <= hi && miny >= lo && maxy <= hi) {
    clipped = std::move(tile_space);
  } else {
    GeomPtr g = to_geos(tile_space);
    GeomPtr cut(GEOSClipByRect_r(h(), g.get(), lo, lo, hi, hi));
    if (!cut) throw Error("tile geometry: clipping failed: " + take_error());
    clipped = from_geos(cut.get());
  }

  // 3. and 4.
  std::vector<TilePolygon> rounded = round_polygons(clipped);
  if (certainly_valid(rounded) || geos_valid(rounded)) return rounded;
  return snap_round(clipped);
}

MultiPolygon simplify_polygon(const MultiPolygon& mp, double tolerance) {
  if (!(tolerance >= 0) || !std::isfinite(tolerance))
    throw InvalidArgument("tolerance", "must be a finite number >= 0");
  if (mp.empty()) return {};
  GeomPtr g = to_geos(mp);
  GeomPtr simple(GEOSTopologyPreserveSimplify_r(h(), g.get(), tolerance));
  if (!simple) throw Error("simplify failed: " + take_error());
  // GEOS keeps every ring (a shrunk ring stays a small triangle or quadrilateral). A ring whose
  // envelope fits within tolerance x tolerance is dropped here, a part with its holes. That keeps
  // the result valid: a part inside a dropped hole has a smaller envelope, so it goes too.
  auto collapses = [tolerance](const Ring& r) {
    Box b;
    bg::envelope(r, b);
    return b.max_corner().x() - b.min_corner().x() <= tolerance &&
           b.max_corner().y() - b.min_corner().y() <= tolerance;
  };
  MultiPolygon out;
  for (auto& poly : from_geos(simple.get())) {
    if (collapses(poly.outer())) continue;
    auto& holes = poly.inners();
    holes.erase(std::remove_if(holes.begin(), holes.end(), collapses), holes.end());
    out.push_back(std::move(poly));
  }
  return out;
}

namespace {

template <class Points>
void project_points(const Points& src, Points& dst, const TileMatrixSet& tms, bool gcj02) {
  dst.reserve(src.size());
  for (const auto& p : src) {
    const LonLat q = gcj02 ? wgs84_to_gcj02({p.x(), p.y()}) : LonLat{p.x(), p.y()};
    double x = 0;
    double y = 0;
    tms.project(q.lon, q.lat, x, y);
    dst.emplace_back(x, y);
  }
}

}  // namespace

MultiLineString project_lines(const MultiLineString& lonlat, const TileMatrixSet& tms, bool gcj02) {
  MultiLineString out;
  out.reserve(lonlat.size());
  for (const auto& line : lonlat) project_points(line, out.emplace_back(), tms, gcj02);
  return out;
}

MultiPolygon project_polygon(const MultiPolygon& lonlat, const TileMatrixSet& tms, bool gcj02) {
  MultiPolygon out;
  out.reserve(lonlat.size());
  for (const auto& poly : lonlat) {
    Polygon& p = out.emplace_back();
    project_points(poly.outer(), p.outer(), tms, gcj02);
    for (const auto& hole : poly.inners())
      project_points(hole, p.inners().emplace_back(), tms, gcj02);
  }
  return out;
}

}  // namespace onemap::spatial
