// Escalation and the overdue sweep (layers/county/county_escalation.cpp) on a real GeoPackage:
// grid, village, town, county at the deadlines the test calendar gives, a sweep of an area and
// never of the future, and an incident changed while the sweep ran left as it was written.
#include "layers/county/county.hpp"

#include "core/errors.hpp"
#include "tests/layers/county/dispatch_fixture.hpp"
#include "tests/support/thrown.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

using json = nlohmann::json;
using namespace onemap;
using namespace onemap::layers;
using namespace onemap::testing;

TEST_F(Dispatch, OverdueIncidentsEscalateGridVillageTownCounty) {
  const Incident in = intake(120.036, 30.11);  // due Tuesday 10:30
  ASSERT_EQ(in.deadline, kNow + 2 * 3600);
  EXPECT_TRUE(county_->sweep_overdue(in.deadline - 1).escalated.empty());
  const WorkingCalendar cal = test_calendar();
  std::vector<std::pair<std::string, std::string>> expected = {
      {"village", "330521001001"}, {"town", "330521001"}, {"county", "330521"}};
  int64_t t = in.deadline + 1;
  for (const auto& [level, agency] : expected) {
    const SweepResult r = county_->sweep_overdue(t);
    ASSERT_EQ(r.escalated, std::vector<int64_t>{in.fid}) << level;
    const Incident cur = county_->incident(in.fid);
    EXPECT_EQ(cur.status, "escalated");
    EXPECT_EQ(cur.level, level);
    EXPECT_EQ(cur.agency, agency);
    EXPECT_TRUE(cur.overdue);
    EXPECT_EQ(cur.deadline, cal.add_working_seconds(t, 4 * 3600));
    const IncidentEvent e = county_->history(in.fid).back();
    EXPECT_EQ(e.action, "escalate");
    EXPECT_EQ(e.actor, "system");
    EXPECT_EQ(json::parse(e.detail)["to_level"], level);
    // Not again before the new deadline.
    EXPECT_TRUE(county_->sweep_overdue(cur.deadline - 1).escalated.empty());
    t = cur.deadline + 1;
  }
  // At the county level it is only marked, once.
  const SweepResult top = county_->sweep_overdue(t);
  EXPECT_TRUE(top.escalated.empty());
  EXPECT_TRUE(top.marked_overdue.empty());  // already overdue
  EXPECT_THROW(county_->transition(in.fid, {Action::Escalate, "", {}, {}, t}, centre_), Conflict);
  // Resolved incidents are never escalated.
  const Incident other = intake(120.036, 30.11, "0101", t);
  const Actor w = worker_actor(*county_, other.assignee);
  county_->transition(other.fid, {Action::Accept, "", {}, {}, t}, w);
  county_->transition(other.fid, {Action::Resolve, "", {}, {}, t}, w);
  EXPECT_TRUE(county_->sweep_overdue(other.deadline + 86400 * 30).escalated.empty());
  reopen();
  EXPECT_EQ(county_->incident(in.fid).level, "county");
}

TEST_F(Dispatch, TheSweepTakesAnAreaAndNeverTheFuture) {
  const Incident a = intake(120.036, 30.11);  // grid 330521001001001
  const Incident b = intake(120.30, 30.10);   // grid 330521002001001
  ASSERT_EQ(a.join.grid_code, kG1);
  ASSERT_EQ(b.join.grid_code.substr(0, 9), "330521002");
  const int64_t t = std::max(a.deadline, b.deadline) + 1;
  EXPECT_EQ(refused([&] { county_->sweep_overdue(std::time(nullptr) + 3600); }), "at")
      << "a sweep an hour ahead";
  EXPECT_EQ(refused([&] { county_->sweep_overdue(t, "33x"); }), "area") << "a bad area";
  EXPECT_NO_THROW(county_->sweep_overdue(std::time(nullptr) + 60,
                                         "330521009"));  // a minute ahead: clocks differ
  EXPECT_EQ(county_->sweep_overdue(t, "330521002").escalated, std::vector<int64_t>{b.fid});
  EXPECT_EQ(county_->incident(a.fid).status, "dispatched");
  EXPECT_EQ(county_->sweep_overdue(t, "330521001").escalated, std::vector<int64_t>{a.fid});
  EXPECT_EQ(county_->incident(a.fid).level, "village");
  EXPECT_EQ(county_->incident(b.fid).level, "village");
}

TEST_F(Dispatch, TheSweepLeavesAnIncidentChangedMeanwhile) {
  const Incident a = intake(120.036, 30.11);
  const Incident b = intake(120.037, 30.12);
  ASSERT_FALSE(a.assignee.empty());
  const Actor w = worker_actor(*county_, a.assignee);
  county_->set_commit_hook([&](std::string_view what) {
    if (what == "sweep_overdue")
      county_->transition(a.fid, {Action::Accept, "on my way", {}, {}, kNow + 60}, w);
  });
  const SweepResult r = county_->sweep_overdue(std::max(a.deadline, b.deadline) + 1);
  EXPECT_EQ(r.changed, std::vector<int64_t>{a.fid});
  EXPECT_EQ(r.escalated, std::vector<int64_t>{b.fid});
  const Incident cur = county_->incident(a.fid);
  EXPECT_EQ(cur.status, "accepted");
  EXPECT_FALSE(cur.overdue);
  EXPECT_EQ(county_->history(a.fid).back().action, "accept");
  county_->set_commit_hook({});
  // The next sweep sees it as it is now.
  EXPECT_EQ(county_->sweep_overdue(std::max(a.deadline, b.deadline) + 2).escalated,
            std::vector<int64_t>{a.fid});
}
