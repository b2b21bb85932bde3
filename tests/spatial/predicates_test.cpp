// Exact orientation and the boundary rule. Oracles: exact integer arithmetic (__int128) on
// coordinates that are integer multiples of a power of two, and Boost.Geometry's within() on the
// displaced point P + (δ, δ²) for the boundary rule.
#include "spatial/predicates.hpp"
#include "tests/support/rings.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>

using namespace onemap::spatial;
using onemap::testing::closed_ring;
using onemap::testing::star_ring;

namespace {

__extension__ typedef __int128 int128;

int sign128(int128 v) {
  return (v > 0) - (v < 0);
}

// Exact orientation of integer points.
int orient_int(int64_t ax, int64_t ay, int64_t bx, int64_t by, int64_t cx, int64_t cy) {
  const int128 d =
      static_cast<int128>(bx - ax) * (cy - ay) - static_cast<int128>(by - ay) * (cx - ax);
  return sign128(d);
}

int naive_orient(const Point& a, const Point& b, const Point& c) {
  const double d = (b.x() - a.x()) * (c.y() - a.y()) - (b.y() - a.y()) * (c.x() - a.x());
  return (d > 0) - (d < 0);
}

}  // namespace

TEST(Orient2d, KettnerNearlyCollinearGrid) {
  // Kettner et al., "Classroom examples of robustness problems in geometric computations":
  // p = (0.5 + x·u, 0.5 + y·u), u = 2^-53, against q = (12, 12), r = (24, 24).
  const double u = std::ldexp(1.0, -53);
  const Point q(12, 12);
  const Point r(24, 24);
  const int64_t half = int64_t{1} << 52;
  const int64_t qi = int64_t{12} << 53;
  const int64_t ri = int64_t{24} << 53;
  int naive_wrong = 0;
  for (int x = 0; x < 256; ++x) {
    for (int y = 0; y < 256; ++y) {
      const Point p(0.5 + x * u, 0.5 + y * u);
      const int exact = orient_int(half + x, half + y, qi, qi, ri, ri);
      ASSERT_EQ(orient2d(p, q, r), exact) << x << "," << y;
      ASSERT_EQ(orient2d(q, r, p), exact);
      ASSERT_EQ(orient2d(r, p, q), exact);
      ASSERT_EQ(orient2d(q, p, r), -exact);
      ASSERT_EQ(orient2d(p, r, q), -exact);
      if (naive_orient(p, q, r) != exact) ++naive_wrong;
    }
  }
  // The naive determinant gets many of these wrong: the case really needs the exact stage.
  EXPECT_GT(naive_wrong, 1000);
}

TEST(Orient2d, RandomNearlyCollinearAtGeographicMagnitudes) {
  // Coordinates are integers times 2^-44 around (120, 30): exact in double, and the integer
  // determinant fits in 128 bits.
  const double scale = std::ldexp(1.0, -44);
  std::mt19937_64 rng(20261124);
  std::uniform_int_distribution<int64_t> lon(int64_t(119.5 / scale), int64_t(120.5 / scale));
  std::uniform_int_distribution<int64_t> lat(int64_t(30.0 / scale), int64_t(31.0 / scale));
  std::uniform_real_distribution<double> t01(-0.5, 1.5);
  std::uniform_int_distribution<int> jitter(-3, 3);
  int zeros = 0;
  int naive_wrong = 0;
  std::uniform_int_distribution<int64_t> dir(-(int64_t{1} << 20), int64_t{1} << 20);
  std::uniform_int_distribution<int64_t> steps(-(int64_t{1} << 21), int64_t{1} << 21);
  for (int i = 0; i < 200000; ++i) {
    const int64_t ax = lon(rng), ay = lat(rng);
    int64_t bx = 0, by = 0, cx = 0, cy = 0;
    if (i % 3 == 0) {
      // Exactly collinear (a, b and c on one lattice line), then possibly nudged by a few units.
      const int64_t dx = dir(rng), dy = dir(rng), m = steps(rng), k = steps(rng);
      bx = ax + m * dx;
      by = ay + m * dy;
      cx = ax + k * dx + (i % 2 == 0 ? 0 : jitter(rng));
      cy = ay + k * dy + (i % 2 == 0 ? 0 : jitter(rng));
    } else {
      bx = lon(rng);
      by = lat(rng);
      if (i % 3 == 1) {  // short edges too
        bx = ax + (bx - ax) / 1000000;
        by = ay + (by - ay) / 1000000;
      }
      const double t = t01(rng);
      cx = ax + std::llround(t * static_cast<double>(bx - ax)) + jitter(rng);
      cy = ay + std::llround(t * static_cast<double>(by - ay)) + jitter(rng);
    }
    const Point a(ax * scale, ay * scale), b(bx * scale, by * scale), c(cx * scale, cy * scale);
    const int exact = orient_int(ax, ay, bx, by, cx, cy);
    ASSERT_EQ(orient2d(a, b, c), exact) << i;
    ASSERT_EQ(orient2d(b, c, a), exact) << i;
    ASSERT_EQ(orient2d(b, a, c), -exact) << i;
    if (exact == 0) ++zeros;
    if (naive_orient(a, b, c) != exact) ++naive_wrong;
  }
  EXPECT_GT(zeros, 100);      // exact collinearity occurs and is recognised
  EXPECT_GT(naive_wrong, 0);  // and the naive formula would have failed somewhere
}

