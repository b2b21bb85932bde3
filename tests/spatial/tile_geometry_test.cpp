// CRS geometry to tile coordinates, each result checked against an independent oracle:
//  - areas against Boost.Geometry's intersection of the (test-side) transformed polygon with the
//    buffered tile square, within the rounding bound derived below;
//  - validity with both Boost.Geometry (bg::is_valid, which also checks the ring orientation) and
//    GEOS (check_validity), plus orientation, repeated points and range checked directly;
//  - no loss at tile edges: a polygon's area in a tile equals the sum of its areas in the four
//    children, over the Deqing county outline cut into village-sized Voronoi cells;
//  - simplification: validity, vertices only ever removed (each output vertex is an input vertex),
//    and the area change within the Douglas-Peucker bound tolerance x perimeter.
//
// The rounding bound. Rounding moves each vertex p_i by e_i with |e_x|, |e_y| <= 1/2. Twice the
// shoelace area changes by sum e_i x (p_{i+1} - p_{i-1}) + sum e_i x e_{i+1}, and
// |e x v| <= (|v_x| + |v_y|) / 2, so the area changes by at most P1 / 2 + n / 4, where P1 is the
// L1 perimeter (sum of |dx| + |dy| over the edges) and n the number of vertices.
#include "spatial/tile_geometry.hpp"

#include "core/errors.hpp"
#include "spatial/chinacrs.hpp"
#include "spatial/geos_ops.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <random>
#include <set>
#include <tuple>

using namespace onemap;
using namespace onemap::spatial;

namespace {

constexpr double kPi = 3.14159265358979323846;

const TileMatrixSet& wm() {
  return TileMatrixSet::web_mercator();
}

// ---- the test's own transform, rounding and areas --------------------------------------------

// CRS -> unrounded tile coordinates, written independently of TileTransform.
Point to_tile_space(const Point& p, const CrsBox& b, uint32_t extent) {
  return Point((p.x() - b.minx) / (b.maxx - b.minx) * extent,
               (b.maxy - p.y()) / (b.maxy - b.miny) * extent);
}

MultiPolygon to_tile_space(const MultiPolygon& mp, const CrsBox& b, uint32_t extent) {
  MultiPolygon out = mp;
  bg::for_each_point(out, [&](Point& p) { p = to_tile_space(p, b, extent); });
  bg::correct(out);  // y flipped: orientation reversed
  return out;
}

struct Oracle {
  double area = 0;  ///< tile units^2
  double l1_perimeter = 0;
  std::size_t vertices = 0;
  MultiPolygon clipped;  ///< tile space
};

Oracle clip_oracle(const MultiPolygon& crs, const CrsBox& b, uint32_t extent, uint32_t buffer) {
  Oracle o;
  const double lo = -static_cast<double>(buffer);
  const double hi = static_cast<double>(extent) + buffer;
  bg::intersection(to_tile_space(crs, b, extent), Box(Point(lo, lo), Point(hi, hi)), o.clipped);
  o.area = bg::area(o.clipped);
  auto ring_l1 = [&o](const Ring& r) {
    for (std::size_t i = 0; i + 1 < r.size(); ++i)
      o.l1_perimeter += std::fabs(r[i + 1].x() - r[i].x()) + std::fabs(r[i + 1].y() - r[i].y());
    o.vertices += r.size() - 1;
  };
  for (const auto& p : o.clipped) {
    ring_l1(p.outer());
    for (const auto& h : p.inners()) ring_l1(h);
  }
  return o;
}

// Twice the surveyor's area of an open integer ring.
int64_t twice_area(const TileRing& r) {
  int64_t s = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const TilePoint& a = r[i];
    const TilePoint& b = r[(i + 1) % r.size()];
    s += int64_t{a.x} * b.y - int64_t{b.x} * a.y;
  }
  return s;
}

double tile_area(const std::vector<TilePolygon>& polys) {
  int64_t twice = 0;
  for (const auto& p : polys)
    for (const auto& r : p) twice += twice_area(r);
  return static_cast<double>(twice) / 2;
}

std::size_t tile_vertices(const std::vector<TilePolygon>& polys) {
  std::size_t n = 0;
  for (const auto& p : polys)
    for (const auto& r : p) n += r.size();
  return n;
}

MultiPolygon as_multipolygon(const std::vector<TilePolygon>& polys) {
  MultiPolygon mp;
  for (const auto& tp : polys) {
    Polygon p;
    for (std::size_t k = 0; k < tp.size(); ++k) {
      Ring& r = k == 0 ? p.outer() : p.inners().emplace_back();
      for (const auto& q : tp[k]) r.emplace_back(q.x, q.y);
      if (!tp[k].empty()) r.emplace_back(tp[k].front().x, tp[k].front().y);
    }
    mp.push_back(std::move(p));
  }
  return mp;
}

// Every property polygon_to_tile promises, checked without its code.
void expect_good(const std::vector<TilePolygon>& polys, uint32_t extent, uint32_t buffer,
                 const std::string& what) {
  const int64_t lo = -int64_t{buffer};
  const int64_t hi = int64_t{extent} + buffer;
  for (const auto& poly : polys) {
    ASSERT_FALSE(poly.empty()) << what;
    for (std::size_t k = 0; k < poly.size(); ++k) {
      const TileRing& r = poly[k];
      ASSERT_GE(r.size(), 3U) << what;
      for (std::size_t i = 0; i < r.size(); ++i) {
        ASSERT_FALSE(r[i] == r[(i + 1) % r.size()]) << what << ": repeated point " << i;
        ASSERT_TRUE(r[i].x >= lo && r[i].x <= hi && r[i].y >= lo && r[i].y <= hi) << what;
      }
      if (k == 0) {
        ASSERT_GT(twice_area(r), 0) << what << ": exterior not positive";
      } else {
        ASSERT_LT(twice_area(r), 0) << what << ": hole not negative";
      }
    }
  }
  const MultiPolygon mp = as_multipolygon(polys);
  std::string reason;
  EXPECT_TRUE(bg::is_valid(mp, reason)) << what << ": Boost.Geometry: " << reason;
  const Validity v = check_validity(mp);
  EXPECT_TRUE(v.valid) << what << ": GEOS: " << v.reason;
}

