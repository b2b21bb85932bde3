// County layers in the GeoPackage: a point, a line and a polygon layer round trip (definition,
// attributes of every type, null ones, geometry, join, shares), ogrinfo reads each table as a
// plain feature table of its geometry type, and a name is taken once, dropped, taken again.
#include "layers/store/store.hpp"

#include "core/errors.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace onemap;
using namespace onemap::layers;
using onemap::testing::TempDir;

namespace {

LayerDef pipes_def() {
  return definition_from_json(R"({
    "name": "sewage_pipes", "title": "污水管网", "theme": "环境", "geometry": "line",
    "id_field": "pipe_id",
    "fields": [
      {"name": "pipe_id", "audience": "public"},
      {"name": "diameter_mm", "type": "integer", "audience": "public"},
      {"name": "depth_m", "type": "real"},
      {"name": "laid", "type": "datetime"},
      {"name": "gravity", "type": "boolean"}
    ]})");
}

std::vector<Feature> pipes() {
  Feature a;
  a.geometry = MultiLineString{{{120.01, 30.01}, {120.02, 30.012}, {120.03, 30.011}},
                               {{120.05, 30.05}, {120.06, 30.06}}};
  a.attributes = {std::string("P-001"), int64_t{300}, 1.75, int64_t{1700000000}, true};
  a.join = {"330521001001001", JoinKind::Contained, 0};
  a.shares = {{"330521001001001", 2100.5}, {"330521001001002", 380.25}};
  Feature b;  // nulls, no grid
  b.geometry = MultiLineString{{{121.0, 31.0}, {121.1, 31.0}}};
  b.attributes = {std::string("P-002"), std::monostate{}, std::monostate{}, std::monostate{},
                  false};
  return {a, b};
}

class FeatureLayerStore : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string path_ = dir_.file("layers.gpkg");
};

TEST_F(FeatureLayerStore, ALineLayerRoundTripsWithItsSharesAndAPointAndAPolygonLayerBesideIt) {
  std::vector<Feature> written = pipes();
  {
    auto store = open_store(path_, true);
    store->create_layer(pipes_def(), written);
    EXPECT_GT(written[0].fid, 0);
    EXPECT_NE(written[0].fid, written[1].fid);

    LayerDef cams = definition_from_json(
        R"({"name":"cameras","geometry":"point","fields":[{"name":"code","audience":"public"}]})");
    std::vector<Feature> points(3);
    for (std::size_t i = 0; i < points.size(); ++i) {
      points[i].geometry = LonLat{120.0 + 0.01 * static_cast<double>(i), 30.5};
      points[i].attributes = {std::string("3305210000132000000") + std::to_string(i)};
    }
    store->create_layer(cams, points);

    LayerDef zones = definition_from_json(R"({"name":"land_use","geometry":"polygon"})");
    Feature z;
    MultiPolygon mp;
    mp.resize(1);
    mp[0].outer() = {{120.0, 30.0}, {120.1, 30.0}, {120.1, 30.1}, {120.0, 30.1}, {120.0, 30.0}};
    spatial::bg::correct(mp);
    z.geometry = mp;
    z.shares = {{"330521001001001", 1.0e6}};
    std::vector<Feature> polys{z};
    store->create_layer(zones, polys);
  }
  auto store = open_store(path_, false);
  const std::vector<FeatureLayer> layers = store->load_feature_layers();
  ASSERT_EQ(layers.size(), 3u);
  EXPECT_EQ(layers[0].def.name, "cameras");  // by name
  EXPECT_EQ(layers[1].def.name, "land_use");
  const FeatureLayer& p = layers[2];
  EXPECT_EQ(definition_json(p.def), definition_json(pipes_def()));
  ASSERT_EQ(p.features.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const Feature& got = p.features[i];
    const Feature& want = written[i];
    EXPECT_EQ(got.fid, want.fid);
    EXPECT_EQ(got.attributes, want.attributes) << i;
    EXPECT_EQ(got.join.grid_code, want.join.grid_code);
    EXPECT_EQ(got.join.kind, want.join.kind);
    EXPECT_EQ(got.shares, want.shares);
    EXPECT_TRUE(spatial::bg::equals(std::get<MultiLineString>(got.geometry),
                                    std::get<MultiLineString>(want.geometry)));
  }
  EXPECT_EQ(std::get<LonLat>(layers[0].features[2].geometry), (LonLat{120.02, 30.5}));
  EXPECT_EQ(layers[1].features[0].shares.size(), 1u);
  EXPECT_NEAR(spatial::bg::area(std::get<MultiPolygon>(layers[1].features[0].geometry)), 0.01,
              1e-12);

  // What any GIS sees: a feature table per layer, of its geometry type, in EPSG:4490.
  const auto info = onemap::testing::run_command(
      {"/usr/bin/ogrinfo", "-ro", "-so", path_, "sewage_pipes", "cameras", "land_use"});
  const std::string out = info.out + info.err;
  EXPECT_NE(out.find("Geometry: Multi Line String"), std::string::npos) << out;
  EXPECT_NE(out.find("Geometry: Point"), std::string::npos) << out;
  EXPECT_NE(out.find("Geometry: Multi Polygon"), std::string::npos) << out;
  EXPECT_NE(out.find("diameter_mm: Integer64"), std::string::npos) << out;
  EXPECT_NE(out.find("Feature Count: 3"), std::string::npos) << out;
}

