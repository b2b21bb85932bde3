// Intake, routing, the closed loop, escalation, batch dispatch and metrics of the county
// (layers/county/county.hpp) on a real GeoPackage. Routing is checked against a brute-force choice
// over the team computed here (eligibility, workload, geodesic distance), escalation against the
// calendar, metrics against a direct count, and everything against a reload from disk.
#include "core/errors.hpp"
#include "layers/county/county.hpp"
#include "layers/dispatch/dispatch_config.hpp"
#include "layers/store/store.hpp"
#include "spatial/crs.hpp"

#include "tests/support/county.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace onemap;
using namespace onemap::layers;

namespace {

using onemap::testing::team_member;
using onemap::testing::TempDir;

constexpr const char* kG1 = onemap::testing::kTeamGrid;  // x 120.00-120.05, y 30.0-30.2
constexpr const char* kG2 = "330521001001002";           // x 120.05-120.10, no team

WorkingCalendar test_calendar() {
  return WorkingCalendar::from_json(
      R"({"utc_offset": "+08:00", "hours": [["08:30", "12:00"], ["13:30", "17:30"]],
      "weekdays": [1, 2, 3, 4, 5], "holidays": ["2026-10-01", "2026-10-02"], "workdays": ["2026-10-10"]})");
}

DispatchConfig test_config(int cap) {
  DispatchConfig c;
  auto cat = [&](const char* code, const char* handler, const char* deadline,
                 std::vector<WorkerRole> roles) {
    CategoryConfig k;
    k.code = code;
    k.name_zh = std::string("类") + code;
    k.name_en = std::string("category ") + code;
    k.cls = "test";
    k.handler = handler;
    k.deadline = Deadline::parse(deadline, "deadline");
    k.roles = std::move(roles);
    c.categories.push_back(k);
  };
  cat("0101", "grid", "2wh", {WorkerRole::FullTime, WorkerRole::PartTime});
  cat("0701", "grid", "1wd", {WorkerRole::GridHead, WorkerRole::Cadre});
  cat("0501", "消防", "1h", {});
  c.calendar = test_calendar();
  c.workload_cap = cap;
  c.escalation_working_hours = 4;
  return c;
}

class Dispatch : public ::testing::Test {
 protected:
  void SetUp() override { open(2); }
  void TearDown() override { county_.reset(); }

  // The dispatch county's team, and FT9 in a grid of the other town; a store of its own.
  void open(int cap) {
    county_.reset();
    dir_ = std::make_unique<TempDir>();
    Dataset d = onemap::testing::dispatch_county();
    d.workers.push_back(
        team_member("FT9", WorkerRole::FullTime, 120.30, 30.10, true, "330521002001001"));
    path_ = onemap::testing::write_store(dir_->path(), d);
    cap_ = cap;
    reopen();
  }
  void reopen() {
    county_.reset();
    county_ = std::make_unique<County>(open_store(path_, false), JoinOptions{},
                                       TileConfig::defaults(), test_config(cap_));
  }

  Incident intake(double lon, double lat, const char* category = "0101", int64_t now = kNow) {
    Incident in;
    in.location = {lon, lat};
    in.category = category;
    in.description = "test";
    return county_->intake(in, reporter_, now);
  }

  // The brute-force choice: the nearest on-duty team member of `grid` whose role the category
  // allows and whose open assigned incidents are below the cap; "" when none.
  std::string oracle_worker(const Incident& in, const char* category) const {
    const auto cfg = test_config(cap_);
    const CategoryConfig* cat = cfg.find(category);
    std::string best;
    double best_d = 1e18;
    for (const auto& w : county_->data().workers) {
      if (w.grid_code != in.join.grid_code || !w.on_duty || !cat->role_allowed(w.role)) continue;
      int load = 0;
      for (const auto& i : county_->data().incidents)
        if (i.fid != in.fid && i.assignee == w.worker_id &&
            (i.status == "dispatched" || i.status == "accepted" || i.status == "in_progress"))
          ++load;
      if (load >= cap_) continue;
      const double d = spatial::distance_m(w.location, in.location);
      if (d < best_d) {
        best_d = d;
        best = w.worker_id;
      }
    }
    return best;
  }

