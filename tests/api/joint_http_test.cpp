// Joint cases through the server's route table (api/joint.hpp) on the demo county with the shipped
// agencies (data/agencies.csv): 康乾街道's 综合信息指挥室 hands a case to the street's
// 城市发展管理办公室 and 综合执法中队 to handle together; both see it as staff, each acts on its
// own task, the case resolves when both are done and is verified by someone else; a town summons a
// county department (吹哨报到); the agencies' figures; who may do what, and the errors.
#include "tests/support/api_harness.hpp"
#include "tests/support/demo_county.hpp"

#include "layers/dispatch/agencies.hpp"
#include "layers/store/store.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <string>

namespace {

using json = nlohmann::json;
using onemap::testing::ApiHarness;
using onemap::testing::kAdminToken;

constexpr const char* kTown = "330521005";  // 康乾街道
const std::string kUrban = std::string(kTown) + ".城发办";
const std::string kEnforce = std::string(kTown) + ".执法中队";

class JointHttp : public onemap::testing::SharedApi<JointHttp> {
 public:
  static std::unique_ptr<ApiHarness> make_api() {
    auto api = std::make_unique<ApiHarness>(
        [](const std::string& dir) { return onemap::testing::write_demo_county(dir); });
    api->add_user("app", "reporter");
    api->add_user("kq", "centre", kTown);  // the street's 综合信息指挥室
    api->add_user("cfb", "department", kUrban);
    api->add_user("zf", "department", kEnforce);
    api->add_user("zj", "department", "住建");
    api->add_user("county", "centre");
    api->add_user("wk", "centre", "330521001");  // another street
    return api;
  }

