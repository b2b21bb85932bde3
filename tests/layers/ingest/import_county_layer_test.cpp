// County layers made by import (--create) from the three formats counties hand over, each
// written here with GDAL, into the small county's store; every join checked against a brute-force
// oracle over every grid (points: the grid that contains them; lines and polygons: the length or
// area of their Boost.Geometry overlay with each grid).
//
//   CSV of points with lon/lat, typed columns, a Chinese column name  a row without coordinates
//   Shapefile of lines, EPSG:4549 (Gauss-Krüger), GBK                  a line of one point
//   GeoJSON of polygons with a schema file's definition                a bowtie (repaired), an id
//                                                                      given twice (rejected)
#include "tests/support/boost_geometry.hpp"  // first: before anything brings in Boost

#include "layers/ingest/import.hpp"

#include "core/errors.hpp"
#include "spatial/crs.hpp"
#include "tests/support/county.hpp"
#include "tests/support/gdal_source.hpp"
#include "tests/support/temp_dir.hpp"

#include <ogr_spatialref.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace onemap;
using namespace onemap::layers;
namespace bg = spatial::bg;
using onemap::testing::Feat;
using onemap::testing::FieldDef;
using onemap::testing::TempDir;

namespace {

class ImportCountyLayer : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store(onemap::testing::write_small_county(dir_.path()), false);
    for (const Grid& g : onemap::testing::small_county().grids)
      if (g.level == GridLevel::Grid) grids_.push_back(g);
  }

  ImportReport run(const std::string& source, LayerDef def, bool geometry_from_source = true) {
    ImportOptions o;
    o.source = source;
    o.new_layer = std::move(def);
    o.geometry_from_source = geometry_from_source;
    return import_layer(*store_, o);
  }

  const FeatureLayer& layer(const std::string& name) {
    loaded_ = store_->load_feature_layers();
    for (const FeatureLayer& l : loaded_)
      if (l.def.name == name) return l;
    throw std::runtime_error("no layer " + name);
  }

  // The oracle of a line's or polygon's shares: every grid, Boost's overlay, the same measures.
  std::map<std::string, double> brute_force_shares(const FeatureGeometry& g) const {
    std::map<std::string, double> out;
    for (const Grid& grid : grids_) {
      double m = 0;
      if (const auto* lines = std::get_if<MultiLineString>(&g)) {
        MultiLineString inside;
        bg::intersection(*lines, grid.geometry, inside);
        m = spatial::length_m(inside);
      } else {
        MultiPolygon inside;
        bg::intersection(std::get<MultiPolygon>(g), grid.geometry, inside);
        m = spatial::area_m2(inside);
      }
      if (m >= (std::holds_alternative<MultiLineString>(g) ? GridJoiner::kMinShareLength_m
                                                           : GridJoiner::kMinShareArea_m2))
        out[grid.code] = m;
    }
    return out;
  }

  void expect_shares_as_brute_force(const FeatureLayer& l) const {
    std::size_t crossing = 0;
    for (const Feature& f : l.features) {
      const auto want = brute_force_shares(f.geometry);
      std::map<std::string, double> got;
      for (const GridShare& s : f.shares) got[s.grid_code] = s.measure;
      ASSERT_EQ(got.size(), want.size()) << "feature " << f.fid;
      for (const auto& [code, m] : want) {
        ASSERT_TRUE(got.count(code)) << "feature " << f.fid << " misses grid " << code;
        // The overlays may place a cut vertex differently in the last bits, and a vertex that is
        // collinear in lon/lat is not in the projection area_m2 measures in: a few parts in a
        // million.
        EXPECT_NEAR(got[code], m, 1e-5 * m + 1e-2) << "feature " << f.fid << " in " << code;
      }
      crossing += want.size() > 1;
      EXPECT_EQ(f.join.kind, want.empty() ? JoinKind::Unassigned : JoinKind::Contained);
    }
    EXPECT_GT(crossing, 3u) << "the data must cross grid edges to test anything";
  }

  TempDir dir_;
  TempDir src_;
  std::unique_ptr<Store> store_;
  std::vector<Grid> grids_;  // the small county's grids of level "grid"
  std::vector<FeatureLayer> loaded_;
};

