// County layers: their definitions (checks, JSON round trip, alterations), what a feed compares
// records by (keys, same content) and its pull intervals, and the grid join of points, lines and
// polygons, against a brute-force oracle: every grid (no index), Boost.Geometry's overlay (not
// GEOS, which the join uses), the same measures.
#include "tests/support/boost_geometry.hpp"  // first: before anything brings in Boost

#include "layers/model/feature_layer.hpp"
#include "layers/model/feed.hpp"
#include "layers/model/join.hpp"

#include "core/errors.hpp"
#include "spatial/crs.hpp"
#include "spatial/geos_ops.hpp"
#include "spatial/predicates.hpp"
#include "tests/support/thrown.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

using namespace onemap;
using namespace onemap::layers;
namespace bg = spatial::bg;

namespace {

LayerDef cameras() {
  return definition_from_json(R"({
    "name": "cameras", "title": "雪亮工程摄像头", "theme": "安全", "geometry": "point",
    "id_field": "device_id", "minzoom": 8,
    "fields": [
      {"name": "device_id", "type": "string", "audience": "public", "tile_minzoom": 14},
      {"name": "installed", "type": "datetime", "audience": "staff"},
      {"name": "channels", "type": "integer", "audience": "public"},
      {"name": "keeper_phone", "audience": "personal"}
    ],
    "style": {"color": "#e4572e", "icon": "camera", "label": "device_id"}})");
}

TEST(LayerDefinitionTest, RoundTripsThroughItsJson) {
  const LayerDef d = cameras();
  EXPECT_EQ(d.fields.size(), 4u);
  EXPECT_EQ(d.fields[1].type, FieldType::DateTime);
  EXPECT_TRUE(d.fields[3].personal);
  EXPECT_FALSE(d.fields[3].queryable) << "a person's identity is never queryable by default";
  const LayerDef back = definition_from_json(definition_json(d));
  EXPECT_EQ(definition_json(back), definition_json(d));
  EXPECT_EQ(back.id_field, "device_id");
  EXPECT_EQ(back.minzoom, 8u);
  EXPECT_EQ(back.style.icon, "camera");
  EXPECT_EQ(back.fields[0].tile_minzoom, 14);
}

TEST(LayerDefinitionTest, ANameGivenApartWinsOverTheFiles) {
  EXPECT_EQ(definition_from_json(R"({"name":"a","fields":[]})", "stations").name, "stations");
  EXPECT_EQ(definition_from_json(R"({"fields":[{"name":"x"}]})", "stations").title, "stations");
}

TEST(LayerDefinitionTest, RefusesWhatWouldClashOrCannotBeServed) {
  auto refuses = [](const std::string& json, const std::string& parameter) {
    EXPECT_EQ(onemap::testing::refused([&] { definition_from_json(json); }), parameter) << json;
  };
  refuses(R"({"name":"grids"})", "name");
  refuses(R"({"name":"users"})", "name");
  refuses(R"({"name":"gpkg_contents"})", "name");
  refuses(R"({"name":"Cameras"})", "name");
  refuses(R"({"name":"9a"})", "name");
  refuses(R"({"name":""})", "name");
  refuses(R"({"name":"a","geometry":"raster"})", "geometry");
  refuses(R"({"name":"a","fields":[{"name":"fid"}]})", "fields");
  refuses(R"({"name":"a","fields":[{"name":"x"},{"name":"x"}]})", "fields");
  refuses(R"({"name":"a","fields":[{"name":"x","type":"blob"}]})", "fields");
  refuses(R"({"name":"a","fields":[{"name":"x","audience":"everyone"}]})", "fields");
  refuses(R"({"name":"a","fields":[{"name":"x","audience":"personal","tile_minzoom":3}]})",
          "fields");
  refuses(R"({"name":"a","fields":{"x":1}})", "fields");
  refuses(R"({"name":"a","id_field":"y","fields":[{"name":"x"}]})", "id_field");
  refuses(R"({"name":"a","minzoom":9,"maxzoom":3})", "minzoom");
  refuses(R"({"name":"a","style":{"color":"red"}})", "style");
  refuses(R"({"name":"a","style":{"label":"x"},"fields":[{"name":"x"}]})", "style");
  refuses(R"({"name":"a","style":{"width":0}})", "style");
  refuses(R"({"name":"a","title":7})", "schema");
  refuses(R"([1,2])", "schema");
  refuses(R"({"name":"a")", "schema");
}

