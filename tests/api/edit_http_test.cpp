// OGC API - Features Part 4 against the real `onemap serve`: features of county layers (points and
// polygons) and of the enterprises created, read back (the item, the items, the statistics by
// grid), replaced, updated by merge patch and deleted; If-Match (412 and nothing changed),
// If-None-Match; who may edit (roles, area scope, a field's audience); the history of each record;
// the tiles an edit changes; OPTIONS per requester; the conformance classes; an acknowledged
// edit surviving SIGKILL.
#include "tests/support/boost_geometry.hpp"  // first: before anything brings in Boost

#include "tests/support/expect_error.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/tiles.hpp"

#include "layers/store/store.hpp"

#include <ogrsf_frmts.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

namespace {

using nlohmann::json;
using namespace onemap;
using namespace onemap::testing;
namespace bg = spatial::bg;

const char* kPart4Classes[] = {
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/req/optimistic-locking-etags",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features"};

json point_feature(double lon, double lat, json properties) {
  return {{"type", "Feature"},
          {"geometry", {{"type", "Point"}, {"coordinates", {lon, lat}}}},
          {"properties", std::move(properties)}};
}

json rectangle_feature(double x0, double y0, double x1, double y1, json properties) {
  return {{"type", "Feature"},
          {"geometry",
           {{"type", "Polygon"},
            {"coordinates", {{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}}},
          {"properties", std::move(properties)}};
}

class Edits : public SharedServer<Edits> {
 public:
  // Command-centre users read staff fields only, so that one may meet a personal field.
  static std::vector<std::string> extra_args() {
    const std::string policy = dir().file("read_policy.json");
    std::ofstream(policy) << json{{"roles",
                                   {{"admin", {{"audience", "personal"}, {"detail", "county"}}},
                                    {"centre", {{"audience", "staff"}, {"detail", "scope"}}},
                                    {"department", {{"audience", "staff"}, {"detail", "county"}}},
                                    {"worker", {{"audience", "staff"}, {"detail", "scope"}}},
                                    {"reporter", {{"audience", "public"}}},
                                    {"feed", {{"audience", "public"}}}}},
                                  {"layers",
                                   {{"grids", {{"audience", "public"}}},
                                    {"households", {{"audience", "public"}}},
                                    {"enterprises", {{"audience", "public"}}},
                                    {"incidents", {{"audience", "public"}}},
                                    {"workers", {{"audience", "staff"}}}}}}
                                 .dump();
    return {"--read-policy", policy};
  }
  static void SetUpTestSuite() {
    SharedServer<Edits>::SetUpTestSuite();
    auto add = [](std::vector<std::string> args) {
      const CommandResult r = run_user_command(store_path(), std::move(args));
      EXPECT_EQ(r.exit_code, 0) << r.err;
      return r.out;
    };
    centre_ = add({"add", "--id", "c1", "--role", "centre", "--scope", "330521001"});
    department_ = add({"add", "--id", "d1", "--role", "department", "--scope", "水利"});
    feeder_ = add({"add", "--id", "f1", "--role", "feed", "--scope", "cams"});
    HttpConnection c(port());
    make_layer(c, "cams", "point",
               json::array({{{"name", "code"}, {"audience", "public"}},
                            {{"name", "status"}, {"audience", "public"}, {"tile_minzoom", 0}},
                            {{"name", "height"}, {"type", "integer"}, {"audience", "public"}},
                            {{"name", "keeper_phone"}, {"audience", "personal"}}}));
    make_layer(c, "zones", "polygon", json::array({{{"name", "code"}, {"audience", "public"}}}));
  }

 protected:
  static void make_layer(Client& c, const std::string& name, const std::string& geometry,
                         const json& fields) {
    const json def = {{"geometry", geometry}, {"id_field", "code"}, {"fields", fields}};
    const HttpResponse r = c.send("PUT", "/admin/layers/" + name, def.dump(), kAdminToken);
    ASSERT_EQ(r.status, 201) << r.body;
  }
  static HttpResponse send(const std::string& method, const std::string& target, const json& body,
                           const std::string& token = kAdminToken,
                           std::vector<std::string> headers = {},
                           const std::string& type = "application/geo+json") {
    HttpConnection c(port());
    return c.send(method, target, body.is_null() ? "" : body.dump(), token, type,
                  std::move(headers));
  }
  static HttpResponse get(const std::string& target, const std::string& token = kAdminToken,
                          std::vector<std::string> headers = {}) {
    HttpConnection c(port());
    return c.get(target, token, std::move(headers));
  }
  // The grid of the small county holding a point, by brute force over its grids.
  static std::string grid_of(double lon, double lat) {
    for (const auto& g : oracle().grids)
      if (g.level == layers::GridLevel::Grid && bg::within(spatial::Point(lon, lat), g.geometry))
        return g.code;
    return "";
  }
  // The counts of the statistics by grid of a layer, by grid code.
  static std::map<std::string, int64_t> counts_by_grid(const std::string& layer) {
    const HttpResponse r = get("/collections/" + layer + "/stats?group_by=grid");
    EXPECT_EQ(r.status, 200) << r.body;
    std::map<std::string, int64_t> out;
    const json stats = r.json();
    for (const auto& g : stats["groups"]) out[g["code"]] = g["count"];
    return out;
  }
  static json history(const std::string& layer, int64_t fid) {
    const HttpResponse r =
        get("/collections/" + layer + "/items/" + std::to_string(fid) + "/history");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }

  static inline std::string centre_, department_, feeder_;
};

TEST_F(Edits, AFeatureOfACountyLayerIsCreatedReplacedUpdatedAndDeleted) {
  const double lon = 120.031, lat = 30.031;
  const json sent = point_feature(lon, lat, {{"code", "A1"}, {"status", "on"}, {"height", 3}});
  const HttpResponse created = send("POST", "/collections/cams/items", sent);
  ASSERT_EQ(created.status, 201) << created.body;
  const int64_t fid = created.json()["id"];
  const std::string item = "/collections/cams/items/" + std::to_string(fid);
  EXPECT_EQ(created.header("location"), item);
  const std::string etag = created.header("etag");
  EXPECT_FALSE(etag.empty());
  EXPECT_EQ(created.json()["properties"]["status"], "on");

  // Read back: the item with the same ETag, among the items, counted in its grid.
  const HttpResponse read = get(item, "");
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.header("etag"), etag);
  EXPECT_EQ(read.json()["properties"]["height"], 3);
  EXPECT_EQ(read.json()["properties"]["grid_code"], grid_of(lon, lat));
  EXPECT_EQ(get(item, "", {"If-None-Match: " + etag}).status, 304);
  std::set<int64_t> ids;
  const json listed = get("/collections/cams/items?limit=1000").json();
  for (const auto& f : listed["features"]) ids.insert(f["id"].get<int64_t>());
  EXPECT_TRUE(ids.count(fid));
  const auto before = counts_by_grid("cams");
  EXPECT_GE(before.at(grid_of(lon, lat)), 1);

  // Replace: a property left out is null; the ETag changes; a GET shows it back.
  json replacement = read.json();
  replacement["properties"] = {{"code", "A1"}, {"status", "off"}};
  const HttpResponse replaced = send("PUT", item, replacement);
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  EXPECT_NE(replaced.header("etag"), etag);
  EXPECT_TRUE(replaced.json()["properties"]["height"].is_null());
  EXPECT_EQ(get(item).json()["properties"]["status"], "off");

  // Update by merge patch: named properties change, null unsets, the rest stays; a new place.
  const HttpResponse patched =
      send("PATCH", item,
           {{"properties", {{"height", 7}, {"status", nullptr}}},
            {"geometry", {{"type", "Point"}, {"coordinates", {120.251, 30.151}}}}},
           kAdminToken, {"If-Match: " + replaced.header("etag")}, "application/merge-patch+json");
  ASSERT_EQ(patched.status, 200) << patched.body;
  const json now = get(item).json();
  EXPECT_EQ(now["properties"]["height"], 7);
  EXPECT_TRUE(now["properties"]["status"].is_null());
  EXPECT_EQ(now["properties"]["code"], "A1");
  EXPECT_EQ(now["properties"]["grid_code"], grid_of(120.251, 30.151));
  const auto after_move = counts_by_grid("cams");
  EXPECT_EQ(
      after_move.count(grid_of(120.251, 30.151)) ? after_move.at(grid_of(120.251, 30.151)) : 0,
      (before.count(grid_of(120.251, 30.151)) ? before.at(grid_of(120.251, 30.151)) : 0) + 1);

  // The id field is the feed's key: an update may not change it, nor may a create take one.
  expect_error(send("PATCH", item, {{"properties", {{"code", "B1"}}}}), 400, "invalid_parameter",
               "code");
  expect_error(send("POST", "/collections/cams/items", sent), 409, "conflict_duplicate", "code");

  // A stale ETag: 412 naming If-Match with the current one, and nothing changed.
  const std::string current = patched.header("etag");
  const HttpResponse stale = send("PATCH", item, {{"properties", {{"height", 9}}}}, kAdminToken,
                                  {"If-Match: " + etag}, "application/merge-patch+json");
  expect_error(stale, 412, "precondition_failed", "If-Match");
  EXPECT_EQ(stale.header("etag"), current);
  EXPECT_EQ(stale.json()["error"]["etag"], current);
  EXPECT_EQ(get(item).json()["properties"]["height"], 7);
  EXPECT_EQ(get(item).header("etag"), current);
  expect_error(send("DELETE", item, nullptr, kAdminToken, {"If-Match: " + etag}), 412,
               "precondition_failed", "If-Match");

  // Delete: 204, then 404; a PUT does not create it again, and with If-Match it is a 412.
  EXPECT_EQ(send("DELETE", item, nullptr, kAdminToken, {"If-Match: *"}).status, 204);
  expect_error(get(item), 404, "not_found");
  expect_error(send("PUT", item, replacement), 404, "not_found");
  expect_error(send("PUT", item, replacement, kAdminToken, {"If-Match: *"}), 412,
               "precondition_failed", "If-Match");

  // The history: newest first, who, what, which fields, never values.
  const json h = history("cams", fid);
  std::vector<std::string> actions;
  for (const auto& row : h["changes"]) {
    actions.push_back(row["action"]);
    EXPECT_EQ(row["actor"], "admin");
    EXPECT_FALSE(row.dump().find("\"on\"") != std::string::npos) << "no values: " << row;
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"delete", "update", "replace", "create"}));
  EXPECT_EQ(h["changes"][1]["fields"], json::array({"status", "height"}));
  EXPECT_EQ(h["changes"][1]["geometry_changed"], true);
  EXPECT_EQ(h["changes"][2]["fields"], json::array({"status", "height"}));
  EXPECT_EQ(h["changes"][3]["fields"], json::array({"code", "status", "height"}));
  EXPECT_EQ(get("/collections/cams/items/" + std::to_string(fid) + "/history?limit=1&offset=1")
                .json()["changes"][0]["action"],
            "update");
}

