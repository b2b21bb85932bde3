// The MVT encoder against two independent readers:
//  - a small protobuf decoder written here on protozero's pbf_reader, checking layer fields, key
//    and value tables and exact command streams worked out by hand from the MVT 2.1 spec
//    (section 4.3: CommandInteger = (id & 0x7) | (count << 3), ParameterInteger = zig-zag of the
//    delta from the cursor, the cursor carried across rings and parts);
//  - GDAL's MVT driver, which reads a tile file named z/x/y.mvt, georeferences it in EPSG:3857
//    and gives back each feature's fields, its id (as the field "mvt_id") and geometry.
#include "spatial/mvt.hpp"

#include "core/errors.hpp"
#include "spatial/tile_geometry.hpp"
#include "spatial/tms.hpp"
#include "tests/support/temp_dir.hpp"

#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogrsf_frmts.h>
#include <protozero/pbf_reader.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

using namespace onemap;
using namespace onemap::spatial;

namespace {

// ---- the test's own decoder ----------------------------------------------------------------

struct DecodedValue {
  uint32_t field = 0;  // the Value field that was set: 1 string, 3 double, 4 int, 5 uint, 7 bool
  std::string s;
  double d = 0;
  int64_t i = 0;
  uint64_t u = 0;
  bool b = false;
  int fields_set = 0;
};

struct DecodedFeature {
  bool has_id = false;
  uint64_t id = 0;
  std::vector<uint32_t> tags;
  uint32_t type = 0;
  std::vector<uint32_t> geometry;
};

struct DecodedLayer {
  uint32_t version = 0;
  std::string name;
  uint32_t extent = 0;
  std::vector<DecodedFeature> features;
  std::vector<std::string> keys;
  std::vector<DecodedValue> values;
};

std::vector<uint32_t> packed(protozero::pbf_reader& r) {
  const auto range = r.get_packed_uint32();
  return {range.begin(), range.end()};
}

DecodedValue decode_value(protozero::data_view view) {
  DecodedValue v;
  protozero::pbf_reader r(view);
  while (r.next()) {
    v.field = r.tag();
    ++v.fields_set;
    switch (r.tag()) {
      case 1:
        v.s = r.get_string();
        break;
      case 3:
        v.d = r.get_double();
        break;
      case 4:
        v.i = r.get_int64();
        break;
      case 5:
        v.u = r.get_uint64();
        break;
      case 7:
        v.b = r.get_bool();
        break;
      default:
        ADD_FAILURE() << "unexpected Value field " << r.tag();
        r.skip();
    }
  }
  return v;
}

DecodedFeature decode_feature(protozero::data_view view) {
  DecodedFeature f;
  protozero::pbf_reader r(view);
  while (r.next()) {
    switch (r.tag()) {
      case 1:
        f.has_id = true;
        f.id = r.get_uint64();
        break;
      case 2:
        f.tags = packed(r);
        break;
      case 3:
        f.type = static_cast<uint32_t>(r.get_enum());
        break;
      case 4:
        f.geometry = packed(r);
        break;
      default:
        ADD_FAILURE() << "unexpected Feature field " << r.tag();
        r.skip();
    }
  }
  return f;
}

std::vector<DecodedLayer> decode_tile(const std::string& bytes) {
  std::vector<DecodedLayer> layers;
  protozero::pbf_reader tile(bytes);
  while (tile.next()) {
    if (tile.tag() != 3) {
      ADD_FAILURE() << "unexpected Tile field " << tile.tag();
      tile.skip();
      continue;
    }
    DecodedLayer& l = layers.emplace_back();
    protozero::pbf_reader r(tile.get_view());
    while (r.next()) {
      switch (r.tag()) {
        case 15:
          l.version = r.get_uint32();
          break;
        case 1:
          l.name = r.get_string();
          break;
        case 2:
          l.features.push_back(decode_feature(r.get_view()));
          break;
        case 3:
          l.keys.push_back(r.get_string());
          break;
        case 4:
          l.values.push_back(decode_value(r.get_view()));
          break;
        case 5:
          l.extent = r.get_uint32();
          break;
        default:
          ADD_FAILURE() << "unexpected Layer field " << r.tag();
          r.skip();
      }
    }
  }
  return layers;
}

// The geometry stream of a tile holding one layer with one feature.
std::vector<uint32_t> only_geometry(const std::string& bytes) {
  const auto layers = decode_tile(bytes);
  if (layers.size() != 1 || layers[0].features.size() != 1) {
    ADD_FAILURE() << "expected one layer with one feature";
    return {};
  }
  return layers[0].features[0].geometry;
}

std::string one_feature_tile(const std::vector<TilePoint>& points) {
  std::vector<MvtLayer> layers;
  layers.emplace_back("l");
  layers[0].add_points(1, points, {});
  return encode_tile(layers);
}

std::string one_feature_tile(const std::vector<TilePolygon>& polygons) {
  std::vector<MvtLayer> layers;
  layers.emplace_back("l");
  layers[0].add_polygons(1, polygons, {});
  return encode_tile(layers);
}

}  // namespace

