// AreaIndex (area_index.hpp): the area's edges copied into equal horizontal bands, each band
// holding every edge whose closed y-range meets it (horizontal ones too, for the boundary test).
// The band of a y is computed with the same monotone function that filled the bands, so an edge
// with y0 <= y <= y1 is always in y's band whatever the rounding. A point is covered when it lies
// on one of its band's edges (exact orientation 0), else by the crossing-number test of
// predicates.hpp (half-open in y) over the band: the parity over every ring of a valid
// multipolygon is the same as inside one of its parts and outside that part's holes.
//
// Boost's tolerance: its side test takes |cross product| <= DBL_EPSILON × max(1, |differences|)
// as collinear (a distance of about 2e-16 / length from the edge's line), and its winding takes
// x coordinates within DBL_EPSILON × max(1, |x|) (3e-14 at 120°) as equal. A point farther than
// near() from every edge gets the same answer from both; one nearer is handed to Boost.
#include "spatial/area_index.hpp"

#include "spatial/predicates.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace onemap::spatial {

namespace {

// How near to an edge of these extents a point must be for Boost's tolerance to matter, with a
// wide margin: 1e-12 degrees (30 times its x tolerance) plus 32 times its side tolerance.
double nearness(double dx, double dy) {
  const double length = std::max(std::abs(dx), std::abs(dy));
  return std::min(1e-6, 1e-12 + 32 * DBL_EPSILON / length);
}

// True when p lies within the edge's nearness of segment a-b (in its box grown by that, and that
// close to its line).
bool near(double ax, double ay, double bx, double by, double px, double py) {
  const double dx = bx - ax, dy = by - ay;
  const double t = nearness(dx, dy);
  if (px < std::min(ax, bx) - t || px > std::max(ax, bx) + t || py < std::min(ay, by) - t ||
      py > std::max(ay, by) + t)
    return false;
  const double cross = dx * (py - ay) - dy * (px - ax);
  return std::abs(cross) <= t * std::max(std::abs(dx), std::abs(dy)) + 4 * DBL_EPSILON;
}

// True when p, known collinear with segment a-b, lies on it (within its box).
bool within_box(const Point& a, const Point& b, const Point& p) {
  return p.x() >= std::min(a.x(), b.x()) && p.x() <= std::max(a.x(), b.x()) &&
         p.y() >= std::min(a.y(), b.y()) && p.y() <= std::max(a.y(), b.y());
}

// Whether the closed segments a-b and c-d share a point, exactly.
bool segments_meet(const Point& a, const Point& b, const Point& c, const Point& d) {
  const int o1 = orient2d(a, b, c), o2 = orient2d(a, b, d);
  const int o3 = orient2d(c, d, a), o4 = orient2d(c, d, b);
  if (o1 * o2 < 0 && o3 * o4 < 0) return true;
  return (o1 == 0 && within_box(a, b, c)) || (o2 == 0 && within_box(a, b, d)) ||
         (o3 == 0 && within_box(c, d, a)) || (o4 == 0 && within_box(c, d, b));
}

}  // namespace

AreaIndex::AreaIndex(const MultiPolygon& area) : area_(area), envelope_(spatial::envelope(area)) {
  std::vector<Edge> all;
  auto add_ring = [&](const Ring& ring) {
    if (ring.empty()) return;
    ring_starts_.push_back(ring.front());
    for (std::size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
      const Point& u = ring[j];
      const Point& v = ring[i];
      if (u.x() == v.x() && u.y() == v.y()) continue;  // the closing repeat, or a repeated vertex
      if (u.y() <= v.y())
        all.push_back({u.x(), u.y(), v.x(), v.y()});
      else
        all.push_back({v.x(), v.y(), u.x(), u.y()});
      tolerance_ = std::max(tolerance_, nearness(v.x() - u.x(), v.y() - u.y()));
    }
  };
  for (const auto& poly : area) {
    add_ring(poly.outer());
    for (const auto& hole : poly.inners()) add_ring(hole);
  }
  if (all.empty()) return;
  const double ymin = envelope_.min_corner().y(), ymax = envelope_.max_corner().y();
  // About four edges a band, fewer bands when long edges would be copied into too many of them.
  const std::size_t n = all.size();
  uint32_t bands = static_cast<uint32_t>(std::clamp<std::size_t>(n / 4, 1, 1u << 16));
  std::size_t copies = 0;
  for (;;) {
    band_count_ = bands;
    inv_band_height_ = ymax > ymin ? bands / (ymax - ymin) : 0.0;
    copies = 0;
    for (const Edge& e : all) copies += band_of(e.y1) - band_of(e.y0) + 1;
    if (copies <= 16 * n + 1024 || bands == 1) break;
    bands /= 2;
  }
  std::vector<uint32_t> counts(band_count_ + 1, 0);
  for (const Edge& e : all)
    for (uint32_t b = band_of(e.y0), last = band_of(e.y1); b <= last; ++b) ++counts[b + 1];
  band_start_.assign(band_count_ + 1, 0);
  for (uint32_t b = 0; b < band_count_; ++b) band_start_[b + 1] = band_start_[b] + counts[b + 1];
  edges_.resize(copies);
  std::vector<uint32_t> cursor(band_start_.begin(), band_start_.end() - 1);
  for (const Edge& e : all)
    for (uint32_t b = band_of(e.y0), last = band_of(e.y1); b <= last; ++b) edges_[cursor[b]++] = e;
}

uint32_t AreaIndex::band_of(double y) const {
  const double t = (y - envelope_.min_corner().y()) * inv_band_height_;
  if (!(t > 0)) return 0;
  if (t >= static_cast<double>(band_count_)) return band_count_ - 1;
  return static_cast<uint32_t>(t);
}