// Area of the result against the oracle, within the rounding bound.
void expect_area(const std::vector<TilePolygon>& polys, const Oracle& o, const std::string& what) {
  const double n = static_cast<double>(std::max(o.vertices, tile_vertices(polys)));
  const double bound = o.l1_perimeter / 2 + n / 4 + 1e-6 * o.area;
  EXPECT_NEAR(tile_area(polys), o.area, bound) << what;
}

// ---- shapes --------------------------------------------------------------------------------

Ring star_ring(double cx, double cy, double r, int n, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(-1, 1);
  const double phase = 3 * u(rng);
  const int lobes = 2 + static_cast<int>(3 * (u(rng) + 1));
  Ring ring;
  for (int i = 0; i < n; ++i) {
    const double a = 2 * kPi * i / n;
    const double rr = r * (1 + 0.3 * std::sin(lobes * a + phase) + 0.1 * u(rng));
    ring.emplace_back(cx + rr * std::cos(a), cy + rr * std::sin(a));
  }
  ring.push_back(ring.front());
  return ring;
}

// A star-shaped polygon (radius between 0.6 r and 1.4 r), a star with three holes, or two stars.
MultiPolygon random_shape(std::mt19937_64& rng, double cx, double cy, double r) {
  std::uniform_int_distribution<int> kind(0, 2);
  std::uniform_int_distribution<int> vertices(8, 600);
  MultiPolygon mp;
  switch (kind(rng)) {
    case 0: {
      Polygon p;
      p.outer() = star_ring(cx, cy, r, vertices(rng), rng);
      mp.push_back(p);
      break;
    }
    case 1: {
      Polygon p;
      p.outer() = star_ring(cx, cy, r, vertices(rng), rng);
      for (int k = 0; k < 3; ++k) {
        const double a = 2 * kPi * k / 3;
        p.inners().push_back(star_ring(cx + 0.3 * r * std::cos(a), cy + 0.3 * r * std::sin(a),
                                       0.1 * r, vertices(rng) / 4 + 3, rng));
      }
      mp.push_back(p);
      break;
    }
    default: {
      for (double dx : {-r, r}) {
        Polygon p;
        p.outer() = star_ring(cx + dx, cy, 0.5 * r, vertices(rng), rng);
        mp.push_back(p);
      }
    }
  }
  bg::correct(mp);
  return mp;
}

MultiPolygon rect(double x0, double y0, double x1, double y1) {
  Polygon p;
  p.outer() = {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}};
  bg::correct(p);
  return {p};
}

TileId deqing_tile(uint32_t z) {
  double x = 0;
  double y = 0;
  wm().project(119.97, 30.54, x, y);
  return wm().tile_at(x, y, z);
}

// A transform whose CRS units are tile units (y flipped): tile point (tx, ty) is CRS (tx, E - ty).
TileTransform unit_transform(uint32_t extent = 4096) {
  const double e = extent;
  return TileTransform{{0, 0, e, e}, extent};
}

// ---- Deqing: the county outline and village-sized Voronoi cells, in Web Mercator ------------

class Deqing : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::ifstream in(ONEMAP_SOURCE_DIR "/data/deqing/deqing_county_gcj02.geojson");
    ASSERT_TRUE(in.good());
    const auto doc = nlohmann::json::parse(in);
    MultiPolygon lonlat;
    for (const auto& poly : doc["features"][0]["geometry"]["coordinates"]) {
      Polygon p;
      for (std::size_t k = 0; k < poly.size(); ++k) {
        Ring& r = k == 0 ? p.outer() : p.inners().emplace_back();
        for (const auto& c : poly[k]) {
          const LonLat w = gcj02_to_wgs84({c[0].get<double>(), c[1].get<double>()});
          r.emplace_back(w.lon, w.lat);
        }
      }
      lonlat.push_back(p);
    }
    bg::correct(lonlat);
    county_ = new MultiPolygon(project_polygon(lonlat, wm()));

    // 177 seeds (Deqing's number of villages) inside the county; their Voronoi cells tile it.
    std::mt19937_64 rng(330521);
    const Box env = envelope(*county_);
    std::uniform_real_distribution<double> ux(env.min_corner().x(), env.max_corner().x());
    std::uniform_real_distribution<double> uy(env.min_corner().y(), env.max_corner().y());
    std::vector<Point> seeds;
    while (seeds.size() < 177) {
      const Point p(ux(rng), uy(rng));
      if (bg::within(p, *county_)) seeds.push_back(p);
    }
    villages_ = new std::vector<MultiPolygon>(voronoi_cells(seeds, *county_));
  }
  static void TearDownTestSuite() {
    delete county_;
    delete villages_;
  }

  static const MultiPolygon* county_;
  static const std::vector<MultiPolygon>* villages_;
};

const MultiPolygon* Deqing::county_ = nullptr;
const std::vector<MultiPolygon>* Deqing::villages_ = nullptr;

}  // namespace

// ---- TileTransform and points -----------------------------------------------------------------