// ---- alterations ----

TEST(LayerAlterationTest, AddsFieldsAndChangesAudiencesTitleStyleAndZooms) {
  const LayerDef d = alter_definition(cameras(), R"({
    "title": "摄像头", "theme": "治理", "audience": "staff", "maxzoom": 20,
    "style": {"color": "#000", "label": null},
    "add_fields": [{"name": "owner", "audience": "public", "queryable": true, "tile_minzoom": 12},
                   {"name": "lens_mm", "type": "real", "source": "LENS"}],
    "fields": {"channels": {"audience": "staff", "queryable": false},
               "owner": {"audience": "personal"}}})");
  EXPECT_EQ(d.title, "摄像头");
  EXPECT_EQ(d.theme, "治理");
  EXPECT_EQ(d.audience, Audience::Staff);
  EXPECT_EQ(d.maxzoom, 20u);
  EXPECT_EQ(d.minzoom, 8u) << "what the alteration leaves out stays";
  EXPECT_EQ(d.style.color, "#000");
  EXPECT_EQ(d.style.icon, "camera");
  EXPECT_EQ(d.style.label, "") << "null: the default";
  ASSERT_EQ(d.fields.size(), 6u);
  EXPECT_EQ(d.fields[4].name, "owner") << "added at the end, after the stored columns";
  EXPECT_EQ(d.fields[5].type, FieldType::Real);
  EXPECT_EQ(d.fields[5].audience, Audience::Staff) << "a new field's default";
  EXPECT_EQ(d.fields[5].import_names, std::vector<std::string>{"LENS"});
  EXPECT_EQ(d.fields[2].audience, Audience::Staff);
  EXPECT_FALSE(d.fields[2].queryable);
  // Made personal in the same alteration that added it: out of the queryables and the tiles.
  EXPECT_TRUE(d.fields[4].personal);
  EXPECT_FALSE(d.fields[4].queryable);
  EXPECT_FALSE(d.fields[4].in_tiles());
  EXPECT_EQ(d.id_field, "device_id");
  // What the store keeps reads back the same.
  EXPECT_EQ(definition_json(definition_from_json(definition_json(d))), definition_json(d));
  // Nothing asked, nothing changed; the same name, geometry, id field or type restated is no
  // change either.
  EXPECT_EQ(definition_json(alter_definition(cameras(), "{}")), definition_json(cameras()));
  EXPECT_EQ(definition_json(alter_definition(
                cameras(), R"({"name":"cameras","geometry":"Point","id_field":"device_id",
                              "fields":{"channels":{"name":"channels","type":"integer"}}})")),
            definition_json(cameras()));
}

TEST(LayerAlterationTest, AFieldMadePersonalLeavesQueryablesAndTilesUnlessItSaysOtherwise) {
  const LayerDef made = alter_definition(cameras(), R"({"style": {"label": null},
      "fields": {"device_id": {"audience": "personal"}}})");
  EXPECT_TRUE(made.fields[0].personal);
  EXPECT_FALSE(made.fields[0].queryable);
  EXPECT_FALSE(made.fields[0].in_tiles());
  // A tile zoom asked for a personal field: the rule of every definition refuses it.
  EXPECT_EQ(onemap::testing::refused([] {
              alter_definition(cameras(), R"({"style": {"label": null},
                  "fields": {"device_id": {"audience": "personal", "tile_minzoom": 14}}})");
            }),
            "fields");
  // Back to public: the field is as a public one, its zoom and queryable as the change says.
  const LayerDef back = alter_definition(
      made, R"({"fields": {"device_id": {"audience": "public", "tile_minzoom": 15}}})");
  EXPECT_EQ(back.fields[0].audience, Audience::Public);
  EXPECT_FALSE(back.fields[0].personal);
  EXPECT_EQ(back.fields[0].tile_minzoom, 15);
}