TEST_F(Edits, APolygonIsJoinedToEveryGridItCrossesAndMovesWithItsEdits) {
  // Across the two grids of the first village (x 120.00-120.05 and 120.05-120.10).
  const HttpResponse created =
      send("POST", "/collections/zones/items",
           rectangle_feature(120.04, 30.05, 120.06, 30.06, {{"code", "Z1"}}));
  ASSERT_EQ(created.status, 201) << created.body;
  const json grids = created.json()["properties"]["grids"];
  EXPECT_TRUE(grids.contains(grid_of(120.04, 30.055)));
  EXPECT_TRUE(grids.contains(grid_of(120.06, 30.055)));
  const auto counts = counts_by_grid("zones");
  EXPECT_EQ(counts.at(grid_of(120.04, 30.055)), 1);
  EXPECT_EQ(counts.at(grid_of(120.06, 30.055)), 1);
  const std::string item = created.header("location");
  const HttpResponse moved =
      send("PATCH", item,
           {{"geometry", rectangle_feature(120.31, 30.05, 120.32, 30.06, {})["geometry"]}},
           kAdminToken, {}, "application/merge-patch+json");
  ASSERT_EQ(moved.status, 200) << moved.body;
  const auto after = counts_by_grid("zones");
  EXPECT_EQ(after.count(grid_of(120.04, 30.055)), 0U);
  EXPECT_EQ(after.at(grid_of(120.315, 30.055)), 1);
  // A polygon that is not one is refused, naming the geometry.
  expect_error(send("PUT", item,
                    {{"type", "Feature"},
                     {"geometry", {{"type", "Point"}, {"coordinates", {120.1, 30.1}}}},
                     {"properties", {{"code", "Z1"}}}}),
               400, "invalid_parameter", "geometry");
}

