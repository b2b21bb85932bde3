// The seeds' ten-minute chain against the real binary on the demo county: a resident calls 12345
// with only an address in 康乾街道; the ticket is placed at the house the address names, suggested
// as a repeat of a grid worker's earlier report and merged into it; the street's command centre
// makes that case joint for its 城市发展管理办公室 and 综合执法中队, who both accept it, add their
// photos and report what they did; the centre verifies it (neither unit may), the county closes
// it; the resident's phone gets "received" and "closed" from the SMS gateway's webhook. Every
// step's machine time is printed, and each is under a second.
#include "tests/support/demo_county.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/images.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/webhook_receiver.hpp"

#include "layers/store/store.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>

using json = nlohmann::json;
using namespace onemap;
using namespace onemap::testing;

namespace {

constexpr const char* kTown = "330521005";  // 康乾街道
constexpr const char* kPhone = "13957200001";
constexpr const char* kSecret = "the-county-sms-gateway-secret";
constexpr double kStepLimitSeconds = 1.0;

// A household of the town whose address no other household has: the place the caller means.
layers::Household house_in_town(const layers::Dataset& d) {
  std::map<std::string, int> uses;
  for (const auto& h : d.households) ++uses[h.address];
  for (const auto& h : d.households)
    if (h.join.grid_code.starts_with(kTown) && uses[h.address] == 1) return h;
  ADD_FAILURE() << "no household with its own address in " << kTown;
  return {};
}

class Chain : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = write_demo_county(dir_.path());
    for (const auto& [id, role, scope] : std::vector<std::array<std::string, 3>>{
             {"grid-app", "reporter", ""},
             {"hotline", "reporter", ""},
             {"kq", "centre", kTown},  // the street's 综合信息指挥室
             {"cfb", "department", std::string(kTown) + ".城发办"},
             {"zf", "department", std::string(kTown) + ".执法中队"},
             {"county", "centre", ""}}) {
      std::vector<std::string> args = {"add", "--id", id, "--role", role};
      if (!scope.empty()) args.insert(args.end(), {"--scope", scope});
      const CommandResult r = run_user_command(store_, args);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      tokens_[id] = r.out;
    }
  }

  // Sends one step, times it (the request as the client sees it: connection, server, answer),
  // prints it and checks its status and time.
  json step(HttpConnection& c, const std::string& name, const std::string& method,
            const std::string& target, const std::string& body, const std::string& user,
            int expected, const std::string& type = "application/json") {
    const auto t0 = std::chrono::steady_clock::now();
    const HttpResponse r = c.send(method, target, body, tokens_.at(user), type);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("  %-44s %4d  %7.1f ms\n", name.c_str(), r.status, s * 1000);
    EXPECT_EQ(r.status, expected) << name << ": " << r.body;
    EXPECT_LT(s, kStepLimitSeconds) << name;
    total_ += s;
    return r.body.empty() ? json() : json::parse(r.body);
  }

  TempDir dir_;
  std::string store_;
  std::map<std::string, std::string> tokens_;
  double total_ = 0;
};

}  // namespace

