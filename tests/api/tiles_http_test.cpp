// The tile endpoints in process, through the server's route table (tests/support/api_harness.hpp):
// TileJSON, gzip negotiation, ETag/304, empty tiles, errors naming the parameter, the metrics, and
// freshness: a write changes exactly the tiles it touches before it is acknowledged. Tile
// contents are decoded with GDAL's MVT driver and compared with the records (the oracle); tile
// numbers are computed here from the formulas. (A 204's framing over TCP: serve_test.cpp.)
#include "tests/support/api_harness.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/tiles.hpp"

#include "layers/county/county.hpp"
#include "layers/store/store.hpp"
#include "layers/tiles/tiles.hpp"
#include "spatial/tms.hpp"

#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogrsf_frmts.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <random>
#include <set>
#include <string>

namespace {

using nlohmann::json;
using namespace onemap::testing;

// Feature ids per MVT layer (GDAL gives the MVT feature id as the field mvt_id).
std::map<std::string, std::set<int64_t>> decode_ids(const std::string& dir, const Tile& t,
                                                    const std::string& bytes) {
  const auto ds = open_tile(dir, t, bytes);
  std::map<std::string, std::set<int64_t>> out;
  for (auto* layer : ds->GetLayers())
    for (const auto& f : *layer) out[layer->GetName()].insert(f->GetFieldAsInteger64("mvt_id"));
  return out;
}

// A write as the administrator unless told otherwise.
HttpResponse send(ApiHarness& api, const std::string& method, const std::string& target,
                  const std::string& body, bool with_token = true) {
  return api.send(method, target, body, with_token ? kAdminToken : "");
}

class TilesHttpTest : public SharedApi<TilesHttpTest> {
 protected:
  static HttpResponse get(const std::string& target, const std::vector<std::string>& headers = {}) {
    return api().get(target, "", headers);
  }
  static HttpResponse send(const std::string& method, const std::string& target,
                           const std::string& body, bool with_token = true) {
    return ::send(api(), method, target, body, with_token);
  }
};

}  // namespace

TEST_F(TilesHttpTest, TileJsonDescribesTheLayersAndPointsBackAtTheServer) {
  const HttpResponse r = get("/tiles/grids.village,incidents.json?offset=gcj02&status=reported");
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = json::parse(r.body);
  EXPECT_EQ(j["tilejson"], "3.0.0");
  const std::string tiles = j["tiles"][0];
  EXPECT_EQ(tiles,
            ApiHarness::base_url() +
                "/tiles/grids.village,incidents/{z}/{x}/{y}.mvt?offset=gcj02&status=reported");
  ASSERT_EQ(j["vector_layers"].size(), 2u);
  EXPECT_EQ(j["vector_layers"][0]["id"], "grids.village");
  EXPECT_EQ(j["vector_layers"][1]["id"], "incidents");
  EXPECT_TRUE(j["vector_layers"][1]["fields"].contains("count"));
  // Bounds: the fixture's rectangle shifted into GCJ-02 (a few hundred metres east/south here).
  const auto& b = j["bounds"];
  EXPECT_NEAR(b[0].get<double>(), 120.0, 0.01);
  EXPECT_NEAR(b[3].get<double>(), 30.2, 0.01);
  EXPECT_NE(b[0].get<double>(), 120.0);

  const json c = json::parse(get("/tiles/cgcs2000/grids.json").body);
  EXPECT_EQ(c["crs"], "EPSG:4490");
  EXPECT_EQ(c["minzoom"], 1);
  EXPECT_NE(c["tiles"][0].get<std::string>().find("/tiles/cgcs2000/grids/{z}/{x}/{y}.mvt"),
            std::string::npos);
}