TEST_F(Edits, TheTilesOfAnEditedFeatureShowItsNewStateAndTheOthersStayCached) {
  const double lon = 120.013, lat = 30.013;
  const HttpResponse created = send("POST", "/collections/cams/items",
                                    point_feature(lon, lat, {{"code", "T1"}, {"status", "red"}}));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string item = created.header("location");
  const Tile near = mercator_tile(lon, lat, 14), far = mercator_tile(120.37, 30.17, 14);
  const std::string near_url = "/tiles/cams/" + near.path() + ".mvt",
                    far_url = "/tiles/cams/" + far.path() + ".mvt";
  auto statuses = [&](const HttpResponse& r) {
    return tile_field_values(dir().file("decode"), near, r.status == 200 ? r.body : "", "status");
  };
  for (const auto* url : {&near_url, &far_url}) {
    get(*url, "");
    EXPECT_EQ(get(*url, "").header("x-cache"), "hit");
  }
  EXPECT_TRUE(statuses(get(near_url, "")).count("red"));
  ASSERT_EQ(send("PATCH", item, {{"properties", {{"status", "green"}}}}).status, 200);
  const HttpResponse changed = get(near_url, "");
  EXPECT_EQ(changed.header("x-cache"), "miss");
  EXPECT_TRUE(statuses(changed).count("green"));
  EXPECT_FALSE(statuses(changed).count("red"));
  EXPECT_EQ(get(far_url, "").header("x-cache"), "hit") << "a tile elsewhere stays cached";
  ASSERT_EQ(send("DELETE", item, nullptr).status, 204);
  EXPECT_FALSE(statuses(get(near_url, "")).count("green"));
}

