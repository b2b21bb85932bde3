// The command centre's intake queue through the server's route table (api/tickets.hpp) on the
// demo county: a hotline report with only an address is placed at the household the address
// names (the store's own households are the oracle) and waits as a ticket; the earlier incident
// it repeats is suggested; the centre admits, rejects or merges it, within its area only; Open311
// answers a waiting request with a token; every ticket is in the store once answered.
#include "tests/support/api_harness.hpp"
#include "tests/support/demo_county.hpp"

#include "layers/store/store.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace {

using json = nlohmann::json;
using onemap::testing::ApiHarness;
using onemap::testing::kAdminToken;

class TicketsHttp : public onemap::testing::SharedApi<TicketsHttp> {
 public:
  static std::unique_ptr<ApiHarness> make_api() {
    auto api = std::make_unique<ApiHarness>(
        [](const std::string& dir) { return onemap::testing::write_demo_county(dir); });
    api->add_user("hotline", "reporter");
    api->add_user("centre", "centre");
    return api;
  }

 protected:
  // A household of the demo whose address names its village and a number, and whose town has
  // another town beside it (for a scoped user elsewhere).
  static const onemap::layers::Household& household(std::size_t i) {
    const auto& hs = oracle().households;
    return hs.at(i * (hs.size() / 7) % hs.size());
  }
  static json post_report(const json& body, int expected) {
    const auto r = api().send("POST", "/incidents", body.dump(), api().token("hotline"));
    EXPECT_EQ(r.status, expected) << r.body;
    return json::parse(r.body);
  }
  static json decide(int64_t ticket, const json& body, int expected,
                     const std::string& token = "") {
    const auto r = api().send("POST", "/tickets/" + std::to_string(ticket) + "/actions",
                              body.dump(), token.empty() ? api().token("centre") : token);
    EXPECT_EQ(r.status, expected) << r.body;
    return json::parse(r.body);
  }
  static json ticket(int64_t id) {
    const auto r = api().get("/tickets/" + std::to_string(id), api().token("centre"));
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body);
  }
};

TEST_F(TicketsHttp, AHotlineAddressIsPlacedAtItsHouseAndWaitsForTheCentre) {
  const auto& h = household(1);
  const json t = post_report({{"category", "0101"},
                              {"description", "门口垃圾好几天没人清理"},
                              {"address", "德清县" + h.address},
                              {"source", "hotline_12345"}},
                             202);
  EXPECT_EQ(t["state"], "pending");
  EXPECT_EQ(t["located_by"], "address");
  EXPECT_EQ(t["waits_for"], json::array({"source"}));
  // The reporter reads its ticket's state, not the gazetteer's candidates.
  EXPECT_FALSE(t.contains("candidates"));
  const json full = ticket(t["id"]);
  EXPECT_EQ(full["lon"].get<double>(), h.location.lon);
  EXPECT_EQ(full["lat"].get<double>(), h.location.lat);
  EXPECT_EQ(full["area"], h.join.grid_code);
  EXPECT_EQ(full["candidates"][0]["level"], "house");
  EXPECT_EQ(full["reporter"], "hotline");

  const json done = decide(t["id"], {{"action", "admit"}}, 200);
  EXPECT_EQ(done["ticket"]["state"], "admitted");
  const int64_t fid = done["incident"]["id"];
  EXPECT_EQ(done["ticket"]["incident"], fid);
  const auto in = api().county().incident(fid);
  EXPECT_EQ(in.status, "dispatched");
  EXPECT_EQ(in.address, "德清县" + h.address);
  EXPECT_EQ(in.reporter, "hotline");
  EXPECT_EQ(in.join.grid_code, h.join.grid_code);
  EXPECT_EQ(in.location.lon, h.location.lon);
  // Decided once only.
  const json again = decide(t["id"], {{"action", "reject"}, {"note", "x"}}, 409);
  EXPECT_NE(again.dump().find("admitted"), std::string::npos);
}