LayerDef named(const std::string& name) {
  LayerDef d;
  d.name = name;
  d.title = name;
  return d;
}

TEST_F(ImportCountyLayer, ACsvOfPointsIsTypedFromItsColumnsAndEachPointIsInTheGridThatHoldsIt) {
  std::mt19937 rng(20261207);
  std::uniform_real_distribution<double> lon(119.98, 120.42), lat(29.99, 30.21);
  const std::string path = src_.file("cameras.csv");
  std::vector<LonLat> points;
  {
    std::ofstream f(path);
    f << "device_id,lon,lat,channels,height_m,installed,安装单位\n";
    for (int i = 0; i < 200; ++i) {
      const LonLat p{lon(rng), lat(rng)};
      points.push_back(p);
      char line[200];
      std::snprintf(line, sizeof line, "33052100001320%06d,%.9f,%.9f,%d,%.1f,2024-0%d-1%d,城管局\n",
                    i, p.lon, p.lat, i % 8 + 1, 3.5 + i % 4, i % 9 + 1, i % 10);
      f << line;
    }
    f << "33052100001320999999,,,1,2.0,2024-01-01,城管局\n";  // no coordinates
  }
  const ImportReport r = run(path, named("cameras"));
  EXPECT_EQ(r.read, 201u);
  EXPECT_EQ(r.loaded, 200u);
  ASSERT_EQ(r.issues.size(), r.join.unassigned + 1);
  EXPECT_EQ(r.issues.front().index, 200);
  EXPECT_EQ(r.issues.front().kind, IssueKind::NoLocation);

  const FeatureLayer& l = layer("cameras");
  EXPECT_EQ(l.def.geometry, GeometryKind::Point);
  ASSERT_EQ(l.def.fields.size(), 5u) << "lon and lat are the position, not fields";
  EXPECT_EQ(l.def.fields[0].type, FieldType::String) << "20 digits are an id, not a number";
  EXPECT_EQ(l.def.fields[1].type, FieldType::Integer);
  EXPECT_EQ(l.def.fields[2].type, FieldType::Real);
  EXPECT_EQ(l.def.fields[3].type, FieldType::DateTime);
  EXPECT_EQ(l.def.fields[4].name, "field_7") << "a name that is no identifier";
  EXPECT_EQ(l.def.fields[4].import_names.front(), "安装单位");
  EXPECT_EQ(l.def.fields[0].audience, Audience::Staff) << "nothing public unless declared";
  ASSERT_EQ(l.features.size(), 200u);

  // The oracle: the grid that contains each point, over every grid.
  std::size_t inside = 0;
  for (std::size_t i = 0; i < l.features.size(); ++i) {
    const Feature& f = l.features[i];
    const LonLat p = std::get<LonLat>(f.geometry);
    EXPECT_NEAR(p.lon, points[i].lon, 1e-9);
    std::string holder;
    for (const Grid& g : grids_)
      if (bg::within(spatial::to_point(p), g.geometry)) holder = g.code;
    if (holder.empty()) {
      EXPECT_NE(f.join.kind, JoinKind::Contained) << i;
    } else {
      ++inside;
      EXPECT_EQ(f.join.grid_code, holder) << i;
      EXPECT_EQ(f.join.kind, JoinKind::Contained) << i;
    }
    EXPECT_TRUE(f.shares.empty());
    EXPECT_EQ(std::get<int64_t>(f.attributes[1]), static_cast<int64_t>(i % 8 + 1));
    EXPECT_EQ(std::get<std::string>(f.attributes[4]), "城管局");
  }
  EXPECT_GT(inside, 100u);
  EXPECT_LT(inside, 200u) << "some points must fall outside the grids";
}

