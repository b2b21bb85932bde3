// Joint cases (county.hpp): a case shared among agencies, each with a task (联合处置); the
// summons of agencies to a case (吹哨报到); the agencies' actions on their tasks; their figures.
#include "layers/county/county.hpp"
#include "layers/county/county_internal.hpp"

#include "core/errors.hpp"
#include "layers/model/text.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace onemap::layers {

using json = nlohmann::ordered_json;

namespace {

bool has_open_task(const std::vector<Task>& tasks) {
  return std::any_of(tasks.begin(), tasks.end(), [](const Task& t) { return t.open(); });
}

std::string comma_list(const std::vector<std::string>& codes) {
  std::string out;
  for (const auto& c : codes) out += (out.empty() ? "" : ",") + c;
  return out;
}

json task_detail(const Task& t) {
  return {{"task", t.seq}, {"agency", t.agency}, {"role", t.role}};
}

// A time a request gives (at, or within a time from now), checked to lie ahead.
int64_t due_time(const Due& d, int64_t now, const WorkingCalendar& calendar,
                 const std::string& parameter) {
  const int64_t t = d.at ? *d.at : d.within->due(now, calendar);
  if (t <= now)
    throw InvalidArgument(parameter, "must lie ahead of now (" + format_time(now) + ")");
  return t;
}

}  // namespace

const std::vector<Task>& County::tasks_of(int64_t fid) const {
  static const std::vector<Task> none;
  const auto it = tasks_.find(fid);
  return it == tasks_.end() ? none : it->second;
}

bool County::joint_open(int64_t fid) const {
  return has_open_task(tasks_of(fid));
}

std::vector<Task> County::tasks(int64_t fid) const {
  auto lock = read();
  incident_index(fid);  // NotFound for an unknown incident
  return tasks_of(fid);
}

namespace {

// Checks the agencies a request adds to the case `in` (their parameter `parameter`): each one
// known, serving the case's area, named once, and holding no open task of it already.
void check_new_agencies(const AgencyDirectory& agencies, const Incident& in,
                        const std::vector<Task>& tasks, const std::vector<std::string>& codes,
                        const std::vector<std::string>& parameters) {
  for (std::size_t i = 0; i < codes.size(); ++i) {
    const std::string& p = parameters[i];
    const Agency& a = agencies.get(codes[i], p);
    if (!a.serves(in.join.grid_code))
      throw InvalidArgument(p, "agency " + a.code + " (" + a.name + ") serves area " + a.area +
                                   "; incident " + std::to_string(in.fid) + " lies in " +
                                   (in.join.grid_code.empty() ? std::string("no grid")
                                                              : "grid " + in.join.grid_code));
    for (std::size_t k = 0; k < i; ++k)
      if (codes[k] == codes[i]) throw InvalidArgument(p, "agency " + a.code + " is named twice");
    for (const Task& t : tasks)
      if (t.open() && t.agency == a.code)
        throw InvalidArgument(p, "agency " + a.code + " holds task " + std::to_string(t.seq) +
                                     " of incident " + std::to_string(in.fid) + " already");
  }
}

// Staff who make a case joint or summon agencies to it: an admin, or a command-centre user whose
// area holds it.
void check_may_coordinate(const Actor& actor, const Incident& in, const std::string& what) {
  if (actor.role == "admin") return;
  if (actor.role != "centre")
    throw Forbidden("a " + actor.role + " may not coordinate " + what +
                    ": it needs an admin or command-centre user");
  if (!in_scope(in, actor))
    throw Forbidden(what + " lies outside " + actor.id + "'s area " + actor.scope,
                    "forbidden_scope");
}

// Appends a new task of the case `fid` to `added` (numbered after the case's `existing` ones and
// those added before it) and returns it.
Task& add_task(std::vector<Task>& added, const std::vector<Task>& existing, int64_t fid,
               const std::string& agency, const char* role, int64_t now, const Actor& actor,
               int64_t deadline) {
  Task& t = added.emplace_back();
  t.incident = fid;
  t.seq = static_cast<int64_t>(existing.size() + added.size());
  t.agency = agency;
  t.role = role;
  t.created_at = now;
  t.created_by = actor.id;
  t.deadline = deadline;
  return t;
}

// When a case of `category` started now is due, when a request gives no time: the category's
// deadline (a working day for an unknown one).
int64_t category_due(const DispatchConfig& config, const std::string& category, int64_t now) {
  const CategoryConfig* cat = config.find(category);
  return (cat ? cat->deadline : Deadline{}).due(now, config.calendar);
}

}  // namespace