TEST_F(TicketsHttp, AReportOfAnUnknownPlaceWaitsUntilTheCentrePlacesIt) {
  const json t = post_report(
      {{"category", "0101"}, {"address", "不存在的地方88号"}, {"source", "grid_app"}}, 202);
  EXPECT_EQ(t["waits_for"], json::array({"unplaced"}));
  EXPECT_EQ(ticket(t["id"])["lon"], nullptr);
  const json missing = decide(t["id"], {{"action", "admit"}}, 400);
  EXPECT_EQ(missing["error"]["parameter"], "lon");
  const auto& h = household(2);
  const json done =
      decide(t["id"], {{"action", "admit"}, {"lon", h.location.lon}, {"lat", h.location.lat}}, 200);
  EXPECT_EQ(done["ticket"]["located_by"], "centre");
  EXPECT_EQ(api().county().incident(done["incident"]["id"]).join.grid_code, h.join.grid_code);
}

TEST_F(TicketsHttp, AReportSentAgainWithItsIdIsNotTakenTwice) {
  // A phone retrying after a lost answer sends the same id: the second is a 409 while the
  // first waits, and the queue holds one.
  const json body = {{"category", "0101"},
                     {"address", "不存在的地方99号"},
                     {"source", "resident_app"},
                     {"id", "app-retry-1"}};
  const json first = post_report(body, 202);
  const json again = post_report(body, 409);
  EXPECT_EQ(again["error"]["code"], "conflict_duplicate");
  EXPECT_EQ(again["error"]["parameter"], "id");
  std::size_t held = 0;
  for (const auto& t : api().county().tickets(onemap::layers::Actor::system(), "", 1000, 0).tickets)
    held += t.external_id == "app-retry-1";
  EXPECT_EQ(held, 1u);
  EXPECT_GT(first["id"].get<int64_t>(), 0);
}

TEST_F(TicketsHttp, ARepeatIsSuggestedAndMergedAndItsReporterFollowsTheCase) {
  const auto& h = household(3);
  // An earlier report at the house, routed at once (a grid worker's channel).
  const auto first = api().send("POST", "/incidents",
                                json{{"category", "0101"},
                                     {"description", "3组门口垃圾堆放没人清理"},
                                     {"lon", h.location.lon},
                                     {"lat", h.location.lat},
                                     {"source", "grid_app"}}
                                    .dump(),
                                kAdminToken);
  ASSERT_EQ(first.status, 201) << first.body;
  const int64_t earlier = json::parse(first.body)["id"];
  const json t = post_report({{"category", "0101"},
                              {"description", "门口垃圾堆放好几天没人清理"},
                              {"address", h.address},
                              {"source", "hotline_12345"},
                              {"id", "12345-20261207-001"}},
                             202);
  const json full = ticket(t["id"]);
  ASSERT_FALSE(full["duplicates"].empty()) << full.dump();
  EXPECT_EQ(full["duplicates"][0]["incident"], earlier);
  EXPECT_GE(full["duplicates"][0]["score"].get<double>(),
            api().county().dispatch_config().triage.duplicates.min_score);

  const json bad = decide(t["id"], {{"action", "merge"}}, 400);
  EXPECT_EQ(bad["error"]["parameter"], "into");
  const json done = decide(t["id"], {{"action", "merge"}, {"into", earlier}}, 200);
  EXPECT_EQ(done["ticket"]["state"], "merged");
  EXPECT_EQ(done["ticket"]["incident"], earlier);
  const auto trail = api().county().history(earlier);
  EXPECT_EQ(trail.back().action, "merge");
  const json extra = json::parse(api().county().incident(earlier).extra);
  EXPECT_EQ(extra["followers"][0]["ticket"], t["id"]);
  EXPECT_EQ(extra["followers"][0]["reporter"], "hotline");
}

