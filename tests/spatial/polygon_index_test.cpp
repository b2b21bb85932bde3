// PolygonIndex against brute force over every polygon with Boost.Geometry as the independent
// method. The fixture is a tiling of ~1,200 polygons: a 40×30 lattice of quads with jittered
// interior vertices, some pairs merged, some cells with a hole filled by an island (some islands
// are a second part of another polygon's multipolygon) and one hole left empty (a "lake"). All
// vertices lie on a lattice of 2^-10 degrees, so points at k/8 along every edge are exactly on the
// edge; points are random doubles, random 2^-13 lattice points, every vertex and 7 points on every
// edge (>100k). The boundary rule is checked against a displaced point P + (a, b) with Boost's
// within(): in a local frame where the 2^-13 lattice becomes the integers (an exact change of
// coordinates), a = 2^-8 is far closer to P than any edge not through P (≥ 2^-4.7) and b = 2^-24
// is so small against a that only horizontal edges through P see it, exactly like (ε, ε²).
#include "spatial/polygon_index.hpp"
#include "spatial/predicates.hpp"
#include "tests/support/rings.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <thread>

using namespace onemap::spatial;
using onemap::testing::closed_ring;
using onemap::testing::star_ring;

namespace {

constexpr double kU = 1.0 / 1024;  // lattice unit, 2^-10 degrees
constexpr double kCell = 16 * kU;
constexpr int kNx = 40;
constexpr int kNy = 30;
constexpr double kX0 = 119.75;
constexpr double kY0 = 30.25;
constexpr double kX1 = kX0 + kNx * kCell;
constexpr double kY1 = kY0 + kNy * kCell;
constexpr double kScale = 8192.0;            // degrees → local lattice units (2^13)
constexpr double kShiftA = 1.0 / 256;        // 2^-8 lattice units east
constexpr double kShiftB = 1.0 / (1 << 24);  // 2^-24 lattice units north
constexpr double kR = 6371008.8;
constexpr double kDeg = 3.14159265358979323846 / 180.0;

struct Fixture {
  std::vector<MultiPolygon> polys;
  std::vector<MultiPolygon> local;  // polys in the exact local lattice frame
  std::vector<Box> boxes;
  std::vector<Box> local_boxes;
  Box lake;  // the empty hole: P' inside it belongs to no polygon
  std::vector<Point> points;
  std::vector<char> exact_lattice;  // point is on the 2^-13 lattice (boundary oracle applies)
  std::unique_ptr<PolygonIndex> index;
};

Fixture* fx = nullptr;

// Exact: both coordinates are multiples of 2^-13 near the origin, the result is an integer-valued
// or finer double far below 2^53.
Point to_lattice(const Point& p) {
  return Point((p.x() - kX0) * kScale, (p.y() - kY0) * kScale);
}

void build_fixture(Fixture& f) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int> jit(-4, 4);
  std::vector<std::vector<Point>> v(kNx + 1, std::vector<Point>(kNy + 1));
  for (int i = 0; i <= kNx; ++i)
    for (int j = 0; j <= kNy; ++j) {
      const bool interior = i > 0 && i < kNx && j > 0 && j < kNy;
      v[i][j] = Point(kX0 + i * kCell + (interior ? jit(rng) * kU : 0),
                      kY0 + j * kCell + (interior ? jit(rng) * kU : 0));
    }
  auto merged_left = [](int i, int j) { return i % 7 == 3 && j % 5 == 2 && i + 1 < kNx; };
  auto merged = [&](int i, int j) { return merged_left(i, j) || (i > 0 && merged_left(i - 1, j)); };
  std::map<std::pair<int, int>, std::size_t> id_of;
  for (int j = 0; j < kNy; ++j) {
    for (int i = 0; i < kNx; ++i) {
      if (i > 0 && merged_left(i - 1, j)) {
        id_of[{i, j}] = id_of[{i - 1, j}];
        continue;
      }
      Polygon p;
      if (merged_left(i, j))
        p.outer() = closed_ring(
            {v[i][j], v[i + 1][j], v[i + 2][j], v[i + 2][j + 1], v[i + 1][j + 1], v[i][j + 1]});
      else
        p.outer() = closed_ring({v[i][j], v[i + 1][j], v[i + 1][j + 1], v[i][j + 1]});
      id_of[{i, j}] = f.polys.size();
      f.polys.push_back(MultiPolygon{p});
    }
  }
  int hole_count = 0;
  for (int j = 0; j < kNy; ++j) {
    for (int i = 0; i < kNx; ++i) {
      if (i % 6 != 1 || j % 4 != 1 || merged(i, j)) continue;
      const double x = kX0 + i * kCell + 6 * kU;
      const double y = kY0 + j * kCell + 6 * kU;
      const double s = 4 * kU;
      Polygon& holder = f.polys[id_of[{i, j}]][0];
      holder.inners().push_back(
          closed_ring({{x, y}, {x, y + s}, {x + s, y + s}, {x + s, y}}));  // clockwise
      if (i == 13 && j == 13) {
        f.lake = Box(Point(x, y), Point(x + s, y + s));
        continue;
      }
      Polygon island;
      island.outer() = closed_ring({{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}});
      if (++hole_count % 2 == 1 && j + 1 < kNy)
        f.polys[id_of[{i, j + 1}]].push_back(island);  // a multipolygon with two disjoint parts
      else
        f.polys.push_back(MultiPolygon{island});
    }
  }
  for (const auto& mp : f.polys) {
    f.boxes.push_back(envelope(mp));
    MultiPolygon l = mp;
    for (auto& poly : l) {
      for (auto& q : poly.outer()) q = to_lattice(q);
      for (auto& h : poly.inners())
        for (auto& q : h) q = to_lattice(q);
    }
    f.local_boxes.push_back(envelope(l));
    f.local.push_back(std::move(l));
  }