 protected:
  // A new case at a household of 康乾街道, routed at once.
  static int64_t report_in_town(std::size_t nth) {
    std::size_t seen = 0;
    for (const auto& h : oracle().households) {
      if (!h.join.grid_code.starts_with(kTown) || seen++ < nth) continue;
      const auto r = api().send("POST", "/incidents",
                                json{{"category", "0101"},
                                     {"description", "街边垃圾堆放、占道经营"},
                                     {"lon", h.location.lon},
                                     {"lat", h.location.lat},
                                     {"source", "grid_app"}}
                                    .dump(),
                                api().token("app"));
      EXPECT_EQ(r.status, 201) << r.body;
      return json::parse(r.body)["id"];
    }
    ADD_FAILURE() << "no household in " << kTown;
    return 0;
  }
  static json post(const std::string& path, const json& body, const std::string& user,
                   int expected) {
    const auto r = api().send("POST", path, body.dump(), api().token(user));
    EXPECT_EQ(r.status, expected) << path << " " << r.body;
    return json::parse(r.body);
  }
  static std::string at(int64_t fid, const std::string& rest) {
    return "/incidents/" + std::to_string(fid) + rest;
  }
};

TEST_F(JointHttp, TwoTownUnitsHandleACaseTogetherAndItClosesWhenBothAreDone) {
  const int64_t fid = report_in_town(0);
  const json body = {{"lead", kUrban}, {"with", {kEnforce}}, {"deadline", "4wh"}};
  // Not the department's to coordinate, nor another street's.
  post(at(fid, "/joint"), body, "zf", 403);
  EXPECT_EQ(post(at(fid, "/joint"), body, "wk", 403)["error"]["code"], "forbidden_scope");
  EXPECT_EQ(post(at(fid, "/joint"), {{"lead", kUrban}, {"with", {"330521001.执法中队"}}}, "kq",
                 400)["error"]["parameter"],
            "with");
  EXPECT_EQ(post(at(fid, "/joint"), {{"lead", kUrban}, {"with", kEnforce}}, "kq",
                 400)["error"]["parameter"],
            "with");
  EXPECT_EQ(post(at(fid, "/joint"), {{"lead", kUrban}, {"with", {kEnforce}}, {"due", "1h"}}, "kq",
                 400)["error"]["parameter"],
            "due");
  EXPECT_EQ(post(at(fid, "/joint"), {{"lead", kUrban}, {"with", {kEnforce}}, {"deadline", "soon"}},
                 "kq", 400)["error"]["parameter"],
            "deadline");

  // A village committee serves its own village only.
  const std::string own_village = api().county().incident(fid).join.grid_code.substr(0, 12);
  std::string village;
  for (const auto& g : oracle().grids)
    if (g.level == onemap::layers::GridLevel::Village && g.parent_code == kTown &&
        g.code != own_village)
      village = g.code;
  ASSERT_FALSE(village.empty());
  EXPECT_EQ(post(at(fid, "/joint"), {{"lead", kUrban}, {"with", {village}}}, "kq",
                 400)["error"]["parameter"],
            "with");

  json with_committee = body;
  with_committee["with"].push_back(own_village);
  const std::string committee = api().add_user("committee", "centre", own_village);
  const json made = post(at(fid, "/joint"), with_committee, "kq", 200);
  EXPECT_EQ(made["incident"]["status"], "dispatched");
  EXPECT_EQ(made["incident"]["agency"], kUrban);
  EXPECT_EQ(made["incident"]["co_agencies"], kEnforce + "," + own_village);
  ASSERT_EQ(made["tasks"].size(), 3u);
  EXPECT_EQ(made["tasks"][0]["agency_name"], "康乾街道城市发展管理办公室");
  EXPECT_EQ(made["tasks"][1]["agency_name"], "康乾街道综合执法中队");

  // The agencies read its tasks; another street's centre does not.
  EXPECT_EQ(api().get(at(fid, "/tasks"), committee).status, 200);
  EXPECT_EQ(api().get(at(fid, "/tasks"), api().token("zf")).status, 200);
  EXPECT_EQ(api().get(at(fid, "/tasks"), api().token("wk")).status, 403);
  EXPECT_EQ(api().get(at(fid, "/tasks")).status, 401);
  // The committee's part: done at once (it acts for its own area's agency).
  const auto part =
      api().send("POST", at(fid, "/tasks/3/actions"),
                 json{{"action", "done"}, {"feedback", "已通知村民"}}.dump(), committee);
  EXPECT_EQ(part.status, 200) << part.body;

  // Each acts on its own task; the loop's resolve is refused while they work.
  EXPECT_EQ(post(at(fid, "/actions"), {{"action", "resolve"}}, "cfb", 409)["error"]["code"],
            "conflict");
  post(at(fid, "/tasks/1/actions"), {{"action", "accept"}}, "zf", 403);
  EXPECT_EQ(
      post(at(fid, "/tasks/1/actions"), {{"action", "accept"}}, "cfb", 200)["incident"]["status"],
      "accepted");
  EXPECT_EQ(
      post(at(fid, "/tasks/2/actions"), {{"action", "done"}}, "zf", 400)["error"]["parameter"],
      "feedback");
  post(at(fid, "/tasks/9/actions"), {{"action", "done"}, {"feedback", "x"}}, "zf", 404);
  const json half = post(at(fid, "/tasks/2/actions"),
                         {{"action", "done"}, {"feedback", "占道物品已清理"}}, "zf", 200);
  EXPECT_EQ(half["incident"]["status"], "accepted");
  EXPECT_EQ(half["tasks"][1]["state"], "done");
  EXPECT_EQ(half["tasks"][0]["state"], "accepted");
  const json all = post(at(fid, "/tasks/1/actions"),
                        {{"action", "done"}, {"feedback", "垃圾已清运"}}, "cfb", 200);
  EXPECT_EQ(all["incident"]["status"], "resolved");
  EXPECT_EQ(all["incident"]["handler"], "cfb");

  // Verified by someone who handled nothing of it, then closed.
  post(at(fid, "/actions"), {{"action", "verify"}}, "kq", 200);
  post(at(fid, "/actions"), {{"action", "close"}}, "county", 200);
  EXPECT_EQ(api().county().incident(fid).status, "closed");

  // The tasks are in the store as answered.
  auto store = onemap::layers::open_store(api().store_path(), false);
  std::set<std::string> stored;
  for (const auto& t : store->load_tasks())
    if (t.incident == fid) stored.insert(t.agency + ":" + t.state + ":" + t.feedback);
  EXPECT_EQ(stored,
            (std::set<std::string>{kUrban + ":done:垃圾已清运", kEnforce + ":done:占道物品已清理",
                                   own_village + ":done:已通知村民"}));

  // The units' figures: one task each, done on time.
  const json figures =
      json::parse(api().get("/stats/agencies?area=" + std::string(kTown), api().token("kq")).body);
  std::set<std::string> agencies;
  for (const json& f : figures["agencies"]) {
    agencies.insert(f["agency"]);
    EXPECT_EQ(f["done"], f["tasks"]);
    EXPECT_EQ(f["on_time_rate"], 1.0);
  }
  EXPECT_TRUE(agencies.contains(kUrban) && agencies.contains(kEnforce));
  EXPECT_EQ(api().get("/stats/agencies?area=" + std::string(kTown), api().token("wk")).status, 403);
}

TEST_F(JointHttp, ATownSummonsACountyDepartment) {
  const int64_t fid = report_in_town(1);
  const json body = {{"agencies", {"住建"}}, {"report_within", "1h"}, {"note", "吹哨：需住建到场"}};
  // A village's centre summons no department.
  const std::string village = api().add_user(
      "village", "centre", api().county().incident(fid).join.grid_code.substr(0, 12));
  const auto refused = api().send("POST", at(fid, "/summons"), body.dump(), village);
  EXPECT_EQ(refused.status, 403) << refused.body;
  const json done = post(at(fid, "/summons"), body, "kq", 200);
  ASSERT_EQ(done["tasks"].size(), 2u);
  EXPECT_EQ(done["tasks"][0]["role"], "lead");
  EXPECT_EQ(done["tasks"][1]["role"], "summoned");
  EXPECT_FALSE(done["tasks"][1]["report_by"].is_null());
  EXPECT_EQ(done["incident"]["co_agencies"], "住建");
  // The department reports (报到) and now reads the case as staff.
  post(at(fid, "/tasks/2/actions"), {{"action", "accept"}}, "zj", 200);
  EXPECT_EQ(api().get(at(fid, "/tasks"), api().token("zj")).status, 200);
  EXPECT_EQ(api().county().history(fid).back().action, "task_accept");
}

TEST_F(JointHttp, TheAgenciesListEveryTownsUnitsAndTheAreas) {
  const json all = json::parse(api().get("/agencies").body);
  std::size_t towns = 0, villages = 0, grids = 0;
  for (const auto& g : oracle().grids) {
    towns += g.level == onemap::layers::GridLevel::Town;
    villages += g.level == onemap::layers::GridLevel::Village;
    grids += g.level == onemap::layers::GridLevel::Grid;
  }
  const auto config =
      onemap::layers::read_agencies_csv(onemap::testing::source_data("agencies.csv"));
  std::size_t county_rows = 0, town_rows = 0;
  for (const auto& c : config) (c.level == "county" ? county_rows : town_rows) += 1;
  EXPECT_EQ(all["total"], county_rows + town_rows * towns + towns + villages + grids);
  const json here = json::parse(api().get("/agencies?level=town&area=" + std::string(kTown)).body);
  std::set<std::string> codes;
  for (const json& a : here["agencies"]) codes.insert(a["code"]);
  EXPECT_TRUE(codes.contains(kUrban) && codes.contains(kEnforce) && codes.contains(kTown));
  EXPECT_EQ(codes.size(), town_rows + 1);
  EXPECT_EQ(api().get("/agencies?level=province").status, 400);
  EXPECT_EQ(api().get("/agencies?kind=x").status, 400);
}

}  // namespace

