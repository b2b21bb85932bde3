// Hostile input through the server's route table in process (tests/support/api_harness.hpp):
// every bad request is a 4xx naming its parameter, the store is exactly as it was, and /health
// still answers. Deep JSON, huge geometries and filters,
// bad text (NUL, control characters, bytes that are no UTF-8, oversize), impossible dates and
// times outside the plausible window, duplicate external ids; stored bad bytes that every read
// must survive; and the write rules (area scope, PATCH of an incident, 报办分离 on every path).
#include "tests/support/api_harness.hpp"
#include "tests/support/expect_error.hpp"

#include "layers/model/text.hpp"
#include "layers/store/store.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

using json = nlohmann::json;
using namespace onemap::testing;

namespace {

constexpr const char* kAdmin = onemap::testing::kAdminToken;

// Everything a write could change, as text: two equal fingerprints mean an unchanged store.
std::string fingerprint(const std::string& store) {
  auto s = onemap::layers::open_store(store, false);
  const auto d = s->load();
  std::ostringstream o;
  o.precision(17);
  for (const auto& g : d.grids) {
    o << "G" << g.fid << g.code << '|' << g.name << '|' << g.area_m2;
    for (const auto& p : g.geometry)
      for (const auto& q : p.outer()) o << q.x() << ',' << q.y() << ';';
    o << '\n';
  }
  for (const auto& h : d.households)
    o << "H" << h.fid << h.id << '|' << h.address << '|' << h.members << '|' << h.flags << '|'
      << h.location.lon << ',' << h.location.lat << '|' << h.head_name << '|' << h.join.grid_code
      << '\n';
  for (const auto& e : d.enterprises)
    o << "E" << e.fid << e.id << '|' << e.name << '|' << e.last_inspection << '|' << e.location.lon
      << '\n';
  for (const auto& i : d.incidents)
    o << "I" << i.fid << i.id << '|' << i.category << '|' << i.description << '|' << i.status << '|'
      << i.assignee << '|' << i.version << '|' << i.reported_at << '|' << i.location.lon << '\n';
  o << "events " << s->load_events().size();
  return o.str();
}

// A refusal naming `parameter`: the error's parameter for a 400 (and in Open311's form), its
// message for another status (403 names the area, 409 the field).
void expect_refusal(const HttpResponse& r, int status, const std::string& parameter) {
  const json j = json::parse(r.body, nullptr, false);
  if (status == 400 || j.is_array()) {
    expect_error(r, status, "", parameter);
    return;
  }
  expect_error(r, status);
  EXPECT_NE(j["error"].value("message", "").find(parameter), std::string::npos) << r.body;
}

class HostileInput : public SharedApi<HostileInput> {
 public:
  static std::unique_ptr<ApiHarness> make_api() {
    auto api = std::make_unique<ApiHarness>(write_dispatch_county);
    api->add_user("town1", "centre", "330521001");
    api->add_user("centre", "centre", "330521");
    api->add_user("head", "worker", "", "HEAD");
    api->add_user("ft1", "worker", "", "FT1");
    api->add_user("app", "reporter");
    return api;
  }

 protected:
  static std::string token(const std::string& who) { return api().token(who); }
  // As the administrator unless told otherwise.
  static HttpResponse request(const std::string& method, const std::string& target,
                              const std::string& body, const std::string& token = kAdmin,
                              const std::string& content_type = "application/json",
                              const std::vector<std::string>& extra = {}) {
    return api().send(method, target, body, token, content_type, extra);
  }