Incident County::make_joint(int64_t fid, const JointRequest& rq, const Actor& actor) {
  const int64_t now = clock(rq.now);
  auto lock = write_lock();
  const std::size_t index = incident_index(fid);
  const Incident& before = data_.incidents[index];
  const std::string what = "incident " + std::to_string(fid);
  check_may_coordinate(actor, before, what);
  county_internal::check_version(what, before.version, rq.expected_version);
  if (!is_open_state(before.status))
    throw Conflict(what + " is " + before.status + ": only an open case is made joint");
  const std::vector<Task>& existing = tasks_of(fid);
  if (joint_open(fid))
    throw Conflict(what + " is a joint case already: summon more agencies to it (POST /incidents/" +
                   std::to_string(fid) + "/summons)");
  if (rq.lead.empty()) throw InvalidArgument("lead", "is required: the agency that leads the case");
  if (rq.with.empty())
    throw InvalidArgument("with",
                          "names at least one co-handler (to hand a case to one agency, "
                          "dispatch it)");
  std::vector<std::string> codes{rq.lead};
  std::vector<std::string> parameters{"lead"};
  for (const auto& w : rq.with) {
    codes.push_back(w);
    parameters.emplace_back("with");
  }
  check_new_agencies(agencies_, before, existing, codes, parameters);
  const int64_t deadline = rq.deadline.given()
                               ? due_time(rq.deadline, now, dispatch_.calendar, "deadline")
                               : category_due(dispatch_, before.category, now);
  const Agency& lead = agencies_.get(rq.lead, "lead");

  Incident after = before;
  after.status = "dispatched";
  after.agency = lead.code;
  after.co_agencies = comma_list(rq.with);
  after.assignee.clear();
  after.level = lead.level;
  after.deadline = deadline;
  after.overdue = false;
  after.version = before.version + 1;
  after.updated_at = now;
  std::string names;
  for (const auto& w : rq.with) names += "、" + agencies_.get(w, "with").name;
  after.dispatch_reason = json_text(json{
      {"rule", "joint"},
      {"by", actor.id},
      {"lead", lead.code},
      {"with", rq.with},
      {"text", "joint case: " + lead.code + " leads, with " + comma_list(rq.with) + " (by " +
                   actor.id + ")"},
      {"text_zh", "联合处置：" + lead.name + "牵头，" + names.substr(std::string("、").size()) +
                      "协同（" + actor.id + " 指派）"}});

  std::vector<Task> tasks;
  for (const auto& code : codes)
    add_task(tasks, existing, fid, code, tasks.empty() ? "lead" : "co", now, actor, deadline);
  json detail = {{"joint", {{"lead", lead.code}, {"with", rq.with}}},
                 {"agency", after.agency},
                 {"level", after.level},
                 {"deadline", format_time(deadline)}};
  std::vector<IncidentEvent> events{make_event(after, actor, "dispatch", before.status,
                                               after.status, rq.note, json_text(detail), now)};
  return commit_incident(index, std::move(after), std::move(events), nullptr, std::move(tasks));
}

