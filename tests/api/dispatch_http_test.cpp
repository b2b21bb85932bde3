// Intake and dispatch through the server's route table in process
// (tests/support/api_harness.hpp): Open311 GeoReport v2 request and response shapes and errors,
// the native closed loop with users' tokens, If-Match conflicts, batch dispatch and the overdue
// sweep, and the tiles and feature queries that must show each change at once.
#include "tests/support/api_harness.hpp"
#include "tests/support/expect_error.hpp"

#include "layers/store/store.hpp"
#include "spatial/chinacrs.hpp"
#include "spatial/crs.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

using json = nlohmann::json;
using namespace onemap::testing;

namespace {

constexpr const char* kG1 = onemap::testing::kTeamGrid;

class DispatchHttp : public SharedApi<DispatchHttp> {
 public:
  static std::unique_ptr<ApiHarness> make_api() {
    auto api = std::make_unique<ApiHarness>(write_dispatch_county);
    api->add_user("app", "reporter");
    api->add_user("ft2", "worker", "", "FT2");
    api->add_user("ft1", "worker", "", "FT1");
    api->add_user("head", "worker", "", "HEAD");
    api->add_user("centre", "centre", "330521");
    api->add_user("fire", "department", "消防");
    return api;
  }

 protected:
  static std::string token(const std::string& who) { return api().token(who); }
  // Reads as the administrator unless told otherwise: these tests check what dispatch did, which
  // staff see (the public's view: read_policy_http_test.cpp). "" reads anonymously.
  static HttpResponse get(const std::string& target, const std::string& who = "admin") {
    return api().get(target, who == "admin" ? std::string(kAdminToken)
                             : who.empty()  ? ""
                                            : token(who));
  }
  static HttpResponse post_form(const std::string& target, const std::string& body) {
    return api().send("POST", target, body, "", "application/x-www-form-urlencoded");
  }
  static HttpResponse act(int64_t id, const std::string& who, const json& body,
                          const std::string& if_match = "") {
    return api().send("POST", "/incidents/" + std::to_string(id) + "/actions", body.dump(),
                      token(who), "application/json",
                      if_match.empty() ? std::vector<std::string>{}
                                       : std::vector<std::string>{"If-Match: " + if_match});
  }
  // A new Open311 request at (lon, lat): its id.
  static int64_t open311(double lon, double lat, const std::string& code = "0101") {
    const HttpResponse r =
        post_form("/open311/v2/requests.json", form_body({{"api_key", token("app")},
                                                          {"service_code", code},
                                                          {"lat", std::to_string(lat)},
                                                          {"long", std::to_string(lon)},
                                                          {"description", "test"}}));
    EXPECT_EQ(r.status, 201) << r.body;
    return std::stoll(json::parse(r.body)[0]["service_request_id"].get<std::string>());
  }
};

}  // namespace