TEST_F(FeatureLayerStore, ANameIsTakenOnceAndFreeAgainOnceDropped) {
  auto store = open_store(path_, true);
  std::vector<Feature> f = pipes();
  store->create_layer(pipes_def(), f);
  std::vector<Feature> again = pipes();
  EXPECT_THROW(store->create_layer(pipes_def(), again), StoreError);
  EXPECT_EQ(again[0].fid, 0) << "nothing written";
  ASSERT_EQ(store->load_feature_layers().size(), 1u);
  EXPECT_EQ(store->load_feature_layers()[0].features.size(), 2u);

  store->drop_layer("sewage_pipes");
  EXPECT_TRUE(store->load_feature_layers().empty());
  EXPECT_THROW(store->drop_layer("sewage_pipes"), StoreError);
  store.reset();
  const auto info = onemap::testing::run_command({"/usr/bin/ogrinfo", "-ro", "-q", path_});
  EXPECT_EQ(info.out.find("sewage_pipes"), std::string::npos) << "the table goes too";

  store = open_store(path_, false);
  std::vector<Feature> one = pipes();
  one.resize(1);
  store->create_layer(pipes_def(), one);
  const auto layers = store->load_feature_layers();
  ASSERT_EQ(layers.size(), 1u);
  ASSERT_EQ(layers[0].features.size(), 1u);
  EXPECT_EQ(layers[0].features[0].shares, pipes()[0].shares) << "no share of the dropped layer";
}

TEST_F(FeatureLayerStore, ATableLeftWithoutADefinitionIsNoLayerAndMakesWayForOne) {
  open_store(path_, true).reset();
  // A table of that name made by another program (or left by a crash before its definition).
  TempDir src;
  {
    std::FILE* f = std::fopen(src.file("a.geojson").c_str(), "w");
    std::fputs(R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{"x":1},)"
               R"("geometry":{"type":"Point","coordinates":[120,30]}}]})",
               f);
    std::fclose(f);
  }
  const auto orphan = onemap::testing::run_command(
      {"/usr/bin/ogr2ogr", "-update", "-nln", "sewage_pipes", path_, src.file("a.geojson")});
  ASSERT_EQ(orphan.exit_code, 0) << orphan.err;
  auto store = open_store(path_, false);
  EXPECT_TRUE(store->load_feature_layers().empty());
  std::vector<Feature> f = pipes();
  store->create_layer(pipes_def(), f);
  ASSERT_EQ(store->load_feature_layers().size(), 1u);
  EXPECT_EQ(store->load_feature_layers()[0].features.size(), 2u);
}

}  // namespace