  // Sends a request that must be refused: the error names the parameter, the store is unchanged
  // and the server still answers /health.
  static void refused(const std::string& method, const std::string& target, const std::string& body,
                      int status, const std::string& parameter, const std::string& tok = kAdmin,
                      const std::string& content_type = "application/json",
                      const std::vector<std::string>& extra = {}) {
    SCOPED_TRACE(method + " " + target.substr(0, 120));
    const std::string before = fingerprint(api().store_path());
    expect_refusal(request(method, target, body, tok, content_type, extra), status, parameter);
    EXPECT_EQ(fingerprint(api().store_path()), before);
    EXPECT_EQ(api().get("/health").status, 200);
  }
};

TEST_F(HostileInput, JsonNested100000DeepIsA400BeforeAnyRecursion) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const std::string deep_field = R"({"geometry":)" + deep + "}";
  refused("POST", "/collections/grids/items", deep, 400, "body");
  refused("PATCH", "/grids/1", deep, 400, "body");
  refused("PATCH", "/grids/1", deep_field, 400, "body");
  refused("POST", "/incidents", deep, 400, "body");
  refused("POST", "/households", deep, 400, "body");
  refused("PATCH", "/households/1", deep, 400, "body");
  refused("POST", "/enterprises", deep, 400, "body");
  refused("POST", "/dispatch/batch", deep, 400, "body");
  refused("POST", "/escalations/sweep", deep, 400, "body");
  refused("POST", "/open311/v2/requests.json", deep, 400, "body", "");
  // 64 levels are still JSON the endpoint reads (and refuses for what it is, not for its depth).
  refused("POST", "/collections/grids/items", std::string(64, '[') + std::string(64, ']'), 400,
          "body");
}

TEST_F(HostileInput, GeometriesAndFiltersHaveLimits) {
  std::string ring = "[";
  for (int i = 0; i <= 100000; ++i) ring += "[120,30],";
  ring += "[120,30]]";
  const std::string polygon = R"({"type":"Polygon","coordinates":[)" + ring + "]}";
  refused("POST", "/collections/incidents/items", polygon, 400, "body");
  refused("PATCH", "/grids/5", R"({"geometry":)" + polygon + "}", 400, "geometry");
  std::string filter = "category = '0'";
  for (int i = 1; i <= 500; ++i) filter += " OR category = '" + std::to_string(i) + "'";
  refused("GET", "/collections/incidents/items?filter=" + percent_encode(filter), "", 400, "filter",
          "");
}

TEST_F(HostileInput, TextFieldsAreValidUtf8WithoutControlsWithinTheirLength) {
  refused("POST", "/incidents",
          R"({"lon":120.02,"lat":30.1,"category":"0101","description":"before\u0000after"})", 400,
          "description");
  refused("POST", "/incidents",
          json{{"lon", 120.02},
               {"lat", 30.1},
               {"category", "0101"},
               {"description", std::string(300 * 1024, 'x')}}
              .dump(),
          400, "description");
  refused("POST", "/incidents", R"({"lon":120.02,"lat":30.1,"category":"01\u000101"})", 400,
          "category");
  refused("POST", "/incidents", R"({"lon":120.02,"lat":30.1,"category":"0101","id":"x\u0000y"})",
          400, "id");
  refused("POST", "/households", R"({"lon":120.02,"lat":30.1,"address":"路\u0000号"})", 400,
          "address");
  refused("PATCH", "/households/1", R"({"head_name":"张\n三"})", 400, "head_name");
  refused("POST", "/enterprises",
          json{{"lon", 120.02}, {"lat", 30.1}, {"name", std::string(201, 'n')}}.dump(), 400,
          "name");
  refused("POST", "/enterprises", R"({"lon":120.02,"lat":30.1,"name":"厂","ent_id":"E\u007f"})",
          400, "ent_id");
  refused("PATCH", "/incidents/1", R"({"description":"ok"})", 400, "If-Match", kAdmin,
          "application/json", {"If-Match: \"" + std::string(100, '1') + "\""});
  // Open311 form fields: percent-encoded bytes that are no UTF-8, a NUL, an oversize address.
  const std::string base = "api_key=" + token("app") + "&service_code=0101&lat=30.1&long=120.02";
  refused("POST", "/open311/v2/requests.json", base + "&description=%FF%FE", 400, "description", "",
          "application/x-www-form-urlencoded");
  refused("POST", "/open311/v2/requests.json", base + "&description=a%00b", 400, "description", "",
          "application/x-www-form-urlencoded");
  refused("POST", "/open311/v2/requests.json", base + "&address_string=" + std::string(300, 'a'),
          400, "address_string", "", "application/x-www-form-urlencoded");
  refused("POST", "/open311/v2/requests.json", base + "&first_name=%01", 400, "first_name", "",
          "application/x-www-form-urlencoded");
  // Tab and line breaks are fine in free text, and what is acknowledged is what is stored.
  const std::string text = "第一行\n\t第二行 ✓";
  const HttpResponse ok = request(
      "POST", "/incidents",
      json{{"lon", 120.02}, {"lat", 30.1}, {"category", "0101"}, {"description", text}}.dump());
  ASSERT_EQ(ok.status, 201) << ok.body;
  const int64_t id = json::parse(ok.body)["id"];
  EXPECT_EQ(json::parse(ok.body)["description"], text);
  const auto d = api().read_store();
  bool found = false;
  for (const auto& i : d.incidents) {
    if (i.fid != id) continue;
    found = true;
    EXPECT_EQ(i.description, text);
  }
  EXPECT_TRUE(found);
}