TEST(LayerAlterationTest, RefusesWhatStoredFeaturesDependOnAndNamesTheMember) {
  auto refuses = [](const std::string& alteration, const std::string& parameter,
                    const std::string& says) {
    const auto e =
        onemap::testing::thrown<InvalidArgument>([&] { alter_definition(cameras(), alteration); });
    ASSERT_TRUE(e) << alteration;
    EXPECT_EQ(e->parameter(), parameter) << alteration;
    EXPECT_NE(std::string(e->what()).find(says), std::string::npos) << e->what();
  };
  refuses(R"({"geometry":"polygon"})", "geometry", "the stored features are points");
  refuses(R"({"id_field":"channels"})", "id_field", "matched by it");
  refuses(R"({"name":"cams"})", "name", "not renamed");
  refuses(R"({"fields":{"channels":null}})", "fields", "'channels' is not removed");
  refuses(R"({"fields":{"channels":{"type":"string"}}})", "fields", "keeps its type integer");
  refuses(R"({"fields":{"channels":{"name":"ch"}}})", "fields", "not renamed");
  refuses(R"({"fields":{"nothing":{"audience":"staff"}}})", "fields", "no field 'nothing'");
  refuses(R"({"fields":{"channels":{"colour":"red"}}})", "fields", "unknown member 'colour'");
  refuses(R"({"fields":[{"name":"channels"}]})", "fields", "new fields go in add_fields");
  refuses(R"({"fields":{"channels":{"audience":"everyone"}}})", "fields", "unknown audience");
  refuses(R"({"add_fields":[{"name":"channels"}]})", "add_fields", "field 'channels' already");
  refuses(R"({"add_fields":[{"name":"x"},{"name":"x"}]})", "add_fields", "field 'x' already");
  refuses(R"({"add_fields":[{"name":"x","type":"blob"}]})", "add_fields", "unknown type 'blob'");
  refuses(R"({"add_fields":[{"name":"fid"}]})", "fields", "keeps for itself");
  refuses(R"({"add_fields":{"name":"x"}})", "add_fields", "an array");
  refuses(R"({"audience":"everyone"})", "audience", "unknown audience");
  refuses(R"({"title":7})", "title", "wrong type");
  refuses(R"({"minzoom":20,"maxzoom":10})", "minzoom", "zoom range");
  refuses(R"({"style":{"color":"red"}})", "style", "#rgb");
  refuses(R"({"fields":{"device_id":{"audience":"staff"}}})", "style", "must be public");
  refuses(R"({"remove_fields":["channels"]})", "remove_fields", "unknown member");
  refuses(R"([1])", "alteration", "JSON object");
  refuses(R"({"title":)", "alteration", "JSON object");
}

// ---- the join ----

// 40 grids of irregular shape: Voronoi cells of random seeds tiling [120.0, 120.2] x [30.0, 30.1].
std::vector<Grid> voronoi_grids(std::mt19937& rng) {
  std::uniform_real_distribution<double> x(120.0, 120.2), y(30.0, 30.1);
  std::vector<spatial::Point> seeds;
  for (int i = 0; i < 40; ++i) seeds.emplace_back(x(rng), y(rng));
  spatial::MultiPolygon clip;
  clip.resize(1);
  clip[0].outer() = {{120.0, 30.0}, {120.2, 30.0}, {120.2, 30.1}, {120.0, 30.1}, {120.0, 30.0}};
  bg::correct(clip);
  std::vector<Grid> grids;
  const auto cells = spatial::voronoi_cells(seeds, clip);
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (cells[i].empty()) continue;
    Grid g;
    g.code = "330521001001" + std::to_string(100 + i);
    g.level = GridLevel::Grid;
    g.geometry = cells[i];
    grids.push_back(std::move(g));
  }
  return grids;
}

Feature with(FeatureGeometry g) {
  Feature f;
  f.geometry = std::move(g);
  return f;
}

std::map<std::string, double> shares_of(const Feature& f) {
  std::map<std::string, double> m;
  for (const auto& s : f.shares) m[s.grid_code] = s.measure;
  return m;
}

// The oracle: every grid, Boost.Geometry's intersection, the same measures.
std::map<std::string, double> brute_force(const std::vector<Grid>& grids, const Feature& f) {
  std::map<std::string, double> m;
  for (const Grid& g : grids) {
    double measure = 0;
    if (const auto* lines = std::get_if<spatial::MultiLineString>(&f.geometry)) {
      spatial::MultiLineString inside;
      bg::intersection(*lines, g.geometry, inside);
      measure = spatial::length_m(inside);
    } else {
      spatial::MultiPolygon inside;
      bg::intersection(std::get<spatial::MultiPolygon>(f.geometry), g.geometry, inside);
      measure = spatial::area_m2(inside);
    }
    if (measure > 1e-6) m[g.code] = measure;
  }
  return m;
}

