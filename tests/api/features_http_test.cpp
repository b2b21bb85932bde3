// OGC API - Features in process, through the server's route table
// (tests/support/api_harness.hpp), against the records written to its store (the oracle:
// brute-force selections over them). GDAL's OAPIF driver and ogr2ogr as its clients, over TCP:
// features_clients_test.cpp.
#include "tests/support/api_harness.hpp"
#include "tests/support/cql2_encodings.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/server_process.hpp"

#include "auth/read_policy.hpp"
#include "layers/model/schema.hpp"
#include "layers/store/store.hpp"

#include <gtest/gtest.h>
#include <ogrsf_frmts.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <set>
#include <string>

namespace {

using nlohmann::json;
using namespace onemap::testing;
namespace bg = boost::geometry;

class FeaturesHttpTest : public SharedApi<FeaturesHttpTest> {
 protected:
  static HttpResponse get(const std::string& target) { return api().get(target); }
  static json get_json(const std::string& target) {
    const HttpResponse r = get(target);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    return json::parse(r.body);
  }
  static std::string base() { return ApiHarness::base_url(); }
  // The path and query of an absolute link of this server.
  static std::string target_of(const std::string& href) {
    EXPECT_EQ(href.rfind(base(), 0), 0U) << href;
    return href.substr(base().size());
  }
  static std::string link(const json& doc, const std::string& rel) {
    for (const auto& l : doc["links"])
      if (l["rel"] == rel) return l["href"];
    return {};
  }
  // Every page of an items query, following next links: the ids in order, and numberMatched of
  // the first page.
  static std::vector<int64_t> all_pages(const std::string& first, std::size_t& matched,
                                        std::size_t& pages) {
    std::vector<int64_t> ids;
    std::string target = first;
    pages = 0;
    matched = 0;
    while (!target.empty() && pages < 1000) {
      const json page = get_json(target);
      if (pages == 0) matched = page["numberMatched"];
      EXPECT_EQ(page["numberMatched"], matched);
      EXPECT_EQ(page["numberReturned"], page["features"].size());
      for (const auto& f : page["features"]) ids.push_back(f["id"]);
      ++pages;
      const std::string next = link(page, "next");
      target = next.empty() ? "" : target_of(next);
    }
    return ids;
  }
};

}  // namespace

// Every CQL2 conformance class /conformance claims is whole: each operator CQL2 1.0 puts in that
// class (the standard's requirement classes, listed here), with each literal it allows, parses
// and runs on the incidents (points) and, for the spatial functions, on the grids (areas); in
// CQL2 text, and in CQL2 JSON finding as many.
TEST_F(FeaturesHttpTest, EveryClaimedCql2ClassHasAllItsOperators) {
  const std::string p = "http://www.opengis.net/spec/cql2/1.0/conf/";
  const Cql2 t = cql2_timestamp("2026-01-02T00:00:00Z");
  const Cql2 i =
      cql2_interval(cql2_string("2026-01-01T00:00:00Z"), cql2_string("2026-01-03T00:00:00Z"));
  const Cql2 geometry = cql2_property("geometry"), reported_at = cql2_property("reported_at");
  // CQL2's spatial literals (rule spatialInstance) and temporal arguments (temporalExpression).
  const std::vector<Cql2> points_and_boxes = {cql2_point({120.1, 30.1}),
                                              cql2_bbox({120, 30, 120.2, 30.2})};
  std::vector<Cql2> geometries = every_geometry_literal({120, 30}, 0.1);
  geometries.insert(geometries.end(), points_and_boxes.begin(), points_and_boxes.end());
  const std::vector<Cql2> times = {reported_at,
                                   t,
                                   cql2_date("2026-01-02"),
                                   i,
                                   cql2_interval(reported_at, cql2_property("updated_at")),
                                   cql2_interval(cql2_string(".."), reported_at)};
  auto spatial = [&](const std::vector<std::pair<std::string, std::string>>& ops,
                     const std::vector<Cql2>& literals) {
    std::vector<Cql2> out;
    for (const auto& op : ops)
      for (const Cql2& g : literals) out.push_back(cql2_call(op, geometry, g));
    return out;
  };
  std::vector<Cql2> temporal;
  for (const auto& op : kTemporalFunctions)
    for (const Cql2& a : times) temporal.push_back(cql2_call(op, a, i));
  const Cql2 status = cql2_property("status"), reported = cql2_string("reported");
  const std::vector<std::pair<std::string, std::string>> intersects = {kSpatialFunctions[0]};
  const std::map<std::string, std::vector<Cql2>> classes = {
      {"basic-cql2",
       {cql2_compare(status, "=", reported),
        cql2_compare(status, "<>", reported),
        cql2_compare(reported_at, "<", t),
        cql2_compare(reported_at, ">", t),
        cql2_compare(reported_at, "<=", t),
        cql2_compare(reported_at, ">=", t),
        {"NOT (status = 'closed') AND (category = '0101' OR category = '0102')",
         R"({"op": "and", "args": [)"
         R"({"op": "not", "args": [{"op": "=", "args": [{"property": "status"}, "closed"]}]}, )"
         R"({"op": "or", "args": [{"op": "=", "args": [{"property": "category"}, "0101"]}, )"
         R"({"op": "=", "args": [{"property": "category"}, "0102"]}]}]})"},
        {"category IS NULL", R"({"op": "isNull", "args": [{"property": "category"}]})"}}},
      {"advanced-comparison-operators",
       {{"inc_id LIKE 'I1%'", R"({"op": "like", "args": [{"property": "inc_id"}, "I1%"]})"},
        {"reported_at BETWEEN " + t.text + " AND " + t.text,
         R"({"op": "between", "args": [{"property": "reported_at"}, )" + t.json + ", " + t.json +
             "]}"},
        {"status IN ('reported', 'closed')",
         R"({"op": "in", "args": [{"property": "status"}, ["reported", "closed"]]})"}}},
      {"basic-spatial-functions", spatial(intersects, points_and_boxes)},
      {"basic-spatial-functions-plus", spatial(intersects, geometries)},
      {"spatial-functions", spatial(kSpatialFunctions, geometries)},
      {"temporal-functions", temporal},
      // the draft names of the same classes
      {"basic-spatial-operators", spatial(intersects, points_and_boxes)},
      {"spatial-operators", spatial(kSpatialFunctions, geometries)},
      {"temporal-operators", temporal},
  };
  const json conf = get_json("/conformance");
  std::set<std::string> claimed(conf["conformsTo"].begin(), conf["conformsTo"].end());
  // The encodings: each operator is tried in every encoding claimed.
  const bool json_claimed = claimed.count(p + "cql2-json") > 0;
  EXPECT_TRUE(claimed.count(p + "cql2-text"));
  std::set<std::string> checked;
  for (const std::string& uri : claimed) {
    if (!uri.starts_with(p) || uri == p + "cql2-text" || uri == p + "cql2-json") continue;
    const auto it = classes.find(uri.substr(p.size()));
    ASSERT_NE(it, classes.end()) << uri << ": a class this test does not know";
    for (const Cql2& filter : it->second)
      for (const char* collection : {"incidents", "grids"}) {
        if (collection == std::string("grids") && !filter.text.starts_with("S_")) continue;
        const std::string items = "/collections/" + std::string(collection) + "/items?limit=1";
        const HttpResponse r = api().get(items + "&filter=" + percent_encode(filter.text));
        EXPECT_EQ(r.status, 200) << uri << " claims " << filter.text << ": " << r.body;
        if (!json_claimed || r.status != 200) continue;
        const HttpResponse j =
            api().get(items + "&filter-lang=cql2-json&filter=" + percent_encode(filter.json));
        EXPECT_EQ(j.status, 200) << uri << " claims " << filter.json << ": " << j.body;
        if (j.status == 200) {
          EXPECT_EQ(json::parse(j.body)["numberMatched"], json::parse(r.body)["numberMatched"])
              << filter.text << " | " << filter.json;
        }
      }
    checked.insert(it->first);
  }
  for (const char* c : {"basic-cql2", "advanced-comparison-operators", "basic-spatial-functions",
                        "basic-spatial-functions-plus", "spatial-functions", "temporal-functions"})
    EXPECT_TRUE(checked.count(c)) << c << " is not claimed";
  EXPECT_TRUE(json_claimed);
}

