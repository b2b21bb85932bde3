// The user directory (auth/user_directory.hpp) on its own, on a real GeoPackage: the users and
// their tokens, their audit, changes made by other connections, and the worker lookup called
// with no lock of the directory held. Worker records come from a map here, not from a county.
#include "auth/user_directory.hpp"

#include "auth/tokens.hpp"
#include "core/errors.hpp"
#include "layers/store/store.hpp"

#include "tests/support/county.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/thrown.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <map>

using json = nlohmann::json;
using namespace onemap;
using namespace onemap::layers;
using onemap::auth::UserDirectory;
using onemap::auth::UserPatch;
using onemap::testing::make_user;
using onemap::testing::refused;

namespace {

class Users : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = onemap::testing::write_dispatch_county(dir_.path());
    for (const auto& w : onemap::testing::dispatch_county().workers) workers_[w.worker_id] = w;
    users_ = open();
  }

  // A directory on the test's store (another one: as another process would have).
  std::unique_ptr<UserDirectory> open() {
    return std::make_unique<UserDirectory>(
        path_,
        [this](const std::string& id) -> std::optional<Worker> {
          ++lookups_;
          if (during_lookup_) during_lookup_();
          const auto it = workers_.find(id);
          return it == workers_.end() ? std::nullopt : std::optional<Worker>(it->second);
        },
        std::vector<std::string>{"消防"});
  }

  onemap::testing::TempDir dir_;
  std::string path_;
  std::map<std::string, Worker> workers_;
  std::atomic<int> lookups_{0};
  std::function<void()> during_lookup_;
  std::unique_ptr<UserDirectory> users_;
};

TEST_F(Users, TokensAreHashedRotatedAndChecked) {
  const std::string token = users_->add(make_user("zhang", "worker", "", "FT1"));
  EXPECT_EQ(token.rfind("om_", 0), 0u);
  EXPECT_EQ(token.size(), 43u);
  const auto a = users_->authenticate(token);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->id, "zhang");
  EXPECT_EQ(a->worker_id, "FT1");
  EXPECT_EQ(a->team_grid, onemap::testing::kTeamGrid);  // from the worker lookup
  EXPECT_EQ(a->scope, onemap::testing::kTeamGrid);
  EXPECT_FALSE(users_->authenticate("om_wrong").has_value());
  EXPECT_FALSE(users_->authenticate("").has_value());
  // Only the hash is stored.
  for (const auto& s : open_store(path_, false)->load_users()) {
    EXPECT_EQ(s.token_hash, onemap::auth::token_hash(token));
    EXPECT_NE(s.token_hash, token);
  }
  // A new token revokes the old one, across a restart too.
  const std::string token2 = users_->issue_token("zhang");
  EXPECT_FALSE(users_->authenticate(token).has_value());
  users_ = open();
  EXPECT_TRUE(users_->authenticate(token2).has_value());
  EXPECT_FALSE(users_->authenticate(token).has_value());
  EXPECT_THROW(users_->issue_token("nobody"), NotFound);
  ASSERT_EQ(users_->list().size(), 1u);
  EXPECT_GT(users_->list()[0].created_at, 1700000000);
}

TEST_F(Users, ANewUserIsChecked) {
  users_->add(make_user("zhang", "centre"));
  try {
    users_->add(make_user("zhang", "centre"));
    ADD_FAILURE() << "a second zhang";
  } catch (const Conflict& e) {
    EXPECT_EQ(e.parameter(), "id") << e.what();
  }
  auto bad = [&](const User& v, const char* parameter) {
    EXPECT_EQ(refused([&] { users_->add(v); }), parameter) << v.id;
  };
  bad(make_user("me", "centre"), "id");  // GET /users/me is the caller
  bad(make_user("li si", "centre"), "id");
  bad(make_user("li", "boss"), "role");
  bad(make_user("li", "worker"), "worker");
  bad(make_user("li", "worker", "", "NOBODY"), "worker");
  bad(make_user("li", "centre", "", "FT1"), "worker");  // only a worker user has a worker record
  bad(make_user("li", "department", "不存在"), "scope");
  bad(make_user("li", "department"), "scope");
  bad(make_user("li", "centre", "33052"), "scope");
  User named = make_user("li", "centre");
  named.name = std::string("bad\x01name");
  bad(named, "name");
  // A department user of a configured department; a scope of any area level.
  users_->add(make_user("fire", "department", "消防"));
  users_->add(make_user("village", "centre", "330521001001"));
  EXPECT_EQ(users_->list().size(), 3u);
  EXPECT_EQ(open_store(path_, false)->load_audit({}).total, 3u);  // failures audit nothing
}

