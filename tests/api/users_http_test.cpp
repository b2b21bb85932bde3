// Users, tokens and the audit through the server's route table in process
// (tests/support/api_harness.hpp): the admin endpoints (who may call them, tokens shown once and
// never listed, validation); the audit rows of personal reads and user changes (actor, record,
// fields, peer, request id) and GET /audit's filters; a personal read whose audit row cannot be
// written is not answered. (`onemap user` on a live server: cli_test.cpp; no token in the
// server's log: serve_test.cpp.)
#include "tests/support/api_harness.hpp"
#include "tests/support/expect_error.hpp"

#include "api/records.hpp"
#include "auth/tokens.hpp"
#include "core/errors.hpp"
#include "layers/county/county.hpp"
#include "layers/store/store.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sqlite3.h>

#include <ctime>
#include <set>

using json = nlohmann::json;
using namespace onemap::testing;

namespace {

class UsersHttp : public SharedApi<UsersHttp> {
 public:
  static std::unique_ptr<ApiHarness> make_api() {
    auto api = std::make_unique<ApiHarness>(write_dispatch_county);
    centre_ = api->add_user("centre", "centre", "330521");
    app_ = api->add_user("app", "reporter");
    // A household in town 330521001 (grid 330521001001001).
    const HttpResponse r = api->send(
        "POST", "/households",
        R"({"lon":120.02,"lat":30.1,"head_name":"张三","phone":"13800000000","id_number":"330521199001010000"})",
        kAdminToken);
    EXPECT_EQ(r.status, 201) << r.body;
    household_ = "/households/" + std::to_string(r.json()["id"].get<int64_t>());
    return api;
  }

 protected:
  static HttpResponse as(const std::string& token, const std::string& method,
                         const std::string& target, const std::string& body = "") {
    return api().send(method, target, body, token, body.empty() ? "" : "application/json");
  }
  static HttpResponse admin(const std::string& method, const std::string& target,
                            const std::string& body = "") {
    return as(kAdminToken, method, target, body);
  }
  static json audit(const std::string& query) {
    const HttpResponse r = admin("GET", "/audit" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body);
  }

  static inline std::string centre_, app_, household_;
};

}  // namespace

TEST_F(UsersHttp, AdminEndpointsAreTheAdministratorsAndShowATokenOnce) {
  // Who may call them.
  for (const auto& [method, target] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/users"},
                                                        {"POST", "/users"},
                                                        {"PATCH", "/users/centre"},
                                                        {"POST", "/users/centre/token"},
                                                        {"GET", "/audit"}}) {
    const std::string body = method == "GET" ? "" : "{}";
    expect_error(as("", method, target, body), 401);
    expect_error(as(centre_, method, target, body), 403);
    expect_error(as(app_, method, target, body), 403);
  }

  // Create: 201, the token once, not cached.
  HttpResponse r =
      admin("POST", "/users", R"({"id":"wang","role":"centre","scope":"330521","name":"王五"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.header("location"), "/users/wang");
  EXPECT_EQ(r.header("cache-control"), "no-store");
  json j = json::parse(r.body);
  const std::string token = j["token"];
  EXPECT_EQ(token.rfind("om_", 0), 0u);
  EXPECT_EQ(j["role"], "centre");
  EXPECT_EQ(j["name"], "王五");
  EXPECT_FALSE(j.contains("token_hash"));
  r = as(token, "GET", "/users/me");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["id"], "wang");

  // The list: every user, never a token or its hash.
  r = admin("GET", "/users");
  ASSERT_EQ(r.status, 200) << r.body;
  j = json::parse(r.body);
  std::set<std::string> ids;
  for (const auto& u : j["users"]) {
    ids.insert(u["id"].get<std::string>());
    EXPECT_FALSE(u.contains("token"));
    EXPECT_FALSE(u.contains("token_hash"));
  }
  EXPECT_TRUE(ids.count("wang") && ids.count("centre") && ids.count("app"));
  for (const std::string& secret :
       {token, onemap::auth::token_hash(token), centre_, onemap::auth::token_hash(centre_)})
    EXPECT_EQ(r.body.find(secret), std::string::npos);

  // Validation: 400 naming the field; a taken id 409.
  expect_error(admin("POST", "/users", R"({"id":"wang","role":"centre"})"), 409, "", "id");
  expect_error(admin("POST", "/users", R"({"role":"centre"})"), 400, "invalid_parameter", "id");
  expect_error(admin("POST", "/users", R"({"id":"li si","role":"centre"})"), 400,
               "invalid_parameter", "id");
  expect_error(admin("POST", "/users", R"({"id":"li","role":"boss"})"), 400, "invalid_parameter",
               "role");
  expect_error(admin("POST", "/users", R"({"id":"li","role":"centre","scope":"33"})"), 400,
               "invalid_parameter", "scope");
  expect_error(admin("POST", "/users", R"({"id":"li","role":"worker"})"), 400, "invalid_parameter",
               "worker_id");
  expect_error(admin("POST", "/users", R"({"id":"li","role":"worker","worker_id":"NOBODY"})"), 400,
               "invalid_parameter", "worker_id");
  expect_error(admin("POST", "/users", R"({"id":"li","role":"centre","colour":"red"})"), 400,
               "invalid_parameter", "colour");
  expect_error(admin("POST", "/users", R"({"id":"li","role":"centre","token":"om_mine"})"), 400,
               "invalid_parameter", "token");
  expect_error(admin("POST", "/users", R"({"id":7,"role":"centre"})"), 400, "invalid_parameter",
               "id");
  expect_error(admin("POST", "/users", "[1]"), 400, "invalid_parameter", "body");

  // Change: role and worker record; the token follows the change at once.
  r = admin("PATCH", "/users/wang", R"({"role":"worker","worker_id":"FT1","scope":""})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["worker_id"], "FT1");
  r = as(token, "GET", "/users/me");
  EXPECT_EQ(json::parse(r.body)["role"], "worker");
  EXPECT_EQ(json::parse(r.body)["team_grid"], "330521001001001");
  expect_error(admin("PATCH", "/users/wang", R"({"active":"no"})"), 400, "invalid_parameter",
               "active");
  expect_error(admin("PATCH", "/users/wang", R"({"scope":"x"})"), 400, "invalid_parameter",
               "scope");
  expect_error(admin("PATCH", "/users/wang", "{}"), 400, "invalid_parameter", "body");
  expect_error(admin("PATCH", "/users/nobody", R"({"name":"x"})"), 404);
  r = admin("PATCH", "/users/wang", R"({"active":false})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["active"], false);
  expect_error(as(token, "GET", "/users/me"), 401);
  EXPECT_EQ(admin("PATCH", "/users/wang", R"({"active":true})").status, 200);
  EXPECT_EQ(as(token, "GET", "/users/me").status, 200);

  // Rotate: the new token once; the old one stops at once.
  r = admin("POST", "/users/wang/token");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("cache-control"), "no-store");
  const std::string token2 = json::parse(r.body)["token"];
  EXPECT_NE(token2, token);
  expect_error(as(token, "GET", "/users/me"), 401);
  EXPECT_EQ(as(token2, "GET", "/users/me").status, 200);
  expect_error(admin("POST", "/users/nobody/token"), 404);
  expect_error(admin("POST", "/users/wang/token", R"({"token":"om_mine"})"), 400,
               "invalid_parameter", "token");
  // PATCH /users/me names a user called "me": there is none (GET /users/me is the caller).
  expect_error(admin("PATCH", "/users/me", R"({"name":"x"})"), 404);
}