TEST_F(TilesHttpTest, TilesHoldTheRecordsOfTheirArea) {
  // At zoom 14 incidents are individual points: the ids in the tile of an incident include it,
  // and every id GDAL decodes is an incident within the tile's reach.
  for (const auto& inc : oracle().incidents) {
    const Tile t = mercator_tile(inc.location.lon, inc.location.lat, 14);
    const HttpResponse r = get("/tiles/incidents/" + t.path() + ".mvt");
    ASSERT_EQ(r.status, 200) << t.path();
    const auto ids = decode_ids(api().dir().file("decode"), t, r.body);
    ASSERT_TRUE(ids.count("incidents"));
    EXPECT_TRUE(ids.at("incidents").count(inc.fid)) << inc.fid << " missing from " << t.path();
    for (int64_t id : ids.at("incidents")) {
      const auto& other = *std::find_if(oracle().incidents.begin(), oracle().incidents.end(),
                                        [&](const auto& i) { return i.fid == id; });
      const Tile o = mercator_tile(other.location.lon, other.location.lat, 14);
      EXPECT_LE(std::abs(o.x - t.x), 1);
      EXPECT_LE(std::abs(o.y - t.y), 1);
    }
  }
}

TEST_F(TilesHttpTest, GzipOnlyWhenAcceptedAndTheBytesAreTheSame) {
  const Tile t = mercator_tile(120.1, 30.1, 10);
  const std::string target = "/tiles/grids,households/" + t.path() + ".mvt";
  const HttpResponse plain = get(target);
  ASSERT_EQ(plain.status, 200);
  EXPECT_EQ(plain.header("Content-Type"), "application/vnd.mapbox-vector-tile");
  EXPECT_EQ(plain.header("Content-Encoding"), "");
  EXPECT_EQ(plain.header("Vary"), "Accept-Encoding, Authorization");
  for (const char* ae : {"gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.5", "*"}) {
    const HttpResponse z = get(target, {std::string("Accept-Encoding: ") + ae});
    SCOPED_TRACE(ae);
    ASSERT_EQ(z.status, 200);
    EXPECT_EQ(z.header("Content-Encoding"), "gzip");
    EXPECT_EQ(gunzip(z.body), plain.body);
    EXPECT_NE(z.header("ETag"), plain.header("ETag"));
  }
  for (const char* ae : {"identity", "gzip;q=0", "deflate, br", "*;q=0"}) {
    const HttpResponse r = get(target, {std::string("Accept-Encoding: ") + ae});
    SCOPED_TRACE(ae);
    EXPECT_EQ(r.header("Content-Encoding"), "");
    EXPECT_EQ(r.body, plain.body);
  }
}

TEST_F(TilesHttpTest, EtagRevalidationAnswers304) {
  const Tile t = mercator_tile(120.1, 30.1, 11);
  const std::string target = "/tiles/grids.grid/" + t.path() + ".mvt";
  const HttpResponse r = get(target);
  ASSERT_EQ(r.status, 200);
  const std::string etag = r.header("ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(r.header("Cache-Control"), "no-cache");
  const HttpResponse same = get(target, {"If-None-Match: " + etag});
  EXPECT_EQ(same.status, 304);
  EXPECT_TRUE(same.body.empty());
  EXPECT_EQ(same.header("ETag"), etag);
  EXPECT_EQ(get(target, {"If-None-Match: \"other\", W/" + etag}).status, 304);
  EXPECT_EQ(get(target, {"If-None-Match: \"other\""}).status, 200);
}

TEST_F(TilesHttpTest, AnEmptyTileIs204) {
  const HttpResponse r = get("/tiles/grids,households/12/100/100.mvt");  // far from the county
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.body.empty());
}