TEST_F(Users, ChangesAreAuditedInTheirTransaction) {
  AuditRecord origin;
  origin.actor = "admin";
  origin.role = "admin";
  origin.peer = "10.1.2.3";
  origin.request_id = "rid-1";
  const std::string token = users_->add(make_user("li", "centre", "330521001"), origin);
  UserPatch p;
  p.active = false;
  origin.request_id = "rid-2";
  EXPECT_FALSE(users_->update("li", p, origin).active);
  EXPECT_FALSE(users_->authenticate(token).has_value());
  p.active = true;
  origin.request_id = "rid-3";
  users_->update("li", p, origin);
  EXPECT_TRUE(users_->authenticate(token).has_value());
  UserPatch role;
  role.role = "worker";
  role.worker_id = "FT2";
  role.scope = "";
  origin.request_id = "rid-4";
  const User changed = users_->update("li", role, origin);
  EXPECT_EQ(changed.role, "worker");
  EXPECT_EQ(changed.worker_id, "FT2");
  origin.request_id = "rid-5";
  const std::string token2 = users_->issue_token("li", origin);
  EXPECT_EQ(users_->update("li", {}, origin).id, "li");  // no change: nothing audited

  const AuditPage page = users_->audit_log({});
  ASSERT_EQ(page.total, 5u);
  const std::vector<std::string> actions = {"token_rotate", "user_change", "user_enable",
                                            "user_disable", "user_create"};
  for (std::size_t k = 0; k < 5; ++k) {
    const AuditRecord& r = page.rows[k];
    EXPECT_EQ(r.action, actions[k]);
    EXPECT_EQ(r.actor, "admin");
    EXPECT_EQ(r.peer, "10.1.2.3");
    EXPECT_EQ(r.request_id, "rid-" + std::to_string(5 - k));
    EXPECT_EQ(r.layer, "users");
    EXPECT_EQ(r.records, R"(["li"])");
    EXPECT_GT(r.at, 1700000000);
    for (const std::string& secret :
         {token, token2, onemap::auth::token_hash(token), onemap::auth::token_hash(token2)}) {
      EXPECT_EQ(r.detail.find(secret), std::string::npos);
      EXPECT_EQ(r.fields.find(secret), std::string::npos);
    }
  }
  EXPECT_EQ(json::parse(page.rows[4].detail)["scope"], "330521001");
  EXPECT_EQ(json::parse(page.rows[3].detail)["active"], json::array({true, false}));
  EXPECT_EQ(json::parse(page.rows[1].fields), json::array({"role", "scope", "worker_id"}));
  EXPECT_EQ(json::parse(page.rows[1].detail)["role"], json::array({"centre", "worker"}));
  EXPECT_EQ(json::parse(page.rows[0].fields), json::array({"token"}));
  // Written durably: another connection reads them.
  EXPECT_EQ(open_store(path_, false)->load_audit({}).total, 5u);

  // A change whose audit row the store refuses is not made: not in the store, not here.
  auto sql = [&](const char* statement) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, statement, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  };
  sql("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, "
      "'refused'); END");
  UserPatch off;
  off.active = false;
  EXPECT_THROW(users_->update("li", off, origin), StoreError);
  EXPECT_THROW(users_->issue_token("li", origin), StoreError);
  EXPECT_TRUE(users_->list()[0].active);
  EXPECT_TRUE(open_store(path_, false)->load_users()[0].active);
  EXPECT_TRUE(users_->authenticate(token2).has_value());
  sql("DROP TRIGGER refuse_audit");

  auto bad = [&](const UserPatch& patch, const char* parameter) {
    EXPECT_EQ(refused([&] { users_->update("li", patch, origin); }), parameter);
  };
  UserPatch b1;
  b1.role = "boss";
  bad(b1, "role");
  UserPatch b2;
  b2.scope = "33052";
  bad(b2, "scope");
  UserPatch b3;
  b3.worker_id = "NOBODY";
  bad(b3, "worker");
  UserPatch b4;
  b4.role = "department";  // needs a department as its scope
  bad(b4, "scope");
  UserPatch b5;
  b5.name = std::string("bad\x01name");
  bad(b5, "name");
  EXPECT_THROW(users_->update("nobody", p, origin), NotFound);
  EXPECT_EQ(users_->audit_log({}).total, 5u);  // failures audit nothing
  EXPECT_EQ(users_->list()[0].role, "worker");
}