TEST_F(DispatchHttp, ServicesListTheConfiguredCategories) {
  const HttpResponse r = get("/open311/v2/services.json");
  ASSERT_EQ(r.status, 200);
  const json j = json::parse(r.body);
  ASSERT_TRUE(j.is_array());
  EXPECT_GE(j.size(), 30u);
  std::set<std::string> codes;
  for (const auto& s : j) {
    for (const char* k :
         {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"})
      EXPECT_TRUE(s.contains(k)) << k;
    EXPECT_EQ(s["metadata"], false);
    EXPECT_EQ(s["type"], "realtime");
    codes.insert(s["service_code"].get<std::string>());
  }
  EXPECT_TRUE(codes.count("0101"));
  EXPECT_TRUE(codes.count("0501"));
}

TEST_F(DispatchHttp, ARequestInsideAGridComesBackAssignedWithItsReason) {
  const HttpResponse r = post_form("/open311/v2/requests.json",
                                   form_body({{"api_key", token("app")},
                                              {"service_code", "0101"},
                                              {"lat", "30.11"},
                                              {"long", "120.036"},
                                              {"description", "垃圾 堆放"},
                                              {"address_string", "文化路 1 号"},
                                              {"media_url", "http://example.invalid/p.jpg"},
                                              {"phone", "13800000000"}}));
  ASSERT_EQ(r.status, 201) << r.body;
  const json created = json::parse(r.body);
  ASSERT_TRUE(created.is_array());
  const std::string id = created[0]["service_request_id"];
  EXPECT_TRUE(created[0].contains("service_notice"));
  EXPECT_NE(created[0]["service_notice"].get<std::string>().find("FT2"), std::string::npos);

  const HttpResponse one = get("/open311/v2/requests/" + id + ".json");
  ASSERT_EQ(one.status, 200) << one.body;
  const json s = json::parse(one.body).at(0);
  for (const char* k : {"service_request_id", "status", "status_notes", "service_name",
                        "service_code", "description", "agency_responsible", "service_notice",
                        "requested_datetime", "updated_datetime", "expected_datetime", "address",
                        "address_id", "zipcode", "lat", "long", "media_url"})
    EXPECT_TRUE(s.contains(k)) << k;
  EXPECT_EQ(s["service_request_id"], id);
  EXPECT_EQ(s["status"], "open");
  EXPECT_EQ(s["agency_responsible"], kG1);
  EXPECT_EQ(s["address"], "文化路 1 号");
  EXPECT_EQ(s["media_url"], "http://example.invalid/p.jpg");
  EXPECT_EQ(s["description"], "垃圾 堆放");
  EXPECT_FALSE(s["expected_datetime"].is_null());
  EXPECT_NEAR(s["lat"].get<double>(), 30.11, 1e-9);
  EXPECT_EQ(one.body.find("13800000000"), std::string::npos);  // contact details stay private

  // The native record: assignee, reason, deadline and history.
  const HttpResponse native = get("/incidents/" + id, "ft1");  // staff of the grid
  ASSERT_EQ(native.status, 200);
  const json n = json::parse(native.body);
  EXPECT_EQ(n["assignee"], "FT2");
  EXPECT_EQ(n["status"], "dispatched");
  EXPECT_EQ(n["dispatch_reason"]["worker"], "FT2");
  EXPECT_EQ(n["dispatch_reason"]["grid"], kG1);
  EXPECT_GT(n["dispatch_reason"]["worker_distance_m"].get<double>(), 0);
  EXPECT_EQ(n["history"].size(), 2u);
  EXPECT_FALSE(n.contains("reporter"));  // personal: not for a grid worker
  EXPECT_EQ(native.header("ETag"), "\"" + std::to_string(n["version"].get<int64_t>()) + "\"");
  EXPECT_EQ(json::parse(get("/incidents/" + id, "centre").body)["reporter"], "app");

  // Listing with filters.
  auto listed = [&](const std::string& query) {
    const HttpResponse l = get("/open311/v2/requests.json?" + query);
    EXPECT_EQ(l.status, 200) << l.body;
    std::set<std::string> ids;
    for (const auto& x : json::parse(l.body))
      ids.insert(x["service_request_id"].get<std::string>());
    return ids.count(id) > 0;
  };
  EXPECT_TRUE(listed("service_request_id=" + id));
  EXPECT_TRUE(listed("service_code=0102,0101&status=open"));
  EXPECT_FALSE(listed("service_code=0102"));
  EXPECT_FALSE(listed("status=closed"));
  EXPECT_FALSE(listed("start_date=2099-01-01T00:00:00Z"));
  EXPECT_TRUE(listed("start_date=2000-01-01T00:00:00Z&end_date=2099-01-01T00:00:00Z"));
}

TEST_F(DispatchHttp, OutsideEveryGridTheNearestGridElseTheTown) {
  const int64_t near = open311(119.997, 30.1);  // ~290 m west: the nearest grid within 500 m
  const json n = json::parse(get("/incidents/" + std::to_string(near)).body);
  EXPECT_EQ(n["agency"], kG1);
  EXPECT_EQ(n["join_kind"], "nearest");
  EXPECT_EQ(n["dispatch_reason"]["rule"], "nearest_grid");
  EXPECT_FALSE(n["assignee"].get<std::string>().empty());
  const int64_t far = open311(119.98, 30.1);  // ~1.9 km west: the town's centre
  const json f =
      json::parse(get("/open311/v2/requests/" + std::to_string(far) + ".json").body).at(0);
  EXPECT_EQ(f["agency_responsible"], "330521001");
  const json fn = json::parse(get("/incidents/" + std::to_string(far)).body);
  EXPECT_EQ(fn["level"], "town");
  EXPECT_EQ(fn["dispatch_reason"]["rule"], "town");
  EXPECT_TRUE(fn["assignee"].is_null()) << fn.dump();  // no worker: in the town's queue
  // A department's category: agency_responsible is the department.
  const int64_t fire = open311(120.036, 30.11, "0501");
  EXPECT_EQ(json::parse(get("/open311/v2/requests/" + std::to_string(fire) + ".json")
                            .body)[0]["agency_responsible"],
            "消防");
}

TEST_F(DispatchHttp, GcjCoordinatesAreShiftedOnTheWayInAndOut) {
  const onemap::spatial::LonLat p{120.03, 30.12};
  const onemap::spatial::LonLat g = onemap::spatial::wgs84_to_gcj02(p);
  const json body = {{"api_key", token("app")},
                     {"service_code", "0101"},
                     {"lat", g.lat},
                     {"long", g.lon},
                     {"coordinate_system", "GCJ02"}};
  const HttpResponse r = api().send("POST", "/open311/v2/requests.json", body.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = json::parse(r.body)[0]["service_request_id"];
  const json n = json::parse(get("/incidents/" + id).body);
  EXPECT_LT(onemap::spatial::distance_m({n["lon"], n["lat"]}, p), 0.5);
  const json back =
      json::parse(get("/open311/v2/requests/" + id + ".json?coordinate_system=GCJ02").body)[0];
  EXPECT_LT(onemap::spatial::distance_m({back["long"], back["lat"]}, g), 0.5);
}

TEST_F(DispatchHttp, Open311DiscoveryNamesTheEndpointAClientThenUses) {
  for (const char* path : {"/open311/discovery.json", "/open311/v2/discovery.json"}) {
    const HttpResponse r = get(path);
    ASSERT_EQ(r.status, 200) << path << r.body;
    const json d = json::parse(r.body);
    ASSERT_EQ(d["endpoints"].size(), 1u);
    const json& e = d["endpoints"][0];
    EXPECT_EQ(e["specification"], "http://wiki.open311.org/GeoReport_v2");
    EXPECT_EQ(e["formats"], json::array({"application/json"}));
    EXPECT_FALSE(d["changeset"].get<std::string>().empty());
    // The url it names is where the services are.
    const std::string url = e["url"];
    ASSERT_EQ(url.rfind(ApiHarness::base_url(), 0), 0u) << url;
    EXPECT_EQ(get(url.substr(ApiHarness::base_url().size()) + "/services.json").status, 200);
  }
}

TEST_F(DispatchHttp, BadRequestsGetOpen311Errors) {
  // Each form: a valid request with fields changed, added or left out (nullopt).
  using Changes = std::vector<std::pair<std::string, std::optional<std::string>>>;
  const std::vector<std::pair<std::string, std::string>> valid = {
      {"api_key", token("app")}, {"service_code", "0101"}, {"lat", "30.1"}, {"long", "120.03"}};
  const struct {
    Changes changes;
    int status;
    const char* parameter;
  } forms[] = {
      {{{"service_code", std::nullopt}}, 400, "service_code"},
      {{{"lat", "abc"}}, 400, "lat"},
      {{{"lat", "95"}}, 400, "lat"},
      {{{"long", "181"}}, 400, "long"},
      {{{"lat", std::nullopt}, {"long", std::nullopt}}, 400, "lat"},
      {{{"service_code", "9999"}}, 400, "service_code"},
      {{{"colour", "red"}}, 400, "colour"},
      {{{"coordinate_system", "BD09"}}, 400, "coordinate_system"},
      {{{"api_key", std::nullopt}}, 401, "api_key"},
      {{{"api_key", "om_nope"}}, 401, ""},
  };
  for (const auto& f : forms) {
    auto fields = valid;
    for (const auto& change : f.changes) {
      const std::string& name = change.first;  // a structured binding clang 14 cannot capture
      const auto& value = change.second;
      const auto at = std::find_if(fields.begin(), fields.end(),
                                   [&](const auto& field) { return field.first == name; });
      if (at == fields.end())
        fields.emplace_back(name, value.value());
      else if (value)
        at->second = *value;
      else
        fields.erase(at);
    }
    const std::string body = form_body(fields);
    SCOPED_TRACE(body);
    expect_error(post_form("/open311/v2/requests.json", body), f.status, kOpen311, f.parameter);
  }
  expect_error(api().send("POST", "/open311/v2/requests.json", "{not json"), 400, kOpen311, "body");
  expect_errors(
      api(),
      {
          {"/open311/v2/requests/999999.json", 404, kOpen311, ""},
          {"/open311/v2/requests/abc.json", 404, kOpen311, "service_request_id"},
          {"/open311/v2/requests.json?status=pending", 400, kOpen311, "status"},
          {"/open311/v2/requests.json?start_date=yesterday", 400, kOpen311, "start_date"},
          {"/open311/v2/requests.json?service_request_id=x1", 400, kOpen311, "service_request_id"},
          {"/open311/v2/requests.json?color=1", 400, kOpen311, "color"},
          {"/open311/v2/requests.xml", 404, kOpen311, ""},
      },
      kAdminToken);
  expect_error(api().send("DELETE", "/open311/v2/services.json", ""), 405, kOpen311, "");
}

TEST_F(DispatchHttp, TheLoopRunsOverHttpWithRolesAndIfMatch) {
  const int64_t id = open311(120.036, 30.11);
  const HttpResponse first = get("/incidents/" + std::to_string(id));
  const std::string etag = first.header("ETag");
  ASSERT_FALSE(etag.empty());
  const std::string assignee = json::parse(first.body)["assignee"];
  ASSERT_TRUE(assignee == "FT2" || assignee == "FT1") << assignee;
  const std::string me = assignee == "FT2" ? "ft2" : "ft1",
                    other = assignee == "FT2" ? "ft1" : "ft2";
  // Somebody else's incident, a reporter, a bad action, a missing token.
  EXPECT_EQ(act(id, other, {{"action", "accept"}}).status, 403);
  EXPECT_EQ(act(id, "app", {{"action", "dispatch"}}).status, 403);
  const HttpResponse bad = act(id, me, {{"action", "approve"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body)["error"]["parameter"], "action");
  EXPECT_EQ(
      api()
          .send("POST", "/incidents/" + std::to_string(id) + "/actions", R"({"action":"accept"})")
          .status,
      401);
  // Accept with the current ETag; the same ETag again loses with 409.
  const HttpResponse ok = act(id, me, {{"action", "accept"}, {"note", "出发"}}, etag);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(ok.header("ETag"), etag);
  const json accepted = json::parse(ok.body);
  EXPECT_EQ(accepted["status"], "accepted");
  EXPECT_EQ(accepted["event"]["action"], "accept");
  EXPECT_EQ(accepted["event"]["note"], "出发");
  const HttpResponse stale = act(id, me, {{"action", "start"}}, etag);
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_TRUE(json::parse(stale.body).contains("error"));
  // A state the action does not apply to: 409 too.
  EXPECT_EQ(act(id, "centre", {{"action", "close"}}).status, 409);
  ASSERT_EQ(act(id, me, {{"action", "start"}}, ok.header("ETag")).status, 200);
  ASSERT_EQ(act(id, me, {{"action", "resolve"}, {"note", "已清理"}}).status, 200);
  // 报办分离: the handler may not verify; the grid head and the centre may.
  EXPECT_EQ(act(id, me, {{"action", "verify"}}).status, 403);
  ASSERT_EQ(act(id, "head", {{"action", "verify"}}).status, 200);
  const HttpResponse closed = act(id, "centre", {{"action", "close"}});
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_FALSE(json::parse(closed.body)["closed_at"].is_null());
  // The history, in order, with actors.
  const json h = json::parse(get("/incidents/" + std::to_string(id) + "/history").body)["events"];
  std::vector<std::string> actions, actors;
  for (const auto& e : h) {
    actions.push_back(e["action"]);
    actors.push_back(e["actor"]);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"report", "dispatch", "accept", "start", "resolve",
                                               "verify", "close"}));
  EXPECT_EQ(actors, (std::vector<std::string>{"app", "system", me, me, me, "head", "centre"}));
  // Open311 sees it closed.
  EXPECT_EQ(
      json::parse(get("/open311/v2/requests/" + std::to_string(id) + ".json").body)[0]["status"],
      "closed");
  // Who am I.
  const json who = json::parse(get("/users/me", "head").body);
  EXPECT_EQ(who["role"], "worker");
  EXPECT_EQ(who["worker_role"], "grid_head");
  EXPECT_EQ(who["team_grid"], kG1);
  EXPECT_EQ(get("/users/me", "").status, 401);
}

TEST_F(DispatchHttp, TilesAndQueriesShowEachTransitionAtOnce) {
  const int64_t id = open311(120.036, 30.11);
  const std::string assignee =
      json::parse(get("/incidents/" + std::to_string(id)).body)["assignee"];
  const std::string me = assignee == "FT2" ? "ft2" : "ft1";
  // The z14 tile that holds it, with the accepted ones only; and the feature query.
  const double lon = 120.036, lat = 30.11;
  const int z = 14;
  const double n = std::pow(2.0, z);
  const int x = static_cast<int>((lon + 180.0) / 360.0 * n);
  const double r = lat * M_PI / 180.0;
  const int y = static_cast<int>((1.0 - std::asinh(std::tan(r)) / M_PI) / 2.0 * n);
  const std::string tile = "/tiles/incidents/" + std::to_string(z) + "/" + std::to_string(x) + "/" +
                           std::to_string(y) + ".mvt?status=accepted";
  const std::string items = "/collections/incidents/items?status=accepted&limit=1000";
  const HttpResponse t0 = get(tile);
  auto ids_of = [](const std::string& body) {
    std::set<int64_t> ids;
    const json j = json::parse(body);
    for (const auto& f : j["features"]) ids.insert(f["id"].get<int64_t>());
    return ids;
  };
  EXPECT_FALSE(ids_of(get(items).body).count(id));
  ASSERT_EQ(act(id, me, {{"action", "accept"}}).status, 200);
  const HttpResponse t1 = get(tile);
  EXPECT_EQ(t1.status, 200);
  EXPECT_NE(t1.header("ETag"), t0.header("ETag"));
  EXPECT_TRUE(ids_of(get(items).body).count(id));
  // The stats' loop figures agree with a count over every incident's properties.
  const json stats = json::parse(
      get("/collections/incidents/stats?datetime=2000-01-01T00:00:00Z/2099-01-01T00:00:00Z").body);
  const json all = json::parse(get("/collections/incidents/items?limit=10000").body);
  int64_t open = 0, closed = 0, overdue = 0;
  for (const auto& f : all["features"]) {
    const json& p = f["properties"];
    const std::string st = p["status"];
    if (st == "closed") ++closed;
    if (st != "closed" && st != "resolved" && st != "verified") {
      ++open;
      if (p["overdue"].get<bool>()) ++overdue;
    }
  }
  const json& loop = stats["total"]["loop"];
  EXPECT_GE(open, 1);
  EXPECT_EQ(loop["open"].get<int64_t>(), open);
  EXPECT_EQ(loop["closed"].get<int64_t>(), closed);
  EXPECT_EQ(loop["overdue"].get<int64_t>(), overdue);  // no deadline has passed yet in this test
  EXPECT_EQ(stats["total"]["count"].get<int64_t>(), static_cast<int64_t>(all["features"].size()));
  // 有效率 and the rest are the county's own figures (layers::LoopMetrics) over the same window.
  const auto m = api().county().metrics("", "", 946684800, 4070908800);
  EXPECT_EQ(loop["handled"].get<std::size_t>(), m.handled);
  EXPECT_EQ(loop["effective_rate"].get<double>(), m.effective_rate);
  if (m.handled_with_deadline) {
    EXPECT_EQ(loop["timely_rate"].get<double>(), m.timely_rate);
  }
  EXPECT_EQ(loop["returned"].get<std::size_t>(), m.returned);
  EXPECT_EQ(loop["median_stage_hours"].size(), m.kStages.size());
  EXPECT_EQ(stats["total"]["tickets"]["received"].get<std::size_t>(),
            api().county().ticket_counts("", 0, 0).received);
}

TEST_F(DispatchHttp, BatchDispatchAndTheSweepOverHttp) {
  // Three returned incidents wait for a batch.
  std::vector<int64_t> ids;
  for (int k = 0; k < 3; ++k) {
    const int64_t id = open311(120.005 + 0.01 * k, 30.05);
    const std::string assignee =
        json::parse(get("/incidents/" + std::to_string(id)).body)["assignee"];
    if (assignee.empty()) continue;  // queued: caps reached by the other tests
    const std::string who = assignee == "FT2" ? "ft2" : assignee == "FT1" ? "ft1" : "";
    if (who.empty()) continue;
    ASSERT_EQ(act(id, who, {{"action", "return"}, {"note", "busy"}}).status, 200);
    ids.push_back(id);
  }
  EXPECT_EQ(api().send("POST", "/dispatch/batch", R"({"area":"330521001"})", token("ft1")).status,
            403);
  const HttpResponse bad =
      api().send("POST", "/dispatch/batch", R"({"pool":"planet"})", token("centre"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body)["error"]["parameter"], "pool");
  const HttpResponse b = api().send("POST", "/dispatch/batch",
                                    R"({"area":"330521001","pool":"village"})", token("centre"));
  ASSERT_EQ(b.status, 200) << b.body;
  const json batch = json::parse(b.body);
  EXPECT_GE(batch["incidents"].get<int64_t>(), static_cast<int64_t>(ids.size()));
  EXPECT_TRUE(batch["proved_optimal"].get<bool>());
  EXPECT_GE(batch["assigned"].get<int64_t>(), batch["greedy"]["assigned"].get<int64_t>());
  if (batch["assigned"] == batch["greedy"]["assigned"]) {
    EXPECT_LE(batch["total_m"].get<double>(), batch["greedy"]["total_m"].get<double>() + 1e-6);
  }
  // The sweep is the centre's; a sweep "at" a time ahead of the clock would escalate every open
  // incident and is refused (the sweep of an overdue incident: DispatchSweep below).
  EXPECT_EQ(
      api()
          .send("POST", "/escalations/sweep", R"({"at":"2099-01-01T00:00:00Z"})", token("ft1"))
          .status,
      403);
  const HttpResponse ahead =
      api().send("POST", "/escalations/sweep", R"({"at":"2099-01-01T00:00:00Z"})", token("centre"));
  EXPECT_EQ(ahead.status, 400) << ahead.body;
  EXPECT_EQ(json::parse(ahead.body)["error"]["parameter"], "at");
}

// An incident stored past its deadline: the sweep (at the clock's time) escalates it one level.
TEST(DispatchSweep, EscalatesAnIncidentPastItsDeadline) {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  ApiHarness api([&](const std::string& dir) {
    std::string store = write_dispatch_county(dir);
    onemap::layers::Incident in;
    in.category = "0101";
    in.status = "dispatched";
    in.source = "grid_app";
    in.location = {120.036, 30.12};
    in.reported_at = now - 3 * 86400;
    in.deadline = now - 86400;
    in.agency = kG1;
    in.level = "grid";
    in.version = 1;
    in.join.grid_code = kG1;
    in.join.kind = onemap::layers::JoinKind::Contained;
    auto s = onemap::layers::open_store(store, false);
    onemap::layers::Store::Batch b;
    b.incidents.push_back(&in);
    s->put(b);
    return store;
  });
  const std::string centre = api.add_user("centre", "centre", "330521");
  const HttpResponse s = api.send("POST", "/escalations/sweep", "", centre);
  ASSERT_EQ(s.status, 200) << s.body;
  const json escalated = json::parse(s.body)["escalated"];
  ASSERT_EQ(escalated.size(), 1u) << s.body;  // the one incident of the store
  const json esc = api.get("/incidents/" + escalated[0].dump(), centre).json();
  EXPECT_EQ(esc["status"], "escalated");
  EXPECT_EQ(esc["level"], "village");
  EXPECT_EQ(esc["agency"], "330521001001");
  EXPECT_TRUE(esc["overdue"].get<bool>());
  EXPECT_EQ(esc["history"].back()["action"], "escalate");
}