  // Nine incidents an administrator created across the team's grid and beyond (reported,
  // unassigned: in the grid head's queue); their fids.
  std::vector<int64_t> nine_waiting() {
    std::vector<int64_t> fids;
    for (int k = 0; k < 9; ++k) {
      Incident in;
      in.location = {120.005 + 0.005 * k, 30.02 + 0.017 * k};
      in.category = k % 3 == 2 ? "0701" : "0101";
      fids.push_back(county_->create_incident(in, admin_).fid);
    }
    return fids;
  }

  static constexpr int64_t kNow = 1790037000;  // Tuesday 2026-09-22 08:30 +08:00 (00:30Z)
  std::unique_ptr<TempDir> dir_;
  std::string path_;
  int cap_ = 2;
  std::unique_ptr<County> county_;
  Actor admin_ = [] {
    Actor a;
    a.id = "admin";
    a.role = "admin";
    return a;
  }();
  Actor reporter_ = [] {
    Actor a;
    a.id = "app";
    a.role = "reporter";
    return a;
  }();
  Actor centre_ = [] {
    Actor a;
    a.id = "centre-1";
    a.role = "centre";
    a.scope = "330521";
    return a;
  }();
};

Actor worker_actor(const County& c, const std::string& id) {
  for (const auto& w : c.data().workers)
    if (w.worker_id == id) {
      User u;
      u.id = "user-" + id;
      u.role = "worker";
      u.worker_id = id;
      return Actor::of(u, &w);
    }
  throw std::logic_error("no worker " + id);
}

}  // namespace

TEST(DispatchConfigFile, DeadlinesParseAndCountWorkingTime) {
  const WorkingCalendar cal = test_calendar();
  // 2 working hours from Tuesday 11:30 +08:00 across the lunch break: 15:00.
  const int64_t tue_1130 = *parse_time("2026-09-22T11:30:00+08:00");
  EXPECT_EQ(Deadline::parse("2wh", "d").due(tue_1130, cal),
            *parse_time("2026-09-22T15:00:00+08:00"));
  // 4 calendar hours, around the clock.
  EXPECT_EQ(Deadline::parse("4h", "d").due(tue_1130, cal), tue_1130 + 4 * 3600);
  // 1 working day from Wednesday 30 September: 1-2 October are holidays, 3-4 the weekend: Monday 5.
  EXPECT_EQ(Deadline::parse("1wd", "d").due(*parse_time("2026-09-30T10:00:00+08:00"), cal),
            *parse_time("2026-10-05T17:30:00+08:00"));
  // 3 working hours from Friday 16:30: one on Friday, two on the next working day (Saturday 10
  // October is a make-up workday: from Friday 9 October it goes there).
  EXPECT_EQ(Deadline::parse("3wh", "d").due(*parse_time("2026-10-09T16:30:00+08:00"), cal),
            *parse_time("2026-10-10T10:30:00+08:00"));
  for (const char* bad : {"", "2", "2x", "-1wh", "0wd", "1.5wd", "wh"}) {
    try {
      Deadline::parse(bad, "deadline");
      ADD_FAILURE() << bad;
    } catch (const InvalidArgument& e) {
      EXPECT_EQ(e.parameter(), "deadline");
    }
  }
  EXPECT_EQ(Deadline::parse("15wd", "d").text(), "15wd");
}

TEST(DispatchConfigFile, ShippedConfigurationLoads) {
  const DispatchConfig c =
      DispatchConfig::load(std::string(ONEMAP_SOURCE_DIR) + "/data/dispatch.json");
  EXPECT_GE(c.categories.size(), 30u);
  const CategoryConfig* g = c.find("0102");
  ASSERT_NE(g, nullptr);
  EXPECT_TRUE(g->grid_handled());
  EXPECT_EQ(g->deadline.text(), "2wh");
  EXPECT_FALSE(g->roles.empty());
  const auto deps = c.departments();
  EXPECT_NE(std::find(deps.begin(), deps.end(), "综合执法"), deps.end());
  // A National Day holiday is not a working day.
  EXPECT_FALSE(c.calendar.is_working_day(*parse_time("2026-10-02T12:00:00+08:00")));
}