TEST_F(FeaturesHttpTest, FormatJsonOrPjsonIsTakenWhereverTheAnswerIsJson) {
  // QGIS and Esri clients send f=pjson; OGC clients f=json; GDAL f=json on items too.
  for (const char* f : {"json", "pjson"})
    for (const std::string path :
         {"/conformance", "/collections", "/collections/grids", "/collections/grids/queryables",
          "/collections/enterprises/items", "/collections/enterprises/items/1", "/api", "/health",
          "/layers"}) {
      const HttpResponse r = get(path + "?f=" + f);
      EXPECT_EQ(r.status, 200) << path << "?f=" << f << ": " << r.body;
      EXPECT_TRUE(json::accept(r.body)) << path;
    }
  EXPECT_EQ(get("/collections/enterprises/items?f=geojson").status, 200);
  expect_error(get("/collections?f=xml"), 400, "invalid_parameter", "f");
  expect_error(get("/collections/enterprises/items?f=csv"), 400, "invalid_parameter", "f");
  expect_error(get("/health?f=xml"), 400, "invalid_parameter", "f");
}

TEST_F(FeaturesHttpTest, LandingPageConformanceAndCollections) {
  const json landing = get_json("/");
  EXPECT_EQ(link(landing, "service-desc"), base() + "/api");
  EXPECT_EQ(link(landing, "conformance"), base() + "/conformance");
  EXPECT_EQ(link(landing, "data"), base() + "/collections");
  const json conf = get_json("/conformance");
  std::set<std::string> classes(conf["conformsTo"].begin(), conf["conformsTo"].end());
  for (const char* c : {"core", "geojson", "oas30"})
    EXPECT_TRUE(
        classes.count(std::string("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/") + c))
        << c;

  const json cols = get_json("/collections");
  std::set<std::string> ids;
  for (const auto& c : cols["collections"]) {
    ids.insert(c["id"]);
    EXPECT_EQ(c["itemType"], "feature");
    EXPECT_EQ(link(c, "items"), base() + "/collections/" + c["id"].get<std::string>() + "/items");
  }
  EXPECT_EQ(ids,
            (std::set<std::string>{"grids", "households", "enterprises", "incidents", "workers"}));

  // Extents: the grids' box and the incidents' reporting times, computed here from the records.
  const json grids = get_json("/collections/grids");
  EXPECT_EQ(grids["extent"]["spatial"]["bbox"][0], json({120.0, 30.0, 120.4, 30.2}));
  const json inc = get_json("/collections/incidents");
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (const auto& i : oracle().incidents) {
    lo = std::min(lo, i.reported_at);
    hi = std::max(hi, i.reported_at);
  }
  EXPECT_EQ(inc["extent"]["temporal"]["interval"][0],
            json({onemap::layers::format_time(lo), onemap::layers::format_time(hi)}));
  EXPECT_EQ(get("/api").header("Content-Type"), "application/vnd.oai.openapi+json;version=3.0");
  EXPECT_EQ(get_json("/api")["openapi"], "3.0.3");
}

