// Tile matrix sets against independent oracles: PROJ's EPSG:4326 -> EPSG:3857 for the Mercator
// formulas, the OpenStreetMap slippy-map tile formulas (lon/lat -> x/y tile numbers and back) for
// Web Mercator tiles, and plain arithmetic on degrees for the CGCS2000 ('c') matrix set.
#include "spatial/tms.hpp"

#include "core/errors.hpp"

#include <gtest/gtest.h>
#include <proj.h>

#include <cmath>
#include <memory>
#include <random>

using namespace onemap;
using namespace onemap::spatial;

namespace {

constexpr double kPi = 3.14159265358979323846;
// pi x the WGS84 semi-major axis, the half-width of the Web Mercator world.
constexpr double kHalf = kPi * 6378137.0;

// The OSM wiki's tile numbering (https://wiki.openstreetmap.org/wiki/Slippy_map_tilenames).
uint32_t osm_x(double lon, uint32_t z) {
  return static_cast<uint32_t>(
      std::floor((lon + 180.0) / 360.0 * std::ldexp(1.0, static_cast<int>(z))));
}
uint32_t osm_y(double lat, uint32_t z) {
  const double phi = lat * kPi / 180;
  return static_cast<uint32_t>(std::floor((1.0 - std::asinh(std::tan(phi)) / kPi) / 2.0 *
                                          std::ldexp(1.0, static_cast<int>(z))));
}
double osm_lon(uint32_t x, uint32_t z) {
  return x / std::ldexp(1.0, static_cast<int>(z)) * 360.0 - 180.0;
}
double osm_lat(uint32_t y, uint32_t z) {
  return std::atan(std::sinh(kPi * (1 - 2.0 * y / std::ldexp(1.0, static_cast<int>(z))))) * 180 /
         kPi;
}

struct PjDeleter {
  void operator()(PJ* p) const { proj_destroy(p); }
};

// EPSG:4326 -> EPSG:3857 in lon/lat order, from PROJ.
class ProjMercator {
 public:
  ProjMercator() {
    std::unique_ptr<PJ, PjDeleter> raw(
        proj_create_crs_to_crs(nullptr, "EPSG:4326", "EPSG:3857", nullptr));
    if (raw) pj_.reset(proj_normalize_for_visualization(nullptr, raw.get()));
  }
  bool ok() const { return pj_ != nullptr; }
  PJ_COORD forward(double lon, double lat) const {
    return proj_trans(pj_.get(), PJ_FWD, proj_coord(lon, lat, 0, 0));
  }
  PJ_COORD inverse(double x, double y) const {
    return proj_trans(pj_.get(), PJ_INV, proj_coord(x, y, 0, 0));
  }

 private:
  std::unique_ptr<PJ, PjDeleter> pj_;
};

// The boundary rule of tile_at: x in [minx, maxx), y in (miny, maxy].
bool holds(const CrsBox& b, double x, double y) {
  return b.minx <= x && x < b.maxx && b.miny < y && y <= b.maxy;
}

const TileMatrixSet& wm() {
  return TileMatrixSet::web_mercator();
}
const TileMatrixSet& cg() {
  return TileMatrixSet::cgcs2000();
}

}  // namespace

TEST(Tms, NamesAndZoomRanges) {
  EXPECT_EQ(wm().kind(), TileMatrixSet::Kind::WebMercatorQuad);
  EXPECT_EQ(wm().name(), "WebMercatorQuad");
  EXPECT_EQ(wm().crs(), "EPSG:3857");
  EXPECT_EQ(wm().min_zoom(), 0U);
  EXPECT_EQ(wm().max_zoom(), 24U);
  EXPECT_EQ(cg().kind(), TileMatrixSet::Kind::Cgcs2000);
  EXPECT_EQ(cg().name(), "CGCS2000Quad");
  EXPECT_EQ(cg().crs(), "EPSG:4490");
  EXPECT_EQ(cg().min_zoom(), 1U);
  EXPECT_EQ(cg().max_zoom(), 24U);
}

TEST(Tms, MatrixSizes) {
  for (uint32_t z = 0; z <= 24; ++z) {
    EXPECT_EQ(wm().matrix_width(z), uint64_t{1} << z);
    EXPECT_EQ(wm().matrix_height(z), uint64_t{1} << z);
  }
  for (uint32_t z = 1; z <= 24; ++z) {
    EXPECT_EQ(cg().matrix_width(z), uint64_t{1} << z);
    EXPECT_EQ(cg().matrix_height(z), uint64_t{1} << (z - 1));
  }
  try {
    (void)wm().matrix_width(25);
    FAIL() << "zoom 25 accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.parameter(), "z");
    EXPECT_EQ(e.detail(), "zoom 25 is outside 0..24");
  }
  EXPECT_THROW((void)cg().matrix_height(0), InvalidArgument);
  EXPECT_THROW((void)cg().tile_at(0, 0, 0), InvalidArgument);
}

