// Joint cases over HTTP (layers/county/county.hpp, joint cases; layers/model/task.hpp):
//
//   GET  /agencies?level=town&area=330521005      who handles cases: departments, town units,
//                                                  towns, villages and grids, by code
//   POST /incidents/{id}/joint                     {"lead": "330521005.城发办",
//                                                   "with": ["330521005.执法中队"],
//                                                   "deadline": "4wh" | ISO time, "note"}
//   POST /incidents/{id}/summons                   吹哨报到: {"agencies": ["住建"],
//                                                   "report_within": "2h", "deadline", "note"}
//   GET  /incidents/{id}/tasks                      the agencies' tasks (staff of its area)
//   POST /incidents/{id}/tasks/{seq}/actions        {"action": "accept"} or
//                                                   {"action": "done", "feedback": "…"}
//   GET  /stats/agencies?area=&from=&to=            each agency's tasks, on time, late,
//                                                   summons answered in time, median hours
//   GET  /stats/loop?by=worker|agency|town|grid&area=&from=&to=
//                                                   the loop's figures (有效率, 及时率, stage
//                                                   medians…) of each group, names
//                                                   beside codes (a worker's only to those who
//                                                   may read it: audited)
//
// Joint cases and summons are made by admins and command-centre users (a summons by one of a
// town or the county); a task is acted on by whoever acts for its agency (layers::may_act_for).
// Writes take If-Match: the incident's version (joint, summons) or the task's (its actions).
#pragma once

#include "auth/read_policy.hpp"
#include "http/router.hpp"
#include "layers/county/county.hpp"

#include <memory>

namespace onemap::api {

/// Adds the routes above to `router`.
void add_joint_routes(http::Router& router, const std::shared_ptr<layers::County>& county,
                      const std::shared_ptr<const auth::ReadPolicy>& policy);

}  // namespace onemap::api