TEST(TileTransform, MapsTheTileOntoTheGrid) {
  const TileId t = deqing_tile(14);
  const TileTransform tt{wm().bounds(t), 4096};
  const CrsBox& b = tt.bounds;
  EXPECT_EQ(tt.to_tile(b.minx, b.maxy), (TilePoint{0, 0}));
  EXPECT_EQ(tt.to_tile(b.maxx, b.miny), (TilePoint{4096, 4096}));
  EXPECT_EQ(tt.to_tile(0.5 * (b.minx + b.maxx), 0.5 * (b.miny + b.maxy)), (TilePoint{2048, 2048}));
  double tx = 0;
  double ty = 0;
  tt.to_tile(b.minx + 0.25 * (b.maxx - b.minx), b.maxy - 0.75 * (b.maxy - b.miny), tx, ty);
  EXPECT_NEAR(tx, 1024, 1e-6);
  EXPECT_NEAR(ty, 3072, 1e-6);
  // Halves round up on both sides of zero, so a shared edge rounds alike in both tiles.
  const TileTransform unit = unit_transform();
  EXPECT_EQ(unit.to_tile(0.5, 4096 - 0.5), (TilePoint{1, 1}));
  EXPECT_EQ(unit.to_tile(-0.5, 4096 + 0.5), (TilePoint{0, 0}));
  EXPECT_EQ(unit.to_tile(-1.5, 4096 + 2.5), (TilePoint{-1, -2}));
  EXPECT_EQ(unit.to_tile(-0.4, 4096 - 0.6), (TilePoint{0, 1}));
}

TEST(TileTransform, PointToTileOnBufferEdges) {
  // Unit transform: CRS x = tile x, CRS y = 4096 - tile y, so these values are exact.
  const TileTransform t = unit_transform();
  EXPECT_EQ(point_to_tile(-64, 4096 + 64, t, 64), (TilePoint{-64, -64}));
  EXPECT_EQ(point_to_tile(4160, -64, t, 64), (TilePoint{4160, 4160}));
  EXPECT_EQ(point_to_tile(-64, 100, t, 64), (TilePoint{-64, 3996}));
  EXPECT_EQ(point_to_tile(100, -64, t, 64), (TilePoint{100, 4160}));
  EXPECT_FALSE(point_to_tile(-64.001, 100, t, 64));
  EXPECT_FALSE(point_to_tile(4160.001, 100, t, 64));
  EXPECT_FALSE(point_to_tile(100, 4096 + 64.001, t, 64));
  EXPECT_FALSE(point_to_tile(100, -64.001, t, 64));
  EXPECT_EQ(point_to_tile(0, 4096, t, 0), (TilePoint{0, 0}));
  EXPECT_FALSE(point_to_tile(-1e-9, 4096, t, 0));
  EXPECT_FALSE(point_to_tile(NAN, 0, t, 64));
  EXPECT_FALSE(point_to_tile(0, INFINITY, t, 64));

  // A real tile: a hundredth of a unit inside and outside each buffered edge.
  const TileTransform tt{wm().bounds(deqing_tile(15)), 4096};
  const CrsBox& b = tt.bounds;
  const double unit = (b.maxx - b.minx) / 4096;
  const double in = 63.99 * unit;
  const double out = 64.01 * unit;
  const double mid_y = 0.5 * (b.miny + b.maxy);
  const double mid_x = 0.5 * (b.minx + b.maxx);
  EXPECT_EQ(point_to_tile(b.minx - in, mid_y, tt, 64), (TilePoint{-64, 2048}));
  EXPECT_EQ(point_to_tile(b.maxx + in, mid_y, tt, 64), (TilePoint{4160, 2048}));
  EXPECT_EQ(point_to_tile(mid_x, b.maxy + in, tt, 64), (TilePoint{2048, -64}));
  EXPECT_EQ(point_to_tile(mid_x, b.miny - in, tt, 64), (TilePoint{2048, 4160}));
  EXPECT_FALSE(point_to_tile(b.minx - out, mid_y, tt, 64));
  EXPECT_FALSE(point_to_tile(b.maxx + out, mid_y, tt, 64));
  EXPECT_FALSE(point_to_tile(mid_x, b.maxy + out, tt, 64));
  EXPECT_FALSE(point_to_tile(mid_x, b.miny - out, tt, 64));
}

// ---- polygon_to_tile ----------------------------------------------------------------------------

TEST(PolygonToTile, RandomPolygonsMatchTheOracleAndAreValid) {
  std::mt19937_64 rng(20240601);
  int non_empty = 0;
  int clipped = 0;
  for (const TileMatrixSet* set : {&wm(), &TileMatrixSet::cgcs2000()}) {
    double cx = 0;
    double cy = 0;
    set->project(119.97, 30.54, cx, cy);
    for (uint32_t z : {10U, 14U, 18U}) {
      const TileId t = set->tile_at(cx, cy, z);
      const CrsBox b = set->bounds(t);
      const double w = b.maxx - b.minx;
      std::uniform_real_distribution<double> ux(b.minx - 0.5 * w, b.maxx + 0.5 * w);
      std::uniform_real_distribution<double> uy(b.miny - 0.5 * w, b.maxy + 0.5 * w);
      std::uniform_real_distribution<double> ur(std::log(0.01 * w), std::log(1.5 * w));
      for (uint32_t buffer : {0U, 64U, 256U}) {
        for (int i = 0; i < 40; ++i) {
          const MultiPolygon mp = random_shape(rng, ux(rng), uy(rng), std::exp(ur(rng)));
          ASSERT_TRUE(bg::is_valid(mp));
          const TileTransform tt{b, 4096};
          const auto polys = polygon_to_tile(mp, tt, buffer);
          const std::string what = std::string(set->name()) + " z" + std::to_string(z) +
                                   " buffer " + std::to_string(buffer) + " shape " +
                                   std::to_string(i);
          expect_good(polys, 4096, buffer, what);
          const Oracle o = clip_oracle(mp, b, 4096, buffer);
          expect_area(polys, o, what);
          non_empty += polys.empty() ? 0 : 1;
          const Box env = envelope(to_tile_space(mp, b, 4096));
          clipped +=
              env.min_corner().x() < -double(buffer) || env.max_corner().x() > 4096.0 + buffer;
        }
      }
    }
  }
  // The corpus exercises both paths.
  EXPECT_GT(non_empty, 400);
  EXPECT_GT(clipped, 100);
}

