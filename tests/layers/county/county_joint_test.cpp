// Joint cases (layers/county/county_joint.cpp) on a real GeoPackage: a case shared by two town
// units resolves when both tasks are done, and not before; only who acts for an agency acts on
// its task; 报办分离 counts the agencies' handlers; a summons (吹哨报到) makes a case joint with
// its holder as lead, and the sweep marks a summoned agency that did not report in time; the
// agencies' figures against a count over the tasks; everything kept across a restart.
#include "layers/county/county.hpp"

#include "core/errors.hpp"
#include "tests/layers/county/dispatch_fixture.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

using namespace onemap;
using namespace onemap::layers;
using namespace onemap::testing;

namespace {

constexpr const char* kUrban = "330521001.城发办";  // town 330521001's units
constexpr const char* kEnforce = "330521001.执法中队";
constexpr const char* kOtherTown = "330521002.执法中队";

class Joint : public Dispatch {
 protected:
  void SetUp() override {
    open(2, {{"消防", "县消防救援大队", "county", ""},
             {"城发办", "城市发展管理办公室", "town", ""},
             {"执法中队", "综合执法中队", "town", ""}});
  }
  JointRequest joint(std::vector<std::string> with, int64_t now) const {
    JointRequest rq;
    rq.lead = kUrban;
    rq.with = std::move(with);
    rq.deadline.within = Deadline::parse("4wh", "deadline");
    rq.now = now;
    return rq;
  }
  static TaskRequest task(const char* action, std::string feedback, int64_t now) {
    return {action, std::move(feedback), {}, now};
  }
  std::vector<std::string> trail_actions(int64_t fid) const {
    std::vector<std::string> out;
    for (const auto& e : county_->history(fid)) out.push_back(e.action);
    return out;
  }
  Actor urban_ = actor("cfb", "department", kUrban);
  Actor enforce_ = actor("zf", "department", kEnforce);
};

TEST_F(Joint, TheAgenciesAreTheConfiguredOnesPerTownAndTheAreas) {
  const AgencyDirectory a = county_->agencies();
  ASSERT_NE(a.find(kUrban), nullptr);
  EXPECT_EQ(a.find(kUrban)->area, "330521001");
  EXPECT_EQ(a.find(kUrban)->name, "area 330521001城市发展管理办公室");
  EXPECT_EQ(a.find("消防")->area, "");
  EXPECT_EQ(a.find(kG1)->kind, "team");
  EXPECT_EQ(a.find("330521001001")->kind, "committee");
  EXPECT_EQ(a.find("330521002")->kind, "centre");
  EXPECT_EQ(a.find("330521003.城发办"), nullptr);  // no such town
  // Every town unit once per town, every town, village and grid once.
  std::size_t areas = 0;
  for (const auto& g : county_->data().grids) areas += g.level != GridLevel::County;
  EXPECT_EQ(a.all().size(), areas + 1 + 2 * 2);
  // A town renamed names its units and its centre anew.
  int64_t town = 0;
  for (const auto& g : county_->data().grids)
    if (g.code == "330521001") town = g.fid;
  GridPatch rename;
  rename.name = "康乾街道";
  county_->update_grid(town, rename);
  auto lock = county_->read();
  EXPECT_EQ(county_->agencies().find(kUrban)->name, "康乾街道城市发展管理办公室");
  EXPECT_EQ(county_->agencies().find("330521001")->name, "康乾街道综合信息指挥室");
}

TEST_F(Joint, AJointCaseResolvesWhenEveryTaskIsDoneAndSurvivesARestart) {
  const Incident in = intake(120.036, 30.11);
  ASSERT_FALSE(in.assignee.empty());
  int64_t t = kNow + 60;
  // Agencies that do not serve the case's town, or do not exist, are refused.
  EXPECT_THROW(county_->make_joint(in.fid, joint({kOtherTown}, t), centre_), InvalidArgument);
  EXPECT_THROW(county_->make_joint(in.fid, joint({"不存在"}, t), centre_), InvalidArgument);
  EXPECT_THROW(county_->make_joint(in.fid, joint({}, t), centre_), InvalidArgument);
  EXPECT_THROW(county_->make_joint(in.fid, joint({kEnforce}, t), enforce_), Forbidden);
  EXPECT_THROW(
      county_->make_joint(in.fid, joint({kEnforce}, t), actor("c2", "centre", "330521002")),
      Forbidden);

  const Incident made = county_->make_joint(in.fid, joint({kEnforce}, t), centre_);
  EXPECT_EQ(made.status, "dispatched");
  EXPECT_EQ(made.agency, kUrban);
  EXPECT_EQ(made.co_agencies, kEnforce);
  EXPECT_EQ(made.level, "town");
  EXPECT_TRUE(made.assignee.empty());
  EXPECT_EQ(county_->workload(in.assignee), 0);  // the worker no longer holds it
  EXPECT_EQ(made.deadline, Deadline::parse("4wh", "").due(t, test_calendar()));
  auto tasks = county_->tasks(in.fid);
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].role, "lead");
  EXPECT_EQ(tasks[1].role, "co");
  EXPECT_EQ(tasks[1].agency, kEnforce);
  EXPECT_THROW(county_->make_joint(in.fid, joint({kEnforce}, t), centre_), Conflict);

  // The loop's own handler actions give way to the tasks.
  EXPECT_THROW(county_->transition(in.fid, {Action::Resolve, "", {}, {}, t}, admin_), Conflict);
  // Only who acts for an agency acts on its task.
  EXPECT_THROW(county_->act_on_task(in.fid, 1, task("accept", "", t), enforce_), Forbidden);
  EXPECT_THROW(county_->act_on_task(in.fid, 3, task("accept", "", t), urban_), NotFound);
  EXPECT_THROW(county_->act_on_task(in.fid, 1, task("start", "", t), urban_), InvalidArgument);

  EXPECT_EQ(county_->act_on_task(in.fid, 1, task("accept", "", t += 60), urban_).status,
            "accepted");
  EXPECT_THROW(county_->act_on_task(in.fid, 1, task("accept", "", t), urban_), Conflict);
  EXPECT_THROW(county_->act_on_task(in.fid, 2, task("done", "", t), enforce_), InvalidArgument);
  TaskRequest stale = task("done", "清理占道", t);
  stale.expected_version = 7;
  EXPECT_THROW(county_->act_on_task(in.fid, 2, stale, enforce_), Conflict);
  EXPECT_EQ(
      county_->act_on_task(in.fid, 2, task("done", "清理占道物品", t += 600), enforce_).status,
      "accepted");  // one task is still open
  const Incident resolved =
      county_->act_on_task(in.fid, 1, task("done", "垃圾已清运", t += 600), urban_);
  EXPECT_EQ(resolved.status, "resolved");
  EXPECT_EQ(resolved.handler, "cfb");

  // 报办分离: neither agency's handler verifies.
  EXPECT_THROW(county_->transition(in.fid, {Action::Verify, "", {}, {}, t}, urban_), Forbidden);
  Actor enforce_as_centre = actor("zf", "centre", "330521001");
  EXPECT_THROW(county_->transition(in.fid, {Action::Verify, "", {}, {}, t}, enforce_as_centre),
               Forbidden);
  EXPECT_EQ(county_->transition(in.fid, {Action::Verify, "", {}, {}, t += 60}, centre_).status,
            "verified");
  const std::vector<std::string> actions = {"report",    "dispatch",  "dispatch", "task_accept",
                                            "task_done", "task_done", "resolve",  "verify"};
  EXPECT_EQ(trail_actions(in.fid), actions);

  tasks = county_->tasks(in.fid);
  reopen();
  const auto kept = county_->tasks(in.fid);
  ASSERT_EQ(kept.size(), tasks.size());
  for (std::size_t i = 0; i < kept.size(); ++i) {
    EXPECT_EQ(kept[i].agency, tasks[i].agency);
    EXPECT_EQ(kept[i].state, "done");
    EXPECT_EQ(kept[i].feedback, tasks[i].feedback);
    EXPECT_EQ(kept[i].handler, tasks[i].handler);
    EXPECT_EQ(kept[i].done_at, tasks[i].done_at);
    EXPECT_EQ(kept[i].version, tasks[i].version);
  }
  EXPECT_EQ(county_->incident(in.fid).co_agencies, kEnforce);
  EXPECT_EQ(trail_actions(in.fid), actions);
}

