// What the county's dispatch tests share (county_routing_test.cpp, county_loop_test.cpp,
// county_escalation_test.cpp, county_batch_test.cpp, county_metrics_test.cpp,
// dispatch_config_test.cpp): a working calendar and categories of their own, and the dispatch
// county (tests/support/county.hpp) with one more worker on a store of its own, with the
// brute-force choice of a worker that routing is checked against.
#pragma once

#include "layers/county/county.hpp"
#include "layers/dispatch/dispatch_config.hpp"
#include "tests/support/county.hpp"
#include "tests/support/county_fixture.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace onemap::testing {

inline constexpr const char* kG1 = kTeamGrid;          // x 120.00-120.05, y 30.0-30.2
inline constexpr const char* kG2 = "330521001001002";  // x 120.05-120.10, no team

/// Working hours 08:30-12:00 and 13:30-17:30 +08:00 on weekdays; 1-2 October 2026 are holidays,
/// Saturday 10 October a make-up workday.
layers::WorkingCalendar test_calendar();

/// Three categories on test_calendar(): 0101 by the grid's full- and part-time workers within 2
/// working hours, 0701 by its grid head or cadres within a working day, 0501 by the department 消防
/// within an hour; `cap` open incidents a worker; escalation after 4 working hours.
layers::DispatchConfig test_config(int cap);

/// An actor with no worker record: a user `id` of `role` (over `scope`).
layers::Actor actor(const std::string& id, const std::string& role, const std::string& scope = "");

/// The actor of the worker user of worker `id` of the county.
layers::Actor worker_actor(const layers::County& c, const std::string& id);

/// Whether the incident counts to its assignee's workload: dispatched, accepted or in progress.
bool in_workload(const layers::Incident& in);

class Dispatch : public CountyFixture {
 protected:
  void SetUp() override { open(2); }

  /// The dispatch county's team, and FT9 in a grid of the other town, on test_config(cap) with
  /// `agencies` beside the areas'.
  void open(int cap, std::vector<layers::AgencyConfig> agencies = {});

  /// An incident of `category` reported at (lon, lat) by the reporter app at `now`, as routed.
  layers::Incident intake(double lon, double lat, const char* category = "0101",
                          int64_t now = kNow);

  /// The brute-force choice: the nearest on-duty team member of the incident's grid whose role
  /// the category allows and whose open assigned incidents are below the cap; "" when none.
  std::string oracle_worker(const layers::Incident& in, const char* category) const;

  /// Nine incidents an administrator created across the team's grid and beyond (reported,
  /// unassigned: in the grid head's queue); their fids.
  std::vector<int64_t> nine_waiting();

  static constexpr int64_t kNow = 1790037000;  // Tuesday 2026-09-22 08:30 +08:00 (00:30Z)
  int cap_ = 2;
  layers::Actor admin_ = actor("admin", "admin");
  layers::Actor reporter_ = actor("app", "reporter");
  layers::Actor centre_ = actor("centre-1", "centre", "330521");
};

}  // namespace onemap::testing