TEST_F(FeaturesHttpTest, PagesNeitherRepeatNorSkipAndRepeatTheFilters) {
  std::size_t matched = 0, pages = 0;
  const auto ids = all_pages("/collections/households/items?limit=4", matched, pages);
  const auto want = fids(oracle().households, [](const auto&) { return true; });
  EXPECT_EQ(ids, want);
  EXPECT_EQ(matched, want.size());
  EXPECT_EQ(pages, (want.size() + 3) / 4);

  // A filtered query: the next links keep the box.
  const double x0 = 120.05, y0 = 30.0, x1 = 120.3, y1 = 30.15;
  const auto in_box = fids(oracle().households, [&](const auto& h) {
    return h.location.lon >= x0 && h.location.lon <= x1 && h.location.lat >= y0 &&
           h.location.lat <= y1;
  });
  ASSERT_GT(in_box.size(), 4U);
  const auto boxed = all_pages("/collections/households/items?bbox=120.05,30.0,120.3,30.15&limit=3",
                               matched, pages);
  EXPECT_EQ(boxed, in_box);
  EXPECT_EQ(matched, in_box.size());

  // prev goes back.
  const json second = get_json("/collections/households/items?limit=4&offset=4");
  EXPECT_EQ(target_of(link(second, "prev")), "/collections/households/items?limit=4&offset=0");
}

TEST_F(FeaturesHttpTest, BboxAndDatetimeMatchBruteForce) {
  // Grids: the polygons that meet the box (Boost.Geometry as the oracle).
  const onemap::spatial::Box box({120.12, 30.05}, {120.22, 30.1});
  const auto want =
      fids(oracle().grids, [&](const auto& g) { return bg::intersects(box, g.geometry); });
  const json page = get_json("/collections/grids/items?bbox=120.12,30.05,120.22,30.1&limit=100");
  std::vector<int64_t> got;
  for (const auto& f : page["features"]) {
    got.push_back(f["id"]);
    EXPECT_EQ(f["geometry"]["type"], "MultiPolygon");
  }
  EXPECT_EQ(got, want);

  // Incidents in a time window (closed interval), and open at either end.
  const int64_t t0 = oracle().incidents[2].reported_at, t1 = oracle().incidents[6].reported_at;
  const std::string a = onemap::layers::format_time(t0), b = onemap::layers::format_time(t1);
  auto ids = [&](const std::string& q) {
    std::vector<int64_t> out;
    const json result = get_json("/collections/incidents/items?limit=100&datetime=" + q);
    for (const auto& f : result["features"]) out.push_back(f["id"]);
    return out;
  };
  EXPECT_EQ(ids(a + "/" + b), fids(oracle().incidents, [&](const auto& i) {
              return i.reported_at >= t0 && i.reported_at <= t1;
            }));
  EXPECT_EQ(ids("../" + b),
            fids(oracle().incidents, [&](const auto& i) { return i.reported_at <= t1; }));
  EXPECT_EQ(ids(a + "/.."),
            fids(oracle().incidents, [&](const auto& i) { return i.reported_at >= t0; }));
  EXPECT_EQ(ids(a), fids(oracle().incidents, [&](const auto& i) { return i.reported_at == t0; }));
}

// The household fields the default read policy gives the public (no person's identity).
std::set<std::string> public_household_fields() {
  std::set<std::string> out;
  for (const auto& f : onemap::layers::layer_fields(onemap::layers::LayerKind::Households))
    if (onemap::auth::ReadPolicy::standard().reaches(onemap::auth::Audience::Public,
                                                     onemap::layers::LayerKind::Households, f.name))
      out.insert(f.name);
  return out;
}

TEST_F(FeaturesHttpTest, HouseholdsShowOnlyTheirPublicFields) {
  const json page = get_json("/collections/households/items?limit=100");
  ASSERT_EQ(page["features"].size(), oracle().households.size());
  const std::set<std::string> expected = public_household_fields();
  EXPECT_TRUE(expected.count("members") && !expected.count("address") &&
              !expected.count("head_name"));
  for (const auto& f : page["features"]) {
    std::set<std::string> keys;
    for (const auto& [k, v] : f["properties"].items()) keys.insert(k);
    EXPECT_EQ(keys, expected);
  }
  const std::string body = get("/collections/households/items?limit=100").body;
  for (const char* secret : {"张三", "13800000000", "330521199001010000", "地址"})
    EXPECT_EQ(body.find(secret), std::string::npos) << secret;
  // Workers' names are personal too.
  EXPECT_EQ(get("/collections/workers/items").body.find("李四"), std::string::npos);
}

TEST_F(FeaturesHttpTest, OneFeatureAndErrors) {
  const auto& inc = oracle().incidents[3];
  const json f = get_json("/collections/incidents/items/" + std::to_string(inc.fid));
  EXPECT_EQ(f["id"], inc.fid);
  EXPECT_EQ(f["properties"]["inc_id"], inc.id);
  EXPECT_DOUBLE_EQ(f["geometry"]["coordinates"][0].get<double>(), inc.location.lon);
  EXPECT_EQ(get("/collections/incidents/items/1").header("Content-Type"), "application/geo+json");

  expect_errors(
      api(),
      {
          {"/collections/incidents/items/999999", 404, "not_found", ""},
          {"/collections/incidents/items/abc", 404, "not_found", ""},
          {"/collections/rivers/items", 404, "not_found", ""},
          {"/collections/incidents/items?colour=red", 400, "invalid_parameter", "colour"},
          {"/collections/incidents/items?limit=0", 400, "invalid_parameter", "limit"},
          {"/collections/incidents/items?limit=ten", 400, "invalid_parameter", "limit"},
          {"/collections/incidents/items?offset=-1", 400, "invalid_parameter", "offset"},
          {"/collections/incidents/items?bbox=1,2,3", 400, "invalid_parameter", "bbox"},
          {"/collections/incidents/items?bbox=120,31,121,30", 400, "invalid_parameter", "bbox"},
          {"/collections/incidents/items?datetime=yesterday", 400, "invalid_parameter", "datetime"},
          {"/collections/incidents/items?datetime=2026-02-01T00:00:00Z/2026-01-01T00:00:00Z", 400,
           "invalid_parameter", "datetime"},
          {"/collections/households/items?datetime=2026-01-01T00:00:00Z", 400, "invalid_parameter",
           "datetime"},
          {"/collections?limit=3", 400, "invalid_parameter", "limit"},
      });
  // A limit above the maximum is taken as the maximum.
  const json big = get_json("/collections/households/items?limit=50000");
  EXPECT_NE(link(big, "self").find("limit=10000"), std::string::npos);
}