void expect_same_shares(const std::map<std::string, double>& got,
                        const std::map<std::string, double>& want, double total,
                        const std::string& what) {
  // A sliver of a few square millimetres (or a touch of a line along an edge) may be kept by one
  // overlay and not the other: compare grids whose share is more than a millionth of the total.
  for (const auto& [code, m] : want) {
    if (m < total * 1e-6) continue;
    auto it = got.find(code);
    ASSERT_NE(it, got.end()) << what << ": grid " << code << " has " << m << " in the oracle";
    EXPECT_NEAR(it->second, m, std::max(1e-6 * total, 1e-3)) << what << " in grid " << code;
  }
  for (const auto& [code, m] : got) {
    if (m < total * 1e-6) continue;
    EXPECT_TRUE(want.count(code)) << what << ": grid " << code << " has " << m << " only here";
  }
}

TEST(FeatureJoinTest, LinesAndPolygonsShareOutByGridAsABruteForceOverlaySays) {
  std::mt19937 rng(20261207);
  const std::vector<Grid> grids = voronoi_grids(rng);
  const GridJoiner joiner(grids);
  std::uniform_real_distribution<double> x(119.99, 120.21), y(29.995, 30.105), step(-0.02, 0.02);
  std::uniform_int_distribution<int> vertices(2, 9);

  std::vector<Feature> features;
  for (int i = 0; i < 150; ++i) {  // random walks, some leaving the grids
    spatial::LineString line;
    line.emplace_back(x(rng), y(rng));
    for (int k = vertices(rng); k > 1; --k)
      line.emplace_back(line.back().x() + step(rng), line.back().y() + step(rng) / 2);
    features.push_back(with(spatial::MultiLineString{line}));
  }
  for (int i = 0; i < 150; ++i) {  // quadrilaterals, convex or not, some leaving the grids
    const double cx = x(rng), cy = y(rng);
    spatial::MultiPolygon mp;
    mp.resize(1);
    for (int k = 0; k < 4; ++k) {
      const double a = k * M_PI / 2 + step(rng) * 20, r = 0.002 + std::abs(step(rng));
      mp[0].outer().emplace_back(cx + r * std::cos(a), cy + r * std::sin(a) / 2);
    }
    bg::correct(mp);
    if (!bg::is_valid(mp)) continue;
    features.push_back(with(mp));
  }
  const JoinStats stats = joiner.join_all(features);
  std::size_t in_several = 0;
  for (std::size_t i = 0; i < features.size(); ++i) {
    const Feature& f = features[i];
    const auto want = brute_force(grids, f);
    const auto* lines = std::get_if<spatial::MultiLineString>(&f.geometry);
    const double total = lines ? spatial::length_m(*lines)
                               : spatial::area_m2(std::get<spatial::MultiPolygon>(f.geometry));
    expect_same_shares(shares_of(f), want, total,
                       (lines ? "line " : "polygon ") + std::to_string(i));
    double sum = 0;
    for (const auto& s : f.shares) sum += s.measure;
    // Pieces are measured apart: a cut point lies on the lon/lat segment, not on the geodesic
    // (lines) or the projected edge (polygons), which moves a sum by some parts in a million.
    EXPECT_LE(sum, total * (1 + 1e-4)) << "shares never add up to more than the whole";
    if (f.shares.size() > 1) ++in_several;
    // The join is the grid of the largest share.
    if (want.empty()) {
      EXPECT_EQ(f.join.kind, JoinKind::Unassigned);
    } else {
      EXPECT_EQ(f.join.kind, JoinKind::Contained);
      double best = 0;
      for (const auto& [code, m] : want) best = std::max(best, m);
      EXPECT_NEAR(shares_of(f)[f.join.grid_code], best, std::max(1e-6 * total, 1e-3));
    }
  }
  EXPECT_GT(in_several, 50u) << "the data must cross grid edges to test anything";
  EXPECT_GT(stats.unassigned, 0u) << "and leave the grids";
  EXPECT_EQ(stats.contained + stats.unassigned, features.size());
}

