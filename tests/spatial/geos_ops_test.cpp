// GEOS operations on onemap types: validity and repair, WKB/WKT, overlay, Voronoi. Expected
// values are analytic (areas of squares and triangles), hand-encoded WKB, or independent checks
// with Boost.Geometry (within, distances to seeds).
#include "spatial/geos_ops.hpp"
#include "core/errors.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

using namespace onemap;
using namespace onemap::spatial;

namespace {

Polygon rect(double x0, double y0, double x1, double y1) {
  Polygon p;
  p.outer() = {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}};
  return p;
}

double area(const MultiPolygon& mp) {
  return bg::area(mp);
}

// Every outer ring counter-clockwise and every hole clockwise (signed areas with a CCW model).
void expect_normalised(const MultiPolygon& mp) {
  for (const auto& poly : mp) {
    EXPECT_GT(bg::area(poly.outer()), 0.0);
    for (const auto& h : poly.inners()) EXPECT_LT(bg::area(h), 0.0);
    EXPECT_TRUE(bg::equals(poly.outer().front(), poly.outer().back()));
  }
}

void put_u32(std::vector<unsigned char>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<unsigned char>(v >> (8 * i)));
}
void put_f64(std::vector<unsigned char>& b, double v) {
  uint64_t bits = 0;
  std::memcpy(&bits, &v, 8);
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<unsigned char>(bits >> (8 * i)));
}

// Little-endian WKB of a one-ring polygon, written by hand from the OGC layout.
std::vector<unsigned char> polygon_wkb(const std::vector<Point>& ring) {
  std::vector<unsigned char> b{1};
  put_u32(b, 3);
  put_u32(b, 1);
  put_u32(b, static_cast<uint32_t>(ring.size()));
  for (const auto& p : ring) {
    put_f64(b, p.x());
    put_f64(b, p.y());
  }
  return b;
}

}  // namespace

TEST(GeosOps, BowtieIsInvalidAndRepairsToTwoTriangles) {
  const MultiPolygon bowtie = multipolygon_from_wkt("POLYGON((0 0, 2 2, 2 0, 0 2, 0 0))");
  const Validity v = check_validity(bowtie);
  EXPECT_FALSE(v.valid);
  EXPECT_NE(v.reason.find("Self-intersection"), std::string::npos) << v.reason;
  const MultiPolygon fixed = make_valid(bowtie);
  EXPECT_TRUE(check_validity(fixed).valid);
  ASSERT_EQ(fixed.size(), 2u);
  // Triangles (0,0)-(1,1)-(0,2) and (2,0)-(2,2)-(1,1), area 1 each.
  EXPECT_NEAR(area(fixed), 2.0, 1e-12);
  EXPECT_NEAR(bg::area(fixed[0]), 1.0, 1e-12);
  EXPECT_NEAR(bg::area(fixed[1]), 1.0, 1e-12);
  EXPECT_TRUE(bg::within(Point(0.2, 1.0), fixed));
  EXPECT_TRUE(bg::within(Point(1.8, 1.0), fixed));
  EXPECT_FALSE(bg::covered_by(Point(1.0, 0.2), fixed));
  expect_normalised(fixed);
}

TEST(GeosOps, ValidInputIsKeptAndNormalised) {
  Polygon cw = rect(0, 0, 3, 3);
  std::reverse(cw.outer().begin(), cw.outer().end());  // clockwise outer
  Ring hole{{1, 1}, {2, 1}, {2, 2}, {1, 2}, {1, 1}};   // counter-clockwise hole
  cw.inners().push_back(hole);
  const MultiPolygon in{cw};
  EXPECT_TRUE(check_validity(in).valid);
  const MultiPolygon out = make_valid(in);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NEAR(area(out), 8.0, 1e-12);
  expect_normalised(out);
}