TEST_F(FeaturesHttpTest, CoordinatesInEveryOfferedCrs) {
  const auto& h = oracle().households[5];
  const std::string item = "/collections/households/items/" + std::to_string(h.fid);
  auto coords = [&](const std::string& crs) {
    const HttpResponse r = get(item + (crs.empty() ? "" : "?crs=" + crs));
    EXPECT_EQ(r.status, 200) << crs << ": " << r.body;
    const json f = json::parse(r.body);
    return std::make_pair(f["geometry"]["coordinates"][0].get<double>(),
                          f["geometry"]["coordinates"][1].get<double>());
  };
  // CRS84: lon, lat; EPSG:4490 and 4326: lat, lon (their axis order).
  EXPECT_EQ(coords(""), std::make_pair(h.location.lon, h.location.lat));
  EXPECT_EQ(get(item).header("Content-Crs"), "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>");
  EXPECT_EQ(coords("http://www.opengis.net/def/crs/EPSG/0/4490"),
            std::make_pair(h.location.lat, h.location.lon));
  EXPECT_EQ(get(item + "?crs=EPSG:4490").header("Content-Crs"),
            "<http://www.opengis.net/def/crs/EPSG/0/4490>");
  // Web Mercator by its formula on the sphere.
  const double R = 6378137.0, d = 3.14159265358979323846 / 180;
  const auto m = coords("http://www.opengis.net/def/crs/EPSG/0/3857");
  EXPECT_NEAR(m.first, R * h.location.lon * d, 1e-3);
  EXPECT_NEAR(m.second, R * std::log(std::tan(3.14159265358979323846 / 4 + h.location.lat * d / 2)),
              1e-3);
  // Gauss-Krüger CM 120E by GDAL's own transformation: northing first.
  OGRSpatialReference src, dst;
  src.importFromEPSG(4490);
  dst.importFromEPSG(4549);  // EPSG axis order: northing, easting
  std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&src, &dst));
  ASSERT_NE(ct, nullptr);
  double a = h.location.lat, b = h.location.lon;  // EPSG:4490 axis order: lat, lon
  ASSERT_TRUE(ct->Transform(1, &a, &b));
  const auto gk = coords("http://www.opengis.net/def/crs/EPSG/0/4549");
  EXPECT_NEAR(gk.first, a, 1e-3);
  EXPECT_NEAR(gk.second, b, 1e-3);

  // bbox in Web Mercator metres selects what the formula puts inside it.
  const double x0 = R * 120.05 * d, x1 = R * 120.3 * d;
  auto merc_y = [&](double lat) {
    return R * std::log(std::tan(3.14159265358979323846 / 4 + lat * d / 2));
  };
  const double y0 = merc_y(30.0), y1 = merc_y(30.15);
  char q[256];
  std::snprintf(
      q, sizeof q,
      "/collections/households/items?limit=100&bbox-crs=EPSG:3857&bbox=%.3f,%.3f,%.3f,%.3f", x0, y0,
      x1, y1);
  std::vector<int64_t> got;
  const json page = get_json(q);
  for (const auto& f : page["features"]) got.push_back(f["id"]);
  EXPECT_EQ(got, fids(oracle().households, [&](const auto& r) {
              const double x = R * r.location.lon * d, y = merc_y(r.location.lat);
              return x >= x0 && x <= x1 && y >= y0 && y <= y1;
            }));
  EXPECT_FALSE(got.empty());
  // The same box in EPSG:4490's axis order (lat first).
  const json page2 = get_json(
      "/collections/households/items?limit=100&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/"
      "4490&bbox=30.0,120.05,30.15,120.3");
  std::vector<int64_t> got2;
  for (const auto& f : page2["features"]) got2.push_back(f["id"]);
  EXPECT_EQ(got2, got);

  const json coll = get_json("/collections/households");
  EXPECT_EQ(coll["crs"].size(), 5U);
  EXPECT_EQ(coll["storageCrs"], "http://www.opengis.net/def/crs/EPSG/0/4490");
  expect_errors(
      api(), {
                 {"/collections/households/items?crs=EPSG:2000", 400, "invalid_parameter", "crs"},
                 {"/collections/households/items?bbox-crs=EPSG:3857", 400, "invalid_parameter",
                  "bbox-crs"},
                 {item + "?bbox=1,2,3,4", 400, "invalid_parameter", "bbox"},
             });
}

namespace {

// Great-circle distance on the mean sphere: an independent check of onemap's geodesic (the two
// differ by well under 1 %; points within 1 % of a radius are not compared).
double haversine_m(double lon1, double lat1, double lon2, double lat2) {
  const double d = 3.14159265358979323846 / 180, R = 6371008.8;
  const double a =
      std::pow(std::sin((lat2 - lat1) * d / 2), 2) +
      std::cos(lat1 * d) * std::cos(lat2 * d) * std::pow(std::sin((lon2 - lon1) * d / 2), 2);
  return 2 * R * std::asin(std::sqrt(a));
}

std::vector<int64_t> ids_of(const json& page) {
  std::vector<int64_t> out;
  for (const auto& f : page["features"]) out.push_back(f["id"]);
  return out;
}

}  // namespace

