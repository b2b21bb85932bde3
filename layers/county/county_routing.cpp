// Intake and routing (county.hpp): where a new incident goes and to whom, from the grid join,
// the categories' handlers, the teams, their duty and their workloads; and the indexes routing
// reads (teams, workers, towns).
#include "layers/county/county.hpp"
#include "layers/county/county_internal.hpp"

#include "core/errors.hpp"
#include "layers/model/text.hpp"
#include "spatial/crs.hpp"

#include <algorithm>

namespace onemap::layers {

using county_internal::fmt_m;
using json = nlohmann::ordered_json;

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

void County::check_report(Incident& in, const Actor& actor, int64_t now, bool placed) const {
  if (!may_report(actor.role))
    throw Forbidden("a " + actor.role + " user writes its county layers, and reports no incident");
  if (placed) check_location(in.location, "lat");
  if (in.category.empty()) throw InvalidArgument("category", "is required");
  if (!dispatch_.categories.empty() && !dispatch_.find(in.category))
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
}

Incident County::intake(Incident in, const Actor& actor, int64_t now) {
  now = clock(now);
  check_report(in, actor, now, true);
  auto lock = write_lock();
  return route_new(std::move(in), actor, now, nullptr, {});
}

Incident County::route_new(Incident in, const Actor& actor, int64_t now, Ticket* ticket,
                           std::string report_detail) {
  check_unique_id(LayerKind::Incidents, in.id, 0);
  in.join = joiner_->join(in.location);
  std::vector<IncidentEvent> events{
      make_event(in, actor, "report", "", "reported", "", std::move(report_detail), now)};
  const Routing r = route(in, "");
  in.agency = r.agency;
  in.level = r.level;
  in.assignee = r.assignee;
  in.dispatch_reason = r.reason;
  in.status = "dispatched";
  if (const CategoryConfig* cat = dispatch_.find(in.category))
    in.deadline = cat->deadline.due(now, dispatch_.calendar);
  json detail = {{"assignee", in.assignee}, {"agency", in.agency}, {"level", in.level}};
  if (in.deadline) detail["deadline"] = format_time(in.deadline);
  detail["reason"] = json::parse(r.reason);
  events.push_back(make_event(in, Actor::system(), "dispatch", "reported", "dispatched", "",
                              json_text(detail), now));
  return commit_incident(std::nullopt, std::move(in), std::move(events), ticket);
}

}  // namespace onemap::layers