AreaIndex::Meet AreaIndex::covers_exactly(const Point& p) const {
  const double px = p.x(), py = p.y();
  if (band_count_ == 0 || px < envelope_.min_corner().x() - tolerance_ ||
      px > envelope_.max_corner().x() + tolerance_ ||
      py < envelope_.min_corner().y() - tolerance_ || py > envelope_.max_corner().y() + tolerance_)
    return Meet::No;
  // Near an edge: the bands of y ± the tolerance (one band but at a band's border).
  for (uint32_t b = band_of(py - tolerance_), last = band_of(py + tolerance_); b <= last; ++b)
    for (uint32_t k = band_start_[b], end = band_start_[b + 1]; k < end; ++k) {
      const Edge& e = edges_[k];
      if (near(e.x0, e.y0, e.x1, e.y1, px, py)) return Meet::Near;
    }
  if (!bg::covered_by(p, envelope_)) return Meet::No;
  const uint32_t b = band_of(py);
  bool inside = false;
  for (uint32_t k = band_start_[b], end = band_start_[b + 1]; k < end; ++k) {
    const Edge& e = edges_[k];
    if (py < e.y0 || py >= e.y1) continue;  // half-open in y: horizontal edges never cross
    if (px > std::max(e.x0, e.x1)) continue;
    // Wholly right of p, or right of it by the exact orientation (never 0: p is not near).
    if (px < std::min(e.x0, e.x1) || orient2d(Point(e.x0, e.y0), Point(e.x1, e.y1), p) > 0)
      inside = !inside;
  }
  return inside ? Meet::Yes : Meet::No;
}

bool AreaIndex::covers(const Point& p) const {
  const Meet m = covers_exactly(p);
  return m == Meet::Near ? bg::covered_by(p, area_) : m == Meet::Yes;
}

AreaIndex::Meet AreaIndex::meets_segment(const Point& a, const Point& b) const {
  const double t = tolerance_ + nearness(b.x() - a.x(), b.y() - a.y());
  const double y0 = std::min(a.y(), b.y()) - t, y1 = std::max(a.y(), b.y()) + t;
  const double x0 = std::min(a.x(), b.x()) - t, x1 = std::max(a.x(), b.x()) + t;
  if (y1 < envelope_.min_corner().y() || y0 > envelope_.max_corner().y() ||
      x1 < envelope_.min_corner().x() || x0 > envelope_.max_corner().x())
    return Meet::No;
  Meet out = Meet::No;
  for (uint32_t band = band_of(y0), last = band_of(y1); band <= last; ++band) {
    for (uint32_t k = band_start_[band], end = band_start_[band + 1]; k < end; ++k) {
      const Edge& e = edges_[k];
      if (e.y1 < y0 || e.y0 > y1 || std::max(e.x0, e.x1) < x0 || std::min(e.x0, e.x1) > x1)
        continue;
      // An end of either near the other segment: Boost's tolerance decides.
      if (near(e.x0, e.y0, e.x1, e.y1, a.x(), a.y()) ||
          near(e.x0, e.y0, e.x1, e.y1, b.x(), b.y()) ||
          near(a.x(), a.y(), b.x(), b.y(), e.x0, e.y0) ||
          near(a.x(), a.y(), b.x(), b.y(), e.x1, e.y1))
        return Meet::Near;
      if (segments_meet(a, b, Point(e.x0, e.y0), Point(e.x1, e.y1))) out = Meet::Yes;
    }
  }
  return out;
}

bool AreaIndex::intersects(const MultiPolygon& other) const {
  if (band_count_ == 0 || other.empty()) return false;
  if (bg::disjoint(envelope_, spatial::envelope(other))) return false;
  // A vertex of the other inside this area, or an edge of the other meeting one of its edges;
  // anything near the boundary goes to Boost.
  Meet found = Meet::No;
  auto ring = [&](const Ring& r) {
    for (const Point& p : r)
      if (const Meet m = covers_exactly(p); m != Meet::No) {
        found = m;
        if (m == Meet::Near) return true;
      }
    for (std::size_t i = 1; i < r.size(); ++i)
      if (const Meet m = meets_segment(r[i - 1], r[i]); m != Meet::No) {
        found = m;
        if (m == Meet::Near) return true;
      }
    return false;
  };
  for (const auto& poly : other) {
    bool stop = ring(poly.outer());
    for (std::size_t h = 0; !stop && h < poly.inners().size(); ++h) stop = ring(poly.inners()[h]);
    if (stop) break;
  }
  if (found == Meet::Near) return bg::intersects(area_, other);
  if (found == Meet::Yes) return true;
  // No boundaries meet: the areas meet only when a whole ring of this one lies inside the other
  // (its first vertex is not near the other's boundary, or an edge through it would be).
  for (const Point& p : ring_starts_)
    if (multipolygon_contains(other, p)) return true;
  return false;
}

bool AreaIndex::intersects(const MultiLineString& lines) const {
  if (band_count_ == 0 || lines.empty()) return false;
  if (bg::disjoint(envelope_, spatial::envelope(lines))) return false;
  // A vertex inside the area or a segment meeting an edge (a line cannot hold an area whole);
  // anything near the boundary goes to Boost.
  bool near = false;
  for (const auto& line : lines) {
    for (const Point& p : line) {
      const Meet m = covers_exactly(p);
      if (m == Meet::Yes) return true;
      near |= m == Meet::Near;
    }
    for (std::size_t i = 1; i < line.size(); ++i) {
      const Meet m = meets_segment(line[i - 1], line[i]);
      if (m == Meet::Yes) return true;
      near |= m == Meet::Near;
    }
  }
  return near && bg::intersects(area_, lines);
}

}  // namespace onemap::spatial