TEST_F(Chain, AHotlineAddressBecomesAJointCaseAndTheResidentHearsBack) {
  const layers::Household house = house_in_town(layers::open_store(store_, false)->load());
  WebhookReceiver gateway;
  add_subscriber(dir_.path(), store_, "sms", gateway.url(), kSecret, "sms");
  ServerProcess server({"--data", store_, "--config", dispatch_config_path(), "--write-token-file",
                        admin_token_file(dir_.path()), "--sweep-interval", "0"},
                       dir_.file("serve.log"));
  HttpConnection c(server.port());
  std::printf("the ten-minute chain, step by step (machine time of each request):\n");

  // A grid worker reported the rubbish at the house earlier; routed at once.
  const json earlier = step(c, "earlier report (grid app, at the house)", "POST", "/incidents",
                            json{{"category", "0101"},
                                 {"description", "门口垃圾堆放好几天了，无人清理"},
                                 {"lon", house.location.lon},
                                 {"lat", house.location.lat},
                                 {"source", "grid_app"}}
                                .dump(),
                            "grid-app", 201);
  const int64_t fid = earlier["id"];
  const std::string case_path = "/incidents/" + std::to_string(fid);

  // The 12345 call: an address and the caller's number, no coordinates.
  const json call = step(c, "12345 ticket with only an address", "POST", "/incidents",
                         json{{"category", "0101"},
                              {"description", "我家门口垃圾堆了好几天没人清理"},
                              {"address", "德清县" + house.address},
                              {"source", "hotline_12345"},
                              {"id", "12345-20261207-0042"},
                              {"phone", kPhone}}
                             .dump(),
                         "hotline", 202);
  const std::string ticket_path = "/tickets/" + std::to_string(call["id"].get<int64_t>());
  const json ticket = step(c, "centre reads the ticket", "GET", ticket_path, "", "kq", 200);
  // Located at the house the address names (the store's household is the oracle) ...
  EXPECT_EQ(ticket["located_by"], "address");
  EXPECT_EQ(ticket["lon"].get<double>(), house.location.lon);
  EXPECT_EQ(ticket["lat"].get<double>(), house.location.lat);
  // ... and suggested as a repeat of the earlier report.
  ASSERT_FALSE(ticket["duplicates"].empty()) << ticket.dump();
  EXPECT_EQ(ticket["duplicates"][0]["incident"], fid);

  step(c, "centre merges it into the earlier case", "POST", ticket_path + "/actions",
       json{{"action", "merge"}, {"into", fid}}.dump(), "kq", 200);
  const json joint =
      step(c, "centre makes it joint (城发办 + 执法中队)", "POST", case_path + "/joint",
           json{{"lead", std::string(kTown) + ".城发办"},
                {"with", {std::string(kTown) + ".执法中队"}},
                {"deadline", "2wh"},
                {"note", "指令钉：请城发办牵头、执法中队协同处置"}}
               .dump(),
           "kq", 200);
  ASSERT_EQ(joint["tasks"].size(), 2u);
  step(c, "城发办 accepts its task", "POST", case_path + "/tasks/1/actions",
       json{{"action", "accept"}}.dump(), "cfb", 200);
  step(c, "执法中队 accepts its task", "POST", case_path + "/tasks/2/actions",
       json{{"action", "accept"}}.dump(), "zf", 200);
  const std::string photo = make_image("JPEG", 640, 480, 3);
  step(c, "城发办 adds its photo (after)", "POST", case_path + "/media?kind=after", photo, "cfb",
       201, "image/jpeg");
  step(c, "执法中队 adds its photo (after)", "POST", case_path + "/media?kind=after", photo, "zf",
       201, "image/jpeg");
  step(c, "执法中队 reports its part done", "POST", case_path + "/tasks/2/actions",
       json{{"action", "done"}, {"feedback", "占道堆放物已依法清理"}}.dump(), "zf", 200);
  const json resolved =
      step(c, "城发办 reports its part done", "POST", case_path + "/tasks/1/actions",
           json{{"action", "done"}, {"feedback", "垃圾已清运，落实保洁责任"}}.dump(), "cfb", 200);
  EXPECT_EQ(resolved["incident"]["status"], "resolved");
  // 报办分离: a unit that handled it may not verify it; the centre does.
  const HttpResponse refused =
      c.send("POST", case_path + "/actions", json{{"action", "verify"}}.dump(), tokens_.at("cfb"));
  EXPECT_EQ(refused.status, 403) << refused.body;
  step(c, "centre verifies", "POST", case_path + "/actions", json{{"action", "verify"}}.dump(),
       "kq", 200);
  const auto closed_at = std::chrono::steady_clock::now();
  const json closed = step(c, "county closes it", "POST", case_path + "/actions",
                           json{{"action", "close"}}.dump(), "county", 200);
  EXPECT_EQ(closed["status"], "closed");

  // The resident's phone: received (the ticket), merged into the case, closed.
  ASSERT_TRUE(gateway.wait_for(
      [](const auto& ds) {
        return std::any_of(ds.begin(), ds.end(), [](const Delivery& d) {
          return json::parse(d.body)["text"].get<std::string>().find("已办结") != std::string::npos;
        });
      },
      std::chrono::seconds(10)));
  const double sms_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - closed_at).count();
  std::printf("  %-44s        %7.1f ms\n", "closing text reaches the SMS gateway", sms_s * 1000);
  EXPECT_LT(sms_s, kStepLimitSeconds);
  std::vector<std::string> texts;
  for (const auto& d : gateway.deliveries()) {
    const json t = json::parse(d.body);
    EXPECT_EQ(t["to"], kPhone);
    texts.push_back(t["text"]);
  }
  ASSERT_EQ(texts.size(), 3u);
  EXPECT_NE(texts[0].find("已收到"), std::string::npos) << texts[0];
  EXPECT_NE(texts[1].find("已并入编号 " + std::to_string(fid)), std::string::npos) << texts[1];
  EXPECT_NE(texts[2].find("已办结"), std::string::npos) << texts[2];
  std::printf("  %-44s        %7.1f ms\n", "all requests", total_ * 1000);

  // The trail holds every step; the photos are the case's.
  const json history = step(c, "the case's history", "GET", case_path + "/history", "", "kq", 200);
  std::vector<std::string> actions;
  for (const auto& e : history["events"]) actions.push_back(e["action"]);
  EXPECT_EQ(actions,
            (std::vector<std::string>{"report", "dispatch", "merge", "dispatch", "task_accept",
                                      "task_accept", "media", "media", "task_done", "task_done",
                                      "resolve", "verify", "close"}));
  EXPECT_EQ(server.log().find(kPhone), std::string::npos);  // personal: in no log
}