TEST(DispatchConfigFile, BadValuesNameTheirField) {
  const TempDir tmp;
  const fs::path dir = tmp.path();
  auto expect_bad = [&](const std::string& config, const std::string& csv,
                        const std::string& parameter) {
    std::ofstream(dir / "categories.csv") << csv;
    std::ofstream(dir / "dispatch.json") << config;
    try {
      DispatchConfig::load((dir / "dispatch.json").string());
      ADD_FAILURE() << config << " / " << csv;
    } catch (const InvalidArgument& e) {
      EXPECT_EQ(e.parameter(), parameter) << e.what();
    }
  };
  const std::string header = "code,name_zh,name_en,class,handler,deadline,roles,weight\n";
  const std::string ok_config = R"({"categories": "categories.csv"})";
  expect_bad(ok_config,
             header + "0101,a,b,c,grid,2wh,full_time,1\n0101,a,b,c,grid,2wh,full_time,1\n", "code");
  expect_bad(ok_config, header + "0101,a,b,c,grid,2 days,full_time,1\n", "deadline");
  expect_bad(ok_config, header + "0101,a,b,c,grid,2wh,,1\n", "roles");
  expect_bad(ok_config, header + "0101,a,b,c,grid,2wh,boss,1\n", "roles");
  expect_bad(R"({"categories": "categories.csv", "workload_cap": 0})",
             header + "0101,a,b,c,grid,2wh,full_time,1\n", "workload_cap");
  expect_bad(R"({"categories": "categories.csv", "colour": 1})",
             header + "0101,a,b,c,grid,2wh,full_time,1\n", "colour");
  expect_bad(R"({"categories": "categories.csv", "calendar": {"weekdays": [8]}})",
             header + "0101,a,b,c,grid,2wh,full_time,1\n", "weekdays");
}

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
  Actor dep;
  dep.id = "fire-desk";
  dep.role = "department";
  dep.scope = "交警";
  EXPECT_THROW(county_->transition(fire.fid, {Action::Accept}, dep), Forbidden);
  dep.scope = "消防";
  EXPECT_EQ(county_->transition(fire.fid, {Action::Accept}, dep).status, "accepted");
  try {
    intake(120.036, 30.11, "9999");
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.parameter(), "category");
  }
}

TEST_F(Dispatch, TheClosedLoopIsRecordedAndSurvivesARestart) {
  const Incident in = intake(120.036, 30.11);
  const Actor w = worker_actor(*county_, in.assignee);
  int64_t t = kNow;
  EXPECT_EQ(
      county_->transition(in.fid, {Action::Accept, "on my way", {}, in.version, t += 60}, w).status,
      "accepted");
  EXPECT_EQ(county_->transition(in.fid, {Action::Start, "", {}, {}, t += 60}, w).status,
            "in_progress");
  const Incident resolved =
      county_->transition(in.fid, {Action::Resolve, "cleared", {}, {}, t += 600}, w);
  EXPECT_EQ(resolved.handler, w.id);
  // 报办分离: the handler may not verify (nor may a worker who is no grid head at all).
  EXPECT_THROW(county_->transition(in.fid, {Action::Verify, "", {}, {}, t}, w), Forbidden);
  Actor reporter_centre = centre_;
  reporter_centre.id = "app";
  EXPECT_THROW(county_->transition(in.fid, {Action::Verify, "", {}, {}, t}, reporter_centre),
               Forbidden);
  EXPECT_EQ(
      county_->transition(in.fid, {Action::Verify, "checked", {}, {}, t += 60}, centre_).status,
      "verified");
  const Incident closed =
      county_->transition(in.fid, {Action::Close, "", {}, {}, t += 60}, centre_);
  EXPECT_EQ(closed.status, "closed");
  EXPECT_EQ(closed.closed_at, t);
  EXPECT_EQ(closed.version, in.version + 5);
  EXPECT_EQ(county_->workload(w.worker_id), 0);
  const std::vector<std::string> actions = {"report",  "dispatch", "accept", "start",
                                            "resolve", "verify",   "close"};
  auto check_trail = [&](const std::vector<IncidentEvent>& h) {
    ASSERT_EQ(h.size(), actions.size());
    for (std::size_t k = 0; k < h.size(); ++k) {
      EXPECT_EQ(h[k].action, actions[k]);
      EXPECT_EQ(h[k].seq, static_cast<int64_t>(k + 1));
      if (k) {
        EXPECT_EQ(h[k].from, h[k - 1].to);
      }
    }
    EXPECT_EQ(h[2].note, "on my way");
    EXPECT_EQ(h[4].actor, w.id);
    EXPECT_EQ(h[5].actor, "centre-1");
  };
  check_trail(county_->history(in.fid));
  // Everything is in the store: a new county reads the same.
  reopen();
  check_trail(county_->history(in.fid));
  const Incident back = county_->incident(in.fid);
  EXPECT_EQ(back.status, "closed");
  EXPECT_EQ(back.version, closed.version);
  EXPECT_EQ(back.deadline, closed.deadline);
  EXPECT_EQ(back.dispatch_reason, closed.dispatch_reason);
  EXPECT_EQ(back.handler, w.id);
  EXPECT_EQ(back.reporter, "app");
  // Reopened: a new deadline, back into the loop.
  const Incident re =
      county_->transition(in.fid, {Action::Reopen, "still dirty", {}, {}, t += 3600}, centre_);
  EXPECT_EQ(re.status, "reopened");
  EXPECT_EQ(re.closed_at, 0);
  EXPECT_EQ(county_->transition(in.fid, {Action::Dispatch, "", {}, {}, t}, centre_).status,
            "dispatched");
}