TEST_F(UsersHttp, PersonalReadsAndUserChangesAreAuditedWithTheirRequest) {
  // A household read by the centre: its row before the answer.
  const std::time_t before = std::time(nullptr);
  HttpResponse r = as(centre_, "GET", household_);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string read_id = r.header("x-request-id");
  ASSERT_FALSE(read_id.empty());
  json page = audit("?user=centre&action=read_personal&limit=1");
  ASSERT_EQ(page["entries"].size(), 1u) << page;
  json e = page["entries"][0];
  EXPECT_EQ(e["actor"], "centre");
  EXPECT_EQ(e["role"], "centre");
  EXPECT_EQ(e["layer"], "households");
  EXPECT_EQ(e["records"], json::array({std::stoll(household_.substr(12))}));
  EXPECT_EQ(e["fields"], json::array({"head_name", "phone", "id_number"}));
  EXPECT_EQ(e["peer"], "127.0.0.1");
  EXPECT_EQ(e["request_id"], read_id);
  // A refused read is not a read.
  const auto reads = page["total"].get<int>();
  expect_error(as(app_, "GET", household_), 403);
  EXPECT_EQ(audit("?user=app&action=read_personal")["total"], 0);
  EXPECT_EQ(audit("?user=centre&action=read_personal")["total"], reads);

  // A household written: its answer shows the personal fields, so it is audited too.
  r = as(centre_, "PATCH", household_, R"({"phone":"13900000000"})");
  ASSERT_EQ(r.status, 200) << r.body;
  e = audit("?user=centre&limit=1")["entries"][0];
  EXPECT_EQ(e["action"], "write_personal");
  EXPECT_EQ(e["request_id"], r.header("x-request-id"));

  // An incident's reporter shown to another user.
  r = as(app_, "POST", "/incidents", R"({"lon":120.02,"lat":30.1,"category":"0101"})");
  ASSERT_EQ(r.status, 201) << r.body;
  const int64_t fid = json::parse(r.body)["id"];
  EXPECT_EQ(audit("?user=app")["total"], 0);  // the reporter's own identity is no read
  r = as(centre_, "GET", "/incidents/" + std::to_string(fid));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["reporter"], "app");
  e = audit("?user=centre&limit=1")["entries"][0];
  EXPECT_EQ(e["action"], "read_personal");
  EXPECT_EQ(e["layer"], "incidents");
  EXPECT_EQ(e["records"], json::array({fid}));
  EXPECT_EQ(e["fields"], json::array({"reporter"}));
  EXPECT_EQ(e["request_id"], r.header("x-request-id"));

  // A user change through the API: the administrator's, with its request.
  r = admin("POST", "/users", R"({"id":"zhao","role":"reporter"})");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string token = json::parse(r.body)["token"];
  const std::string create_id = r.header("x-request-id");
  r = admin("PATCH", "/users/zhao", R"({"name":"赵六","active":false})");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string patch_id = r.header("x-request-id");
  page = audit("?user=admin&limit=2");
  ASSERT_EQ(page["entries"].size(), 2u);
  e = page["entries"][0];
  EXPECT_EQ(e["action"], "user_disable");
  EXPECT_EQ(e["layer"], "users");
  EXPECT_EQ(e["records"], json::array({"zhao"}));
  EXPECT_EQ(e["fields"], json::array({"name", "active"}));
  EXPECT_EQ(e["detail"]["active"], json::array({true, false}));
  EXPECT_EQ(e["peer"], "127.0.0.1");
  EXPECT_EQ(e["request_id"], patch_id);
  EXPECT_EQ(page["entries"][1]["action"], "user_create");
  EXPECT_EQ(page["entries"][1]["request_id"], create_id);
  const std::string all = admin("GET", "/audit?limit=1000").body;
  EXPECT_EQ(all.find(token), std::string::npos);
  EXPECT_EQ(all.find(onemap::auth::token_hash(token)), std::string::npos);

  // Filters: time window, user, action, paging.
  const std::time_t after = std::time(nullptr);
  EXPECT_EQ(audit("?from=" + std::to_string(after + 3600))["total"], 0);
  EXPECT_EQ(audit("?to=2000-01-01T00:00:00Z")["total"], 0);
  const json window =
      audit("?user=centre&from=" + std::to_string(before) + "&to=" + std::to_string(after + 1));
  EXPECT_EQ(window["total"], 3);  // the household read and write, the incident read
  const json iso = audit("?user=centre&from=" + onemap::layers::format_time(before));
  EXPECT_EQ(iso["total"], 3);
  const json everything = audit("?limit=1000");
  const int total = everything["total"];
  ASSERT_GE(total, 5);
  for (std::size_t k = 1; k < everything["entries"].size(); ++k)
    EXPECT_GT(everything["entries"][k - 1]["id"].get<int64_t>(),
              everything["entries"][k]["id"].get<int64_t>());
  const json second = audit("?limit=2&offset=1");
  EXPECT_EQ(second["total"], total);
  ASSERT_EQ(second["entries"].size(), 2u);
  EXPECT_EQ(second["entries"][0]["id"], everything["entries"][1]["id"]);
  EXPECT_EQ(second["entries"][1]["id"], everything["entries"][2]["id"]);
  expect_error(admin("GET", "/audit?limit=0"), 400, "invalid_parameter", "limit");
  expect_error(admin("GET", "/audit?limit=5000"), 400, "invalid_parameter", "limit");
  expect_error(admin("GET", "/audit?from=yesterday"), 400, "invalid_parameter", "from");
  expect_error(admin("GET", "/audit?from=2026-01-02&to=2026-01-01"), 400, "invalid_parameter",
               "from");
  expect_error(admin("GET", "/audit?colour=red"), 400, "invalid_parameter", "colour");
}