// ---- exact command streams --------------------------------------------------------------------

TEST(MvtEncode, PointCommandStream) {
  // MoveTo(1) = 1 | 1 << 3 = 9; (25, 17) from (0, 0): zig-zag 25 -> 50, 17 -> 34.
  EXPECT_EQ(only_geometry(one_feature_tile(std::vector<TilePoint>{{25, 17}})),
            (std::vector<uint32_t>{9, 50, 34}));
}

TEST(MvtEncode, MultiPointIsOneMoveTo) {
  // MoveTo(2) = 1 | 2 << 3 = 17; (5, 7) -> 10, 14; then delta (-2, -5) -> 3, 9.
  EXPECT_EQ(only_geometry(one_feature_tile(std::vector<TilePoint>{{5, 7}, {3, 2}})),
            (std::vector<uint32_t>{17, 10, 14, 3, 9}));
}

TEST(MvtEncode, PolygonWithHoleCommandStream) {
  // Exterior (0,0) (10,0) (10,10) (0,10): surveyor's area +100 (y down: clockwise on screen).
  // Hole (3,3) (3,7) (7,7) (7,3): area -16.
  const std::vector<TilePolygon> poly{
      {{{0, 0}, {10, 0}, {10, 10}, {0, 10}}, {{3, 3}, {3, 7}, {7, 7}, {7, 3}}}};
  const std::vector<uint32_t> expected{
      9,  0,  0,                 // MoveTo(1) (0,0)
      26, 20, 0,  0, 20, 19, 0,  // LineTo(3) = 2 | 3 << 3: (+10,0) (0,+10) (-10,0)
      15,                        // ClosePath(1) = 7 | 1 << 3
      9,  6,  13,                // MoveTo(1): cursor (0,10) -> (3,3): (+3,-7)
      26, 0,  8,  8, 0,  0,  7,  // LineTo(3): (0,+4) (+4,0) (0,-4)
      15};
  EXPECT_EQ(only_geometry(one_feature_tile(poly)), expected);
}

TEST(MvtEncode, MultiPolygonCarriesTheCursorAcrossParts) {
  // The spec's example 4.3.5.7: two parts, the second with a hole.
  const std::vector<TilePolygon> mp{
      {{{0, 0}, {10, 0}, {10, 10}, {0, 10}}},
      {{{11, 11}, {20, 11}, {20, 20}, {11, 20}}, {{13, 13}, {13, 17}, {17, 17}, {17, 13}}}};
  const std::vector<uint32_t> expected{
      9,  0,  0,  26, 20, 0,  0, 20, 19, 0, 15,  // part 1 as above, cursor ends at (0,10)
      9,  22, 2,                                 // (0,10) -> (11,11): (+11,+1)
      26, 18, 0,  0,  18, 17, 0, 15,             // (+9,0) (0,+9) (-9,0); cursor (11,20)
      9,  4,  13,                                // (11,20) -> (13,13): (+2,-7)
      26, 0,  8,  8,  0,  0,  7, 15};            // (0,+4) (+4,0) (0,-4)
  EXPECT_EQ(only_geometry(one_feature_tile(mp)), expected);
}

TEST(MvtEncode, ShortRingsAreSkipped) {
  // A two-point hole is skipped; a polygon whose exterior is too short goes with its holes.
  const std::vector<TilePolygon> mp{{{{0, 0}, {4, 0}, {4, 4}}, {{1, 1}, {2, 2}}},
                                    {{{9, 9}, {9, 8}}, {{9, 9}, {9, 8}, {8, 8}}}};
  // (0,0) -> 0,0; LineTo(2) = 18: (+4,0) -> 8,0; (0,+4) -> 0,8; ClosePath.
  EXPECT_EQ(only_geometry(one_feature_tile(mp)),
            (std::vector<uint32_t>{9, 0, 0, 18, 8, 0, 0, 8, 15}));
}

