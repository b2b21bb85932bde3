// CRS transforms, GCJ-02/BD-09 offsets, areas and distances, each checked against an independent
// computation: meridian arcs by numerical integration, the Transverse Mercator scale factor, the
// Web Mercator closed form, published GCJ-02/BD-09 vectors and PROJ's geodesic polygon area.
#include "spatial/crs.hpp"
#include "core/errors.hpp"
#include "spatial/chinacrs.hpp"

#include <geodesic.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <thread>

using namespace onemap;
using namespace onemap::spatial;

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDeg = kPi / 180.0;
constexpr double kGrs80A = 6378137.0;
constexpr double kGrs80F = 1.0 / 298.257222101;
constexpr double kGrs80E2 = kGrs80F * (2 - kGrs80F);

// Meridian arc length from the equator to latitude `lat_deg` on GRS80, by composite Simpson.
double meridian_arc(double lat_deg) {
  const int n = 4000;
  const double phi = lat_deg * kDeg;
  const double step = phi / n;
  auto f = [](double t) {
    const double s = std::sin(t);
    return kGrs80A * (1 - kGrs80E2) / std::pow(1 - kGrs80E2 * s * s, 1.5);
  };
  double sum = f(0) + f(phi);
  for (int i = 1; i < n; ++i) sum += f(i * step) * (i % 2 == 1 ? 4 : 2);
  return sum * step / 3;
}

// Approximate metres per degree, only to express lon/lat errors in metres.
double metres_between(Point a, Point b) {
  const double dx = (a.x() - b.x()) * std::cos(a.y() * kDeg) * 111320.0;
  const double dy = (a.y() - b.y()) * 110574.0;
  return std::hypot(dx, dy);
}

double geodesic_area(const Ring& ring) {
  geod_geodesic g{};
  geod_init(&g, kGrs80A, kGrs80F);
  std::vector<double> lats;
  std::vector<double> lons;
  for (std::size_t i = 0; i + 1 < ring.size(); ++i) {  // closed ring: skip the repeated vertex
    lats.push_back(ring[i].y());
    lons.push_back(ring[i].x());
  }
  double area = 0;
  double perimeter = 0;
  geod_polygonarea(&g, lats.data(), lons.data(), static_cast<int>(lats.size()), &area, &perimeter);
  return std::fabs(area);
}

Ring square(double x0, double y0, double side) {
  return Ring{{x0, y0}, {x0 + side, y0}, {x0 + side, y0 + side}, {x0, y0 + side}, {x0, y0}};
}

}  // namespace

TEST(Crs, Gk4549RoundTripOverDeqingBelowOneMillimetre) {
  const CrsTransform fwd("EPSG:4490", "EPSG:4549");
  const CrsTransform inv("EPSG:4549", "EPSG:4490");
  EXPECT_FALSE(fwd.is_identity());
  double worst = 0;
  std::vector<Point> bulk;
  for (int i = 0; i <= 40; ++i) {
    for (int j = 0; j <= 40; ++j) {
      const Point p(119.7 + 0.7 * i / 40, 30.3 + 0.5 * j / 40);
      const Point xy = fwd.apply(p);
      // Plausible Gauss-Krüger values for the zone: easting 500 km ± 60 km, northing ~3,350 km.
      ASSERT_GT(xy.x(), 400000.0);
      ASSERT_LT(xy.x(), 600000.0);
      ASSERT_GT(xy.y(), 3300000.0);
      ASSERT_LT(xy.y(), 3420000.0);
      worst = std::max(worst, metres_between(inv.apply(xy), p));
      bulk.push_back(p);
    }
  }
  EXPECT_LT(worst, 0.001);
  // The bulk path gives the same numbers as the single-point path.
  std::vector<Point> projected = bulk;
  ASSERT_TRUE(fwd.apply(projected));
  for (std::size_t k = 0; k < bulk.size(); ++k) {
    const Point single = fwd.apply(bulk[k]);
    EXPECT_DOUBLE_EQ(projected[k].x(), single.x());
    EXPECT_DOUBLE_EQ(projected[k].y(), single.y());
  }
}