TEST_F(TilesHttpTest, BadRequestsName400TheirParameter) {
  const HttpResponse bad_zoom = get("/tiles/grids/25/0/0.mvt");
  expect_error(bad_zoom, 400, "invalid_parameter", "z");
  EXPECT_EQ(bad_zoom.header("Access-Control-Allow-Origin"), "*");  // pages can read the error
  expect_errors(
      api(), {
                 {"/tiles/grids/3/8/0.mvt", 400, "invalid_parameter", "x"},
                 {"/tiles/grids/3/0/8.mvt", 400, "invalid_parameter", "y"},
                 // The 'c' set starts at 1, with 2 x 1 tiles at zoom 1.
                 {"/tiles/cgcs2000/grids/0/0/0.mvt", 400, "invalid_parameter", "z"},
                 {"/tiles/cgcs2000/grids/1/0/1.mvt", 400, "invalid_parameter", "y"},
                 {"/tiles/grids/3/a/0.mvt", 400, "invalid_parameter", "x"},
                 {"/tiles/parcels/3/0/0.mvt", 400, "invalid_parameter", "layers"},
                 {"/tiles/grids,grids/3/0/0.mvt", 400, "invalid_parameter", "layers"},
                 {"/tiles/grids/3/0/0.mvt?colour=red", 400, "invalid_parameter", "colour"},
                 {"/tiles/grids/3/0/0.mvt?offset=bd09", 400, "invalid_parameter", "offset"},
                 {"/tiles/grids/3/0/0.mvt?status=closed", 400, "invalid_parameter", "status"},
                 {"/tiles/incidents/3/0/0.mvt?since=yesterday", 400, "invalid_parameter", "since"},
                 {"/tiles/incidents/3/0/0.mvt?since=2026-01-02&until=2026-01-01", 400,
                  "invalid_parameter", "until"},
                 {"/tiles/grids/3/0.mvt", 404, "not_found", ""},
             });
}

TEST_F(TilesHttpTest, WritesNeedTheToken) {
  expect_error(send("POST", "/incidents", R"({"lon":120.1,"lat":30.1,"category":"0101"})", false),
               401, "unauthorized");
  expect_error(send("POST", "/incidents", R"({"lon":120.1,"category":"0101"})"), 400,
               "invalid_parameter", "lat");
  expect_error(send("POST", "/incidents", R"({"lon":120.1,"lat":30.1})"), 400, "invalid_parameter",
               "category");
  expect_error(
      send("POST", "/incidents", R"({"lon":120.1,"lat":30.1,"category":"0101","colour":1})"), 400,
      "invalid_parameter", "colour");
  expect_error(send("PATCH", "/incidents/999999", R"({"description":"gone"})"), 404, "not_found");
  expect_error(send("PATCH", "/incidents/1", R"({"status":"lost"})"), 400, "invalid_parameter",
               "status");
}