  // Points.
  auto add = [&](Point p, bool lattice) {
    f.points.push_back(p);
    f.exact_lattice.push_back(lattice);
  };
  for (const auto& mp : f.polys)
    for (const auto& poly : mp) {
      std::vector<const Ring*> rings{&poly.outer()};
      for (const auto& h : poly.inners()) rings.push_back(&h);
      for (const Ring* r : rings)
        for (std::size_t k = 0; k + 1 < r->size(); ++k) {
          const Point a = (*r)[k];
          const Point b = (*r)[k + 1];
          add(a, true);
          for (int t = 1; t < 8; ++t)
            add(Point(a.x() + (b.x() - a.x()) * t / 8.0, a.y() + (b.y() - a.y()) * t / 8.0), true);
        }
    }
  const double mx = 0.05 * (kX1 - kX0);
  const double my = 0.05 * (kY1 - kY0);
  std::uniform_int_distribution<int64_t> lx(std::llround((kX0 - mx) * 8192),
                                            std::llround((kX1 + mx) * 8192));
  std::uniform_int_distribution<int64_t> ly(std::llround((kY0 - my) * 8192),
                                            std::llround((kY1 + my) * 8192));
  for (int k = 0; k < 15000; ++k) add(Point(lx(rng) / 8192.0, ly(rng) / 8192.0), true);
  std::uniform_real_distribution<double> ux(kX0 - mx, kX1 + mx);
  std::uniform_real_distribution<double> uy(kY0 - my, kY1 + my);
  for (int k = 0; k < 55000; ++k) add(Point(ux(rng), uy(rng)), false);

  f.index = std::make_unique<PolygonIndex>(f.polys);
}

bool box_has(const Box& b, const Point& p) {
  return p.x() >= b.min_corner().x() && p.x() <= b.max_corner().x() &&
         p.y() >= b.min_corner().y() && p.y() <= b.max_corner().y();
}

// Half-open test of P' = P + (ε, ε²) inside an axis-aligned box.
bool displaced_in(const Box& b, const Point& p) {
  return p.x() >= b.min_corner().x() && p.x() < b.max_corner().x() && p.y() >= b.min_corner().y() &&
         p.y() < b.max_corner().y();
}

// A multipolygon in local metres around p (equirectangular at p's latitude).
MultiPolygon to_local(const MultiPolygon& mp, const Point& p) {
  const double kx = std::cos(p.y() * kDeg) * kR * kDeg;
  const double ky = kR * kDeg;
  MultiPolygon out = mp;
  for (auto& poly : out) {
    for (auto& q : poly.outer()) q = Point((q.x() - p.x()) * kx, (q.y() - p.y()) * ky);
    for (auto& h : poly.inners())
      for (auto& q : h) q = Point((q.x() - p.x()) * kx, (q.y() - p.y()) * ky);
  }
  return out;
}