TEST(Crs, Gk4549CentralMeridianMatchesMeridianArc) {
  const CrsTransform fwd("EPSG:4490", "EPSG:4549");
  for (double lat : {0.5, 23.0, 30.5, 45.25}) {
    const Point xy = fwd.apply(Point(120.0, lat));
    EXPECT_NEAR(xy.x(), 500000.0, 1e-6) << lat;
    // On the central meridian the northing is the meridian arc (scale factor 1 for these zones).
    EXPECT_NEAR(xy.y(), meridian_arc(lat), 0.001) << lat;
  }
}

TEST(Crs, Gk4549ScaleFactorOffTheMeridian) {
  // Transverse Mercator: k ≈ 1 + x² / (2ρν) at distance x from the central meridian.
  const CrsTransform fwd("EPSG:4490", "EPSG:4549");
  for (double lon : {119.2, 119.75, 120.4, 121.3}) {
    const double lat = 30.5;
    const Point a = fwd.apply(Point(lon, lat));
    const Point b = fwd.apply(Point(lon + 0.0001, lat));
    const double grid = std::hypot(b.x() - a.x(), b.y() - a.y());
    const double ground = distance_m({lon, lat}, {lon + 0.0001, lat});
    const double s = std::sin(lat * kDeg);
    const double w = 1 - kGrs80E2 * s * s;
    const double rho = kGrs80A * (1 - kGrs80E2) / std::pow(w, 1.5);
    const double nu = kGrs80A / std::sqrt(w);
    const double x = (a.x() + b.x()) / 2 - 500000.0;
    EXPECT_NEAR(grid / ground, 1 + x * x / (2 * rho * nu), 2e-7) << lon;
  }
}

TEST(Crs, Epsg4528IsTheSameZoneWithTheZonePrefix) {
  const CrsTransform truncated("EPSG:4490", "EPSG:4549");
  const CrsTransform prefixed("EPSG:4490", "EPSG:4528");
  for (const Point p : {Point(119.9, 30.55), Point(120.3, 30.7), Point(121.0, 31.0)}) {
    const Point a = truncated.apply(p);
    const Point b = prefixed.apply(p);
    EXPECT_NEAR(b.x(), a.x() + 40000000.0, 1e-6);
    EXPECT_NEAR(b.y(), a.y(), 1e-6);
  }
}

TEST(Crs, Wgs84ToCgcs2000IsNearIdentity) {
  const CrsTransform t("EPSG:4326", "EPSG:4490");
  for (const Point p :
       {Point(120.0, 30.5), Point(87.6, 43.8), Point(126.6, 45.7), Point(-74.0, 40.7)}) {
    const Point q = t.apply(p);
    EXPECT_LT(metres_between(p, q), 0.1);
  }
}

TEST(Crs, WebMercatorClosedFormAndRoundTrip) {
  const CrsTransform to3857("EPSG:4326", "EPSG:3857");
  const CrsTransform from3857("EPSG:3857", "EPSG:4490");
  const CrsTransform to3857_cgcs("EPSG:4490", "EPSG:3857");
  for (const Point p :
       {Point(120.0, 30.5), Point(-73.95, 40.75), Point(0.0, 0.0), Point(151.2, -33.9)}) {
    const Point xy = to3857.apply(p);
    EXPECT_NEAR(xy.x(), kGrs80A * p.x() * kDeg, 1e-6);
    EXPECT_NEAR(xy.y(), kGrs80A * std::log(std::tan(kPi / 4 + p.y() * kDeg / 2)), 1e-6);
    const Point back = from3857.apply(to3857_cgcs.apply(p));
    EXPECT_NEAR(back.x(), p.x(), 1e-9);
    EXPECT_NEAR(back.y(), p.y(), 1e-9);
  }
}

