// The county's own layers as OGC API - Features collections, through the server's route table:
// a public point layer with a staff and a personal field, a staff-only line layer and a public
// polygon layer over the small county. Every selection (area, bbox, near, POST polygon, CQL2,
// equality, sortby) is checked against a brute-force pass over the layer as written, each
// geometry test done with Boost.Geometry on the features' own coordinates; what each audience
// reads against the layer's definition.
#include "tests/support/boost_geometry.hpp"  // first: before anything brings in Boost

#include "tests/support/api_harness.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/tiles.hpp"

#include "layers/model/join.hpp"
#include "layers/store/store.hpp"
#include "spatial/crs.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <random>
#include <set>
#include <string>

namespace {

using nlohmann::json;
using namespace onemap;
using namespace onemap::testing;
namespace bg = spatial::bg;

layers::FeatureLayer cameras(std::mt19937& rng) {
  layers::FeatureLayer l;
  l.def = layers::definition_from_json(R"({
    "name": "cameras", "title": "雪亮工程摄像头", "theme": "安全", "geometry": "point",
    "id_field": "code",
    "fields": [
      {"name": "code", "audience": "public"},
      {"name": "channels", "type": "integer", "audience": "public"},
      {"name": "keeper", "audience": "staff"},
      {"name": "keeper_phone", "audience": "personal"}]})");
  std::uniform_real_distribution<double> lon(119.98, 120.42), lat(29.99, 30.21);
  for (int i = 0; i < 80; ++i) {
    layers::Feature f;
    f.geometry = layers::LonLat{lon(rng), lat(rng)};
    f.attributes = {"3305210000132" + std::to_string(1000000 + i), int64_t{i % 9},
                    std::string(i % 2 ? "城管局" : "公安局"),
                    std::string("1380000") + std::to_string(1000 + i)};
    l.features.push_back(std::move(f));
  }
  return l;
}

layers::FeatureLayer pipes(std::mt19937& rng) {
  layers::FeatureLayer l;
  l.def = layers::definition_from_json(R"({
    "name": "pipes", "title": "污水管网", "theme": "环境", "geometry": "line", "audience": "staff",
    "fields": [{"name": "pipe_id"}, {"name": "diameter_mm", "type": "integer"}]})");
  std::uniform_real_distribution<double> lon(119.99, 120.41), lat(29.995, 30.205),
      step(-0.03, 0.03);
  for (int i = 0; i < 50; ++i) {
    spatial::LineString line{{lon(rng), lat(rng)}};
    for (int k = 0; k < 3; ++k)
      line.emplace_back(line.back().x() + step(rng), line.back().y() + step(rng) / 3);
    layers::Feature f;
    f.geometry = layers::MultiLineString{line};
    f.attributes = {"WS" + std::to_string(i), int64_t{200 + 50 * (i % 5)}};
    l.features.push_back(std::move(f));
  }
  return l;
}

layers::FeatureLayer zones(std::mt19937& rng) {
  layers::FeatureLayer l;
  l.def = layers::definition_from_json(R"({
    "name": "zones", "title": "规划分区", "theme": "规划", "geometry": "polygon",
    "fields": [{"name": "zone", "audience": "public"}, {"name": "use", "audience": "public"}]})");
  std::uniform_real_distribution<double> lon(119.99, 120.38), lat(29.995, 30.17), size(0.005, 0.05);
  for (int i = 0; i < 30; ++i) {
    const double x = lon(rng), y = lat(rng), w = size(rng), h = size(rng) / 2;
    layers::Feature f;
    f.geometry = rectangle(x, y, x + w, y + h);
    f.attributes = {"Z" + std::to_string(i), std::string(i % 3 ? "农用地" : "建设用地")};
    l.features.push_back(std::move(f));
  }
  return l;
}

// The three layers as written (joined as an import joins them): the oracle.
std::vector<layers::FeatureLayer>& written() {
  static std::vector<layers::FeatureLayer> layers;
  return layers;
}