TEST_F(HostileInput, DatesAreCalendarDaysAndRequestTimesLieInTheWindow) {
  refused("POST", "/enterprises",
          R"({"lon":120.02,"lat":30.1,"name":"厂","last_inspection":"2026-02-31"})", 400,
          "last_inspection");
  refused("PATCH", "/enterprises/1", R"({"last_inspection":"2026-02-30"})", 400, "last_inspection");
  refused("POST", "/incidents",
          R"({"lon":120.02,"lat":30.1,"category":"0101","reported_at":"2026-02-31T10:00:00Z"})",
          400, "reported_at");
  refused("POST", "/incidents",
          R"({"lon":120.02,"lat":30.1,"category":"0101","reported_at":"1999-12-31T23:00:00Z"})",
          400, "reported_at");
  refused("POST", "/incidents",
          R"({"lon":120.02,"lat":30.1,"category":"0101","reported_at":"2099-01-01T00:00:00Z"})",
          400, "reported_at");
  refused("POST", "/escalations/sweep", R"({"at":"2099-01-01T00:00:00Z"})", 400, "at");
  refused("POST", "/escalations/sweep", R"({"at":"2026-04-31T00:00:00Z"})", 400, "at");
  refused("GET", "/open311/v2/requests.json?start_date=2026-02-31T00:00:00Z", "", 400, "start_date",
          "");
  refused("GET", "/collections/incidents/items?datetime=2026-02-31T00:00:00Z", "", 400, "datetime",
          "");
  // A past time in the window is taken as given.
  const HttpResponse ok = request(
      "POST", "/incidents",
      R"({"lon":120.02,"lat":30.1,"category":"0101","reported_at":"2026-02-28T10:00:00Z"})");
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(json::parse(ok.body)["reported_at"], "2026-02-28T10:00:00Z");
}

TEST_F(HostileInput, ExternalIdsAreUnique) {
  // The fixture's households are H0…H36 and enterprises E0…E4.
  const auto d = api().read_store();
  auto fid_of = [](const auto& records, const std::string& id) {
    for (const auto& r : records)
      if (r.id == id) return std::to_string(r.fid);
    return std::string("0");
  };
  refused("POST", "/households", R"({"lon":120.02,"lat":30.1,"hh_id":"H1"})", 409, "hh_id");
  refused("PATCH", "/households/" + fid_of(d.households, "H2"), R"({"hh_id":"H1"})", 409, "hh_id");
  refused("POST", "/enterprises", R"({"lon":120.02,"lat":30.1,"name":"厂","ent_id":"E0"})", 409,
          "ent_id");
  refused("PATCH", "/enterprises/" + fid_of(d.enterprises, "E1"), R"({"ent_id":"E0"})", 409,
          "ent_id");
  const std::string body = R"({"lon":120.02,"lat":30.1,"category":"0101","id":"12345-0001"})";
  ASSERT_EQ(request("POST", "/incidents", body).status, 201);
  refused("POST", "/incidents", body, 409, "inc_id");
  // A record keeps its own id.
  EXPECT_EQ(
      request("PATCH", "/households/" + fid_of(d.households, "H1"), R"({"hh_id":"H1"})").status,
      200);
}