TEST(PolygonToTile, PolygonMuchLargerThanTheTileGivesTheBufferedSquare) {
  const TileTransform tt{wm().bounds(deqing_tile(16)), 4096};
  const CrsBox& b = tt.bounds;
  const double w = b.maxx - b.minx;
  const MultiPolygon big =
      rect(b.minx - 100 * w, b.miny - 100 * w, b.maxx + 100 * w, b.maxy + 100 * w);
  for (uint32_t buffer : {0U, 64U}) {
    const auto polys = polygon_to_tile(big, tt, buffer);
    ASSERT_EQ(polys.size(), 1U);
    ASSERT_EQ(polys[0].size(), 1U);
    const TileRing& r = polys[0][0];
    const int32_t lo = -static_cast<int32_t>(buffer);
    const int32_t hi = 4096 + static_cast<int32_t>(buffer);
    const std::set<std::pair<int32_t, int32_t>> corners({{lo, lo}, {hi, lo}, {hi, hi}, {lo, hi}});
    std::set<std::pair<int32_t, int32_t>> got;
    for (const auto& p : r) got.insert({p.x, p.y});
    EXPECT_EQ(r.size(), 4U);
    EXPECT_EQ(got, corners);
    EXPECT_EQ(twice_area(r), 2 * int64_t{hi - lo} * (hi - lo));
  }
  // Inside a hole that covers the whole buffered tile: nothing.
  Polygon ring_shape =
      rect(b.minx - 100 * w, b.miny - 100 * w, b.maxx + 100 * w, b.maxy + 100 * w)[0];
  Ring hole = rect(b.minx - 2 * w, b.miny - 2 * w, b.maxx + 2 * w, b.maxy + 2 * w)[0].outer();
  std::reverse(hole.begin(), hole.end());
  ring_shape.inners().push_back(hole);
  EXPECT_TRUE(polygon_to_tile({ring_shape}, tt, 64).empty());
  // Entirely outside, and touching the buffered edge from outside: nothing.
  EXPECT_TRUE(polygon_to_tile(rect(b.maxx + w, b.miny, b.maxx + 2 * w, b.maxy), tt, 64).empty());
  const TileTransform unit = unit_transform();
  EXPECT_TRUE(polygon_to_tile(rect(4160, 0, 4200, 100), unit, 64).empty());
  EXPECT_TRUE(polygon_to_tile({}, unit, 64).empty());
}

TEST(PolygonToTile, PolygonInsideTheTileIsOnlyRounded) {
  // Nothing is clipped, so the result is the input's ring, vertex for vertex: each vertex rounded
  // (halves up), reversed because y flips (CCW in CRS axes is negative in tile coordinates).
  std::mt19937_64 rng(3);
  const TileTransform tt{wm().bounds(deqing_tile(14)), 4096};
  const CrsBox& b = tt.bounds;
  const double w = b.maxx - b.minx;
  Polygon p;
  p.outer() = star_ring(b.minx + 0.5 * w, b.miny + 0.5 * w, 0.3 * w, 50, rng);
  bg::correct(p);
  const auto polys = polygon_to_tile({p}, tt, 64);
  TileRing expected;
  for (std::size_t i = 0; i + 1 < p.outer().size(); ++i) {
    const Point q = to_tile_space(p.outer()[i], b, 4096);
    expected.push_back({static_cast<int32_t>(std::floor(q.x() + 0.5)),
                        static_cast<int32_t>(std::floor(q.y() + 0.5))});
  }
  std::reverse(expected.begin(), expected.end());
  ASSERT_EQ(polys.size(), 1U);
  ASSERT_EQ(polys[0].size(), 1U);
  EXPECT_EQ(polys[0][0], expected);
}

TEST(PolygonToTile, ValidTouchingInputIsKeptAsIs) {
  // A hole touching its shell at one vertex, and a second part touching the first at a vertex:
  // valid, on the integer grid already, so nothing is to be repaired and the rings come back
  // vertex for vertex (reversed: y flips).
  Polygon p;
  p.outer() = {{100, 100}, {300, 100}, {300, 300}, {100, 300}, {100, 100}};
  p.inners().push_back({{100, 200}, {200, 250}, {200, 150}, {100, 200}});
  Polygon q;
  q.outer() = {{300, 300}, {400, 300}, {400, 400}, {300, 300}};
  const MultiPolygon mp{p, q};
  ASSERT_TRUE(bg::is_valid(mp));
  const auto polys = polygon_to_tile(mp, unit_transform(), 64);
  expect_good(polys, 4096, 64, "touching");
  // The input's vertices in tile coordinates (x, 4096 - y), in the input's order.
  const std::vector<TilePolygon> expected{{{{100, 3996}, {300, 3996}, {300, 3796}, {100, 3796}},
                                           {{100, 3896}, {200, 3846}, {200, 3946}}},
                                          {{{300, 3796}, {400, 3796}, {400, 3696}}}};
  std::vector<TilePolygon> reversed = expected;
  for (auto& poly : reversed)
    for (auto& ring : poly) std::reverse(ring.begin(), ring.end());
  EXPECT_EQ(polys, reversed);
}

TEST(PolygonToTile, OrientationFollowsRolesNotInput) {
  // Exterior given clockwise and hole counter-clockwise (the wrong way for spatial::Polygon).
  Polygon p;
  p.outer() = {{100, 100}, {100, 300}, {300, 300}, {300, 100}, {100, 100}};
  p.inners().push_back({{150, 150}, {250, 150}, {250, 250}, {150, 250}, {150, 150}});
  const auto polys = polygon_to_tile({p}, unit_transform(), 64);
  expect_good(polys, 4096, 64, "reversed input");
  ASSERT_EQ(polys.size(), 1U);
  ASSERT_EQ(polys[0].size(), 2U);
  EXPECT_EQ(twice_area(polys[0][0]), 2 * 200 * 200);
  EXPECT_EQ(twice_area(polys[0][1]), -2 * 100 * 100);
}

