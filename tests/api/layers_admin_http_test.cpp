// County layers added to a running server and dropped from it, through the route table: a CSV of
// points, a zipped Gauss-Krüger Shapefile of lines and a GeoJSON of polygons, each posted as a
// body, appear at once in /collections, their items and queryables, joined as a brute-force pass
// over the grids says; they are in the store for the next start; the refusals name what is wrong.
// A layer altered on the running server (a field added, its audience changed, the layer's) is
// read as altered at the next request; a bad alteration is a 400 naming the member and changes
// nothing.
#include "tests/support/boost_geometry.hpp"  // first: before anything brings in Boost

#include "tests/support/api_harness.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/gdal_source.hpp"
#include "tests/support/tiles.hpp"

#include "layers/store/store.hpp"
#include "spatial/crs.hpp"

#include <cpl_conv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

namespace {

using nlohmann::json;
using namespace onemap;
using namespace onemap::testing;
namespace bg = spatial::bg;

class LayersAdmin : public SharedApi<LayersAdmin> {
 public:
  static std::unique_ptr<ApiHarness> make_api() {
    auto api = std::make_unique<ApiHarness>();
    api->add_user("centre", "centre");
    api->add_user("fire", "department", "消防");  // staff
    return api;
  }

 protected:
  static HttpResponse post(const std::string& query, const std::string& body,
                           const std::string& type, const std::string& token = kAdminToken) {
    return api().send("POST", "/admin/layers?" + query, body, token, type);
  }
  static std::vector<layers::Grid> grids() {
    std::vector<layers::Grid> out;
    for (const auto& g : oracle().grids)
      if (g.level == layers::GridLevel::Grid) out.push_back(g);
    return out;
  }
  // Every feature of a collection (one page).
  static json all(const std::string& name) {
    const HttpResponse r = api().get("/collections/" + name + "/items?limit=10000", kAdminToken);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }
  static HttpResponse patch(const std::string& layer, const std::string& body,
                            const std::string& type = "application/json",
                            const std::string& token = kAdminToken) {
    return api().send("PATCH", "/admin/layers/" + layer, body, token, type);
  }
  // The definition as GET /admin/layers/{name} shows it, less the feature count.
  static json definition(const std::string& layer) {
    const HttpResponse r = api().get("/admin/layers/" + layer, kAdminToken);
    EXPECT_EQ(r.status, 200) << r.body;
    json j = r.json();
    j.erase("features");
    return j;
  }
  // The definition the store holds, as a server starting now would read it.
  static json stored(const std::string& layer) {
    auto store = layers::open_store(api().store_path(), false);
    for (const auto& l : store->load_feature_layers())
      if (l.def.name == layer) return json::parse(layers::definition_json(l.def));
    return nullptr;
  }
  // A layer just added is in every output at once: its tiles (a tile of each matrix set holding
  // its first feature, decoded by GDAL for Web Mercator), TileJSON, the map's style and its
  // catalogue (the web map's), and its statistics by grid.
  static void expect_served_everywhere(const std::string& name) {
    SCOPED_TRACE(name);
    const json items = all(name);
    ASSERT_GT(items["numberMatched"].get<int>(), 0);
    const json& first = items["features"][0];
    json at = first["geometry"]["coordinates"];
    while (at[0].is_array()) at = at[0];  // a line's or ring's first vertex
    const double lon = at[0].get<double>(), lat = at[1].get<double>();
    const Tile t = mercator_tile(lon, lat, 14);
    const HttpResponse tile = api().get("/tiles/" + name + "/" + t.path() + ".mvt", kAdminToken);
    ASSERT_EQ(tile.status, 200) << tile.body;
    std::set<int64_t> ids;
    const auto ds = open_tile(api().dir().file("served-" + name), t, tile.body);
    for (auto* layer : ds->GetLayers())
      for (const auto& f : *layer) ids.insert(f->GetFieldAsInteger64("mvt_id"));
    EXPECT_TRUE(ids.count(first["id"].get<int64_t>())) << "its first feature in " << t.path();
    const double deg = 360.0 / (1 << 14);
    const std::string cgcs = "/tiles/cgcs2000/" + name + "/14/" +
                             std::to_string(static_cast<int>((lon + 180) / deg)) + "/" +
                             std::to_string(static_cast<int>((90 - lat) / deg)) + ".mvt";
    EXPECT_EQ(api().get(cgcs, kAdminToken).status, 200) << cgcs;
    for (const char* set : {"/tiles/", "/tiles/cgcs2000/"}) {
      const json tj = api().get(set + name + ".json", kAdminToken).json();
      EXPECT_EQ(tj["vector_layers"][0]["id"], name) << set;
    }
    bool catalogued = false;
    const json style = api().get("/style.json", kAdminToken).json();
    for (const auto& theme : style["metadata"]["onemap:catalogue"])
      for (const auto& l : theme["layers"]) catalogued |= l["name"] == name;
    EXPECT_TRUE(catalogued) << "not in the map's catalogue";
    const HttpResponse stats =
        api().get("/collections/" + name + "/stats?group_by=village", kAdminToken);
    ASSERT_EQ(stats.status, 200) << stats.body;
    EXPECT_EQ(stats.json()["total"]["count"], items["numberMatched"]);
  }