double box_distance_m(const Box& b, const Point& p) {
  const double kx = std::cos(p.y() * kDeg) * kR * kDeg;
  const double ky = kR * kDeg;
  const double dx = std::max({b.min_corner().x() - p.x(), 0.0, p.x() - b.max_corner().x()}) * kx;
  const double dy = std::max({b.min_corner().y() - p.y(), 0.0, p.y() - b.max_corner().y()}) * ky;
  return std::hypot(dx, dy);
}

class PolygonIndexTiling : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fx = new Fixture;
    build_fixture(*fx);
  }
  static void TearDownTestSuite() {
    delete fx;
    fx = nullptr;
  }
};

}  // namespace

TEST_F(PolygonIndexTiling, FixtureIsLargeEnough) {
  EXPECT_GE(fx->polys.size(), 1000u);
  EXPECT_GE(fx->points.size(), 100000u);
  EXPECT_EQ(fx->index->size(), fx->polys.size());
  int multi = 0;
  int holed = 0;
  for (const auto& mp : fx->polys) {
    multi += mp.size() > 1;
    holed += !mp[0].inners().empty();
    std::string reason;
    ASSERT_TRUE(bg::is_valid(mp, reason)) << reason;
  }
  EXPECT_GT(multi, 10);
  EXPECT_GT(holed, 30);
}

TEST_F(PolygonIndexTiling, LocateAgreesWithBruteForce) {
  const Point lake_probe(fx->lake.min_corner().x(), fx->lake.min_corner().y());
  ASSERT_TRUE(displaced_in(fx->lake, lake_probe));
  std::size_t boundary_points = 0;
  std::size_t displaced_checks = 0;
  for (std::size_t n = 0; n < fx->points.size(); ++n) {
    const Point& p = fx->points[n];
    std::vector<int32_t> covered;
    std::vector<int32_t> within;
    for (std::size_t k = 0; k < fx->polys.size(); ++k) {
      if (!box_has(fx->boxes[k], p)) continue;
      if (bg::covered_by(p, fx->polys[k])) covered.push_back(int32_t(k));
      if (bg::within(p, fx->polys[k])) within.push_back(int32_t(k));
    }
    const int32_t got = fx->index->locate({p.x(), p.y()});
    const std::vector<int32_t> all = fx->index->locate_all({p.x(), p.y()});
    ASSERT_EQ(got, all.empty() ? -1 : all.front()) << n;

    // Every point whose displaced point is inside the tiling gets exactly one polygon.
    const bool inside_tiling =
        displaced_in(Box(Point(kX0, kY0), Point(kX1, kY1)), p) && !displaced_in(fx->lake, p);
    ASSERT_EQ(all.size(), inside_tiling ? 1u : 0u) << n << " (" << p.x() << ", " << p.y() << ")";

    if (got >= 0) {
      ASSERT_TRUE(std::find(covered.begin(), covered.end(), got) != covered.end()) << n;
      ASSERT_TRUE(multipolygon_contains(fx->polys[std::size_t(got)], p)) << n;
    } else {
      ASSERT_TRUE(within.empty()) << n;
    }
    if (!within.empty()) {
      ASSERT_EQ(within.size(), 1u) << n;
      ASSERT_EQ(got, within.front()) << n;
    }
    if (!covered.empty() && within.empty()) ++boundary_points;

    if (fx->exact_lattice[n]) {
      const Point l = to_lattice(p);
      ASSERT_EQ(l.x(), std::round(l.x()));  // really on the lattice
      ASSERT_EQ(l.y(), std::round(l.y()));
      const Point d(l.x() + kShiftA, l.y() + kShiftB);
      ASSERT_EQ(d.x() - l.x(), kShiftA);  // exactly representable
      ASSERT_EQ(d.y() - l.y(), kShiftB);
      int32_t expected = -1;
      for (std::size_t k = 0; k < fx->local.size(); ++k) {
        if (!box_has(fx->local_boxes[k], d)) continue;
        const bool w = bg::within(d, fx->local[k]);
        ASSERT_EQ(w, bg::covered_by(d, fx->local[k])) << "displaced point on a boundary: " << n;
        if (w) {
          ASSERT_EQ(expected, -1) << n;
          expected = int32_t(k);
        }
      }
      ASSERT_EQ(got, expected) << n << " (" << p.x() << ", " << p.y() << ")";
      ++displaced_checks;
    }
  }
  // The test exercises the boundary rule heavily, not just interiors.
  EXPECT_GT(boundary_points, 30000u);
  EXPECT_GT(displaced_checks, 45000u);
}

