// The demo county generator (tools/demo/demo.hpp), checked against independent computations: the
// division list read here from data/deqing/divisions.csv, the outline read here with a JSON parser
// (not GDAL) and converted back with the forward GCJ-02 function, unions of children computed
// with GEOS, brute-force point-in-polygon against the county, the ID check digit recomputed.
// Builds use a small scale (households, enterprises and incidents × 0.05) to stay fast.
#include "tools/demo/demo.hpp"
#include "tools/demo/demo_layers.hpp"
#include "tools/demo/demo_trails.hpp"

#include "core/errors.hpp"
#include "layers/county/county.hpp"
#include "spatial/chinacrs.hpp"
#include "spatial/crs.hpp"
#include "spatial/geos_ops.hpp"
#include "spatial/predicates.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

using namespace onemap;
using namespace onemap::layers;

namespace {

const std::string kDataDir = std::string(ONEMAP_SOURCE_DIR) + "/data";

// 2026-11-26 00:00 in UTC+8, computed from the calendar: 20,783 days after 1970-01-01.
constexpr int64_t kEndTime = 20783LL * 86400 - 8 * 3600;
constexpr int64_t kWindow = 365LL * 86400;

DemoOptions small_options(uint64_t seed = 7) {
  DemoOptions o;
  o.data_dir = kDataDir;
  o.seed = seed;
  o.end_time = kEndTime;
  o.scale = 0.05;          // 7,500 households, 2,500 incidents
  o.enterprises = 40000;   // × 0.05 = 2,000 enterprises, for the risk distribution
  o.target_grids = 12000;  // × 0.05 = 600 grids, the full-scale grid count
  return o;
}

struct DivisionRow {
  std::string code, name, level, parent;
};

std::vector<DivisionRow> read_divisions() {
  std::ifstream in(kDataDir + "/deqing/divisions.csv");
  std::vector<DivisionRow> rows;
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (header) {
      header = false;
      continue;
    }
    std::stringstream ss(line);
    DivisionRow r;
    std::getline(ss, r.code, ',');
    std::getline(ss, r.name, ',');
    std::getline(ss, r.level, ',');
    std::getline(ss, r.parent, ',');
    rows.push_back(r);
  }
  return rows;
}

bool same_geometry(const MultiPolygon& a, const MultiPolygon& b) {
  if (a.size() != b.size()) return false;
  auto same_ring = [](const spatial::Ring& x, const spatial::Ring& y) {
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (x[i].x() != y[i].x() || x[i].y() != y[i].y()) return false;
    return true;
  };
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!same_ring(a[i].outer(), b[i].outer())) return false;
    if (a[i].inners().size() != b[i].inners().size()) return false;
    for (std::size_t j = 0; j < a[i].inners().size(); ++j)
      if (!same_ring(a[i].inners()[j], b[i].inners()[j])) return false;
  }
  return true;
}

bool same_join(const GridJoin& a, const GridJoin& b) {
  return a.grid_code == b.grid_code && a.kind == b.kind && a.distance_m == b.distance_m;
}

