// Feeds into county layers through the route table (POST /collections/{name}/feed): records
// inserted, replaced (their fid kept), deleted by key, a replay changing nothing (no store
// write, no tile dropped), a bad feature refusing the batch by index and reason with nothing
// changed, lines shared out by grid as a brute-force overlay says, exactly the tiles around a
// change dropped, the reopened store holding what was acknowledged, who may feed which layer and
// what a feed's token may not do, a batch meeting a concurrent write or a grid change, and the
// pulled feeds.
#include "tests/support/boost_geometry.hpp"  // first: before anything brings in Boost

#include "api/feeds.hpp"
#include "tests/support/api_harness.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/tiles.hpp"

#include "layers/store/store.hpp"
#include "spatial/crs.hpp"

#include <ogrsf_frmts.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <random>
#include <set>

namespace {

using nlohmann::json;
using namespace onemap;
using namespace onemap::testing;
namespace bg = spatial::bg;

json point(const std::string& code, double lon, double lat, json properties = json::object()) {
  properties["code"] = code;
  return {{"type", "Feature"},
          {"properties", properties},
          {"geometry", {{"type", "Point"}, {"coordinates", {lon, lat}}}}};
}

json line(const std::string& code, const std::vector<std::array<double, 2>>& vertices,
          json properties = json::object()) {
  properties["code"] = code;
  json coordinates = json::array();
  for (const auto& v : vertices) coordinates.push_back({v[0], v[1]});
  return {{"type", "Feature"},
          {"properties", properties},
          {"geometry", {{"type", "LineString"}, {"coordinates", coordinates}}}};
}

json removal(const std::string& code) {
  return {{"type", "Feature"},
          {"properties", {{"code", code}, {"_delete", true}}},
          {"geometry", nullptr}};
}

std::string collection(const std::vector<json>& features) {
  return json{{"type", "FeatureCollection"}, {"features", features}}.dump();
}

// Every record of a county layer as a value to compare: geometry, attributes, join and shares by
// fid, as memory holds it or as the store reads it back.
std::map<int64_t, std::string> records_of(const layers::FeatureLayer& l) {
  std::map<int64_t, std::string> out;
  for (const auto& f : l.features) {
    json j;
    const auto box = layers::envelope(f.geometry);
    j["box"] = {box.min_corner().x(), box.min_corner().y(), box.max_corner().x(),
                box.max_corner().y()};
    if (const auto* lines = std::get_if<spatial::MultiLineString>(&f.geometry))
      for (const auto& part : *lines)
        for (const auto& p : part) j["vertices"].push_back({p.x(), p.y()});
    for (const auto& v : f.attributes)
      std::visit(
          [&](const auto& x) {
            if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::monostate>)
              j["values"].push_back(nullptr);
            else
              j["values"].push_back(x);
          },
          v);
    j["join"] = {f.join.grid_code, layers::join_kind_name(f.join.kind), f.join.distance_m};
    for (const auto& s : f.shares) j["shares"][s.grid_code] = s.measure;
    out[f.fid] = j.dump();
  }
  return out;
}

class Feeds : public SharedApi<Feeds> {
 public:
  static std::unique_ptr<ApiHarness> make_api() {
    auto api = std::make_unique<ApiHarness>();
    api->add_user("centre", "centre");
    api->add_user("app", "reporter");
    api->add_user("cams", "feed", "cameras_f");
    api->add_user("both", "feed", "cameras_f, pipes_f");
    return api;
  }