TEST_F(PolygonIndexTiling, NearestAgreesWithBruteForce) {
  std::mt19937_64 rng(99);
  std::vector<Point> probes;
  std::uniform_real_distribution<double> ux(kX0 - 0.02, kX1 + 0.02), uy(kY0 - 0.02, kY1 + 0.02);
  while (probes.size() < 3000) {
    const Point p(ux(rng), uy(rng));
    if (!displaced_in(Box(Point(kX0, kY0), Point(kX1, kY1)), p)) probes.push_back(p);
  }
  std::uniform_real_distribution<double> lx(fx->lake.min_corner().x(), fx->lake.max_corner().x());
  std::uniform_real_distribution<double> ly(fx->lake.min_corner().y(), fx->lake.max_corner().y());
  for (int k = 0; k < 300; ++k) probes.emplace_back(lx(rng), ly(rng));
  // Points on the tiling's north and east edges belong to no polygon but are at distance 0.
  for (int k = 1; k < kNx; k += 3) probes.emplace_back(kX0 + k * kCell, kY1);
  for (int k = 1; k < kNy; k += 3) probes.emplace_back(kX1, kY0 + k * kCell + 3 * kU);

  const double max_m = 800.0;
  int found = 0;
  int not_found = 0;
  for (const Point& p : probes) {
    double best = std::numeric_limits<double>::infinity();
    std::vector<double> dist(fx->polys.size(), std::numeric_limits<double>::infinity());
    for (std::size_t k = 0; k < fx->polys.size(); ++k) {
      if (box_distance_m(fx->boxes[k], p) > max_m + 1.0) continue;
      dist[k] = bg::distance(Point(0, 0), to_local(fx->polys[k], p));
      best = std::min(best, dist[k]);
    }
    const auto got = fx->index->nearest({p.x(), p.y()}, max_m);
    if (best > max_m + 1e-6) {
      EXPECT_EQ(got.index, -1) << p.x() << "," << p.y();
      ++not_found;
      continue;
    }
    if (best > max_m - 1e-6) continue;  // too close to the limit to judge
    ++found;
    ASSERT_GE(got.index, 0) << p.x() << "," << p.y();
    EXPECT_NEAR(got.distance_m, best, 1e-6);
    EXPECT_NEAR(dist[std::size_t(got.index)], best, 1e-6);
    for (int32_t k = 0; k < got.index; ++k)  // ties go to the lowest index
      EXPECT_GT(dist[std::size_t(k)], best + 1e-7)
          << "lower index " << k << " is as near as " << got.index;
  }
  EXPECT_GT(found, 1000);
  EXPECT_GT(not_found, 300);
}

TEST_F(PolygonIndexTiling, NearestOfAContainedPointIsItsPolygonAtZero) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> ux(kX0, kX1), uy(kY0, kY1);
  for (int k = 0; k < 2000; ++k) {
    const LonLat p{ux(rng), uy(rng)};
    const int32_t in = fx->index->locate(p);
    if (in < 0) continue;
    const auto near = fx->index->nearest(p, 100.0);
    EXPECT_EQ(near.index, in);
    EXPECT_EQ(near.distance_m, 0.0);
  }
}

TEST_F(PolygonIndexTiling, QueryBoxAgreesWithBruteForce) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> ux(kX0 - 0.05, kX1 + 0.05), uy(kY0 - 0.05, kY1 + 0.05);
  std::uniform_real_distribution<double> size(0.0, 0.1);
  for (int n = 0; n < 500; ++n) {
    const double x = ux(rng), y = uy(rng);
    const Box q(Point(x, y), Point(x + size(rng), y + size(rng)));
    std::vector<int32_t> expected;
    for (std::size_t k = 0; k < fx->boxes.size(); ++k)
      if (bg::intersects(q, fx->boxes[k])) expected.push_back(int32_t(k));
    EXPECT_EQ(fx->index->query_box(q), expected);
  }
}