class CountyLayersHttp : public SharedApi<CountyLayersHttp> {
 public:
  static std::unique_ptr<ApiHarness> make_api() {
    auto api = std::make_unique<ApiHarness>([](const std::string& dir) {
      const std::string path = write_small_county(dir);
      auto store = layers::open_store(path, false);
      const layers::GridJoiner joiner(store->load_grids());
      std::mt19937 rng(20261207);
      written() = {cameras(rng), pipes(rng), zones(rng)};
      for (auto& l : written()) {
        joiner.join_all(l.features);
        store->create_layer(l.def, l.features);
      }
      return path;
    });
    api->add_user("staff", "centre");
    return api;
  }

 protected:
  static const layers::FeatureLayer& layer(const std::string& name) {
    for (const auto& l : written())
      if (l.def.name == name) return l;
    throw std::runtime_error(name);
  }
  // The ids of an items answer (every page: limit 10000).
  static std::set<int64_t> ids(const std::string& target, const std::string& token = "") {
    const HttpResponse r = api().get(target, token);
    EXPECT_EQ(r.status, 200) << target << "\n" << r.body;
    std::set<int64_t> out;
    if (r.status != 200) return out;
    const json j = r.json();
    for (const auto& f : j["features"]) out.insert(f["id"].get<int64_t>());
    EXPECT_EQ(j["numberMatched"].get<std::size_t>(), out.size()) << target;
    return out;
  }
  template <class Keep>
  static std::set<int64_t> brute_force(const std::string& name, Keep&& keep) {
    std::set<int64_t> out;
    for (const auto& f : layer(name).features)
      if (keep(f)) out.insert(f.fid);
    return out;
  }
  static std::string staff() { return api().token("staff"); }
};

TEST_F(CountyLayersHttp, CollectionsListEachWithItsGeometryTypeThemeAndExtent) {
  const json j = api().get("/collections").json();
  std::map<std::string, json> by_id;
  for (const auto& c : j["collections"]) by_id[c["id"]] = c;
  ASSERT_TRUE(by_id.count("cameras") && by_id.count("pipes") && by_id.count("zones"));
  EXPECT_EQ(by_id["cameras"]["geometryType"], "Point");
  EXPECT_EQ(by_id["pipes"]["geometryType"], "MultiLineString");
  EXPECT_EQ(by_id["zones"]["geometryType"], "MultiPolygon");
  EXPECT_EQ(by_id["zones"]["theme"], "规划");
  EXPECT_EQ(by_id["cameras"]["title"], "雪亮工程摄像头");
  spatial::Box b;
  bg::assign_inverse(b);
  for (const auto& f : layer("zones").features) bg::expand(b, layers::envelope(f.geometry));
  const json bbox = api().get("/collections/zones").json()["extent"]["spatial"]["bbox"][0];
  EXPECT_DOUBLE_EQ(bbox[0].get<double>(), b.min_corner().x());
  EXPECT_DOUBLE_EQ(bbox[3].get<double>(), b.max_corner().y());
}