TEST(GeosOps, DegenerateRingsAreReportedAndDropped) {
  Polygon spike;
  spike.outer() = {{0, 0}, {1, 1}, {0, 0}};
  const Validity v = check_validity(MultiPolygon{spike});
  EXPECT_FALSE(v.valid);
  EXPECT_FALSE(v.reason.empty());
  EXPECT_TRUE(make_valid(MultiPolygon{spike}).empty());
  // A good part survives next to a degenerate one.
  const MultiPolygon mixed{spike, rect(5, 5, 6, 6)};
  const MultiPolygon fixed = make_valid(mixed);
  ASSERT_EQ(fixed.size(), 1u);
  EXPECT_NEAR(area(fixed), 1.0, 1e-12);
}

TEST(GeosOps, OverlappingPartsRepairToTheirUnion) {
  const MultiPolygon overlapping{rect(0, 0, 2, 2), rect(1, 1, 3, 3)};
  EXPECT_FALSE(check_validity(overlapping).valid);
  const MultiPolygon fixed = make_valid(overlapping);
  EXPECT_TRUE(check_validity(fixed).valid);
  EXPECT_NEAR(area(fixed), 7.0, 1e-12);
}

TEST(GeosOps, WkbRoundTrip) {
  Polygon a = rect(120.0, 30.0, 120.1, 30.1);
  a.inners().push_back(
      Ring{{120.02, 30.02}, {120.02, 30.05}, {120.05, 30.05}, {120.05, 30.02}, {120.02, 30.02}});
  const MultiPolygon mp{a, rect(121.0, 31.0, 121.123456789012, 31.2)};
  const std::vector<unsigned char> wkb = to_wkb(mp);
  ASSERT_GT(wkb.size(), 9u);
  EXPECT_EQ(wkb[0], 1);  // little endian
  EXPECT_EQ(wkb[1], 6);  // MultiPolygon
  EXPECT_EQ(wkb[2] | wkb[3] | wkb[4], 0);
  const MultiPolygon back = multipolygon_from_wkb(wkb.data(), wkb.size());
  ASSERT_EQ(back.size(), 2u);
  ASSERT_EQ(back[0].inners().size(), 1u);
  // Coordinates are bit-identical.
  for (std::size_t i = 0; i < mp.size(); ++i) {
    ASSERT_EQ(back[i].outer().size(), mp[i].outer().size());
    for (std::size_t k = 0; k < mp[i].outer().size(); ++k) {
      EXPECT_EQ(back[i].outer()[k].x(), mp[i].outer()[k].x());
      EXPECT_EQ(back[i].outer()[k].y(), mp[i].outer()[k].y());
    }
  }
  EXPECT_TRUE(bg::equals(back, mp));
}

TEST(GeosOps, WkbAcceptsPolygonAndGeometryCollection) {
  const std::vector<Point> ring{{0, 0}, {4, 0}, {4, 3}, {0, 0}};
  const auto poly = polygon_wkb(ring);
  const MultiPolygon one = multipolygon_from_wkb(poly.data(), poly.size());
  ASSERT_EQ(one.size(), 1u);
  EXPECT_NEAR(area(one), 6.0, 1e-12);
  expect_normalised(one);

  // GEOMETRYCOLLECTION(POINT(7 7), POLYGON(...)): the point is dropped.
  std::vector<unsigned char> gc{1};
  put_u32(gc, 7);
  put_u32(gc, 2);
  gc.push_back(1);
  put_u32(gc, 1);
  put_f64(gc, 7);
  put_f64(gc, 7);
  gc.insert(gc.end(), poly.begin(), poly.end());
  const MultiPolygon from_gc = multipolygon_from_wkb(gc.data(), gc.size());
  ASSERT_EQ(from_gc.size(), 1u);
  EXPECT_NEAR(area(from_gc), 6.0, 1e-12);

  // Big-endian input too.
  std::vector<unsigned char> be{0, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 4};
  for (const auto& p : ring)
    for (double v : {p.x(), p.y()}) {
      uint64_t bits = 0;
      std::memcpy(&bits, &v, 8);
      for (int i = 7; i >= 0; --i) be.push_back(static_cast<unsigned char>(bits >> (8 * i)));
    }
  EXPECT_NEAR(area(multipolygon_from_wkb(be.data(), be.size())), 6.0, 1e-12);
}

