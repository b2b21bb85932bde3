// The joint cases' endpoints (joint.hpp).
#include "api/joint.hpp"

#include "api/answers.hpp"
#include "api/loop_json.hpp"
#include "api/records.hpp"
#include "core/errors.hpp"
#include "layers/model/text.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <unordered_map>

namespace onemap::api {

namespace {

using json = nlohmann::ordered_json;
using http::Context;

int64_t positive(const Context& c, std::string_view name, const char* what) {
  const std::string_view v = c.param(name);
  int64_t id = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), id);
  if (ec != std::errc() || p != v.data() + v.size() || id <= 0)
    throw NotFound(std::string("no ") + what + " '" + std::string(v) + "'");
  return id;
}

json time_or_null(int64_t t) {
  return t ? json(layers::format_time(t)) : json(nullptr);
}

json task_json(const layers::Task& t, const layers::AgencyDirectory& agencies) {
  const layers::Agency* a = agencies.find(t.agency);
  return {{"seq", t.seq},
          {"agency", t.agency},
          {"agency_name", a ? a->name : t.agency},
          {"role", t.role},
          {"state", t.state},
          {"created_at", time_or_null(t.created_at)},
          {"created_by", t.created_by},
          {"report_by", time_or_null(t.report_by)},
          {"deadline", time_or_null(t.deadline)},
          {"accepted_at", time_or_null(t.accepted_at)},
          {"done_at", time_or_null(t.done_at)},
          {"handler", t.handler},
          {"feedback", t.feedback},
          {"overdue", t.overdue},
          {"version", t.version}};
}

// The case and its tasks as a write leaves them (the writer is staff of its area, or acts for
// one of its agencies).
http::Response case_answer(const layers::County& county, const layers::Incident& in) {
  json tasks = json::array();
  {
    auto lock = county.read();
    for (const auto& t : county.tasks_of(in.fid)) tasks.push_back(task_json(t, county.agencies()));
  }
  http::Response r = no_store_json(200, {{"incident",
                                          {{"id", in.fid},
                                           {"url", "/incidents/" + std::to_string(in.fid)},
                                           {"status", in.status},
                                           {"agency", in.agency},
                                           {"co_agencies", in.co_agencies},
                                           {"deadline", time_or_null(in.deadline)},
                                           {"handler", in.handler},
                                           {"version", in.version}}},
                                         {"tasks", std::move(tasks)}});
  r.set_header("ETag", "\"" + std::to_string(in.version) + "\"");
  return r;
}

http::Response list_agencies(const layers::County& county, const Context& c) {
  std::string level, area;
  for (const auto& [k, v] : c.query) {
    if (k == "level") {
      if (v != "county" && v != "town" && v != "village" && v != "grid")
        throw InvalidArgument("level", "must be county, town, village or grid");
      level = v;
    } else if (k == "area") {
      if (!v.empty() && !layers::level_from_code(v))
        throw InvalidArgument("area", "must be an area code of 6, 9, 12, 15 or 18 digits");
      area = v;
    } else {
      throw InvalidArgument(k, "unknown query parameter for /agencies (parameters: level, area)");
    }
  }
  json items = json::array();
  auto lock = county.read();
  for (const layers::Agency& a : county.agencies().all()) {
    if (!level.empty() && a.level != level) continue;
    // An area's agencies: those serving inside it, and those serving all of it.
    if (!area.empty() && !a.area.starts_with(area) && !area.starts_with(a.area)) continue;
    items.push_back({{"code", a.code},
                     {"name", a.name},
                     {"level", a.level},
                     {"area", a.area},
                     {"kind", a.kind}});
  }
  return no_store_json(200, {{"total", items.size()}, {"agencies", std::move(items)}});
}

