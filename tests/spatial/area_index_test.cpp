// AreaIndex against Boost.Geometry's covered_by and intersects (brute force over every vertex) on
// random star-shaped areas with holes and second parts, up to 10,000 vertices. Vertices lie on a
// lattice of 2^-20 degrees, so that the points at k/8 along every edge are exactly on it (and
// Boost's determinant is exact for them too); points are random doubles, every vertex and points
// on every edge. The areas tested against are small boxes and stars, some with a corner on a
// vertex of the area (touching only).
#include "spatial/area_index.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

using namespace onemap::spatial;

namespace {

constexpr double kU = 1.0 / (1 << 20);  // lattice unit, degrees
constexpr double kPi = 3.14159265358979323846;

double snap(double v) {
  return std::round(v / kU) * kU;
}

// A star-shaped ring around (cx, cy) with `n` vertices at radii in [r0, r1] (simple: the angles
// increase), counter-clockwise unless `clockwise`.
Ring star(std::mt19937_64& rng, double cx, double cy, double r0, double r1, int n, bool clockwise) {
  std::uniform_real_distribution<double> radius(r0, r1);
  Ring r;
  for (int k = 0; k < n; ++k) {
    const double a = 2 * kPi * k / n;
    const double d = radius(rng);
    r.push_back(Point(snap(cx + d * std::cos(a)), snap(cy + d * std::sin(a))));
  }
  if (clockwise) std::reverse(r.begin(), r.end());
  r.push_back(r.front());
  return r;
}

// A polygon of `n` vertices around (120.1, 30.1) with a hole, and a second part beside it.
MultiPolygon random_area(std::mt19937_64& rng, int n) {
  MultiPolygon mp;
  mp.resize(2);
  mp[0].outer() = star(rng, 120.1, 30.1, 0.05, 0.09, n, false);
  mp[0].inners().push_back(star(rng, 120.1, 30.1, 0.01, 0.03, std::max(3, n / 10), true));
  mp[1].outer() = star(rng, 120.25, 30.1, 0.02, 0.04, std::max(3, n / 4), false);
  bg::correct(mp);
  std::string reason;
  EXPECT_TRUE(bg::is_valid(mp, reason)) << reason;
  return mp;
}

std::vector<Point> test_points(std::mt19937_64& rng, const MultiPolygon& mp,
                               std::size_t random_count) {
  std::vector<Point> pts;
  const Box b = envelope(mp);
  std::uniform_real_distribution<double> x(b.min_corner().x() - 0.01, b.max_corner().x() + 0.01);
  std::uniform_real_distribution<double> y(b.min_corner().y() - 0.01, b.max_corner().y() + 0.01);
  for (std::size_t i = 0; i < random_count; ++i) pts.emplace_back(x(rng), y(rng));
  auto ring = [&](const Ring& r) {
    for (std::size_t i = 1; i < r.size(); i += 7) {  // every 7th edge: vertices and points along it
      pts.push_back(r[i]);
      for (int k = 1; k < 8; ++k)
        pts.emplace_back(r[i - 1].x() + (r[i].x() - r[i - 1].x()) * k / 8,
                         r[i - 1].y() + (r[i].y() - r[i - 1].y()) * k / 8);
    }
  };
  for (const auto& poly : mp) {
    ring(poly.outer());
    for (const auto& h : poly.inners()) ring(h);
  }
  return pts;
}

void expect_covers_like_boost(const MultiPolygon& mp, const std::vector<Point>& pts) {
  const AreaIndex index(mp);
  std::size_t inside = 0, mismatches = 0;
  for (const Point& p : pts) {
    const bool want = bg::covered_by(p, mp);
    inside += want;
    if (index.covers(p) != want && ++mismatches <= 5)
      ADD_FAILURE() << "covers(" << p.x() << ", " << p.y() << ") != " << want;
  }
  EXPECT_EQ(mismatches, 0u);
  EXPECT_GT(inside, pts.size() / 10);  // the test means something
}

}  // namespace

TEST(AreaIndex, CoversMatchesBoostOnRandomAreas) {
  std::mt19937_64 rng(7);
  for (int n : {3, 4, 10, 57, 400, 2000}) {
    for (int rep = 0; rep < 3; ++rep) {
      const MultiPolygon mp = random_area(rng, n);
      expect_covers_like_boost(mp, test_points(rng, mp, 3000));
    }
  }
}