/// Empty when the datasets are identical, else where they first differ.
std::string first_difference(const Dataset& a, const Dataset& b) {
  for (LayerKind k : kAllLayers)
    if (a.count(k) != b.count(k)) return std::string(layer_name(k)) + " count";
  for (std::size_t i = 0; i < a.grids.size(); ++i) {
    const auto &x = a.grids[i], &y = b.grids[i];
    if (x.code != y.code || x.name != y.name || x.level != y.level ||
        x.parent_code != y.parent_code || x.area_m2 != y.area_m2 || x.synthetic != y.synthetic ||
        x.fid != y.fid || !same_geometry(x.geometry, y.geometry))
      return "grid " + std::to_string(i) + " " + x.code;
  }
  for (std::size_t i = 0; i < a.households.size(); ++i) {
    const auto &x = a.households[i], &y = b.households[i];
    if (x.id != y.id || x.address != y.address || x.members != y.members || x.flags != y.flags ||
        !(x.location == y.location) || !same_join(x.join, y.join) || x.extra != y.extra ||
        x.head_name != y.head_name || x.phone != y.phone || x.id_number != y.id_number)
      return "household " + std::to_string(i);
  }
  for (std::size_t i = 0; i < a.enterprises.size(); ++i) {
    const auto &x = a.enterprises[i], &y = b.enterprises[i];
    if (x.id != y.id || x.name != y.name || x.industry != y.industry || x.risk != y.risk ||
        x.hazardous_chemicals != y.hazardous_chemicals || x.last_inspection != y.last_inspection ||
        x.open_hazards != y.open_hazards || !(x.location == y.location) ||
        !same_join(x.join, y.join))
      return "enterprise " + std::to_string(i);
  }
  for (std::size_t i = 0; i < a.incidents.size(); ++i) {
    const auto &x = a.incidents[i], &y = b.incidents[i];
    if (x.id != y.id || x.category != y.category || x.description != y.description ||
        x.source != y.source || x.reported_at != y.reported_at || x.status != y.status ||
        x.closed_at != y.closed_at || x.assignee != y.assignee || !(x.location == y.location) ||
        !same_join(x.join, y.join))
      return "incident " + std::to_string(i);
  }
  for (std::size_t i = 0; i < a.workers.size(); ++i) {
    const auto &x = a.workers[i], &y = b.workers[i];
    if (x.worker_id != y.worker_id || x.name != y.name || x.role != y.role ||
        x.grid_code != y.grid_code || !(x.location == y.location) || x.on_duty != y.on_duty ||
        !same_join(x.join, y.join))
      return "worker " + std::to_string(i);
  }
  return {};
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

class DemoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = new Dataset(build_demo(small_options()));
    for (const auto& g : data_->grids) by_code_[g.code] = &g;
  }
  static void TearDownTestSuite() {
    delete data_;
    data_ = nullptr;
    by_code_.clear();
  }
  static const Grid& county() {
    for (const auto& g : data_->grids)
      if (g.level == GridLevel::County) return g;
    throw std::logic_error("no county");
  }
  static std::vector<const Grid*> level(GridLevel l) {
    std::vector<const Grid*> out;
    for (const auto& g : data_->grids)
      if (g.level == l) out.push_back(&g);
    return out;
  }

  static Dataset* data_;
  static std::map<std::string, const Grid*> by_code_;
};

Dataset* DemoTest::data_ = nullptr;
std::map<std::string, const Grid*> DemoTest::by_code_;

TEST_F(DemoTest, SameSeedAndEndGiveIdenticalData) {
  Dataset again = build_demo(small_options());
  EXPECT_EQ(first_difference(*data_, again), "");
}

TEST_F(DemoTest, DifferentSeedGivesDifferentData) {
  Dataset other = build_demo(small_options(8));
  // Same real divisions, different synthetic content.
  ASSERT_FALSE(other.households.empty());
  std::size_t same_location = 0;
  for (std::size_t i = 0; i < std::min(other.households.size(), data_->households.size()); ++i)
    same_location += other.households[i].location == data_->households[i].location;
  EXPECT_EQ(same_location, 0u);
  std::size_t towns_equal = 0;
  for (const auto& g : other.grids)
    if (g.level == GridLevel::Town && by_code_.count(g.code))
      towns_equal += same_geometry(g.geometry, by_code_[g.code]->geometry);
  EXPECT_EQ(towns_equal, 0u);
  EXPECT_NE(first_difference(*data_, other), "");
}

TEST_F(DemoTest, EveryRealDivisionOnceWithItsCodeAndName) {
  const auto rows = read_divisions();
  std::size_t towns = 0, villages = 0;
  for (const auto& r : rows) {
    if (r.level == "town") ++towns;
    if (r.level == "village") ++villages;
  }
  ASSERT_EQ(towns, 13u);
  ASSERT_EQ(villages, 177u);
  std::map<std::string, int> seen;
  for (const auto& g : data_->grids) ++seen[g.code];
  for (const auto& r : rows) {
    SCOPED_TRACE(r.code + " " + r.name);
    ASSERT_EQ(seen[r.code], 1);
    const Grid& g = *by_code_[r.code];
    EXPECT_EQ(g.name, r.name);
    if (r.level == "county") {
      EXPECT_EQ(g.level, GridLevel::County);
      EXPECT_EQ(g.parent_code, "");
      EXPECT_FALSE(g.synthetic);  // the real outline
    } else {
      EXPECT_EQ(g.level, r.level == "town" ? GridLevel::Town : GridLevel::Village);
      EXPECT_EQ(g.parent_code, r.parent);
      EXPECT_TRUE(g.synthetic);
    }
  }
  // Nothing else above grid level.
  EXPECT_EQ(level(GridLevel::County).size(), 1u);
  EXPECT_EQ(level(GridLevel::Town).size(), towns);
  EXPECT_EQ(level(GridLevel::Village).size(), villages);
}