TEST_F(Edits, OnlyTheAdministratorAndCentreUsersInTheirAreaEditWhatTheyRead) {
  const json inside = point_feature(120.05, 30.1, {{"code", "W1"}, {"status", "on"}});
  const json outside = point_feature(120.3, 30.1, {{"code", "W2"}, {"status", "on"}});
  expect_error(send("POST", "/collections/cams/items", inside, ""), 401, "unauthorized");
  expect_error(send("POST", "/collections/cams/items", inside, department_), 403, "forbidden");
  expect_error(send("POST", "/collections/cams/items", inside, feeder_), 403, "forbidden");
  expect_error(send("POST", "/collections/cams/items", outside, centre_), 403, "forbidden_scope");
  const HttpResponse mine = send("POST", "/collections/cams/items", inside, centre_);
  ASSERT_EQ(mine.status, 201) << mine.body;
  const std::string item = mine.header("location");
  // Moving it out of its area is refused, and so is a field the centre user does not read.
  expect_error(send("PATCH", item, {{"geometry", outside["geometry"]}}, centre_), 403,
               "forbidden_scope");
  expect_error(send("PATCH", item, {{"properties", {{"keeper_phone", "13800000000"}}}}, centre_),
               403, "forbidden", "keeper_phone");
  // The administrator writes it; the centre user's replace leaves it as it is.
  ASSERT_EQ(send("PATCH", item, {{"properties", {{"keeper_phone", "13800000000"}}}}).status, 200);
  json replacement = inside;
  replacement["properties"]["status"] = "off";
  ASSERT_EQ(send("PUT", item, replacement, centre_).status, 200);
  const json h = history("cams", mine.json()["id"]);
  EXPECT_EQ(h["changes"][0]["actor"], "c1");
  EXPECT_EQ(h["changes"][0]["role"], "centre");
  EXPECT_EQ(h["changes"][0]["fields"], json::array({"status"}));
  EXPECT_EQ(h["changes"][1]["fields"], json::array({"keeper_phone"}));
  // Histories: the administrator's and the area's centre users'.
  expect_error(get(item + "/history", department_), 403, "forbidden");
  expect_error(get(item + "/history", ""), 401, "unauthorized");
  EXPECT_EQ(get(item + "/history", centre_).status, 200);
  // A hostile body changes nothing: each is refused naming what is wrong.
  const std::string before = get(item).header("etag");
  expect_error(send("PATCH", item, {{"properties", {{"colour", "x"}}}}), 400, "invalid_parameter",
               "colour");
  expect_error(send("PATCH", item, {{"properties", {{"height", "tall"}}}}), 400,
               "invalid_parameter", "height");
  expect_error(send("PATCH", item, {{"properties", {{"_delete", true}}}}), 400, "invalid_parameter",
               "_delete");
  expect_error(send("PUT", item, inside, kAdminToken, {}, "text/plain"), 415,
               "unsupported_media_type", "Content-Type");
  expect_error(send("PUT", item, inside, kAdminToken,
                    {"Content-Crs: <http://www.opengis.net/def/crs/EPSG/0/3857>"}),
               400, "invalid_parameter", "Content-Crs");
  expect_error(send("PUT", item, {{"type", "Feature"}, {"geometry", nullptr}}), 400,
               "invalid_parameter", "geometry");
  expect_error(send("PATCH", item, nullptr, kAdminToken, {"If-Match: nonsense"}), 400,
               "invalid_parameter", "If-Match");
  EXPECT_EQ(get(item).header("etag"), before);
}