TEST(Crs, TransformsAMultiPolygonLikeItsPoints) {
  const CrsTransform t("EPSG:4490", "EPSG:4549");
  Polygon poly;
  poly.outer() = square(120.0, 30.5, 0.01);
  poly.inners().push_back(
      Ring{{120.002, 30.502}, {120.002, 30.504}, {120.004, 30.504}, {120.002, 30.502}});
  MultiPolygon mp{poly};
  t.apply(mp);
  ASSERT_EQ(mp.size(), 1u);
  for (std::size_t i = 0; i < poly.outer().size(); ++i) {
    const Point q = t.apply(poly.outer()[i]);
    EXPECT_DOUBLE_EQ(mp[0].outer()[i].x(), q.x());
    EXPECT_DOUBLE_EQ(mp[0].outer()[i].y(), q.y());
  }
  const Point h = t.apply(poly.inners()[0][1]);
  EXPECT_DOUBLE_EQ(mp[0].inners()[0][1].x(), h.x());
  EXPECT_DOUBLE_EQ(mp[0].inners()[0][1].y(), h.y());
}

TEST(Crs, UnknownCrsThrowsCrsErrorNamingIt) {
  try {
    CrsTransform t("EPSG:999999");
    FAIL() << "no exception";
  } catch (const CrsError& e) {
    EXPECT_NE(std::string(e.what()).find("EPSG:999999"), std::string::npos) << e.what();
  }
  EXPECT_THROW(CrsTransform("EPSG:4490", "no such thing"), CrsError);
  EXPECT_THROW(CrsTransform(""), CrsError);
  EXPECT_THROW(CrsTransform("GCJ02", "EPSG:123456789"), CrsError);
}

TEST(Crs, OutOfRangeCoordinateThrows) {
  const CrsTransform t("EPSG:4490", "EPSG:3857");
  EXPECT_THROW(t.apply(Point(120.0, 95.0)), CrsError);
  std::vector<Point> pts{Point(120.0, 30.0), Point(120.0, 95.0)};
  EXPECT_FALSE(t.apply(pts));
}

TEST(Crs, ProjStringsWithoutTypeCrsAreAccepted) {
  const CrsTransform t("+proj=longlat +ellps=GRS80 +no_defs", "EPSG:4549");
  const Point xy = t.apply(Point(120.0, 30.5));
  EXPECT_NEAR(xy.x(), 500000.0, 1e-6);
}

TEST(Crs, IdentityDetection) {
  EXPECT_TRUE(CrsTransform("EPSG:4490", "EPSG:4490").is_identity());
  EXPECT_TRUE(CrsTransform("EPSG:4490").is_identity());
  EXPECT_TRUE(CrsTransform("gcj-02", "GCJ02").is_identity());
  EXPECT_TRUE(CrsTransform("BD09", "bd-09").is_identity());
  EXPECT_FALSE(CrsTransform("EPSG:4549", "EPSG:4490").is_identity());
  EXPECT_FALSE(CrsTransform("GCJ02", "EPSG:4326").is_identity());
  EXPECT_FALSE(CrsTransform("GCJ02", "BD09").is_identity());
  const Point p(120.1, 30.6);
  const Point q = CrsTransform("EPSG:4490").apply(p);
  EXPECT_EQ(q.x(), p.x());
  EXPECT_EQ(q.y(), p.y());
}

TEST(Crs, ChinaOffsetNames) {
  EXPECT_EQ(china_offset_from_name("GCJ02"), ChinaOffset::Gcj02);
  EXPECT_EQ(china_offset_from_name("gcj-02"), ChinaOffset::Gcj02);
  EXPECT_EQ(china_offset_from_name("BD-09"), ChinaOffset::Bd09);
  EXPECT_EQ(china_offset_from_name("bd09"), ChinaOffset::Bd09);
  EXPECT_EQ(china_offset_from_name("EPSG:4326"), ChinaOffset::None);
}