TEST_F(DemoTest, GridCodesFollowTheVillageAndTheNumberingRule) {
  const auto grids = level(GridLevel::Grid);
  // target_grids × scale = 600; villages with few households still get one grid each.
  EXPECT_GE(grids.size(), 500u);
  EXPECT_LE(grids.size(), 720u);
  std::map<std::string, std::vector<const Grid*>> by_village;
  for (const Grid* g : grids) {
    SCOPED_TRACE(g->code);
    ASSERT_EQ(g->code.size(), 15u);
    ASSERT_TRUE(all_digits(g->code));
    ASSERT_EQ(g->code.substr(0, 12), g->parent_code);
    ASSERT_TRUE(by_code_.count(g->parent_code));
    EXPECT_EQ(by_code_[g->parent_code]->level, GridLevel::Village);
    EXPECT_TRUE(g->synthetic);
    by_village[g->parent_code].push_back(g);
  }
  EXPECT_EQ(by_village.size(), level(GridLevel::Village).size());  // every village has grids
  for (auto& [village, members] : by_village) {
    SCOPED_TRACE(village);
    std::sort(members.begin(), members.end(),
              [](const Grid* a, const Grid* b) { return a->code < b->code; });
    // Sequence 001..k without holes, name "<village>第N网格".
    for (std::size_t i = 0; i < members.size(); ++i) {
      EXPECT_EQ(std::stoi(members[i]->code.substr(12)), static_cast<int>(i + 1));
      EXPECT_NE(members[i]->name.find("第" + std::to_string(i + 1) + "网格"), std::string::npos)
          << members[i]->name;
    }
    // The documented rule: r = max(1, round(sqrt(k))) rows of centroids sorted north first, the
    // first k mod r rows one longer; west to east inside a row.
    const std::size_t k = members.size();
    std::vector<std::pair<spatial::Point, const Grid*>> cells;
    for (const Grid* g : members) cells.push_back({spatial::centroid(g->geometry), g});
    std::sort(cells.begin(), cells.end(), [](const auto& a, const auto& b) {
      return a.first.y() != b.first.y() ? a.first.y() > b.first.y() : a.first.x() < b.first.x();
    });
    const std::size_t rows =
        std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(std::sqrt(double(k)))));
    std::vector<const Grid*> expected;
    std::size_t pos = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t len = k / rows + (r < k % rows ? 1 : 0);
      std::vector<std::pair<spatial::Point, const Grid*>> row(cells.begin() + pos,
                                                              cells.begin() + pos + len);
      pos += len;
      std::sort(row.begin(), row.end(), [](const auto& a, const auto& b) {
        return a.first.x() != b.first.x() ? a.first.x() < b.first.x() : a.first.y() > b.first.y();
      });
      for (const auto& c : row) expected.push_back(c.second);
    }
    EXPECT_EQ(expected, members);
  }
}

TEST_F(DemoTest, ChildrenTileTheirParent) {
  std::map<std::string, std::vector<const Grid*>> children;
  for (const auto& g : data_->grids)
    if (!g.parent_code.empty()) children[g.parent_code].push_back(&g);
  ASSERT_EQ(children.size(), 1u + 13u + 177u);
  for (const auto& [parent_code, kids] : children) {
    SCOPED_TRACE(parent_code);
    ASSERT_TRUE(by_code_.count(parent_code));
    const Grid& parent = *by_code_[parent_code];
    const double parent_area = spatial::area_m2(parent.geometry);
    EXPECT_NEAR(parent.area_m2, parent_area, parent_area * 1e-9);
    double sum = 0;
    std::vector<MultiPolygon> parts;
    for (const Grid* k : kids) {
      EXPECT_GT(k->area_m2, 0) << k->code;
      sum += k->area_m2;
      parts.push_back(k->geometry);
    }
    const double union_area = spatial::area_m2(spatial::union_all(parts));
    // No gaps: the union covers the parent; no overlaps: the parts add up to the union.
    EXPECT_NEAR(union_area, parent_area, parent_area * 0.005);
    EXPECT_NEAR(sum, parent_area, parent_area * 0.005);
    EXPECT_NEAR(sum, union_area, union_area * 0.005);
  }
  // The county is Deqing's ~938 km².
  EXPECT_NEAR(county().area_m2 / 1e6, 938, 938 * 0.05);
}