TEST(MvtEncode, LayerFieldsTagsAndValueTables) {
  std::vector<MvtLayer> layers;
  layers.emplace_back("grids", 512);
  MvtLayer& l = layers[0];
  l.add_points(7, {{1, 2}}, {{"name", std::string_view("新市镇")}, {"n", int64_t{5}}});
  l.add_points(8, {{3, 4}},
               {{"name", std::string_view("a")},
                {"n", uint64_t{5}},
                {"ok", true},
                {"neg", int64_t{-3}},
                {"d", 1.5},
                {"big", uint64_t{18446744073709551615ULL}},
                {"ok", false}});
  EXPECT_EQ(l.feature_count(), 2U);
  EXPECT_EQ(l.name(), "grids");
  EXPECT_EQ(l.extent(), 512U);

  const auto tile = decode_tile(encode_tile(layers));
  ASSERT_EQ(tile.size(), 1U);
  const DecodedLayer& d = tile[0];
  EXPECT_EQ(d.version, 2U);
  EXPECT_EQ(d.name, "grids");
  EXPECT_EQ(d.extent, 512U);
  EXPECT_EQ(d.keys, (std::vector<std::string>{"name", "n", "ok", "neg", "d", "big"}));
  // Values in order of first use; int64 5 and uint64 5 are one value (uint_value 5).
  ASSERT_EQ(d.values.size(), 8U);
  for (const auto& v : d.values) EXPECT_EQ(v.fields_set, 1);
  EXPECT_EQ(d.values[0].field, 1U);
  EXPECT_EQ(d.values[0].s, "新市镇");
  EXPECT_EQ(d.values[1].field, 5U);
  EXPECT_EQ(d.values[1].u, 5U);
  EXPECT_EQ(d.values[2].field, 1U);
  EXPECT_EQ(d.values[2].s, "a");
  EXPECT_EQ(d.values[3].field, 7U);
  EXPECT_TRUE(d.values[3].b);
  EXPECT_EQ(d.values[4].field, 4U);
  EXPECT_EQ(d.values[4].i, -3);
  EXPECT_EQ(d.values[5].field, 3U);
  EXPECT_EQ(d.values[5].d, 1.5);
  EXPECT_EQ(d.values[6].field, 5U);
  EXPECT_EQ(d.values[6].u, 18446744073709551615ULL);
  EXPECT_EQ(d.values[7].field, 7U);
  EXPECT_FALSE(d.values[7].b);

  ASSERT_EQ(d.features.size(), 2U);
  EXPECT_TRUE(d.features[0].has_id);
  EXPECT_EQ(d.features[0].id, 7U);
  EXPECT_EQ(d.features[0].type, 1U);  // POINT
  EXPECT_EQ(d.features[0].tags, (std::vector<uint32_t>{0, 0, 1, 1}));
  EXPECT_EQ(d.features[1].id, 8U);
  EXPECT_EQ(d.features[1].tags, (std::vector<uint32_t>{0, 2, 1, 1, 2, 3, 3, 4, 4, 5, 5, 6, 2, 7}));
  EXPECT_EQ(d.features[1].geometry, (std::vector<uint32_t>{9, 6, 8}));
}

TEST(MvtEncode, FeatureWithoutPropertiesHasNoTags) {
  std::vector<MvtLayer> layers;
  layers.emplace_back("l");
  layers[0].add_polygons(3, {{{{0, 0}, {1, 0}, {1, 1}}}}, {});
  const auto tile = decode_tile(encode_tile(layers));
  ASSERT_EQ(tile.size(), 1U);
  ASSERT_EQ(tile[0].features.size(), 1U);
  EXPECT_TRUE(tile[0].features[0].tags.empty());
  EXPECT_EQ(tile[0].features[0].type, 3U);  // POLYGON
  EXPECT_TRUE(tile[0].keys.empty());
  EXPECT_TRUE(tile[0].values.empty());
  EXPECT_EQ(tile[0].extent, 4096U);
}

