// The closed loop (闭环处置) of an incident: its states, the actions that move it between them,
// and who may perform each action.
//
//   reported ─dispatch→ dispatched ─accept→ accepted ─start→ in_progress ─resolve→ resolved
//   resolved ─verify→ verified ─close→ closed
//   dispatched|accepted ─return→ returned ─dispatch→ dispatched      (the handler sends it back)
//   any open state ─escalate→ escalated ─dispatch→ dispatched          (overdue, or beyond the
//   grid) resolved|verified|closed ─reopen→ reopened ─dispatch→ dispatched
//
// User roles: admin (everything), centre (command-centre staff within their area scope),
// department (staff of the department named by their scope), worker (a grid team member, linked
// to a worker record; a grid head also dispatches, verifies and escalates in their own grid),
// reporter (a reporting channel: intake only), feed (another system feeding county layers: those
// its scope names, nothing else; README "County layers", feeds). The system (routing and the
// overdue sweep) dispatches and escalates. 报办分离: nobody verifies an incident they reported,
// were assigned or resolved.
#pragma once

#include "layers/model/model.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace onemap::layers {

enum class Action { Dispatch, Accept, Start, Resolve, Return, Verify, Close, Reopen, Escalate };
inline constexpr Action kAllActions[] = {Action::Dispatch, Action::Accept, Action::Start,
                                         Action::Resolve,  Action::Return, Action::Verify,
                                         Action::Close,    Action::Reopen, Action::Escalate};
std::string_view action_name(Action a);  ///< "dispatch", "accept", "start", …
/// @throws InvalidArgument("action", …) naming the actions.
Action action_from_name(std::string_view name);

/// Every state of the closed loop.
const std::vector<std::string>& incident_states();
/// Whether `state` is one of them.
bool is_incident_state(std::string_view state);
/// Whether an incident in `state` is still open (neither resolved, verified nor closed).
bool is_open_state(std::string_view state);
/// Whether an incident in `state` counts against its assignee's workload (dispatched, accepted,
/// in progress).
bool holds_workload(std::string_view state);

/// The user roles.
const std::vector<std::string>& user_roles();
/// @throws InvalidArgument("role", …).
void check_user_role(std::string_view role);

/// Who performs an action: a user as the API authenticated them, or the system.
struct Actor {
  std::string id;         ///< user id, "system" for routing and the sweep
  std::string role;       ///< one of user_roles(), or "system"
  std::string scope;      ///< area code prefix (centre, worker) or department (department)
  std::string worker_id;  ///< workers: their worker record
  std::optional<WorkerRole> worker_role;  ///< workers: their team role
  std::string team_grid;                  ///< workers: the grid of their team
  std::string contact_phone;  ///< residents: the phone they signed in with (auth/residents.hpp)

  static Actor system();
  static Actor of(const User& u, const Worker* w);  ///< w: the user's worker record, if any
  bool grid_head() const { return worker_role == WorkerRole::GridHead; }
};

/// The state `action` leads to from `state`, or nullopt when it does not apply there.
std::optional<std::string> next_state(std::string_view state, Action action);

/// Whether a user of `role` may perform `action` at all (a worker's grid-head powers counted when
/// `grid_head`), before the incident's scope and 报办分离 are considered.
bool role_may(std::string_view role, Action action, bool grid_head);

/// Checks that `actor` may perform `action` on `incident` now and returns the state it leads to.
/// `trail`: the incident's audit trail, so that 报办分离 counts everyone who ever reported,
/// was assigned or resolved it (not only the current assignee and handler).
/// @throws Conflict when the action does not apply to the incident's state; Forbidden when the
/// actor's role, scope or part in the incident (报办分离) does not allow it.
std::string check_transition(const Incident& incident, Action action, const Actor& actor,
                             std::span<const IncidentEvent> trail = {});

/// Whether the incident lies within the actor's area scope (its grid, or its agency, starts with
/// the scope's code; an empty scope is the whole county).
bool in_scope(const Incident& incident, const Actor& actor);

/// Whether `actor` acts for the agency coded `agency` on a joint case's task
/// (layers/model/task.hpp): an admin for any; department staff for the one their scope names; a
/// command-centre user for its own area's (a town's centre, a village's committee); a grid team
/// member for their team's grid.
bool may_act_for(const Actor& actor, std::string_view agency);

/// The county layers a feed user's scope names: layer names separated by commas
/// ("cameras,pipes"). @throws InvalidArgument("scope", …) for a scope that is no such list.
std::vector<std::string> feed_layers(std::string_view scope);
/// Whether `actor` may feed the county layer `layer`: an admin any, a feed user those its scope
/// names, nobody else.
bool may_feed(const Actor& actor, std::string_view layer);
/// Whether a user of `role` may report an incident (intake): every role but feed, whose token
/// writes its layers and nothing else.
bool may_report(std::string_view role);

/// Whether `actor` may edit records (the record endpoints' writes, and OGC API - Features Part 4
/// edits of enterprises and county layers): an admin, or a command-centre user (inside its area:
/// check_area). @throws Forbidden naming the role otherwise.
void check_may_edit(const Actor& actor);
/// Whether `actor` may write a record in the area of `grid_code` (a point's grid join, or a
/// grid's own code): admins, the system and unscoped users anywhere; a scoped user where the code
/// starts with its scope (so a point joined to no grid only for the unscoped).
bool may_write_area(const Actor& actor, std::string_view grid_code);
/// @throws Forbidden naming `what` (e.g. "household 12") unless may_write_area.
void check_area(const Actor& actor, std::string_view grid_code, const std::string& what);

}  // namespace onemap::layers