TEST_F(DemoTest, HouseholdsInsideTheCountyAndJoined) {
  const Grid& c = county();
  ASSERT_EQ(data_->households.size(), 7500u);
  std::set<std::string> ids;
  for (const auto& h : data_->households) {
    ASSERT_TRUE(spatial::multipolygon_contains(c.geometry, spatial::to_point(h.location)))
        << h.id << " " << h.location.lon << " " << h.location.lat;
    EXPECT_NE(h.join.kind, JoinKind::Unassigned) << h.id;
    EXPECT_TRUE(ids.insert(h.id).second) << h.id;
    EXPECT_EQ(h.id.size(), 9u);
    EXPECT_EQ(h.id[0], 'H');
    EXPECT_GE(h.members, 1);
    EXPECT_LE(h.members, 6);
    // Synthetic personal data: phone in the 199 block, ID number with a valid check character.
    EXPECT_EQ(h.phone.size(), 11u);
    EXPECT_EQ(h.phone.substr(0, 3), "199");
    ASSERT_EQ(h.id_number.size(), 18u);
    EXPECT_EQ(h.id_number.substr(0, 6), "330521");
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; ++i) sum += (h.id_number[static_cast<std::size_t>(i)] - '0') * w[i];
    EXPECT_EQ(h.id_number[17], "10X98765432"[sum % 11]) << h.id_number;
    EXPECT_FALSE(h.head_name.empty());
  }
  // Uneven density: on 1 km squares, the busiest tenth of the occupied squares holds a much
  // larger share of the households than it does for as many points spread uniformly over the
  // county (sampled here).
  auto top_tenth_share = [](const std::vector<LonLat>& pts) {
    std::map<std::pair<long, long>, std::size_t> per_square;
    for (const auto& p : pts)
      ++per_square[{std::lround(std::floor(p.lon / 0.0104)),
                    std::lround(std::floor(p.lat / 0.009))}];
    std::vector<std::size_t> counts;
    for (const auto& [square, n] : per_square) counts.push_back(n);
    std::sort(counts.rbegin(), counts.rend());
    std::size_t top = 0;
    for (std::size_t i = 0; i < counts.size() / 10; ++i) top += counts[i];
    return double(top) / double(pts.size());
  };
  std::vector<LonLat> demo_pts, uniform_pts;
  for (const auto& h : data_->households) demo_pts.push_back(h.location);
  const spatial::Box box = spatial::envelope(c.geometry);
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> ux(box.min_corner().x(), box.max_corner().x()),
      uy(box.min_corner().y(), box.max_corner().y());
  while (uniform_pts.size() < demo_pts.size()) {
    const spatial::Point p(ux(rng), uy(rng));
    if (spatial::multipolygon_contains(c.geometry, p)) uniform_pts.push_back({p.x(), p.y()});
  }
  const double demo_share = top_tenth_share(demo_pts), uniform_share = top_tenth_share(uniform_pts);
  EXPECT_GT(demo_share, 1.5 * uniform_share) << demo_share << " vs uniform " << uniform_share;
  // The county seat is denser than any other town.
  std::map<std::string, std::size_t> per_town;
  for (const auto& h : data_->households) ++per_town[h.join.grid_code.substr(0, 9)];
  const double seat = double(per_town["330521001"]) / by_code_["330521001"]->area_m2;
  for (const auto& [town, n] : per_town) {
    if (town == "330521001") continue;
    EXPECT_GT(seat, double(n) / by_code_[town]->area_m2) << town;
  }
}