TEST(Tms, ValidLimits) {
  EXPECT_TRUE(wm().valid({0, 0, 0}));
  EXPECT_FALSE(wm().valid({0, 1, 0}));
  EXPECT_FALSE(wm().valid({0, 0, 1}));
  EXPECT_TRUE(wm().valid({24, (1U << 24) - 1, (1U << 24) - 1}));
  EXPECT_FALSE(wm().valid({24, 1U << 24, 0}));
  EXPECT_FALSE(wm().valid({24, 0, 1U << 24}));
  EXPECT_FALSE(wm().valid({25, 0, 0}));
  EXPECT_FALSE(cg().valid({0, 0, 0}));
  EXPECT_TRUE(cg().valid({1, 1, 0}));
  EXPECT_FALSE(cg().valid({1, 2, 0}));
  EXPECT_FALSE(cg().valid({1, 0, 1}));
  EXPECT_TRUE(cg().valid({24, (1U << 24) - 1, (1U << 23) - 1}));
  EXPECT_FALSE(cg().valid({24, 0, 1U << 23}));
  EXPECT_FALSE(cg().valid({25, 0, 0}));
  try {
    (void)wm().bounds({3, 8, 0});
    FAIL() << "tile 3/8/0 accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.parameter(), "tile");
    EXPECT_EQ(e.detail(), "no tile 3/8/0 in WebMercatorQuad");
  }
  EXPECT_THROW((void)cg().buffered_bounds({1, 0, 1}, 0.1), InvalidArgument);
}

TEST(Tms, WebMercatorZoom0AndZoom1Corners) {
  const CrsBox world = wm().bounds({0, 0, 0});
  EXPECT_DOUBLE_EQ(world.minx, -kHalf);
  EXPECT_DOUBLE_EQ(world.maxx, kHalf);
  EXPECT_DOUBLE_EQ(world.miny, -kHalf);
  EXPECT_DOUBLE_EQ(world.maxy, kHalf);
  // Zoom 1: rows counted from the north, so 1/0/0 is the north-west quarter.
  const CrsBox nw = wm().bounds({1, 0, 0});
  EXPECT_DOUBLE_EQ(nw.minx, -kHalf);
  EXPECT_EQ(nw.maxx, 0.0);
  EXPECT_EQ(nw.miny, 0.0);
  EXPECT_DOUBLE_EQ(nw.maxy, kHalf);
  const CrsBox se = wm().bounds({1, 1, 1});
  EXPECT_EQ(se.minx, 0.0);
  EXPECT_DOUBLE_EQ(se.maxx, kHalf);
  EXPECT_DOUBLE_EQ(se.miny, -kHalf);
  EXPECT_EQ(se.maxy, 0.0);
  const Box ll = wm().to_lonlat(world);
  EXPECT_NEAR(ll.min_corner().x(), -180, 1e-12);
  EXPECT_NEAR(ll.max_corner().x(), 180, 1e-12);
  EXPECT_NEAR(ll.min_corner().y(), -osm_lat(0, 0), 1e-12);
  EXPECT_NEAR(ll.max_corner().y(), osm_lat(0, 0), 1e-12);
}