 protected:
  static HttpResponse feed(const std::string& layer, const std::string& body,
                           const std::string& token = kAdminToken,
                           const std::string& type = "application/geo+json") {
    return api().send("POST", "/collections/" + layer + "/feed", body, token, type);
  }
  // A county layer made from a definition, its key field "code".
  static void make_layer(const std::string& name, json definition) {
    definition["id_field"] = "code";
    const HttpResponse r =
        api().send("PUT", "/admin/layers/" + name, definition.dump(), kAdminToken);
    ASSERT_EQ(r.status, 201) << r.body;
  }
  static json items(const std::string& layer) {
    const HttpResponse r = api().get("/collections/" + layer + "/items?limit=10000", kAdminToken);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }
  // The items by their key.
  static std::map<std::string, json> by_code(const std::string& layer) {
    std::map<std::string, json> out;
    const json all = items(layer);
    for (const auto& f : all["features"]) out[f["properties"]["code"].get<std::string>()] = f;
    return out;
  }
  static uint64_t commits() { return api().county().store_sync_counts().commits; }
  // The layer as the served county holds it, and as a server starting now would read it.
  static std::map<int64_t, std::string> served(const std::string& layer) {
    auto lock = api().county().read();
    return records_of(*api().county().feature_layer(layer));
  }
  static std::map<int64_t, std::string> stored(const std::string& layer) {
    auto store = layers::open_store(api().store_path(), false);
    for (const auto& l : store->load_feature_layers())
      if (l.def.name == layer) return records_of(l);
    return {};
  }
  // The grid code holding a point, by brute force over the small county's grids.
  static std::string grid_of(double lon, double lat) {
    for (const auto& g : oracle().grids)
      if (g.level == layers::GridLevel::Grid && bg::within(spatial::Point(lon, lat), g.geometry))
        return g.code;
    return "";
  }
};

const json kCameraFields =
    json::array({{{"name", "code"}, {"audience", "public"}},
                 {{"name", "status"}, {"audience", "public"}, {"tile_minzoom", 0}},
                 {{"name", "height"}, {"type", "integer"}, {"audience", "public"}}});

TEST_F(Feeds, InsertsByKeyReplacesKeepingTheFidDeletesAndAReplayChangesNothing) {
  make_layer("cams_a", {{"geometry", "point"}, {"fields", kCameraFields}});
  // Off every grid edge (x at multiples of 0.05).
  auto place = [](int i) { return std::array<double, 2>{120.011 + 0.019 * i, 30.02 + 0.008 * i}; };
  std::vector<json> batch;
  for (int i = 0; i < 20; ++i)
    batch.push_back(point("C" + std::to_string(i), place(i)[0], place(i)[1],
                          {{"status", "ok"}, {"height", i}}));
  const HttpResponse first = feed("cams_a", collection(batch));
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.json()["inserted"], 20);
  EXPECT_EQ(first.json()["join"]["contained"], 20);
  auto before = by_code("cams_a");
  ASSERT_EQ(before.size(), 20u);
  for (const auto& [code, f] : before) {
    const auto& c = f["geometry"]["coordinates"];
    EXPECT_EQ(f["properties"]["grid_code"], grid_of(c[0], c[1])) << code;
  }

  const std::vector<json> change = {
      point("C0", 120.333, 30.111, {{"status", "ok"}, {"height", 0}}),  // moved
      point("C1", place(1)[0], place(1)[1], {{"status", "broken"}, {"height", 1}}),
      point("C2", place(2)[0], place(2)[1], {{"status", "ok"}, {"height", 2}}),  // as it is
      removal("C3"),
      point("C99", 120.2, 30.1, {{"status", "new"}}),
      removal("C50"),  // no such record
  };
  const HttpResponse second = feed("cams_a", collection(change));
  ASSERT_EQ(second.status, 200) << second.body;
  const json counts = second.json();
  EXPECT_EQ(counts["inserted"], 1);
  EXPECT_EQ(counts["updated"], 2);
  EXPECT_EQ(counts["unchanged"], 2);
  EXPECT_EQ(counts["deleted"], 1);
  EXPECT_EQ(counts["join"]["contained"], 2) << "the moved and the new record, joined";

  auto after = by_code("cams_a");
  EXPECT_EQ(after.size(), 20u);
  EXPECT_FALSE(after.count("C3"));
  EXPECT_EQ(after["C0"]["id"], before["C0"]["id"]) << "a replaced record keeps its fid";
  EXPECT_EQ(after["C0"]["geometry"]["coordinates"], json({120.333, 30.111}));
  EXPECT_EQ(after["C0"]["properties"]["grid_code"], grid_of(120.333, 30.111));
  EXPECT_EQ(after["C1"]["properties"]["status"], "broken");
  EXPECT_EQ(after["C1"]["id"], before["C1"]["id"]);
  EXPECT_EQ(after["C99"]["properties"]["height"], nullptr);
  EXPECT_GT(after["C99"]["id"].get<int64_t>(), before["C19"]["id"].get<int64_t>());

  // Replayed: nothing changes, nothing is written.
  const uint64_t written = commits();
  const auto memory = served("cams_a");
  const HttpResponse replay = feed("cams_a", collection(change));
  ASSERT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(replay.json()["inserted"], 0);
  EXPECT_EQ(replay.json()["updated"], 0);
  EXPECT_EQ(replay.json()["deleted"], 0);
  EXPECT_EQ(replay.json()["unchanged"], change.size());
  EXPECT_EQ(commits(), written) << "a replay writes nothing to the store";
  EXPECT_EQ(served("cams_a"), memory);
  EXPECT_EQ(stored("cams_a"), memory) << "the store holds what was acknowledged";
}