TEST_F(DemoTest, IncidentsWithinTheTwelveMonthWindow) {
  ASSERT_EQ(data_->incidents.size(), 2500u);
  std::set<std::string> ids;
  std::size_t old_total = 0, old_closed = 0;
  for (const auto& i : data_->incidents) {
    SCOPED_TRACE(i.id);
    EXPECT_GE(i.reported_at, kEndTime - kWindow);
    EXPECT_LT(i.reported_at, kEndTime);
    EXPECT_TRUE(ids.insert(i.id).second);
    ASSERT_EQ(i.id.size(), 12u);  // E + year + 7 digits
    EXPECT_EQ(i.id[0], 'E');
    EXPECT_TRUE(i.id.substr(1, 4) == "2025" || i.id.substr(1, 4) == "2026");
    if (i.status == "closed") {
      EXPECT_GT(i.closed_at, i.reported_at);
      EXPECT_LE(i.closed_at, kEndTime);
    } else {
      EXPECT_EQ(i.closed_at, 0);
    }
    if (kEndTime - i.reported_at > 30 * 86400) {
      ++old_total;
      old_closed += i.status == "closed";
    }
    EXPECT_FALSE(i.category.empty());
    EXPECT_NE(i.join.kind, JoinKind::Unassigned);
  }
  ASSERT_GT(old_total, 1000u);
  const double closed = double(old_closed) / double(old_total);
  // A working county: hardly anything older than a month is still open (the seeds' 有效率 is
  // near 100 %), but not nothing.
  EXPECT_GT(closed, 0.99);
  EXPECT_LT(closed, 1.0);
}

// Each incident's trail, replayed through the loop's own transitions (workflow.hpp), leads from
// its report to its status, step by step, before the end of the demo's year; a closed one's ends
// with its close. With the trails, every stage of the loop has a median.
TEST_F(DemoTest, EachIncidentsTrailLeadsToItsStatusThroughTheLoopsTransitions) {
  Dataset d = *data_;
  for (std::size_t i = 0; i < d.incidents.size(); ++i)
    d.incidents[i].fid = static_cast<int64_t>(i + 1);  // as Store::replace_all numbers them
  const std::vector<IncidentEvent> trails = build_demo_trails(d, kEndTime, 7);
  std::map<int64_t, std::vector<const IncidentEvent*>> by_incident;
  for (const auto& e : trails) by_incident[e.incident].push_back(&e);
  ASSERT_EQ(by_incident.size(), d.incidents.size());
  LoopMetrics m;
  for (const auto& in : d.incidents) {
    SCOPED_TRACE(in.id);
    const auto& trail = by_incident.at(in.fid);
    ASSERT_EQ(trail.front()->action, "report");
    EXPECT_EQ(trail.front()->at, in.reported_at);
    std::string state = trail.front()->to;
    int64_t at = in.reported_at;
    for (std::size_t k = 0; k < trail.size(); ++k) {
      const IncidentEvent& e = *trail[k];
      EXPECT_EQ(e.seq, static_cast<int64_t>(k + 1));
      EXPECT_GE(e.at, at);
      EXPECT_LE(e.at, kEndTime);
      at = e.at;
      if (k == 0) continue;
      EXPECT_EQ(e.from, state);
      const auto next = next_state(state, action_from_name(e.action));
      ASSERT_TRUE(next) << e.action << " from " << state;
      EXPECT_EQ(*next, e.to);
      state = e.to;
    }
    EXPECT_EQ(state, in.status);
    if (in.status == "closed") EXPECT_EQ(trail.back()->at, in.closed_at);
    std::vector<IncidentEvent> copy;
    for (const auto* e : trail) copy.push_back(*e);
    m.add(in, kEndTime, copy);
  }
  m.finish();
  for (std::size_t k = 0; k < m.kStages.size(); ++k)
    EXPECT_TRUE(m.median_stage_hours[k]) << m.kStages[k];
  // Deterministic for a seed.
  const auto again = build_demo_trails(d, kEndTime, 7);
  ASSERT_EQ(again.size(), trails.size());
  for (std::size_t i = 0; i < trails.size(); ++i)
    EXPECT_TRUE(again[i].at == trails[i].at && again[i].action == trails[i].action) << i;
}