TEST(Crs, CrsNames) {
  EXPECT_NE(crs_name("EPSG:4549").find("120E"), std::string::npos) << crs_name("EPSG:4549");
  EXPECT_EQ(crs_name("EPSG:4490"), "China Geodetic Coordinate System 2000");
  EXPECT_EQ(crs_name("definitely not a crs"), "definitely not a crs");
  EXPECT_NE(crs_name("GCJ02").find("GCJ-02"), std::string::npos);
}

TEST(Crs, Gk3ZoneCodesAgreeWithTheEpsgDatabase) {
  EXPECT_EQ(cgcs2000_gk3_epsg(120.0), 4549);
  EXPECT_EQ(cgcs2000_gk3_epsg(119.7), 4549);
  EXPECT_EQ(cgcs2000_gk3_epsg(121.4), 4549);
  EXPECT_EQ(cgcs2000_gk3_epsg(121.6), 4550);
  EXPECT_EQ(cgcs2000_gk3_epsg(60.0), 0);
  EXPECT_EQ(cgcs2000_gk3_epsg(-74.0), 0);
  EXPECT_EQ(cgcs2000_gk3_epsg(140.0), 0);
  // Every zone: the code's PROJ name states the central meridian the function rounded to.
  for (int cm = 75; cm <= 135; cm += 3) {
    const int code = cgcs2000_gk3_epsg(cm + 1.2);
    ASSERT_NE(code, 0) << cm;
    const std::string name = crs_name("EPSG:" + std::to_string(code));
    EXPECT_NE(name.find("CM " + std::to_string(cm) + "E"), std::string::npos) << name;
    EXPECT_NE(name.find("CGCS2000"), std::string::npos) << name;
  }
}

// ---- GCJ-02 / BD-09 ---------------------------------------------------------------------------

TEST(ChinaCrs, PublishedVectors) {
  // Reference outputs printed in the coordtransform library's README (Beijing, 116.404, 39.915).
  const LonLat gcj = wgs84_to_gcj02({116.404, 39.915});
  EXPECT_NEAR(gcj.lon, 116.41024449916938, 1e-11);
  EXPECT_NEAR(gcj.lat, 39.91640428150164, 1e-11);
  const LonLat bd = gcj02_to_bd09({116.404, 39.915});
  EXPECT_NEAR(bd.lon, 116.41036949371029, 1e-11);
  EXPECT_NEAR(bd.lat, 39.92133699351021, 1e-11);
  const LonLat wbd = wgs84_to_bd09({116.404, 39.915});
  EXPECT_NEAR(wbd.lon, 116.41662724378733, 1e-11);
  EXPECT_NEAR(wbd.lat, 39.922699552216216, 1e-11);
}

TEST(ChinaCrs, OffsetIsHundredsOfMetres) {
  for (double lon = 75; lon <= 134; lon += 3.7) {
    for (double lat = 20; lat <= 52; lat += 2.9) {
      const LonLat g = wgs84_to_gcj02({lon, lat});
      const double m = metres_between(Point(g.lon, g.lat), Point(lon, lat));
      EXPECT_GT(m, 1.0);
      EXPECT_LT(m, 1500.0);
    }
  }
}

namespace {
template <typename Fwd, typename Inv>
void expect_round_trips(Fwd fwd, Inv inv, const char* what) {
  double worst_inv = 0;
  double worst_fwd = 0;
  for (int i = 0; i < 100; ++i) {
    for (int j = 0; j < 100; ++j) {
      const LonLat p{73.5 + 61.5 * i / 99.0, 18.2 + 35.0 * j / 99.0};
      const LonLat back = inv(fwd(p));
      worst_inv = std::max({worst_inv, std::fabs(back.lon - p.lon), std::fabs(back.lat - p.lat)});
      const LonLat again = fwd(inv(p));
      worst_fwd = std::max({worst_fwd, std::fabs(again.lon - p.lon), std::fabs(again.lat - p.lat)});
    }
  }
  EXPECT_LT(worst_inv, 1e-9) << what;
  EXPECT_LT(worst_fwd, 1e-9) << what;
}
}  // namespace