TEST(PolygonToTile, RoundingCollapsesAreRepaired) {
  const TileTransform unit = unit_transform();
  // In tile coordinates (y down); flip to CRS for the unit transform.
  auto crs = [](MultiPolygon mp) {
    bg::for_each_point(mp, [](Point& p) { p = Point(p.x(), 4096 - p.y()); });
    bg::correct(mp);
    return mp;
  };
  std::vector<std::pair<std::string, MultiPolygon>> cases;
  {
    // Two squares joined by a corridor 0.3 units wide: rounding flattens it into a line.
    Polygon p;
    p.outer() = {{100, 100}, {200, 100}, {200, 150.1}, {300, 150.1}, {300, 100},
                 {400, 100}, {400, 200}, {300, 200},   {300, 150.4}, {200, 150.4},
                 {200, 200}, {100, 200}, {100, 100}};
    cases.emplace_back("corridor", crs({p}));
  }
  {
    // A hole 0.3 units from its shell's edge: rounding puts it on the edge.
    Polygon p = rect(100, 100, 200, 200)[0];
    Ring hole = rect(100.3, 120, 150, 180)[0].outer();
    std::reverse(hole.begin(), hole.end());
    p.inners().push_back(hole);
    cases.emplace_back("hole near shell", crs({p}));
  }
  {
    // Two parts 0.2 units apart: rounding makes them share an edge.
    MultiPolygon mp = rect(100, 100, 200, 200);
    mp.push_back(rect(200.2, 100, 300, 200)[0]);
    cases.emplace_back("parts near each other", crs(mp));
  }
  {
    // A 5,000-vertex circle with vertices 0.5 units apart, jittered by up to 0.2 units: rounding
    // folds neighbours back over each other.
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> jitter(-0.2, 0.2);
    Polygon p;
    for (int i = 0; i < 5000; ++i) {
      const double a = 2 * kPi * i / 5000;
      p.outer().emplace_back(2048 + 400 * std::cos(a) + jitter(rng),
                             2048 + 400 * std::sin(a) + jitter(rng));
    }
    p.outer().push_back(p.outer().front());
    cases.emplace_back("jittered circle", crs({p}));
  }
  for (const auto& [name, mp] : cases) {
    // Rounding alone (the naive way) is invalid: this case needs the repair.
    MultiPolygon naive = to_tile_space(mp, unit.bounds, 4096);
    bg::for_each_point(
        naive, [](Point& p) { p = Point(std::floor(p.x() + 0.5), std::floor(p.y() + 0.5)); });
    EXPECT_FALSE(bg::is_valid(naive)) << name;
    const auto polys = polygon_to_tile(mp, unit, 64);
    expect_good(polys, 4096, 64, name);
    expect_area(polys, clip_oracle(mp, unit.bounds, 4096, 64), name);
  }
  // A sliver thinner than a unit vanishes.
  Polygon sliver;
  sliver.outer() = {{100, 100}, {300, 100.2}, {100, 100.3}, {100, 100}};
  EXPECT_TRUE(polygon_to_tile(crs({sliver}), unit, 64).empty());
}

TEST(PolygonToTile, InvalidInputGivesValidOutput) {
  // Invalid inputs are repaired as make_valid repairs them (GEOS "structure": parts united,
  // holes subtracted, a hole outside its shell kept as a part of its own); every vertex and
  // crossing here is on the integer grid, so the areas are exact. The expected areas are worked
  // out by hand where the rule is plain (0 where it is not).
  std::vector<std::tuple<std::string, MultiPolygon, double>> cases;
  Polygon bow;  // two triangles of 100 x 200 / 2 meeting at (200, 200)
  bow.outer() = {{100, 100}, {300, 300}, {300, 100}, {100, 300}, {100, 100}};
  cases.emplace_back("bow-tie", MultiPolygon{bow}, 20000.0);
  MultiPolygon overlapping = rect(100, 100, 300, 300);
  overlapping.push_back(rect(200, 200, 400, 400)[0]);
  cases.emplace_back("overlapping parts", overlapping, 70000.0);
  MultiPolygon nested = rect(100, 100, 400, 400);
  nested.push_back(rect(200, 200, 300, 300)[0]);
  cases.emplace_back("part inside part", nested, 90000.0);
  Polygon holes = rect(100, 100, 400, 400)[0];
  for (const auto& h : {rect(150, 150, 350, 350), rect(200, 200, 300, 300)}) {
    Ring r = h[0].outer();
    std::reverse(r.begin(), r.end());
    holes.inners().push_back(r);
  }
  cases.emplace_back("hole inside hole", MultiPolygon{holes}, 50000.0);
  Polygon outside = rect(100, 100, 200, 200)[0];
  Ring far = rect(300, 300, 350, 350)[0].outer();
  std::reverse(far.begin(), far.end());
  outside.inners().push_back(far);
  cases.emplace_back("hole outside shell", MultiPolygon{outside}, 0.0);
  for (const auto& [name, mp, area] : cases) {
    EXPECT_FALSE(bg::is_valid(mp)) << name;
    const auto polys = polygon_to_tile(mp, unit_transform(), 64);
    expect_good(polys, 4096, 64, name);
    EXPECT_EQ(tile_area(polys), bg::area(make_valid(mp))) << name;
    if (area > 0) {
      EXPECT_EQ(tile_area(polys), area) << name;
    }
  }
}

TEST(PolygonToTile, RejectsExtentsBeyondTheExactRange) {
  TileTransform t = unit_transform();
  t.extent = 0;
  EXPECT_THROW(polygon_to_tile(rect(0, 0, 1, 1), t, 0), InvalidArgument);
  t.extent = 1U << 20;
  EXPECT_THROW(polygon_to_tile(rect(0, 0, 1, 1), t, 1), InvalidArgument);
  EXPECT_NO_THROW(polygon_to_tile(rect(0, 0, 1, 1), t, 0));
}