TEST_F(Feeds, ReplacedValuesOfEveryTypeAndGeometryReadBackFromTheStoreAsSent) {
  make_layer("typed", {{"geometry", "line"},
                       {"fields",
                        {{{"name", "code"}, {"audience", "public"}},
                         {{"name", "n"}, {"type", "integer"}, {"audience", "public"}},
                         {{"name", "r"}, {"type", "real"}, {"audience", "public"}},
                         {{"name", "ok"}, {"type", "boolean"}, {"audience", "public"}},
                         {{"name", "at"}, {"type", "datetime"}, {"audience", "public"}},
                         {{"name", "note"}, {"audience", "public"}}}}});
  const json values = {
      {"n", 7}, {"r", 0.1 + 0.2}, {"ok", true}, {"at", "2025-03-24T23:33:07Z"}, {"note", "旧"}};
  const json changed = {{"n", -9007199254740993LL},
                        {"r", 1e-300},
                        {"ok", false},
                        {"at", "2026-01-02 03:04:05"},
                        {"note", "2025-01-02 08:00"}};
  ASSERT_EQ(feed("typed", collection({line("T1", {{120.11, 30.11}, {120.12, 30.12}}, values),
                                      line("T2", {{120.31, 30.11}, {120.32, 30.12}}, values)}))
                .status,
            200);
  // T1's values change in place; T2 moves too, across a grid edge.
  const HttpResponse r =
      feed("typed", collection({line("T1", {{120.11, 30.11}, {120.12, 30.12}}, changed),
                                line("T2", {{120.33, 30.11}, {120.36, 30.12}}, changed)}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["updated"], 2);
  EXPECT_EQ(stored("typed"), served("typed")) << "the store reads back what memory holds";
  auto after = by_code("typed");
  for (const char* code : {"T1", "T2"}) {
    const json& p = after[code]["properties"];
    EXPECT_EQ(p["n"], -9007199254740993LL) << code;
    EXPECT_EQ(p["r"], 1e-300) << code;
    EXPECT_EQ(p["ok"], false) << code;
    EXPECT_EQ(p["at"], "2026-01-01T19:04:05Z") << code << ": a time without a zone is Beijing's";
    EXPECT_EQ(p["note"], "2025-01-02 08:00") << code << ": a string stays as it was sent";
  }
  EXPECT_EQ(after["T2"]["properties"]["grids"].size(), 2u);
  // Sent again, they are as they were.
  const HttpResponse again =
      feed("typed", collection({line("T1", {{120.11, 30.11}, {120.12, 30.12}}, changed),
                                line("T2", {{120.33, 30.11}, {120.36, 30.12}}, changed)}));
  EXPECT_EQ(again.json()["unchanged"], 2) << again.body;
  // As other GIS read it: GDAL opens the table with the moved line in its extent.
  GDALDatasetUniquePtr ds(GDALDataset::Open(api().store_path().c_str(), GDAL_OF_VECTOR));
  ASSERT_TRUE(ds);
  OGREnvelope e;
  ASSERT_EQ(ds->GetLayerByName("typed")->GetExtent(&e, FALSE), OGRERR_NONE);
  EXPECT_GE(e.MaxX, 120.36);
}

TEST_F(Feeds, ABadFeatureRefusesTheWholeBatchNamingItsIndexAndNothingChanges) {
  make_layer("cams_b", {{"geometry", "point"}, {"fields", kCameraFields}});
  ASSERT_EQ(feed("cams_b", collection({point("B0", 120.1, 30.1), point("B1", 120.2, 30.1)})).status,
            200);
  const auto memory = served("cams_b");
  const uint64_t written = commits();
  auto good = [](int i) {
    return point("N" + std::to_string(i), 120.05 + 0.01 * i, 30.05, {{"height", i}});
  };
  auto with_bad = [&](std::size_t k, json bad) {
    std::vector<json> batch;
    for (int i = 0; i < 5; ++i) batch.push_back(good(i));
    batch.insert(batch.begin() + static_cast<std::ptrdiff_t>(k), std::move(bad));
    return collection(batch);
  };
  json no_code = point("X", 120.1, 30.1);
  no_code["properties"].erase("code");
  json no_geometry = point("X", 120.1, 30.1);
  no_geometry["geometry"] = nullptr;
  const struct {
    std::size_t index;
    json feature;
    std::string reason;
  } cases[] = {
      {3, line("X", {{120.1, 30.1}, {120.2, 30.1}}), "not a point"},
      {2, point("X", 200.0, 30.1), "out of range"},
      {1, point("X", 120.1, 30.1, {{"height", "tall"}}), "not an integer"},
      {4, point("X", 120.1, 30.1, {{"colour", "red"}}), "unknown property 'colour'"},
      {0, no_code, "no code"},
      {5, no_geometry, "no geometry"},
      {2, good(0), "duplicate code N0 (feature 0)"},  // the later of the two
  };
  for (const auto& c : cases) {
    const HttpResponse r = feed("cams_b", with_bad(c.index, c.feature));
    expect_error(r, 400, "invalid_parameter", "body");
    const json e = r.json()["error"];
    EXPECT_EQ(e["index"], c.index) << r.body;
    EXPECT_NE(e["reason"].get<std::string>().find(c.reason), std::string::npos) << r.body;
    EXPECT_NE(e["message"].get<std::string>().find("feature " + std::to_string(c.index)),
              std::string::npos)
        << r.body;
  }
  expect_error(feed("cams_b", "{\"type\": \"FeatureCollection\", \"features\": ["), 400,
               "invalid_parameter", "body");
  expect_error(feed("cams_b", collection({good(0)}), kAdminToken, "text/csv"), 400,
               "invalid_parameter", "Content-Type");
  expect_error(feed("cams_b", ""), 400, "invalid_parameter", "body");
  EXPECT_EQ(commits(), written);
  EXPECT_EQ(served("cams_b"), memory);
  EXPECT_EQ(stored("cams_b"), memory);

  // A polygon layer refuses an invalid polygon rather than repairing it.
  make_layer("zones_b", {{"geometry", "polygon"}, {"fields", {{{"name", "code"}}}}});
  json bowtie = {{"type", "Feature"},
                 {"properties", {{"code", "Z1"}}},
                 {"geometry",
                  {{"type", "Polygon"},
                   {"coordinates",
                    {{{120.01, 30.01},
                      {120.04, 30.04},
                      {120.04, 30.01},
                      {120.01, 30.04},
                      {120.01, 30.01}}}}}}};
  const HttpResponse r = feed("zones_b", collection({bowtie}));
  expect_error(r, 400, "invalid_parameter", "body");
  EXPECT_EQ(r.json()["error"]["index"], 0);
  EXPECT_NE(r.json()["error"]["reason"].get<std::string>().find("invalid polygon"),
            std::string::npos)
      << r.body;
}

TEST_F(Feeds, NewlineDelimitedFeaturesAreABatchInTheirOrder) {
  make_layer("cams_c", {{"geometry", "point"}, {"fields", kCameraFields}});
  json with_own_id = point("L0", 120.1, 30.1);
  with_own_id["id"] = "ext-L0";  // a feature's own id is no property: not refused
  const std::string lines = "\x1e" + with_own_id.dump() + "\n\n" + point("L1", 120.2, 30.1).dump() +
                            "\r\n\x1e" + point("L2", 120.3, 30.1).dump() + "\n";
  const HttpResponse r = feed("cams_c", lines, kAdminToken, "application/geo+json-seq");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["inserted"], 3);
  const HttpResponse bad = feed(
      "cams_c", point("L3", 120.1, 30.1).dump() + "\n" + point("L4", 120.1, 95.0).dump() + "\n",
      kAdminToken, "application/x-ndjson");
  expect_error(bad, 400, "invalid_parameter", "body");
  EXPECT_EQ(bad.json()["error"]["index"], 1);
  EXPECT_EQ(items("cams_c")["numberMatched"], 3);
}