  static std::string file(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
};

TEST_F(LayersAdmin, ACsvOfPointsIsServedAtOnceEachPointInTheGridThatHoldsIt) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> lon(120.0, 120.4), lat(30.0, 30.2);
  std::string csv = "code,lon,lat,staff\n";
  for (int i = 0; i < 60; ++i) {
    char line[120];
    std::snprintf(line, sizeof line, "S%02d,%.7f,%.7f,%d\n", i, lon(rng), lat(rng), i % 7);
    csv += line;
  }
  csv += "S-bad,abc,30.1,1\n";
  const HttpResponse r = post(
      "name=stations&title=%E5%9B%9B%E7%AB%99%E8%9E%8D%E5%90%88&theme="
      "%E6%B2%BB%E7%90%86&id_field=code",
      csv, "text/csv");
  ASSERT_EQ(r.status, 201) << r.body;
  const json j = r.json();
  EXPECT_EQ(r.header("location"), ApiHarness::base_url() + "/collections/stations");
  EXPECT_EQ(j["definition"]["title"], "四站融合");
  EXPECT_EQ(j["report"]["loaded"], 60);
  EXPECT_EQ(j["report"]["rejected"], 1);
  EXPECT_EQ(j["report"]["issues"][0]["index"], 60);
  EXPECT_EQ(j["report"]["issues"][0]["id"], "S-bad");

  // Served at once: in the collections, with items and queryables.
  const json collections = api().get("/collections").json();
  bool listed = false;
  for (const auto& c : collections["collections"]) listed |= c["id"] == "stations";
  EXPECT_TRUE(listed);
  EXPECT_EQ(api().get("/collections/stations/queryables", kAdminToken).status, 200);
  const json items = all("stations");
  ASSERT_EQ(items["numberMatched"], 60);
  for (const auto& f : items["features"]) {
    const spatial::Point p(f["geometry"]["coordinates"][0].get<double>(),
                           f["geometry"]["coordinates"][1].get<double>());
    std::string holder;
    for (const auto& g : grids())
      if (bg::within(p, g.geometry)) holder = g.code;
    EXPECT_EQ(f["properties"]["grid_code"], holder) << f["properties"]["code"];
  }
  EXPECT_EQ(all("stations")["features"][0]["properties"]["staff"], 0) << "typed from its values";
  expect_served_everywhere("stations");