TEST(MvtEncode, EmptyLayersAndTiles) {
  std::vector<MvtLayer> layers;
  layers.emplace_back("empty");
  layers[0].add_points(1, {}, {{"k", true}});
  layers[0].add_polygons(2, {{{{0, 0}, {1, 1}}}}, {});
  layers[0].add_polygons(3, {}, {});
  EXPECT_EQ(layers[0].feature_count(), 0U);
  EXPECT_EQ(encode_tile(layers), "");
  EXPECT_EQ(encode_tile({}), "");

  layers.emplace_back("full");
  layers[1].add_points(1, {{0, 0}}, {});
  layers.emplace_back("also_empty");
  const auto tile = decode_tile(encode_tile(layers));
  ASSERT_EQ(tile.size(), 1U);
  EXPECT_EQ(tile[0].name, "full");

  // write_to appends: two layers written in turn are the tile of both.
  std::string bytes;
  layers[1].write_to(bytes);
  layers[1].write_to(bytes);
  EXPECT_EQ(decode_tile(bytes).size(), 2U);
}

TEST(MvtEncode, RejectsBadValues) {
  EXPECT_THROW(MvtLayer("l", 0), InvalidArgument);
  MvtLayer l("l");
  try {
    l.add_points(1, {{0, 1 << 30}}, {});
    FAIL() << "coordinate 2^30 accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.parameter(), "geometry");
    EXPECT_EQ(e.detail(), "tile coordinate (0, 1073741824) is beyond +-2^30");
  }
  EXPECT_THROW(l.add_polygons(1, {{{{0, 0}, {1, 0}, {-(1 << 30), 1}}}}, {}), InvalidArgument);
  // Nothing half-written is left behind.
  EXPECT_EQ(l.feature_count(), 0U);
  std::string bytes;
  l.write_to(bytes);
  EXPECT_EQ(bytes, "");
  // The largest allowed coordinates give deltas that fit int32.
  l.add_points(1, {{(1 << 30) - 1, -((1 << 30) - 1)}, {-((1 << 30) - 1), (1 << 30) - 1}}, {});
  l.write_to(bytes);
  const auto tile = decode_tile(bytes);
  ASSERT_EQ(tile.size(), 1U);
  const auto& g = tile[0].features[0].geometry;
  ASSERT_EQ(g.size(), 5U);
  EXPECT_EQ(g[3], protozero::encode_zigzag32(-2 * ((1 << 30) - 1)));
}

// ---- GDAL's MVT driver reads what was written -----------------------------------------------

namespace {

class MvtGdal : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { GDALAllRegister(); }

  // Writes the tile as <dir>/z/x/y.mvt and opens it with GDAL (geometries not clipped, so the
  // buffer is seen too).
  GDALDataset* open(const TileId& t, const std::string& bytes) {
    const auto sub = dir_ / std::to_string(t.z) / std::to_string(t.x);
    std::filesystem::create_directories(sub);
    const auto path = sub / (std::to_string(t.y) + ".mvt");
    std::ofstream(path, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    const char* drivers[] = {"MVT", nullptr};
    const char* options[] = {"CLIP=NO", nullptr};
    ds_.reset(GDALDataset::FromHandle(
        GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, options, nullptr)));
    return ds_.get();
  }

  onemap::testing::TempDir tmp_;
  const std::filesystem::path dir_ = tmp_.path();
  struct Closer {
    void operator()(GDALDataset* d) const { GDALClose(GDALDataset::ToHandle(d)); }
  };
  std::unique_ptr<GDALDataset, Closer> ds_;
};

// Tile coordinates of a Web Mercator point GDAL returns (unrounded).
struct Back {
  CrsBox b;
  uint32_t extent;
  double tx(double x) const { return (x - b.minx) / (b.maxx - b.minx) * extent; }
  double ty(double y) const { return (b.maxy - y) / (b.maxy - b.miny) * extent; }
};

void expect_ring(const OGRLinearRing& got, const TileRing& want, const Back& back) {
  // GDAL closes rings: n + 1 points.
  ASSERT_EQ(static_cast<std::size_t>(got.getNumPoints()), want.size() + 1);
  for (std::size_t i = 0; i <= want.size(); ++i) {
    const TilePoint& w = want[i % want.size()];
    EXPECT_NEAR(back.tx(got.getX(static_cast<int>(i))), w.x, 1.0) << "point " << i;
    EXPECT_NEAR(back.ty(got.getY(static_cast<int>(i))), w.y, 1.0) << "point " << i;
  }
}