TEST(PolygonToTile, LargePolygonsAreClippedRight) {
  // 5,000 vertices on a wavy circle around the tile's centre crossing all four buffered edges
  // (the corners outside), and the same shape shrunk to lie inside the tile. (Its speed is a
  // benchmark's business: scripts/bench-tiles times whole tiles.)
  const TileTransform tt{wm().bounds(deqing_tile(14)), 4096};
  const CrsBox& b = tt.bounds;
  const double w = b.maxx - b.minx;
  auto wavy = [&](double radius) {
    Polygon p;
    for (int i = 0; i < 5000; ++i) {
      const double a = 2 * kPi * i / 5000;
      const double r = radius * (1 + 0.05 * std::sin(37 * a) + 0.02 * std::sin(211 * a));
      p.outer().emplace_back(b.minx + 0.5 * w + r * std::cos(a),
                             b.miny + 0.5 * w + r * std::sin(a));
    }
    p.outer().push_back(p.outer().front());
    bg::correct(p);
    return MultiPolygon{p};
  };
  for (const auto& [name, mp] :
       {std::pair{"crossing", wavy(0.6 * w)}, std::pair{"inside", wavy(0.4 * w)}}) {
    const std::vector<TilePolygon> polys = polygon_to_tile(mp, tt, 64);
    expect_good(polys, 4096, 64, name);
    expect_area(polys, clip_oracle(mp, b, 4096, 64), name);
  }
}

// ---- tiles and their children, over Deqing ---------------------------------------------------

TEST_F(Deqing, VillagesAreValidInEveryTile) {
  for (uint32_t z : {11U, 13U, 15U}) {
    const TileId centre = deqing_tile(z);
    for (uint32_t dx = 0; dx < 2; ++dx) {
      const TileId t{z, centre.x + dx, centre.y};
      const CrsBox b = wm().bounds(t);
      for (std::size_t v = 0; v < villages_->size(); ++v) {
        const auto polys = polygon_to_tile((*villages_)[v], TileTransform{b, 4096}, 64);
        const std::string what = "z" + std::to_string(z) + " village " + std::to_string(v);
        expect_good(polys, 4096, 64, what);
        expect_area(polys, clip_oracle((*villages_)[v], b, 4096, 64), what);
      }
    }
  }
}

TEST_F(Deqing, NoLossAtTileEdges) {
  // For each village: its area in a tile (buffer 0, in m^2) equals the sum of its areas in the
  // four children, within the sum of their rounding bounds; and the villages' areas in the tile
  // add up to the county's.
  for (uint32_t z : {11U, 13U}) {
    const TileId parent = deqing_tile(z);
    const CrsBox pb = wm().bounds(parent);
    const double parent_unit2 = std::pow((pb.maxx - pb.minx) / 4096, 2);
    double villages_total = 0;
    double villages_bound = 0;
    int crossing = 0;
    for (std::size_t v = 0; v < villages_->size(); ++v) {
      const MultiPolygon& village = (*villages_)[v];
      const Oracle po = clip_oracle(village, pb, 4096, 0);
      const double parent_area = tile_area(polygon_to_tile(village, TileTransform{pb, 4096}, 0));
      double bound = (po.l1_perimeter / 2 + po.vertices / 4.0) * parent_unit2;
      double children_area = 0;
      int children_hit = 0;
      for (uint32_t i = 0; i < 4; ++i) {
        const TileId child{z + 1, 2 * parent.x + i % 2, 2 * parent.y + i / 2};
        const CrsBox cb = wm().bounds(child);
        const double child_unit2 = std::pow((cb.maxx - cb.minx) / 4096, 2);
        const auto polys = polygon_to_tile(village, TileTransform{cb, 4096}, 0);
        const Oracle co = clip_oracle(village, cb, 4096, 0);
        children_area += tile_area(polys) * child_unit2;
        bound +=
            (co.l1_perimeter / 2 + std::max(co.vertices, tile_vertices(polys)) / 4.0) * child_unit2;
        children_hit += polys.empty() ? 0 : 1;
      }
      crossing += children_hit > 1;
      EXPECT_NEAR(parent_area * parent_unit2, children_area, bound) << "z" << z << " village " << v;
      // And both against the exact area of the village in the parent tile.
      EXPECT_NEAR(children_area, po.area * parent_unit2, bound) << "z" << z << " village " << v;
      villages_total += parent_area * parent_unit2;
      villages_bound += (po.l1_perimeter / 2 + po.vertices / 4.0) * parent_unit2;
    }
    EXPECT_GT(crossing, 0) << "no village crosses a child edge at z" << z;
    const Oracle county = clip_oracle(*county_, pb, 4096, 0);
    EXPECT_GT(county.area, 0);
    EXPECT_NEAR(villages_total, county.area * parent_unit2,
                villages_bound + 1e-6 * county.area * parent_unit2);
  }
}

// ---- simplify_polygon and project_polygon ----------------------------------------------------

TEST_F(Deqing, SimplifyStaysValidAndOnlyRemovesVertices) {
  std::vector<MultiPolygon> shapes(villages_->begin(), villages_->end());
  shapes.push_back(*county_);
  std::mt19937_64 rng(9);
  const Box env = envelope(*county_);
  std::uniform_real_distribution<double> ux(env.min_corner().x(), env.max_corner().x());
  std::uniform_real_distribution<double> uy(env.min_corner().y(), env.max_corner().y());
  std::uniform_real_distribution<double> ur(std::log(50.0), std::log(20000.0));
  for (int i = 0; i < 60; ++i)
    shapes.push_back(random_shape(rng, ux(rng), uy(rng), std::exp(ur(rng))));

  for (double tolerance : {1.0, 10.0, 100.0, 1000.0, 10000.0}) {
    int emptied = 0;
    for (std::size_t s = 0; s < shapes.size(); ++s) {
      const MultiPolygon& in = shapes[s];
      const MultiPolygon out = simplify_polygon(in, tolerance);
      const std::string what =
          "tolerance " + std::to_string(tolerance) + " shape " + std::to_string(s);
      std::string reason;
      EXPECT_TRUE(bg::is_valid(out, reason)) << what << ": " << reason;
      const Validity v = check_validity(out);
      EXPECT_TRUE(v.valid) << what << ": " << v.reason;
      EXPECT_LE(bg::num_points(out), bg::num_points(in)) << what;
      std::set<std::pair<double, double>> input_vertices;
      bg::for_each_point(in, [&](const Point& p) { input_vertices.insert({p.x(), p.y()}); });
      bg::for_each_point(out, [&](const Point& p) {
        EXPECT_TRUE(input_vertices.count({p.x(), p.y()})) << what << ": new vertex";
      });
      // Douglas-Peucker moves the boundary by at most the tolerance; a dropped ring loses at
      // most tolerance^2.
      std::size_t rings = 0;
      for (const auto& p : in) rings += 1 + p.inners().size();
      const double bound = tolerance * bg::perimeter(in) + rings * tolerance * tolerance;
      EXPECT_NEAR(bg::area(out), bg::area(in), bound) << what;
      emptied += out.empty();
    }
    if (tolerance <= 100) {
      EXPECT_EQ(emptied, 0) << tolerance;
    }
  }
  EXPECT_THROW(simplify_polygon(*county_, -1), InvalidArgument);
  EXPECT_THROW(simplify_polygon(*county_, NAN), InvalidArgument);
  EXPECT_TRUE(simplify_polygon({}, 10).empty());
}