TEST_F(Feeds, LinesAreSharedOutByGridAsAnOverlaySaysAndSharedAgainWhenTheyMove) {
  make_layer("pipes_a", {{"geometry", "line"}, {"fields", {{{"name", "code"}}}}});
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> lon(119.99, 120.41), lat(29.99, 30.21), step(-0.03, 0.03);
  auto random_line = [&](const std::string& code) {
    std::vector<std::array<double, 2>> v{{lon(rng), lat(rng)}};
    for (int k = 0; k < 3; ++k) v.push_back({v.back()[0] + step(rng), v.back()[1] + step(rng) / 3});
    return line(code, v);
  };
  std::vector<json> batch;
  for (int i = 0; i < 60; ++i) batch.push_back(random_line("P" + std::to_string(i)));
  // On a grid's edge, and wholly inside one grid.
  batch.push_back(line("EDGE", {{120.05, 30.02}, {120.05, 30.06}}));
  batch.push_back(line("INSIDE", {{120.11, 30.11}, {120.12, 30.12}}));
  ASSERT_EQ(feed("pipes_a", collection(batch)).status, 200);

  auto check_shares = [&] {
    std::size_t crossing = 0;
    const json all = items("pipes_a");
    for (const auto& f : all["features"]) {
      spatial::MultiLineString lines;
      for (const auto& part : f["geometry"]["coordinates"]) {
        spatial::LineString l;
        for (const auto& p : part) l.emplace_back(p[0].get<double>(), p[1].get<double>());
        lines.push_back(l);
      }
      std::map<std::string, double> want;
      for (const auto& g : oracle().grids) {
        if (g.level != layers::GridLevel::Grid) continue;
        spatial::MultiLineString inside;
        bg::intersection(lines, g.geometry, inside);
        const double m = spatial::length_m(inside);
        if (m >= layers::GridJoiner::kMinShareLength_m) want[g.code] = m;
      }
      const json& got = f["properties"]["grids"];
      ASSERT_EQ(got.size(), want.size()) << f.dump();
      for (const auto& [code, m] : want) EXPECT_NEAR(got[code].get<double>(), m, 1e-6 * m + 1e-3);
      crossing += want.size() > 1;
    }
    EXPECT_GT(crossing, 5u);
  };
  check_shares();
  const auto codes = by_code("pipes_a");
  EXPECT_EQ(codes.at("INSIDE")["properties"]["grids"].size(), 1u);

  // Half of them moved, the rest sent again as they are.
  std::vector<json> moved;
  for (int i = 0; i < 60; ++i)
    moved.push_back(i % 2 ? batch[static_cast<std::size_t>(i)]
                          : random_line("P" + std::to_string(i)));
  const HttpResponse r = feed("pipes_a", collection(moved));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["updated"], 30);
  EXPECT_EQ(r.json()["unchanged"], 30);
  check_shares();
  EXPECT_EQ(stored("pipes_a"), served("pipes_a"));

  // The statistics take the new lengths at once.
  double total = 0;
  const json all = items("pipes_a");
  for (const auto& f : all["features"])
    for (const auto& [code, m] : f["properties"]["grids"].items()) total += m.get<double>();
  const json stats = api().get("/collections/pipes_a/stats?group_by=grid", kAdminToken).json();
  double summed = 0;
  for (const auto& g : stats["groups"]) summed += g["length_m"].get<double>();
  EXPECT_NEAR(summed, total, 1e-6 * total) << stats.dump();
}