void expect_polygons(const OGRGeometry* g, const std::vector<TilePolygon>& want, const Back& back) {
  ASSERT_NE(g, nullptr);
  std::vector<const OGRPolygon*> got;
  if (wkbFlatten(g->getGeometryType()) == wkbPolygon) {
    got.push_back(g->toPolygon());
  } else {
    ASSERT_EQ(wkbFlatten(g->getGeometryType()), wkbMultiPolygon);
    for (const OGRPolygon* p : *g->toMultiPolygon()) got.push_back(p);
  }
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t k = 0; k < want.size(); ++k) {
    ASSERT_EQ(static_cast<std::size_t>(got[k]->getNumInteriorRings()) + 1, want[k].size());
    expect_ring(*got[k]->getExteriorRing(), want[k][0], back);
    for (std::size_t r = 1; r < want[k].size(); ++r)
      expect_ring(*got[k]->getInteriorRing(static_cast<int>(r - 1)), want[k][r], back);
  }
}

void expect_points(const OGRGeometry* g, const std::vector<TilePoint>& want, const Back& back) {
  ASSERT_NE(g, nullptr);
  std::vector<const OGRPoint*> got;
  if (wkbFlatten(g->getGeometryType()) == wkbPoint) {
    got.push_back(g->toPoint());
  } else {
    ASSERT_EQ(wkbFlatten(g->getGeometryType()), wkbMultiPoint);
    for (const OGRPoint* p : *g->toMultiPoint()) got.push_back(p);
  }
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(back.tx(got[i]->getX()), want[i].x, 1.0);
    EXPECT_NEAR(back.ty(got[i]->getY()), want[i].y, 1.0);
  }
}

void expect_properties(const OGRFeature& f, const MvtProperties& want) {
  for (const auto& entry : want) {
    // (Named, not a structured binding: the lambda below captures it, which clang 14 refuses.)
    const auto& key = entry.first;
    const auto& value = entry.second;
    const int i = f.GetFieldIndex(std::string(key).c_str());
    ASSERT_GE(i, 0) << key;
    ASSERT_TRUE(f.IsFieldSetAndNotNull(i)) << key;
    const OGRFieldDefn* defn = f.GetFieldDefnRef(i);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string_view>) {
            EXPECT_EQ(defn->GetType(), OFTString) << key;
            EXPECT_EQ(std::string(f.GetFieldAsString(i)), v) << key;
          } else if constexpr (std::is_same_v<T, bool>) {
            EXPECT_EQ(defn->GetSubType(), OFSTBoolean) << key;
            EXPECT_EQ(f.GetFieldAsInteger(i), v ? 1 : 0) << key;
          } else if constexpr (std::is_same_v<T, double>) {
            EXPECT_EQ(defn->GetType(), OFTReal) << key;
            EXPECT_EQ(f.GetFieldAsDouble(i), v) << key;
          } else {
            EXPECT_EQ(f.GetFieldAsInteger64(i), static_cast<GIntBig>(v)) << key;
          }
        },
        value);
  }
}

Polygon star(double cx, double cy, double r, int n, double phase) {
  Polygon p;
  for (int i = 0; i < n; ++i) {
    const double a = 2 * 3.14159265358979 * i / n;
    const double rr = r * (1 + 0.25 * std::sin(5 * a + phase));
    p.outer().emplace_back(cx + rr * std::cos(a), cy + rr * std::sin(a));
  }
  p.outer().push_back(p.outer().front());
  bg::correct(p);
  return p;
}

}  // namespace

