// The test counties (county.hpp).
#include "tests/support/county.hpp"

#include "layers/store/store.hpp"

#include <fstream>
#include <random>
#include <string>

namespace onemap::testing {

std::string source_data(const std::string& name) {
  return std::string(ONEMAP_SOURCE_DIR) + "/data/" + name;
}

nlohmann::json source_data_json(const std::string& name) {
  std::ifstream in(source_data(name));
  return nlohmann::json::parse(in);
}

spatial::MultiPolygon rectangle(double x0, double y0, double x1, double y1) {
  spatial::Polygon p;
  // counter-clockwise, closed
  p.outer() = {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}};
  return {p};
}

layers::Dataset small_county() {
  layers::Dataset d;
  auto grid = [&](const std::string& code, layers::GridLevel level, std::string parent, double x0,
                  double x1) {
    layers::Grid g;
    g.code = code;
    g.name = "area " + code;
    g.level = level;
    g.parent_code = std::move(parent);
    g.geometry = rectangle(x0, 30.0, x1, 30.2);
    g.area_m2 = (x1 - x0) * 96000.0 * 22200.0;
    g.synthetic = true;
    d.grids.push_back(std::move(g));
  };
  grid("330521", layers::GridLevel::County, "", 120.0, 120.4);
  for (int t = 0; t < 2; ++t) {
    const std::string town = "33052100" + std::to_string(t + 1);
    grid(town, layers::GridLevel::Town, "330521", 120.0 + 0.2 * t, 120.2 + 0.2 * t);
    for (int v = 0; v < 2; ++v) {
      const std::string village = town + "00" + std::to_string(v + 1);
      const double vx = 120.0 + 0.2 * t + 0.1 * v;
      grid(village, layers::GridLevel::Village, town, vx, vx + 0.1);
      for (int g = 0; g < 2; ++g)
        grid(village + "00" + std::to_string(g + 1), layers::GridLevel::Grid, village,
             vx + 0.05 * g, vx + 0.05 * (g + 1));
    }
  }
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> lon(119.95, 120.45), lat(29.98, 30.25);
  // n records of a point layer: `fill` writes record i (and its number as text), then it gets a
  // random place in and around the county.
  auto points = [&](auto& layer, int n, auto&& fill) {
    for (int i = 0; i < n; ++i) {
      auto& r = layer.emplace_back();
      fill(r, i, std::to_string(i));
      r.location = {lon(rng), lat(rng)};
    }
  };
  points(d.households, 37, [](layers::Household& h, int i, const std::string& n) {
    h.id = "H" + n;
    h.address = "地址 " + n;
    h.members = 1 + i % 5;
    h.flags = (i % 3 == 0) ? layers::kRental | layers::kLowIncome : 0;
    h.head_name = "张三";
    h.phone = "13800000000";
    h.id_number = "330521199001010000";
  });
  points(d.enterprises, 5, [](layers::Enterprise& e, int, const std::string& n) {
    e.id = "E" + n;
    e.name = "企业 " + n;
    e.industry = "chemicals";
    e.risk = layers::RiskLevel::General;
  });
  points(d.incidents, 11, [](layers::Incident& in, int i, const std::string& n) {
    in.id = "I" + n;
    in.category = "0101";
    in.source = "hotline_12345";
    in.status = "reported";
    in.reported_at = 1760000000 + i * 3600;
  });
  points(d.workers, 3, [](layers::Worker& w, int, const std::string& n) {
    w.worker_id = "W" + n;
    w.name = "李四";
    w.role = layers::WorkerRole::FullTime;
    w.grid_code = kTeamGrid;
  });
  return d;
}

layers::Worker team_member(const char* id, layers::WorkerRole role, double lon, double lat,
                           bool on_duty, const char* grid) {
  layers::Worker w;
  w.worker_id = id;
  w.name = id;
  w.role = role;
  w.grid_code = grid;
  w.location = {lon, lat};
  w.on_duty = on_duty;
  return w;
}

layers::Dataset dispatch_county() {
  layers::Dataset d = small_county();
  d.incidents.clear();
  d.workers = {team_member("HEAD", layers::WorkerRole::GridHead, 120.010, 30.10),
               team_member("FT1", layers::WorkerRole::FullTime, 120.020, 30.10),
               team_member("FT2", layers::WorkerRole::FullTime, 120.040, 30.10),
               team_member("PT", layers::WorkerRole::PartTime, 120.030, 30.15, false),
               team_member("AUX", layers::WorkerRole::AuxPolice, 120.034, 30.10)};
  return d;
}

std::string write_store(const std::string& dir, layers::Dataset d, const std::string& name) {
  std::string path = dir + "/" + name;
  layers::open_store(path, true)->replace_all(d);
  return path;
}

std::string write_small_county(const std::string& dir) {
  return write_store(dir, small_county());
}

std::string write_dispatch_county(const std::string& dir) {
  return write_store(dir, dispatch_county());
}

layers::User make_user(const std::string& id, const std::string& role, const std::string& scope,
                       const std::string& worker_id) {
  layers::User u;
  u.id = id;
  u.role = role;
  u.scope = scope;
  u.worker_id = worker_id;
  return u;
}

}  // namespace onemap::testing