TEST_F(FeaturesHttpTest, AreaNearAndPolygonQueries) {
  // area: the grid of that level and code and every grid under it (by parent links, here).
  auto under = [&](const std::string& code) {
    std::set<std::string> codes{code};
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& g : oracle().grids)
        if (codes.count(g.parent_code) && codes.insert(g.code).second) grew = true;
    }
    return codes;
  };
  const auto village = under("330521001002");
  EXPECT_EQ(ids_of(get_json("/collections/households/items?limit=100&area=village:330521001002")),
            fids(oracle().households,
                 [&](const auto& h) { return village.count(h.join.grid_code) > 0; }));
  const auto town = under("330521002");
  EXPECT_EQ(ids_of(get_json("/collections/grids/items?limit=100&area=town:330521002")),
            fids(oracle().grids, [&](const auto& g) { return town.count(g.code) > 0; }));
  EXPECT_EQ(town.size(), 7U);  // the town, 2 villages, 4 grids
  const json incidents =
      get_json("/collections/incidents/items?limit=100&area=grid:330521001001001");
  EXPECT_EQ(ids_of(incidents), fids(oracle().incidents, [&](const auto& i) {
              return i.join.grid_code == "330521001001001";
            }));

  // near + radius.
  const double lon = 120.12, lat = 30.1, r = 6000;
  const auto got =
      ids_of(get_json("/collections/households/items?limit=100&near=120.12,30.1&radius=6000"));
  const std::set<int64_t> in(got.begin(), got.end());
  std::size_t compared = 0;
  for (const auto& h : oracle().households) {
    const double dist = haversine_m(lon, lat, h.location.lon, h.location.lat);
    if (std::abs(dist - r) < 0.01 * r) continue;
    ++compared;
    EXPECT_EQ(in.count(h.fid) > 0, dist < r) << h.fid << " at " << dist << " m";
  }
  EXPECT_GT(compared, 30U);
  EXPECT_FALSE(in.empty());

  // POST: the items query within a polygon body; the URL's parameters still apply.
  const json triangle = {
      {"type", "Polygon"},
      {"coordinates", {{{120.0, 30.0}, {120.4, 30.0}, {120.2, 30.25}, {120.0, 30.0}}}}};
  onemap::spatial::Polygon tri;
  tri.outer() = {{120.0, 30.0}, {120.4, 30.0}, {120.2, 30.25}, {120.0, 30.0}};
  bg::correct(tri);
  const auto want = fids(oracle().households, [&](const auto& h) {
    return bg::covered_by(onemap::spatial::Point(h.location.lon, h.location.lat), tri);
  });
  const std::string body =
      json{{"type", "Feature"}, {"geometry", triangle}, {"properties", json::object()}}.dump();
  const HttpResponse posted = api().send("POST", "/collections/households/items?limit=100", body,
                                         "", "application/geo+json");
  ASSERT_EQ(posted.status, 200) << posted.body;
  EXPECT_EQ(ids_of(json::parse(posted.body)), want);
  EXPECT_GT(want.size(), 5U);

  expect_errors(
      api(),
      {
          {"/collections/households/items?area=town:999", 400, "invalid_parameter", "area"},
          {"/collections/households/items?area=planet:1", 400, "invalid_parameter", "area"},
          {"/collections/households/items?area=town", 400, "invalid_parameter", "area"},
          {"/collections/households/items?near=120.1,30.1", 400, "invalid_parameter", "radius"},
          {"/collections/households/items?radius=10", 400, "invalid_parameter", "near"},
          {"/collections/households/items?near=120.1&radius=10", 400, "invalid_parameter", "near"},
          {"/collections/households/items?near=120.1,30.1&radius=-5", 400, "invalid_parameter",
           "radius"},
      });
  expect_error(api().send("POST", "/collections/households/items", "{\"a\":", "", ""), 400,
               "invalid_parameter", "body");
  EXPECT_EQ(api().send("POST", "/collections", "{}", "", "").status, 405);
}

TEST_F(FeaturesHttpTest, StatsEqualIndependentCountsFromTheItems) {
  // A window over part of the incidents, and the window of the same length before it.
  const int64_t t0 = oracle().incidents[5].reported_at, t1 = oracle().incidents[9].reported_at;
  const int64_t len = t1 - t0 + 1;
  const std::string now = onemap::layers::format_time(t0) + "/" + onemap::layers::format_time(t1);
  const std::string before =
      onemap::layers::format_time(t0 - len) + "/" + onemap::layers::format_time(t0 - 1);
  const json st = get_json("/collections/incidents/stats?group_by=village&datetime=" + now);
  EXPECT_EQ(st["previous_window"]["start"], onemap::layers::format_time(t0 - len));
  auto matched = [&](const std::string& q) {
    return get_json("/collections/incidents/items?limit=1&" + q)["numberMatched"].get<int64_t>();
  };
  EXPECT_EQ(st["total"]["count"], matched("datetime=" + now));
  EXPECT_EQ(st["total"]["previous"], matched("datetime=" + before));
  EXPECT_GT(st["total"]["count"].get<int64_t>(), 0);
  int64_t sum = 0;
  for (const auto& g : st["groups"]) {
    sum += g["count"].get<int64_t>();
    if (g["code"].is_null()) continue;  // incidents joined to no grid
    const std::string area = "area=village:" + g["code"].get<std::string>();
    EXPECT_EQ(g["count"], matched(area + "&datetime=" + now)) << g["code"];
    EXPECT_EQ(g["previous"], matched(area + "&datetime=" + before)) << g["code"];
    int64_t cells = 0;
    for (const auto& c : g["cells"]) cells += c["count"].get<int64_t>();
    EXPECT_EQ(cells, g["count"].get<int64_t>());
  }
  EXPECT_EQ(sum, st["total"]["count"].get<int64_t>());
  // Rising pairs grew, largest change first.
  int64_t last = INT64_MAX;
  for (const auto& r : st["rising"]) {
    EXPECT_GT(r["change"].get<int64_t>(), 0);
    EXPECT_LE(r["change"].get<int64_t>(), last);
    last = r["change"];
  }
  expect_errors(api(), {
                           {"/collections/incidents/stats", 400, "invalid_parameter", "datetime"},
                           {"/collections/incidents/stats?datetime=2026-01-01T00:00:00Z/..", 400,
                            "invalid_parameter", "datetime"},
                           {"/collections/incidents/stats?datetime=" + now + "&group_by=planet",
                            400, "invalid_parameter", "group_by"},
                           {"/collections/households/stats", 404, "not_found", ""},
                       });
}