TEST(Orient2d, SimpleCases) {
  EXPECT_EQ(orient2d(Point(0, 0), Point(1, 0), Point(0, 1)), 1);
  EXPECT_EQ(orient2d(Point(0, 0), Point(0, 1), Point(1, 0)), -1);
  EXPECT_EQ(orient2d(Point(0, 0), Point(1, 1), Point(2, 2)), 0);
  EXPECT_EQ(orient2d(Point(0, 0), Point(0, 0), Point(2, 2)), 0);
  // Extreme magnitudes: (b-a)×(c-a) = -2 + 1e-600 and 2 - 1.
  EXPECT_EQ(orient2d(Point(1e-300, 0), Point(0, 1e-300), Point(1e300, 1e300)), -1);
  EXPECT_EQ(orient2d(Point(0, 0), Point(1e300, 1e300), Point(1e-300, 2e-300)), 1);
  // Collinear at the limit of precision: the middle point is exactly on the line.
  EXPECT_EQ(orient2d(Point(0.1, 0.1), Point(0.3, 0.3), Point(0.7, 0.7)), 0);
}

TEST(BoundaryRule, UnitSquareEdgesGoEastAndNorth) {
  const Ring ccw = closed_ring({{0, 0}, {1, 0}, {1, 1}, {0, 1}});
  const Ring cw = closed_ring({{0, 0}, {0, 1}, {1, 1}, {1, 0}});
  for (const Ring* r : {&ccw, &cw}) {
    EXPECT_TRUE(ring_contains(*r, Point(0.5, 0.5)));
    EXPECT_TRUE(ring_contains(*r, Point(0, 0.5)));   // west edge: the space east of it is inside
    EXPECT_FALSE(ring_contains(*r, Point(1, 0.5)));  // east edge belongs to the eastern neighbour
    EXPECT_TRUE(ring_contains(*r, Point(0.5, 0)));   // south edge: the space north is inside
    EXPECT_FALSE(ring_contains(*r, Point(0.5, 1)));  // north edge belongs to the northern neighbour
    EXPECT_TRUE(ring_contains(*r, Point(0, 0)));     // south-west corner
    EXPECT_FALSE(ring_contains(*r, Point(1, 0)));
    EXPECT_FALSE(ring_contains(*r, Point(1, 1)));
    EXPECT_FALSE(ring_contains(*r, Point(0, 1)));
    EXPECT_FALSE(ring_contains(*r, Point(-0.1, 0.5)));
    EXPECT_FALSE(ring_contains(*r, Point(0.5, 1.5)));
    EXPECT_FALSE(ring_contains(*r, Point(std::nextafter(0.0, -1.0), 0.5)));
    EXPECT_TRUE(ring_contains(*r, Point(std::nextafter(1.0, 0.0), 0.5)));
  }
  // An open ring (last vertex not repeated) gives the same answers.
  const Ring open{{0, 0}, {1, 0}, {1, 1}, {0, 1}};
  EXPECT_TRUE(ring_contains(open, Point(0, 0.5)));
  EXPECT_FALSE(ring_contains(open, Point(1, 0.5)));
  EXPECT_TRUE(ring_contains(open, Point(0.5, 0)));
}