TEST_F(Edits, AnEnterpriseIsCreatedReplacedUpdatedAndDeletedWithItsTiles) {
  const double lon = 120.071, lat = 30.071;
  const HttpResponse created = send(
      "POST", "/collections/enterprises/items",
      point_feature(lon, lat, {{"name", "Part 4 Works"}, {"ent_id", "P4-1"}, {"risk", "major"}}));
  ASSERT_EQ(created.status, 201) << created.body;
  const int64_t fid = created.json()["id"];
  const std::string item = "/collections/enterprises/items/" + std::to_string(fid);
  EXPECT_EQ(created.header("location"), item);
  EXPECT_EQ(get(item, "").header("etag"), created.header("etag"));
  expect_error(send("POST", "/collections/enterprises/items",
                    point_feature(lon, lat, {{"name", "Twin"}, {"ent_id", "P4-1"}})),
               409, "conflict_duplicate", "ent_id");
  expect_error(
      send("POST", "/collections/enterprises/items", point_feature(lon, lat, json::object())), 400,
      "invalid_parameter", "name");

  const HttpResponse replaced = send(
      "PUT", item, point_feature(lon, lat, {{"name", "Part 4 Works Ltd"}, {"ent_id", "P4-1"}}));
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  EXPECT_EQ(replaced.json()["properties"]["name"], "Part 4 Works Ltd");
  expect_error(send("PATCH", item, {{"properties", {{"open_hazards", 2}}}}, kAdminToken,
                    {"If-Match: " + created.header("etag")}),
               412, "precondition_failed", "If-Match");
  const HttpResponse patched = send("PATCH", item, {{"properties", {{"open_hazards", 2}}}},
                                    kAdminToken, {"If-Match: " + replaced.header("etag")});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(get(item).json()["properties"]["open_hazards"], 2);
  EXPECT_EQ(get(item).json()["properties"]["name"], "Part 4 Works Ltd");

  const Tile t = mercator_tile(lon, lat, 16);
  const std::string tile_url = "/tiles/enterprises/" + t.path() + ".mvt";
  // Enterprise tiles carry no feature ids: the tile's points are counted.
  auto points_in_tile = [&] {
    std::size_t n = 0;
    const HttpResponse r = get(tile_url, "");
    if (r.status != 200) return n;
    const auto ds = open_tile(dir().file("decode"), t, r.body);
    for (auto* layer : ds->GetLayers()) n += static_cast<std::size_t>(layer->GetFeatureCount());
    return n;
  };
  const std::size_t with_it = points_in_tile();
  EXPECT_GE(with_it, 1U);
  EXPECT_EQ(send("DELETE", item, nullptr).status, 204);
  expect_error(get(item), 404, "not_found");
  EXPECT_EQ(points_in_tile(), with_it - 1);
  // The others stay where they were, in their tiles and their items.
  for (const auto& e : oracle().enterprises)
    EXPECT_EQ(get("/collections/enterprises/items/" + std::to_string(e.fid), "").status, 200);

  std::vector<std::string> actions;
  const json h = history("enterprises", fid);
  for (const auto& row : h["changes"]) actions.push_back(row["action"]);
  EXPECT_EQ(actions, (std::vector<std::string>{"delete", "update", "replace", "create"}));
}