TEST_F(FeaturesHttpTest, TheOpenApiDocumentValidatesAndListsEveryItemParameter) {
  const std::string node = ONEMAP_NODE;
  ASSERT_FALSE(node.empty() || node.ends_with("NOTFOUND")) << "node not found: run scripts/setup";
  const std::string validator =
      std::string(ONEMAP_SOURCE_DIR) + "/tests/browser/validate-openapi.mjs";
  const std::string doc = api().dir().file("api.json");
  std::ofstream(doc) << get("/api").body;
  const auto ok = run_command({node, validator, doc});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  // The validator does reject a broken document (so the check above can fail).
  const std::string broken = api().dir().file("broken.json");
  std::ofstream(broken) << R"({"openapi":"3.0.3","paths":{"/x":{"get":{"responses":{"200":{}}}}}})";
  EXPECT_NE(run_command({node, validator, broken}).exit_code, 0);

  // Every parameter it lists for items is accepted, and an unlisted one is refused.
  const json api = get_json("/api");
  std::set<std::string> listed;
  for (const auto& p : api["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]) {
    const json& def = p.contains("$ref")
                          ? api["components"]["parameters"][p["$ref"].get<std::string>().substr(24)]
                          : p;
    if (def["in"] == "query") listed.insert(def["name"]);
  }
  const std::map<std::string, std::string> sample = {
      {"bbox", "120,30,120.2,30.1"},
      {"bbox-crs", "EPSG:4490"},
      {"crs", "EPSG:3857"},
      {"datetime", "2025-01-01T00:00:00Z/.."},
      {"limit", "5"},
      {"offset", "2"},
      {"f", "json"},
      {"area", "town:330521001"},
      {"near", "120.1,30.1"},
      {"radius", "1000"},
      {"filter", "status%20%3D%20%27reported%27"},
      {"filter-lang", "cql-text"},
      {"filter-crs", "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
      {"properties", "status,category"},
      {"sortby", "-reported_at"}};
  for (const auto& name : listed) {
    ASSERT_TRUE(sample.count(name)) << "no sample value for listed parameter " << name;
    std::string q = name + "=" + sample.at(name);
    if (name == "bbox-crs") q += "&bbox=30,120,30.1,120.2";
    if (name == "near") q += "&radius=1000";
    if (name == "radius") q += "&near=120.1,30.1";
    EXPECT_EQ(get("/collections/incidents/items?" + q).status, 200) << q;
  }
  EXPECT_EQ(listed.size(), sample.size());
  // The rest of the server is described too.
  for (const char* path : {"/health",
                           "/layers",
                           "/metrics",
                           "/tiles/{layers}/{z}/{x}/{y}.mvt",
                           "/tiles/{layers}.json",
                           "/tiles/cgcs2000/{layers}/{z}/{x}/{y}.mvt",
                           "/incidents",
                           "/incidents/{id}",
                           "/households",
                           "/households/{id}",
                           "/enterprises",
                           "/enterprises/{id}",
                           "/grids/{id}",
                           "/collections/{collectionId}/queryables",
                           "/collections/incidents/stats",
                           "/incidents/{id}/actions",
                           "/incidents/{id}/history",
                           "/dispatch/batch",
                           "/escalations/sweep",
                           "/users/me",
                           "/open311/v2/services.json",
                           "/open311/v2/requests.json",
                           "/open311/v2/requests/{id}.json"})
    EXPECT_TRUE(api["paths"].contains(path)) << path;
}

TEST_F(FeaturesHttpTest, FiltersMatchBruteForce) {
  auto ids = [&](const std::string& collection, const std::string& filter) {
    std::string enc;
    for (unsigned char ch : filter) {
      if (std::isalnum(ch))
        enc += static_cast<char>(ch);
      else {
        char b[4];
        std::snprintf(b, sizeof b, "%%%02X", ch);
        enc += b;
      }
    }
    const HttpResponse r = get("/collections/" + collection + "/items?limit=1000&filter=" + enc);
    EXPECT_EQ(r.status, 200) << filter << ": " << r.body;
    return r.status == 200 ? ids_of(json::parse(r.body)) : std::vector<int64_t>{};
  };
  const auto& inc = oracle().incidents;
  const int64_t t = inc[4].reported_at;
  EXPECT_EQ(ids("incidents", "reported_at > TIMESTAMP('" + onemap::layers::format_time(t) +
                                 "') AND status IN ('reported', 'closed')"),
            fids(inc, [&](const auto& i) {
              return i.reported_at > t && (i.status == "reported" || i.status == "closed");
            }));
  EXPECT_EQ(
      ids("incidents", "inc_id LIKE 'I1%' OR NOT (category = '0101')"),
      fids(inc, [&](const auto& i) { return i.id.rfind("I1", 0) == 0 || i.category != "0101"; }));
  EXPECT_EQ(ids("households",
                "members >= 3 AND S_INTERSECTS(geometry, POLYGON((120 30, 120.2 30, 120.2 30.2, "
                "120 30.2, 120 30)))"),
            fids(oracle().households, [&](const auto& h) {
              return h.members >= 3 && h.location.lon >= 120 && h.location.lon <= 120.2 &&
                     h.location.lat >= 30 && h.location.lat <= 30.2;
            }));
  EXPECT_EQ(ids("grids", "level = 'village' AND area_m2 > 0"),
            fids(oracle().grids,
                 [&](const auto& g) { return g.level == onemap::layers::GridLevel::Village; }));
  // CQL2's other spatial and temporal functions: a point on an edge of a grid (a rectangle)
  // touches it, exactly: not a grid whose edge is a rounding error off (120.1 + 0.1 is not
  // 120.2); the county's box equals the county.
  EXPECT_EQ(ids("grids", "S_TOUCHES(geometry, POINT(120.2 30.1))"),
            fids(oracle().grids, [&](const auto& g) {
              const auto box = onemap::spatial::envelope(g.geometry);
              const double x0 = box.min_corner().x(), x1 = box.max_corner().x();
              const double y0 = box.min_corner().y(), y1 = box.max_corner().y();
              const double x = 120.2, y = 30.1;
              return ((x == x0 || x == x1) && y >= y0 && y <= y1) ||
                     ((y == y0 || y == y1) && x >= x0 && x <= x1);
            }));
  EXPECT_EQ(ids("grids", "S_EQUALS(geometry, BBOX(120, 30, 120.4, 30.2))"),
            fids(oracle().grids, [](const auto& g) { return g.code == "330521"; }));
  const int64_t t4 = inc[4].reported_at, t7 = inc[7].reported_at;
  const std::string t4_text = onemap::layers::format_time(t4);
  const std::string t7_text = onemap::layers::format_time(t7);
  EXPECT_EQ(ids("incidents", "T_MEETS(reported_at, INTERVAL('" + t4_text + "', '..'))"),
            fids(inc, [&](const auto& i) { return i.reported_at == t4; }));
  EXPECT_EQ(ids("incidents", "T_OVERLAPPEDBY(INTERVAL(reported_at, '..'), INTERVAL('" + t4_text +
                                 "', '" + t7_text + "'))"),
            fids(inc, [&](const auto& i) { return i.reported_at > t4 && i.reported_at < t7; }));
  // An INTERVAL that ends at a null (the closed_at of an open incident) is null: neither it nor
  // its negation holds.
  const std::string whole = "T_INTERSECTS(INTERVAL(reported_at, closed_at), INTERVAL('..', '..'))";
  EXPECT_EQ(ids("incidents", whole), fids(inc, [](const auto& i) { return i.closed_at != 0; }));
  EXPECT_EQ(ids("incidents", "NOT " + whole), fids(inc, [](const auto&) { return false; }));
  // Queryables as parameters: equality.
  EXPECT_EQ(ids_of(get_json("/collections/enterprises/items?risk=general&limit=100")),
            fids(oracle().enterprises,
                 [](const auto& e) { return e.risk == onemap::layers::RiskLevel::General; }));
  // Personal fields are no queryables, so no filter can count persons by them.
  expect_errors(
      api(),
      {
          {"/collections/households/items?filter=head_name%20%3D%20%27x%27", 400,
           "invalid_parameter", "filter"},
          {"/collections/households/items?head_name=x", 400, "invalid_parameter", "head_name"},
          {"/collections/incidents/items?filter=status%20%3D", 400, "invalid_parameter", "filter"},
          // ill-typed arguments of CQL2's functions, and an invalid literal
          {"/collections/incidents/items?filter=" + percent_encode("T_MEETS(reported_at, 'x')"),
           400, "invalid_parameter", "filter"},
          {"/collections/incidents/items?filter=" +
               percent_encode("T_STARTS(INTERVAL(status, reported_at), INTERVAL('..', '..'))"),
           400, "invalid_parameter", "filter"},
          {"/collections/grids/items?filter=" + percent_encode("S_CROSSES(geometry, 3)"), 400,
           "invalid_parameter", "filter"},
          {"/collections/grids/items?filter=" +
               percent_encode("S_TOUCHES(geometry, GEOMETRYCOLLECTION(POINT(0 0), POINT(999 0)))"),
           400, "invalid_parameter", "filter"},
          {"/collections/incidents/items?filter-lang=cql2-xml&filter=x", 400, "invalid_parameter",
           "filter-lang"},
          {"/collections/enterprises/items?open_hazards=many", 400, "invalid_parameter",
           "open_hazards"},
      });
  const json qs = get_json("/collections/households/queryables");
  std::set<std::string> names;
  for (const auto& [k, v] : qs["properties"].items()) names.insert(k);
  std::set<std::string> expected = public_household_fields();
  expected.insert("geometry");
  EXPECT_EQ(names, expected);
}

// CQL2 JSON on items finds what the same filter in CQL2 text finds, on points and on areas, with
// queryables given as parameters too, page after page (the next links keep filter-lang); JSON
// that is broken or no CQL2 is a 400 naming filter, and an unknown filter-lang one naming it.
TEST_F(FeaturesHttpTest, Cql2JsonFindsWhatTheSameFilterInTextFinds) {
  auto ids = [&](const std::string& collection, const std::string& query) {
    std::size_t matched = 0, pages = 0;
    return all_pages("/collections/" + collection + "/items?limit=7&" + query, matched, pages);
  };
  const std::string t4 = onemap::layers::format_time(oracle().incidents[4].reported_at);
  const std::string t7 = onemap::layers::format_time(oracle().incidents[7].reported_at);
  struct Case {
    std::string collection, text, json, parameters;
  };
  const std::vector<Case> cases = {
      {"incidents", "reported_at > TIMESTAMP('" + t4 + "') AND status IN ('reported', 'closed')",
       R"({"op": "and", "args": [{"op": ">", "args": [{"property": "reported_at"}, )"
       R"({"timestamp": ")" +
           t4 +
           R"("}]}, {"op": "in", "args": [{"property": "status"}, )"
           R"(["reported", "closed"]]}]})",
       ""},
      {"incidents", "inc_id LIKE 'I1%' OR NOT (category = '0101')",
       R"({"op": "or", "args": [{"op": "like", "args": [{"property": "inc_id"}, "I1%"]}, )"
       R"({"op": "not", "args": [{"op": "=", "args": [{"property": "category"}, "0101"]}]}]})",
       ""},
      {"incidents",
       "T_OVERLAPPEDBY(INTERVAL(reported_at, '..'), INTERVAL('" + t4 + "', '" + t7 + "'))",
       R"({"op": "t_overlappedBy", "args": [{"interval": [{"property": "reported_at"}, ".."]}, )"
       R"({"interval": [")" +
           t4 + R"(", ")" + t7 + R"("]}]})",
       ""},
      // with a queryable as a parameter, ANDed
      {"incidents", "NOT category IS NULL",
       R"({"op": "not", "args": [{"op": "isNull", "args": [{"property": "category"}]}]})",
       "status=reported&"},
      {"households",
       "members >= 3 AND S_INTERSECTS(geometry, POLYGON((120 30, 120.2 30, 120.2 30.2, 120 30.2, "
       "120 30)))",
       R"({"op": "and", "args": [{"op": ">=", "args": [{"property": "members"}, 3]}, )"
       R"({"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Polygon", )"
       R"("coordinates": [[[120, 30], [120.2, 30], [120.2, 30.2], [120, 30.2], [120, 30]]]}]}]})",
       ""},
      {"grids", "level = 'village' AND area_m2 > 0",
       R"({"op": "and", "args": [{"op": "=", "args": [{"property": "level"}, "village"]}, )"
       R"({"op": ">", "args": [{"property": "area_m2"}, 0]}]})",
       ""},
      {"grids", "S_TOUCHES(geometry, POINT(120.2 30.1))",
       R"({"op": "s_touches", "args": [{"property": "geometry"}, )"
       R"({"type": "Point", "coordinates": [120.2, 30.1]}]})",
       ""},
      {"grids", "S_WITHIN(geometry, BBOX(120, 30, 120.3, 30.2))",
       R"({"op": "s_within", "args": [{"property": "geometry"}, {"bbox": [120, 30, 120.3, 30.2]}]})",
       ""},
      {"enterprises", "risk = 'general'",
       R"({"op": "=", "args": [{"property": "risk"}, "general"]})", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.collection + ": " + c.text);
    const std::vector<int64_t> from_text =
        ids(c.collection, c.parameters + "filter=" + percent_encode(c.text));
    const std::vector<int64_t> from_json =
        ids(c.collection, c.parameters + "filter-lang=cql2-json&filter=" + percent_encode(c.json));
    EXPECT_FALSE(from_text.empty());
    EXPECT_EQ(from_json, from_text);
    // cql2-text, named or not, is the default.
    EXPECT_EQ(
        ids(c.collection, c.parameters + "filter-lang=cql2-text&filter=" + percent_encode(c.text)),
        from_text);
  }
  const std::string incidents = "/collections/incidents/items?filter-lang=cql2-json&filter=";
  const HttpResponse broken =
      get(incidents + percent_encode(R"({"op": "=", "args": [{"property": "status"}, )"));
  expect_error(broken, 400, "invalid_parameter", "filter");
  EXPECT_NE(broken.body.find("not valid JSON"), std::string::npos) << broken.body;
  // With a queryable as a parameter too, a filter's error is located in the filter as sent.
  for (const auto& [filter, at] : std::vector<std::pair<std::string, std::string>>{
           {"filter=" + percent_encode("colour = 1"), "at position 1 "},
           {"filter-lang=cql2-json&filter=" +
                percent_encode(R"({"op": "=", "args": [{"property": "colour"}, 1]})"),
            "at #/args/0 "}}) {
    const HttpResponse r = get("/collections/incidents/items?status=reported&" + filter);
    expect_error(r, 400, "invalid_parameter", "filter");
    EXPECT_NE(r.body.find("unknown property 'colour' " + at), std::string::npos) << r.body;
  }
  expect_errors(
      api(),
      {
          // text where JSON was announced
          {incidents + percent_encode("status = 'reported'"), 400, "invalid_parameter", "filter"},
          {incidents + percent_encode(R"({"op": "=", "args": [{"property": "colour"}, "red"]})"),
           400, "invalid_parameter", "filter"},
          {incidents + percent_encode(R"({"op": "like", "args": [{"op": "casei", "args": )"
                                      R"([{"property": "status"}]}, "rep%"]})"),
           400, "invalid_parameter", "filter"},
          {incidents + percent_encode(R"({"op": "s_within", "args": [{"property": "geometry"}, )"
                                      R"({"type": "Point", "coordinates": [999, 0]}]})"),
           400, "invalid_parameter", "filter"},
          // personal fields are no queryables in JSON either
          {"/collections/households/items?filter-lang=cql2-json&filter=" +
               percent_encode(R"({"op": "=", "args": [{"property": "head_name"}, "x"]})"),
           400, "invalid_parameter", "filter"},
          {"/collections/incidents/items?filter-lang=cql-json&filter=true", 400,
           "invalid_parameter", "filter-lang"},
      });
}