TEST(ChinaCrs, Gcj02InverseAcrossChina) {
  expect_round_trips(wgs84_to_gcj02, gcj02_to_wgs84, "gcj02");
}
TEST(ChinaCrs, Bd09FromGcj02InverseAcrossChina) {
  expect_round_trips(gcj02_to_bd09, bd09_to_gcj02, "bd09/gcj");
}
TEST(ChinaCrs, Bd09FromWgs84InverseAcrossChina) {
  expect_round_trips(wgs84_to_bd09, bd09_to_wgs84, "bd09/wgs");
}

TEST(ChinaCrs, OutsideChinaIsIdentity) {
  for (const LonLat p : {LonLat{0, 0}, LonLat{-74.006, 40.7128}, LonLat{139.69, 35.69},
                         LonLat{2.35, 48.85}, LonLat{120.0, 60.0}, LonLat{100.0, 0.5}}) {
    EXPECT_FALSE(in_china(p));
    EXPECT_EQ(wgs84_to_gcj02(p), p);
    EXPECT_EQ(gcj02_to_wgs84(p), p);
    EXPECT_EQ(gcj02_to_bd09(p), p);
    EXPECT_EQ(bd09_to_gcj02(p), p);
    EXPECT_EQ(wgs84_to_bd09(p), p);
    EXPECT_EQ(bd09_to_wgs84(p), p);
  }
  EXPECT_TRUE(in_china({120.0, 30.5}));
}

TEST(ChinaCrs, CrsTransformChainsTheOffsetsWithProj) {
  const LonLat q{119.98, 30.54};
  const Point w = CrsTransform("GCJ02", "EPSG:4326").apply(Point(q.lon, q.lat));
  const LonLat expect = gcj02_to_wgs84(q);
  EXPECT_NEAR(w.x(), expect.lon, 1e-12);
  EXPECT_NEAR(w.y(), expect.lat, 1e-12);

  // BD-09 into the Gauss-Krüger zone = BD-09 → WGS84 by the offsets, then WGS84 → 4549 by PROJ.
  const Point xy = CrsTransform("BD09", "EPSG:4549").apply(Point(q.lon, q.lat));
  const LonLat wq = bd09_to_wgs84(q);
  const Point ref = CrsTransform("EPSG:4326", "EPSG:4549").apply(Point(wq.lon, wq.lat));
  EXPECT_NEAR(xy.x(), ref.x(), 1e-6);
  EXPECT_NEAR(xy.y(), ref.y(), 1e-6);

  // Storage → GCJ-02 and back.
  const CrsTransform to_gcj("EPSG:4490", "GCJ02");
  const CrsTransform from_gcj("GCJ-02", "EPSG:4490");
  const Point s(120.05, 30.6);
  const Point g = to_gcj.apply(s);
  const LonLat direct = wgs84_to_gcj02({s.x(), s.y()});
  EXPECT_LT(metres_between(g, Point(direct.lon, direct.lat)), 0.1);
  const Point back = from_gcj.apply(g);
  EXPECT_LT(metres_between(back, s), 0.001);
  // GCJ-02 → BD-09 without PROJ.
  const Point b = CrsTransform("GCJ02", "BD09").apply(Point(q.lon, q.lat));
  const LonLat bq = gcj02_to_bd09(q);
  EXPECT_NEAR(b.x(), bq.lon, 1e-9);
  EXPECT_NEAR(b.y(), bq.lat, 1e-9);
}

// ---- areas and distances ----------------------------------------------------------------------