TEST_F(TilesHttpTest, AWriteChangesExactlyTheTilesItTouchesBeforeItIsAcknowledged) {
  const double lon = 120.123, lat = 30.111;
  const Tile t = mercator_tile(lon, lat, 15);
  const Tile far = mercator_tile(120.35, 30.05, 15);
  const Tile low = mercator_tile(lon, lat, 9);  // clustered: the count there changes too
  const std::string a = "/tiles/incidents/" + t.path() + ".mvt";
  const std::string b = "/tiles/incidents/" + far.path() + ".mvt";
  const std::string c = "/tiles/incidents,grids/" + low.path() + ".mvt";
  const std::string accepted = "/tiles/incidents/" + t.path() + ".mvt?status=accepted";
  const HttpResponse a0 = get(a), b0 = get(b), c0 = get(c), d0 = get(accepted);

  const HttpResponse created =
      send("POST", "/incidents", json{{"lon", lon}, {"lat", lat}, {"category", "0101"}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const json inc = json::parse(created.body);
  const int64_t id = inc["id"];
  EXPECT_EQ(inc["status"], "dispatched");  // routed at intake (no team there: the grid's queue)
  EXPECT_EQ(inc["grid_code"],
            "330521001002001");  // 120.123: town 1 [120, 120.2], village 2, grid 1
  EXPECT_EQ(created.header("Location"), "/incidents/" + std::to_string(id));

  const HttpResponse a1 = get(a), b1 = get(b), c1 = get(c), d1 = get(accepted);
  EXPECT_NE(a1.header("ETag"), a0.header("ETag"));
  EXPECT_TRUE(decode_ids(api().dir().file("w1"), t, a1.body).at("incidents").count(id));
  EXPECT_EQ(b1.header("ETag"), b0.header("ETag"));  // far away: untouched
  EXPECT_NE(c1.header("ETag"), c0.header("ETag"));  // the cluster count there went up
  EXPECT_EQ(d1.status, d0.status);  // a dispatched incident is not in the accepted view
  EXPECT_EQ(d1.header("ETag"), d0.header("ETag"));

  // Accepting it (the state changes only by the loop's actions) changes the accepted view; moving
  // it far away takes it out of its old tile.
  ASSERT_EQ(send("POST", "/incidents/" + std::to_string(id) + "/actions", R"({"action":"accept"})")
                .status,
            200);
  const HttpResponse d2 = get(accepted);
  ASSERT_EQ(d2.status, 200);
  EXPECT_TRUE(decode_ids(api().dir().file("w2"), t, d2.body).at("incidents").count(id));
  ASSERT_EQ(
      send("PATCH", "/incidents/" + std::to_string(id), R"({"lon":120.35,"lat":30.05})").status,
      200);
  const HttpResponse a3 = get(a), b3 = get(b);
  const auto ids = a3.status == 200 ? decode_ids(api().dir().file("w3"), t, a3.body)
                                    : decltype(decode_ids("", t, "")){};
  EXPECT_FALSE(ids.count("incidents") && ids.at("incidents").count(id));
  EXPECT_NE(b3.header("ETag"), b0.header("ETag"));
  EXPECT_TRUE(decode_ids(api().dir().file("w4"), far, b3.body).at("incidents").count(id));

  // The store has it too (the write was durable before the answer).
  const auto stored = api().read_store();
  const auto it = std::find_if(stored.incidents.begin(), stored.incidents.end(),
                               [&](const auto& i) { return i.fid == id; });
  ASSERT_NE(it, stored.incidents.end());
  EXPECT_EQ(it->status, "accepted");
  EXPECT_DOUBLE_EQ(it->location.lon, 120.35);

  const std::string metrics = get("/metrics").body;
  EXPECT_NE(metrics.find("# TYPE onemap_tile_build_seconds histogram"), std::string::npos);
  const auto pos = metrics.find("\nonemap_tile_cache_invalidations_total ");
  ASSERT_NE(pos, std::string::npos);
  EXPECT_GE(std::stol(metrics.substr(pos + 39)), 4);
}

TEST(TilesWithoutToken, WritesWithAnUnknownTokenAreRefused) {
  ApiOptions options;
  options.admin_token = "";
  ApiHarness api(write_small_county, options);
  const std::string body = R"({"lon":120.1,"lat":30.1,"category":"0101"})";
  // No administrator's token and no user holds this one.
  EXPECT_EQ(api.send("POST", "/incidents", body, "anything", "").status, 401);
}

// ---- writes of every layer and the tiles they change -------------------------------------------

namespace {

// Per MVT layer, feature id → its attributes as text (GDAL's MVT driver).
std::map<std::string, std::map<int64_t, std::map<std::string, std::string>>> decode_features(
    const std::string& dir, const Tile& t, const std::string& bytes) {
  const auto ds = open_tile(dir, t, bytes);
  std::map<std::string, std::map<int64_t, std::map<std::string, std::string>>> out;
  for (auto* layer : ds->GetLayers())
    for (const auto& f : *layer) {
      auto& attrs = out[layer->GetName()][f->GetFieldAsInteger64("mvt_id")];
      for (int i = 0; i < f->GetFieldCount(); ++i)
        if (f->IsFieldSetAndNotNull(i))
          attrs[f->GetFieldDefnRef(i)->GetNameRef()] = f->GetFieldAsString(i);
    }
  return out;
}

// A county of its own per test (these tests change the data).
class WritesHttpTest : public ::testing::Test {
 protected:
  HttpResponse get(const std::string& target, const std::vector<std::string>& headers = {}) {
    return api_.get(target, "", headers);
  }
  HttpResponse send(const std::string& method, const std::string& target, const std::string& body,
                    bool with_token = true) {
    return ::send(api_, method, target, body, with_token);
  }
  std::string etag(const std::string& target) { return get(target).header("ETag"); }
  // A tile the last write did not touch: still in the cache, same ETag.
  void expect_kept(const std::string& target, const std::string& etag_before) {
    const HttpResponse r = get(target);
    EXPECT_EQ(r.header("X-Cache"), "hit") << target;
    EXPECT_EQ(r.header("ETag"), etag_before) << target;
  }

  ApiHarness api_;
};

}  // namespace

TEST_F(WritesHttpTest, HouseholdWritesChangeTheTilesThatShowWhatChanged) {
  const double lon = 120.123, lat = 30.111;
  const Tile near = mercator_tile(lon, lat, 16);  // households one by one (cluster zoom 15)
  const Tile low = mercator_tile(lon, lat, 12);   // clustered
  const Tile far = mercator_tile(120.35, 30.05, 16);
  const std::string a = "/tiles/households/" + near.path() + ".mvt";
  const std::string b = "/tiles/households/" + low.path() + ".mvt";
  const std::string c = "/tiles/households/" + far.path() + ".mvt";
  // Something in the far tile, so that an unchanged ETag there means something.
  ASSERT_EQ(send("POST", "/households", json{{"lon", 120.35}, {"lat", 30.05}}.dump()).status, 201);
  const std::string a0 = etag(a), b0 = etag(b), c0 = etag(c);
  ASSERT_FALSE(c0.empty());

  const HttpResponse made =
      send("POST", "/households",
           json{{"lon", lon}, {"lat", lat}, {"members", 4}, {"head_name", "王五"}}.dump());
  ASSERT_EQ(made.status, 201) << made.body;
  const json h = json::parse(made.body);
  const int64_t id = h["id"];
  EXPECT_EQ(h["grid_code"], "330521001002001");
  EXPECT_EQ(made.header("Location"), "/households/" + std::to_string(id));
  const HttpResponse a1 = get(a);
  EXPECT_NE(a1.header("ETag"), a0);
  const auto feats = decode_features(api_.dir().file("h1"), near, a1.body);
  ASSERT_TRUE(feats.at("households").count(id));
  EXPECT_EQ(feats.at("households").at(id).at("members"), "4");
  EXPECT_FALSE(feats.at("households").at(id).count("head_name"));  // never in tiles
  const std::string b1 = etag(b);
  EXPECT_NE(b1, b0);  // one more in a cluster
  expect_kept(c, c0);

  // members is in the z16 tile, not in the clusters; a name is in no tile.
  ASSERT_EQ(send("PATCH", "/households/" + std::to_string(id), R"({"members":6})").status, 200);
  const HttpResponse a2 = get(a);
  EXPECT_NE(a2.header("ETag"), a1.header("ETag"));
  EXPECT_EQ(
      decode_features(api_.dir().file("h2"), near, a2.body).at("households").at(id).at("members"),
      "6");
  expect_kept(b, b1);
  ASSERT_EQ(send("PATCH", "/households/" + std::to_string(id), R"({"head_name":"赵六"})").status,
            200);
  expect_kept(a, a2.header("ETag"));

  // Personal data: read with the token only.
  EXPECT_EQ(get("/households/" + std::to_string(id)).status, 401);
  const HttpResponse read = get("/households/" + std::to_string(id), {bearer(kAdminToken)});
  ASSERT_EQ(read.status, 200);
  EXPECT_EQ(json::parse(read.body)["head_name"], "赵六");

  // Bad input names its field and changes nothing.
  expect_error(send("PATCH", "/households/" + std::to_string(id), R"({"members":-2})"), 400,
               "invalid_parameter", "members");
  expect_error(send("PATCH", "/households/" + std::to_string(id), R"({"members":"two"})"), 400,
               "invalid_parameter", "members");
  expect_error(send("POST", "/households", R"({"members":2})"), 400, "invalid_parameter", "lon");
  expect_error(send("POST", "/households", R"({"lon":120.1,"lat":30.1,"name":"x"})"), 400,
               "invalid_parameter", "name");
  expect_error(send("PATCH", "/households/999999", R"({"members":1})"), 404, "not_found");
  expect_error(send("GET", "/households", ""), 405, "method_not_allowed");
  expect_kept(a, a2.header("ETag"));
}

TEST_F(WritesHttpTest, EnterpriseWritesChangeTheirTiles) {
  const double lon = 120.26, lat = 30.15;
  const Tile near = mercator_tile(lon, lat, 14);  // one by one above zoom 11
  const Tile low = mercator_tile(lon, lat, 10);   // clustered
  const std::string a = "/tiles/enterprises/" + near.path() + ".mvt";
  const std::string b = "/tiles/enterprises/" + low.path() + ".mvt";
  const std::string a0 = etag(a), b0 = etag(b);
  const HttpResponse made =
      send("POST", "/enterprises",
           json{{"lon", lon}, {"lat", lat}, {"name", "新厂"}, {"risk", "重大"}}.dump());
  ASSERT_EQ(made.status, 201) << made.body;
  const int64_t id = json::parse(made.body)["id"];
  EXPECT_EQ(json::parse(made.body)["risk"], "major");
  const HttpResponse a1 = get(a);
  EXPECT_NE(a1.header("ETag"), a0);
  EXPECT_EQ(
      decode_features(api_.dir().file("e1"), near, a1.body).at("enterprises").at(id).at("risk"),
      "major");
  const std::string b1 = etag(b);
  EXPECT_NE(b1, b0);

  ASSERT_EQ(send("PATCH", "/enterprises/" + std::to_string(id), R"({"risk":"low"})").status, 200);
  const HttpResponse a2 = get(a);
  EXPECT_NE(a2.header("ETag"), a1.header("ETag"));
  EXPECT_EQ(
      decode_features(api_.dir().file("e2"), near, a2.body).at("enterprises").at(id).at("risk"),
      "low");
  expect_kept(b, b1);  // clusters do not show risk
  // Enterprises are not personal: anyone may read one.
  EXPECT_EQ(json::parse(get("/enterprises/" + std::to_string(id)).body)["risk"], "low");
  expect_error(send("PATCH", "/enterprises/" + std::to_string(id), R"({"risk":"purple"})"), 400,
               "invalid_parameter", "risk");
  expect_error(send("PATCH", "/enterprises/" + std::to_string(id), R"({"risk":"low"})", false), 401,
               "unauthorized");
}

TEST_F(WritesHttpTest, AGridOutlineChangeRedrawsTheGridAndThePointsItJoinsAgain) {
  // Grid 330521001001001 is [120.0, 120.05] x [30.0, 30.2] and fid 4 in the small county's
  // order (county, town, village, grid). A household at 120.047 is inside it; once the grid
  // shrinks to [120.0, 120.03] it is 290 m from grid ...002 ([120.05, 120.1]) and joins that one.
  const HttpResponse made =
      send("POST", "/households", json{{"lon", 120.047}, {"lat", 30.1}, {"members", 2}}.dump());
  ASSERT_EQ(made.status, 201) << made.body;
  const int64_t hid = json::parse(made.body)["id"];
  ASSERT_EQ(json::parse(made.body)["grid_code"], "330521001001001");
  const json grid = json::parse(get("/grids/4").body);
  ASSERT_EQ(grid["code"], "330521001001001");

  const Tile strip = mercator_tile(120.047, 30.1, 16);
  const Tile west = mercator_tile(120.01, 30.1, 16);  // stays inside the grid
  const Tile grids = mercator_tile(120.04, 30.1, 12);
  const Tile far_grids = mercator_tile(120.35, 30.1, 13);
  const std::string s = "/tiles/households/" + strip.path() + ".mvt";
  const std::string w = "/tiles/households/" + west.path() + ".mvt";
  const std::string g = "/tiles/grids.grid/" + grids.path() + ".mvt";
  const std::string f = "/tiles/grids.grid/" + far_grids.path() + ".mvt";
  // A household where the grid stays, so that the tile there has content to keep.
  ASSERT_EQ(send("POST", "/households", json{{"lon", 120.01}, {"lat", 30.1}}.dump()).status, 201);
  const std::string s0 = etag(s), w0 = etag(w), g0 = etag(g), f0 = etag(f);
  ASSERT_FALSE(w0.empty());
  ASSERT_FALSE(f0.empty());

  const json outline = {
      {"type", "Polygon"},
      {"coordinates",
       {{{120.0, 30.0}, {120.03, 30.0}, {120.03, 30.2}, {120.0, 30.2}, {120.0, 30.0}}}}};
  const HttpResponse changed = send("PATCH", "/grids/4", json{{"geometry", outline}}.dump());
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_LT(json::parse(changed.body)["area_m2"].get<double>(), grid["area_m2"].get<double>());

  const HttpResponse s1 = get(s);
  EXPECT_NE(s1.header("ETag"), s0);
  const auto attrs =
      decode_features(api_.dir().file("g1"), strip, s1.body).at("households").at(hid);
  EXPECT_EQ(attrs.at("grid_code"), "330521001001002");
  expect_kept(w, w0);  // its households kept their grid
  EXPECT_NE(etag(g), g0);
  expect_kept(f, f0);
  const json h = json::parse(get("/households/" + std::to_string(hid), {bearer(kAdminToken)}).body);
  EXPECT_EQ(h["grid_code"], "330521001001002");
  EXPECT_EQ(h["join_kind"], "nearest");

  // Refused: an invalid outline, the hierarchy fields, non-polygons; each names its field.
  const json bowtie = {
      {"type", "Polygon"},
      {"coordinates",
       {{{120.0, 30.0}, {120.05, 30.2}, {120.05, 30.0}, {120.0, 30.2}, {120.0, 30.0}}}}};
  expect_error(send("PATCH", "/grids/4", json{{"geometry", bowtie}}.dump()), 400,
               "invalid_parameter", "geometry");
  expect_error(send("PATCH", "/grids/4",
                    json{{"geometry", {{"type", "Point"}, {"coordinates", {120, 30}}}}}.dump()),
               400, "invalid_parameter", "geometry");
  expect_error(send("PATCH", "/grids/4", R"({"geometry":{"type":"Polygon","coordinates":"x"}})"),
               400, "invalid_parameter", "geometry");
  expect_error(send("PATCH", "/grids/4", R"({"code":"1"})"), 400, "invalid_parameter", "code");
  expect_error(send("POST", "/grids", "{}"), 404, "not_found");
  expect_kept(g, etag(g));
}

// The cache looks only at the cached tiles around a point's old and new positions: after each of
// many writes near tile edges (where a point reaches a neighbour through the buffer), in both
// matrix sets, with and without the GCJ-02 offset, at clustered and unclustered zooms, every
// tile served equals a fresh build from the county's data: none kept that changed.
TEST_F(WritesHttpTest, AfterWritesNearTileEdgesEveryServedTileEqualsAFreshBuild) {
  namespace L = onemap::layers;
  using onemap::spatial::TileId;
  using onemap::spatial::TileMatrixSet;
  const double lon0 = 120.123, lat0 = 30.111;
  struct Cached {
    const TileMatrixSet* tms;
    bool gcj02;
    TileId tile;
    std::string target;
  };
  // A 3 x 3 block of tiles around the centre per matrix set, offset and zoom (tile numbers from
  // the formulas: slippy map, and the CGCS2000 set's 360/2^z-degree tiles from (-180, 90)).
  std::vector<Cached> tiles;
  for (const TileMatrixSet* tms : {&TileMatrixSet::web_mercator(), &TileMatrixSet::cgcs2000()})
    for (bool gcj02 : {false, true})
      for (int z : {9, 12, 15, 17}) {
        const bool cgcs = tms->kind() == TileMatrixSet::Kind::Cgcs2000;
        const double side = 360.0 / std::pow(2.0, z);
        const Tile home = cgcs ? Tile{z, static_cast<int>((lon0 + 180) / side),
                                      static_cast<int>((90 - lat0) / side)}
                               : mercator_tile(lon0, lat0, z);
        for (int dx = -1; dx <= 1; ++dx)
          for (int dy = -1; dy <= 1; ++dy) {
            const Tile t{z, home.x + dx, home.y + dy};
            tiles.push_back({tms, gcj02,
                             TileId{static_cast<uint32_t>(z), static_cast<uint32_t>(t.x),
                                    static_cast<uint32_t>(t.y)},
                             std::string("/tiles/") + (cgcs ? "cgcs2000/" : "") +
                                 "incidents,households/" + t.path() + ".mvt" +
                                 (gcj02 ? "?offset=gcj02" : "")});
          }
      }
  L::County& county = api_.county();
  const L::TileConfig& config = county.tiles().config();
  const std::vector<const L::TileLayerConfig*> layers = {config.find("incidents"),
                                                         config.find("households")};
  ASSERT_TRUE(layers[0] && layers[1]);
  std::size_t kept = 0;  // tiles served from the cache after a write
  auto expect_fresh = [&](const std::string& after) {
    for (const Cached& c : tiles) {
      const HttpResponse r = get(c.target);
      ASSERT_TRUE(r.status == 200 || r.status == 204) << c.target << ": " << r.status;
      kept += r.header("X-Cache") == "hit";
      L::TileRequest rq;
      rq.tms = c.tms;
      rq.tile = c.tile;
      rq.gcj02 = c.gcj02;
      rq.layers = layers;
      std::string fresh;
      {
        auto lock = county.read();
        fresh = county.tiles().build(county.data(), rq);
      }
      ASSERT_EQ(r.body, fresh) << c.target << " after " << after;
    }
  };
  expect_fresh("nothing");  // every tile cached
  kept = 0;

  // Positions within the block of z17 tiles around the centre: half uniform, half within two
  // buffers of a z17 tile's west edge (a point there reaches the tiles on both sides).
  std::mt19937_64 rng(20261207);
  std::uniform_real_distribution<double> jitter(-0.004, 0.004);
  const double side17 = 360.0 / std::pow(2.0, 17);
  const double buffer_deg = side17 * config.buffer / config.extent;
  std::uniform_real_distribution<double> near_edge(-2 * buffer_deg, 2 * buffer_deg);
  auto position = [&](int i) {
    double lon = lon0 + jitter(rng);
    if (i % 2) lon = std::floor((lon + 180) / side17) * side17 - 180 + near_edge(rng);
    return json{{"lon", lon}, {"lat", lat0 + jitter(rng)}};
  };
  std::vector<std::string> incidents, households;
  for (int i = 0; i < 24; ++i) {
    std::string what;
    json body = position(i);
    HttpResponse r;
    switch (i % 4) {
      case 0:
      case 1:
        body["category"] = "0101";
        r = send("POST", "/incidents", body.dump());
        incidents.push_back("/incidents/" +
                            std::to_string(json::parse(r.body)["id"].get<int64_t>()));
        what = "a new incident at " + body.dump();
        break;
      case 2:
        r = send("POST", "/households", body.dump());
        households.push_back("/households/" +
                             std::to_string(json::parse(r.body)["id"].get<int64_t>()));
        what = "a new household at " + body.dump();
        break;
      case 3:  // moves: an incident and a household made earlier
        what = incidents[i % incidents.size()] + " and " + households.back() + " moved to " +
               body.dump();
        r = send("PATCH", incidents[i % incidents.size()], body.dump());
        ASSERT_EQ(r.status, 200) << r.body;
        r = send("PATCH", households.back(), position(i).dump());
        break;
    }
    ASSERT_TRUE(r.status == 200 || r.status == 201) << what << ": " << r.body;
    expect_fresh(what);
    if (HasFatalFailure()) return;
  }
  // Not everything was dropped each time: the test sees the cache keep tiles as well.
  EXPECT_GT(kept, tiles.size() * 24 / 4);
}
