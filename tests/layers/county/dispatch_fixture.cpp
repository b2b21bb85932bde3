// The county's dispatch tests' fixture (dispatch_fixture.hpp).
#include "tests/layers/county/dispatch_fixture.hpp"

#include "spatial/crs.hpp"

#include <stdexcept>

namespace onemap::testing {

using namespace onemap::layers;

WorkingCalendar test_calendar() {
  return WorkingCalendar::from_json(
      R"({"utc_offset": "+08:00", "hours": [["08:30", "12:00"], ["13:30", "17:30"]],
      "weekdays": [1, 2, 3, 4, 5], "holidays": ["2026-10-01", "2026-10-02"], "workdays": ["2026-10-10"]})");
}

DispatchConfig test_config(int cap) {
  DispatchConfig c;
  auto cat = [&](const char* code, const char* handler, const char* deadline,
                 std::vector<WorkerRole> roles) {
    CategoryConfig k;
    k.code = code;
    k.name_zh = std::string("类") + code;
    k.name_en = std::string("category ") + code;
    k.cls = "test";
    k.handler = handler;
    k.deadline = Deadline::parse(deadline, "deadline");
    k.roles = std::move(roles);
    c.categories.push_back(k);
  };
  cat("0101", "grid", "2wh", {WorkerRole::FullTime, WorkerRole::PartTime});
  cat("0701", "grid", "1wd", {WorkerRole::GridHead, WorkerRole::Cadre});
  cat("0501", "消防", "1h", {});
  c.calendar = test_calendar();
  c.workload_cap = cap;
  c.escalation_working_hours = 4;
  return c;
}

Actor actor(const std::string& id, const std::string& role, const std::string& scope) {
  Actor a;
  a.id = id;
  a.role = role;
  a.scope = scope;
  return a;
}

Actor worker_actor(const County& c, const std::string& id) {
  for (const auto& w : c.data().workers)
    if (w.worker_id == id) {
      User u;
      u.id = "user-" + id;
      u.role = "worker";
      u.worker_id = id;
      return Actor::of(u, &w);
    }
  throw std::logic_error("no worker " + id);
}

bool in_workload(const Incident& in) {
  return in.status == "dispatched" || in.status == "accepted" || in.status == "in_progress";
}

void Dispatch::open(int cap, std::vector<AgencyConfig> agencies) {
  cap_ = cap;
  DispatchConfig config = test_config(cap);
  config.agencies = std::move(agencies);
  CountyFixture::open(
      [](const std::string& dir) {
        Dataset d = dispatch_county();
        d.workers.push_back(
            team_member("FT9", WorkerRole::FullTime, 120.30, 30.10, true, "330521002001001"));
        return write_store(dir, d);
      },
      std::move(config));
}

Incident Dispatch::intake(double lon, double lat, const char* category, int64_t now) {
  Incident in;
  in.location = {lon, lat};
  in.category = category;
  in.description = "test";
  return county_->intake(in, reporter_, now);
}

std::string Dispatch::oracle_worker(const Incident& in, const char* category) const {
  const auto cfg = test_config(cap_);
  const CategoryConfig* cat = cfg.find(category);
  std::string best;
  double best_d = 1e18;
  for (const auto& w : county_->data().workers) {
    if (w.grid_code != in.join.grid_code || !w.on_duty || !cat->role_allowed(w.role)) continue;
    int load = 0;
    for (const auto& i : county_->data().incidents)
      if (i.fid != in.fid && i.assignee == w.worker_id && in_workload(i)) ++load;
    if (load >= cap_) continue;
    const double d = spatial::distance_m(w.location, in.location);
    if (d < best_d) {
      best_d = d;
      best = w.worker_id;
    }
  }
  return best;
}

std::vector<int64_t> Dispatch::nine_waiting() {
  std::vector<int64_t> fids;
  for (int k = 0; k < 9; ++k) {
    Incident in;
    in.location = {120.005 + 0.005 * k, 30.02 + 0.017 * k};
    in.category = k % 3 == 2 ? "0701" : "0101";
    fids.push_back(county_->create_incident(in, admin_).fid);
  }
  return fids;
}

}  // namespace onemap::testing