TEST_F(ImportCountyLayer, AGaussKrugerShapefileOfLinesInGbkSharesItsLengthOutByGrid) {
  OGRSpatialReference wgs, gk;
  wgs.importFromEPSG(4490);
  wgs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  gk.importFromEPSG(4549);
  gk.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> to_gk(OGRCreateCoordinateTransformation(&wgs, &gk));
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> lon(119.99, 120.41), lat(29.995, 30.205),
      step(-0.03, 0.03);
  std::vector<Feat> feats;
  std::vector<MultiLineString> lonlat;
  for (int i = 0; i < 60; ++i) {
    spatial::LineString line{{lon(rng), lat(rng)}};
    for (int k = 0; k < 3; ++k)
      line.emplace_back(line.back().x() + step(rng), line.back().y() + step(rng) / 3);
    std::string wkt = "LINESTRING (";
    for (std::size_t k = 0; k < line.size(); ++k) {
      double x = line[k].x(), y = line[k].y();
      to_gk->Transform(1, &x, &y);
      char b[80];
      std::snprintf(b, sizeof b, "%s%.4f %.4f", k ? "," : "", x, y);
      wkt += b;
    }
    feats.push_back({{{"PIPE_ID", "WS" + std::to_string(i)}, {"材质", "球墨铸铁"}}, wkt + ")"});
    lonlat.push_back({line});
  }
  feats.push_back({{{"PIPE_ID", "WS-bad"}}, "LINESTRING (500000 3330000)"});
  const auto path = src_ / "pipes.shp";
  onemap::testing::write_layer(path, "ESRI Shapefile", "pipes", 4549, wkbLineString,
                               {{"PIPE_ID"}, {"材质"}}, feats, {"ENCODING=GBK"});

  LayerDef def = named("sewage_pipes");
  def.id_field = "PIPE_ID";  // a source field's name
  const ImportReport r = run(path.string(), def);
  EXPECT_EQ(r.loaded, 60u);
  ASSERT_EQ(r.rejected, 1u);
  const auto bad = std::find_if(r.issues.begin(), r.issues.end(),
                                [](const ImportIssue& i) { return i.kind == IssueKind::Rejected; });
  EXPECT_EQ(bad->index, 60);
  EXPECT_EQ(bad->id, "WS-bad");
  EXPECT_NE(r.source_crs.find("4549"), std::string::npos) << r.source_crs;

  const FeatureLayer& l = layer("sewage_pipes");
  EXPECT_EQ(l.def.geometry, GeometryKind::Line);
  EXPECT_EQ(l.def.id_field, "pipe_id");
  ASSERT_EQ(l.features.size(), 60u);
  for (std::size_t i = 0; i < l.features.size(); ++i) {
    const auto& got = std::get<MultiLineString>(l.features[i].geometry);
    ASSERT_EQ(got.size(), 1u);
    for (std::size_t k = 0; k < got[0].size(); ++k) {
      EXPECT_NEAR(got[0][k].x(), lonlat[i][0][k].x(), 1e-7);
      EXPECT_NEAR(got[0][k].y(), lonlat[i][0][k].y(), 1e-7);
    }
    EXPECT_EQ(std::get<std::string>(l.features[i].attributes[1]), "球墨铸铁") << "from GBK";
  }
  expect_shares_as_brute_force(l);
}

