// County layers in the GeoPackage: a point, a line and a polygon layer round trip (definition,
// attributes of every type, null ones, geometry, join, shares), ogrinfo reads each table as a
// plain feature table of its geometry type, and a name is taken once, dropped, taken again;
// an alteration adds columns and its definition at once, or nothing.
#include "layers/store/store.hpp"

#include "core/errors.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
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

// SQL on a connection of its own, as another program would run it.
void sql(const std::string& path, const std::string& statement) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &error), SQLITE_OK)
      << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

// The declared type of every column of a table, by name.
std::map<std::string, std::string> columns(const std::string& path, const std::string& table) {
  std::map<std::string, std::string> out;
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, ("PRAGMA table_info(" + table + ")").c_str(), -1, &st, nullptr);
  while (sqlite3_step(st) == SQLITE_ROW)
    out[reinterpret_cast<const char*>(sqlite3_column_text(st, 1))] =
        reinterpret_cast<const char*>(sqlite3_column_text(st, 2));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

constexpr const char* kAddOwnerAndInspection = R"({
    "title": "污水管", "fields": {"depth_m": {"audience": "public"}},
    "add_fields": [{"name": "owner", "audience": "personal"},
                   {"name": "inspected", "type": "datetime"},
                   {"name": "blocked", "type": "boolean"},
                   {"name": "flow", "type": "real"}]})";

TEST_F(FeatureLayerStore, AnAlterationAddsTypedColumnsNullInEveryFeatureAndIsThereOnReopening) {
  std::vector<Feature> written = pipes();
  LayerDef altered;
  {
    auto store = open_store(path_, true);
    store->create_layer(pipes_def(), written);
    altered = store->alter_layer("sewage_pipes", kAddOwnerAndInspection);
    ASSERT_EQ(altered.fields.size(), 9u);
    EXPECT_EQ(altered.title, "污水管");
    EXPECT_EQ(altered.fields[2].audience, Audience::Public);
    EXPECT_EQ(definition_json(altered),
              definition_json(alter_definition(pipes_def(), kAddOwnerAndInspection)));
  }
  auto store = open_store(path_, false);
  const auto layers = store->load_feature_layers();
  ASSERT_EQ(layers.size(), 1u);
  EXPECT_EQ(definition_json(layers[0].def), definition_json(altered));
  ASSERT_EQ(layers[0].features.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    Attributes want = written[i].attributes;
    want.resize(9);  // the added fields: null
    EXPECT_EQ(layers[0].features[i].attributes, want) << i;
    EXPECT_EQ(layers[0].features[i].shares, written[i].shares) << i;
  }
  // Typed as create_layer types a field of the same type.
  const auto types = columns(path_, "sewage_pipes");
  EXPECT_EQ(types.at("owner"), types.at("pipe_id"));
  EXPECT_EQ(types.at("inspected"), types.at("laid"));
  EXPECT_EQ(types.at("blocked"), types.at("gravity"));
  EXPECT_EQ(types.at("flow"), types.at("depth_m"));

  // What other GIS show of it too.
  const auto info =
      onemap::testing::run_command({"/usr/bin/ogrinfo", "-ro", "-so", path_, "sewage_pipes"});
  EXPECT_NE(info.out.find("污水管"), std::string::npos) << info.out << info.err;
  EXPECT_NE(info.out.find("owner: String"), std::string::npos) << info.out;

  // An unknown layer, an alteration the rules refuse, a title another table has: nothing
  // changes.
  EXPECT_THROW(store->alter_layer("nothing", "{}"), StoreError);
  EXPECT_THROW(store->alter_layer("sewage_pipes", R"({"geometry":"point"})"), InvalidArgument);
  std::vector<Feature> none;
  store->create_layer(definition_from_json(R"({"name":"storm_pipes","title":"雨水管网"})"), none);
  EXPECT_THROW(
      store->alter_layer("sewage_pipes", R"({"title":"雨水管网","add_fields":[{"name":"x"}]})"),
      Conflict);
  EXPECT_EQ(definition_json(store->load_feature_layers()[0].def), definition_json(altered));
  EXPECT_EQ(columns(path_, "sewage_pipes").count("x"), 0u);
}

TEST_F(FeatureLayerStore, AFailingAlterationChangesNothingAndTheStoreGoesOn) {
  {
    auto store = open_store(path_, true);
    std::vector<Feature> f = pipes();
    store->create_layer(pipes_def(), f);
  }
  const auto before = columns(path_, "sewage_pipes");
  auto store = open_store(path_, false);
  // The definition cannot be written (as on a full disk) once the columns are added: the
  // columns go with it.
  sql(path_,
      "CREATE TRIGGER refuse BEFORE UPDATE ON onemap_layers "
      "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
  EXPECT_THROW(store->alter_layer("sewage_pipes", kAddOwnerAndInspection), StoreError);
  EXPECT_EQ(columns(path_, "sewage_pipes"), before);
  // The same store reads and writes on: it has forgotten the columns it no longer has.
  auto layers = store->load_feature_layers();
  ASSERT_EQ(layers.size(), 1u);
  EXPECT_EQ(definition_json(layers[0].def), definition_json(pipes_def()));
  EXPECT_EQ(layers[0].features.size(), 2u);
  std::vector<Feature> more = pipes();
  LayerDef other = pipes_def();
  other.name = "storm_pipes";
  other.title = "雨水管网";
  store->create_layer(other, more);

  // A column of that name left in the table by hand: refused before anything is written.
  sql(path_, "DROP TRIGGER refuse");
  sql(path_, "ALTER TABLE sewage_pipes ADD COLUMN flow REAL");
  store = open_store(path_, false);
  EXPECT_THROW(store->alter_layer("sewage_pipes", kAddOwnerAndInspection), StoreError);
  EXPECT_EQ(columns(path_, "sewage_pipes").count("owner"), 0u);
  EXPECT_EQ(definition_json(store->load_feature_layers()[0].def), definition_json(pipes_def()));

  // Without either, the same alteration goes through.
  sql(path_, "ALTER TABLE sewage_pipes DROP COLUMN flow");
  store = open_store(path_, false);
  EXPECT_EQ(store->alter_layer("sewage_pipes", kAddOwnerAndInspection).fields.size(), 9u);
  EXPECT_EQ(store->load_feature_layers()[0].def.fields.size(), 9u);
}

}  // namespace