TEST_F(MvtGdal, FeaturesComeBackWithIdsPropertiesAndGeometry) {
  const TileMatrixSet& wm = TileMatrixSet::web_mercator();
  double x = 0;
  double y = 0;
  wm.project(119.97, 30.54, x, y);  // Deqing
  const TileId t = wm.tile_at(x, y, 14);
  const TileTransform tt{wm.bounds(t), 4096};
  const CrsBox& b = tt.bounds;
  const double w = b.maxx - b.minx;

  // Polygons through the real pipeline: a star with two holes inside the tile, a two-part
  // multipolygon one of whose parts crosses the east edge into the buffer, and a polygon that
  // covers the whole tile.
  Polygon holed = star(b.minx + 0.3 * w, b.miny + 0.6 * w, 0.2 * w, 60, 0.3);
  Polygon h1 = star(b.minx + 0.25 * w, b.miny + 0.6 * w, 0.03 * w, 12, 1.0);
  Polygon h2 = star(b.minx + 0.38 * w, b.miny + 0.62 * w, 0.03 * w, 12, 2.0);
  for (Polygon* hp : {&h1, &h2}) {
    Ring r = hp->outer();
    std::reverse(r.begin(), r.end());  // clockwise, as holes are
    holed.inners().push_back(r);
  }
  const MultiPolygon one{holed};
  const MultiPolygon two{star(b.minx + 0.7 * w, b.miny + 0.2 * w, 0.1 * w, 40, 0.0),
                         star(b.maxx + 0.005 * w, b.miny + 0.75 * w, 0.05 * w, 40, 0.5)};
  Polygon cover;
  cover.outer() = {{b.minx - w, b.miny - w},
                   {b.maxx + w, b.miny - w},
                   {b.maxx + w, b.maxy + w},
                   {b.minx - w, b.maxy + w},
                   {b.minx - w, b.miny - w}};
  const std::vector<std::vector<TilePolygon>> polys{polygon_to_tile(one, tt, 64),
                                                    polygon_to_tile(two, tt, 64),
                                                    polygon_to_tile(MultiPolygon{cover}, tt, 64)};
  ASSERT_EQ(polys[0].size(), 1U);
  ASSERT_EQ(polys[0][0].size(), 3U);
  ASSERT_EQ(polys[1].size(), 2U);
  ASSERT_EQ(polys[2].size(), 1U);

  const std::vector<MvtProperties> poly_props{{{"code", std::string_view("330521001001")},
                                               {"name", std::string_view("城关村")},
                                               {"area", 1.25e6},
                                               {"households", int64_t{812}},
                                               {"synthetic", true}},
                                              {{"code", std::string_view("330521001002")},
                                               {"name", std::string_view("Two parts")},
                                               {"area", 2.5},
                                               {"households", int64_t{-1}},
                                               {"synthetic", false}},
                                              {{"code", std::string_view("330521")},
                                               {"name", std::string_view("县")},
                                               {"area", 9.0e8},
                                               {"households", uint64_t{120000}},
                                               {"synthetic", true}}};
  const std::vector<std::vector<TilePoint>> points{{{100, 200}},
                                                   {{-30, 4100}, {2048, 2048}, {4000, 10}}};
  const std::vector<MvtProperties> point_props{
      {{"risk", std::string_view("major")}, {"open", int64_t{3}}},
      {{"risk", std::string_view("低")}, {"open", int64_t{0}}}};
  std::vector<MvtLayer> layers;
  layers.emplace_back("grids");
  for (std::size_t i = 0; i < polys.size(); ++i)
    layers[0].add_polygons(100 + i, polys[i], poly_props[i]);
  layers.emplace_back("nothing");
  layers.emplace_back("enterprises");
  for (std::size_t i = 0; i < points.size(); ++i)
    layers[2].add_points(7 + i, points[i], point_props[i]);

  GDALDataset* ds = open(t, encode_tile(layers));
  ASSERT_NE(ds, nullptr) << CPLGetLastErrorMsg();
  ASSERT_EQ(ds->GetLayerCount(), 2);
  const Back back{b, 4096};

  OGRLayer* grids = ds->GetLayerByName("grids");
  ASSERT_NE(grids, nullptr);
  grids->ResetReading();
  std::size_t n = 0;
  for (const auto& f : *grids) {
    ASSERT_LT(n, polys.size());
    EXPECT_EQ(f->GetFieldAsInteger64("mvt_id"), static_cast<GIntBig>(100 + n));
    expect_properties(*f, poly_props[n]);
    expect_polygons(f->GetGeometryRef(), polys[n], back);
    ++n;
  }
  EXPECT_EQ(n, polys.size());

  OGRLayer* ents = ds->GetLayerByName("enterprises");
  ASSERT_NE(ents, nullptr);
  n = 0;
  for (const auto& f : *ents) {
    ASSERT_LT(n, points.size());
    EXPECT_EQ(f->GetFieldAsInteger64("mvt_id"), static_cast<GIntBig>(7 + n));
    expect_properties(*f, point_props[n]);
    expect_points(f->GetGeometryRef(), points[n], back);
    ++n;
  }
  EXPECT_EQ(n, points.size());
}