TEST(Tms, DeqingTileAtZoom14) {
  const double lon = 119.97;
  const double lat = 30.54;
  const ProjMercator proj;
  ASSERT_TRUE(proj.ok());
  const PJ_COORD xy = proj.forward(lon, lat);
  const TileId t = wm().tile_at(xy.xy.x, xy.xy.y, 14);
  EXPECT_EQ(t, (TileId{14, osm_x(lon, 14), osm_y(lat, 14)}));
  // The tile's corners, in lon/lat, are the OSM formulas' corners.
  const Box ll = wm().to_lonlat(wm().bounds(t));
  EXPECT_NEAR(ll.min_corner().x(), osm_lon(t.x, 14), 1e-9);
  EXPECT_NEAR(ll.max_corner().x(), osm_lon(t.x + 1, 14), 1e-9);
  EXPECT_NEAR(ll.max_corner().y(), osm_lat(t.y, 14), 1e-9);
  EXPECT_NEAR(ll.min_corner().y(), osm_lat(t.y + 1, 14), 1e-9);
  // And in metres, PROJ's projection of those corners.
  const CrsBox b = wm().bounds(t);
  const PJ_COORD nw = proj.forward(osm_lon(t.x, 14), osm_lat(t.y, 14));
  const PJ_COORD se = proj.forward(osm_lon(t.x + 1, 14), osm_lat(t.y + 1, 14));
  EXPECT_NEAR(b.minx, nw.xy.x, 1e-6);
  EXPECT_NEAR(b.maxy, nw.xy.y, 1e-6);
  EXPECT_NEAR(b.maxx, se.xy.x, 1e-6);
  EXPECT_NEAR(b.miny, se.xy.y, 1e-6);
  // Up to a few ulps of coordinates near 1.3e7 m (2e-9 m each).
  EXPECT_NEAR(b.maxx - b.minx, 2 * kHalf / 16384, 1e-8);

  // CGCS2000 at zoom 14: 360 / 2^14 degrees per tile from (-180, 90).
  const double side = 360.0 / 16384;
  const TileId c = cg().tile_at(lon, lat, 14);
  EXPECT_EQ(c, (TileId{14, static_cast<uint32_t>(std::floor((lon + 180) / side)),
                       static_cast<uint32_t>(std::floor((90 - lat) / side))}));
  const CrsBox cb = cg().bounds(c);
  EXPECT_NEAR(cb.minx, -180 + c.x * side, 1e-12);
  EXPECT_NEAR(cb.maxy, 90 - c.y * side, 1e-12);
  EXPECT_NEAR(cb.maxx - cb.minx, side, 1e-12);
  EXPECT_NEAR(cb.maxy - cb.miny, side, 1e-12);
}

TEST(Tms, Cgcs2000Zoom1And2) {
  // Zoom 1: two tiles of 180 degrees (0.703125 degrees per 256 px) side by side.
  const CrsBox w = cg().bounds({1, 0, 0});
  EXPECT_EQ(w.minx, -180.0);
  EXPECT_EQ(w.maxx, 0.0);
  EXPECT_EQ(w.miny, -90.0);
  EXPECT_EQ(w.maxy, 90.0);
  EXPECT_EQ((w.maxx - w.minx) / 256, 0.703125);
  const CrsBox e = cg().bounds({1, 1, 0});
  EXPECT_EQ(e.minx, 0.0);
  EXPECT_EQ(e.maxx, 180.0);
  const CrsBox z2 = cg().bounds({2, 3, 1});
  EXPECT_EQ(z2.minx, 90.0);
  EXPECT_EQ(z2.maxx, 180.0);
  EXPECT_EQ(z2.miny, -90.0);
  EXPECT_EQ(z2.maxy, 0.0);
  const Box ll = cg().to_lonlat(z2);
  EXPECT_EQ(ll.min_corner().x(), 90.0);
  EXPECT_EQ(ll.max_corner().y(), 0.0);
  double x = 0;
  double y = 0;
  cg().project(119.97, 30.54, x, y);
  EXPECT_EQ(x, 119.97);
  EXPECT_EQ(y, 30.54);
}

TEST(Tms, MercatorMatchesProj) {
  const ProjMercator proj;
  ASSERT_TRUE(proj.ok());
  double worst = 0;
  double worst_inverse = 0;
  for (double lat = -85.0; lat <= 85.0; lat += 0.73) {
    for (double lon = -180.0; lon <= 180.0; lon += 1.37) {
      double x = 0;
      double y = 0;
      wm().project(lon, lat, x, y);
      const PJ_COORD p = proj.forward(lon, lat);
      worst = std::max({worst, std::fabs(x - p.xy.x), std::fabs(y - p.xy.y)});
      double ilon = 0;
      double ilat = 0;
      wm().unproject(p.xy.x, p.xy.y, ilon, ilat);
      const PJ_COORD q = proj.inverse(p.xy.x, p.xy.y);
      worst_inverse =
          std::max({worst_inverse, std::fabs(ilon - q.lp.lam), std::fabs(ilat - q.lp.phi)});
    }
  }
  EXPECT_LT(worst, 1e-6) << "metres";
  EXPECT_LT(worst_inverse, 1e-11) << "degrees";
}

TEST(Tms, MercatorClampsLatitude) {
  double x = 0;
  double y_max = 0;
  double y_pole = 0;
  double y_south = 0;
  wm().project(0, kWebMercatorMaxLat, x, y_max);
  wm().project(0, 90, x, y_pole);
  wm().project(0, -89.9, x, y_south);
  // At the limit latitude the world is square: y reaches the half-width.
  EXPECT_NEAR(y_max, kHalf, 1e-6);
  EXPECT_EQ(y_pole, y_max);
  EXPECT_NEAR(y_south, -kHalf, 1e-6);
  EXPECT_NEAR(kWebMercatorHalfWidth, kHalf, 1e-8);
}