TEST_F(DemoTest, RiskLevelsCloseToTheTargets) {
  const auto& e = data_->enterprises;
  ASSERT_EQ(e.size(), 2000u);
  const std::map<RiskLevel, double> target = {{RiskLevel::Major, 0.02},
                                              {RiskLevel::Significant, 0.08},
                                              {RiskLevel::General, 0.30},
                                              {RiskLevel::Low, 0.60}};
  std::map<RiskLevel, std::size_t> count;
  std::size_t chem_major = 0, chem_low = 0, major = 0, low = 0;
  for (const auto& x : e) {
    ++count[x.risk];
    if (x.risk == RiskLevel::Major) {
      ++major;
      chem_major += x.hazardous_chemicals;
    }
    if (x.risk == RiskLevel::Low) {
      ++low;
      chem_low += x.hazardous_chemicals;
    }
    EXPECT_GE(x.open_hazards, 0);
    EXPECT_LE(x.open_hazards, 5);
    EXPECT_EQ(x.last_inspection.size(), 10u);
    EXPECT_LT(x.last_inspection, "2026-11-26");
    EXPECT_GE(x.last_inspection, "2025-05-26");  // 18 months
  }
  const double n = double(e.size());
  for (const auto& [risk, p] : target) {
    const double tolerance = 4 * std::sqrt(p * (1 - p) / n);
    EXPECT_NEAR(double(count[risk]) / n, p, tolerance) << risk_name(risk);
  }
  // Hazardous chemicals concentrate in the high-risk levels.
  ASSERT_GT(major, 0u);
  EXPECT_GT(double(chem_major) / double(major), 3 * double(chem_low) / double(low));
}

TEST_F(DemoTest, GridTeamsOfOnePlusThreePlusN) {
  const auto grids = level(GridLevel::Grid);
  std::map<std::string, std::map<WorkerRole, int>> roles;
  std::set<std::string> ids;
  for (const auto& w : data_->workers) {
    SCOPED_TRACE(w.worker_id);
    ASSERT_TRUE(by_code_.count(w.grid_code));
    const Grid& g = *by_code_[w.grid_code];
    EXPECT_TRUE(spatial::multipolygon_contains(g.geometry, spatial::to_point(w.location)));
    EXPECT_EQ(w.join.grid_code, w.grid_code);
    EXPECT_EQ(w.worker_id.substr(0, 10), "W" + w.grid_code.substr(6));
    EXPECT_TRUE(ids.insert(w.worker_id).second);
    ++roles[w.grid_code][w.role];
  }
  EXPECT_EQ(roles.size(), grids.size());
  for (const auto& [code, r] : roles) {
    SCOPED_TRACE(code);
    EXPECT_EQ(r.at(WorkerRole::GridHead), 1);
    EXPECT_EQ(r.at(WorkerRole::FullTime), 1);
    EXPECT_EQ(r.at(WorkerRole::AuxPolice), 1);
  }
  // About four per grid (2,400 for 600 grids).
  EXPECT_NEAR(double(data_->workers.size()) / double(grids.size()), 4.0, 0.25);
}

TEST_F(DemoTest, OutlineConvertedFromGcj02) {
  std::ifstream in(kDataDir + "/deqing/deqing_county_gcj02.geojson");
  const auto doc = nlohmann::json::parse(in);
  const auto& coords = doc["features"][0]["geometry"]["coordinates"];
  ASSERT_EQ(coords.size(), 1u);  // one polygon, one ring, in this file
  std::vector<LonLat> gcj;
  for (const auto& p : coords[0][0]) gcj.push_back({p[0].get<double>(), p[1].get<double>()});
  const Grid& c = county();
  ASSERT_EQ(c.geometry.size(), 1u);
  const auto& ring = c.geometry[0].outer();
  ASSERT_EQ(ring.size(), gcj.size());
  // Ring order is kept or reversed (orientation fixed to counter-clockwise).
  auto matches = [&](bool reversed) {
    for (std::size_t i = 0; i < ring.size(); ++i) {
      const LonLat in_gcj = gcj[reversed ? gcj.size() - 1 - i : i];
      const LonLat back = spatial::wgs84_to_gcj02({ring[i].x(), ring[i].y()});
      if (std::abs(back.lon - in_gcj.lon) > 1e-6 || std::abs(back.lat - in_gcj.lat) > 1e-6)
        return false;
    }
    return true;
  };
  const bool forward = matches(false);
  ASSERT_TRUE(forward || matches(true));
  double sum = 0, lo = 1e9, hi = 0;
  for (std::size_t i = 0; i < ring.size(); ++i) {
    const LonLat in_gcj = gcj[forward ? i : gcj.size() - 1 - i];
    const double d = spatial::distance_m({ring[i].x(), ring[i].y()}, in_gcj);
    sum += d;
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  // GCJ-02 shifts Deqing by roughly half a kilometre.
  EXPECT_GT(lo, 300);
  EXPECT_LT(hi, 800);
  EXPECT_NEAR(sum / double(ring.size()), 500, 150);
}

TEST(DemoInputs, MissingDataDirectoryIsReported) {
  DemoOptions o = small_options();
  o.data_dir = "/nonexistent/onemap-data";
  try {
    build_demo(o);
    FAIL() << "expected onemap::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("deqing_county_gcj02.geojson not found"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("/nonexistent/onemap-data/deqing"), std::string::npos)
        << e.what();
  }
}

TEST(DemoInputs, BadScaleIsRejected) {
  DemoOptions o = small_options();
  o.scale = 0;
  try {
    build_demo(o);
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.parameter(), "scale");
  }
}

}  // namespace