TEST_F(FeaturesHttpTest, PropertiesAndSortby) {
  // sortby: members descending, ties by feature id; the pages follow that order.
  std::vector<const onemap::layers::Household*> want;
  for (const auto& h : oracle().households) want.push_back(&h);
  std::stable_sort(want.begin(), want.end(), [](const auto* a, const auto* b) {
    if (a->members != b->members) return a->members > b->members;
    return a->fid < b->fid;
  });
  std::size_t matched = 0, pages = 0;
  const auto got =
      all_pages("/collections/households/items?sortby=-members&limit=7", matched, pages);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], want[i]->fid) << i;
  // Ascending by a timestamp, with a filter.
  const json inc = get_json(
      "/collections/incidents/"
      "items?sortby=%2Breported_at&filter=status%20%3D%20%27reported%27&limit=100");
  int64_t last = INT64_MIN;
  for (const auto& f : inc["features"]) {
    const int64_t t =
        *onemap::layers::parse_time(f["properties"]["reported_at"].get<std::string>(), 0);
    EXPECT_GE(t, last);
    last = t;
  }
  // properties: only those.
  const json few = get_json("/collections/incidents/items?properties=status,grid_code&limit=3");
  for (const auto& f : few["features"]) {
    std::set<std::string> keys;
    for (const auto& [k, v] : f["properties"].items()) keys.insert(k);
    EXPECT_EQ(keys, (std::set<std::string>{"status", "grid_code"}));
  }
  expect_error(get("/collections/households/items?properties=phone"), 400, "invalid_parameter",
               "properties");
  expect_error(get("/collections/households/items?sortby=head_name"), 400, "invalid_parameter",
               "sortby");
}