TEST(Tms, RoundTrips) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> lon(-180, 180);
  std::uniform_real_distribution<double> lat(-85, 85);
  std::uniform_real_distribution<double> metres(-kHalf, kHalf);
  for (int i = 0; i < 10000; ++i) {
    const double a = lon(rng);
    const double b = lat(rng);
    double x = 0;
    double y = 0;
    wm().project(a, b, x, y);
    double a2 = 0;
    double b2 = 0;
    wm().unproject(x, y, a2, b2);
    ASSERT_NEAR(a2, a, 1e-9);
    ASSERT_NEAR(b2, b, 1e-9);
    const double mx = metres(rng);
    const double my = metres(rng);
    wm().unproject(mx, my, a2, b2);
    wm().project(a2, b2, x, y);
    ASSERT_NEAR(x, mx, 1e-6);
    ASSERT_NEAR(y, my, 1e-6);
  }
}

TEST(Tms, TileAtAgreesWithBounds) {
  std::mt19937_64 rng(11);
  for (const TileMatrixSet* set : {&wm(), &cg()}) {
    const CrsBox world =
        set == &wm() ? CrsBox{-kHalf, -kHalf, kHalf, kHalf} : CrsBox{-180, -90, 180, 90};
    std::uniform_real_distribution<double> ux(world.minx, world.maxx);
    std::uniform_real_distribution<double> uy(world.miny, world.maxy);
    // Zoom 1 up: every matrix has at least two columns there.
    std::uniform_int_distribution<uint32_t> uz(1, set->max_zoom());
    for (int i = 0; i < 20000; ++i) {
      const uint32_t z = uz(rng);
      const double x = ux(rng);
      const double y = uy(rng);
      const TileId t = set->tile_at(x, y, z);
      ASSERT_TRUE(set->valid(t));
      ASSERT_TRUE(holds(set->bounds(t), x, y)) << set->name() << " " << z << " " << x << " " << y;
    }
    // Points on tile edges: the west edge and the north edge belong to the tile (its neighbours
    // to the west and north do not get them).
    for (int i = 0; i < 5000; ++i) {
      const uint32_t z = uz(rng);
      std::uniform_int_distribution<uint64_t> ucol(0, set->matrix_width(z) - 1);
      std::uniform_int_distribution<uint64_t> urow(0, set->matrix_height(z) - 1);
      const TileId t{z, static_cast<uint32_t>(ucol(rng)), static_cast<uint32_t>(urow(rng))};
      const CrsBox b = set->bounds(t);
      ASSERT_EQ(set->tile_at(b.minx, b.maxy, z), t);
      ASSERT_EQ(set->tile_at(b.minx, 0.5 * (b.miny + b.maxy), z).x, t.x);
      ASSERT_EQ(set->tile_at(0.5 * (b.minx + b.maxx), b.maxy, z).y, t.y);
      // The east and south edges are the next tiles' west and north edges.
      if (t.x + 1 < set->matrix_width(z)) {
        ASSERT_EQ(set->tile_at(b.maxx, b.maxy, z).x, t.x + 1);
      }
      if (t.y + 1 < set->matrix_height(z)) {
        ASSERT_EQ(set->tile_at(b.minx, b.miny, z).y, t.y + 1);
      }
    }
    // Clamped into the matrix: the world's east and south edges, and beyond.
    const uint32_t z = 5;
    const uint32_t last_x = static_cast<uint32_t>(set->matrix_width(z) - 1);
    const uint32_t last_y = static_cast<uint32_t>(set->matrix_height(z) - 1);
    EXPECT_EQ(set->tile_at(world.maxx, world.miny, z), (TileId{z, last_x, last_y}));
    EXPECT_EQ(set->tile_at(world.minx, world.maxy, z), (TileId{z, 0, 0}));
    EXPECT_EQ(set->tile_at(1e30, -1e30, z), (TileId{z, last_x, last_y}));
    EXPECT_EQ(set->tile_at(-1e30, 1e30, z), (TileId{z, 0, 0}));
    EXPECT_EQ(set->tile_at(-INFINITY, INFINITY, z), (TileId{z, 0, 0}));
  }
  EXPECT_THROW((void)wm().tile_at(NAN, 0, 3), InvalidArgument);
}