TEST_F(ImportCountyLayer, AGeoJsonOfPolygonsTakesItsDefinitionFromASchemaFile) {
  const LayerDef def = definition_from_json(R"({
    "name": "land_use", "title": "国土空间规划分区", "theme": "规划", "geometry": "polygon",
    "id_field": "zone_id",
    "fields": [
      {"name": "zone_id", "audience": "public", "source": "ZONE"},
      {"name": "use", "audience": "public", "tile_minzoom": 10},
      {"name": "approved", "type": "boolean", "audience": "staff"}
    ],
    "style": {"color": "#16a34a", "fill": "#bbf7d0", "label": "use"}})");
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> lon(119.99, 120.39), lat(29.995, 30.18), size(0.005, 0.06);
  std::string json = R"({"type":"FeatureCollection","features":[)";
  auto feature = [&](const std::string& zone, const std::string& ring) {
    json += R"({"type":"Feature","properties":{"ZONE":")" + zone +
            R"(","use":"农用地","approved":"是","note":"x"},"geometry":{"type":"Polygon",)" +
            R"("coordinates":[)" + ring + "]}},";
  };
  for (int i = 0; i < 40; ++i) {
    const double x = lon(rng), y = lat(rng), w = size(rng), h = size(rng) / 2;
    char ring[300];
    std::snprintf(ring, sizeof ring,
                  "[[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f]]", x, y, x + w, y,
                  x + w, y + h, x, y + h, x, y);
    feature("Z" + std::to_string(i), ring);
  }
  feature("Z-bow", "[[120.1,30.05],[120.15,30.1],[120.15,30.05],[120.1,30.1],[120.1,30.05]]");
  feature("Z3", "[[120.2,30.1],[120.21,30.1],[120.21,30.11],[120.2,30.1]]");  // Z3 again
  json.back() = ']';
  json += "}";
  const std::string path = src_.file("zones.geojson");
  std::ofstream(path) << json;

  const ImportReport r = run(path, def, false);
  EXPECT_EQ(r.read, 42u);
  EXPECT_EQ(r.loaded, 41u);
  EXPECT_EQ(r.repaired, 1u);
  ASSERT_EQ(r.rejected, 1u);
  const auto bad = std::find_if(r.issues.begin(), r.issues.end(),
                                [](const ImportIssue& i) { return i.kind == IssueKind::Rejected; });
  EXPECT_EQ(bad->index, 41);
  EXPECT_NE(bad->reason.find("duplicate zone_id Z3"), std::string::npos) << bad->reason;
  bool noted = false;
  for (const auto& n : r.notes) noted |= n.find("left out: note") != std::string::npos;
  EXPECT_TRUE(noted) << "a source field the definition lacks is named";

  const FeatureLayer& l = layer("land_use");
  EXPECT_EQ(definition_json(l.def), definition_json(def));
  ASSERT_EQ(l.features.size(), 41u);
  EXPECT_EQ(l.features[0].attributes[2], AttributeValue(true)) << "是 is yes";
  for (const Feature& f : l.features)
    EXPECT_TRUE(bg::is_valid(std::get<MultiPolygon>(f.geometry))) << f.fid;
  expect_shares_as_brute_force(l);
}

TEST_F(ImportCountyLayer, AnUnassignedFeatureIsReportedByItsIdWhateverTheIdFieldsType) {
  const std::string path = src_.file("numbered.csv");
  std::ofstream(path) << "no,lon,lat\n7,120.1,30.1\n8,121.5,31.5\n";  // 8: far from every grid
  LayerDef def = named("numbered");
  def.id_field = "no";
  const ImportReport r = run(path, def);
  EXPECT_EQ(layer("numbered").def.fields[0].type, FieldType::Integer);
  ASSERT_EQ(r.issues.size(), 1u);
  EXPECT_EQ(r.issues[0].kind, IssueKind::Unassigned);
  EXPECT_EQ(r.issues[0].index, 1);
  EXPECT_EQ(r.issues[0].id, "8");
}

TEST_F(ImportCountyLayer, RefusesANameTakenAndAKindTheSourceCannotGive) {
  const std::string path = src_.file("p.csv");
  std::ofstream(path) << "id,lon,lat\n1,120.1,30.1\n";
  EXPECT_THROW(run(path, named("grids")), InvalidArgument);
  run(path, named("stations"));
  EXPECT_THROW(run(path, named("stations")), StoreError);
  EXPECT_EQ(layer("stations").features.size(), 1u) << "the layer that was there stays";
  LayerDef lines = named("roads");
  lines.geometry = GeometryKind::Line;
  try {
    run(path, lines, false);
    FAIL() << "a table without geometry holds no lines";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.parameter(), "source");
  }
}

}  // namespace
