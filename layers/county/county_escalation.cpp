// Escalation (county.hpp): one level up the hierarchy with a new deadline, as the escalate action
// and the overdue sweep do it, and the sweep itself.
#include "layers/county/county.hpp"
#include "layers/county/county_internal.hpp"

#include "core/errors.hpp"
#include "layers/model/text.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace onemap::layers {

using county_internal::same_join;
using json = nlohmann::ordered_json;

namespace {

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

}  // namespace

json county_internal::escalate(const Incident& before, Incident& after,
                               const DispatchConfig& config, int64_t now) {
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

SweepResult County::sweep_overdue(int64_t now, const std::string& area) {
  const int64_t clock_now = clock(0);
  if (now > clock_now + kMaxSweepAhead)
    throw InvalidArgument("at", "is ahead of the clock (" + format_time(clock_now) +
                                    "): a sweep escalates what is overdue now, never what will be");
  if (!area.empty() && !level_from_code(area))
    throw InvalidArgument("area", "must be an area code of 6, 9, 12, 15 or 18 digits");
  SweepResult out;
  out.at = now = clock(now);
  const Actor system = Actor::system();
  // The overdue incidents, and the joint cases with a task late, copied under the read lock.
  struct Overdue {
    std::size_t index;
    Incident before, after;
    std::string action, note, detail;
    std::vector<Task> late = {};  ///< a joint case's tasks newly late, marked so
  };
  std::vector<Overdue> due;
  {
    auto lock = read();
    for (std::size_t i = 0; i < data_.incidents.size(); ++i) {
      const Incident& in = data_.incidents[i];
      if (!is_open_state(in.status)) continue;
      if (!area.empty() && in.join.grid_code.rfind(area, 0) != 0 && in.agency.rfind(area, 0) != 0)
        continue;
      if (joint_open(in.fid)) {
        // A joint case is not escalated as a whole: each agency answers for its own task.
        std::vector<Task> late;
        for (const Task& t : tasks_of(in.fid))
          if (!t.overdue && t.late_at(now)) {
            late.push_back(t);
            late.back().overdue = true;
            late.back().version += 1;
          }
        if (!late.empty()) due.push_back({i, in, {}, "task_overdue", {}, {}, std::move(late)});
        continue;
      }
      if (!in.deadline || in.deadline > now) continue;
      if (in.level == "county" && in.overdue) continue;
      due.push_back({i, in, {}, {}, {}, {}});
    }
  }
  // Their escalation (the calendar's deadlines, the history's text), with no lock held.
  for (Overdue& d : due) {
    const Incident& in = d.before;
    d.after = in;
    d.after.overdue = true;
    d.after.version = in.version + 1;
    d.after.updated_at = now;
    if (!d.late.empty()) {
      d.after.overdue = in.deadline && in.deadline < now;
      continue;
    }
    if (in.level == "county") {
      d.action = "overdue";
      d.note = "past its deadline " + format_time(in.deadline) + " at the county level";
      continue;
    }
    d.after.status = "escalated";
    json detail = county_internal::escalate(in, d.after, dispatch_, now);
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
      Overdue& d = due[k];
      // Records keep their place (fid order, appended only); one changed meanwhile is left for
      // the next sweep, which sees it as it is now.
      const Incident& cur = data_.incidents[d.index];
      if (cur.version != d.before.version || !same_join(cur.join, d.before.join)) {
        out.changed.push_back(d.before.fid);
        continue;
      }
      if (!d.late.empty()) {
        std::vector<IncidentEvent> ev;
        for (const Task& t : d.late) {
          const bool report = t.report_by && t.state == "assigned" && now > t.report_by;
          const int64_t missed = report ? t.report_by : t.deadline;
          ev.push_back(make_event(d.after, system, "task_overdue", d.before.status, d.after.status,
                                  t.agency +
                                      (report ? " did not report by " : " is past its deadline ") +
                                      format_time(missed),
                                  json_text(json{{"task", t.seq},
                                                 {"agency", t.agency},
                                                 {"role", t.role},
                                                 {"missed", report ? "report" : "deadline"},
                                                 {"due", format_time(missed)}}),
                                  now));
          out.tasks_overdue.emplace_back(t.incident, t.seq);
        }
        pending.push_back({d.index, std::move(d.after), std::move(ev), std::move(d.late)});
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

}  // namespace onemap::layers