TEST_F(PolygonIndexTiling, ConcurrentQueriesAgreeWithSequentialOnes) {
  std::vector<int32_t> expected;
  for (const Point& p : fx->points) expected.push_back(fx->index->locate({p.x(), p.y()}));
  std::vector<int32_t> a(fx->points.size()), b(fx->points.size());
  auto run = [&](std::vector<int32_t>& out, bool reverse) {
    for (std::size_t k = 0; k < fx->points.size(); ++k) {
      const std::size_t n = reverse ? fx->points.size() - 1 - k : k;
      out[n] = fx->index->locate({fx->points[n].x(), fx->points[n].y()});
    }
  };
  std::thread t1(run, std::ref(a), false);
  std::thread t2(run, std::ref(b), true);
  t1.join();
  t2.join();
  EXPECT_EQ(a, expected);
  EXPECT_EQ(b, expected);
}

TEST(PolygonIndex, BandsMatchTheDirectPredicateOnAManyVertexPolygon) {
  // A wiggly star with 6,000 vertices on a 2^-20 lattice and two holes: the banded test must
  // give exactly what multipolygon_contains gives, on vertices, edges and random points.
  const double q = 1.0 / (1 << 20);
  auto snap = [q](double v) { return std::round(v / q) * q; };
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> wob(0.0, 0.05);
  Polygon star;
  star.outer() = star_ring(
      6000, [&](double a) { return 0.3 + 0.1 * std::sin(7 * a) + wob(rng); }, snap);
  star.inners().push_back(
      closed_ring({{120.0, 30.0}, {120.0, 30.05}, {120.05, 30.05}, {120.05, 30.0}}));
  star.inners().push_back(closed_ring({{119.9, 29.95}, {119.9, 29.97}, {119.95, 29.96}}));
  bg::correct(star);
  const MultiPolygon mp{star};
  const PolygonIndex index(std::vector<MultiPolygon>{MultiPolygon{}, mp});
  std::vector<Point> pts;
  for (std::size_t k = 0; k + 1 < star.outer().size(); ++k) {
    const Point a = star.outer()[k], b = star.outer()[k + 1];
    pts.push_back(a);
    pts.emplace_back((a.x() + b.x()) / 2, (a.y() + b.y()) / 2);
    pts.emplace_back(a.x(), b.y());
  }
  std::uniform_real_distribution<double> ux(119.5, 120.5), uy(29.5, 30.5);
  for (int k = 0; k < 60000; ++k) pts.emplace_back(ux(rng), uy(rng));
  int inside = 0;
  for (const Point& p : pts) {
    const bool expect = multipolygon_contains(mp, p);
    ASSERT_EQ(index.locate({p.x(), p.y()}), expect ? 1 : -1) << p.x() << "," << p.y();
    inside += expect;
  }
  EXPECT_GT(inside, 10000);
}