namespace {

TEST_F(DemoTest, TheCountysOwnLayersLieInTheCountyDeterministicAndJoined) {
  const auto layers = build_demo_layers(*data_, 7);
  const auto again = build_demo_layers(*data_, 7);
  ASSERT_EQ(layers.size(), 5u);
  std::set<std::string> names;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    names.insert(layers[i].def.name);
    EXPECT_EQ(definition_json(layers[i].def), definition_json(again[i].def));
    ASSERT_EQ(layers[i].features.size(), again[i].features.size());
    for (std::size_t k = 0; k < layers[i].features.size(); ++k)
      EXPECT_EQ(layers[i].features[k].attributes, again[i].features[k].attributes);
  }
  EXPECT_EQ(names, (std::set<std::string>{"cameras", "garbage_points", "land_use", "sewage_pipes",
                                          "stations"}));
  const Grid& c = county();
  const std::size_t villages = level(GridLevel::Village).size();
  for (const auto& l : layers) {
    for (const auto& f : l.features) {
      // Inside the county (brute force over its outline), tied to a grid.
      if (const auto* p = std::get_if<LonLat>(&f.geometry)) {
        EXPECT_TRUE(spatial::multipolygon_contains(c.geometry, spatial::to_point(*p)))
            << l.def.name;
        EXPECT_EQ(f.join.kind, JoinKind::Contained) << l.def.name;
      } else if (const auto* lines = std::get_if<MultiLineString>(&f.geometry)) {
        for (const auto& line : *lines)
          for (const auto& q : line) EXPECT_TRUE(spatial::bg::covered_by(q, c.geometry));
        EXPECT_FALSE(f.shares.empty());
      } else {
        const auto& mp = std::get<MultiPolygon>(f.geometry);
        EXPECT_TRUE(spatial::check_validity(mp).valid) << l.def.name;
        EXPECT_FALSE(f.shares.empty());
        // Inside one village: every share in grids of the same village.
        for (const auto& s : f.shares)
          EXPECT_EQ(s.grid_code.substr(0, 12), f.shares.front().grid_code.substr(0, 12));
      }
    }
  }
  auto find = [&](const std::string& name) -> const FeatureLayer& {
    for (const auto& l : layers)
      if (l.def.name == name) return l;
    throw std::logic_error(name);
  };
  // GB/T 28181 ids: 20 digits, the county's code first, unique.
  std::set<std::string> ids;
  for (const auto& f : find("cameras").features) {
    const std::string& id = std::get<std::string>(f.attributes[0]);
    EXPECT_EQ(id.size(), 20u);
    EXPECT_EQ(id.find_first_not_of("0123456789"), std::string::npos);
    EXPECT_EQ(id.substr(0, 6), "330521");
    EXPECT_TRUE(ids.insert(id).second) << id;
  }
  EXPECT_EQ(find("cameras").features.size(), 4 * villages);
  EXPECT_EQ(find("stations").features.size(), level(GridLevel::Town).size());
  EXPECT_EQ(find("land_use").features.size(), villages);
  EXPECT_EQ(find("land_use").def.geometry, GeometryKind::Polygon);
  EXPECT_EQ(find("sewage_pipes").def.geometry, GeometryKind::Line);
}

}  // namespace