http::Response list_tasks(const layers::County& county, const auth::ReadPolicy& policy,
                          const Context& c) {
  const int64_t fid = positive(c, "id", "incident");
  const layers::Incident in = county.incident(fid);
  const auth::Viewer viewer = policy.viewer(c.user);
  // Who handles what, and their feedback, is for staff of the case's area and its agencies.
  if (static_cast<int>(auth::incident_audience(viewer, in)) <
      static_cast<int>(auth::Audience::Staff)) {
    if (!auth::may_see_incident(viewer, in, false))
      throw NotFound("no incident with id " + std::to_string(fid));
    throw Forbidden(
        "incident " + std::to_string(fid) + "'s tasks are for staff of its area and its agencies",
        "forbidden_scope");
  }
  json tasks = json::array();
  auto lock = county.read();
  for (const auto& t : county.tasks_of(fid)) tasks.push_back(task_json(t, county.agencies()));
  return no_store_json(200, {{"id", fid}, {"tasks", std::move(tasks)}});
}

// The window of a figures request: its area (default the user's scope, never outside it), its
// times, and (`path` /stats/loop) how to group.
struct Window {
  std::string area;
  int64_t from = 0, to = 0;
  std::string by;
};
Window read_window(const Context& c, std::string_view path) {
  const bool grouped = path == "/stats/loop";
  Window w;
  w.area = c.user->scope;
  for (const auto& [k, v] : c.query) {
    if (k == "area") {
      if (!v.empty() && !layers::level_from_code(v))
        throw InvalidArgument("area", "must be an area code of 6, 9, 12, 15 or 18 digits");
      if (!c.user->scope.empty() && !v.starts_with(c.user->scope))
        throw Forbidden("area " + v + " lies outside " + c.user->id + "'s area " + c.user->scope,
                        "forbidden_scope");
      w.area = v;
    } else if (k == "from" || k == "to") {
      const auto t = layers::parse_time(v);
      if (!t) throw InvalidArgument(k, "must be an ISO 8601 time");
      (k == "from" ? w.from : w.to) = *t;
    } else if (k == "by" && grouped) {
      w.by = v;
    } else {
      throw InvalidArgument(k, "unknown query parameter for " + std::string(path) +
                                   " (parameters: area, from, to" + (grouped ? ", by)" : ")"));
    }
  }
  if (grouped && w.by.empty())
    throw InvalidArgument("by", "is required: worker, agency, town or grid");
  return w;
}

http::Response agency_stats(const layers::County& county, const Context& c) {
  const Window w = read_window(c, "/stats/agencies");
  json items = json::array();
  for (const auto& f : county.agency_metrics(w.area, w.from, w.to)) {
    items.push_back({{"agency", f.agency},
                     {"name", f.name},
                     {"level", f.level},
                     {"tasks", f.tasks},
                     {"done", f.done},
                     {"open", f.open},
                     {"on_time", f.on_time},
                     {"on_time_rate", f.on_time_rate},
                     {"late", f.late},
                     {"summoned", f.summoned},
                     {"reported_on_time", f.reported_on_time},
                     {"median_hours_to_done",
                      f.median_hours_to_done ? json(*f.median_hours_to_done) : json(nullptr)}});
  }
  return no_store_json(200, {{"area", w.area},
                             {"from", time_or_null(w.from)},
                             {"to", time_or_null(w.to)},
                             {"agencies", std::move(items)}});
}