TEST_F(Users, ChangesFromAnotherConnectionCountAtTheNextLookup) {
  // `onemap user` in another process is another directory on the same file: whatever it commits
  // counts at this directory's very next lookup, with no wait.
  const std::string t1 = users_->add(make_user("zhang", "worker", "", "FT1"));
  ASSERT_TRUE(users_->authenticate(t1).has_value());
  auto other = open();

  const std::string t2 = other->issue_token("zhang");  // revokes t1
  EXPECT_FALSE(users_->authenticate(t1).has_value());
  EXPECT_TRUE(users_->authenticate(t2).has_value());

  UserPatch off;
  off.active = false;
  other->update("zhang", off);
  EXPECT_FALSE(users_->authenticate(t2).has_value());
  UserPatch on;
  on.active = true;
  other->update("zhang", on);
  EXPECT_TRUE(users_->authenticate(t2).has_value());

  UserPatch centre;
  centre.role = "centre";
  centre.scope = "330521001";
  other->update("zhang", centre);
  auto a = users_->authenticate(t2);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->role, "centre");
  EXPECT_EQ(a->scope, "330521001");
  EXPECT_EQ(a->worker_id, "");  // a centre user has no worker record

  // A plain store connection (another tool) as well; and this directory's own changes.
  {
    auto store = open_store(path_, false);
    auto users = store->load_users();
    ASSERT_EQ(users.size(), 1u);
    users[0].token_hash = onemap::auth::token_hash("om_set_elsewhere");
    Store::Batch b;
    b.users.push_back(&users[0]);
    store->put(b);
  }
  EXPECT_EQ(users_->list()[0].token_hash, onemap::auth::token_hash(t2));  // as last read
  EXPECT_EQ(users_->current()[0].token_hash, onemap::auth::token_hash("om_set_elsewhere"));
  EXPECT_FALSE(users_->authenticate(t2).has_value());
  EXPECT_TRUE(users_->authenticate("om_set_elsewhere").has_value());
  const std::string t3 = users_->issue_token("zhang");
  EXPECT_FALSE(users_->authenticate("om_set_elsewhere").has_value());
  EXPECT_TRUE(users_->authenticate(t3).has_value());
  EXPECT_FALSE(other->authenticate("om_set_elsewhere").has_value());  // the other sees it too
  EXPECT_TRUE(other->authenticate(t3).has_value());
  // An id another connection took is a Conflict here, though this one had not read it yet.
  other->add(make_user("wang", "reporter"));
  EXPECT_THROW(users_->add(make_user("wang", "reporter")), Conflict);
}

TEST_F(Users, TheWorkerLookupRunsWithNoLockOfTheDirectoryHeld) {
  // The lookup takes the county's lock in a server: were it called under a lock of the
  // directory, a county that waits for the directory would deadlock. Here it calls back in.
  const std::string token = users_->add(make_user("zhang", "worker", "", "FT1"));
  std::size_t seen = 0;
  during_lookup_ = [&] {
    seen = users_->current().size();
    EXPECT_FALSE(users_->authenticate("om_wrong").has_value());
  };
  auto calls = std::async(std::launch::async, [&] {
    users_->add(make_user("li", "worker", "", "FT2"));
    UserPatch p;
    p.worker_id = "PT";
    users_->update("li", p);
    return users_->authenticate(token);
  });
  ASSERT_EQ(calls.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  const auto a = calls.get();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->team_grid, onemap::testing::kTeamGrid);
  EXPECT_EQ(seen, 2u);
  EXPECT_EQ(lookups_, 4);  // add zhang, add li, update li, authenticate zhang
  // A user who is no worker asks for none.
  users_->add(make_user("app", "reporter"));
  EXPECT_EQ(lookups_, 4);
}

TEST_F(Users, TheAuditLogReadsWhatOtherConnectionsAppend) {
  // The county appends personal reads through its own connection; the directory reads them.
  AuditRecord read;
  read.actor = "li";
  read.role = "centre";
  read.at = 1790000000;
  read.action = "read_personal";
  read.layer = "households";
  read.records = "[1]";
  read.fields = R"(["head_name","phone","id_number"])";
  {
    auto store = open_store(path_, false);
    Store::Batch b;
    b.audit.push_back(&read);
    store->put(b);
  }
  users_->add(make_user("li", "centre"));
  AuditQuery q;
  q.actor = "li";
  const AuditPage reads = users_->audit_log(q);
  ASSERT_EQ(reads.total, 1u);
  EXPECT_EQ(reads.rows[0].action, "read_personal");
  q.actor.clear();
  q.action = "user_create";
  EXPECT_EQ(users_->audit_log(q).total, 1u);
  EXPECT_EQ(users_->audit_log({}).total, 2u);
}

}  // namespace
