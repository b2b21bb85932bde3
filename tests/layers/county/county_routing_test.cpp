// Intake and routing (layers/county/county_routing.cpp) on a real GeoPackage: inside a grid to the
// worker a brute-force choice over the team picks (eligibility, workload, geodesic distance),
// outside every grid to the nearest grid or the town, departments' categories to the department.
#include "layers/county/county.hpp"

#include "core/errors.hpp"
#include "spatial/crs.hpp"
#include "tests/layers/county/dispatch_fixture.hpp"
#include "tests/support/thrown.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

using json = nlohmann::json;
using namespace onemap;
using namespace onemap::layers;
using namespace onemap::testing;

TEST_F(Dispatch, InsideAGridGoesToTheNearestFreeEligibleTeamMember) {
  // AUX is the nearest but may not take 0101; PT is off duty; the grid head may not take it.
  const Incident in = intake(120.036, 30.11);
  EXPECT_EQ(in.join.grid_code, kG1);
  EXPECT_EQ(in.status, "dispatched");
  EXPECT_EQ(in.agency, kG1);
  EXPECT_EQ(in.level, "grid");
  EXPECT_EQ(in.reporter, "app");
  const std::string want = oracle_worker(in, "0101");
  EXPECT_EQ(want, "FT2");
  EXPECT_EQ(in.assignee, want);
  const json r = json::parse(in.dispatch_reason);
  EXPECT_EQ(r["rule"], "contained");
  EXPECT_EQ(r["grid"], kG1);
  EXPECT_EQ(r["worker"], "FT2");
  EXPECT_NEAR(r["worker_distance_m"].get<double>(),
              spatial::distance_m(county_->data().workers[2].location, in.location), 1e-6);
  EXPECT_EQ(r["worker_load"], 0);
  EXPECT_EQ(r["cap"], 2);
  bool aux_skipped = false;
  for (const auto& s : r["skipped"]) aux_skipped |= s["worker"] == "AUX";
  EXPECT_TRUE(aux_skipped);
  EXPECT_NE(r["text"].get<std::string>().find("FT2"), std::string::npos);
  EXPECT_NE(r["text_zh"].get<std::string>().find("派给最近的可接单网格员 FT2"), std::string::npos);
  // Deadline: 2 working hours from Tuesday 08:30 = 10:30.
  EXPECT_EQ(in.deadline, kNow + 2 * 3600);
  // The trail: report by the reporter, dispatch by the system.
  const auto h = county_->history(in.fid);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].action, "report");
  EXPECT_EQ(h[0].actor, "app");
  EXPECT_EQ(h[1].action, "dispatch");
  EXPECT_EQ(h[1].actor, "system");
  EXPECT_EQ(h[1].from, "reported");
  EXPECT_EQ(h[1].to, "dispatched");
  // A dispute goes to the grid head (the only eligible role in the team).
  EXPECT_EQ(intake(120.036, 30.11, "0701").assignee, "HEAD");
}

TEST_F(Dispatch, WorkloadCapsMoveWorkToTheNextWorkerThenTheGridHeadsQueue) {
  // Cap 2: each intake goes to the oracle's choice, until both full-time workers are full.
  for (int k = 0; k < 4; ++k) {
    Incident probe;
    probe.location = {120.03, 30.12};
    probe.join.grid_code = kG1;
    const std::string want = oracle_worker(probe, "0101");
    const Incident in = intake(120.03, 30.12);
    EXPECT_EQ(in.assignee, want) << k;
  }
  EXPECT_EQ(county_->workload("FT1"), 2);
  EXPECT_EQ(county_->workload("FT2"), 2);
  const Incident queued = intake(120.03, 30.12);
  EXPECT_TRUE(queued.assignee.empty());
  EXPECT_EQ(queued.status, "dispatched");
  EXPECT_EQ(queued.agency, kG1);
  const json r = json::parse(queued.dispatch_reason);
  EXPECT_EQ(r["queue"], "HEAD");
  std::size_t at_cap = 0;
  for (const auto& s : r["skipped"])
    at_cap += s["why"].get<std::string>().find("workload cap") != std::string::npos;
  EXPECT_EQ(at_cap, 2u);
  // A grid without a team: queued for the grid, no grid head.
  const Incident lonely = intake(120.07, 30.12);
  EXPECT_EQ(lonely.join.grid_code, kG2);
  EXPECT_TRUE(lonely.assignee.empty());
  EXPECT_EQ(json::parse(lonely.dispatch_reason)["queue"], "");
  // Resolving one frees a slot: the workload is the open assigned incidents.
  const int64_t fid = county_->data().incidents[0].fid;
  const std::string who = county_->data().incidents[0].assignee;
  const Actor w = worker_actor(*county_, who);
  county_->transition(fid, {Action::Accept, "", {}, {}, kNow + 60}, w);
  EXPECT_EQ(county_->workload(who), 2);
  county_->transition(fid, {Action::Resolve, "done", {}, {}, kNow + 120}, w);
  EXPECT_EQ(county_->workload(who), 1);
}

TEST_F(Dispatch, OutsideEveryGridGoesToTheNearestGridWithinTheLimitElseTheTown) {
  // ~290 m west of the county: the nearest grid (limit 500 m).
  const Incident near = intake(119.997, 30.1);
  EXPECT_EQ(near.join.kind, JoinKind::Nearest);
  EXPECT_EQ(near.join.grid_code, kG1);
  EXPECT_EQ(near.agency, kG1);
  EXPECT_FALSE(near.assignee.empty());
  const json rn = json::parse(near.dispatch_reason);
  EXPECT_EQ(rn["rule"], "nearest_grid");
  EXPECT_NEAR(rn["grid_distance_m"].get<double>(),
              spatial::distance_m({119.997, 30.1}, {120.0, 30.1}), 3.0);
  // ~1.9 km west: beyond the limit, to the nearest town's centre.
  const Incident west = intake(119.98, 30.1);
  EXPECT_EQ(west.join.kind, JoinKind::Unassigned);
  EXPECT_EQ(west.agency, "330521001");
  EXPECT_EQ(west.level, "town");
  EXPECT_TRUE(west.assignee.empty());
  const json rw = json::parse(west.dispatch_reason);
  EXPECT_EQ(rw["rule"], "town");
  EXPECT_EQ(rw["town"], "330521001");
  EXPECT_NEAR(rw["town_distance_m"].get<double>(),
              spatial::distance_m({119.98, 30.1}, {120.0, 30.1}), 10.0);
  // East of the county: the other town.
  const Incident east = intake(120.43, 30.1);
  EXPECT_EQ(east.agency, "330521002");
  EXPECT_EQ(east.level, "town");
}

TEST_F(Dispatch, DepartmentsTakeTheirCategories) {
  const Incident fire = intake(120.036, 30.11, "0501");
  EXPECT_EQ(fire.agency, "消防");
  EXPECT_EQ(fire.level, "department");
  EXPECT_TRUE(fire.assignee.empty());
  EXPECT_EQ(fire.deadline, kNow + 3600);  // 1 h around the clock
  Actor dep = actor("fire-desk", "department", "交警");
  EXPECT_THROW(county_->transition(fire.fid, {Action::Accept}, dep), Forbidden);
  dep.scope = "消防";
  EXPECT_EQ(county_->transition(fire.fid, {Action::Accept}, dep).status, "accepted");
  EXPECT_EQ(refused([&] { intake(120.036, 30.11, "9999"); }), "category");
}
