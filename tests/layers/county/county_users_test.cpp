// The county's user directory (County::users(), auth/user_directory.hpp) beside the county's
// writes: worker records come from the county, and the directory's locks are its own, so that a
// county write in progress holds up neither a sign-in nor a user change (nor does a reader).
#include "layers/county/county.hpp"

#include "auth/tokens.hpp"
#include "core/errors.hpp"
#include "layers/store/store.hpp"

#include "tests/support/county.hpp"
#include "tests/support/county_fixture.hpp"
#include "tests/support/thrown.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>

using namespace onemap;
using namespace onemap::layers;

namespace {

using namespace std::chrono_literals;
using onemap::testing::make_user;
using onemap::testing::refused;

class CountyUsers : public onemap::testing::CountyFixture {
 protected:
  void SetUp() override { open(onemap::testing::write_dispatch_county); }
};

TEST_F(CountyUsers, WorkerRecordsComeFromTheCounty) {
  const std::string token = county_->users().add(make_user("zhang", "worker", "", "FT1"));
  const auto a = county_->users().authenticate(token);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->team_grid, onemap::testing::kTeamGrid);
  EXPECT_EQ(a->worker_role, WorkerRole::FullTime);
  EXPECT_EQ(refused([&] { county_->users().add(make_user("li", "worker", "", "NOBODY")); }),
            "worker")
      << "a worker user without a worker record";
}

TEST_F(CountyUsers, SignInsAndUserChangesGoOnWhileACountyWriteHoldsItsLocks) {
  const std::string centre = county_->users().add(make_user("centre", "centre"));
  const std::string worker = county_->users().add(make_user("zhang", "worker", "", "FT1"));
  // A county write held in its listener: it holds the writers' mutex and the exclusive lock.
  std::promise<void> inside, release;
  auto released = release.get_future().share();
  county_->on_change([&, released](const Change& c) {
    if (c.layer != LayerKind::Incidents) return;
    inside.set_value();
    released.wait();
  });
  Actor admin;
  admin.id = "admin";
  admin.role = "admin";
  auto write = std::async(std::launch::async, [&] {
    Incident in;
    in.location = {120.02, 30.1};
    in.category = "0101";
    return county_->create_incident(in, admin);
  });
  inside.get_future().wait();

  auto users = std::async(std::launch::async, [&] {
    EXPECT_TRUE(county_->users().authenticate(centre).has_value());
    const std::string again = county_->users().issue_token("centre");
    EXPECT_FALSE(county_->users().authenticate(centre).has_value());
    EXPECT_TRUE(county_->users().authenticate(again).has_value());
    auth::UserPatch p;
    p.scope = "330521001";
    county_->users().update("centre", p);
    county_->users().add(make_user("app", "reporter"));
    return county_->users().current().size();
  });
  EXPECT_EQ(users.wait_for(10s), std::future_status::ready) << "waited for the county write";
  // A worker user's team is read under the county's shared lock: its sign-in waits for the
  // memory update (never for the store), and only that.
  auto signed_in = std::async(std::launch::async,
                              [&] { return county_->users().authenticate(worker).has_value(); });
  EXPECT_EQ(signed_in.wait_for(100ms), std::future_status::timeout);
  release.set_value();
  EXPECT_EQ(users.get(), 3u);
  EXPECT_TRUE(signed_in.get());
  EXPECT_GT(write.get().fid, 0);
}

TEST_F(CountyUsers, AnUnknownTokenRereadsTheUsersWithoutTheCountysLocks) {
  // A user added by another process (here: another connection) signs in while a reader holds
  // the read lock: the re-read is the directory's own, so it neither waits for nor blocks readers.
  User u = make_user("later", "centre");
  u.token_hash = onemap::auth::token_hash("om_added_elsewhere");
  {
    auto other = open_store(path_, false);
    Store::Batch b;
    b.users.push_back(&u);
    other->put(b);
  }
  auto reading = county_->read();
  auto signed_in = std::async(std::launch::async,
                              [&] { return county_->users().authenticate("om_added_elsewhere"); });
  ASSERT_EQ(signed_in.wait_for(10s), std::future_status::ready);
  const auto a = signed_in.get();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->id, "later");
  EXPECT_EQ(a->role, "centre");
}

TEST_F(CountyUsers, PersonalReadsAreAuditedThroughTheCountyAndReadThroughTheDirectory) {
  AuditRecord read;
  read.actor = "li";
  read.role = "centre";
  read.action = "read_personal";
  read.layer = "households";
  read.records = "[1]";
  read.fields = R"(["head_name","phone","id_number"])";
  county_->audit({read});
  AuditQuery q;
  q.actor = "li";
  const AuditPage reads = county_->users().audit_log(q);
  ASSERT_EQ(reads.total, 1u);
  EXPECT_EQ(reads.rows[0].action, "read_personal");
  EXPECT_GT(reads.rows[0].at, 1700000000);  // the clock when not given
  EXPECT_EQ(open_store(path_, false)->load_audit(q).total, 1u);
}

}  // namespace