TEST_F(Joint, ASummonsMakesACaseJointAndTheSweepMarksWhoDidNotReport) {
  const Incident in = intake(120.036, 30.11);
  const Actor worker = worker_actor(*county_, in.assignee);
  int64_t t = kNow + 60;
  county_->transition(in.fid, {Action::Accept, "", {}, {}, t}, worker);
  SummonsRequest rq;
  rq.agencies = {"消防"};
  rq.report.within = Deadline::parse("1h", "report_within");
  rq.now = t += 60;
  // 吹哨报到 is a town's: a village's centre may not.
  EXPECT_THROW(county_->summon(in.fid, rq, actor("v", "centre", "330521001001")), Forbidden);
  const Actor town = actor("town", "centre", "330521001");
  SummonsRequest holder = rq;
  holder.agencies = {in.agency};  // who holds it already is no one to summon
  EXPECT_THROW(county_->summon(in.fid, holder, town), InvalidArgument);
  const Incident summoned = county_->summon(in.fid, rq, town);
  EXPECT_EQ(summoned.status, "accepted");  // the worker goes on as the lead
  EXPECT_EQ(summoned.co_agencies, "消防");
  const auto tasks = county_->tasks(in.fid);
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].agency, in.agency);
  EXPECT_EQ(tasks[0].state, "accepted");
  EXPECT_EQ(tasks[0].handler, in.assignee);
  EXPECT_EQ(tasks[1].role, "summoned");
  EXPECT_EQ(tasks[1].report_by, t + 3600);
  EXPECT_THROW(county_->summon(in.fid, rq, town), InvalidArgument);  // summoned already

  // The worker does the lead's part; the fire brigade has not reported an hour later.
  county_->act_on_task(in.fid, 1, task("done", "现场已处置", t += 600), worker);
  EXPECT_TRUE(county_->sweep_overdue(t + 1800).tasks_overdue.empty());
  const SweepResult late = county_->sweep_overdue(t += 3600);
  ASSERT_EQ(late.tasks_overdue.size(), 1u);
  EXPECT_EQ(late.tasks_overdue[0], std::make_pair(in.fid, int64_t{2}));
  EXPECT_TRUE(late.escalated.empty());  // a joint case is not escalated as a whole
  EXPECT_TRUE(county_->tasks(in.fid)[1].overdue);
  const auto trail = county_->history(in.fid);
  EXPECT_EQ(trail.back().action, "task_overdue");
  EXPECT_NE(trail.back().detail.find("\"missed\":\"report\""), std::string::npos);
  EXPECT_TRUE(county_->sweep_overdue(t + 60).tasks_overdue.empty());  // marked once

  const Actor fire = actor("fire", "department", "消防");
  county_->act_on_task(in.fid, 2, task("accept", "", t += 60), fire);
  EXPECT_EQ(county_->act_on_task(in.fid, 2, task("done", "隐患已排除", t += 600), fire).status,
            "resolved");

  // The agencies' figures against a count over the tasks.
  std::map<std::string, std::size_t> done, summons_late;
  for (const Task& k : county_->tasks(in.fid)) {
    done[k.agency] += k.state == "done";
    summons_late[k.agency] += k.report_by && k.accepted_at > k.report_by;
  }
  const auto figures = county_->agency_metrics("", 0, 0, t);
  ASSERT_EQ(figures.size(), 2u);
  for (const AgencyFigures& f : figures) {
    EXPECT_EQ(f.tasks, 1u);
    EXPECT_EQ(f.done, done[f.agency]);
    EXPECT_EQ(f.late, summons_late[f.agency]);
  }
  const auto& fire_figures = figures[0].agency == "消防" ? figures[0] : figures[1];
  EXPECT_EQ(fire_figures.name, "县消防救援大队");
  EXPECT_EQ(fire_figures.summoned, 1u);
  EXPECT_EQ(fire_figures.reported_on_time, 0u);
  EXPECT_EQ(fire_figures.on_time, 1u);  // done within its deadline, after reporting late
  EXPECT_TRUE(county_->agency_metrics("330521002", 0, 0, t).empty());
}

TEST_F(Joint, BatchDispatchLeavesAJointCaseToItsAgencies) {
  Incident in = intake(120.036, 30.11);
  county_->make_joint(in.fid, joint({kEnforce}, kNow + 60), centre_);
  const BatchResult r = county_->batch_dispatch("", "grid", admin_, kNow + 120);
  for (const auto& a : r.assignments) EXPECT_NE(a.fid, in.fid);
  EXPECT_TRUE(county_->incident(in.fid).assignee.empty());
}

}  // namespace
