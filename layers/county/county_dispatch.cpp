// Intake, routing, the closed loop, escalation, batch dispatch and metrics of the county
// (county.hpp).
#include "layers/county/county.hpp"
#include "layers/model/schema.hpp"

#include "core/errors.hpp"
#include "layers/dispatch/assignment.hpp"
#include "layers/model/text.hpp"
#include "spatial/crs.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <ctime>
#include <mutex>

namespace onemap::layers {

namespace {

using json = nlohmann::ordered_json;

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

// The escalation level above `level`, and the length of the area code that holds it.
std::string next_level(const std::string& level) {
  if (level.empty() || level == "grid") return "village";
  if (level == "village") return "town";
  return "county";  // town, department, county
}

std::size_t level_code_length(const std::string& level) {
  if (level == "village") return 12;
  if (level == "town") return 9;
  return 6;
}

// The area code an incident escalated to `level` goes to.
std::string agency_at(const Incident& in, const std::string& level) {
  const std::string& code = !in.join.grid_code.empty() ? in.join.grid_code : in.agency;
  const std::size_t n = level_code_length(level);
  bool digits = code.size() >= n;
  for (std::size_t i = 0; digits && i < n; ++i)
    digits = std::isdigit(static_cast<unsigned char>(code[i])) != 0;
  return digits ? code.substr(0, n) : std::string();
}

// Raises an incident one escalation level: level, agency and a new deadline (the configured
// working hours from `now`) on `after`, from `before`; returns the event's detail.
json escalate(const Incident& before, Incident& after, const DispatchConfig& config, int64_t now) {
  after.level = next_level(before.level);
  const std::string agency = agency_at(before, after.level);
  if (!agency.empty()) after.agency = agency;
  after.deadline = config.calendar.add_working_seconds(
      now, static_cast<int64_t>(std::llround(config.escalation_working_hours * 3600)));
  return {{"from_level", before.level.empty() ? "grid" : before.level},
          {"to_level", after.level},
          {"agency", after.agency},
          {"deadline", format_time(after.deadline)}};
}

std::string fmt_m(double m) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f m", m);
  return buf;
}

bool same_join(const GridJoin& a, const GridJoin& b) {
  return a.grid_code == b.grid_code && a.kind == b.kind && a.distance_m == b.distance_m;
}

bool is_area_code(const std::string& s) {
  if (s.size() != 6 && s.size() != 9 && s.size() != 12 && s.size() != 15 && s.size() != 18)
    return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

}  // namespace

int64_t County::clock(int64_t now) const {
  return now ? now : static_cast<int64_t>(std::time(nullptr));
}

void County::index_teams() {
  teams_.clear();
  worker_index_.clear();
  grid_index_.clear();
  for (std::size_t i = 0; i < data_.workers.size(); ++i) {
    teams_[data_.workers[i].grid_code].push_back(i);
    worker_index_[data_.workers[i].worker_id] = i;
  }
  std::vector<Grid> towns;
  for (std::size_t i = 0; i < data_.grids.size(); ++i) {
    grid_index_.emplace(data_.grids[i].code, i);
    if (data_.grids[i].level == GridLevel::Town) towns.push_back(data_.grids[i]);
  }
  town_joiner_.reset();
  if (!towns.empty()) town_joiner_ = std::make_unique<GridJoiner>(towns, JoinOptions{1e9});
}

const Worker* County::worker_by_id(const std::string& id) const {
  const auto it = worker_index_.find(id);
  return it == worker_index_.end() ? nullptr : &data_.workers[it->second];
}

int County::load_of(const std::string& worker_id) const {
  const auto it = loads_.find(worker_id);
  return it == loads_.end() ? 0 : it->second;
}

int County::workload(const std::string& worker_id) const {
  auto lock = read();
  return load_of(worker_id);
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
                                 std::vector<IncidentEvent> events) {
  std::vector<Pending> one;
  one.push_back({index, std::move(after), std::move(events)});
  commit_incidents(one);
  return std::move(one.front().after);
}

double County::commit_incidents(std::vector<Pending>& pending) {
  if (pending.empty()) return 0;
  // Events of one record follow each other.
  for (auto& p : pending)
    for (std::size_t i = 1; i < p.events.size(); ++i) p.events[i].seq = p.events[i - 1].seq + 1;
  Store::Batch batch;
  for (auto& p : pending) {
    batch.incidents.push_back(&p.after);
    for (auto& e : p.events) batch.events.push_back({&e, &p.after});
  }
  store_->put(batch);  // durable before anything else sees it

  // Readers wait only for memory being brought in step, not for the store.
  std::unique_lock memory(mutex_);
  const auto t0 = std::chrono::steady_clock::now();
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

County::Routing County::route(const Incident& in, const std::string& exclude) const {
  Routing r;
  json reason;
  std::string text, zh;  // the reason in words, in English and in Chinese
  const CategoryConfig* cat = dispatch_.find(in.category);
  // Where: the grid that holds it, else the nearest within the join distance, else the town.
  if (!in.join.grid_code.empty()) {
    r.agency = in.join.grid_code;
    r.level = "grid";
    const bool contained = in.join.kind == JoinKind::Contained;
    reason["rule"] = contained ? "contained" : "nearest_grid";
    reason["grid"] = in.join.grid_code;
    reason["grid_distance_m"] = in.join.distance_m;
    text = contained
               ? "inside grid " + in.join.grid_code
               : "outside every grid; nearest grid " + in.join.grid_code + " at " +
                     fmt_m(in.join.distance_m) + " (limit " + fmt_m(join_.max_distance_m) + ")";
    zh = contained ? "位于网格 " + in.join.grid_code + " 内"
                   : "不在任何网格内；最近网格 " + in.join.grid_code + "，距 " +
                         fmt_m(in.join.distance_m) + "（限 " + fmt_m(join_.max_distance_m) + "）";
  } else {
    reason["rule"] = "town";
    reason["grid_limit_m"] = join_.max_distance_m;
    const GridJoin town = town_joiner_ ? town_joiner_->join(in.location) : GridJoin{};
    if (!town.grid_code.empty()) {
      r.agency = town.grid_code;
      r.level = "town";
      reason["town"] = town.grid_code;
      reason["town_distance_m"] = town.distance_m;
      const auto g = grid_index_.find(town.grid_code);
      const std::string name =
          g == grid_index_.end() ? std::string() : " " + data_.grids[g->second].name;
      text = "no grid within " + fmt_m(join_.max_distance_m) + "; to the centre of town " +
             town.grid_code + name +
             (town.distance_m > 0 ? " (nearest town, " + fmt_m(town.distance_m) + " away)"
                                  : " (inside it)");
      zh = fmt_m(join_.max_distance_m) + " 内无网格；交乡镇（街道）" + town.grid_code + name +
           " 综治中心" +
           (town.distance_m > 0 ? "（最近乡镇，距 " + fmt_m(town.distance_m) + "）"
                                : "（位于其内）");
    } else {
      r.level = "county";
      text = "no grid within " + fmt_m(join_.max_distance_m) +
             " and no town outline; to the county centre";
      zh = fmt_m(join_.max_distance_m) + " 内无网格，也无乡镇边界；交县级中心";
    }
  }
  // Who: a department for the categories configured so.
  if (cat && !cat->grid_handled()) {
    r.agency = cat->handler;
    r.level = "department";
    reason["department"] = cat->handler;
    reason["text"] =
        text + "; category " + cat->code + " " + cat->name_zh + " is handled by " + cat->handler;
    reason["text_zh"] =
        zh + "；类别 " + cat->code + " " + cat->name_zh + " 由" + cat->handler + "处置";
    r.reason = json_text(reason);
    return r;
  }
  if (r.level != "grid") {
    reason["text"] = text;
    reason["text_zh"] = zh;
    r.reason = json_text(reason);
    return r;
  }
  // The nearest on-duty member of the grid's team whose role may handle the category, under the
  // cap.
  struct Candidate {
    const Worker* w;
    double d;
  };
  std::vector<Candidate> team;
  if (const auto t = teams_.find(in.join.grid_code); t != teams_.end())
    for (std::size_t i : t->second)
      team.push_back(
          {&data_.workers[i], spatial::distance_m(data_.workers[i].location, in.location)});
  std::sort(team.begin(), team.end(), [](const Candidate& a, const Candidate& b) {
    return a.d != b.d ? a.d < b.d : a.w->worker_id < b.w->worker_id;
  });
  json skipped = json::array();
  const Worker* head = nullptr;
  for (const auto& c : team) {
    if (c.w->role == WorkerRole::GridHead && !head) head = c.w;
    std::string why;
    const int load = load_of(c.w->worker_id);
    if (c.w->worker_id == exclude)
      why = "returned it";
    else if (!c.w->on_duty)
      why = "off duty";
    else if (cat && !cat->role_allowed(c.w->role))
      why = "role " + std::string(role_name(c.w->role)) + " may not handle " + cat->code;
    else if (load >= dispatch_.workload_cap)
      why = "at the workload cap (" + std::to_string(load) + "/" +
            std::to_string(dispatch_.workload_cap) + ")";
    if (!why.empty()) {
      skipped.push_back(
          {{"worker", c.w->worker_id}, {"distance_m", c.d}, {"load", load}, {"why", why}});
      continue;
    }
    r.assignee = c.w->worker_id;
    reason["worker"] = c.w->worker_id;
    reason["worker_role"] = std::string(role_name(c.w->role));
    reason["worker_distance_m"] = c.d;
    reason["worker_load"] = load;
    reason["cap"] = dispatch_.workload_cap;
    reason["skipped"] = skipped;
    reason["text"] = text + "; nearest free eligible team member " + c.w->worker_id + " (" +
                     std::string(role_name(c.w->role)) + ", " + fmt_m(c.d) + " away, load " +
                     std::to_string(load) + "/" + std::to_string(dispatch_.workload_cap) + ")";
    reason["text_zh"] = zh + "；派给最近的可接单网格员 " + c.w->worker_id + "（距 " + fmt_m(c.d) +
                        "，在办 " + std::to_string(load) + "/" +
                        std::to_string(dispatch_.workload_cap) + "）";
    r.reason = json_text(reason);
    return r;
  }
  reason["cap"] = dispatch_.workload_cap;
  reason["skipped"] = skipped;
  reason["queue"] = head ? head->worker_id : std::string();
  reason["text"] = text + "; no free eligible team member (" + std::to_string(team.size()) +
                   " in the team): " +
                   (head ? "queued for grid head " + head->worker_id
                         : std::string("the grid has no grid head: queued for the grid"));
  reason["text_zh"] = zh + "；网格团队（" + std::to_string(team.size()) + " 人）无可接单人员：" +
                      (head ? "进入网格长 " + head->worker_id + " 待派队列"
                            : std::string("网格无网格长，进入网格待派队列"));
  r.reason = json_text(reason);
  return r;
}

Incident County::intake(Incident in, const Actor& actor, int64_t now) {
  now = clock(now);
  check_location(in.location, "lat");
  if (in.category.empty()) throw InvalidArgument("category", "is required");
  const CategoryConfig* cat = dispatch_.find(in.category);
  if (!dispatch_.categories.empty() && !cat)
    throw InvalidArgument("category",
                          "unknown category '" + in.category + "' (see the services list)");
  if (in.reported_at == 0) in.reported_at = now;
  if (in.source.empty()) in.source = "other";
  in.reporter = actor.id;
  in.fid = 0;
  in.version = 1;
  in.updated_at = now;
  in.status = "reported";
  in.assignee.clear();
  auto lock = write_lock();
  check_unique_id(LayerKind::Incidents, in.id, 0);
  in.join = joiner_->join(in.location);
  std::vector<IncidentEvent> events{make_event(in, actor, "report", "", "reported", "", "", now)};
  const Routing r = route(in, "");
  in.agency = r.agency;
  in.level = r.level;
  in.assignee = r.assignee;
  in.dispatch_reason = r.reason;
  in.status = "dispatched";
  if (cat) in.deadline = cat->deadline.due(now, dispatch_.calendar);
  json detail = {{"assignee", in.assignee}, {"agency", in.agency}, {"level", in.level}};
  if (in.deadline) detail["deadline"] = format_time(in.deadline);
  detail["reason"] = json::parse(r.reason);
  events.push_back(make_event(in, Actor::system(), "dispatch", "reported", "dispatched", "",
                              json_text(detail), now));
  return commit_incident(std::nullopt, std::move(in), std::move(events));
}

Incident County::transition(int64_t fid, const TransitionRequest& rq, const Actor& actor) {
  const int64_t now = clock(rq.now);
  auto lock = write_lock();
  const std::size_t index = incident_index(fid);
  const Incident& before = data_.incidents[index];
  if (rq.expected_version && *rq.expected_version != before.version)
    throw Conflict("incident " + std::to_string(fid) + " is at version " +
                       std::to_string(before.version) + ", not " +
                       std::to_string(*rq.expected_version) + ": it changed since it was read",
                   "conflict_version");
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
      detail = escalate(before, after, dispatch_, now);
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

SweepResult County::sweep_overdue(int64_t now, const std::string& area) {
  const int64_t clock_now = clock(0);
  if (now > clock_now + kMaxSweepAhead)
    throw InvalidArgument("at", "is ahead of the clock (" + format_time(clock_now) +
                                    "): a sweep escalates what is overdue now, never what will be");
  if (!area.empty() && !is_area_code(area))
    throw InvalidArgument("area", "must be an area code of 6, 9, 12, 15 or 18 digits");
  SweepResult out;
  out.at = now = clock(now);
  const Actor system = Actor::system();
  // The overdue incidents, copied under the read lock.
  struct Due {
    std::size_t index;
    Incident before, after;
    std::string action, note, detail;
  };
  std::vector<Due> due;
  {
    auto lock = read();
    for (std::size_t i = 0; i < data_.incidents.size(); ++i) {
      const Incident& in = data_.incidents[i];
      if (!in.deadline || in.deadline > now || !is_open_state(in.status)) continue;
      if (in.level == "county" && in.overdue) continue;
      if (!area.empty() && in.join.grid_code.rfind(area, 0) != 0 && in.agency.rfind(area, 0) != 0)
        continue;
      due.push_back({i, in, {}, {}, {}, {}});
    }
  }
  // Their escalation (the calendar's deadlines, the history's text), with no lock held.
  for (Due& d : due) {
    const Incident& in = d.before;
    d.after = in;
    d.after.overdue = true;
    d.after.version = in.version + 1;
    d.after.updated_at = now;
    if (in.level == "county") {
      d.action = "overdue";
      d.note = "past its deadline " + format_time(in.deadline) + " at the county level";
      continue;
    }
    d.after.status = "escalated";
    json detail = escalate(in, d.after, dispatch_, now);
    detail["overdue_since"] = format_time(in.deadline);
    d.action = "escalate";
    d.note = "overdue since " + format_time(in.deadline);
    d.detail = detail.dump();
  }
  if (commit_hook_) commit_hook_("sweep_overdue");
  // Committed in slices, each one transaction under the writers' mutex (see batch_dispatch).
  for (std::size_t from = 0; from < due.size(); from += kCommitSlice) {
    const std::size_t to = std::min(due.size(), from + kCommitSlice);
    auto lock = write_lock();
    std::vector<Pending> pending;
    for (std::size_t k = from; k < to; ++k) {
      Due& d = due[k];
      // Records keep their place (fid order, appended only); one changed meanwhile is left for
      // the next sweep, which sees it as it is now.
      const Incident& cur = data_.incidents[d.index];
      if (cur.version != d.before.version || !same_join(cur.join, d.before.join)) {
        out.changed.push_back(d.before.fid);
        continue;
      }
      (d.action == "escalate" ? out.escalated : out.marked_overdue).push_back(d.before.fid);
      std::vector<IncidentEvent> ev{make_event(d.after, system, d.action, d.before.status,
                                               d.after.status, std::move(d.note),
                                               std::move(d.detail), now)};
      pending.push_back({d.index, std::move(d.after), std::move(ev)});
    }
    commit_incidents(pending);  // one transaction
  }
  return out;
}

BatchResult County::batch_dispatch(const std::string& area, const std::string& pool,
                                   const Actor& actor, int64_t now) {
  const auto t0 = std::chrono::steady_clock::now();
  now = clock(now);
  std::size_t prefix = 0;
  if (pool == "grid")
    prefix = 15;
  else if (pool == "village")
    prefix = 12;
  else if (pool == "town")
    prefix = 9;
  else if (pool != "county")
    throw InvalidArgument("pool", "must be grid, village, town or county");
  if (!area.empty() && !is_area_code(area))
    throw InvalidArgument("area", "must be an area code of 6, 9, 12 or 15 digits");
  if (!role_may(actor.role, Action::Dispatch, actor.grid_head()) || actor.role == "worker")
    throw Forbidden("a " + actor.role +
                    " may not dispatch a batch (admin and command-centre users may)");
  if (!actor.scope.empty() && area.rfind(actor.scope, 0) != 0)
    throw Forbidden("area " + (area.empty() ? std::string("(the county)") : area) +
                    " lies outside " + actor.id + "'s area " + actor.scope);
  BatchResult out;
  out.area = area;
  out.pool = pool;
  // The inputs, copied under the read lock: the unassigned open incidents of the grid categories
  // in the area, and the on-duty workers of the area's teams with their loads.
  struct Task {
    std::size_t index;
    Incident in;
  };
  struct Agent {
    Worker w;
    int load;
  };
  std::vector<Task> tasks;
  std::vector<Agent> agents;
  {
    auto lock = read();
    for (std::size_t i = 0; i < data_.incidents.size(); ++i) {
      const Incident& in = data_.incidents[i];
      if (in.join.grid_code.empty() || in.join.grid_code.rfind(area, 0) != 0 ||
          !in.assignee.empty())
        continue;
      const bool waiting = in.status == "reported" || in.status == "returned" ||
                           in.status == "escalated" || in.status == "reopened" ||
                           (in.status == "dispatched" && in.agency == in.join.grid_code);
      if (!waiting) continue;
      const CategoryConfig* cat = dispatch_.find(in.category);
      if (!dispatch_.categories.empty() && (!cat || !cat->grid_handled())) continue;
      tasks.push_back({i, in});
    }
    for (const Worker& wk : data_.workers) {
      if (!wk.on_duty || wk.grid_code.empty() || wk.grid_code.rfind(area, 0) != 0) continue;
      agents.push_back({wk, load_of(wk.worker_id)});
    }
  }
  // Groups: the task's grid (or its village/town) against the worker's team grid (or its …).
  std::unordered_map<std::string, int32_t> group_ids;
  auto group = [&](const std::string& code) -> int32_t {
    if (prefix == 0) return kAnyGroup;
    return group_ids
        .emplace(code.substr(0, std::min(prefix, code.size())),
                 static_cast<int32_t>(group_ids.size()))
        .first->second;
  };
  // A local equirectangular projection in metres around the area's middle latitude.
  double lat0 = 0;
  for (const Task& t : tasks) lat0 += t.in.location.lat;
  lat0 = tasks.empty() ? 30.0 : lat0 / static_cast<double>(tasks.size());
  const double kx = 111319.49 * std::cos(lat0 * M_PI / 180.0), ky = 110946.25;
  AssignmentProblem prob;
  for (const Task& t : tasks) {
    uint32_t roles = kAnyRole;
    if (const CategoryConfig* cat = dispatch_.find(t.in.category)) {
      roles = 0;
      for (WorkerRole r : cat->roles) roles |= role_bit(r);
    }
    prob.add_task(t.in.location.lon * kx, t.in.location.lat * ky, group(t.in.join.grid_code),
                  roles);
  }
  for (const Agent& a : agents)
    prob.add_agent(a.w.location.lon * kx, a.w.location.lat * ky,
                   std::max(0, dispatch_.workload_cap - a.load), group(a.w.grid_code),
                   role_bit(a.w.role));
  out.incidents = tasks.size();
  out.workers = agents.size();
  const AssignmentResult greedy = greedy_assignment(prob);
  const AssignmentResult best = optimal_assignment(prob);
  out.greedy_assigned = static_cast<std::size_t>(greedy.assigned);
  out.greedy_total_m = greedy.total_m;
  out.assigned = static_cast<std::size_t>(best.assigned);
  out.total_m = best.total_m;
  out.proved_optimal = best.proved_optimal;

  // Each dispatch as it will be written, from the incident and the worker's load as read.
  auto dispatched = [&](const Incident& in, const Worker& wk, double distance_m, int load,
                        std::string& detail_text) {
    Incident after = in;
    after.status = "dispatched";
    after.assignee = wk.worker_id;
    after.version = in.version + 1;
    after.updated_at = now;
    if (after.agency.empty() || after.level.empty() || after.level == "grid")
      after.agency = in.join.grid_code;
    if (!after.deadline)
      if (const CategoryConfig* cat = dispatch_.find(in.category))
        after.deadline = cat->deadline.due(now, dispatch_.calendar);
    const json reason = {
        {"rule", "batch"},
        {"by", actor.id},
        {"pool", pool},
        {"grid", in.join.grid_code},
        {"worker", wk.worker_id},
        {"worker_team", wk.grid_code},
        {"worker_distance_m", distance_m},
        {"worker_load", load},
        {"cap", dispatch_.workload_cap},
        {"batch_total_m", best.total_m},
        {"greedy_total_m", greedy.total_m},
        {"text", "batch dispatch of " + std::to_string(tasks.size()) + " incidents in " +
                     (area.empty() ? std::string("the county") : area) + " by " + actor.id +
                     ": least total distance under the workload cap; " + wk.worker_id + " (team " +
                     wk.grid_code + ") at " + fmt_m(distance_m)},
        {"text_zh", actor.id + " 批量派遣 " + (area.empty() ? std::string("全县") : area) + " 的 " +
                        std::to_string(tasks.size()) + " 起事件（在办上限内总距离最短）；派给 " +
                        wk.worker_id + "（" + wk.grid_code + " 网格团队），距 " +
                        fmt_m(distance_m)}};
    after.dispatch_reason = reason.dump();
    json detail = {{"assignee", after.assignee},
                   {"agency", after.agency},
                   {"level", after.level.empty() ? "grid" : after.level}};
    detail["reason"] = reason;
    detail_text = detail.dump();
    return after;
  };
  struct Planned {
    std::size_t task;
    const Agent* agent;
    Incident after;
    std::string detail;
  };
  std::vector<Planned> planned;
  out.assignments.resize(tasks.size());
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    BatchAssignment& ba = out.assignments[t];
    ba.fid = tasks[t].in.fid;
    if (best.agent_of[t] < 0) continue;
    const Agent& a = agents[static_cast<std::size_t>(best.agent_of[t])];
    ba.worker_id = a.w.worker_id;
    ba.distance_m = spatial::distance_m(a.w.location, tasks[t].in.location);
    Planned p{t, &a, {}, {}};
    p.after = dispatched(tasks[t].in, a.w, ba.distance_m, a.load, p.detail);
    planned.push_back(std::move(p));
  }

  if (commit_hook_) commit_hook_("batch_dispatch");
  // Committed in slices of kCommitSlice incidents, each one transaction under the writers'
  // mutex: other writes wait for one slice at most, readers only for a slice being applied to
  // memory (commit_incidents), not for the store.
  std::unordered_map<std::string, int> committed;  // incidents this batch gave each worker so far
  for (std::size_t from = 0; from < planned.size(); from += kCommitSlice) {
    const std::size_t to = std::min(planned.size(), from + kCommitSlice);
    auto lock = write_lock();
    std::vector<Pending> pending;
    std::unordered_map<std::string, int> added;  // of this slice
    for (std::size_t k = from; k < to; ++k) {
      Planned& p = planned[k];
      const Task& task = tasks[p.task];
      const Agent& a = *p.agent;
      BatchAssignment& ba = out.assignments[p.task];
      // Records keep their place (fid order, appended only). The incident must be as it was
      // read, the worker too, and under the cap with what it holds now.
      const Incident& cur = data_.incidents[task.index];
      const Worker* w = worker_by_id(a.w.worker_id);
      const int load = load_of(a.w.worker_id) + added[a.w.worker_id];
      std::string skipped;
      if (cur.version != task.in.version || !same_join(cur.join, task.in.join))
        skipped = "incident changed meanwhile (version " + std::to_string(cur.version) +
                  ", status " + cur.status + ")";
      else if (!w || !w->on_duty || w->role != a.w.role || w->grid_code != a.w.grid_code ||
               !(w->location == a.w.location))
        skipped = "worker " + a.w.worker_id + " changed meanwhile";
      else if (load >= dispatch_.workload_cap)
        skipped = "worker " + a.w.worker_id + " reached the workload cap meanwhile (" +
                  std::to_string(load) + "/" + std::to_string(dispatch_.workload_cap) + ")";
      if (!skipped.empty()) {
        const double dx =
            prob.task_x[p.task] - prob.agent_x[static_cast<std::size_t>(best.agent_of[p.task])];
        const double dy =
            prob.task_y[p.task] - prob.agent_y[static_cast<std::size_t>(best.agent_of[p.task])];
        out.total_m -= std::hypot(dx, dy);
        --out.assigned;
        ++out.skipped;
        ba.worker_id.clear();
        ba.distance_m = 0;
        ba.skipped = std::move(skipped);
        continue;
      }
      ++added[a.w.worker_id];
      // The reason gives the worker's load before this batch; rewritten when it changed meanwhile.
      const int before_batch = load_of(a.w.worker_id) - committed[a.w.worker_id];
      if (before_batch != a.load)
        p.after = dispatched(task.in, a.w, ba.distance_m, before_batch, p.detail);
      std::vector<IncidentEvent> ev{make_event(p.after, actor, "dispatch", task.in.status,
                                               "dispatched", "batch dispatch", std::move(p.detail),
                                               now)};
      pending.push_back({task.index, std::move(p.after), std::move(ev)});
    }
    const double held = commit_incidents(pending);  // one transaction
    for (const auto& [id, n] : added) committed[id] += n;
    out.lock_seconds += held;
    out.longest_lock_seconds = std::max(out.longest_lock_seconds, held);
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

void LoopMetrics::add(const Incident& in, int64_t now) {
  ++total;
  if (in.status == "closed") {
    ++closed;
    if (in.closed_at) hours_.push_back(static_cast<double>(in.closed_at - in.reported_at) / 3600.0);
    if (in.deadline) {
      ++with_deadline_closed;
      if (in.closed_at && in.closed_at <= in.deadline) ++on_time;
    }
  }
  if (is_open_state(in.status)) {
    ++open;
    if (in.overdue || (in.deadline && in.deadline < now)) ++overdue;
  }
}

void LoopMetrics::finish() {
  closure_rate = total ? static_cast<double>(closed) / static_cast<double>(total) : 0;
  on_time_rate = with_deadline_closed
                     ? static_cast<double>(on_time) / static_cast<double>(with_deadline_closed)
                     : 0;
  median_hours_to_close.reset();
  if (!hours_.empty()) {
    std::sort(hours_.begin(), hours_.end());
    const std::size_t n = hours_.size();
    median_hours_to_close = n % 2 ? hours_[n / 2] : (hours_[n / 2 - 1] + hours_[n / 2]) / 2;
  }
}

LoopMetrics County::metrics(const std::string& area, const std::string& category, int64_t from,
                            int64_t to, int64_t now) const {
  now = clock(now);
  LoopMetrics m;
  auto lock = read();
  for (const auto& in : data_.incidents) {
    if (from && in.reported_at < from) continue;
    if (to && in.reported_at >= to) continue;
    if (!category.empty() && in.category != category) continue;
    if (!area.empty() && in.join.grid_code.rfind(area, 0) != 0 && in.agency.rfind(area, 0) != 0)
      continue;
    m.add(in, now);
  }
  m.finish();
  return m;
}

// ---- the audit of personal data ----

void County::audit(std::vector<AuditRecord> rows) {
  if (rows.empty()) return;
  const int64_t now = clock(0);
  Store::Batch b;
  for (auto& r : rows) {
    if (!r.at) r.at = now;
    b.audit.push_back(&r);
  }
  // Through the county's connection, as the county's writes; readers go on meanwhile.
  auto lock = write_lock();
  store_->put(b);
}

}  // namespace onemap::layers