TEST(Simplify, CollapsingPartsAndHolesAreDropped) {
  // A 10 km square with a 20 m hole and a 10 m island beside it.
  MultiPolygon mp = rect(0, 0, 10000, 10000);
  Ring hole = rect(5000, 5000, 5020, 5020)[0].outer();
  std::reverse(hole.begin(), hole.end());
  mp[0].inners().push_back(hole);
  mp.push_back(rect(20000, 0, 20010, 10)[0]);
  const MultiPolygon kept = simplify_polygon(mp, 5);
  ASSERT_EQ(kept.size(), 2U);
  EXPECT_EQ(kept[0].inners().size(), 1U);
  const MultiPolygon out = simplify_polygon(mp, 100);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_TRUE(out[0].inners().empty());
  EXPECT_DOUBLE_EQ(bg::area(out), 1e8);
  EXPECT_TRUE(simplify_polygon(mp, 20000).empty());
}

TEST(ProjectPolygon, ProjectsEveryVertex) {
  Polygon p;
  p.outer() = {{119.9, 30.5}, {120.1, 30.5}, {120.1, 30.7}, {119.9, 30.7}, {119.9, 30.5}};
  p.inners().push_back(
      {{119.95, 30.55}, {119.95, 30.6}, {120.0, 30.6}, {120.0, 30.55}, {119.95, 30.55}});
  const MultiPolygon in{p};
  const MultiPolygon out = project_polygon(in, wm());
  ASSERT_EQ(out.size(), 1U);
  ASSERT_EQ(out[0].inners().size(), 1U);
  ASSERT_EQ(bg::num_points(out), bg::num_points(in));
  for (std::size_t i = 0; i < p.outer().size(); ++i) {
    const Point& a = p.outer()[i];
    // The closed form: x = R lon, y = R ln tan(pi/4 + lat/2).
    EXPECT_NEAR(out[0].outer()[i].x(), 6378137.0 * a.x() * kPi / 180, 1e-6);
    EXPECT_NEAR(out[0].outer()[i].y(), 6378137.0 * std::log(std::tan(kPi / 4 + a.y() * kPi / 360)),
                1e-6);
  }
  // Both axes increase with lon and lat: orientation is kept.
  EXPECT_GT(bg::area(out[0].outer()), 0);
  EXPECT_LT(bg::area(out[0].inners()[0]), 0);
  EXPECT_TRUE(bg::equals(project_polygon(in, TileMatrixSet::cgcs2000()), in));
  // With gcj02 each vertex is shifted into GCJ-02 first (here, CGCS2000 tiles: lon/lat itself).
  const MultiPolygon shifted = project_polygon(in, TileMatrixSet::cgcs2000(), true);
  for (std::size_t i = 0; i < p.outer().size(); ++i) {
    const LonLat g = wgs84_to_gcj02({p.outer()[i].x(), p.outer()[i].y()});
    EXPECT_EQ(shifted[0].outer()[i].x(), g.lon);
    EXPECT_EQ(shifted[0].outer()[i].y(), g.lat);
    EXPECT_GT(std::abs(g.lon - p.outer()[i].x()), 1e-4);  // the shift is hundreds of metres
  }
}

// ---- lines ---------------------------------------------------------------------------------

namespace {

// A line's parts inside the buffered square by Boost.Geometry (the oracle), in tile units.
double clipped_length(const LineString& tile_units, uint32_t extent, uint32_t buffer) {
  const Box square({-double(buffer), -double(buffer)},
                   {extent + double(buffer), extent + double(buffer)});
  MultiLineString parts;
  bg::intersection(tile_units, square, parts);
  return bg::length(parts);
}

double length_of(const std::vector<TileLine>& lines) {
  double s = 0;
  for (const auto& l : lines)
    for (std::size_t i = 1; i < l.size(); ++i)
      s += std::hypot(double(l[i].x - l[i - 1].x), double(l[i].y - l[i - 1].y));
  return s;
}

}  // namespace