  // In the store for the next start.
  auto store = layers::open_store(api().store_path(), false);
  bool stored = false;
  for (const auto& l : store->load_feature_layers())
    stored |= l.def.name == "stations" && l.features.size() == 60;
  EXPECT_TRUE(stored);
}

TEST_F(LayersAdmin, AZippedGaussKrugerShapefileOfLinesSharesOutItsLengthAsBoostSays) {
  OGRSpatialReference cgcs, gk;
  cgcs.importFromEPSG(4490);
  cgcs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  gk.importFromEPSG(4549);
  gk.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> to_gk(OGRCreateCoordinateTransformation(&cgcs, &gk));
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> lon(120.01, 120.39), lat(30.01, 30.19), step(-0.04, 0.04);
  std::vector<Feat> feats;
  for (int i = 0; i < 30; ++i) {
    std::string wkt = "LINESTRING (";
    double x0 = lon(rng), y0 = lat(rng);
    for (int k = 0; k < 4; ++k) {
      double x = x0 + (k ? step(rng) : 0), y = y0 + (k ? step(rng) / 4 : 0);
      x0 = x, y0 = y;
      to_gk->Transform(1, &x, &y);
      char b[64];
      std::snprintf(b, sizeof b, "%s%.3f %.3f", k ? "," : "", x, y);
      wkt += b;
    }
    feats.push_back({{{"PIPE", "WS" + std::to_string(i)}}, wkt + ")"});
  }
  const TempDir dir;
  const auto shp = std::filesystem::path(dir.path()) / "pipes.shp";
  write_layer(shp, "ESRI Shapefile", "pipes", 4549, wkbLineString, {{"PIPE"}}, feats);
  // The Shapefile's files in a zip, as a county sends one.
  const std::string zip = dir.file("pipes.zip");
  void* z = CPLCreateZip(zip.c_str(), nullptr);
  ASSERT_NE(z, nullptr);
  for (const char* ext : {".shp", ".shx", ".dbf", ".prj"}) {
    const std::string bytes =
        file(std::filesystem::path(dir.path()) / (std::string("pipes") + ext));
    ASSERT_EQ(CPLCreateFileInZip(z, (std::string("pipes") + ext).c_str(), nullptr), CE_None);
    ASSERT_EQ(CPLWriteFileInZip(z, bytes.data(), static_cast<int>(bytes.size())), CE_None);
    CPLCloseFileInZip(z);
  }
  CPLCloseZip(z);

  const HttpResponse r = post("name=sewage&theme=%E7%8E%AF%E5%A2%83", file(zip), "application/zip");
  ASSERT_EQ(r.status, 201) << r.body;
  expect_served_everywhere("sewage");
  EXPECT_NE(r.json()["report"]["source_crs"].get<std::string>().find("4549"), std::string::npos);
  const json items = all("sewage");
  ASSERT_EQ(items["numberMatched"], 30);
  std::size_t crossing = 0;
  for (const auto& f : items["features"]) {
    layers::MultiLineString lines;
    for (const auto& part : f["geometry"]["coordinates"]) {
      spatial::LineString l;
      for (const auto& p : part) l.emplace_back(p[0].get<double>(), p[1].get<double>());
      lines.push_back(l);
    }
    std::map<std::string, double> want;
    for (const auto& g : grids()) {
      layers::MultiLineString inside;
      bg::intersection(lines, g.geometry, inside);
      const double m = spatial::length_m(inside);
      if (m >= layers::GridJoiner::kMinShareLength_m) want[g.code] = m;
    }
    const json& got = f["properties"]["grids"];
    ASSERT_EQ(got.size(), want.size()) << f["properties"]["pipe"];
    for (const auto& [code, m] : want) EXPECT_NEAR(got[code].get<double>(), m, 1e-5 * m + 1e-2);
    crossing += want.size() > 1;
  }
  EXPECT_GT(crossing, 5u);
}

TEST_F(LayersAdmin, AGeoJsonOfPolygonsAndAnEmptyLayerFromADefinitionThenDroppedAtOnce) {
  const std::string geojson =
      R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{"zone":"A"},)"
      R"("geometry":{"type":"Polygon","coordinates":[[[120.02,30.02],[120.12,30.02],[120.12,30.08],)"
      R"([120.02,30.08],[120.02,30.02]]]}}]})";
  const HttpResponse r = post("name=zones", geojson, "application/geo+json");
  ASSERT_EQ(r.status, 201) << r.body;
  expect_served_everywhere("zones");
  const json f = all("zones")["features"][0];
  // [120.02, 120.12] crosses the grids of x [120.00, 120.05], [120.05, 120.10], [120.10, 120.15].
  EXPECT_EQ(f["properties"]["grids"].size(), 3u) << f.dump();
  double sum = 0;
  for (const auto& [code, m] : f["properties"]["grids"].items()) sum += m.get<double>();
  // Pieces are projected apart (a cut vertex is on the lon/lat edge, not the projected one).
  const double whole = spatial::area_m2(rectangle(120.02, 30.02, 120.12, 30.08));
  EXPECT_NEAR(sum, whole, 1e-6 * whole);

  const HttpResponse put = api().send(
      "PUT", "/admin/layers/cameras",
      R"({"title":"雪亮工程","geometry":"point","fields":[{"name":"code","audience":"public"}]})",
      kAdminToken);
  ASSERT_EQ(put.status, 201) << put.body;
  EXPECT_EQ(all("cameras")["numberMatched"], 0);
  EXPECT_EQ(api().get("/admin/layers/cameras", kAdminToken).json()["title"], "雪亮工程");