TEST_F(TicketsHttp, ARejectionNeedsItsReasonAndOnlyTheCentreOfTheAreaDecides) {
  const auto& h = household(4);
  const json t =
      post_report({{"category", "0101"}, {"address", h.address}, {"source", "petition"}}, 202);
  const int64_t id = t["id"];
  EXPECT_EQ(decide(id, {{"action", "reject"}}, 400)["error"]["parameter"], "note");
  EXPECT_EQ(decide(id, {{"action", "dismiss"}}, 400)["error"]["parameter"], "action");
  // A reporter, a worker: not the centre.
  EXPECT_EQ(decide(id, {{"action", "reject"}, {"note", "x"}}, 403,
                   api().token("hotline"))["error"]["code"],
            "forbidden");
  // A centre user of another town neither sees nor decides it.
  const std::string town = h.join.grid_code.substr(0, 9);
  std::string other;
  for (const auto& g : oracle().grids)
    if (g.code.size() == 9 && g.code != town) other = g.code;
  ASSERT_FALSE(other.empty());
  const std::string elsewhere = api().add_user("centre-" + other, "centre", other);
  EXPECT_EQ(api().get("/tickets/" + std::to_string(id), elsewhere).status, 404);
  decide(id, {{"action", "reject"}, {"note", "x"}}, 404, elsewhere);
  const json listed = json::parse(api().get("/tickets?state=pending&limit=1000", elsewhere).body);
  for (const json& x : listed["tickets"]) EXPECT_NE(x["id"], id);
  const std::string here = api().add_user("centre-" + town, "centre", town);
  const json done = decide(id, {{"action", "reject"}, {"note", "重复来电，非本县事项"}}, 200, here);
  EXPECT_EQ(done["ticket"]["state"], "rejected");
  EXPECT_FALSE(done.contains("incident"));
  // In the store as answered.
  auto store = onemap::layers::open_store(api().store_path(), false);
  bool found = false;
  for (const auto& s : store->load_tickets())
    if (s.id == id) {
      found = true;
      EXPECT_EQ(s.state, "rejected");
      EXPECT_EQ(s.note, "重复来电，非本县事项");
      EXPECT_EQ(s.decided_by, "centre-" + town);
    }
  EXPECT_TRUE(found);
  EXPECT_EQ(api().get("/tickets?state=waiting", kAdminToken).status, 400);
}

TEST_F(TicketsHttp, Open311AnswersAWaitingRequestWithAToken) {
  const auto& h = household(5);
  const auto r =
      api().send("POST", "/open311/v2/requests.json",
                 "service_code=0101&address_string=" + onemap::testing::percent_encode(h.address) +
                     "&api_key=" + api().token("hotline") + "&phone=13800000000",
                 "", "application/x-www-form-urlencoded");
  // Open311 requests go straight to routing unless their channel is triaged: this address is a
  // house, so it is placed and routed at once.
  ASSERT_EQ(r.status, 201) << r.body;
  const auto u = api().send(
      "POST", "/open311/v2/requests.json",
      "service_code=0101&address_string=" + onemap::testing::percent_encode("没有这个村1号") +
          "&api_key=" + api().token("hotline"),
      "", "application/x-www-form-urlencoded");
  ASSERT_EQ(u.status, 202) << u.body;
  const std::string token = json::parse(u.body)[0]["token"];
  const auto before =
      api().get("/open311/v2/tokens/" + token + ".json?api_key=" + api().token("hotline"));
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_EQ(json::parse(before.body)[0]["service_request_id"], nullptr);
  EXPECT_EQ(api().get("/open311/v2/tokens/" + token + ".json").status, 404);
  const json done =
      decide(std::stoll(token),
             {{"action", "admit"}, {"lon", h.location.lon}, {"lat", h.location.lat}}, 200);
  const auto after =
      api().get("/open311/v2/tokens/" + token + ".json?api_key=" + api().token("hotline"));
  EXPECT_EQ(json::parse(after.body)[0]["service_request_id"],
            std::to_string(done["incident"]["id"].get<int64_t>()));
}

}  // namespace