TEST(UsersAudit, APersonalReadWhoseAuditRowCannotBeWrittenIsNotAnswered) {
  const TempDir dir;
  const std::string store = write_dispatch_county(dir.path());
  onemap::layers::County county(onemap::layers::open_store(store, false), {},
                                onemap::layers::TileConfig::defaults());
  onemap::layers::Household h;
  h.location = {120.02, 30.1};
  h.head_name = "张三";
  h.phone = "13800000000";
  const int64_t fid = county.create_household(h).fid;
  onemap::layers::Actor centre;
  centre.id = "c1";
  centre.role = "centre";
  const std::string path = "/households/" + std::to_string(fid);
  onemap::api::RecordRequest rq;
  rq.method = "GET";
  rq.path = path;
  rq.authenticate = [&] { return std::optional<onemap::layers::Actor>(centre); };
  rq.peer = "10.0.0.9";
  rq.request_id = "rid-1";
  const auto a = onemap::api::handle_record_request(county, rq);
  EXPECT_EQ(a.status, 200);
  EXPECT_NE(a.body.find("张三"), std::string::npos);
  onemap::layers::AuditQuery q;
  q.actor = "c1";
  const auto page = county.users().audit_log(q);
  ASSERT_EQ(page.total, 1u);
  EXPECT_EQ(page.rows[0].peer, "10.0.0.9");
  EXPECT_EQ(page.rows[0].request_id, "rid-1");
  // Another connection makes the store refuse audit rows: the read throws (a 500) and answers
  // nothing.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(store.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT "
                         "RAISE(ABORT, 'refused'); END",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_THROW(onemap::api::handle_record_request(county, rq), onemap::StoreError);
  EXPECT_EQ(county.users().audit_log(q).total, 1u);
}
