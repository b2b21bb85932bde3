// The closed loop's states, actions and permissions (workflow.hpp).
#include "layers/dispatch/workflow.hpp"

#include "core/errors.hpp"
#include "layers/model/feature_layer.hpp"
#include "layers/model/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace onemap::layers {

namespace {

struct Rule {
  Action action;
  std::vector<std::string_view> from;
  std::string_view to;
};

// The transition table.
const std::vector<Rule>& rules() {
  static const std::vector<Rule> r = {
      {Action::Dispatch,
       {"reported", "dispatched", "returned", "escalated", "reopened"},
       "dispatched"},
      {Action::Accept, {"dispatched"}, "accepted"},
      {Action::Start, {"accepted"}, "in_progress"},
      {Action::Resolve, {"accepted", "in_progress"}, "resolved"},
      {Action::Return, {"dispatched", "accepted"}, "returned"},
      {Action::Verify, {"resolved"}, "verified"},
      {Action::Close, {"verified"}, "closed"},
      {Action::Reopen, {"resolved", "verified", "closed"}, "reopened"},
      {Action::Escalate,
       {"reported", "dispatched", "accepted", "in_progress", "returned", "escalated", "reopened"},
       "escalated"},
  };
  return r;
}

// The actions a handler performs (the assignee, or the department that holds the incident).
bool handler_action(Action a) {
  return a == Action::Accept || a == Action::Start || a == Action::Resolve || a == Action::Return;
}

std::string list(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

std::string_view action_name(Action a) {
  switch (a) {
    case Action::Dispatch:
      return "dispatch";
    case Action::Accept:
      return "accept";
    case Action::Start:
      return "start";
    case Action::Resolve:
      return "resolve";
    case Action::Return:
      return "return";
    case Action::Verify:
      return "verify";
    case Action::Close:
      return "close";
    case Action::Reopen:
      return "reopen";
    case Action::Escalate:
      return "escalate";
  }
  return "?";
}

Action action_from_name(std::string_view name) {
  for (Action a : kAllActions)
    if (action_name(a) == name) return a;
  std::vector<std::string> names;
  for (Action a : kAllActions) names.emplace_back(action_name(a));
  throw InvalidArgument(
      "action", "unknown action '" + std::string(name) + "' (actions: " + list(names) + ")");
}

const std::vector<std::string>& incident_states() {
  static const std::vector<std::string> s = {"reported",  "dispatched", "accepted", "in_progress",
                                             "resolved",  "verified",   "closed",   "returned",
                                             "escalated", "reopened"};
  return s;
}

bool is_incident_state(std::string_view state) {
  const auto& s = incident_states();
  return std::find(s.begin(), s.end(), state) != s.end();
}

bool is_open_state(std::string_view state) {
  return state != "resolved" && state != "verified" && state != "closed";
}

bool holds_workload(std::string_view state) {
  return state == "dispatched" || state == "accepted" || state == "in_progress";
}

const std::vector<std::string>& user_roles() {
  static const std::vector<std::string> r = {"admin",  "centre",   "department",
                                             "worker", "reporter", "feed"};
  return r;
}

void check_user_role(std::string_view role) {
  const auto& r = user_roles();
  if (std::find(r.begin(), r.end(), role) == r.end())
    throw InvalidArgument("role",
                          "unknown role '" + std::string(role) + "' (roles: " + list(r) + ")");
}

Actor Actor::system() {
  Actor a;
  a.id = "system";
  a.role = "system";
  return a;
}

Actor Actor::of(const User& u, const Worker* w) {
  Actor a;
  a.id = u.id;
  a.role = u.role;
  a.scope = u.scope;
  a.worker_id = u.worker_id;
  if (w) {
    a.worker_role = w->role;
    a.team_grid = w->grid_code;
    if (a.scope.empty()) a.scope = w->grid_code;
  }
  return a;
}

std::optional<std::string> next_state(std::string_view state, Action action) {
  for (const auto& r : rules()) {
    if (r.action != action) continue;
    if (std::find(r.from.begin(), r.from.end(), state) != r.from.end()) return std::string(r.to);
  }
  return std::nullopt;
}

bool role_may(std::string_view role, Action a, bool grid_head) {
  if (role == "admin") return true;
  if (role == "system") return a == Action::Dispatch || a == Action::Escalate;
  if (role == "centre") return !handler_action(a);
  if (role == "department") return handler_action(a);
  if (role == "worker")
    return handler_action(a) ||
           (grid_head && (a == Action::Dispatch || a == Action::Verify || a == Action::Escalate));
  return false;  // reporter: intake only; feed: its layers only
}

bool in_scope(const Incident& in, const Actor& actor) {
  if (actor.scope.empty()) return true;
  if (within_scope(in.join.grid_code, actor.scope) || within_scope(in.agency, actor.scope))
    return true;
  for (const std::string_view co : agency_list(in.co_agencies))
    if (within_scope(co, actor.scope)) return true;
  return false;
}

bool may_act_for(const Actor& actor, std::string_view agency) {
  if (actor.role == "admin") return true;
  if (agency.empty()) return false;
  if (actor.role == "department" || actor.role == "centre") return actor.scope == agency;
  if (actor.role == "worker") return actor.team_grid == agency;
  return false;
}

std::vector<std::string> feed_layers(std::string_view scope) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at <= scope.size();) {
    const std::size_t comma = std::min(scope.find(',', at), scope.size());
    std::string_view name = scope.substr(at, comma - at);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (!is_layer_name(name))
      throw InvalidArgument("scope",
                            "a feed user's scope names the county layers it feeds, separated by "
                            "commas (cameras,pipes): '" +
                                std::string(name) + "' is no layer name");
    out.emplace_back(name);
    at = comma + 1;
  }
  return out;
}