TEST(GeosOps, GarbageWkbThrowsInvalidArgument) {
  const unsigned char garbage[] = {0x42, 0x13, 0x37, 0x00, 0xff, 0xee, 0x01, 0x02, 0x03};
  try {
    multipolygon_from_wkb(garbage, sizeof garbage);
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.parameter(), "wkb");
  }
  const auto poly = polygon_wkb({{0, 0}, {4, 0}, {4, 3}, {0, 0}});
  EXPECT_THROW(multipolygon_from_wkb(poly.data(), poly.size() - 5), InvalidArgument);  // truncated
  EXPECT_THROW(multipolygon_from_wkb(poly.data(), 0), InvalidArgument);
  EXPECT_THROW(multipolygon_from_wkb(nullptr, 10), InvalidArgument);
}

TEST(GeosOps, WktRoundTripAndErrors) {
  const MultiPolygon mp{rect(120.123456789123, 30, 121, 31)};
  const std::string wkt = to_wkt(mp);
  EXPECT_EQ(wkt.rfind("MULTIPOLYGON", 0), 0u) << wkt;
  EXPECT_NE(wkt.find("120.123456789 30"), std::string::npos) << wkt;  // precision 9
  const MultiPolygon back = multipolygon_from_wkt(wkt);
  EXPECT_NEAR(area(back), area(mp), 1e-9);
  try {
    multipolygon_from_wkt("POLYGON((0 0, 1 1");
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.parameter(), "wkt");
  }
  EXPECT_TRUE(multipolygon_from_wkt("POINT(1 2)").empty());
}

TEST(GeosOps, OverlayOfSquares) {
  const MultiPolygon a{rect(0, 0, 2, 2)};
  const MultiPolygon b{rect(1, 1, 3, 3)};
  EXPECT_NEAR(area(intersection(a, b)), 1.0, 1e-12);
  EXPECT_NEAR(area(difference(a, b)), 3.0, 1e-12);
  EXPECT_NEAR(area(union_all({a, b})), 7.0, 1e-12);
  EXPECT_TRUE(intersection(a, MultiPolygon{rect(5, 5, 6, 6)}).empty());
  expect_normalised(difference(a, b));
  // A ring of eight unit squares dissolves into one polygon with one hole.
  std::vector<MultiPolygon> parts;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      if (i != 1 || j != 1) parts.push_back(MultiPolygon{rect(i, j, i + 1, j + 1)});
  const MultiPolygon ring = union_all(parts);
  ASSERT_EQ(ring.size(), 1u);
  ASSERT_EQ(ring[0].inners().size(), 1u);
  EXPECT_NEAR(area(ring), 8.0, 1e-12);
  expect_normalised(ring);
  EXPECT_TRUE(union_all({}).empty());
}

TEST(GeosOps, RelateGivesTheDe9imMatrix) {
  const MultiPolygon a{rect(0, 0, 2, 2)};
  // Squares sharing an edge, overlapping, one inside the other.
  EXPECT_EQ(relate(a, MultiPolygon{rect(2, 0, 4, 2)}), "FF2F11212");
  EXPECT_EQ(relate(a, MultiPolygon{rect(1, 1, 3, 3)}), "212101212");
  EXPECT_EQ(relate(a, MultiPolygon{rect(0, 0, 1, 1)}), "212F11FF2");
  // Points: one on an edge, one inside; lines: one along an edge, one crossing it.
  EXPECT_EQ(relate(a, MultiPoint{{1, 0}, {1, 1}}), "0F20F1FF2");
  MultiLineString lines;
  lines.push_back(LineString{{0, 0}, {2, 0}});
  EXPECT_EQ(relate(a, lines), "FF2101FF2");
  lines.push_back(LineString{{1, 1}, {3, 1}});
  EXPECT_EQ(relate(a, lines), "102101102");
}