TEST(BoundaryRule, UnitSquareTilingAssignsEveryPointOnce) {
  // Squares [i, i+1] × [j, j+1], i, j in {0, 1}: P goes to (floor x, floor y).
  std::vector<std::pair<int, Ring>> squares;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      squares.emplace_back(i * 2 + j, closed_ring({{double(i), double(j)},
                                                   {i + 1.0, double(j)},
                                                   {i + 1.0, j + 1.0},
                                                   {double(i), j + 1.0}}));
  for (double x = -0.5; x <= 2.5; x += 0.125) {
    for (double y = -0.5; y <= 2.5; y += 0.125) {
      int expected = -1;
      if (x >= 0 && x < 2 && y >= 0 && y < 2)
        expected = int(std::floor(x)) * 2 + int(std::floor(y));
      int found = -1;
      int count = 0;
      for (const auto& [id, r] : squares)
        if (ring_contains(r, Point(x, y))) {
          found = id;
          ++count;
        }
      EXPECT_EQ(found, expected) << x << "," << y;
      EXPECT_LE(count, 1);
    }
  }
}

TEST(BoundaryRule, FanAroundASharedVertexMatchesDisplacedPoint) {
  // Triangles sharing the vertex (0, 0) tile a star; lattice points including the centre, the
  // spokes and the rim are checked against bg::within at P + (δ, δ²).
  const std::vector<Point> rim{{2, 0},  {2, 1},   {0, 2},  {-1, 1},
                               {-2, 0}, {-1, -2}, {0, -1}, {1, -2}};
  std::vector<Polygon> tris;
  for (std::size_t i = 0; i < rim.size(); ++i) {
    Polygon t;
    t.outer() = closed_ring({Point(0, 0), rim[i], rim[(i + 1) % rim.size()]});
    bg::correct(t);
    tris.push_back(t);
  }
  const double delta = std::ldexp(1.0, -20);
  int on_edges = 0;
  for (double x = -2.5; x <= 2.5; x += 0.25) {
    for (double y = -2.5; y <= 2.5; y += 0.25) {
      const Point p(x, y);
      const Point displaced(x + delta, y + delta * delta);
      int count = 0;
      for (std::size_t k = 0; k < tris.size(); ++k) {
        const bool got = polygon_contains(tris[k], p);
        ASSERT_EQ(bg::within(displaced, tris[k]),
                  bg::covered_by(displaced, tris[k]));  // not on an edge
        EXPECT_EQ(got, bg::within(displaced, tris[k])) << x << "," << y << " tri " << k;
        count += got;
        if (bg::covered_by(p, tris[k]) && !bg::within(p, tris[k])) ++on_edges;
      }
      EXPECT_LE(count, 1);
    }
  }
  EXPECT_GT(on_edges, 20);
  // The centre goes to the triangle holding the direction just above +x: (0,0),(2,0),(2,1).
  EXPECT_TRUE(polygon_contains(tris[0], Point(0, 0)));
}

TEST(BoundaryRule, HolesFollowTheSameRule) {
  Polygon poly;
  poly.outer() = closed_ring({{0, 0}, {4, 0}, {4, 4}, {0, 4}});
  poly.inners().push_back(closed_ring({{1, 1}, {1, 3}, {3, 3}, {3, 1}}));
  EXPECT_TRUE(polygon_contains(poly, Point(0.5, 0.5)));
  EXPECT_FALSE(polygon_contains(poly, Point(2, 2)));
  EXPECT_FALSE(
      polygon_contains(poly, Point(1, 2)));  // west edge of the hole: east of it is the hole
  EXPECT_TRUE(
      polygon_contains(poly, Point(3, 2)));  // east edge of the hole: east of it is the polygon
  EXPECT_FALSE(polygon_contains(poly, Point(2, 1)));  // south edge of the hole: north is the hole
  EXPECT_TRUE(polygon_contains(poly, Point(2, 3)));   // north edge of the hole
  // The island filling the hole takes exactly the points the polygon gave up.
  Polygon island;
  island.outer() = closed_ring({{1, 1}, {3, 1}, {3, 3}, {1, 3}});
  for (double x = 0; x < 4; x += 0.5) {
    for (double y = 0; y < 4; y += 0.5) {
      EXPECT_NE(polygon_contains(poly, Point(x, y)), polygon_contains(island, Point(x, y)))
          << x << "," << y;
    }
  }
}

