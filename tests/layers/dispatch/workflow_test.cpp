// The closed loop's transition table and permissions (layers/dispatch/workflow.hpp), checked for
// every (state, action, role) against a table written out here independently of the
// implementation's.
#include "layers/dispatch/workflow.hpp"
#include "core/errors.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>

using namespace onemap;
using namespace onemap::layers;

namespace {

// state → action → next state, as domain.md and the issue describe the loop.
const std::map<std::string, std::map<std::string, std::string>>& expected_table() {
  static const std::map<std::string, std::map<std::string, std::string>> t = {
      {"reported", {{"dispatch", "dispatched"}, {"escalate", "escalated"}}},
      {"dispatched",
       {{"dispatch", "dispatched"},
        {"accept", "accepted"},
        {"return", "returned"},
        {"escalate", "escalated"}}},
      {"accepted",
       {{"start", "in_progress"},
        {"resolve", "resolved"},
        {"return", "returned"},
        {"escalate", "escalated"}}},
      {"in_progress", {{"resolve", "resolved"}, {"escalate", "escalated"}}},
      {"resolved", {{"verify", "verified"}, {"reopen", "reopened"}}},
      {"verified", {{"close", "closed"}, {"reopen", "reopened"}}},
      {"closed", {{"reopen", "reopened"}}},
      {"returned", {{"dispatch", "dispatched"}, {"escalate", "escalated"}}},
      {"escalated", {{"dispatch", "dispatched"}, {"escalate", "escalated"}}},
      {"reopened", {{"dispatch", "dispatched"}, {"escalate", "escalated"}}},
  };
  return t;
}

// role → the actions it may perform (a worker who is a grid head: "grid_head").
const std::map<std::string, std::set<std::string>>& expected_roles() {
  static const std::map<std::string, std::set<std::string>> r = {
      {"admin",
       {"dispatch", "accept", "start", "resolve", "return", "verify", "close", "reopen",
        "escalate"}},
      {"centre", {"dispatch", "verify", "close", "reopen", "escalate"}},
      {"department", {"accept", "start", "resolve", "return"}},
      {"worker", {"accept", "start", "resolve", "return"}},
      {"grid_head", {"accept", "start", "resolve", "return", "dispatch", "verify", "escalate"}},
      {"reporter", {}},
      {"system", {"dispatch", "escalate"}},
  };
  return r;
}

const char* kGrid = "330521001001001";

Incident incident_in(const std::string& state) {
  Incident in;
  in.fid = 7;
  in.status = state;
  in.category = "0101";
  in.join.grid_code = kGrid;
  in.agency = kGrid;
  in.assignee = "W1";
  in.reporter = "app";
  return in;
}

// An actor of `role` entitled by scope and assignment to act on incident_in().
Actor entitled(const std::string& role) {
  Actor a;
  a.id = role + "-user";
  if (role == "grid_head" || role == "worker") {
    a.role = "worker";
    a.worker_id = role == "worker" ? "W1" : "W0";
    a.worker_role = role == "worker" ? WorkerRole::FullTime : WorkerRole::GridHead;
    a.team_grid = kGrid;
    a.scope = kGrid;
  } else if (role == "department") {
    a.role = "department";
    a.scope = kGrid;  // the incident's agency below is set to it
  } else if (role == "system") {
    a = Actor::system();
  } else {
    a.role = role;
    a.scope = role == "centre" ? "330521001" : "";
  }
  return a;
}

}  // namespace

TEST(Workflow, EveryStateActionAndRoleFollowsTheTable) {
  std::size_t allowed = 0, checked = 0;
  for (const auto& state : incident_states()) {
    ASSERT_TRUE(expected_table().count(state)) << state;
    for (Action action : kAllActions) {
      const std::string name(action_name(action));
      const auto& row = expected_table().at(state);
      const auto want = row.find(name);
      // next_state alone
      const auto next = next_state(state, action);
      if (want == row.end())
        EXPECT_FALSE(next.has_value()) << state << " " << name;
      else
        EXPECT_EQ(next.value_or("-"), want->second) << state << " " << name;

      for (const auto& [role, actions] : expected_roles()) {
        ++checked;
        Incident in = incident_in(state);
        // The handler of a grid-head action is someone else (报办分离 is tested separately).
        if (role == "grid_head") in.assignee = "W1";
        const Actor actor = entitled(role);
        const bool role_ok = actions.count(name) > 0;
        if (want == row.end()) {
          EXPECT_THROW(check_transition(in, action, actor), Conflict)
              << state << " " << name << " " << role;
        } else if (!role_ok) {
          EXPECT_THROW(check_transition(in, action, actor), Forbidden)
              << state << " " << name << " " << role;
        } else {
          // A grid head who dispatches/verifies/escalates is not the assignee; as a handler they
          // are.
          if (role == "grid_head" &&
              (name == "accept" || name == "start" || name == "resolve" || name == "return"))
            in.assignee = "W0";
          std::string to;
          EXPECT_NO_THROW(to = check_transition(in, action, actor))
              << state << " " << name << " " << role;
          EXPECT_EQ(to, want->second);
          ++allowed;
        }
        EXPECT_EQ(role_may(actor.role, action, actor.grid_head()), role_ok) << name << " " << role;
      }
    }
  }
  EXPECT_EQ(checked, incident_states().size() * std::size(kAllActions) * expected_roles().size());
  EXPECT_GT(allowed, 40u);
}