TEST(Measure, AreaOfSmallSquareMatchesGeodesicArea) {
  for (const double lon : {119.9, 120.31, 121.45}) {
    Polygon poly;
    poly.outer() = square(lon, 30.5, 0.01);
    const double expected = geodesic_area(poly.outer());
    EXPECT_NEAR(area_m2(MultiPolygon{poly}), expected, expected * 0.0005) << lon;
  }
}

TEST(Measure, AreaSubtractsHolesAndIgnoresOrientation) {
  Polygon poly;
  poly.outer() = square(120.0, 30.5, 0.02);
  Ring hole = square(120.005, 30.505, 0.01);
  std::reverse(hole.begin(), hole.end());
  poly.inners().push_back(hole);
  Polygon reversed = poly;
  std::reverse(reversed.outer().begin(), reversed.outer().end());
  const double expected =
      geodesic_area(poly.outer()) - geodesic_area(square(120.005, 30.505, 0.01));
  EXPECT_NEAR(area_m2(MultiPolygon{poly}), expected, expected * 0.0005);
  EXPECT_NEAR(area_m2(MultiPolygon{reversed}), expected, expected * 0.0005);
  EXPECT_EQ(area_m2(MultiPolygon{}), 0.0);
}

TEST(Measure, LocalAreaMatchesGeodesicAreaAndIsZeroForCollinearSlivers) {
  for (const double lat : {0.0, 30.5, 40.7, 60.0}) {
    Polygon poly;
    poly.outer() = square(120.0, lat, 0.01);
    const double expected = geodesic_area(poly.outer());
    EXPECT_NEAR(local_area_m2(MultiPolygon{poly}), expected, expected * 1e-4) << lat;
  }
  // A degenerate triangle along a 20 km straight lon/lat edge: projected vertex by vertex it
  // would gain area from the curvature of the projected line; locally it has none.
  Polygon sliver;
  sliver.outer() = {{120.0, 30.5}, {120.1, 30.6}, {120.2, 30.7}, {120.0, 30.5}};
  EXPECT_EQ(local_area_m2(MultiPolygon{sliver}), 0.0);
  EXPECT_EQ(local_area_m2(MultiPolygon{}), 0.0);
}

TEST(Measure, AreaOutsideChinaUsesAnEqualAreaProjection) {
  Polygon poly;
  poly.outer() = square(-74.0, 40.7, 0.05);
  const double expected = geodesic_area(poly.outer());
  EXPECT_NEAR(area_m2(MultiPolygon{poly}), expected, expected * 0.0005);
}

TEST(Measure, DistanceAlongMeridianAndEquator) {
  EXPECT_NEAR(distance_m({120, 30}, {120, 31}), meridian_arc(31) - meridian_arc(30), 0.001);
  EXPECT_NEAR(distance_m({0, 0}, {1, 0}), kGrs80A * kDeg, 1e-6);
  EXPECT_EQ(distance_m({120.1, 30.2}, {120.1, 30.2}), 0.0);
}

TEST(Measure, TransformsAndAreasAreIndependentPerThread) {
  Polygon poly;
  poly.outer() = square(120.2, 30.6, 0.01);
  const MultiPolygon mp{poly};
  const double area_here = area_m2(mp);
  const Point xy_here = CrsTransform("EPSG:4490", "EPSG:4549").apply(Point(120.2, 30.6));
  double areas[2] = {0, 0};
  Point xys[2];
  auto run = [&](int k) {
    const CrsTransform t("EPSG:4490", "EPSG:4549");
    for (int i = 0; i < 200; ++i) xys[k] = t.apply(Point(120.2, 30.6));
    areas[k] = area_m2(mp);
  };
  std::thread a(run, 0);
  std::thread b(run, 1);
  a.join();
  b.join();
  for (int k = 0; k < 2; ++k) {
    EXPECT_EQ(areas[k], area_here);
    EXPECT_EQ(xys[k].x(), xy_here.x());
    EXPECT_EQ(xys[k].y(), xy_here.y());
  }
}