TEST(BoundaryRule, MultiPolygon) {
  Polygon a;
  a.outer() = closed_ring({{0, 0}, {1, 0}, {1, 1}, {0, 1}});
  Polygon b;
  b.outer() = closed_ring({{2, 0}, {3, 0}, {3, 1}, {2, 1}});
  const MultiPolygon mp{a, b};
  EXPECT_TRUE(multipolygon_contains(mp, Point(0.5, 0.5)));
  EXPECT_TRUE(multipolygon_contains(mp, Point(2.5, 0.5)));
  EXPECT_TRUE(multipolygon_contains(mp, Point(2, 0.5)));
  EXPECT_FALSE(multipolygon_contains(mp, Point(1.5, 0.5)));
  EXPECT_FALSE(multipolygon_contains(mp, Point(1, 0.5)));
  EXPECT_FALSE(multipolygon_contains(MultiPolygon{}, Point(0, 0)));
}

TEST(BoundaryRule, AgreesWithBoostAwayFromTheBoundary) {
  // A star-shaped polygon with random double vertices; random points are never on its boundary.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> radius(0.3, 1.0);
  Polygon star;
  star.outer() = star_ring(200, [&](double) { return radius(rng); });
  bg::correct(star);
  std::uniform_real_distribution<double> ux(118.9, 121.1), uy(28.9, 31.1);
  for (int i = 0; i < 100000; ++i) {
    const Point p(ux(rng), uy(rng));
    ASSERT_EQ(ring_contains(star.outer(), p), bg::within(p, star)) << i;
  }
}

TEST(OnSegment, ExactWithItsEndsAndNotBeyond) {
  const Point a(0, 0), b(3, 1);
  EXPECT_TRUE(on_segment(a, b, a));
  EXPECT_TRUE(on_segment(a, b, b));
  EXPECT_TRUE(on_segment(a, b, Point(1.5, 0.5)));
  EXPECT_TRUE(on_segment(b, a, Point(0.75, 0.25)));
  EXPECT_FALSE(on_segment(a, b, Point(1.5, std::nextafter(0.5, 1.0))));
  EXPECT_FALSE(on_segment(a, b, Point(6, 2)));  // on its line, beyond it
  EXPECT_FALSE(on_segment(a, b, Point(-3, -1)));
}

TEST(OnBoundary, ExactOnSlantedEdges) {
  Polygon tri;
  tri.outer() = closed_ring({{0, 0}, {3, 1}, {0, 2}});
  const MultiPolygon mp{tri};
  EXPECT_TRUE(on_boundary(mp, Point(0, 0)));
  EXPECT_TRUE(on_boundary(mp, Point(1.5, 0.5)));
  EXPECT_TRUE(on_boundary(mp, Point(0, 1)));
  EXPECT_TRUE(on_boundary(mp, Point(0.75, 0.25)));
  EXPECT_FALSE(on_boundary(mp, Point(1.5, std::nextafter(0.5, 1.0))));
  EXPECT_FALSE(on_boundary(mp, Point(1.5, std::nextafter(0.5, 0.0))));
  EXPECT_FALSE(on_boundary(mp, Point(1, 1)));
  EXPECT_FALSE(on_boundary(mp, Point(6, 2)));  // on the edge's line, beyond the segment
  // A hole's boundary counts too.
  Polygon holed;
  holed.outer() = closed_ring({{0, 0}, {4, 0}, {4, 4}, {0, 4}});
  holed.inners().push_back(closed_ring({{1, 1}, {1, 3}, {3, 3}, {3, 1}}));
  EXPECT_TRUE(on_boundary(MultiPolygon{holed}, Point(2, 3)));
  EXPECT_FALSE(on_boundary(MultiPolygon{holed}, Point(2, 2)));
}