TEST_F(CountyLayersHttp, EachAudienceReadsWhatTheDefinitionGivesItAndNoPersonsIdentity) {
  auto keys = [](const HttpResponse& r) {
    std::set<std::string> out;
    const json j = r.json();
    for (const auto& f : j["features"])
      for (const auto& [k, v] : f["properties"].items()) out.insert(k);
    return out;
  };
  const auto anonymous = api().get("/collections/cameras/items?limit=1000");
  ASSERT_EQ(anonymous.status, 200);
  EXPECT_EQ(keys(anonymous), (std::set<std::string>{"code", "channels", "grid_code"}));
  const auto signed_in = api().get("/collections/cameras/items?limit=1000", staff());
  EXPECT_EQ(keys(signed_in), (std::set<std::string>{"code", "channels", "keeper", "grid_code"}));
  EXPECT_EQ(signed_in.body.find("1380000"), std::string::npos) << "never a phone number";

  // A staff-only layer: not for the public at all.
  expect_error(api().get("/collections/pipes/items"), 401, "", "");
  expect_error(api().get("/collections/pipes"), 401, "", "");
  EXPECT_EQ(ids("/collections/pipes/items?limit=1000", staff()).size(), 50u);

  // Queryables: what each may filter on.
  auto queryable = [](const HttpResponse& r) {
    std::set<std::string> out;
    const json j = r.json();
    for (const auto& [k, v] : j["properties"].items()) out.insert(k);
    return out;
  };
  EXPECT_EQ(queryable(api().get("/collections/cameras/queryables")),
            (std::set<std::string>{"code", "channels", "geometry"}));
  EXPECT_EQ(queryable(api().get("/collections/cameras/queryables", staff())),
            (std::set<std::string>{"code", "channels", "keeper", "geometry"}));
  expect_error(api().get("/collections/cameras/items?filter=keeper%3D%27x%27"), 400, "", "filter");
  EXPECT_EQ(
      ids("/collections/cameras/items?limit=1000&filter=keeper%3D%27%E5%9F%8E%E7%AE%A1%E5%B1%80%27",
          staff()),
      brute_force("cameras", [](const layers::Feature& f) {
        return std::get<std::string>(f.attributes[2]) == "城管局";
      }));
  expect_error(api().get("/collections/cameras/items?filter=keeper_phone%3D%27x%27", staff()), 400,
               "", "filter");
}

TEST_F(CountyLayersHttp, AreaSelectsWhatLiesInTheVillageAsABruteForceOverlaySays) {
  for (const auto& v : oracle().grids) {
    if (v.level != layers::GridLevel::Village) continue;
    // Points by their grid's code; lines and polygons by what of them lies in the village.
    EXPECT_EQ(
        ids("/collections/cameras/items?limit=1000&area=village:" + v.code),
        brute_force("cameras",
                    [&](const layers::Feature& f) { return f.join.grid_code.starts_with(v.code); }))
        << v.code;
    EXPECT_EQ(ids("/collections/pipes/items?limit=1000&area=village:" + v.code, staff()),
              brute_force("pipes",
                          [&](const layers::Feature& f) {
                            layers::MultiLineString inside;
                            bg::intersection(std::get<layers::MultiLineString>(f.geometry),
                                             v.geometry, inside);
                            return spatial::length_m(inside) >=
                                   layers::GridJoiner::kMinShareLength_m;
                          }))
        << v.code;
    EXPECT_EQ(ids("/collections/zones/items?limit=1000&area=village:" + v.code),
              brute_force("zones",
                          [&](const layers::Feature& f) {
                            layers::MultiPolygon inside;
                            bg::intersection(std::get<layers::MultiPolygon>(f.geometry), v.geometry,
                                             inside);
                            return spatial::area_m2(inside) >= layers::GridJoiner::kMinShareArea_m2;
                          }))
        << v.code;
  }
}

TEST_F(CountyLayersHttp, BboxNearAndAPolygonSelectWhatMeetsThemAsBoostSays) {
  const spatial::Box box({120.05, 30.05}, {120.15, 30.12});
  const std::string b = "bbox=120.05,30.05,120.15,30.12";
  EXPECT_EQ(ids("/collections/pipes/items?limit=1000&" + b, staff()),
            brute_force("pipes", [&](const layers::Feature& f) {
              return bg::intersects(box, std::get<layers::MultiLineString>(f.geometry));
            }));
  EXPECT_EQ(ids("/collections/zones/items?limit=1000&" + b),
            brute_force("zones", [&](const layers::Feature& f) {
              return bg::intersects(box, std::get<layers::MultiPolygon>(f.geometry));
            }));
  EXPECT_EQ(ids("/collections/cameras/items?limit=1000&" + b),
            brute_force("cameras", [&](const layers::Feature& f) {
              return bg::covered_by(spatial::to_point(std::get<layers::LonLat>(f.geometry)), box);
            }));
  // near: a point's geodesic distance.
  const layers::LonLat c{120.2, 30.1};
  EXPECT_EQ(ids("/collections/cameras/items?limit=1000&near=120.2,30.1&radius=4000"),
            brute_force("cameras", [&](const layers::Feature& f) {
              return spatial::distance_m(c, std::get<layers::LonLat>(f.geometry)) <= 4000;
            }));
  // A polygon posted: the zones that meet it.
  const layers::MultiPolygon area = rectangle(120.1, 30.02, 120.3, 30.08);
  const HttpResponse r = api().send(
      "POST", "/collections/zones/items?limit=1000",
      R"({"type":"Polygon","coordinates":[[[120.1,30.02],[120.3,30.02],[120.3,30.08],[120.1,30.08],[120.1,30.02]]]})");
  ASSERT_EQ(r.status, 200) << r.body;
  std::set<int64_t> got;
  const json j = r.json();
  for (const auto& f : j["features"]) got.insert(f["id"].get<int64_t>());
  EXPECT_EQ(got, brute_force("zones", [&](const layers::Feature& f) {
              return bg::intersects(area, std::get<layers::MultiPolygon>(f.geometry));
            }));
  EXPECT_FALSE(got.empty());
}

