// Exact orientation and the boundary rule for point in polygon.
//
// orient2d follows Shewchuk's adaptive scheme in two stages: the floating-point determinant with
// his a-priori error bound ("orient2dfast" + ccwerrboundA), and when that cannot decide, an exact
// evaluation. The exact stage expands the determinant into six products, splits each into an
// exact (hi, lo) pair with a fused multiply-add, and sums the twelve terms into a non-overlapping
// floating-point expansion (Shewchuk's Grow-Expansion); the sign of its largest component is the
// sign of the determinant. Exact unless a product underflows (|coordinates| < ~1e-150), which
// does not happen with geographic or projected coordinates.
#include "spatial/predicates.hpp"

#include <array>
#include <cmath>
#include <cstddef>

namespace onemap::spatial {
namespace {

constexpr double kEpsilon = 0x1p-53;  // half an ulp of 1.0
constexpr double kCcwErrBoundA = (3.0 + 16.0 * kEpsilon) * kEpsilon;

// Knuth's Two-Sum: a + b = s + e exactly.
inline void two_sum(double a, double b, double& s, double& e) {
  s = a + b;
  const double bv = s - a;
  const double av = s - bv;
  e = (a - av) + (b - bv);
}

// a * b = p + e exactly (barring underflow), with a correctly rounded fused multiply-add.
inline void two_product(double a, double b, double& p, double& e) {
  p = a * b;
  e = std::fma(a, b, -p);
}

// Adds b to the expansion e[0..n) (non-overlapping, increasing magnitude), dropping zeros.
inline int grow_expansion(const double* e, int n, double b, double* h) {
  int k = 0;
  double q = b;
  for (int i = 0; i < n; ++i) {
    double s = 0;
    double err = 0;
    two_sum(q, e[i], s, err);
    q = s;
    if (err != 0.0) h[k++] = err;
  }
  if (q != 0.0 || k == 0) h[k++] = q;
  return k;
}

int sign_of(double v) {
  return (v > 0) - (v < 0);
}

int orient2d_exact(const Point& a, const Point& b, const Point& c) {
  // (ax-cx)(by-cy) - (ay-cy)(bx-cx) = ax*by - ax*cy - cx*by - ay*bx + ay*cx + cy*bx
  const double ax = a.x(), ay = a.y(), bx = b.x(), by = b.y(), cx = c.x(), cy = c.y();
  const std::array<std::array<double, 2>, 6> products{
      {{ax, by}, {-ax, cy}, {-cx, by}, {-ay, bx}, {ay, cx}, {cy, bx}}};
  std::array<double, 13> buf1{};
  std::array<double, 13> buf2{};
  double* cur = buf1.data();
  double* next = buf2.data();
  int n = 0;
  for (const auto& pr : products) {
    double p = 0;
    double e = 0;
    two_product(pr[0], pr[1], p, e);
    n = grow_expansion(cur, n, e, next);
    std::swap(cur, next);
    n = grow_expansion(cur, n, p, next);
    std::swap(cur, next);
  }
  // Components are in increasing order of magnitude and non-overlapping: the last one decides.
  for (int i = n - 1; i >= 0; --i)
    if (cur[i] != 0.0) return sign_of(cur[i]);
  return 0;
}

// Sign of the orientation of the ring's edge (lo → hi) against p, where lo.y <= p.y < hi.y.
// Returns true when the upward edge passes strictly to the right of p.
inline bool crosses_right(const Point& lo, const Point& hi, const Point& p) {
  const double minx = lo.x() < hi.x() ? lo.x() : hi.x();
  const double maxx = lo.x() < hi.x() ? hi.x() : lo.x();
  if (p.x() < minx) return true;
  if (p.x() > maxx) return false;
  return orient2d(lo, hi, p) > 0;
}

template <typename Range>
bool ring_parity(const Range& ring, const Point& p) {
  const std::size_t n = ring.size();
  if (n < 3) return false;
  bool inside = false;
  const double py = p.y();
  for (std::size_t i = 0, j = n - 1; i < n; j = i++) {
    const Point& u = ring[j];
    const Point& v = ring[i];
    // Half-open in y: the edge crosses the line y = py + ε² iff min(y) <= py < max(y);
    // horizontal edges never do.
    if (u.y() <= py) {
      if (v.y() > py && crosses_right(u, v, p)) inside = !inside;
    } else if (v.y() <= py) {
      if (crosses_right(v, u, p)) inside = !inside;
    }
  }
  return inside;
}

template <typename Range>
bool ring_on_boundary(const Range& ring, const Point& p) {
  const std::size_t n = ring.size();
  if (n == 0) return false;
  for (std::size_t i = 0, j = n - 1; i < n; j = i++)
    if (on_segment(ring[j], ring[i], p)) return true;
  return false;
}

}  // namespace

int orient2d(const Point& a, const Point& b, const Point& c) {
  const double detleft = (a.x() - c.x()) * (b.y() - c.y());
  const double detright = (a.y() - c.y()) * (b.x() - c.x());
  const double det = detleft - detright;
  double detsum = 0;
  if (detleft > 0) {
    if (detright <= 0) return sign_of(det);
    detsum = detleft + detright;
  } else if (detleft < 0) {
    if (detright >= 0) return sign_of(det);
    detsum = -detleft - detright;
  } else {
    return sign_of(det);
  }
  const double errbound = kCcwErrBoundA * detsum;
  if (det >= errbound || -det >= errbound) return sign_of(det);
  return orient2d_exact(a, b, c);
}

bool ring_contains(const Ring& ring, const Point& p) {
  return ring_parity(ring, p);
}

bool polygon_contains(const Polygon& poly, const Point& p) {
  if (!ring_parity(poly.outer(), p)) return false;
  for (const auto& hole : poly.inners())
    if (ring_parity(hole, p)) return false;
  return true;
}

bool multipolygon_contains(const MultiPolygon& mp, const Point& p) {
  for (const auto& poly : mp)
    if (polygon_contains(poly, p)) return true;
  return false;
}

bool on_segment(const Point& a, const Point& b, const Point& p) {
  if (p.x() < std::fmin(a.x(), b.x()) || p.x() > std::fmax(a.x(), b.x())) return false;
  if (p.y() < std::fmin(a.y(), b.y()) || p.y() > std::fmax(a.y(), b.y())) return false;
  return orient2d(a, b, p) == 0;
}

bool on_boundary(const MultiPolygon& mp, const Point& p) {
  for (const auto& poly : mp) {
    if (ring_on_boundary(poly.outer(), p)) return true;
    for (const auto& hole : poly.inners())
      if (ring_on_boundary(hole, p)) return true;
  }
  return false;
}

}  // namespace onemap::spatial