  ASSERT_EQ(api().send("DELETE", "/admin/layers/zones", "", kAdminToken).status, 204);
  expect_error(api().get("/collections/zones"), 404, "not_found");
  expect_error(api().get("/collections/zones/items"), 404, "not_found");
  expect_error(api().send("DELETE", "/admin/layers/zones", "", kAdminToken), 404, "not_found");
  auto store = layers::open_store(api().store_path(), false);
  for (const auto& l : store->load_feature_layers()) EXPECT_NE(l.def.name, "zones");
}

TEST_F(LayersAdmin, ANewLayerIsInTilesAndTileJsonAtOnceAndItsTilesGoWithIt) {
  // Two pipes far apart, each alone in its zoom-14 tile.
  auto pipes = [](const std::vector<std::array<double, 4>>& lines) {
    json fc = {{"type", "FeatureCollection"}, {"features", json::array()}};
    int n = 0;
    for (const auto& l : lines)
      fc["features"].push_back(
          {{"type", "Feature"},
           {"properties", {{"code", "P" + std::to_string(++n)}}},
           {"geometry", {{"type", "LineString"}, {"coordinates", {{l[0], l[1]}, {l[2], l[3]}}}}}});
    return fc.dump();
  };
  ASSERT_EQ(post("name=pipes&id_field=code",
                 pipes({{120.03, 30.03, 120.031, 30.031}, {120.13, 30.13, 120.131, 30.131}}),
                 "application/geo+json")
                .status,
            201);
  const Tile t = mercator_tile(120.0305, 30.0305, 14);
  const std::string url = "/tiles/pipes/" + t.path() + ".mvt";
  auto ids = [&](const HttpResponse& r) {
    std::set<int64_t> out;
    if (r.status != 200) return out;
    const auto ds = open_tile(api().dir().file("decode"), t, r.body);
    for (auto* layer : ds->GetLayers()) {
      EXPECT_EQ(std::string(layer->GetName()), "pipes");
      for (const auto& f : *layer) out.insert(f->GetFieldAsInteger64("mvt_id"));
    }
    return out;
  };
  const HttpResponse first = api().get(url);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.header("x-cache"), "miss");
  const int64_t fid = all("pipes")["features"][0]["id"].get<int64_t>();
  EXPECT_EQ(ids(first), std::set<int64_t>{fid});
  EXPECT_EQ(api().get(url).header("x-cache"), "hit");
  const json tj = api().get("/tiles/pipes,grids.town.json").json();
  ASSERT_EQ(tj["vector_layers"].size(), 2u);
  EXPECT_EQ(tj["vector_layers"][0]["id"], "pipes");
  EXPECT_EQ(tj["tiles"][0], ApiHarness::base_url() + "/tiles/pipes,grids.town/{z}/{x}/{y}.mvt");
  // The CGCS2000 tile holding the pipe: 360 / 2^14 degrees square, numbered from (-180, 90).
  const double deg = 360.0 / (1 << 14);
  const std::string cgcs = "/tiles/cgcs2000/pipes/14/" +
                           std::to_string(static_cast<int>((120.0305 + 180) / deg)) + "/" +
                           std::to_string(static_cast<int>((90 - 30.0305) / deg)) + ".mvt";
  EXPECT_EQ(api().get(cgcs).status, 200) << cgcs;

  // Altered: a field made public and put in tiles is in the next tile; the layer made staff,
  // its tiles are for staff at once.
  auto fields_of = [&](const HttpResponse& r) {
    std::set<std::string> out;
    const auto ds = open_tile(api().dir().file("decode"), t, r.body);
    for (auto* layer : ds->GetLayers())
      for (const auto& f : *layer)
        for (int i = 0; i < f->GetFieldCount(); ++i)
          if (f->IsFieldSetAndNotNull(i)) out.insert(f->GetFieldDefnRef(i)->GetNameRef());
    return out;
  };
  EXPECT_FALSE(fields_of(api().get(url)).count("code")) << "a staff field in public tiles";
  const HttpResponse patched =
      api().send("PATCH", "/admin/layers/pipes",
                 R"({"fields": {"code": {"audience": "public", "tile_minzoom": 0}}})", kAdminToken,
                 "application/json");
  ASSERT_EQ(patched.status, 200) << patched.body;
  const HttpResponse altered = api().get(url);
  EXPECT_EQ(altered.header("x-cache"), "miss");
  EXPECT_TRUE(fields_of(altered).count("code"));
  ASSERT_EQ(api()
                .send("PATCH", "/admin/layers/pipes", R"({"audience": "staff"})", kAdminToken,
                      "application/json")
                .status,
            200);
  expect_error(api().get(url), 401, "unauthorized");
  EXPECT_EQ(api().get(url, kAdminToken).status, 200);

  // Dropped: its tiles are gone with it; made again without the first pipe, the cached tile is
  // not served.
  ASSERT_EQ(api().send("DELETE", "/admin/layers/pipes", "", kAdminToken).status, 204);
  expect_error(api().get(url), 400, "invalid_parameter");
  ASSERT_EQ(
      post("name=pipes", pipes({{120.13, 30.13, 120.131, 30.131}}), "application/geo+json").status,
      201);
  const HttpResponse again = api().get(url);
  EXPECT_EQ(again.status, 204) << "the dropped layer's cached tile was served";
  EXPECT_EQ(again.header("x-cache"), "miss");

  // A staff layer's tiles are for staff.
  ASSERT_EQ(api()
                .send("PUT", "/admin/layers/patrols",
                      R"({"geometry":"line","audience":"staff","fields":[]})", kAdminToken)
                .status,
            201);
  expect_error(api().get("/tiles/patrols/" + t.path() + ".mvt"), 401, "unauthorized");
  EXPECT_EQ(api().get("/tiles/patrols/" + t.path() + ".mvt", kAdminToken).status, 204);
  ASSERT_EQ(api().send("DELETE", "/admin/layers/patrols", "", kAdminToken).status, 204);
  ASSERT_EQ(api().send("DELETE", "/admin/layers/pipes", "", kAdminToken).status, 204);
}

