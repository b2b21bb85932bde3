// Residents and grid workers on their phones, through the server's route table: a resident signs
// in with a code texted through the SMS gateway (auth/residents.hpp; the code read where the
// gateway reads it, the store's outbox), reports, and follows its own reports and nobody else's
// (GET /users/me/reports); a grid worker lists the open cases it holds (GET /users/me/incidents),
// against a scan of the county's incidents. Limits and errors: a code asked for again too soon,
// wrong and spent codes, a bad phone, an expired token.
#include "tests/support/api_harness.hpp"

#include "api/events.hpp"
#include "auth/residents.hpp"
#include "layers/store/store.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>
#include <regex>
#include <set>
#include <string>

namespace {

using json = nlohmann::json;
using onemap::testing::ApiHarness;
namespace layers = onemap::layers;

constexpr const char* kPhone = "13912345678";
constexpr const char* kOtherPhone = "13700001111";

class ResidentsHttp : public onemap::testing::SharedApi<ResidentsHttp> {
 public:
  static std::unique_ptr<ApiHarness> make_api() {
    auto api = std::make_unique<ApiHarness>(onemap::testing::write_dispatch_county);
    api->add_user("app", "reporter");
    api->add_user("ft1", "worker", "", "FT1");
    return api;
  }

 protected:
  // The outbox rows for the SMS gateway that text `phone`, oldest first: what it would send.
  static std::vector<layers::OutboxRow> texts_to(const std::string& phone) {
    auto store = layers::open_store(api().store_path(), false);
    std::vector<layers::OutboxRow> out;
    for (const auto& row : store->load_outbox(0, 100000))
      if (row.subject == layers::kSmsSubject && json::parse(row.payload)["to"] == phone)
        out.push_back(row);
    return out;
  }
  static std::string code_in(const layers::OutboxRow& row) {
    std::smatch m;
    const std::string text = json::parse(row.payload)["text"];
    EXPECT_TRUE(std::regex_search(text, m, std::regex("([0-9]{6})"))) << text;
    return m.size() > 1 ? m[1].str() : "";
  }
  static onemap::testing::HttpResponse post(const std::string& path, const json& body,
                                            const std::string& token = "") {
    return api().send("POST", path, body.dump(), token);
  }
  // Signs `phone` in: a code asked for and traded for a token.
  static std::string sign_in(const std::string& phone) {
    EXPECT_EQ(post("/residents/code", {{"phone", phone}}).status, 202);
    const auto texts = texts_to(phone);
    EXPECT_FALSE(texts.empty());
    const auto r = post("/residents/token", {{"phone", phone}, {"code", code_in(texts.back())}});
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()["token"];
  }
  static void expect_error(const onemap::testing::HttpResponse& r, int status,
                           const std::string& code, const std::string& parameter) {
    EXPECT_EQ(r.status, status) << r.body;
    const json e = json::parse(r.body)["error"];
    EXPECT_EQ(e["code"], code) << r.body;
    EXPECT_EQ(e["parameter"], parameter) << r.body;
  }
};

TEST_F(ResidentsHttp, AResidentSignsInWithATextedCodeReportsAndFollowsOnlyItsOwnReports) {
  const auto asked = post("/residents/code", {{"phone", "+86 139-1234-5678"}});
  ASSERT_EQ(asked.status, 202) << asked.body;
  EXPECT_EQ(asked.json()["phone"], "139****5678");
  // The code went to the gateway's queue, the phone in its canonical form; it never reaches a
  // webhook or the event stream.
  const auto texts = texts_to(kPhone);
  ASSERT_EQ(texts.size(), 1u);
  const std::string code = code_in(texts[0]);
  layers::Subscriber hook, sms;
  sms.kind = std::string(layers::kSms);
  EXPECT_FALSE(layers::wants(hook, texts[0]));
  EXPECT_TRUE(layers::wants(sms, texts[0]));
  layers::Actor admin;
  admin.id = admin.role = "admin";
  EXPECT_FALSE(onemap::api::event_message(
      api().county(), onemap::auth::ReadPolicy::standard().viewer(admin), texts[0]));
  // Again within the minute: 429, and no second text.
  const auto again = post("/residents/code", {{"phone", kPhone}});
  expect_error(again, 429, "too_many_requests", "phone");
  EXPECT_GE(std::stoi(again.header("Retry-After")), 1);
  EXPECT_EQ(texts_to(kPhone).size(), 1u);

  const std::string wrong = code == "000000" ? "000001" : "000000";
  expect_error(post("/residents/token", {{"phone", kPhone}, {"code", wrong}}), 400,
               "invalid_parameter", "code");
  const auto signed_in = post("/residents/token", {{"phone", kPhone}, {"code", code}});
  ASSERT_EQ(signed_in.status, 200) << signed_in.body;
  const std::string token = signed_in.json()["token"];
  // A code serves once.
  expect_error(post("/residents/token", {{"phone", kPhone}, {"code", code}}), 400,
               "invalid_parameter", "code");
  const json me = api().get("/users/me", token).json();
  EXPECT_EQ(me["role"], "resident");
  EXPECT_EQ(me["id"].get<std::string>().find(kPhone), std::string::npos);  // a pseudonym

  // Its reports: its verified phone is the contact whatever the body says.
  std::set<int64_t> mine;
  for (int i = 0; i < 3; ++i) {
    const auto r = post("/incidents",
                        {{"category", "0101"},
                         {"description", "垃圾堆放 " + std::to_string(i)},
                         {"lon", 120.02 + 0.001 * i},
                         {"lat", 30.1},
                         {"phone", "13800000000"}},
                        token);
    ASSERT_EQ(r.status, 201) << r.body;
    mine.insert(r.json()["id"].get<int64_t>());
    const layers::Incident in = api().county().incident(r.json()["id"]);
    EXPECT_EQ(in.source, "resident_app");
    EXPECT_NE(in.extra.find(kPhone), std::string::npos) << in.extra;
    EXPECT_EQ(in.extra.find("13800000000"), std::string::npos) << in.extra;
  }
  expect_error(post("/incidents",
                    {{"category", "0101"},
                     {"lon", 120.02},
                     {"lat", 30.1},
                     {"reported_at", "2026-01-01T00:00:00Z"}},
                    token),
               400, "invalid_parameter", "reported_at");
  // Someone else's report is not listed.
  ASSERT_EQ(
      post("/incidents", {{"category", "0101"}, {"lon", 120.03}, {"lat", 30.1}}, api().token("app"))
          .status,
      201);
  const json reports = api().get("/users/me/reports", token).json()["reports"];
  std::set<int64_t> listed;
  for (const auto& r : reports) {
    EXPECT_EQ(r["kind"], "incident");
    EXPECT_EQ(r["history"][0]["action"], "report");
    listed.insert(r["id"].get<int64_t>());
  }
  EXPECT_EQ(listed, mine);
  // Another resident sees none of them.
  const std::string other = sign_in(kOtherPhone);
  EXPECT_TRUE(api().get("/users/me/reports", other).json()["reports"].empty());
  // Without a token there is nothing to follow.
  EXPECT_EQ(api().get("/users/me/reports").status, 401);
}

TEST_F(ResidentsHttp, WrongCodesSpendACodeAndBadPhonesAndOldTokensAreRefused) {
  const std::string phone = "13600002222";
  ASSERT_EQ(post("/residents/code", {{"phone", phone}}).status, 202);
  const std::string code = code_in(texts_to(phone).back());
  const std::string wrong = code == "111111" ? "222222" : "111111";
  for (int i = 0; i < 5; ++i)
    expect_error(post("/residents/token", {{"phone", phone}, {"code", wrong}}), 400,
                 "invalid_parameter", "code");
  // The fifth wrong try spent it: the right code no longer works.
  expect_error(post("/residents/token", {{"phone", phone}, {"code", code}}), 400,
               "invalid_parameter", "code");
  for (const char* bad : {"12345", "23912345678", "1391234567a", ""})
    expect_error(post("/residents/code", {{"phone", bad}}), 400, "invalid_parameter", "phone");
  expect_error(post("/residents/code", {{"phone", phone}, {"name", "x"}}), 400, "invalid_parameter",
               "name");
  expect_error(post("/residents/token", {{"phone", phone}, {"code", "12"}}), 400,
               "invalid_parameter", "code");

  // A token works for a month, then no more; a made-up one never.
  onemap::auth::Residents residents(api().store_path());
  const auto s = residents.send_code("13500003333", std::time(nullptr));
  const std::string fresh = code_in(texts_to("13500003333").back());
  const auto in = residents.sign_in("13500003333", fresh, std::time(nullptr));
  EXPECT_TRUE(residents.authenticate(in.token, std::time(nullptr)));
  EXPECT_FALSE(residents.authenticate(in.token, in.expires_at));
  EXPECT_FALSE(residents.authenticate("rs_0000000000000000000000000000000000000000", 0));
  EXPECT_EQ(api().get("/users/me", "rs_0000000000000000000000000000000000000000").status, 401);
  EXPECT_EQ(s.phone, "135****3333");
}

TEST_F(ResidentsHttp, AWorkerListsTheOpenCasesItHoldsEarliestDeadlineFirst) {
  for (int i = 0; i < 4; ++i)
    ASSERT_EQ(
        post("/incidents", {{"category", "0101"}, {"lon", 120.021 + 0.002 * i}, {"lat", 30.1}},
             api().token("app"))
            .status,
        201);
  const json got = api().get("/users/me/incidents", api().token("ft1")).json();
  std::vector<int64_t> ids;
  std::vector<std::string> deadlines;
  for (const auto& f : got["features"]) {
    ids.push_back(f["id"]);
    deadlines.push_back(f["properties"]["deadline"]);
    EXPECT_EQ(f["geometry"]["type"], "Point");
  }
  // The oracle: every open incident assigned to FT1, by a scan of the county.
  std::vector<int64_t> expected;
  {
    auto lock = api().county().read();
    for (const auto& in : api().county().data().incidents)
      if (in.assignee == "FT1" && layers::is_open_state(in.status)) expected.push_back(in.fid);
  }
  ASSERT_FALSE(expected.empty());
  std::vector<int64_t> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(sorted, expected);
  EXPECT_TRUE(std::is_sorted(deadlines.begin(), deadlines.end()));
  EXPECT_EQ(got["numberReturned"], ids.size());
  // A reporter holds nothing.
  EXPECT_TRUE(api().get("/users/me/incidents", api().token("app")).json()["features"].empty());
}

}  // namespace