namespace {

// The loop's figures by worker, agency, town and grid (GET /stats/loop) against a count of the
// county's incidents by the same key: totals and handled counts per group; names beside codes;
// worker names to a centre user read as personal data (audited), and only inside its area.
TEST_F(JointHttp, TheLoopFiguresByWorkerAgencyTownAndGridCountTheirIncidents) {
  const auto& county = api().county();
  // By grouping, by key: the incidents and those handled.
  std::map<std::string, std::map<std::string, std::pair<std::size_t, std::size_t>>> expected;
  {
    auto lock = county.read();
    for (const auto& in : county.data().incidents) {
      if (!in.join.grid_code.starts_with(kTown) && !in.agency.starts_with(kTown)) continue;
      const bool handled =
          in.status == "resolved" || in.status == "verified" || in.status == "closed";
      const std::string town =
          in.join.grid_code.substr(0, std::min<std::size_t>(9, in.join.grid_code.size()));
      for (const auto& [by, key] : {std::pair{"agency", in.agency},
                                    {"worker", in.assignee},
                                    {"grid", in.join.grid_code},
                                    {"town", town}}) {
        auto& [total, done] = expected[by][key];
        ++total;
        done += handled;
      }
    }
  }
  const auto before = county.users().audit_log({}).total;
  for (const auto& [by, groups_expected] : expected) {
    SCOPED_TRACE(by);
    const auto r = api().get("/stats/loop?by=" + by + "&area=" + kTown, api().token("kq"));
    ASSERT_EQ(r.status, 200) << r.body;
    const json groups = json::parse(r.body)["groups"];
    ASSERT_EQ(groups.size(), groups_expected.size());
    for (const json& g : groups) {
      const std::string key = g["key"].is_null() ? "" : g["key"].get<std::string>();
      ASSERT_TRUE(groups_expected.contains(key)) << key;
      EXPECT_EQ(g["total"], groups_expected.at(key).first) << key;
      EXPECT_EQ(g["loop"]["handled"], groups_expected.at(key).second) << key;
      if (!key.empty()) EXPECT_TRUE(g["name"].is_string()) << g.dump();
    }
  }
  // The worker names were a personal read: one audit row, of the workers layer.
  const auto audit = county.users().audit_log({});
  ASSERT_EQ(audit.total, before + 1);
  EXPECT_EQ(audit.rows.front().layer, "workers");
  EXPECT_EQ(audit.rows.front().actor, "kq");
  // Not outside its area, nor without a grouping, nor for a reporter.
  EXPECT_EQ(api().get("/stats/loop?by=worker&area=" + std::string(kTown), api().token("wk")).status,
            403);
  EXPECT_EQ(api().get("/stats/loop?area=" + std::string(kTown), api().token("kq")).status, 400);
  EXPECT_EQ(api().get("/stats/loop?by=street", api().token("kq")).status, 400);
  EXPECT_EQ(api().get("/stats/loop?by=worker", api().token("app")).status, 403);
}

}  // namespace