TEST_F(MvtGdal, HandCheckedFeaturesReadBack) {
  // The features whose command streams are checked by hand above, read by GDAL from one tile.
  const TileId t{14, 13651, 6790};
  const CrsBox b = TileMatrixSet::web_mercator().bounds(t);
  const std::vector<TilePoint> point{{25, 17}};
  const std::vector<TilePoint> multipoint{{5, 7}, {3, 2}};
  const std::vector<TilePolygon> holed{
      {{{0, 0}, {10, 0}, {10, 10}, {0, 10}}, {{3, 3}, {3, 7}, {7, 7}, {7, 3}}}};
  const std::vector<TilePolygon> multi{
      {{{0, 0}, {10, 0}, {10, 10}, {0, 10}}},
      {{{11, 11}, {20, 11}, {20, 20}, {11, 20}}, {{13, 13}, {13, 17}, {17, 17}, {17, 13}}}};
  std::vector<MvtLayer> layers;
  layers.emplace_back("points");
  layers[0].add_points(1, point, {});
  layers[0].add_points(2, multipoint, {});
  layers.emplace_back("polygons");
  layers[1].add_polygons(3, holed, {});
  layers[1].add_polygons(4, multi, {});

  GDALDataset* ds = open(t, encode_tile(layers));
  ASSERT_NE(ds, nullptr) << CPLGetLastErrorMsg();
  const Back back{b, 4096};
  OGRLayer* points = ds->GetLayerByName("points");
  ASSERT_NE(points, nullptr);
  ASSERT_EQ(points->GetFeatureCount(), 2);
  // (GDAL gives a layer one geometry type: here both come back as MultiPoint.)
  std::unique_ptr<OGRFeature> f(points->GetNextFeature());
  EXPECT_EQ(f->GetFieldAsInteger64("mvt_id"), 1);
  expect_points(f->GetGeometryRef(), point, back);
  f.reset(points->GetNextFeature());
  EXPECT_EQ(f->GetFieldAsInteger64("mvt_id"), 2);
  expect_points(f->GetGeometryRef(), multipoint, back);

  OGRLayer* polygons = ds->GetLayerByName("polygons");
  ASSERT_NE(polygons, nullptr);
  ASSERT_EQ(polygons->GetFeatureCount(), 2);
  f.reset(polygons->GetNextFeature());
  EXPECT_EQ(f->GetFieldAsInteger64("mvt_id"), 3);
  expect_polygons(f->GetGeometryRef(), holed, back);
  f.reset(polygons->GetNextFeature());
  EXPECT_EQ(f->GetFieldAsInteger64("mvt_id"), 4);
  expect_polygons(f->GetGeometryRef(), multi, back);
}

TEST(MvtEncode, MultiLineStringCarriesTheCursorAcrossLines) {
  // The spec's example 4.3.5.5: (2,2) (2,10) (10,10) and (1,1) (3,5).
  std::vector<MvtLayer> layers;
  layers.emplace_back("l");
  layers[0].add_lines(1,
                      {std::vector<TilePoint>{{2, 2}, {2, 10}, {10, 10}},
                       std::vector<TilePoint>{{1, 1}, {3, 5}}, std::vector<TilePoint>{{7, 7}}},
                      {});
  EXPECT_EQ(only_geometry(encode_tile(layers)),
            (std::vector<uint32_t>{9, 4, 4, 18, 0, 16, 16, 0, 9, 17, 17, 10, 4, 8}));
  // A feature of lines begun with its tags and ended with its geometry.
  std::vector<MvtLayer> tagged;
  tagged.emplace_back("l");
  tagged[0].begin_feature(5);
  tagged[0].tag_string(tagged[0].key("kind"), "sewage");
  tagged[0].end_lines({{{0, 0}, {3, 4}}});
  const auto tile = decode_tile(encode_tile(tagged));
  ASSERT_EQ(tile.size(), 1u);
  ASSERT_EQ(tile[0].features.size(), 1u);
  EXPECT_EQ(tile[0].features[0].type, 2u);
  EXPECT_EQ(tile[0].features[0].tags.size(), 2u);
}