TEST(Tms, NeighboursShareEdgesExactly) {
  for (const TileMatrixSet* set : {&wm(), &cg()}) {
    for (uint32_t z : {2U, 7U, 18U, 23U}) {
      const uint32_t x = static_cast<uint32_t>(set->matrix_width(z) / 3);
      const uint32_t y = static_cast<uint32_t>(set->matrix_height(z) / 3);
      const CrsBox a = set->bounds({z, x, y});
      EXPECT_EQ(a.maxx, set->bounds({z, x + 1, y}).minx);
      EXPECT_EQ(a.miny, set->bounds({z, x, y + 1}).maxy);
      // The outer edges of the four children are their parent's.
      EXPECT_EQ(set->bounds({z + 1, 2 * x, 2 * y}).minx, a.minx);
      EXPECT_EQ(set->bounds({z + 1, 2 * x, 2 * y}).maxy, a.maxy);
      EXPECT_EQ(set->bounds({z + 1, 2 * x + 1, 2 * y + 1}).maxx, a.maxx);
      EXPECT_EQ(set->bounds({z + 1, 2 * x + 1, 2 * y + 1}).miny, a.miny);
    }
  }
}

TEST(Tms, BufferedBounds) {
  const TileId t{14, 13651, 6790};
  const CrsBox b = wm().bounds(t);
  const double f = 64.0 / 4096;
  const CrsBox bb = wm().buffered_bounds(t, f);
  const double w = b.maxx - b.minx;
  EXPECT_NEAR(bb.minx, b.minx - w * f, 1e-8);
  EXPECT_NEAR(bb.maxx, b.maxx + w * f, 1e-8);
  EXPECT_NEAR(bb.miny, b.miny - w * f, 1e-8);
  EXPECT_NEAR(bb.maxy, b.maxy + w * f, 1e-8);
  EXPECT_NEAR(bb.maxx - bb.minx, w * (1 + 2 * f), 1e-8);
  // CGCS2000 tiles are square in degrees too.
  const CrsBox cb = cg().buffered_bounds({3, 5, 2}, 0.25);
  EXPECT_EQ(cb.minx, -180 + 5 * 45.0 - 11.25);
  EXPECT_EQ(cb.maxx, -180 + 6 * 45.0 + 11.25);
  EXPECT_EQ(cb.maxy, 90 - 2 * 45.0 + 11.25);
  EXPECT_EQ(cb.miny, 90 - 3 * 45.0 - 11.25);
}

TEST(Tms, OgcDefinitionNumbers) {
  // The cell sizes and scale denominators OGC 17-083r4 lists for WebMercatorQuad and
  // WorldCRS84Quad (whose zoom z-1 is CGCS2000's z), rounded there to 15 digits.
  EXPECT_NEAR(wm().cell_size(0), 156543.033928041, 1e-8);
  EXPECT_NEAR(wm().scale_denominator(0), 559082264.028717, 1e-5);
  EXPECT_NEAR(wm().scale_denominator(24), 33.3238997476528, 1e-12);
  EXPECT_EQ(cg().cell_size(1), 0.703125);
  EXPECT_NEAR(cg().scale_denominator(1), 279541132.014358, 1e-5);
  EXPECT_NEAR(cg().scale_denominator(24), 33.3238997476528, 1e-12);
  for (uint32_t z = 1; z < 24; ++z) {
    EXPECT_EQ(wm().cell_size(z), wm().cell_size(z - 1) / 2);
    EXPECT_EQ(cg().cell_size(z + 1), cg().cell_size(z) / 2);
  }
  EXPECT_EQ(wm().origin().x, -kHalf);
  EXPECT_EQ(wm().origin().y, kHalf);
  EXPECT_EQ(cg().origin().x, -180);
  EXPECT_EQ(cg().origin().y, 90);
  const CrsBox w = wm().extent(), c = cg().extent();
  EXPECT_EQ(w.minx, -kHalf);
  EXPECT_EQ(w.miny, -kHalf);
  EXPECT_EQ(w.maxx, kHalf);
  EXPECT_EQ(c.minx, -180);
  EXPECT_EQ(c.miny, -90);
  EXPECT_EQ(c.maxx, 180);
  EXPECT_EQ(c.maxy, 90);
  EXPECT_EQ(wm().crs_uri(), "http://www.opengis.net/def/crs/EPSG/0/3857");
  EXPECT_EQ(cg().crs_uri(), "http://www.opengis.net/def/crs/EPSG/0/4490");
  EXPECT_FALSE(wm().north_first());
  EXPECT_TRUE(cg().north_first());  // EPSG:4490 lists latitude first
  EXPECT_THROW(cg().cell_size(0), InvalidArgument);
}