TEST_F(Dispatch, AStaleVersionOrStateLosesWithAConflictAndChangesNothing) {
  const Incident in = intake(120.036, 30.11);
  const Actor w = worker_actor(*county_, in.assignee);
  county_->transition(in.fid, {Action::Accept, "", {}, in.version, kNow + 1}, w);
  const auto before = county_->history(in.fid).size();
  EXPECT_THROW(county_->transition(in.fid, {Action::Start, "", {}, in.version, kNow + 2}, w),
               Conflict);
  EXPECT_THROW(county_->transition(in.fid, {Action::Verify, "", {}, {}, kNow + 2}, centre_),
               Conflict);
  EXPECT_EQ(county_->history(in.fid).size(), before);
  EXPECT_EQ(county_->incident(in.fid).status, "accepted");
  // Two threads race for the same version: exactly one wins.
  const Incident cur = county_->incident(in.fid);
  std::atomic<int> wins{0}, conflicts{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < 8; ++k)
    threads.emplace_back([&] {
      try {
        county_->transition(in.fid, {Action::Start, "", {}, cur.version, kNow + 3}, w);
        ++wins;
      } catch (const Conflict&) {
        ++conflicts;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(conflicts.load(), 7);
  EXPECT_EQ(county_->history(in.fid).size(), before + 1);
}

TEST_F(Dispatch, AReturnedIncidentIsRedispatchedToSomeoneElse) {
  const Incident in = intake(120.036, 30.11);
  ASSERT_EQ(in.assignee, "FT2");
  const Actor w = worker_actor(*county_, "FT2");
  try {
    county_->transition(in.fid, {Action::Return}, w);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.parameter(), "note");
  }
  const Incident ret =
      county_->transition(in.fid, {Action::Return, "not in my patch", {}, {}, kNow + 60}, w);
  EXPECT_EQ(ret.status, "returned");
  EXPECT_TRUE(ret.assignee.empty());
  EXPECT_EQ(county_->workload("FT2"), 0);
  const Incident again =
      county_->transition(in.fid, {Action::Dispatch, "", {}, {}, kNow + 120}, centre_);
  EXPECT_EQ(again.status, "dispatched");
  EXPECT_EQ(again.assignee, "FT1");  // the next nearest eligible: FT2 returned it
  bool noted = false;
  const json reason = json::parse(again.dispatch_reason);
  for (const auto& s : reason["skipped"]) noted |= s["why"] == "returned it";
  EXPECT_TRUE(noted);
  // A manual dispatch names the worker; an ineligible or unknown one is refused.
  EXPECT_THROW(county_->transition(in.fid, {Action::Dispatch, "", std::string("AUX")}, centre_),
               InvalidArgument);
  EXPECT_THROW(county_->transition(in.fid, {Action::Dispatch, "", std::string("NOBODY")}, centre_),
               InvalidArgument);
  EXPECT_EQ(
      county_->transition(in.fid, {Action::Dispatch, "", std::string("FT2")}, centre_).assignee,
      "FT2");
}

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

TEST_F(Dispatch, MetricsMatchADirectCount) {
  int64_t t = kNow;
  std::vector<Incident> made;
  for (int k = 0; k < 6; ++k)
    made.push_back(intake(120.01 + 0.01 * k, 30.05 + 0.02 * k, "0101", t += 600));
  made.push_back(intake(120.3, 30.1, "0501", t += 600));
  // Close three: two on time, one late.
  for (int k = 0; k < 3; ++k) {
    const Incident& in = made[static_cast<std::size_t>(k)];
    if (in.assignee.empty()) continue;
    const Actor w = worker_actor(*county_, in.assignee);
    const int64_t at = k < 2 ? in.deadline - 60 : in.deadline + 3600;
    county_->transition(in.fid, {Action::Accept, "", {}, {}, at}, w);
    county_->transition(in.fid, {Action::Resolve, "", {}, {}, at}, w);
    county_->transition(in.fid, {Action::Verify, "", {}, {}, at}, centre_);
    county_->transition(in.fid, {Action::Close, "", {}, {}, at}, centre_);
  }
  const int64_t now = t + 86400 * 3;
  for (const std::string area : {"", "330521001", "330521002", "330521001001001"}) {
    for (const std::string cat : {"", "0101"}) {
      const LoopMetrics m = county_->metrics(area, cat, 0, 0, now);
      std::size_t total = 0, closed = 0, open = 0, overdue = 0, dl = 0, on_time = 0;
      std::vector<double> hours;
      for (const auto& i : county_->data().incidents) {
        if (!area.empty() && i.join.grid_code.rfind(area, 0) != 0 && i.agency.rfind(area, 0) != 0)
          continue;
        if (!cat.empty() && i.category != cat) continue;
        ++total;
        if (i.status == "closed") {
          ++closed;
          hours.push_back((i.closed_at - i.reported_at) / 3600.0);
          if (i.deadline) ++dl, on_time += i.closed_at <= i.deadline;
        } else if (i.status != "resolved" && i.status != "verified") {
          ++open;
          overdue += i.overdue || (i.deadline && i.deadline < now);
        }
      }
      EXPECT_EQ(m.total, total) << area << cat;
      EXPECT_EQ(m.closed, closed);
      EXPECT_EQ(m.open, open);
      EXPECT_EQ(m.overdue, overdue);
      EXPECT_EQ(m.on_time, on_time);
      EXPECT_EQ(m.with_deadline_closed, dl);
      if (total) {
        EXPECT_DOUBLE_EQ(m.closure_rate, static_cast<double>(closed) / total);
      }
      if (!hours.empty()) {
        std::sort(hours.begin(), hours.end());
        const double med = hours.size() % 2
                               ? hours[hours.size() / 2]
                               : (hours[hours.size() / 2 - 1] + hours[hours.size() / 2]) / 2;
        ASSERT_TRUE(m.median_hours_to_close.has_value());
        EXPECT_DOUBLE_EQ(*m.median_hours_to_close, med);
      }
    }
  }
  const LoopMetrics all = county_->metrics("", "", 0, 0, now);
  EXPECT_EQ(all.closed, 3u);
  EXPECT_EQ(all.on_time, 2u);
}

TEST_F(Dispatch, BatchDispatchIsNeverWorseThanOneByOneAndKeepsTheCaps) {
  // Nine incidents waiting in the grid head's queue or reported by an administrator's edit.
  open(3);
  const std::vector<int64_t> fids = nine_waiting();
  EXPECT_THROW(county_->batch_dispatch("", "planet", centre_), InvalidArgument);
  Actor w = worker_actor(*county_, "FT1");
  EXPECT_THROW(county_->batch_dispatch("", "grid", w), Forbidden);
  const BatchResult r = county_->batch_dispatch("330521001", "grid", centre_, kNow);
  EXPECT_EQ(r.incidents, 9u);
  EXPECT_TRUE(r.proved_optimal);
  EXPECT_GE(r.assigned, r.greedy_assigned);
  if (r.assigned == r.greedy_assigned) {
    EXPECT_LE(r.total_m, r.greedy_total_m + 1e-6);
  }
  // Capacity: FT1, FT2 and HEAD take at most 3 each; roles by category.
  std::map<std::string, int> load;
  double total = 0;
  for (const auto& a : r.assignments) {
    const Incident cur = county_->incident(a.fid);
    if (a.worker_id.empty()) {
      EXPECT_EQ(cur.status, "reported");
      continue;
    }
    ++load[a.worker_id];
    EXPECT_EQ(cur.status, "dispatched");
    EXPECT_EQ(cur.assignee, a.worker_id);
    if (cur.category == "0701") {
      EXPECT_EQ(a.worker_id, "HEAD");
    } else {
      EXPECT_TRUE(a.worker_id == "FT1" || a.worker_id == "FT2") << a.worker_id;
    }
    EXPECT_EQ(county_->history(a.fid).back().action, "dispatch");
    EXPECT_EQ(json::parse(cur.dispatch_reason)["rule"], "batch");
    total += a.distance_m;
  }
  for (const auto& [id, n] : load) EXPECT_LE(n, 3) << id;
  EXPECT_EQ(load["HEAD"], 3);
  EXPECT_EQ(load["FT1"] + load["FT2"], 6);
  EXPECT_NEAR(total, r.total_m, r.total_m * 0.01);  // geodesic vs the local projection
  // Nothing left to dispatch.
  EXPECT_EQ(county_->batch_dispatch("330521001", "grid", centre_, kNow).incidents, 0u);
}

// ---- isolation: the heavy writes solve unlocked and commit only what is unchanged -----------

TEST_F(Dispatch, ABatchNeverOverwritesAWriteMadeWhileItSolved) {
  open(3);
  const std::vector<int64_t> fids = nine_waiting();
  // While the batch solves (no lock held): one incident is dispatched by hand to FT1, another
  // edited, and FT2 gets two incidents by intake: its slots as the batch read them are gone.
  int calls = 0;
  county_->set_commit_hook([&](std::string_view what) {
    if (what != "batch_dispatch") return;
    ++calls;
    county_->transition(fids[0], {Action::Dispatch, "", std::string("FT1"), {}, kNow}, centre_);
    IncidentPatch edit;
    edit.description = std::string("edited meanwhile");
    county_->update_incident(fids[1], edit, admin_);
    for (int k = 0; k < 2; ++k) EXPECT_EQ(intake(120.0401, 30.1001, "0101").assignee, "FT2");
  });
  const BatchResult r = county_->batch_dispatch("330521001", "grid", centre_, kNow);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(r.incidents, 9u);
  // The two written incidents keep what was written.
  const Incident manual = county_->incident(fids[0]);
  EXPECT_EQ(manual.assignee, "FT1");
  EXPECT_EQ(json::parse(manual.dispatch_reason)["rule"], "manual");
  EXPECT_EQ(county_->history(fids[0]).back().action, "dispatch");
  EXPECT_EQ(county_->history(fids[0]).back().actor, centre_.id);
  const Incident edited = county_->incident(fids[1]);
  EXPECT_EQ(edited.description, "edited meanwhile");
  EXPECT_TRUE(edited.assignee.empty());
  EXPECT_EQ(edited.status, "reported");
  std::size_t skipped = 0, assigned = 0;
  for (const auto& a : r.assignments) {
    const Incident cur = county_->incident(a.fid);
    if (!a.skipped.empty()) {
      ++skipped;
      EXPECT_TRUE(a.worker_id.empty());
      continue;
    }
    if (a.worker_id.empty()) continue;
    ++assigned;
    EXPECT_EQ(cur.assignee, a.worker_id);
    EXPECT_EQ(json::parse(cur.dispatch_reason)["rule"], "batch");
  }
  EXPECT_EQ(skipped, r.skipped);
  EXPECT_EQ(assigned, r.assigned);
  EXPECT_GE(r.skipped, 2u);  // the two incidents, and what FT2 could no longer take
  // Nobody over the cap, counted from the records.
  std::map<std::string, int> load;
  for (const auto& in : county_->data().incidents)
    if (!in.assignee.empty() &&
        (in.status == "dispatched" || in.status == "accepted" || in.status == "in_progress"))
      ++load[in.assignee];
  for (const auto& [id, n] : load) {
    EXPECT_LE(n, 3) << id;
    EXPECT_EQ(county_->workload(id), n) << id;
  }
  // Memory and disk agree.
  const Dataset disk = open_store(path_, false)->load();
  for (const auto& in : disk.incidents) {
    const Incident mem = county_->incident(in.fid);
    EXPECT_EQ(in.assignee, mem.assignee) << in.fid;
    EXPECT_EQ(in.version, mem.version) << in.fid;
    EXPECT_EQ(in.description, mem.description) << in.fid;
  }
}

TEST_F(Dispatch, TheSweepTakesAnAreaAndNeverTheFuture) {
  const Incident a = intake(120.036, 30.11);  // grid 330521001001001
  const Incident b = intake(120.30, 30.10);   // grid 330521002001001
  ASSERT_EQ(a.join.grid_code, kG1);
  ASSERT_EQ(b.join.grid_code.substr(0, 9), "330521002");
  const int64_t t = std::max(a.deadline, b.deadline) + 1;
  try {
    county_->sweep_overdue(std::time(nullptr) + 3600);
    ADD_FAILURE() << "a sweep an hour ahead";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.parameter(), "at");
  }
  try {
    county_->sweep_overdue(t, "33x");
    ADD_FAILURE() << "a bad area";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.parameter(), "area");
  }
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

TEST(DispatchIsolation, ReadersAreNotBlockedWhileALargeBatchSolves) {
  // 8,000 incidents and 2,000 workers over the test county, any worker for any incident: a
  // solve of a few hundred milliseconds. A reader takes the read lock over and over meanwhile.
  const TempDir dir;
  const std::string path = dir.file("county.gpkg");
  {
    Dataset d = onemap::testing::small_county();
    d.incidents.clear();
    d.workers.clear();
    const GridJoiner joiner(d.grids);
    std::mt19937_64 rng(99);
    std::uniform_real_distribution<double> lon(120.0, 120.4), lat(30.0, 30.2);
    for (int k = 0; k < 2000; ++k) {
      Worker w =
          team_member(("W" + std::to_string(k)).c_str(), WorkerRole::FullTime, lon(rng), lat(rng));
      w.grid_code = joiner.join(w.location).grid_code;
      d.workers.push_back(w);
    }
    for (int k = 0; k < 8000; ++k) {
      Incident in;
      in.location = {lon(rng), lat(rng)};
      in.category = "0101";
      in.status = "reported";
      in.source = "other";
      in.reported_at = 1790000000;
      in.version = 1;
      in.join = joiner.join(in.location);
      d.incidents.push_back(in);
    }
    open_store(path, true)->replace_all(d);
  }
  County county(open_store(path, false), JoinOptions{}, TileConfig::defaults(), test_config(5));
  std::atomic<bool> solving{true};
  county.set_commit_hook([&](std::string_view) { solving = false; });
  double max_wait = 0;
  std::size_t reads = 0;
  std::thread reader([&] {
    while (solving) {
      const auto t0 = std::chrono::steady_clock::now();
      { auto lock = county.read(); }
      max_wait = std::max(
          max_wait, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      ++reads;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  Actor admin;
  admin.id = "admin";
  admin.role = "admin";
  const BatchResult r = county.batch_dispatch("", "county", admin, 1790037000);
  solving = false;
  reader.join();
  const double solve = r.seconds - r.lock_seconds;
  std::printf(
      "[ bench    ] batch of %zu incidents × %zu workers: %.3f s in all, %.3f s holding the write "
      "lock "
      "(%.3f s at most at once); %zu reads during the solve, longest wait %.2f ms\n",
      r.incidents, r.workers, r.seconds, r.lock_seconds, r.longest_lock_seconds, reads,
      max_wait * 1e3);
  EXPECT_EQ(r.assigned, 8000u);  // 2,000 workers × 5 slots
  EXPECT_TRUE(r.proved_optimal);
  EXPECT_EQ(r.skipped, 0u);
  if (solve < 0.2)
    std::printf("[ note     ] a solve under 0.2 s on this machine: the comparison says less\n");
  EXPECT_GT(reads, 10u);
  EXPECT_LT(max_wait, solve / 2);
  EXPECT_LT(r.longest_lock_seconds, r.lock_seconds);  // committed in slices
}