Incident County::summon(int64_t fid, const SummonsRequest& rq, const Actor& actor) {
  const int64_t now = clock(rq.now);
  auto lock = write_lock();
  const std::size_t index = incident_index(fid);
  const Incident& before = data_.incidents[index];
  const std::string what = "incident " + std::to_string(fid);
  check_may_coordinate(actor, before, what);
  // 吹哨报到 is a town's (or the county's): a village or a grid summons no department.
  if (actor.role == "centre" && actor.scope.size() > code_length(GridLevel::Town))
    throw Forbidden("a summons (吹哨报到) is a town's or the county's; " + actor.id + "'s area " +
                    actor.scope + " is below a town");
  county_internal::check_version(what, before.version, rq.expected_version);
  if (!is_open_state(before.status))
    throw Conflict(what + " is " + before.status + ": agencies are summoned to an open case");
  if (rq.agencies.empty()) throw InvalidArgument("agencies", "names at least one agency");
  const std::vector<Task>& existing = tasks_of(fid);
  check_new_agencies(agencies_, before, existing, rq.agencies,
                     std::vector<std::string>(rq.agencies.size(), "agencies"));
  const int64_t report_by =
      rq.report.given() ? due_time(rq.report, now, dispatch_.calendar, "report_within")
                        : now + static_cast<int64_t>(std::llround(kSummonsReportHours * 3600));
  const int64_t deadline = rq.deadline.given()
                               ? due_time(rq.deadline, now, dispatch_.calendar, "deadline")
                           : before.deadline > now ? before.deadline
                                                   : category_due(dispatch_, before.category, now);

  Incident after = before;
  std::vector<Task> tasks;
  if (!joint_open(fid)) {
    // A case one agency held becomes joint: that agency (its grid's team when none is named)
    // leads, with what it has done so far.
    const std::string holder = !before.agency.empty() ? before.agency : before.join.grid_code;
    if (holder.empty())
      throw Conflict(what + " is held by no agency: make it joint with a lead (POST /incidents/" +
                     std::to_string(fid) + "/joint)");
    if (std::find(rq.agencies.begin(), rq.agencies.end(), holder) != rq.agencies.end())
      throw InvalidArgument("agencies", "agency " + holder + " holds " + what + " already");
    Task& lead = add_task(tasks, existing, fid, holder, "lead", now, actor, deadline);
    lead.deadline = before.deadline ? before.deadline : deadline;
    if (before.status == "accepted" || before.status == "in_progress") {
      lead.state = "accepted";
      lead.handler = before.assignee;
      lead.accepted_at = now;
    }
    after.agency = holder;
    if (before.status != "accepted" && before.status != "in_progress") {
      after.status = "dispatched";
      after.assignee.clear();
    }
  }
  std::vector<std::string> co;
  for (const std::string_view c : agency_list(after.co_agencies)) co.emplace_back(c);
  for (const auto& code : rq.agencies) {
    Task& t = add_task(tasks, existing, fid, code, "summoned", now, actor, deadline);
    t.report_by = report_by;
    co.push_back(code);
  }
  after.co_agencies = comma_list(co);
  after.deadline = std::max(before.deadline, deadline);
  after.version = before.version + 1;
  after.updated_at = now;
  const json detail = {{"agencies", rq.agencies},
                       {"report_by", format_time(report_by)},
                       {"deadline", format_time(deadline)}};
  std::vector<IncidentEvent> events{make_event(after, actor, "summon", before.status, after.status,
                                               rq.note, json_text(detail), now)};
  return commit_incident(index, std::move(after), std::move(events), nullptr, std::move(tasks));
}

