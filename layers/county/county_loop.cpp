// The closed loop's transitions (county.hpp): each action on an incident with its checks, and the
// commit that every change of an incident goes through (the store, then memory, workloads,
// tiles and listeners), with its events in the history.
#include "layers/county/county.hpp"
#include "layers/county/county_internal.hpp"
#include "layers/model/schema.hpp"

#include "core/errors.hpp"
#include "layers/model/text.hpp"
#include "spatial/crs.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>

namespace onemap::layers {

using county_internal::fmt_m;
using json = nlohmann::ordered_json;

namespace {

// The names of the incident fields whose values differ (store column names).
std::vector<std::string> changed_fields(const Incident* before, const Incident& after) {
  std::vector<std::string> out;
  if (!before) {
    for (const auto& f : layer_fields(LayerKind::Incidents)) out.push_back(f.name);
    return out;
  }
  const Incident& b = *before;
  auto check = [&](bool differs, const char* name) {
    if (differs) out.emplace_back(name);
  };
  check(b.id != after.id, "inc_id");
  check(b.category != after.category, "category");
  check(b.description != after.description, "description");
  check(b.source != after.source, "source");
  check(b.reported_at != after.reported_at, "reported_at");
  check(b.status != after.status, "status");
  check(b.closed_at != after.closed_at, "closed_at");
  check(b.assignee != after.assignee, "assignee");
  check(b.deadline != after.deadline, "deadline");
  check(b.agency != after.agency, "agency");
  check(b.co_agencies != after.co_agencies, "co_agencies");
  check(b.level != after.level, "level");
  check(b.overdue != after.overdue, "overdue");
  check(b.version != after.version, "version");
  check(b.updated_at != after.updated_at, "updated_at");
  check(b.reporter != after.reporter, "reporter");
  check(b.handler != after.handler, "handler");
  check(b.dispatch_reason != after.dispatch_reason, "dispatch_reason");
  check(b.join.grid_code != after.join.grid_code, "grid_code");
  check(b.join.kind != after.join.kind, "join_kind");
  check(b.join.distance_m != after.join.distance_m, "join_distance_m");
  return out;
}

// The outbox row of an incident's event (layers/model/outbox.hpp): the event and the incident's
// public summary, nothing personal (no reporter, actor, note or free text).
OutboxRow outbox_row(const Incident& in, const IncidentEvent& e) {
  OutboxRow r;
  r.at = e.at;
  r.subject = incident_subject(in.fid);
  r.action = e.action;
  r.area = in.join.grid_code.empty() ? in.agency : in.join.grid_code;
  const json payload = {{"subject", r.subject},
                        {"seq", e.seq},
                        {"action", e.action},
                        {"from", e.from},
                        {"to", e.to},
                        {"at", format_time(e.at)},
                        {"incident",
                         {{"fid", in.fid},
                          {"category", in.category},
                          {"status", in.status},
                          {"grid_code", in.join.grid_code},
                          {"agency", in.agency},
                          {"lon", in.location.lon},
                          {"lat", in.location.lat}}}};
  r.payload = json_text(payload);
  return r;
}

}  // namespace

void county_internal::check_version(const std::string& what, int64_t current,
                                    std::optional<int64_t> expected) {
  if (expected && *expected != current)
    throw Conflict(what + " is at version " + std::to_string(current) + ", not " +
                       std::to_string(*expected) + ": it changed since it was read",
                   "conflict_version");
}

int64_t County::clock(int64_t now) const {
  return now ? now : static_cast<int64_t>(std::time(nullptr));
}

IncidentEvent County::make_event(const Incident& in, const Actor& actor, std::string action,
                                 std::string from, std::string to, std::string note,
                                 std::string detail, int64_t at) const {
  IncidentEvent e;
  e.incident = in.fid;
  const auto it = events_.find(in.fid);
  e.seq = (in.fid && it != events_.end()) ? static_cast<int64_t>(it->second.size()) + 1 : 1;
  e.at = at;
  e.actor = actor.id;
  e.action = std::move(action);
  e.from = std::move(from);
  e.to = std::move(to);
  e.note = std::move(note);
  e.detail = std::move(detail);
  return e;
}

Incident County::commit_incident(std::optional<std::size_t> index, Incident after,
                                 std::vector<IncidentEvent> events, Ticket* ticket,
                                 std::vector<Task> tasks) {
  std::vector<Pending> one;
  one.push_back({index, std::move(after), std::move(events), std::move(tasks)});
  commit_incidents(one, ticket);
  return std::move(one.front().after);
}

double County::commit_incidents(std::vector<Pending>& pending, Ticket* ticket) {
  if (pending.empty()) return 0;
  // Events of one record follow each other.
  for (auto& p : pending)
    for (std::size_t i = 1; i < p.events.size(); ++i) p.events[i].seq = p.events[i - 1].seq + 1;
  Store::Batch batch;
  for (auto& p : pending) {
    batch.incidents.push_back(&p.after);
    for (auto& e : p.events) {
      batch.events.push_back({&e, &p.after});
      // Made by the store once the incident has its fid (a new one's is assigned there).
      batch.outbox.emplace_back([in = &p.after, ev = &e] { return outbox_row(*in, *ev); });
    }
    for (const Task& t : p.tasks) batch.tasks.push_back(&t);
  }
  // An admitted ticket names the incident made of it, whose fid the store assigns.
  const Incident* made = ticket && ticket->state == "admitted" && !pending.front().index
                             ? &pending.front().after
                             : nullptr;
  if (ticket) {
    batch.tickets.push_back({ticket, made});
    batch.outbox.emplace_back([ticket, made, at = ticket->decided_at] {
      return county_internal::ticket_row(*ticket, made ? "admit" : "merge",
                                         made ? made->fid : ticket->incident, at);
    });
  }
  store_->put(batch);  // committed before anything else sees it (on disk: WriteLock)
  if (made) ticket->incident = made->fid;
  const auto added = static_cast<std::size_t>(
      std::count_if(pending.begin(), pending.end(), [](const Pending& p) { return !p.index; }));
  make_room(data_.incidents, added);
  make_room_for_trails(added);

  // Readers wait only for memory being brought in step, not for the store.
  std::unique_lock memory(mutex_);
  const auto t0 = std::chrono::steady_clock::now();
  if (ticket) keep_ticket(*ticket);
  for (auto& p : pending) {
    Incident& after = p.after;
    std::optional<std::size_t> index = p.index;
    std::optional<Incident> before;
    if (index) before = data_.incidents[*index];
    if (before && !before->assignee.empty() && holds_workload(before->status))
      --loads_[before->assignee];
    if (!after.assignee.empty() && holds_workload(after.status)) ++loads_[after.assignee];
    if (index) {
      data_.incidents[*index] = after;
    } else {
      data_.incidents.push_back(after);
      index = data_.incidents.size() - 1;
    }
    auto& trail = events_[after.fid];
    for (auto& e : p.events) trail.push_back(e);
    if (!p.tasks.empty()) {
      auto& kept = tasks_[after.fid];
      for (const Task& t : p.tasks) {
        const auto at = std::lower_bound(kept.begin(), kept.end(), t.seq,
                                         [](const Task& k, int64_t seq) { return k.seq < seq; });
        if (at != kept.end() && at->seq == t.seq)
          *at = t;
        else
          kept.insert(at, t);
      }
    }
    tiles_->point_changed(data_, LayerKind::Incidents, *index);
    Change c;
    c.layer = LayerKind::Incidents;
    c.fid = after.fid;
    if (before) c.before = before->location;
    c.after = after.location;
    c.fields = changed_fields(before ? &*before : nullptr, after);
    c.incident_before = before;
    c.incident_after = after;
    notify(c);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Incident County::transition(int64_t fid, const TransitionRequest& rq, const Actor& actor) {
  const int64_t now = clock(rq.now);
  auto lock = write_lock();
  const std::size_t index = incident_index(fid);
  const Incident& before = data_.incidents[index];
  county_internal::check_version("incident " + std::to_string(fid), before.version,
                                 rq.expected_version);
  if (joint_open(fid))
    throw Conflict("incident " + std::to_string(fid) +
                   " is a joint case: its agencies act on their tasks (POST /incidents/" +
                   std::to_string(fid) +
                   "/tasks/{seq}/actions), and it resolves when all are done");
  const auto trail = events_.find(fid);
  const std::string to =
      check_transition(before, rq.action, actor,
                       trail == events_.end() ? std::span<const IncidentEvent>() : trail->second);
  Incident after = before;
  after.status = to;
  after.version = before.version + 1;
  after.updated_at = now;
  const CategoryConfig* cat = dispatch_.find(before.category);
  json detail = json::object();
  switch (rq.action) {
    case Action::Dispatch: {
      after.co_agencies.clear();  // a joint case dispatched again has one holder
      if (rq.assignee && !rq.assignee->empty()) {
        const Worker* w = worker_by_id(*rq.assignee);
        if (!w) throw InvalidArgument("assignee", "no worker '" + *rq.assignee + "'");
        if (!w->on_duty)
          throw InvalidArgument("assignee", "worker " + w->worker_id + " is off duty");
        if (cat && cat->grid_handled() && !cat->role_allowed(w->role))
          throw InvalidArgument("assignee", "role " + std::string(role_name(w->role)) +
                                                " may not handle category " + cat->code);
        if (actor.role == "worker" && w->grid_code != actor.team_grid)
          throw Forbidden("worker " + w->worker_id + " is not in " + actor.id + "'s team");
        if (actor.role == "centre" && !actor.scope.empty() &&
            w->grid_code.rfind(actor.scope, 0) != 0)
          throw Forbidden(
              "worker " + w->worker_id + " is outside " + actor.id + "'s area " + actor.scope,
              "forbidden_scope");
        const int load = load_of(w->worker_id) -
                         (before.assignee == w->worker_id && holds_workload(before.status));
        if (load >= dispatch_.workload_cap)
          throw Conflict("worker " + w->worker_id + " is at the workload cap (" +
                         std::to_string(load) + "/" + std::to_string(dispatch_.workload_cap) + ")");
        const double d = spatial::distance_m(w->location, before.location);
        after.assignee = w->worker_id;
        if (cat && cat->grid_handled()) after.agency = w->grid_code;
        after.dispatch_reason =
            json_text(json{{"rule", "manual"},
                           {"by", actor.id},
                           {"worker", w->worker_id},
                           {"worker_distance_m", d},
                           {"worker_load", load},
                           {"cap", dispatch_.workload_cap},
                           {"text", "assigned by " + actor.id + " to " + w->worker_id + " (" +
                                        fmt_m(d) + " away, load " + std::to_string(load) + "/" +
                                        std::to_string(dispatch_.workload_cap) + ")"},
                           {"text_zh", actor.id + " 指派给 " + w->worker_id + "（距 " + fmt_m(d) +
                                           "，在办 " + std::to_string(load) + "/" +
                                           std::to_string(dispatch_.workload_cap) + "）"}});
      } else {
        // Route again; a worker who returned it is not picked again.
        std::string exclude;
        if (before.status == "returned") {
          const auto& history = events_[fid];
          for (auto e = history.rbegin(); e != history.rend(); ++e)
            if (e->action == "return") {
              const json d = stored_json<json>(e->detail);
              if (d.is_object() && d.contains("returned_by") && d["returned_by"].is_string())
                exclude = d["returned_by"].get<std::string>();
              break;
            }
        }
        after.assignee.clear();
        const Routing r = route(after, exclude);
        after.assignee = r.assignee;
        after.dispatch_reason = r.reason;
        if (before.level.empty() || before.level == "grid" || before.level == "department" ||
            r.level != "grid") {
          after.agency = r.agency;
          after.level = r.level;
        }
      }
      if (!after.deadline && cat) after.deadline = cat->deadline.due(now, dispatch_.calendar);
      detail = {{"assignee", after.assignee}, {"agency", after.agency}, {"level", after.level}};
      detail["reason"] = json::parse(after.dispatch_reason);
      break;
    }
    case Action::Resolve:
      after.handler = actor.id;
      break;
    case Action::Return:
      if (rq.note.empty()) throw InvalidArgument("note", "a return needs a note saying why");
      detail["returned_by"] = before.assignee;
      after.assignee.clear();
      break;
    case Action::Close:
      after.closed_at = now;
      break;
    case Action::Reopen:
      after.closed_at = 0;
      after.handler.clear();
      after.overdue = false;
      if (cat) after.deadline = cat->deadline.due(now, dispatch_.calendar);
      detail["deadline"] = after.deadline ? json(format_time(after.deadline)) : json(nullptr);
      break;
    case Action::Escalate:
      if (before.level == "county")
        throw Conflict("incident " + std::to_string(fid) + " is at the county level already");
      detail = county_internal::escalate(before, after, dispatch_, now);
      break;
    case Action::Accept:
    case Action::Start:
    case Action::Verify:
      break;
  }
  std::vector<IncidentEvent> events{
      make_event(after, actor, std::string(action_name(rq.action)), before.status, to, rq.note,
                 detail.empty() ? std::string() : json_text(detail), now)};
  return commit_incident(index, std::move(after), std::move(events));
}

std::vector<IncidentEvent> County::history(int64_t fid) const {
  auto lock = read();
  incident_index(fid);  // NotFound for an unknown incident
  const auto e = events_.find(fid);
  return e == events_.end() ? std::vector<IncidentEvent>{} : e->second;
}

}  // namespace onemap::layers