TEST_F(CountyLayersHttp, FiltersEqualitiesAndSortsOnItsFields) {
  const std::set<int64_t> many_channels = brute_force(
      "cameras", [](const layers::Feature& f) { return std::get<int64_t>(f.attributes[1]) > 4; });
  EXPECT_EQ(ids("/collections/cameras/items?limit=1000&filter=channels%20%3E%204"), many_channels);
  // The same filter in CQL2 JSON, on the items and on the statistics.
  const std::string json_filter =
      "filter-lang=cql2-json&filter=" +
      percent_encode(R"({"op": ">", "args": [{"property": "channels"}, 4]})");
  EXPECT_EQ(ids("/collections/cameras/items?limit=1000&" + json_filter), many_channels);
  EXPECT_EQ(
      api().get("/collections/cameras/stats?group_by=village&" + json_filter).json(),
      api().get("/collections/cameras/stats?group_by=village&filter=channels%20%3E%204").json());
  EXPECT_EQ(ids("/collections/zones/items?limit=1000&use=%E5%BB%BA%E8%AE%BE%E7%94%A8%E5%9C%B0"),
            brute_force("zones", [](const layers::Feature& f) {
              return std::get<std::string>(f.attributes[1]) == "建设用地";
            }));
  // A spatial CQL2 predicate on the points' geometry.
  EXPECT_EQ(ids("/collections/cameras/items?limit=1000&filter=S_INTERSECTS(geometry,"
                "BBOX(120.05,30.05,120.15,30.12))"),
            brute_force("cameras", [&](const layers::Feature& f) {
              return bg::covered_by(spatial::to_point(std::get<layers::LonLat>(f.geometry)),
                                    spatial::Box({120.05, 30.05}, {120.15, 30.12}));
            }));
  const json sorted = api().get("/collections/cameras/items?limit=1000&sortby=-channels").json();
  int64_t last = 100;
  for (const auto& f : sorted["features"]) {
    const int64_t ch = f["properties"]["channels"].get<int64_t>();
    EXPECT_LE(ch, last);
    last = ch;
  }
  expect_error(api().get("/collections/cameras/items?datetime=2026-01-01T00:00:00Z"), 400, "",
               "datetime");
  expect_error(api().get("/collections/cameras/items?sortby=colour"), 400, "", "sortby");
  expect_error(api().get("/collections/cameras/items?filter=channels%3E"), 400, "", "filter");
}