TEST_F(Feeds, ExactlyTheTilesAroundAChangeAreDroppedAndAReplayDropsNone) {
  make_layer("lamps", {{"geometry", "point"}, {"fields", kCameraFields}});
  ASSERT_EQ(feed("lamps", collection({point("A", 120.03, 30.03, {{"status", "on"}}),
                                      point("B", 120.33, 30.13, {{"status", "on"}})}))
                .status,
            200);
  const Tile near = mercator_tile(120.03, 30.03, 14), far = mercator_tile(120.33, 30.13, 14);
  const std::string near_url = "/tiles/lamps/" + near.path() + ".mvt",
                    far_url = "/tiles/lamps/" + far.path() + ".mvt";
  auto status_in = [&](const Tile& t, const HttpResponse& r) {
    return tile_field_values(api().dir().file("decode"), t, r.body, "status");
  };
  for (const auto* url : {&near_url, &far_url}) {
    EXPECT_EQ(api().get(*url).header("x-cache"), "miss");
    EXPECT_EQ(api().get(*url).header("x-cache"), "hit");
  }
  ASSERT_EQ(feed("lamps", collection({point("A", 120.03, 30.03, {{"status", "off"}})})).status,
            200);
  const HttpResponse changed = api().get(near_url);
  EXPECT_EQ(changed.header("x-cache"), "miss");
  EXPECT_EQ(status_in(near, changed), std::set<std::string>{"off"});
  EXPECT_EQ(api().get(far_url).header("x-cache"), "hit") << "a tile elsewhere stays cached";

  const HttpResponse replay =
      feed("lamps", collection({point("A", 120.03, 30.03, {{"status", "off"}}),
                                point("B", 120.33, 30.13, {{"status", "on"}})}));
  ASSERT_EQ(replay.json()["unchanged"], 2);
  EXPECT_EQ(api().get(near_url).header("x-cache"), "hit");
  EXPECT_EQ(api().get(far_url).header("x-cache"), "hit");

  // A record gone, and one moved from the far tile to the near one: both tiles change.
  ASSERT_EQ(feed("lamps", collection({removal("A"), point("B", 120.031, 30.031)})).status, 200);
  const HttpResponse near_after = api().get(near_url), far_after = api().get(far_url);
  EXPECT_EQ(near_after.header("x-cache"), "miss");
  EXPECT_EQ(far_after.header("x-cache"), "miss");
  EXPECT_EQ(far_after.status, 204) << "B left it";
  EXPECT_EQ(status_in(near, near_after), std::set<std::string>{""}) << "B, without a status";
}