TEST(Workflow, NobodyVerifiesWhatTheyReportedOrHandled) {
  Incident in = incident_in("resolved");
  in.reporter = "centre-user";
  Actor centre = entitled("centre");
  EXPECT_THROW(check_transition(in, Action::Verify, centre), Forbidden);
  in.reporter = "app";
  in.handler = "centre-user";
  EXPECT_THROW(check_transition(in, Action::Verify, centre), Forbidden);
  in.handler = "someone";
  EXPECT_EQ(check_transition(in, Action::Verify, centre), "verified");
  // A grid head who was the assignee may not verify; as a worker their worker id counts.
  Actor head = entitled("grid_head");
  in.assignee = head.worker_id;
  EXPECT_THROW(check_transition(in, Action::Verify, head), Forbidden);
  in.assignee = "W1";
  in.handler = head.id;
  EXPECT_THROW(check_transition(in, Action::Verify, head), Forbidden);
  in.handler = "W1";
  EXPECT_EQ(check_transition(in, Action::Verify, head), "verified");
  // Even the administrator.
  Actor admin = entitled("admin");
  in.reporter = admin.id;
  EXPECT_THROW(check_transition(in, Action::Verify, admin), Forbidden);
}

TEST(Workflow, TheTrailRemembersEveryoneWhoWasAssignedOrResolved) {
  Incident in = incident_in("resolved");
  in.reporter = "app";
  in.assignee = "W1";
  in.handler = "w1-user";
  Actor head = entitled("grid_head");
  ASSERT_EQ(check_transition(in, Action::Verify, head), "verified");  // not involved, by the record
  auto event = [](std::string action, std::string actor, std::string detail) {
    IncidentEvent e;
    e.action = std::move(action);
    e.actor = std::move(actor);
    e.detail = std::move(detail);
    return e;
  };
  // Assigned once (by routing, by an edit, or before returning it), resolved once, reported once.
  for (const IncidentEvent& e :
       {event("dispatch", "system", R"({"assignee":")" + head.worker_id + R"("})"),
        event("edit", "centre-user",
              R"({"assignee_before":")" + head.worker_id + R"(","assignee":"W1"})"),
        event("return", head.id, R"({"returned_by":")" + head.worker_id + R"("})"),
        event("resolve", head.id, ""), event("report", head.id, "")}) {
    const std::vector<IncidentEvent> trail = {event("dispatch", "system", R"({"assignee":"W1"})"),
                                              e};
    EXPECT_THROW(check_transition(in, Action::Verify, head, trail), Forbidden)
        << e.action << " " << e.detail;
  }
  // Stored detail that does not parse is no reason to fail, nor to forbid.
  const std::vector<IncidentEvent> odd = {event("dispatch", "system", "{\"assignee\":\"\xFF"),
                                          event("dispatch", "system", "[1,")};
  EXPECT_EQ(check_transition(in, Action::Verify, head, odd), "verified");
}

TEST(Workflow, AreaScopeOfWrites) {
  Actor admin;
  admin.id = "admin";
  admin.role = "admin";
  admin.scope = "330521001";  // the administrator is never limited
  Actor centre;
  centre.id = "town1";
  centre.role = "centre";
  centre.scope = "330521001";
  Actor county = centre;
  county.scope = "";
  EXPECT_TRUE(may_write_area(admin, "330521002001001"));
  EXPECT_TRUE(may_write_area(Actor::system(), ""));
  EXPECT_TRUE(may_write_area(county, "330521002001001"));
  EXPECT_TRUE(may_write_area(county, ""));  // a point in no grid: the county's
  EXPECT_TRUE(may_write_area(centre, "330521001002001"));
  EXPECT_TRUE(may_write_area(centre, "330521001"));
  EXPECT_FALSE(may_write_area(centre, "330521002001001"));
  EXPECT_FALSE(may_write_area(centre, "330521"));  // the county grid holds more than the town
  EXPECT_FALSE(may_write_area(centre, ""));
  EXPECT_THROW(check_area(centre, "330521002001001", "household 3"), Forbidden);
  EXPECT_NO_THROW(check_area(centre, "330521001001001", "household 3"));
}

TEST(Workflow, ScopeAndAssignmentLimitWhoMayAct) {
  Incident in = incident_in("dispatched");
  // A centre of another town.
  Actor centre = entitled("centre");
  centre.scope = "330521002";
  EXPECT_THROW(check_transition(in, Action::Dispatch, centre), Forbidden);
  centre.scope = "330521001001";  // its village
  EXPECT_EQ(check_transition(in, Action::Dispatch, centre), "dispatched");
  // A worker not assigned.
  Actor w = entitled("worker");
  w.worker_id = "W9";
  EXPECT_THROW(check_transition(in, Action::Accept, w), Forbidden);
  // A grid head of another grid.
  Actor head = entitled("grid_head");
  head.team_grid = "330521001001002";
  EXPECT_THROW(check_transition(in, Action::Dispatch, head), Forbidden);
  // A department other than the one holding it.
  Actor dep = entitled("department");
  in.agency = "消防";
  dep.scope = "交警";
  EXPECT_THROW(check_transition(in, Action::Accept, dep), Forbidden);
  dep.scope = "消防";
  EXPECT_EQ(check_transition(in, Action::Accept, dep), "accepted");
}

TEST(Workflow, NamesAndRoles) {
  for (Action a : kAllActions) EXPECT_EQ(action_from_name(action_name(a)), a);
  try {
    action_from_name("approve");
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.parameter(), "action");
  }
  EXPECT_NO_THROW(check_user_role("centre"));
  EXPECT_THROW(check_user_role("boss"), InvalidArgument);
  EXPECT_TRUE(is_open_state("escalated"));
  EXPECT_FALSE(is_open_state("resolved"));
  EXPECT_TRUE(holds_workload("in_progress"));
  EXPECT_FALSE(holds_workload("returned"));
}
