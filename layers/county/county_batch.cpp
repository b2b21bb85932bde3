// Batch dispatch (county.hpp): every waiting incident of an area given a worker at once, the
// least total distance under the workload cap, solved on a copy and committed in slices.
#include "layers/county/county.hpp"
#include "layers/county/county_internal.hpp"

#include "core/errors.hpp"
#include "layers/dispatch/assignment.hpp"
#include "spatial/crs.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace onemap::layers {

using county_internal::fmt_m;
using county_internal::same_join;
using json = nlohmann::ordered_json;

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
  if (!area.empty() && !level_from_code(area))
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
      if (!waiting || joint_open(in.fid)) continue;  // a joint case's agencies hold it
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

}  // namespace onemap::layers