TEST_F(Feeds, AnAdminOrAFeedUserOfTheLayerFeedsItAndAFeedTokenDoesNothingElse) {
  make_layer("cameras_f", {{"geometry", "point"}, {"fields", kCameraFields}});
  make_layer("pipes_f", {{"geometry", "line"}, {"fields", {{{"name", "code"}}}}});
  make_layer("other_f", {{"geometry", "point"}, {"fields", kCameraFields}, {"audience", "staff"}});
  const std::string cameras = collection({point("F1", 120.1, 30.1)});
  const std::string pipes = collection({line("F1", {{120.1, 30.1}, {120.2, 30.1}})});
  expect_error(feed("cameras_f", cameras, ""), 401, "unauthorized");
  expect_error(feed("cameras_f", cameras, api().token("centre")), 403, "forbidden");
  expect_error(feed("cameras_f", cameras, api().token("app")), 403, "forbidden");
  EXPECT_EQ(feed("cameras_f", cameras, api().token("cams")).status, 200);
  expect_error(feed("pipes_f", pipes, api().token("cams")), 403, "forbidden");
  expect_error(feed("other_f", cameras, api().token("cams")), 403, "forbidden");
  EXPECT_EQ(feed("pipes_f", pipes, api().token("both")).status, 200);
  EXPECT_EQ(feed("other_f", cameras).status, 200) << "the administrator feeds any layer";

  // A feed's token writes nothing else and reads what the public reads.
  const std::string& t = api().token("cams");
  const std::string incident = R"({"lon": 120.1, "lat": 30.1, "category": "0101"})";
  expect_error(api().send("POST", "/incidents", incident, t), 403, "forbidden");
  expect_error(api().send("POST", "/households", R"({"lon": 120.1, "lat": 30.1})", t), 403,
               "forbidden");
  expect_error(api().send("PATCH", "/enterprises/1", R"({"name": "x"})", t), 403, "forbidden");
  expect_error(
      api().send(
          "POST", "/open311/v2/requests.json",
          form_body({{"api_key", t}, {"service_code", "0101"}, {"lat", "30.1"}, {"long", "120.1"}}),
          "", "application/x-www-form-urlencoded"),
      403, kOpen311);
  expect_error(api().get("/admin/layers", t), 403, "forbidden");
  expect_error(api().send("DELETE", "/admin/layers/cameras_f", "", t), 403, "forbidden");
  expect_error(api().get("/users", t), 403, "forbidden");
  expect_error(api().get("/collections/other_f/items", t), 403, "forbidden");
  expect_error(api().get("/collections/workers/items", t), 403, "forbidden");
  EXPECT_EQ(api().get("/collections/cameras_f/items", t).status, 200);

  // A feed user names its layers.
  for (const char* scope : {"", "Cameras!", "cameras,,pipes"}) {
    const HttpResponse r =
        api().send("POST", "/users", json{{"id", "f2"}, {"role", "feed"}, {"scope", scope}}.dump(),
                   kAdminToken);
    expect_error(r, 400, "invalid_parameter", "scope");
  }
}