TEST_F(HostileInput, StaffWriteOnlyInTheirArea) {
  const std::string town1 = token("town1");
  // Town 1 is x 120.0-120.2, town 2 x 120.2-120.4.
  refused("POST", "/households", R"({"lon":120.3,"lat":30.1})", 403, "330521001", town1);
  refused("POST", "/enterprises", R"({"lon":120.3,"lat":30.1,"name":"厂"})", 403, "330521001",
          town1);
  const HttpResponse made =
      request("POST", "/households", R"({"lon":120.05,"lat":30.1,"members":2})", town1);
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string mine =
      "/households/" + std::to_string(json::parse(made.body)["id"].get<int64_t>());
  EXPECT_EQ(request("GET", mine, "", town1).status, 200);
  EXPECT_EQ(request("PATCH", mine, R"({"members":3})", town1).status, 200);
  refused("PATCH", mine, R"({"lon":120.3,"lat":30.1})", 403, "330521001",
          town1);  // a move out of the area
  // Records of town 2: no edit, and no read of a household.
  const auto d = api().read_store();
  int64_t hh2 = 0, en2 = 0;
  auto in_town2 = [](const onemap::layers::LonLat& p) {
    return p.lon > 120.21 && p.lon < 120.39 && p.lat > 30.01 && p.lat < 30.19;
  };
  for (const auto& h : d.households)
    if (in_town2(h.location)) hh2 = h.fid;
  for (const auto& e : d.enterprises)
    if (in_town2(e.location)) en2 = e.fid;
  ASSERT_GT(hh2, 0);
  refused("PATCH", "/households/" + std::to_string(hh2), R"({"members":4})", 403, "330521001",
          town1);
  expect_refusal(request("GET", "/households/" + std::to_string(hh2), "", town1), 403, "330521001");
  if (en2)
    refused("PATCH", "/enterprises/" + std::to_string(en2), R"({"open_hazards":1})", 403,
            "330521001", town1);
  int64_t grid2 = 0, grid1 = 0;
  for (const auto& g : d.grids) {
    if (g.code == "330521002001001") grid2 = g.fid;
    if (g.code == "330521001001002") grid1 = g.fid;
  }
  refused("PATCH", "/grids/" + std::to_string(grid2), R"({"name":"改名"})", 403, "330521001",
          town1);
  EXPECT_EQ(
      request("PATCH", "/grids/" + std::to_string(grid1), R"({"name":"一村二格"})", town1).status,
      200);
  // Intake is not an edit: the town's staff may report what they see in the next town.
  const HttpResponse across =
      request("POST", "/incidents", R"({"lon":120.3,"lat":30.1,"category":"0101"})", town1);
  ASSERT_EQ(across.status, 201) << across.body;
  const std::string inc =
      "/incidents/" + std::to_string(json::parse(across.body)["id"].get<int64_t>());
  refused("PATCH", inc, R"({"description":"改"})", 403, "330521001", town1);
  // The county's staff and the administrator have the whole county (the fixture's households
  // were stored without a grid join: only the unscoped administrator reaches those).
  EXPECT_EQ(request("PATCH", inc, R"({"description":"改"})", token("centre")).status, 200);
  EXPECT_EQ(request("GET", "/households/" + std::to_string(hh2), "", kAdmin).status, 200);
}

