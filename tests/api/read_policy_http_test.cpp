// The read policy through the server's route table in process (tests/support/api_harness.hpp):
// an anonymous client scanning every endpoint of a demo county — every collection and page, single
// features and records, histories, statistics, Open311, TileJSON and tiles of every layer at z0-z18
// in both tile matrix sets — finds none of the store's personal values (names, phones, ID numbers,
// worker names and positions, incident descriptions, reporters' user ids), and no incident of a
// sensitive category; a town-scoped command-centre user gets incident detail inside its town only;
// tile answers vary by the token and an ETag of one audience's tile never revalidates another's.
#include "tests/support/api_harness.hpp"
#include "tests/support/demo_county.hpp"
#include "tests/support/expect_error.hpp"

#include "auth/read_policy.hpp"
#include "layers/county/county.hpp"
#include "layers/dispatch/dispatch_config.hpp"
#include "layers/store/store.hpp"
#include "spatial/tms.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using json = nlohmann::json;
using onemap::testing::ApiHarness;
using onemap::testing::HttpResponse;

const std::string kTown = "330521001";

// The shortest text of a double, as JSON writers print it.
std::string number_text(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

class ReadPolicyHttp : public onemap::testing::SharedApi<ReadPolicyHttp> {
 public:
  // The demo county with four users (added as `onemap user add` does, before the server loads
  // it), a copy of it for a server with a county's own policy (policy.gpkg), and reports with
  // free text through the reporting channel, some of sensitive categories.
  static std::unique_ptr<ApiHarness> make_api() {
    auto api = std::make_unique<ApiHarness>([](const std::string& dir) {
      std::string store = onemap::testing::write_demo_county(dir);
      {
        onemap::layers::County county(
            onemap::layers::open_store(store, false), {}, onemap::layers::TileConfig::defaults(),
            onemap::layers::DispatchConfig::load(onemap::testing::dispatch_config_path()));
        auto add = [&](std::string id, std::string role, std::string scope = "") {
          onemap::layers::User u;
          u.id = std::move(id);
          u.role = std::move(role);
          u.scope = std::move(scope);
          return county.users().add(u);
        };
        resident_ = add("resident-app-7", "reporter");
        town_ = add("town1-centre", "centre", kTown);
        department_ = add("water-bureau", "department", "水利");
        county_ = add("county-admin", "admin");
      }
      // A copy for a server with a county's own policy, before this one serves the store.
      policy_store_ = dir + "/policy.gpkg";
      std::filesystem::copy_file(store, policy_store_);
      return store;
    });
    int n = 0;
    for (const char* category : {"0101", "0801", "0901", "0701"})
      for (double dx : {0.0, 0.02}) {
        const json body = {{"lon", 119.97 + dx},
                           {"lat", 30.55 + 0.01 * n},
                           {"category", category},
                           {"description", "居民反映的私人情况 " + std::to_string(n++)}};
        const HttpResponse r = api->send("POST", "/incidents", body.dump(), resident_);
        EXPECT_EQ(r.status, 201) << r.body;
      }
    return api;
  }

 protected:
  static HttpResponse get(const std::string& target, const std::string& token = "",
                          std::vector<std::string> h = {}) {
    return api().get(target, token, std::move(h));
  }

  static inline std::string policy_store_, resident_, town_, department_, county_;
};

TEST_F(ReadPolicyHttp, AnAnonymousScanOfEveryEndpointFindsNoPersonalValue) {
  // The secrets, from the store itself (what the server holds now, the reports above included).
  const onemap::layers::Dataset d = api().read_store();
  std::set<std::string> secrets;
  auto secret = [&](const std::string& s) {
    if (s.size() >= 4) secrets.insert(s);
  };
  for (const auto& h : d.households) secret(h.head_name), secret(h.phone), secret(h.id_number);
  for (const auto& w : d.workers) {
    secret(w.name);
    secret(number_text(w.location.lon) + "," + number_text(w.location.lat));  // a GeoJSON position
  }
  std::set<int64_t> sensitive_ids;
  const auto config = onemap::layers::DispatchConfig::load(onemap::testing::dispatch_config_path());
  for (const auto& i : d.incidents) {
    secret(i.description);
    if (i.reporter != "system") secret(i.reporter);
    const auto* c = config.find(i.category);
    if (c && c->sensitive) sensitive_ids.insert(i.fid);
  }
  // A two-character name can be part of a place's name (a worker 高峰, a village 高峰村): the
  // public registers' names do not count as leaks.
  std::erase_if(secrets, [&](const std::string& s) {
    for (const auto& g : d.grids)
      if (g.name.find(s) != std::string::npos) return true;
    for (const auto& e : d.enterprises)
      if (e.name.find(s) != std::string::npos) return true;
    return false;
  });
  ASSERT_GT(secrets.size(), 100u);
  ASSERT_FALSE(sensitive_ids.empty());
  ASSERT_TRUE(secrets.count("resident-app-7"));

  // Every secret by its first four bytes: one pass over a body finds every secret in it.
  auto prefix4 = [](const char* p) {
    uint32_t v = 0;
    std::memcpy(&v, p, 4);
    return v;
  };
  std::unordered_map<uint32_t, std::vector<const std::string*>> by_prefix;
  for (const auto& s : secrets) by_prefix[prefix4(s.data())].push_back(&s);
  auto leaks = [&](const std::string& body) {
    std::vector<std::string> found;
    for (std::size_t i = 0; i + 4 <= body.size(); ++i) {
      const auto it = by_prefix.find(prefix4(body.data() + i));
      if (it == by_prefix.end()) continue;
      for (const std::string* s : it->second)
        if (body.compare(i, s->size(), *s) == 0) found.push_back(*s);
    }
    return found;
  };
  std::size_t scanned = 0;
  std::map<int, int> statuses;
  auto scan = [&](const std::string& target) {
    HttpResponse r = get(target);
    ++scanned;
    ++statuses[r.status];
    EXPECT_LT(r.status, 500) << target;
    for (const auto& s : leaks(r.body)) ADD_FAILURE() << target << " shows '" << s << "'";
    return r;
  };
  for (const char* t :
       {"/health", "/layers", "/metrics", "/api", "/conformance", "/collections", "/",
        "/open311/v2/services.json",
        "/collections/incidents/stats?datetime=2026-10-01T00:00:00Z/2026-11-26T00:00:00Z",
        "/open311/v2/requests.json?start_date=2000-01-01T00:00:00Z"})
    EXPECT_EQ(scan(t).status, 200) << t;
  for (const char* coll : {"grids", "households", "enterprises", "incidents", "workers"}) {
    const std::string base = std::string("/collections/") + coll;
    scan(base);
    scan(base + "/queryables");
    for (std::size_t offset = 0;; offset += 10000) {
      const HttpResponse r = scan(base + "/items?limit=10000&offset=" + std::to_string(offset));
      if (std::string(coll) == "workers") {
        EXPECT_EQ(r.status, 401);  // whereabouts: never public
        break;
      }
      ASSERT_EQ(r.status, 200) << coll;
      const json page = json::parse(r.body);
      if (std::string(coll) == "incidents") {
        for (const auto& f : page["features"]) {
          EXPECT_FALSE(sensitive_ids.count(f["id"].get<int64_t>())) << f.dump();
        }
      }
      if (page["numberReturned"].get<std::size_t>() < 10000) break;
    }
  }
  // Every incident of a sensitive category or reported through the channel, a quarter of the rest.
  for (std::size_t k = 0; k < d.incidents.size(); ++k) {
    const auto& i = d.incidents[k];
    if (k % 4 != 0 && !sensitive_ids.count(i.fid) && i.reporter != "resident-app-7") continue;
    const std::string id = std::to_string(i.fid);
    const int expect = sensitive_ids.count(i.fid) ? 404 : 200;
    EXPECT_EQ(scan("/incidents/" + id).status, expect) << id;
    EXPECT_EQ(scan("/collections/incidents/items/" + id).status, expect) << id;
    EXPECT_EQ(scan("/open311/v2/requests/" + id + ".json").status, expect) << id;
    EXPECT_EQ(scan("/incidents/" + id + "/history").status, sensitive_ids.count(i.fid) ? 404 : 401)
        << id;
  }
  for (const auto& w : d.workers)
    EXPECT_EQ(scan("/collections/workers/items/" + std::to_string(w.fid)).status, 401);
  for (std::size_t k = 0; k < d.households.size(); k += 50)
    scan("/households/" + std::to_string(d.households[k].fid));

  // Tiles of every layer at every zoom in both matrix sets: the tiles holding the points (and so
  // every tile with content at the high zooms).
  std::vector<std::pair<double, double>> points;
  for (std::size_t k = 0; k < d.incidents.size(); k += 5)
    points.emplace_back(d.incidents[k].location.lon, d.incidents[k].location.lat);
  for (const auto& w : d.workers) points.emplace_back(w.location.lon, w.location.lat);
  for (std::size_t k = 0; k < d.households.size(); k += 25)
    points.emplace_back(d.households[k].location.lon, d.households[k].location.lat);
  const std::string layers = "grids,households,enterprises,incidents";
  for (const auto* tms : {&onemap::spatial::TileMatrixSet::web_mercator(),
                          &onemap::spatial::TileMatrixSet::cgcs2000()}) {
    const std::string prefix =
        tms == &onemap::spatial::TileMatrixSet::web_mercator() ? "/tiles/" : "/tiles/cgcs2000/";
    scan(prefix + layers + ".json");
    EXPECT_EQ(scan(prefix + "workers.json").status, 401);
    const uint32_t min_zoom = prefix == "/tiles/" ? 0 : 1;  // CGCS2000's matrices start at 1
    for (uint32_t z = min_zoom; z <= 18; ++z) {
      std::set<std::pair<uint32_t, uint32_t>> tiles;
      for (const auto& [lon, lat] : points) {
        double x = 0, y = 0;
        tms->project(lon, lat, x, y);
        const auto t = tms->tile_at(x, y, z);
        tiles.emplace(t.x, t.y);
      }
      for (const auto& [x, y] : tiles) {
        const std::string zxy =
            std::to_string(z) + "/" + std::to_string(x) + "/" + std::to_string(y) + ".mvt";
        const int status = scan(prefix + layers + "/" + zxy).status;
        EXPECT_TRUE(status == 200 || status == 204) << zxy << " " << status;
        if (z % 6 == 0) {
          EXPECT_EQ(scan(prefix + "workers/" + zxy).status, 401);
        }
      }
    }
  }
  std::cout << "scanned " << scanned << " answers:";
  for (const auto& [s, n] : statuses) std::cout << " " << n << "x" << s;
  std::cout << "\n";
  EXPECT_GT(scanned, 1000u);
}

TEST_F(ReadPolicyHttp, ATownCentreUserGetsDetailInsideItsTownOnly) {
  const HttpResponse r = get("/collections/incidents/items?limit=10000", town_);
  ASSERT_EQ(r.status, 200) << r.body;
  std::size_t inside = 0, outside = 0;
  const json page = json::parse(r.body);
  for (const auto& f : page["features"]) {
    const auto& p = f["properties"];
    const std::string grid = p.value("grid_code", std::string()),
                      agency = p.value("agency", std::string());
    const bool in_town = grid.rfind(kTown, 0) == 0 || agency.rfind(kTown, 0) == 0;
    EXPECT_EQ(p.contains("description"), in_town) << f.dump();
    EXPECT_EQ(p.contains("assignee"), in_town) << f.dump();
    (in_town ? inside : outside) += 1;
  }
  EXPECT_GT(inside, 0u) << r.body.substr(0, 300);
  EXPECT_GT(outside, 0u);
  // Filters on what it reads only inside its town are refused county-wide (a count would tell).
  onemap::testing::expect_error(
      get("/collections/incidents/items?filter=description%20LIKE%20%27%25x%25%27", town_), 400, "",
      "filter");
  // Workers: its town's only; their tiles are for county-wide staff.
  const HttpResponse w = get("/collections/workers/items?limit=10000", town_);
  ASSERT_EQ(w.status, 200) << w.body;
  const json workers = json::parse(w.body)["features"];
  EXPECT_FALSE(workers.empty());
  for (const auto& f : workers)
    EXPECT_EQ(f["properties"]["team_grid"].get<std::string>().rfind(kTown, 0), 0u) << f.dump();
  EXPECT_EQ(get("/tiles/workers/14/13703/6710.mvt", town_).status, 403);
}

TEST_F(ReadPolicyHttp, IncidentsOfSensitiveCategoriesAreListedToStaffInsideTheirAreaOnly) {
  // The oracle, from the store: which incidents each viewer's list holds.
  const onemap::layers::Dataset d = api().read_store();
  const auto config = onemap::layers::DispatchConfig::load(onemap::testing::dispatch_config_path());
  std::set<int64_t> all, open_to_anyone, inside_town;
  for (const auto& i : d.incidents) {
    const auto* c = config.find(i.category);
    const bool sensitive = c && c->sensitive;
    all.insert(i.fid);
    if (!sensitive) open_to_anyone.insert(i.fid);
    if (!sensitive || i.join.grid_code.rfind(kTown, 0) == 0 || i.agency.rfind(kTown, 0) == 0 ||
        i.reporter == "town1-centre")
      inside_town.insert(i.fid);
  }
  ASSERT_LT(open_to_anyone.size(), inside_town.size());
  ASSERT_LT(inside_town.size(), all.size());
  auto listed = [&](const std::string& token) {
    const HttpResponse r = get("/collections/incidents/items?limit=10000", token);
    EXPECT_EQ(r.status, 200) << r.body.substr(0, 300);
    const json page = json::parse(r.body);
    EXPECT_EQ(page["numberReturned"], page["numberMatched"]);
    std::set<int64_t> ids;
    for (const auto& f : page["features"]) ids.insert(f["id"].get<int64_t>());
    return ids;
  };
  EXPECT_EQ(listed(""), open_to_anyone);
  EXPECT_EQ(listed(town_), inside_town);
  EXPECT_EQ(listed(department_), all);  // staff of the whole county
  EXPECT_EQ(listed(county_), all);
}

TEST_F(ReadPolicyHttp, TilesVaryByTheTokenAndNoEtagRevalidatesAcrossAudiences) {
  // The tile of an incident of a sensitive category, at a zoom of single incidents: county-wide
  // staff get it with the incident, the public without.
  const onemap::layers::Dataset d = api().read_store();
  const auto config = onemap::layers::DispatchConfig::load(onemap::testing::dispatch_config_path());
  const auto it =
      std::find_if(d.incidents.begin(), d.incidents.end(), [&](const onemap::layers::Incident& i) {
        const auto* c = config.find(i.category);
        return c && c->sensitive;
      });
  ASSERT_NE(it, d.incidents.end());
  const auto& tms = onemap::spatial::TileMatrixSet::web_mercator();
  double x = 0, y = 0;
  tms.project(it->location.lon, it->location.lat, x, y);
  const auto t = tms.tile_at(x, y, 15);
  const std::string target =
      "/tiles/incidents/15/" + std::to_string(t.x) + "/" + std::to_string(t.y) + ".mvt";
  auto tile = [&](const std::string& token, const std::string& etag = "") {
    return get(target, token,
               etag.empty() ? std::vector<std::string>{}
                            : std::vector<std::string>{"If-None-Match: " + etag});
  };
  const HttpResponse pub = tile(""), town = tile(town_), staff = tile(county_);
  for (const HttpResponse* r : {&pub, &town, &staff}) {
    EXPECT_NE(r->header("Vary").find("Authorization"), std::string::npos) << r->header("Vary");
    EXPECT_FALSE(r->header("ETag").empty());
  }
  ASSERT_EQ(staff.status, 200) << target;
  EXPECT_NE(staff.body, pub.body);
  EXPECT_NE(staff.header("ETag"), pub.header("ETag"));
  // The ETag names the bytes: the staff tile revalidated without the token is the public tile,
  // never a 304; with the token it is.
  const HttpResponse again = tile("", staff.header("ETag"));
  EXPECT_NE(again.status, 304);
  EXPECT_EQ(again.header("ETag"), pub.header("ETag"));
  EXPECT_EQ(again.body, pub.body);
  EXPECT_EQ(tile(county_, staff.header("ETag")).status, 304);
  EXPECT_NE(get("/tiles/incidents.json").header("Vary").find("Authorization"), std::string::npos);
}

TEST_F(ReadPolicyHttp, AReporterSeesItsOwnReportsInFullAndNoOneElses) {
  // Without dates: the last 90 days, which hold the reports made when the suite started.
  const HttpResponse mine = get("/open311/v2/requests.json?api_key=" + resident_);
  ASSERT_EQ(mine.status, 200) << mine.body;
  std::size_t own = 0;
  for (const auto& r : json::parse(mine.body))
    if (r["description"].is_string()) {
      EXPECT_NE(r["description"].get<std::string>().find("居民反映的私人情况"), std::string::npos)
          << r.dump();
      ++own;
    }
  EXPECT_EQ(own, 8u);  // its eight reports, sensitive ones too; nobody else's description
}

// A county's own policy file (onemap serve --read-policy) changes every output the same way:
// here incident descriptions are published, enterprises' register numbers are staff's, and
// command-centre users get detail county-wide. (A policy that closes a tile attribute stops the
// server at start, naming it: serve_test.cpp.)
TEST_F(ReadPolicyHttp, ACountysOwnPolicyFileChangesEveryOutput) {
  json policy = onemap::testing::source_data_json("read_policy.json");
  policy["layers"]["incidents"]["fields"]["description"] = "public";
  policy["layers"]["enterprises"]["fields"]["ent_id"] = "staff";
  policy["roles"]["centre"]["detail"] = "county";
  const std::string file = api().dir().file("county-policy.json");
  std::ofstream(file) << policy.dump(2);
  {
    // The copy of the store made before the reports; no administrator's token.
    onemap::testing::ApiOptions options;
    options.admin_token = "";
    options.read_policy =
        std::make_shared<const onemap::auth::ReadPolicy>(onemap::auth::ReadPolicy::read(file));
    ApiHarness server(
        [](const std::string& dir) {
          std::filesystem::copy_file(policy_store_, dir + "/policy.gpkg");
          return dir + "/policy.gpkg";
        },
        options);
    auto get = [&](const std::string& target, const std::string& token = "") {
      return server.get(target, token);
    };
    // The features of an items page (none when the answer is no 200 page).
    auto features_of = [&](const std::string& target) {
      const HttpResponse r = get(target);
      EXPECT_EQ(r.status, 200) << r.body;
      return r.status == 200 ? json::parse(r.body)["features"] : json::array();
    };

    // Anonymous: descriptions in features, records and Open311; no ent_id anywhere.
    const json features = features_of("/collections/incidents/items?limit=50");
    ASSERT_FALSE(features.empty());
    for (const auto& f : features) {
      EXPECT_TRUE(f["properties"].contains("description")) << f.dump();
      EXPECT_FALSE(f["properties"].contains("assignee")) << f.dump();  // still staff's
    }
    const std::string fid = std::to_string(features[0]["id"].get<int64_t>());
    EXPECT_TRUE(json::parse(get("/incidents/" + fid).body).contains("description"));
    const json request = json::parse(get("/open311/v2/requests/" + fid + ".json").body);
    ASSERT_EQ(request.size(), 1u) << request.dump();
    EXPECT_TRUE(request[0]["description"].is_string()) << request.dump();

    const json ents = features_of("/collections/enterprises/items?limit=20");
    ASSERT_FALSE(ents.empty());
    for (const auto& f : ents) {
      EXPECT_FALSE(f["properties"].contains("ent_id")) << f.dump();
      EXPECT_TRUE(f["properties"].contains("name")) << f.dump();
    }
    const json record =
        json::parse(get("/enterprises/" + std::to_string(ents[0]["id"].get<int64_t>())).body);
    EXPECT_FALSE(record.contains("ent_id")) << record.dump();
    EXPECT_TRUE(record.contains("name")) << record.dump();
    EXPECT_FALSE(
        json::parse(get("/collections/enterprises/queryables").body)["properties"].contains(
            "ent_id"));
    const HttpResponse filter = get("/collections/enterprises/items?filter=ent_id%3D%27x%27");
    EXPECT_EQ(filter.status, 400) << filter.body;
    // Signed in as staff, the register numbers are there.
    const HttpResponse staff = get("/collections/enterprises/items?limit=1", town_);
    EXPECT_TRUE(json::parse(staff.body)["features"][0]["properties"].contains("ent_id"))
        << staff.body;

    // The town's centre user: detail county-wide (the assignee of incidents outside its town).
    const json all =
        json::parse(get("/collections/incidents/items?limit=10000", town_).body)["features"];
    std::size_t outside = 0;
    for (const auto& f : all) {
      const auto& p = f["properties"];
      if (p.value("grid_code", std::string()).rfind(kTown, 0) == 0) continue;
      ++outside;
      EXPECT_TRUE(p.contains("assignee")) << f.dump();
    }
    EXPECT_GT(outside, 0u);

    // GET /layers tells each field's audience as configured.
    const json layers = json::parse(get("/layers").body);
    for (const auto& l : layers)
      for (const auto& f : l["fields"]) {
        if (l["name"] == "enterprises" && f["name"] == "ent_id") {
          EXPECT_EQ(f["audience"], "staff");
        }
        if (l["name"] == "incidents" && f["name"] == "description") {
          EXPECT_EQ(f["audience"], "public");
        }
      }
    EXPECT_EQ(get("/health").status, 200);
  }
}

// An incident's trail names who acted; the reporter among them is personal: staff read
// "reporter" in its place, and a read that shows it (to the administrator) is audited.
TEST_F(ReadPolicyHttp, HistoriesNameTheReporterOnlyToThoseWhoMayReadIt) {
  const json mine = json::parse(get("/open311/v2/requests.json?api_key=" + resident_).body);
  std::string id;
  for (const auto& r : mine)
    if (r["service_code"] == "0101" && r["description"].is_string())  // its own report
      id = r["service_request_id"].get<std::string>();
  ASSERT_FALSE(id.empty()) << mine.dump().substr(0, 300);

  const HttpResponse staff = get("/incidents/" + id + "/history", department_);
  ASSERT_EQ(staff.status, 200) << staff.body;
  bool report = false;
  const json events = json::parse(staff.body)["events"];
  for (const auto& e : events) {
    EXPECT_NE(e["actor"], "resident-app-7") << e.dump();
    if (e["action"] != "report") continue;
    report = true;
    EXPECT_EQ(e["actor"], "reporter") << e.dump();
  }
  EXPECT_TRUE(report) << staff.body;
  EXPECT_EQ(staff.body.find("resident-app-7"), std::string::npos);

  const HttpResponse admin = get("/incidents/" + id + "/history", onemap::testing::kAdminToken);
  ASSERT_EQ(admin.status, 200) << admin.body;
  EXPECT_NE(admin.body.find("\"actor\":\"resident-app-7\""), std::string::npos) << admin.body;
  const HttpResponse audit =
      get("/audit?user=admin&action=read_personal", onemap::testing::kAdminToken);
  ASSERT_EQ(audit.status, 200) << audit.body;
  bool audited = false;
  const json rows = json::parse(audit.body)["entries"];
  for (const auto& row : rows)
    if (row["layer"] == "incidents" && row["fields"] == json::array({"reporter"}) &&
        row["records"].dump().find(id) != std::string::npos)
      audited = true;
  EXPECT_TRUE(audited) << audit.body.substr(0, 600);
}

}  // namespace