// GET /stats/loop?by=worker|agency|town|grid: the loop's figures of each group of the area.
// Worker names only to those who may read them there (personal: the read is audited).
http::Response loop_stats(layers::County& county, const auth::ReadPolicy& policy,
                          const Context& c) {
  const Window w = read_window(c, "/stats/loop");
  const auto groups = county.metrics_by(w.by, w.area, w.from, w.to);
  const auth::Viewer viewer = policy.viewer(c.user);
  json items = json::array();
  std::vector<int64_t> named;  // the workers whose names were read
  {
    auto lock = county.read();
    std::unordered_map<std::string_view, const layers::Worker*> workers;
    if (w.by == "worker")
      for (const auto& wk : county.data().workers) workers[wk.worker_id] = &wk;
    std::unordered_map<std::string_view, const layers::Grid*> grids;
    if (w.by == "town" || w.by == "grid")
      for (const auto& g : county.data().grids) grids[g.code] = &g;
    for (const auto& [key, m] : groups) {
      json row = {{"key", key.empty() ? json(nullptr) : json(key)}};
      if (w.by == "agency") {
        const layers::Agency* a = county.agencies().find(key);
        row["name"] = a ? json(a->name) : json(nullptr);
        row["level"] = a ? json(a->level) : json(nullptr);
      } else if (w.by == "town" || w.by == "grid") {
        const auto it = grids.find(key);
        row["name"] = it == grids.end() ? json(nullptr) : json(it->second->name);
      } else {
        const auto it = workers.find(key);
        const layers::Worker* wk = it == workers.end() ? nullptr : it->second;
        row["grid_code"] = wk ? json(wk->grid_code) : json(nullptr);
        if (wk && auth::may_read(viewer, layers::LayerKind::Workers, "name", wk->grid_code)) {
          row["name"] = wk->name;
          named.push_back(wk->fid);
        } else {
          row["name"] = nullptr;
        }
      }
      row["total"] = m.total;
      row["loop"] = loop_json(m);
      items.push_back(std::move(row));
    }
  }
  if (!named.empty()) {
    layers::AuditRecord r;
    r.actor = c.user->id;
    r.role = c.user->role;
    r.action = "read_personal";
    r.layer = std::string(layers::layer_name(layers::LayerKind::Workers));
    r.records = layers::json_text(json(named));
    r.fields = layers::json_text(json::array({"name"}));
    r.peer = std::string(c.request.peer);
    r.request_id = std::string(c.request_id);
    county.audit({std::move(r)});
  }
  return no_store_json(200, {{"by", w.by},
                             {"area", w.area},
                             {"from", time_or_null(w.from)},
                             {"to", time_or_null(w.to)},
                             {"groups", std::move(items)}});
}

}  // namespace

void add_joint_routes(http::Router& router, const std::shared_ptr<layers::County>& county,
                      const std::shared_ptr<const auth::ReadPolicy>& policy) {
  auto add = [&](std::string method, std::string pattern, http::Lane lane, http::Audience audience,
                 std::vector<std::string> roles, std::vector<std::string> parameters,
                 http::Handler handler) {
    http::Route r;
    r.methods = {std::move(method)};
    r.pattern = std::move(pattern);
    r.lane = lane;
    r.audience = audience;
    r.roles = std::move(roles);
    r.parameters = std::move(parameters);
    r.handler = std::move(handler);
    router.add(std::move(r));
  };
  using http::Audience;
  using http::Lane;
  const std::vector<std::string> coordinators = {"admin", "centre"};
  add("GET", "/agencies", Lane::Read, Audience::Public, {}, {"level", "area"},
      [county](Context& c) { return list_agencies(*county, c); });
  add("POST", "/incidents/{id}/joint", Lane::Write, Audience::Roles, coordinators, {},
      [county](Context& c) {
        const int64_t fid = positive(c, "id", "incident");
        const layers::Incident in = county->make_joint(
            fid, read_joint_request(c.request.body, std::string(c.request.header("if-match"))),
            *c.user);
        return case_answer(*county, in);
      });
  add("POST", "/incidents/{id}/summons", Lane::Write, Audience::Roles, coordinators, {},
      [county](Context& c) {
        const int64_t fid = positive(c, "id", "incident");
        const layers::Incident in = county->summon(
            fid, read_summons_request(c.request.body, std::string(c.request.header("if-match"))),
            *c.user);
        return case_answer(*county, in);
      });
  add("GET", "/incidents/{id}/tasks", Lane::Read, Audience::Signed, {}, {},
      [county, policy](Context& c) { return list_tasks(*county, *policy, c); });
  add("POST", "/incidents/{id}/tasks/{seq}/actions", Lane::Write, Audience::Signed, {}, {},
      [county](Context& c) {
        const int64_t fid = positive(c, "id", "incident");
        const int64_t seq = positive(c, "seq", "task");
        const layers::Incident in = county->act_on_task(
            fid, seq, read_task_request(c.request.body, std::string(c.request.header("if-match"))),
            *c.user);
        return case_answer(*county, in);
      });
  add("GET", "/stats/agencies", Lane::Query, Audience::Roles, coordinators, {"area", "from", "to"},
      [county](Context& c) { return agency_stats(*county, c); });
  add("GET", "/stats/loop", Lane::Query, Audience::Roles, coordinators,
      {"area", "from", "to", "by"},
      [county, policy](Context& c) { return loop_stats(*county, *policy, c); });
}

}  // namespace onemap::api