TEST_F(HostileInput, AnIncidentEditNeverChangesTheStateAndKeepsSeparation) {
  const HttpResponse made =
      request("POST", "/incidents", R"({"lon":120.02,"lat":30.1,"category":"0101"})", token("app"));
  ASSERT_EQ(made.status, 201) << made.body;
  const int64_t id = json::parse(made.body)["id"];
  const std::string path = "/incidents/" + std::to_string(id);
  refused("PATCH", path, R"({"status":"closed"})", 400, "status");
  refused("PATCH", path, R"({"assignee":"NOBODY"})", 400, "assignee");
  refused("PATCH", path, R"({"category":"9999"})", 400, "category");
  // The grid head is made the assignee by an edit, then FT1: FT1 handles it, and the grid head,
  // who was assigned it, may not verify it (the trail remembers).
  ASSERT_EQ(request("PATCH", path, R"({"assignee":"HEAD"})").status, 200);
  ASSERT_EQ(request("PATCH", path, R"({"assignee":"FT1"})").status, 200);
  for (const char* action : {"accept", "resolve"}) {
    const HttpResponse r =
        request("POST", path + "/actions", json{{"action", action}}.dump(), token("ft1"));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  refused("POST", path + "/actions", R"({"action":"verify"})", 403, "handled", token("head"));
  // Resolved: the assignee stays.
  refused("PATCH", path, R"({"assignee":"FT2"})", 409, "assignee");
  EXPECT_EQ(request("POST", path + "/actions", R"({"action":"verify"})", token("centre")).status,
            200);
}

// Records stored with bytes that are no UTF-8 (by earlier versions, or imports) and JSON text
// that does not parse: every read answers 200 with valid UTF-8, and an action on them works.
TEST(StoredBadBytes, EveryReadAndActionSurvivesThem) {
  onemap::layers::Dataset d = small_county();
  d.incidents[0].description = "bad \xFF\xFE bytes";
  d.incidents[0].dispatch_reason = "{\"text\":\"\xFF";
  d.incidents[0].extra = "{\"address_string\":\"\xFE\"";
  d.incidents[0].status = "dispatched";
  d.incidents[0].reported_at = static_cast<int64_t>(std::time(nullptr)) - 3600;
  d.households[0].address = "\xC0\x80\xED\xA0\x80";
  d.grids[3].name = "\xFF";
  d.enterprises[0].name = "\xFE";
  ApiHarness api([&](const std::string& dir) {
    std::string store = dir + "/county.gpkg";
    auto s = onemap::layers::open_store(store, true);
    s->replace_all(d);
    onemap::layers::IncidentEvent e;
    e.seq = 1;
    e.at = d.incidents[0].reported_at;
    e.actor = "import";
    e.action = "report";
    e.to = "reported";
    e.note = "\xFF";
    e.detail = "{\"reason\":\"\xFE";
    onemap::layers::Store::Batch batch;
    batch.events.push_back({&e, &d.incidents[0]});
    s->put(batch);
    return store;
  });
  // The store keeps the bytes as they were (so the reads below meet them).
  ASSERT_EQ(api.as_written().incidents[0].description, "bad \xFF\xFE bytes");
  ASSERT_EQ(api.as_written().households[0].address, "\xC0\x80\xED\xA0\x80");
  const std::string id = std::to_string(d.incidents[0].fid);
  for (const std::string& target : std::vector<std::string>{
           "/open311/v2/requests.json", "/open311/v2/requests/" + id + ".json", "/incidents/" + id,
           "/incidents/" + id + "/history", "/collections/incidents/items?limit=100",
           "/collections/households/items?limit=100", "/collections/grids/items?limit=100",
           "/collections/enterprises/items?limit=100", "/collections/incidents/items/" + id,
           "/collections/incidents/stats?datetime=2000-01-01T00:00:00Z/2030-01-01T00:00:00Z",
           "/households/" + std::to_string(d.households[0].fid),
           "/grids/" + std::to_string(d.grids[3].fid),
           "/enterprises/" + std::to_string(d.enterprises[0].fid)}) {
    SCOPED_TRACE(target);
    const HttpResponse r = api.get(target, kAdmin);
    EXPECT_EQ(r.status, 200) << r.body.substr(0, 300);
    EXPECT_TRUE(onemap::layers::is_valid_utf8(r.body));
    EXPECT_FALSE(json::parse(r.body, nullptr, false).is_discarded()) << r.body.substr(0, 300);
  }
  const HttpResponse one = api.get("/incidents/" + id, kAdmin);
  EXPECT_EQ(json::parse(one.body)["description"], "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes");
  const HttpResponse act =
      api.send("POST", "/incidents/" + id + "/actions", R"({"action":"escalate"})", kAdmin);
  EXPECT_EQ(act.status, 200) << act.body;
  EXPECT_TRUE(onemap::layers::is_valid_utf8(act.body));
  EXPECT_EQ(api.get("/health").status, 200);
}

}  // namespace