TEST(LinesToTile, RandomLinesMatchTheOracleWithinRounding) {
  std::mt19937_64 rng(7);
  const TileMatrixSet& set = wm();
  double cx = 0, cy = 0;
  set.project(119.97, 30.54, cx, cy);
  int clipped = 0, kept = 0;
  for (uint32_t z : {10U, 15U}) {
    const TileId t = set.tile_at(cx, cy, z);
    const CrsBox b = set.bounds(t);
    const double w = b.maxx - b.minx;
    std::uniform_real_distribution<double> ux(b.minx - 0.5 * w, b.maxx + 0.5 * w);
    std::uniform_real_distribution<double> uy(b.miny - 0.5 * w, b.maxy + 0.5 * w);
    for (uint32_t buffer : {0U, 64U}) {
      for (int i = 0; i < 200; ++i) {
        LineString crs, units;
        const int n = 2 + static_cast<int>(rng() % 8);
        for (int k = 0; k < n; ++k) {
          const double x = ux(rng), y = uy(rng);
          crs.emplace_back(x, y);
          units.emplace_back((x - b.minx) / w * 4096, (b.maxy - y) / w * 4096);
        }
        const auto lines = lines_to_tile(MultiLineString{crs}, {b, 4096}, buffer, 0);
        const double expected = clipped_length(units, 4096, buffer);
        for (const auto& l : lines) {
          ASSERT_GE(l.size(), 2u);
          for (std::size_t k = 0; k < l.size(); ++k) {
            EXPECT_GE(l[k].x, -int32_t(buffer));
            EXPECT_LE(l[k].x, int32_t(4096 + buffer));
            EXPECT_GE(l[k].y, -int32_t(buffer));
            EXPECT_LE(l[k].y, int32_t(4096 + buffer));
            if (k) {
              EXPECT_FALSE(l[k] == l[k - 1]) << "repeated point";
            }
          }
        }
        // Rounding moves each vertex by at most sqrt(2)/2 units: each of the (at most 2n)
        // vertices of the parts changes the length by at most that much.
        EXPECT_NEAR(length_of(lines), expected, 2 * n * 0.71 + 1e-9) << "line " << i;
        clipped += expected > 0 && bg::length(units) > expected + 1;
        kept += !lines.empty();
      }
    }
  }
  EXPECT_GT(clipped, 100);
  EXPECT_GT(kept, 200);
}

TEST(LinesToTile, ALineThatLeavesAndComesBackGivesTwoParts) {
  const TileTransform tt{{0, 0, 4096, 4096}, 4096};
  // y up in CRS units: (100, 4000) is near the tile's top left corner.
  const MultiLineString ml{{{100, 100}, {5000, 100}, {5000, 200}, {100, 200}}};
  const auto lines = lines_to_tile(ml, tt, 0, 0);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].front(), (TilePoint{100, 3996}));
  EXPECT_EQ(lines[0].back(), (TilePoint{4096, 3996}));
  EXPECT_EQ(lines[1].front(), (TilePoint{4096, 3896}));
  EXPECT_EQ(lines[1].back(), (TilePoint{100, 3896}));
}

TEST(LinesToTile, SimplificationDropsOnlyWhatLiesWithinTheTolerance) {
  const TileTransform tt{{0, 0, 4096, 4096}, 4096};
  // A straight run with a 0.3-unit wobble and one 50-unit bend.
  const MultiLineString ml{
      {{10, 10}, {20, 10.3}, {30, 10}, {40, 9.7}, {50, 60}, {60, 10}, {70, 10}}};
  const auto kept = lines_to_tile(ml, tt, 0, 1.0);
  ASSERT_EQ(kept.size(), 1u);
  // The ends, the bend's three corners; the wobble goes.
  EXPECT_EQ(kept[0], (TileLine{{10, 4086}, {40, 4086}, {50, 4036}, {60, 4086}, {70, 4086}}));
  const auto all = lines_to_tile(ml, tt, 0, 0);
  EXPECT_EQ(all[0].size(), 7u);  // unsimplified
  // A line shorter than a unit rounds onto one point and is dropped.
  EXPECT_TRUE(lines_to_tile(MultiLineString{{{10.1, 10.1}, {10.3, 10.2}}}, tt, 0).empty());
}

TEST(LineTiler, ManyLinesInARowMatchTheOracleEachAsLinesToTileDoes) {
  std::mt19937_64 rng(13);
  const TileMatrixSet& set = wm();
  double cx = 0, cy = 0;
  set.project(119.97, 30.54, cx, cy);
  const TileId t = set.tile_at(cx, cy, 14);
  const CrsBox b = set.bounds(t);
  const double w = b.maxx - b.minx;
  // Lines inside the tile, across its edges and outside it; short and long ones.
  std::uniform_real_distribution<double> ux(b.minx - 0.3 * w, b.maxx + 0.3 * w);
  std::uniform_real_distribution<double> uy(b.miny - 0.3 * w, b.maxy + 0.3 * w);
  std::uniform_real_distribution<double> step(-0.05 * w, 0.05 * w);
  for (double tolerance : {0.0, 1.0}) {
    LineTiler tiler({b, 4096}, 64, tolerance);
    int clipped = 0, kept = 0;
    for (int round = 0; round < 3; ++round) {
      tiler.clear();  // the buffers of the round before stay: nothing of them may show
      std::size_t parts = 0;
      for (int i = 0; i < 300; ++i) {
        LineString crs, units;  // CRS units, tile units
        double x = ux(rng), y = uy(rng);
        const int n = 2 + static_cast<int>(rng() % 12);
        for (int k = 0; k < n; ++k, x += step(rng), y += step(rng)) {
          crs.emplace_back(x, y);
          units.emplace_back((x - b.minx) / w * 4096, (b.maxy - y) / w * 4096);
        }
        tiler.add(crs);
        const auto got = std::span(tiler.lines()).subspan(parts);
        parts = tiler.lines().size();
        // Each line's parts are those lines_to_tile gives for it alone ...
        const auto alone = lines_to_tile(MultiLineString{crs}, {b, 4096}, 64, tolerance);
        ASSERT_EQ(std::vector<TileLine>(got.begin(), got.end()), alone) << "line " << i;
        // ... and unsimplified, as long as the oracle's clipped line, within rounding.
        const double expected = clipped_length(units, 4096, 64);
        if (tolerance == 0) {
          EXPECT_NEAR(length_of(alone), expected, 2 * n * 0.71 + 1e-9) << "line " << i;
        }
        clipped += expected > 0 && bg::length(units) > expected + 1;
        kept += !got.empty();
      }
    }
    EXPECT_GT(clipped, 100);
    EXPECT_GT(kept, 300);
  }
}