TEST_F(Feeds, ALayerWithoutAnIdFieldOrNoCountyLayerTakesNoFeed) {
  ASSERT_EQ(api()
                .send("PUT", "/admin/layers/keyless",
                      R"({"geometry": "point", "fields": [{"name": "code"}]})", kAdminToken)
                .status,
            201);
  expect_error(feed("keyless", collection({point("K", 120.1, 30.1)})), 409, "conflict");
  expect_error(feed("nowhere", collection({point("K", 120.1, 30.1)})), 404, "not_found");
  expect_error(feed("incidents", collection({point("K", 120.1, 30.1)})), 404, "not_found");
  expect_error(api().send("POST", "/collections/keyless/feed?x=1", "{}", kAdminToken), 400,
               "invalid_parameter", "x");
}

TEST_F(Feeds, ABatchMeetsTheRecordsAndGridsAsTheyAreWhenItIsWritten) {
  make_layer("cams_d", {{"geometry", "point"}, {"fields", kCameraFields}});
  layers::County& county = api().county();
  layers::LayerDef def;
  {
    auto lock = county.read();
    def = county.feature_layer("cams_d")->def;
  }
  auto entry = [&](const std::string& code, double lon, double lat, int64_t index) {
    layers::FeedEntry e;
    e.index = index;
    e.feature.geometry = layers::LonLat{lon, lat};
    e.feature.attributes.resize(def.fields.size());
    e.feature.attributes[0] = code;
    return e;
  };
  // Another feed writes the same key while this batch is joined: the batch replaces it.
  bool once = true;
  county.set_commit_hook([&](std::string_view what) {
    if (what != "feed" || !once) return;
    once = false;
    county.feed_feature_layer("cams_d", def, {entry("D1", 120.36, 30.15, 0)});
  });
  const layers::FeedResult r =
      county.feed_feature_layer("cams_d", def, {entry("D1", 120.07, 30.1, 0)});
  county.set_commit_hook({});
  EXPECT_EQ(r.inserted, 0u);
  EXPECT_EQ(r.updated, 1u);
  auto after = by_code("cams_d");
  EXPECT_EQ(after["D1"]["geometry"]["coordinates"], json({120.07, 30.1}));
  EXPECT_EQ(after["D1"]["properties"]["grid_code"], grid_of(120.07, 30.1));

  // The grid holding the new record shrinks while it is joined: joined again, to the new grid.
  const std::string code = grid_of(120.27, 30.1);
  int64_t grid_fid = 0;
  for (const auto& g : api().read_store().grids)
    if (g.code == code) grid_fid = g.fid;
  once = true;
  county.set_commit_hook([&](std::string_view what) {
    if (what != "feed" || !once) return;
    once = false;
    layers::GridPatch p;
    p.geometry = rectangle(120.25, 30.0, 120.26, 30.2);
    county.update_grid(grid_fid, p);
  });
  county.feed_feature_layer("cams_d", def, {entry("D2", 120.27, 30.1, 0)});
  county.set_commit_hook({});
  // 0.01° (about 960 m) from the new outline: beyond the join distance, in no grid.
  auto lock = county.read();
  for (const auto& f : county.feature_layer("cams_d")->features) {
    if (layers::feature_key(def, f) != "D2") continue;
    EXPECT_EQ(f.join.kind, layers::JoinKind::Unassigned) << "joined to " << f.join.grid_code;
  }
}