TEST_F(CountyLayersHttp, StatsByVillageSumWhatABruteForceOverlayFindsInEachVillage) {
  // "Pipe length per village" and "zoned area per village": one call each.
  const json pipes_by = api().get("/collections/pipes/stats?group_by=village", staff()).json();
  const json zones_by = api().get("/collections/zones/stats?group_by=village").json();
  const json cams_by = api().get("/collections/cameras/stats?group_by=village").json();
  auto row = [](const json& j, const std::string& code) {
    for (const auto& g : j["groups"])
      if (g["code"] == code) return g;
    return json{{"count", 0}, {"length_m", 0.0}, {"area_m2", 0.0}};
  };
  std::size_t villages = 0;
  for (const auto& v : oracle().grids) {
    if (v.level != layers::GridLevel::Village) continue;
    ++villages;
    double length = 0, area = 0;
    int64_t pipes_in = 0, zones_in = 0, cams_in = 0;
    for (const auto& f : layer("pipes").features) {
      layers::MultiLineString inside;
      bg::intersection(std::get<layers::MultiLineString>(f.geometry), v.geometry, inside);
      const double m = spatial::length_m(inside);
      length += m;
      pipes_in += m >= layers::GridJoiner::kMinShareLength_m;
    }
    for (const auto& f : layer("zones").features) {
      layers::MultiPolygon inside;
      bg::intersection(std::get<layers::MultiPolygon>(f.geometry), v.geometry, inside);
      const double m = spatial::area_m2(inside);
      area += m;
      zones_in += m >= layers::GridJoiner::kMinShareArea_m2;
    }
    for (const auto& f : layer("cameras").features) cams_in += f.join.grid_code.starts_with(v.code);
    EXPECT_EQ(row(pipes_by, v.code)["count"], pipes_in) << v.code;
    EXPECT_NEAR(row(pipes_by, v.code)["length_m"].get<double>(), length, 1e-5 * length + 0.1)
        << v.code;
    EXPECT_EQ(row(zones_by, v.code)["count"], zones_in) << v.code;
    EXPECT_NEAR(row(zones_by, v.code)["area_m2"].get<double>(), area, 1e-5 * area + 1) << v.code;
    EXPECT_EQ(row(cams_by, v.code)["count"], cams_in) << v.code;
  }
  EXPECT_EQ(villages, 4u);
  EXPECT_EQ(cams_by["total"]["count"], 80);
  // A selection applies: only the zones of one use.
  const json built =
      api()
          .get("/collections/zones/stats?group_by=town&use=%E5%BB%BA%E8%AE%BE%E7%94%A8%E5%9C%B0")
          .json();
  EXPECT_EQ(built["total"]["count"].get<std::size_t>(),
            brute_force("zones", [](const layers::Feature& f) {
              return std::get<std::string>(f.attributes[1]) == "建设用地";
            }).size());
  expect_error(api().get("/collections/pipes/stats"), 401);
  expect_error(api().get("/collections/zones/stats?group_by=province"), 400, "", "group_by");
  expect_error(api().get("/collections/zones/stats?limit=3"), 400, "", "limit");
}

TEST_F(CountyLayersHttp, TheOpenApiDocumentListsThemAndValidates) {
  const json doc = api().get("/api").json();
  const json& ids = doc["components"]["parameters"]["collectionId"]["schema"]["enum"];
  for (const char* name : {"cameras", "pipes", "zones"}) {
    EXPECT_NE(std::find(ids.begin(), ids.end(), name), ids.end()) << name;
    EXPECT_TRUE(doc["paths"].contains(std::string("/collections/") + name + "/items")) << name;
    EXPECT_TRUE(doc["paths"].contains(std::string("/collections/") + name + "/stats")) << name;
  }
  std::set<std::string> params;
  for (const auto& p : doc["paths"]["/collections/cameras/items"]["get"]["parameters"])
    if (p.contains("name")) params.insert(p["name"]);
  EXPECT_TRUE(params.count("code") && params.count("channels")) << "its fields, for equality";
  EXPECT_FALSE(params.count("keeper_phone")) << "never a person's identity";
  for (const char* path : {"/admin/layers", "/admin/layers/{name}"})
    EXPECT_TRUE(doc["paths"].contains(path)) << path;
  expect_valid_openapi(doc.dump(), ONEMAP_NODE, api().dir().path(), "county-api.json");
}