TEST(FeedTest, RecordsAreKeyedByTheirIdFieldAndTheSameWhenEveryCoordinateAndValueIs) {
  LayerDef def = cameras();
  Feature a;
  a.geometry = spatial::MultiLineString{{{120.0, 30.0}, {120.1, 30.1}}};
  a.attributes = {std::string("34020000001320000001"), int64_t{1700000000}, int64_t{4}};
  EXPECT_EQ(feature_key(def, a), "34020000001320000001");
  def.id_field = "channels";
  EXPECT_EQ(feature_key(def, a), "4");
  def.id_field = "keeper_phone";  // missing at the end: no key
  EXPECT_EQ(feature_key(def, a), "");
  def.id_field.clear();
  EXPECT_EQ(feature_key(def, a), "");
  EXPECT_THROW(check_feedable(def), Conflict);

  Feature b = a;
  b.attributes.push_back(std::monostate{});  // a field added since: null
  b.join.grid_code = "330521001001001";      // joins and fids are not content
  b.fid = 9;
  EXPECT_TRUE(same_content(a, b));
  std::get<spatial::MultiLineString>(b.geometry)[0][1].x(120.1000000001);
  EXPECT_FALSE(same_content(a, b));
  b = a;
  b.attributes[2] = int64_t{5};
  EXPECT_FALSE(same_content(a, b));
  // The same points in another order are another geometry: the source changed it.
  b = a;
  auto& l = std::get<spatial::MultiLineString>(b.geometry)[0];
  std::reverse(l.begin(), l.end());
  EXPECT_FALSE(same_geometry(a.geometry, b.geometry));
  EXPECT_FALSE(same_geometry(FeatureGeometry{LonLat{120, 30}}, a.geometry));
  EXPECT_TRUE(is_reserved_field(kFeedDeleteMember)) << "no field may take the deletion's name";
}

TEST(FeedTest, AnIntervalIsSecondsOrAUnit) {
  EXPECT_EQ(parse_interval("90"), 90);
  EXPECT_EQ(parse_interval("90s"), 90);
  EXPECT_EQ(parse_interval("10m"), 600);
  EXPECT_EQ(parse_interval("2h"), 7200);
  EXPECT_EQ(parse_interval("1d"), 86400);
  for (const char* bad : {"", "m", "0", "-5m", "10w", "1.5h", "10 m", "99999999999999999999"})
    EXPECT_EQ(onemap::testing::refused([&] { parse_interval(bad); }), "every") << bad;
  EXPECT_EQ(format_interval(600), "10m");
  EXPECT_EQ(format_interval(90), "90s");
  EXPECT_EQ(format_interval(86400), "1d");
  PullFeed f;
  f.every_s = 600;
  EXPECT_TRUE(f.due(1000)) << "never pulled";
  f.last_run = 1000;
  EXPECT_FALSE(f.due(1599));
  EXPECT_TRUE(f.due(1600));
}

TEST(FeatureJoinTest, ALineWhollyInsideHasItsWholeLengthInOneGridAndAPointItsContainingGrid) {
  std::mt19937 rng(7);
  const std::vector<Grid> grids = voronoi_grids(rng);
  const GridJoiner joiner(grids);
  const spatial::Point c = spatial::point_on_surface(grids[3].geometry);
  Feature point = with(LonLat{c.x(), c.y()});
  joiner.join(point);
  EXPECT_EQ(point.join.grid_code, grids[3].code);
  EXPECT_TRUE(point.shares.empty());
  // A short line around that point, inside the grid.
  Feature line = with(spatial::MultiLineString{{{c.x() - 1e-5, c.y()}, {c.x() + 1e-5, c.y()}}});
  ASSERT_TRUE(bg::within(std::get<spatial::MultiLineString>(line.geometry), grids[3].geometry));
  joiner.join(line);
  ASSERT_EQ(line.shares.size(), 1u);
  EXPECT_EQ(line.shares[0].grid_code, grids[3].code);
  EXPECT_NEAR(line.shares[0].measure,
              spatial::length_m(std::get<spatial::MultiLineString>(line.geometry)), 1e-9);
}

}  // namespace