TEST_F(LayersAdmin, AFieldAddedThenNarrowedLeavesTheItemsAndQueryablesOfThoseOutsideAtOnce) {
  ASSERT_EQ(post("name=posts", "code,lon,lat\nA,120.02,30.02\nB,120.12,30.12\n", "text/csv").status,
            201);
  const std::string staff = api().token("fire");
  // The first feature's properties, and whether the queryables list `field`, for a reader
  // (anonymous: "").
  auto properties = [](const std::string& token) {
    const HttpResponse r = api().get("/collections/posts/items", token);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()["features"][0]["properties"];
  };
  auto queryable = [](const std::string& field, const std::string& token) {
    const HttpResponse r = api().get("/collections/posts/queryables", token);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()["properties"].contains(field);
  };
  // Whether the OpenAPI document offers `field` as an equality parameter of the items.
  auto documented = [](const std::string& field) {
    const json doc = api().get("/api").json();
    for (const auto& p : doc["paths"]["/collections/posts/items"]["get"]["parameters"])
      if (p.value("name", "") == field) return true;
    return false;
  };

  // A public field: every reader has it, null in the features there were.
  HttpResponse r =
      patch("posts", R"({"add_fields":[{"name":"owner","audience":"public","queryable":true}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["fields"].back()["name"], "owner");
  EXPECT_EQ(r.json(), definition("posts"));
  ASSERT_TRUE(properties("").contains("owner"));
  EXPECT_TRUE(properties("")["owner"].is_null());
  EXPECT_TRUE(queryable("owner", ""));
  EXPECT_TRUE(documented("owner"));
  EXPECT_EQ(api().get("/collections/posts/items?owner=x").json()["numberMatched"], 0);
  EXPECT_EQ(api().get("/collections/posts/stats?owner=x").json()["total"]["count"], 0);

  // For staff, as a JSON merge patch: gone from the public's items, queryables and filters.
  r = patch("posts", R"({"fields":{"owner":{"audience":"staff"}}})",
            "application/merge-patch+json");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(properties("").contains("owner"));
  EXPECT_FALSE(queryable("owner", ""));
  expect_error(api().get("/collections/posts/items?owner=x"), 400, "", "query");
  expect_error(api().get("/collections/posts/stats?owner=x"), 400, "", "query");
  EXPECT_TRUE(properties(staff).contains("owner"));
  EXPECT_TRUE(queryable("owner", staff));

  // Personal: a person's identity, in no one's items, queryables or filters, nor the document;
  // the administrator sees in the definition that it is there.
  r = patch("posts", R"({"fields":{"owner":{"audience":"personal"}}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["fields"].back()["audience"], "personal");
  EXPECT_EQ(r.json()["fields"].back()["queryable"], false);
  for (const std::string& token : {std::string(), staff, std::string(kAdminToken)}) {
    EXPECT_FALSE(properties(token).contains("owner")) << token;
    EXPECT_FALSE(queryable("owner", token)) << token;
  }
  expect_error(api().get("/collections/posts/items?owner=x", kAdminToken), 400, "", "owner");
  EXPECT_FALSE(documented("owner"));
  EXPECT_EQ(definition("posts")["fields"].back()["audience"], "personal");

  // The layer for staff, retitled: the public no longer sees it, staff see the new title.
  ASSERT_EQ(patch("posts", R"({"audience":"staff","title":"岗亭"})").status, 200);
  expect_error(api().get("/collections/posts/items"), 401);
  EXPECT_EQ(api().get("/collections/posts", staff).json()["title"], "岗亭");
  EXPECT_EQ(properties(staff)["code"], "A");

  // In the store for the next start, as served.
  EXPECT_EQ(stored("posts"), definition("posts"));
}

TEST_F(LayersAdmin, ABadAlterationIsRefusedNamingTheMemberAndChangesNothing) {
  ASSERT_EQ(post("name=kiosks", "code,lon,lat\nA,120.1,30.1\n", "text/csv").status, 201);
  const json before = definition("kiosks");
  expect_error(patch("kiosks", R"({"geometry":"line"})"), 400, "invalid_parameter", "geometry");
  expect_error(patch("kiosks", R"({"id_field":"code"})"), 400, "", "id_field");
  expect_error(patch("kiosks", R"({"add_fields":[{"name":"code"}]})"), 400, "", "add_fields");
  expect_error(patch("kiosks", R"({"fields":{"code":null}})"), 400, "", "fields");
  expect_error(patch("kiosks", R"({"fields":{"code":{"type":"integer"}}})"), 400, "", "fields");
  // A valid part does not go through beside a bad one.
  expect_error(patch("kiosks", R"({"add_fields":[{"name":"ok"}],"colour":"red"})"), 400, "",
               "colour");
  expect_error(patch("kiosks", R"({"title":)"), 400, "", "alteration");
  expect_error(patch("kiosks", R"({"title":"x"})", "text/plain"), 400, "", "Content-Type");
  expect_error(patch("nothing", R"({"title":"x"})"), 404, "not_found");
  expect_error(patch("kiosks", R"({"title":"x"})", "application/json", ""), 401);
  expect_error(patch("kiosks", R"({"title":"x"})", "application/json", api().token("centre")), 403);
  EXPECT_EQ(definition("kiosks"), before);
  EXPECT_EQ(stored("kiosks"), before);
  // JSON with its charset is JSON.
  EXPECT_EQ(patch("kiosks", R"({"theme":"治理"})", "application/json; charset=utf-8").status, 200);
}

TEST_F(LayersAdmin, RefusalsNameWhatIsWrongAndChangeNothing) {
  const std::string csv = "code,lon,lat\nA,120.1,30.1\n";
  expect_error(post("name=x", csv, "text/csv", ""), 401);
  expect_error(post("name=x", csv, "text/csv", api().token("centre")), 403);
  expect_error(post("name=x", csv, "text/plain"), 400, "", "Content-Type");
  expect_error(post("name=x", "not a source", "application/geo+json"), 400, "", "body");
  expect_error(post("name=x", "", "text/csv"), 400, "", "body");
  expect_error(post("title=x", csv, "text/csv"), 400, "", "name");
  expect_error(post("name=grids", csv, "text/csv"), 400, "", "name");
  expect_error(post("name=Bad-Name", csv, "text/csv"), 400, "", "name");
  expect_error(post("name=x&colour=red", csv, "text/csv"), 400, "", "colour");
  expect_error(post("name=x&geometry=line", csv, "text/csv"), 400, "", "body");
  expect_error(api().send("PUT", "/admin/layers/y", R"({"fields":[{"name":"fid"}]})", kAdminToken),
               400, "", "fields");
  ASSERT_EQ(post("name=twice", csv, "text/csv").status, 201);
  expect_error(post("name=twice", csv, "text/csv"), 409, "conflict_duplicate", "name");
  expect_error(api().send("PUT", "/admin/layers/twice", R"({"fields":[]})", kAdminToken), 409,
               "conflict_duplicate");
  const json list = api().get("/admin/layers", kAdminToken).json();
  for (const auto& l : list["layers"]) {
    EXPECT_NE(l["name"], "x");
    EXPECT_NE(l["name"], "y");
  }
}

}  // namespace