TEST_F(Edits, OptionsListWhatEachRequesterMayDoAndTheOtherLayersAnswer405) {
  const HttpResponse created =
      send("POST", "/collections/cams/items", point_feature(120.02, 30.02, {{"code", "O1"}}));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string item = created.header("location");
  auto allow = [&](const std::string& target, const std::string& token) {
    return send("OPTIONS", target, nullptr, token, {}, "");
  };
  const HttpResponse anonymous = allow(item, "");
  EXPECT_EQ(anonymous.status, 200);
  EXPECT_EQ(anonymous.header("allow"), "GET, HEAD, OPTIONS");
  EXPECT_EQ(allow(item, kAdminToken).header("allow"), "GET, HEAD, PUT, PATCH, DELETE, OPTIONS");
  EXPECT_EQ(allow(item, centre_).header("allow"), "GET, HEAD, PUT, PATCH, DELETE, OPTIONS");
  EXPECT_EQ(allow(item, feeder_).header("allow"), "GET, HEAD, OPTIONS");
  EXPECT_EQ(allow("/collections/cams/items", "").header("allow"), "GET, HEAD, POST, OPTIONS");
  EXPECT_EQ(allow("/collections/grids/items/1", kAdminToken).header("allow"), "GET, HEAD, OPTIONS");
  // A CORS preflight is answered as before.
  HttpConnection c(port());
  const HttpResponse preflight = c.exchange(
      {"OPTIONS", item, {"Origin: http://example.org", "Access-Control-Request-Method: PUT"}, ""});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_NE(preflight.header("access-control-allow-methods").find("PUT"), std::string::npos);

  for (const char* layer : {"grids", "households", "incidents", "workers"}) {
    const HttpResponse r = send("PUT", std::string("/collections/") + layer + "/items/1",
                                point_feature(120.02, 30.02, json::object()));
    expect_error(r, 405, "method_not_allowed");
    EXPECT_EQ(r.header("allow"), "GET, HEAD");
  }
  const json classes = get("/conformance", "").json()["conformsTo"];
  for (const char* uri : kPart4Classes)
    EXPECT_NE(std::find(classes.begin(), classes.end(), uri), classes.end()) << uri;
}

TEST_F(Edits, AFeedWritesTheHistoryOfEveryRecordItChangesNamingItsUser) {
  const json batch = {{"type", "FeatureCollection"},
                      {"features", json::array({point_feature(120.15, 30.15, {{"code", "F9"}})})}};
  const HttpResponse fed = send("POST", "/collections/cams/feed", batch, feeder_);
  ASSERT_EQ(fed.status, 200) << fed.body;
  int64_t fid = 0;
  const json all = get("/collections/cams/items?limit=1000").json();
  for (const auto& f : all["features"])
    if (f["properties"]["code"] == "F9") fid = f["id"];
  ASSERT_NE(fid, 0);
  const json h = history("cams", fid);
  ASSERT_EQ(h["changes"].size(), 1U);
  EXPECT_EQ(h["changes"][0]["actor"], "f1");
  EXPECT_EQ(h["changes"][0]["action"], "feed");
  EXPECT_EQ(h["changes"][0]["fields"], json::array({"code"}));
}

TEST(EditDurability, AnAcknowledgedEditSurvivesSigkill) {
  TempDir dir;
  const std::string store = write_small_county(dir.path());
  int64_t fid = 0;
  {
    ServerProcess server({"--data", store, "--write-token-file", admin_token_file(dir.path())},
                         dir.file("serve.log"));
    HttpConnection c(server.port());
    const json def = {{"geometry", "point"},
                      {"id_field", "code"},
                      {"fields", {{{"name", "code"}, {"audience", "public"}}}}};
    ASSERT_EQ(c.send("PUT", "/admin/layers/posts", def.dump(), kAdminToken).status, 201);
    const HttpResponse r = c.send("POST", "/collections/posts/items",
                                  point_feature(120.1, 30.1, {{"code", "K1"}}).dump(), kAdminToken,
                                  "application/geo+json");
    ASSERT_EQ(r.status, 201) << r.body;
    fid = r.json()["id"];
    kill(server.pid(), SIGKILL);
    server.stop(SIGKILL, std::chrono::seconds(5));
  }
  auto s = layers::open_store(store, false);
  bool found = false;
  for (const auto& l : s->load_feature_layers())
    if (l.def.name == "posts")
      for (const auto& f : l.features) found = found || f.fid == fid;
  EXPECT_TRUE(found);
  EXPECT_EQ(s->load_feature_history("posts", fid, 10, 0).total, 1U);
}

}  // namespace