namespace {
void check_voronoi(const std::vector<Point>& seeds, const MultiPolygon& clip) {
  const std::vector<MultiPolygon> cells = voronoi_cells(seeds, clip);
  ASSERT_EQ(cells.size(), seeds.size());
  double sum = 0;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    sum += area(cells[i]);
    if (cells[i].empty()) continue;
    expect_normalised(cells[i]);
    if (bg::within(seeds[i], clip)) {
      EXPECT_TRUE(bg::covered_by(seeds[i], cells[i])) << i;
    }
    // Independent check of the seed ↔ cell matching: a point inside the cell is nearer to its
    // seed than to any other seed.
    const Point inner = point_on_surface(cells[i]);
    std::size_t nearest = 0;
    for (std::size_t k = 1; k < seeds.size(); ++k)
      if (bg::comparable_distance(inner, seeds[k]) < bg::comparable_distance(inner, seeds[nearest]))
        nearest = k;
    EXPECT_TRUE(bg::equals(seeds[nearest], seeds[i])) << i;
  }
  EXPECT_NEAR(sum, area(clip), area(clip) * 1e-9);
  for (std::size_t i = 0; i < cells.size(); ++i) {
    for (std::size_t k = i + 1; k < cells.size(); ++k) {
      if (!cells[i].empty() && !cells[k].empty() &&
          bg::intersects(envelope(cells[i]), envelope(cells[k]))) {
        EXPECT_LT(area(intersection(cells[i], cells[k])), area(clip) * 1e-9) << i << " " << k;
      }
    }
  }
}
}  // namespace

TEST(GeosOps, VoronoiCellsTileASquare) {
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<double> u(0.0, 10.0);
  std::vector<Point> seeds;
  for (int i = 0; i < 60; ++i) seeds.emplace_back(u(rng), u(rng));
  check_voronoi(seeds, MultiPolygon{rect(0, 0, 10, 10)});
}

TEST(GeosOps, VoronoiCellsTileAHoledLShapeWithOutsideAndDuplicateSeeds) {
  Polygon l;
  l.outer() = {{0, 0}, {10, 0}, {10, 4}, {4, 4}, {4, 10}, {0, 10}, {0, 0}};
  l.inners().push_back(Ring{{1, 1}, {1, 2}, {2, 2}, {2, 1}, {1, 1}});
  const MultiPolygon clip{l};
  std::mt19937_64 rng(23);
  std::uniform_real_distribution<double> u(-1.0, 11.0);
  std::vector<Point> seeds;
  for (int i = 0; i < 40; ++i) seeds.emplace_back(u(rng), u(rng));
  seeds.push_back(seeds[3]);   // duplicate: the later copy gets an empty cell
  seeds.emplace_back(50, 50);  // far outside: nothing of the clip is nearest to it
  check_voronoi(seeds, clip);
  const auto cells = voronoi_cells(seeds, clip);
  EXPECT_TRUE(cells[40].empty());
  EXPECT_TRUE(cells[41].empty());
}

TEST(GeosOps, PointOnSurfaceAndCentroid) {
  Polygon u;  // a U shape whose centroid lies outside it
  u.outer() = {{0, 0}, {3, 0}, {3, 3}, {2, 3}, {2, 1}, {1, 1}, {1, 3}, {0, 3}, {0, 0}};
  const MultiPolygon mp{u};
  const Point c = centroid(mp);
  Point bc;
  bg::centroid(mp, bc);
  EXPECT_NEAR(c.x(), bc.x(), 1e-12);
  EXPECT_NEAR(c.y(), bc.y(), 1e-12);
  EXPECT_TRUE(bg::within(point_on_surface(mp), mp));
  EXPECT_THROW(centroid(MultiPolygon{}), InvalidArgument);
  EXPECT_THROW(point_on_surface(MultiPolygon{}), InvalidArgument);
}