TEST(AreaIndex, CoversRectilinearEdgesAndVertices) {
  // Horizontal and vertical edges: their points, vertices and the space around them.
  MultiPolygon mp;
  mp.resize(1);
  mp[0].outer() = {{0, 0}, {4, 0}, {4, 1}, {2, 1}, {2, 3}, {4, 3}, {4, 4}, {0, 4}, {0, 0}};
  mp[0].inners().push_back({{0.5, 0.5}, {0.5, 3.5}, {1.5, 3.5}, {1.5, 0.5}, {0.5, 0.5}});
  bg::correct(mp);
  std::vector<Point> pts;
  for (int i = -2; i <= 18; ++i)
    for (int j = -2; j <= 18; ++j) pts.emplace_back(i * 0.25, j * 0.25);
  expect_covers_like_boost(mp, pts);
}

TEST(AreaIndex, IntersectsMatchesBoost) {
  std::mt19937_64 rng(11);
  for (int n : {5, 60, 1000, 10000}) {
    const MultiPolygon mp = random_area(rng, n);
    const AreaIndex index(mp);
    const Box b = envelope(mp);
    std::uniform_real_distribution<double> x(b.min_corner().x() - 0.02, b.max_corner().x() + 0.02);
    std::uniform_real_distribution<double> y(b.min_corner().y() - 0.02, b.max_corner().y() + 0.02);
    std::uniform_real_distribution<double> size(0.0005, 0.03);
    std::vector<MultiPolygon> others;
    for (int k = 0; k < 300; ++k) {
      MultiPolygon o;
      o.resize(1);
      if (k % 3 == 0) {
        const double x0 = snap(x(rng)), y0 = snap(y(rng)), w = snap(size(rng)), h = snap(size(rng));
        bg::convert(Box({x0, y0}, {x0 + w, y0 + h}), o[0]);
      } else {
        o[0].outer() = star(rng, x(rng), y(rng), 0.001, size(rng) + 0.001, 12, false);
      }
      others.push_back(o);
    }
    // Boxes with a corner on a vertex of the area, pointing away from it: they touch it only.
    const Ring& outer = mp[0].outer();
    for (std::size_t i = 0; i + 1 < outer.size();
         i += std::max<std::size_t>(1, outer.size() / 40)) {
      const Point v = outer[i];
      const double dx = v.x() >= 120.1 ? 0.001 : -0.001, dy = v.y() >= 30.1 ? 0.001 : -0.001;
      MultiPolygon o;
      o.resize(1);
      bg::convert(Box({std::min(v.x(), v.x() + dx), std::min(v.y(), v.y() + dy)},
                      {std::max(v.x(), v.x() + dx), std::max(v.y(), v.y() + dy)}),
                  o[0]);
      bg::correct(o);
      others.push_back(o);
    }
    // Boxes around the whole area and inside its hole.
    MultiPolygon all, hole;
    all.resize(1);
    hole.resize(1);
    bg::convert(Box({b.min_corner().x() - 1, b.min_corner().y() - 1},
                    {b.max_corner().x() + 1, b.max_corner().y() + 1}),
                all[0]);
    bg::convert(Box({120.099, 30.099}, {120.101, 30.101}), hole[0]);
    others.push_back(all);
    others.push_back(hole);
    std::size_t meeting = 0;
    for (auto& o : others) {
      bg::correct(o);
      const bool want = bg::intersects(mp, o);
      meeting += want;
      EXPECT_EQ(index.intersects(o), want) << n << ": " << bg::wkt(o);
    }
    EXPECT_GT(meeting, others.size() / 10);
    EXPECT_LT(meeting, others.size());
  }
}

TEST(AreaIndex, TenThousandVerticesCostMilliseconds) {
  // Against Boost's covered_by of every point: the same answers, and the time of both (printed).
  std::mt19937_64 rng(3);
  const MultiPolygon mp = random_area(rng, 10000);
  const std::vector<Point> pts = test_points(rng, mp, 20000);
  const auto t0 = std::chrono::steady_clock::now();
  const AreaIndex index(mp);
  std::size_t a = 0;
  for (const Point& p : pts) a += index.covers(p);
  const auto t1 = std::chrono::steady_clock::now();
  std::size_t b = 0;
  for (const Point& p : pts) b += bg::covered_by(p, mp);
  const auto t2 = std::chrono::steady_clock::now();
  EXPECT_EQ(a, b);
  const double indexed = std::chrono::duration<double>(t1 - t0).count();
  const double brute = std::chrono::duration<double>(t2 - t1).count();
  std::printf(
      "[ bench    ] %zu points in a %zu-vertex area: indexed %.2f ms (with the build), Boost %.1f "
      "ms\n",
      pts.size(), bg::num_points(mp), indexed * 1e3, brute * 1e3);
  EXPECT_LT(indexed, brute);
}
