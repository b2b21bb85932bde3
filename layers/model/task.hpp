// A task of a joint case (联合处置): one agency's part in handling an incident, with its own
// deadline, state and feedback. A case made joint has a lead and co-handlers; a town may summon
// more agencies to it (吹哨报到), who must report (报到: accept) within a time and then do their
// part. The case resolves when every task is done.
//
//   assigned ─accept→ accepted ─done→ done
//   assigned ─done→ done                       (a part finished at once)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace onemap::layers {

struct Task {
  int64_t incident = 0;            ///< the case's fid
  int64_t seq = 0;                 ///< 1, 2, … per case
  std::string agency;              ///< the agency's code (layers/dispatch/agencies.hpp)
  std::string role;                ///< lead, co, summoned
  std::string state = "assigned";  ///< assigned, accepted, done
  int64_t created_at = 0;
  std::string created_by;  ///< the user who made the case joint or summoned the agency
  int64_t report_by = 0;   ///< summoned: when it must have reported (accepted); else 0
  int64_t deadline = 0;    ///< when its part must be done
  int64_t accepted_at = 0, done_at = 0;
  std::string handler;   ///< the user who accepted it, or did it
  std::string feedback;  ///< what the agency did (处理反馈)
  bool overdue = false;  ///< a time it had to meet passed first (set by the overdue sweep)
  int64_t version = 1;   ///< bumped by every change

  bool open() const { return state != "done"; }
  /// Whether it missed a time it had to meet at `now`: reporting (a summons not yet accepted)
  /// or its deadline (not yet done).
  bool late_at(int64_t now) const {
    return open() &&
           ((report_by && state == "assigned" && now > report_by) || (deadline && now > deadline));
  }
};

/// The roles of a task.
inline bool is_task_role(std::string_view r) {
  return r == "lead" || r == "co" || r == "summoned";
}

}  // namespace onemap::layers