TEST_F(Feeds, APulledFeedAppliesItsSourceWhenDueAndNotesWhatItDid) {
  make_layer("cams_p", {{"geometry", "point"}, {"fields", kCameraFields}});
  const std::string source = api().dir().file("pulled.geojson");
  auto write_source = [&](const std::vector<json>& features) {
    std::ofstream(source) << collection(features);
  };
  // The source's own fields (owner) are left out.
  write_source({point("P1", 120.1, 30.1, {{"owner", "x"}, {"status", "on"}}),
                point("P2", 120.2, 30.1, {{"owner", "y"}})});
  {
    auto store = layers::open_store(api().store_path(), false);
    layers::PullFeed f;
    f.name = "cams_pull";
    f.layer = "cams_p";
    f.source = source;
    f.every_s = 600;
    store->put_feed(f);
  }
  api::FeedPuller puller(api().shared_county());
  const int64_t t0 = 1'800'000'000;
  auto outcomes = puller.run_due(t0);
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_TRUE(outcomes[0].ok) << outcomes[0].result;
  EXPECT_EQ(json::parse(outcomes[0].result)["inserted"], 2);
  EXPECT_EQ(by_code("cams_p")["P1"]["properties"]["status"], "on") << items("cams_p").dump();
  EXPECT_TRUE(puller.run_due(t0 + 599).empty()) << "not due yet";

  // Due again: only what changed is applied; a bad feature fails the pull and changes nothing.
  write_source({point("P1", 120.1, 30.1, {{"status", "off"}}), point("P2", 120.2, 30.1)});
  outcomes = puller.run_due(t0 + 600);
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(json::parse(outcomes[0].result)["updated"], 1);
  EXPECT_EQ(json::parse(outcomes[0].result)["unchanged"], 1);
  write_source({point("P1", 120.1, 30.1, {{"status", "gone"}}), point("P2", 120.2, 99.0)});
  outcomes = puller.run_due(t0 + 1200);
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_FALSE(outcomes[0].ok);
  EXPECT_EQ(json::parse(outcomes[0].result)["index"], 1) << outcomes[0].result;
  EXPECT_EQ(by_code("cams_p")["P1"]["properties"]["status"], "off");
  auto store = layers::open_store(api().store_path(), false);
  const auto feeds = store->load_feeds();
  ASSERT_EQ(feeds.size(), 1u);
  EXPECT_EQ(feeds[0].last_run, t0 + 1200);
  EXPECT_EQ(feeds[0].last_result, outcomes[0].result);
}

TEST_F(Feeds, TheOpenApiDocumentOffersAFeedForEveryLayerWithAnIdFieldAndValidates) {
  make_layer("cams_o", {{"geometry", "point"}, {"fields", kCameraFields}});
  ASSERT_EQ(api()
                .send("PUT", "/admin/layers/keyless_o",
                      R"({"geometry": "point", "fields": [{"name": "code"}]})", kAdminToken)
                .status,
            201);
  const json doc = api().get("/api").json();
  const json& post = doc["paths"]["/collections/cams_o/feed"]["post"];
  ASSERT_TRUE(post.is_object());
  for (const char* type : {"application/geo+json", "application/x-ndjson"})
    EXPECT_TRUE(post["requestBody"]["content"].contains(type)) << type;
  EXPECT_FALSE(doc["paths"].contains("/collections/keyless_o/feed"));
  EXPECT_TRUE(
      doc["components"]["schemas"]["error"]["properties"]["error"]["properties"].contains("index"));
  expect_valid_openapi(doc.dump(), ONEMAP_NODE, api().dir().path(), "feeds-api.json");
}

}  // namespace