TEST(PolygonIndex, EmptyAndDegenerateInputs) {
  const PolygonIndex empty;
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(empty.locate({120, 30}), -1);
  EXPECT_TRUE(empty.locate_all({120, 30}).empty());
  EXPECT_EQ(empty.nearest({120, 30}, 1000).index, -1);
  EXPECT_TRUE(empty.query_box(Box(Point(0, 0), Point(200, 90))).empty());

  Polygon sq;
  sq.outer() = closed_ring({{120, 30}, {120.01, 30}, {120.01, 30.01}, {120, 30.01}});
  const PolygonIndex idx(
      std::vector<MultiPolygon>{MultiPolygon{}, MultiPolygon{sq}, MultiPolygon{sq}});
  EXPECT_EQ(idx.size(), 3u);
  EXPECT_EQ(idx.locate({120.005, 30.005}), 1);  // overlapping duplicates: lowest index
  EXPECT_EQ(idx.locate_all({120.005, 30.005}), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(idx.locate({std::nan(""), 30.0}), -1);
  // 0.001° of latitude east of the square is ~111 m; of longitude ~95.9 m at 30°N.
  const auto near = idx.nearest({120.011, 30.005}, 200);
  EXPECT_EQ(near.index, 1);
  EXPECT_NEAR(near.distance_m, 0.001 * std::cos(30.005 * kDeg) * kR * kDeg, 1e-6);
  EXPECT_EQ(idx.nearest({120.011, 30.005}, 50).index, -1);
}

TEST_F(PolygonIndexTiling, LocateManyAgreesWithLocate) {
  std::vector<LonLat> pts;
  for (const Point& p : fx->points) pts.push_back({p.x(), p.y()});
  pts.push_back({std::nan(""), 30.3});
  pts.push_back({120.0, INFINITY});
  std::vector<int32_t> expected;
  for (const LonLat& p : pts) expected.push_back(fx->index->locate(p));
  for (unsigned threads : {1u, 3u, 0u}) {
    std::vector<int32_t> got(pts.size(), -7);
    fx->index->locate_many(pts, got, threads);
    ASSERT_EQ(got, expected) << threads << " threads";
  }
  // Strided: the location member of an array of records.
  struct Record {
    char before[40];
    LonLat location;
    int tail;
  };
  std::vector<Record> records(pts.size());
  for (std::size_t k = 0; k < pts.size(); ++k) records[k].location = pts[k];
  std::vector<int32_t> got(pts.size(), -7);
  fx->index->locate_many(&records[0].location, records.size(), sizeof(Record), got.data());
  EXPECT_EQ(got, expected);
  std::vector<int32_t> wrong_size(3);
  EXPECT_THROW(fx->index->locate_many(pts, wrong_size), std::invalid_argument);
}

TEST(PolygonIndex, OverlappingPolygonsGoToTheLowestIndexEverywhere) {
  // Overlapping polygons of every size (a few cover most of the extent, some with holes) in
  // random order: wherever several contain a point, locate() must give the lowest index, also
  // in raster cells that a large polygon covers whole while smaller ones' edges cross them.
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<MultiPolygon> polys;
  for (int k = 0; k < 400; ++k) {
    const double size = k % 40 == 0 ? 0.6 + 0.3 * u(rng) : 0.005 + 0.05 * u(rng);
    const double cx = 120 + u(rng), cy = 30 + u(rng);
    Polygon p;
    const int n = 3 + static_cast<int>(u(rng) * 12);
    for (int i = 0; i < n; ++i) {  // a star-shaped polygon around (cx, cy)
      const double a = 2 * 3.14159265358979323846 * (i + 0.5 * u(rng)) / n;
      const double r = size * (0.5 + 0.5 * u(rng));
      p.outer().emplace_back(cx + r * std::cos(a), cy + r * std::sin(a));
    }
    p.outer().push_back(p.outer().front());
    if (size > 0.5)
      p.inners().push_back(closed_ring({{cx - 0.05, cy - 0.05},
                                        {cx - 0.05, cy + 0.05},
                                        {cx + 0.05, cy + 0.05},
                                        {cx + 0.05, cy - 0.05}}));
    bg::correct(p);
    polys.push_back(MultiPolygon{p});
  }
  const PolygonIndex index(polys);
  std::vector<Box> boxes;
  for (const auto& mp : polys) {  // the outer ring's extent (holes lie inside it)
    Box b(mp[0].outer()[0], mp[0].outer()[0]);
    for (const Point& q : mp[0].outer()) bg::expand(b, q);
    boxes.push_back(b);
  }
  std::size_t several = 0;
  std::vector<LonLat> pts;
  for (int k = 0; k < 60000; ++k) pts.push_back({119.8 + 1.4 * u(rng), 29.8 + 1.4 * u(rng)});
  std::vector<int32_t> many(pts.size());
  index.locate_many(pts, many);
  for (std::size_t n = 0; n < pts.size(); ++n) {
    const Point p(pts[n].lon, pts[n].lat);
    int32_t expected = -1;
    int containing = 0;
    for (std::size_t k = 0; k < polys.size(); ++k) {
      if (!bg::covered_by(p, boxes[k]) || !multipolygon_contains(polys[k], p)) continue;
      if (expected < 0) expected = static_cast<int32_t>(k);
      ++containing;
    }
    several += containing > 1;
    ASSERT_EQ(index.locate(pts[n]), expected) << n;
    ASSERT_EQ(many[n], expected) << n;
  }
  EXPECT_GT(several, 10000u);
}