Incident County::act_on_task(int64_t fid, int64_t seq, const TaskRequest& rq, const Actor& actor) {
  const int64_t now = clock(rq.now);
  if (rq.action != "accept" && rq.action != "done")
    throw InvalidArgument("action",
                          "must be accept (报到, taking the task) or done (with "
                          "feedback)");
  auto lock = write_lock();
  const std::size_t index = incident_index(fid);
  const Incident& before = data_.incidents[index];
  const std::vector<Task>& tasks = tasks_of(fid);
  const auto found =
      std::find_if(tasks.begin(), tasks.end(), [&](const Task& t) { return t.seq == seq; });
  const std::string what = "task " + std::to_string(seq) + " of incident " + std::to_string(fid);
  if (found == tasks.end())
    throw NotFound("incident " + std::to_string(fid) + " has no task " + std::to_string(seq));
  if (!may_act_for(actor, found->agency))
    throw Forbidden(what + " is " + found->agency + "'s; " + actor.id + " does not act for it");
  county_internal::check_version(what, found->version, rq.expected_version);
  if (!is_open_state(before.status))
    throw Conflict("incident " + std::to_string(fid) + " is " + before.status);
  Task task = *found;
  if (task.state == "done" || (rq.action == "accept" && task.state != "assigned"))
    throw Conflict(what + " is " + task.state + " (" + rq.action + " applies to " +
                   (rq.action == "accept" ? "an assigned task" : "an assigned or accepted task") +
                   ")");
  Incident after = before;
  after.version = before.version + 1;
  after.updated_at = now;
  task.version += 1;
  task.handler = actor.id;
  std::vector<IncidentEvent> events;
  if (rq.action == "accept") {
    task.state = "accepted";
    task.accepted_at = now;
    if (before.status == "dispatched") after.status = "accepted";
    events.push_back(make_event(after, actor, "task_accept", before.status, after.status,
                                rq.feedback, json_text(task_detail(task)), now));
  } else {
    if (rq.feedback.empty())
      throw InvalidArgument("feedback", "says what the agency did (处理反馈)");
    task.state = "done";
    task.done_at = now;
    task.feedback = rq.feedback;
    events.push_back(make_event(after, actor, "task_done", before.status, before.status,
                                rq.feedback, json_text(task_detail(task)), now));
    const bool last = std::none_of(tasks.begin(), tasks.end(),
                                   [&](const Task& t) { return t.seq != task.seq && t.open(); });
    if (last) {
      // Every part is done: the case is resolved, its handler the lead's.
      after.status = "resolved";
      const auto lead =
          std::find_if(tasks.begin(), tasks.end(), [](const Task& t) { return t.role == "lead"; });
      after.handler = lead == tasks.end() || lead->seq == task.seq || lead->handler.empty()
                          ? actor.id
                          : lead->handler;
      events.push_back(make_event(after, actor, "resolve", before.status, after.status,
                                  "every task is done", json_text(json{{"joint", true}}), now));
    }
  }
  return commit_incident(index, std::move(after), std::move(events), nullptr, {std::move(task)});
}

std::vector<AgencyFigures> County::agency_metrics(const std::string& area, int64_t from, int64_t to,
                                                  int64_t now) const {
  now = clock(now);
  auto lock = read();
  std::map<std::string, AgencyFigures> by;
  std::map<std::string, std::vector<double>> hours;
  for (const auto& [fid, tasks] : tasks_) {
    const Incident* in = find_incident(fid);
    if (!in || !in->join.grid_code.starts_with(area)) continue;
    if ((from && in->reported_at < from) || (to && in->reported_at >= to)) continue;
    for (const Task& t : tasks) {
      AgencyFigures& f = by[t.agency];
      f.agency = t.agency;
      ++f.tasks;
      if (t.open()) ++f.open;
      if (t.state == "done") {
        ++f.done;
        if (!t.deadline || t.done_at <= t.deadline) ++f.on_time;
        hours[t.agency].push_back(static_cast<double>(t.done_at - t.created_at) / 3600);
      }
      // A summoned agency reports by accepting its task (or by doing it at once).
      const int64_t reported_at = t.accepted_at ? t.accepted_at : t.done_at;
      const bool missed_report =
          t.report_by && (reported_at ? reported_at > t.report_by : now > t.report_by);
      const bool missed_deadline =
          t.deadline && (t.done_at ? t.done_at > t.deadline : now > t.deadline);
      if (missed_report || missed_deadline) ++f.late;
      if (t.role == "summoned") {
        ++f.summoned;
        if (reported_at && !missed_report) ++f.reported_on_time;
      }
    }
  }
  std::vector<AgencyFigures> out;
  for (auto& [code, f] : by) {
    if (const Agency* a = agencies_.find(code)) {
      f.name = a->name;
      f.level = a->level;
    }
    f.on_time_rate = f.done ? static_cast<double>(f.on_time) / static_cast<double>(f.done) : 0;
    if (auto& h = hours[code]; !h.empty()) {
      std::sort(h.begin(), h.end());
      const std::size_t n = h.size();
      f.median_hours_to_done = n % 2 ? h[n / 2] : (h[n / 2 - 1] + h[n / 2]) / 2;
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace onemap::layers