bool may_feed(const Actor& actor, std::string_view layer) {
  if (actor.role == "admin") return true;
  if (actor.role != "feed") return false;
  const auto names = feed_layers(actor.scope);
  return std::find(names.begin(), names.end(), layer) != names.end();
}

void check_may_edit(const Actor& actor) {
  if (actor.role == "admin" || actor.role == "centre" || actor.role == "system") return;
  throw Forbidden("user " + actor.id + " (" + actor.role +
                  ") may not do this: it needs an admin or command-centre user");
}

bool may_report(std::string_view role) {
  return role != "feed";
}

bool may_write_area(const Actor& actor, std::string_view grid_code) {
  if (actor.role == "admin" || actor.role == "system" || actor.scope.empty()) return true;
  return !grid_code.empty() && grid_code.starts_with(actor.scope);
}

void check_area(const Actor& actor, std::string_view grid_code, const std::string& what) {
  if (may_write_area(actor, grid_code)) return;
  throw Forbidden(
      what + " lies " +
          (grid_code.empty() ? std::string("in no grid") : "in grid " + std::string(grid_code)) +
          ", outside " + actor.id + "'s area " + actor.scope,
      "forbidden_scope");
}

std::string check_transition(const Incident& in, Action action, const Actor& actor,
                             std::span<const IncidentEvent> trail) {
  const std::string name(action_name(action));
  const auto to = next_state(in.status, action);
  if (!to) {
    std::vector<std::string> from;
    for (const auto& s : incident_states())
      if (next_state(s, action)) from.push_back(s);
    throw Conflict("cannot " + name + " incident " + std::to_string(in.fid) + ": it is " +
                   in.status + " (" + name + " applies to: " + list(from) + ")");
  }
  if (!role_may(actor.role, action, actor.grid_head()))
    throw Forbidden("a " + actor.role + (actor.grid_head() ? " (grid head)" : "") + " may not " +
                    name + " incidents");
  if (actor.role == "department") {
    if (in.agency != actor.scope)
      throw Forbidden("incident " + std::to_string(in.fid) + " is held by " +
                      (in.agency.empty() ? std::string("no department") : in.agency) + ", not by " +
                      actor.scope);
  } else if (actor.role == "worker") {
    if (handler_action(action)) {
      if (in.assignee.empty() || in.assignee != actor.worker_id)
        throw Forbidden("incident " + std::to_string(in.fid) + " is not assigned to " +
                        (actor.worker_id.empty() ? actor.id : actor.worker_id));
    } else if (actor.team_grid.empty() || in.join.grid_code != actor.team_grid) {
      throw Forbidden("incident " + std::to_string(in.fid) + " is not in the grid of " + actor.id +
                      "'s team");
    }
  } else if (actor.role == "centre" && !in_scope(in, actor)) {
    throw Forbidden("incident " + std::to_string(in.fid) + " lies outside " + actor.id +
                        "'s area " + actor.scope,
                    "forbidden_scope");
  }
  if (action == Action::Verify) {
    // 报办分离: whoever reports or handles a case does not verify it.
    auto same = [&](const std::string& who) {
      return !who.empty() &&
             (who == actor.id || (!actor.worker_id.empty() && who == actor.worker_id));
    };
    if (same(in.reporter))
      throw Forbidden(actor.id + " reported incident " + std::to_string(in.fid) +
                      " and may not verify it");
    if (same(in.handler) || same(in.assignee))
      throw Forbidden(actor.id + " handled incident " + std::to_string(in.fid) +
                      " and may not verify it");
    // Everyone the trail names as reporter, assignee (dispatched to, edited to or from, returned
    // by) or resolver, too: an assignee changed before the verification still handled it.
    for (const IncidentEvent& e : trail) {
      if (e.action == "report" && same(e.actor))
        throw Forbidden(actor.id + " reported incident " + std::to_string(in.fid) +
                        " and may not verify it");
      // A joint case's agencies handled it through their tasks.
      bool handled =
          (e.action == "resolve" || e.action == "task_accept" || e.action == "task_done") &&
          same(e.actor);
      const auto detail = stored_json<nlohmann::json>(e.detail);
      if (detail.is_object())
        for (const char* k : {"assignee", "assignee_before", "returned_by"})
          if (const auto it = detail.find(k); it != detail.end() && it->is_string())
            handled = handled || same(it->get<std::string>());
      if (handled)
        throw Forbidden(actor.id + " handled incident " + std::to_string(in.fid) +
                        " and may not verify it");
    }
  }
  return *to;
}

}  // namespace onemap::layers