TEST_F(CountyLayersHttp, OneFeatureByIdWithItsGridsAndAClearNotFound) {
  const layers::Feature& f = layer("zones").features[4];
  const HttpResponse r = api().get("/collections/zones/items/" + std::to_string(f.fid));
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = r.json();
  EXPECT_EQ(j["geometry"]["type"], "MultiPolygon");
  EXPECT_EQ(j["properties"]["zone"], std::get<std::string>(f.attributes[0]));
  EXPECT_EQ(j["properties"]["grid_code"], f.join.grid_code);
  ASSERT_EQ(j["properties"]["grids"].size(), f.shares.size());
  for (const auto& s : f.shares)
    EXPECT_DOUBLE_EQ(j["properties"]["grids"][s.grid_code].get<double>(), s.measure);
  expect_error(api().get("/collections/zones/items/999999"), 404, "", "");
  expect_error(api().get("/collections/zones/items/abc"), 404, "", "");
  expect_error(api().get("/collections/zones/items/1?crs=EPSG:9999"), 400, "", "crs");
  expect_error(api().get("/collections/nowhere/items"), 404, "", "");
}

}  // namespace

TEST_F(CountyLayersHttp, TheMapStyleDrawsWhatEachAudienceMaySeeAndValidates) {
  // The layers of a style drawn from a source, by their source layers.
  auto source_layers = [](const json& style) {
    std::set<std::string> out;
    for (const auto& l : style["layers"])
      if (l.contains("source-layer")) out.insert(l["source-layer"].get<std::string>());
    return out;
  };
  const HttpResponse pub = api().get("/style.json");
  ASSERT_EQ(pub.status, 200) << pub.body;
  const json style = pub.json();
  const auto shown = source_layers(style);
  EXPECT_TRUE(shown.count("cameras") && shown.count("zones") && shown.count("grids.village"));
  EXPECT_FALSE(shown.count("pipes")) << "a staff layer in the public's style";
  EXPECT_FALSE(style["sources"].contains("onemap-workers"));
  std::set<std::string> themes;
  for (const auto& t : style["metadata"]["onemap:catalogue"]) themes.insert(t["theme"]);
  EXPECT_EQ(themes, (std::set<std::string>{"安全", "规划"}));
  // Every tile URL it names answers this audience: the tile of a camera, with it.
  const auto& cam = layer("cameras").features[0];
  const auto& p = std::get<layers::LonLat>(cam.geometry);
  const Tile t = mercator_tile(p.lon, p.lat, 14);
  for (const auto& [name, source] : style["sources"].items()) {
    std::string url = source["tiles"][0];
    ASSERT_TRUE(url.starts_with(ApiHarness::base_url())) << url;
    url = url.substr(ApiHarness::base_url().size());
    url.replace(url.find("{z}/{x}/{y}"), 11, t.path());
    const HttpResponse r = api().get(url);
    EXPECT_TRUE(r.status == 200 || r.status == 204) << name << " " << url << " " << r.status;
  }
  // Staff see the staff layer and the workers.
  const json staff = api().get("/style.json", kAdminToken).json();
  EXPECT_TRUE(source_layers(staff).count("pipes"));
  EXPECT_TRUE(staff["sources"].contains("onemap-workers"));
  EXPECT_NE(api()
                .get("/style.json?offset=gcj02")
                .json()["sources"]["onemap-layers"]["tiles"][0]
                .get<std::string>()
                .find("?offset=gcj02"),
            std::string::npos);
  expect_error(api().get("/style.json?offset=mars"), 400, "", "offset");
  expect_error(api().get("/style.json?zoom=3"), 400, "", "zoom");

  const std::string node = ONEMAP_NODE;
  ASSERT_FALSE(node.empty() || node.ends_with("NOTFOUND")) << "node not found: run scripts/setup";
  for (const auto& [who, doc] : {std::pair{"public", style}, std::pair{"staff", staff}}) {
    const std::string file = api().dir().file(std::string("style-") + who + ".json");
    std::ofstream(file) << doc.dump();
    const auto ok = run_command(
        {node, std::string(ONEMAP_SOURCE_DIR) + "/tests/browser/validate-style.mjs", file});
    EXPECT_EQ(ok.exit_code, 0) << who << ": " << ok.out << ok.err;
  }
}
