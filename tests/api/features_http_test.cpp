// OGC API - Features through the real `onemap serve`, against the records written to its store
// (the oracle: brute-force selections over them), and read by GDAL's OAPIF driver, the client
// QGIS and ogr2ogr use.
#include "fixtures.hpp"
#include "test_support.hpp"

#include "auth/read_policy.hpp"
#include "layers/model/schema.hpp"
#include "layers/store/store.hpp"

#include <cpl_conv.h>
#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogrsf_frmts.h>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>

namespace {

using nlohmann::json;
using onemap::testing::HttpConnection;
using onemap::testing::HttpResponse;
using onemap::testing::ServerProcess;
using onemap::testing::TempDir;
using namespace std::chrono_literals;
namespace bg = boost::geometry;

class FeaturesHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    store_path_ = onemap::testing::write_small_county(dir_->path());
    oracle_ = new onemap::layers::Dataset(onemap::layers::open_store(store_path_, false)->load());
    server_ = new ServerProcess(ONEMAP_BINARY,
                                {"--data", store_path_, "--write-token-file",
                                 onemap::testing::admin_token_file(dir_->path())},
                                dir_->path() + "/serve.log");
  }
  static void TearDownTestSuite() {
    if (server_) server_->stop(SIGTERM, 10s);
    delete server_;
    delete oracle_;
    delete dir_;
    server_ = nullptr;
    oracle_ = nullptr;
    dir_ = nullptr;
  }

  static HttpResponse get(const std::string& target) {
    return onemap::testing::http_get(server_->port(), target);
  }
  static json get_json(const std::string& target) {
    const HttpResponse r = get(target);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    return json::parse(r.body);
  }
  static std::string base() { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  // The path and query of an absolute link of this server.
  static std::string target_of(const std::string& href) {
    EXPECT_EQ(href.rfind(base(), 0), 0U) << href;
    return href.substr(base().size());
  }
  static void expect_error(const std::string& target, int status, const std::string& parameter) {
    const HttpResponse r = get(target);
    EXPECT_EQ(r.status, status) << target << ": " << r.body;
    const json j = json::parse(r.body);
    if (!parameter.empty()) {
      EXPECT_EQ(j["error"]["parameter"], parameter) << target << ": " << r.body;
    }
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

  static TempDir* dir_;
  static std::string store_path_;
  static onemap::layers::Dataset* oracle_;
  static ServerProcess* server_;
};
TempDir* FeaturesHttpTest::dir_ = nullptr;
std::string FeaturesHttpTest::store_path_;
onemap::layers::Dataset* FeaturesHttpTest::oracle_ = nullptr;
ServerProcess* FeaturesHttpTest::server_ = nullptr;

template <class T>
std::vector<int64_t> fids(const std::vector<T>& v, auto&& keep) {
  std::vector<int64_t> out;
  for (const auto& r : v)
    if (keep(r)) out.push_back(r.fid);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

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
  for (const auto& i : oracle_->incidents) {
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
  const auto want = fids(oracle_->households, [](const auto&) { return true; });
  EXPECT_EQ(ids, want);
  EXPECT_EQ(matched, want.size());
  EXPECT_EQ(pages, (want.size() + 3) / 4);

  // A filtered query: the next links keep the box.
  const double x0 = 120.05, y0 = 30.0, x1 = 120.3, y1 = 30.15;
  const auto in_box = fids(oracle_->households, [&](const auto& h) {
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
      fids(oracle_->grids, [&](const auto& g) { return bg::intersects(box, g.geometry); });
  const json page = get_json("/collections/grids/items?bbox=120.12,30.05,120.22,30.1&limit=100");
  std::vector<int64_t> got;
  for (const auto& f : page["features"]) {
    got.push_back(f["id"]);
    EXPECT_EQ(f["geometry"]["type"], "MultiPolygon");
  }
  EXPECT_EQ(got, want);

  // Incidents in a time window (closed interval), and open at either end.
  const int64_t t0 = oracle_->incidents[2].reported_at, t1 = oracle_->incidents[6].reported_at;
  const std::string a = onemap::layers::format_time(t0), b = onemap::layers::format_time(t1);
  auto ids = [&](const std::string& q) {
    std::vector<int64_t> out;
    const json result = get_json("/collections/incidents/items?limit=100&datetime=" + q);
    for (const auto& f : result["features"]) out.push_back(f["id"]);
    return out;
  };
  EXPECT_EQ(ids(a + "/" + b), fids(oracle_->incidents, [&](const auto& i) {
              return i.reported_at >= t0 && i.reported_at <= t1;
            }));
  EXPECT_EQ(ids("../" + b),
            fids(oracle_->incidents, [&](const auto& i) { return i.reported_at <= t1; }));
  EXPECT_EQ(ids(a + "/.."),
            fids(oracle_->incidents, [&](const auto& i) { return i.reported_at >= t0; }));
  EXPECT_EQ(ids(a), fids(oracle_->incidents, [&](const auto& i) { return i.reported_at == t0; }));
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
  ASSERT_EQ(page["features"].size(), oracle_->households.size());
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
  const auto& inc = oracle_->incidents[3];
  const json f = get_json("/collections/incidents/items/" + std::to_string(inc.fid));
  EXPECT_EQ(f["id"], inc.fid);
  EXPECT_EQ(f["properties"]["inc_id"], inc.id);
  EXPECT_DOUBLE_EQ(f["geometry"]["coordinates"][0].get<double>(), inc.location.lon);
  EXPECT_EQ(get("/collections/incidents/items/1").header("Content-Type"), "application/geo+json");

  expect_error("/collections/incidents/items/999999", 404, "");
  expect_error("/collections/incidents/items/abc", 404, "");
  expect_error("/collections/rivers/items", 404, "");
  expect_error("/collections/incidents/items?colour=red", 400, "colour");
  expect_error("/collections/incidents/items?limit=0", 400, "limit");
  expect_error("/collections/incidents/items?limit=ten", 400, "limit");
  expect_error("/collections/incidents/items?offset=-1", 400, "offset");
  expect_error("/collections/incidents/items?bbox=1,2,3", 400, "bbox");
  expect_error("/collections/incidents/items?bbox=120,31,121,30", 400, "bbox");
  expect_error("/collections/incidents/items?datetime=yesterday", 400, "datetime");
  expect_error("/collections/incidents/items?datetime=2026-02-01T00:00:00Z/2026-01-01T00:00:00Z",
               400, "datetime");
  expect_error("/collections/households/items?datetime=2026-01-01T00:00:00Z", 400, "datetime");
  expect_error("/collections?limit=3", 400, "limit");
  // A limit above the maximum is taken as the maximum.
  const json big = get_json("/collections/households/items?limit=50000");
  EXPECT_NE(link(big, "self").find("limit=10000"), std::string::npos);
}

TEST_F(FeaturesHttpTest, GdalsOapifDriverReadsEveryCollectionCompletely) {
  GDALAllRegister();
  // Signed in, as a desktop GIS user is (the workers collection is staff's): GDAL sends the
  // header with every request.
  const std::string auth = std::string("Authorization: Bearer ") + onemap::testing::kAdminToken;
  CPLSetConfigOption("GDAL_HTTP_HEADERS", auth.c_str());
  std::unique_ptr<GDALDataset> ds(GDALDataset::Open(
      ("OAPIF:" + base()).c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
  ASSERT_NE(ds, nullptr) << CPLGetLastErrorMsg();
  std::set<std::string> names;
  for (auto* layer : ds->GetLayers()) names.insert(layer->GetName());
  EXPECT_EQ(names,
            (std::set<std::string>{"grids", "households", "enterprises", "incidents", "workers"}));
  auto count = [&](const char* name,
                   const std::optional<onemap::spatial::Box>& spat = std::nullopt) {
    OGRLayer* l = ds->GetLayerByName(name);
    EXPECT_NE(l, nullptr) << name;
    if (!l) return std::vector<int64_t>{};
    if (spat)
      l->SetSpatialFilterRect(spat->min_corner().x(), spat->min_corner().y(),
                              spat->max_corner().x(), spat->max_corner().y());
    else
      l->SetSpatialFilter(nullptr);
    std::vector<int64_t> ids;
    for (const auto& f : *l) ids.push_back(f->GetFID());
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  auto all = [](const auto&) { return true; };
  EXPECT_EQ(count("grids"), fids(oracle_->grids, all));
  EXPECT_EQ(count("households"), fids(oracle_->households, all));
  EXPECT_EQ(count("enterprises"), fids(oracle_->enterprises, all));
  EXPECT_EQ(count("incidents"), fids(oracle_->incidents, all));
  EXPECT_EQ(count("workers"), fids(oracle_->workers, all));
  const onemap::spatial::Box box({120.05, 30.0}, {120.3, 30.15});
  EXPECT_EQ(count("households", box), fids(oracle_->households, [&](const auto& h) {
              return h.location.lon >= 120.05 && h.location.lon <= 120.3 &&
                     h.location.lat >= 30.0 && h.location.lat <= 30.15;
            }));

  // And ogr2ogr, the command line, copies every collection whole.
  const std::string out = dir_->path() + "/copy.gpkg";
  const auto r = onemap::testing::run_command({"/usr/bin/ogr2ogr", "--config", "GDAL_HTTP_HEADERS",
                                               auth, "-f", "GPKG", out, "OAPIF:" + base()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::unique_ptr<GDALDataset> copy(GDALDataset::Open(out.c_str(), GDAL_OF_VECTOR));
  ASSERT_NE(copy, nullptr);
  const std::map<std::string, std::size_t> counts = {{"grids", oracle_->grids.size()},
                                                     {"households", oracle_->households.size()},
                                                     {"enterprises", oracle_->enterprises.size()},
                                                     {"incidents", oracle_->incidents.size()},
                                                     {"workers", oracle_->workers.size()}};
  for (const auto& [name, n] : counts) {
    OGRLayer* l = copy->GetLayerByName(name.c_str());
    ASSERT_NE(l, nullptr) << name;
    EXPECT_EQ(l->GetFeatureCount(), static_cast<GIntBig>(n)) << name;
  }
  CPLSetConfigOption("GDAL_HTTP_HEADERS", nullptr);
}

TEST_F(FeaturesHttpTest, CoordinatesInEveryOfferedCrs) {
  const auto& h = oracle_->households[5];
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
  EXPECT_EQ(got, fids(oracle_->households, [&](const auto& r) {
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
  expect_error("/collections/households/items?crs=EPSG:2000", 400, "crs");
  expect_error("/collections/households/items?bbox-crs=EPSG:3857", 400, "bbox-crs");
  expect_error(item + "?bbox=1,2,3,4", 400, "bbox");
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
      for (const auto& g : oracle_->grids)
        if (codes.count(g.parent_code) && codes.insert(g.code).second) grew = true;
    }
    return codes;
  };
  const auto village = under("330521001002");
  EXPECT_EQ(ids_of(get_json("/collections/households/items?limit=100&area=village:330521001002")),
            fids(oracle_->households,
                 [&](const auto& h) { return village.count(h.join.grid_code) > 0; }));
  const auto town = under("330521002");
  EXPECT_EQ(ids_of(get_json("/collections/grids/items?limit=100&area=town:330521002")),
            fids(oracle_->grids, [&](const auto& g) { return town.count(g.code) > 0; }));
  EXPECT_EQ(town.size(), 7U);  // the town, 2 villages, 4 grids
  const json incidents =
      get_json("/collections/incidents/items?limit=100&area=grid:330521001001001");
  EXPECT_EQ(ids_of(incidents), fids(oracle_->incidents, [&](const auto& i) {
              return i.join.grid_code == "330521001001001";
            }));

  // near + radius.
  const double lon = 120.12, lat = 30.1, r = 6000;
  const auto got =
      ids_of(get_json("/collections/households/items?limit=100&near=120.12,30.1&radius=6000"));
  const std::set<int64_t> in(got.begin(), got.end());
  std::size_t compared = 0;
  for (const auto& h : oracle_->households) {
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
  const auto want = fids(oracle_->households, [&](const auto& h) {
    return bg::covered_by(onemap::spatial::Point(h.location.lon, h.location.lat), tri);
  });
  HttpConnection c(server_->port());
  const std::string body =
      json{{"type", "Feature"}, {"geometry", triangle}, {"properties", json::object()}}.dump();
  c.send_request(
      "POST", "/collections/households/items?limit=100",
      {"Content-Type: application/geo+json", "Content-Length: " + std::to_string(body.size())});
  c.send_raw(body);
  const HttpResponse posted = c.read_response();
  ASSERT_EQ(posted.status, 200) << posted.body;
  EXPECT_EQ(ids_of(json::parse(posted.body)), want);
  EXPECT_GT(want.size(), 5U);

  expect_error("/collections/households/items?area=town:999", 400, "area");
  expect_error("/collections/households/items?area=planet:1", 400, "area");
  expect_error("/collections/households/items?area=town", 400, "area");
  expect_error("/collections/households/items?near=120.1,30.1", 400, "radius");
  expect_error("/collections/households/items?radius=10", 400, "near");
  expect_error("/collections/households/items?near=120.1&radius=10", 400, "near");
  expect_error("/collections/households/items?near=120.1,30.1&radius=-5", 400, "radius");
  HttpConnection c2(server_->port());
  c2.send_request("POST", "/collections/households/items", {"Content-Length: 5"});
  c2.send_raw("{\"a\":");
  const HttpResponse bad = c2.read_response();
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body)["error"]["parameter"], "body");
  HttpConnection c3(server_->port());
  c3.send_request("POST", "/collections", {"Content-Length: 2"});
  c3.send_raw("{}");
  EXPECT_EQ(c3.read_response().status, 405);
}

TEST_F(FeaturesHttpTest, StatsEqualIndependentCountsFromTheItems) {
  // A window over part of the incidents, and the window of the same length before it.
  const int64_t t0 = oracle_->incidents[5].reported_at, t1 = oracle_->incidents[9].reported_at;
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
  expect_error("/collections/incidents/stats", 400, "datetime");
  expect_error("/collections/incidents/stats?datetime=2026-01-01T00:00:00Z/..", 400, "datetime");
  expect_error("/collections/incidents/stats?datetime=" + now + "&group_by=planet", 400,
               "group_by");
  expect_error("/collections/households/stats", 404, "");
}

TEST_F(FeaturesHttpTest, TheOpenApiDocumentValidatesAndListsEveryItemParameter) {
  const std::string node = ONEMAP_NODE;
  ASSERT_FALSE(node.empty() || node.ends_with("NOTFOUND")) << "node not found: run scripts/setup";
  const std::string validator =
      std::string(ONEMAP_SOURCE_DIR) + "/tests/browser/validate-openapi.mjs";
  const std::string doc = dir_->path() + "/api.json";
  std::ofstream(doc) << get("/api").body;
  const auto ok = onemap::testing::run_command({node, validator, doc});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  // The validator does reject a broken document (so the check above can fail).
  const std::string broken = dir_->path() + "/broken.json";
  std::ofstream(broken) << R"({"openapi":"3.0.3","paths":{"/x":{"get":{"responses":{"200":{}}}}}})";
  EXPECT_NE(onemap::testing::run_command({node, validator, broken}).exit_code, 0);

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

TEST_F(FeaturesHttpTest, FiltersMatchBruteForceAndGdalPushesThem) {
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
  const auto& inc = oracle_->incidents;
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
            fids(oracle_->households, [&](const auto& h) {
              return h.members >= 3 && h.location.lon >= 120 && h.location.lon <= 120.2 &&
                     h.location.lat >= 30 && h.location.lat <= 30.2;
            }));
  EXPECT_EQ(ids("grids", "level = 'village' AND area_m2 > 0"),
            fids(oracle_->grids,
                 [&](const auto& g) { return g.level == onemap::layers::GridLevel::Village; }));
  // Queryables as parameters: equality.
  EXPECT_EQ(ids_of(get_json("/collections/enterprises/items?risk=general&limit=100")),
            fids(oracle_->enterprises,
                 [](const auto& e) { return e.risk == onemap::layers::RiskLevel::General; }));
  // Personal fields are no queryables, so no filter can count persons by them.
  expect_error("/collections/households/items?filter=head_name%20%3D%20%27x%27", 400, "filter");
  expect_error("/collections/households/items?head_name=x", 400, "head_name");
  expect_error("/collections/incidents/items?filter=status%20%3D", 400, "filter");
  expect_error("/collections/incidents/items?filter-lang=cql2-json&filter=x", 400, "filter-lang");
  expect_error("/collections/enterprises/items?open_hazards=many", 400, "open_hazards");
  const json qs = get_json("/collections/households/queryables");
  std::set<std::string> names;
  for (const auto& [k, v] : qs["properties"].items()) names.insert(k);
  std::set<std::string> expected = public_household_fields();
  expected.insert("geometry");
  EXPECT_EQ(names, expected);

  // GDAL's OAPIF driver sends an attribute filter to the server (the request log shows filter=).
  GDALAllRegister();
  std::unique_ptr<GDALDataset> ds(
      GDALDataset::Open(("OAPIF:" + base()).c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
  ASSERT_NE(ds, nullptr);
  OGRLayer* l = ds->GetLayerByName("incidents");
  ASSERT_NE(l, nullptr);
  ASSERT_EQ(l->SetAttributeFilter("status = 'reported' AND category = '0101'"), OGRERR_NONE);
  std::vector<int64_t> got;
  for (const auto& f : *l) got.push_back(f->GetFID());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(
      got, fids(inc, [](const auto& i) { return i.status == "reported" && i.category == "0101"; }));
  // The request log is written by a thread of its own: wait for the lines.
  std::string log;
  for (int k = 0; k < 100; ++k) {
    log = server_->log();
    if (log.find("filter-lang=cql-text") != std::string::npos) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_NE(log.find("filter-lang=cql-text"), std::string::npos);
  EXPECT_NE(log.find("filter=(status%20%3D%20'reported')"), std::string::npos)
      << log.substr(log.size() > 3000 ? log.size() - 3000 : 0);
}

TEST_F(FeaturesHttpTest, PropertiesAndSortby) {
  // sortby: members descending, ties by feature id; the pages follow that order.
  std::vector<const onemap::layers::Household*> want;
  for (const auto& h : oracle_->households) want.push_back(&h);
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
  expect_error("/collections/households/items?properties=phone", 400, "properties");
  expect_error("/collections/households/items?sortby=head_name", 400, "sortby");
}
