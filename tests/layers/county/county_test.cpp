// The county's writes (layers/county/county.hpp) on a real GeoPackage: households, enterprises and
// grid outlines. Joins are checked against a brute-force join over the grids as they are after the
// write (containment by Boost.Geometry, nearest grid by distance in a local metric projection),
// the store against a reload from disk, and the change events against the set of records whose
// join really changed.
#include "layers/county/county.hpp"
#include "core/errors.hpp"
#include "layers/store/store.hpp"
#include "spatial/crs.hpp"

#include "tests/support/county.hpp"
#include "tests/support/county_fixture.hpp"
#include "tests/support/thrown.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <string_view>

namespace bg = boost::geometry;
using namespace onemap;
using namespace onemap::layers;
using onemap::testing::refused;

namespace {

class CountyWrites : public onemap::testing::CountyFixture {
 protected:
  void SetUp() override {
    open(onemap::testing::write_small_county);
    county_->on_change([this](const Change& c) { changes_.push_back(c); });
  }

  int64_t grid_fid(const std::string& code) const {
    for (const auto& g : county_->data().grids)
      if (g.code == code) return g.fid;
    throw std::logic_error("no grid " + code);
  }

  std::vector<Change> changes_;
};

// ---- the brute-force join --------------------------------------------------------------------

struct Expected {
  JoinKind kind;
  std::string code;  ///< empty when unassigned
  bool certain;      ///< false near a tie or near the distance limit (not compared then)
};

// Distance in metres from p to a grid's outline on a local equirectangular projection (scale
// at p's latitude; the test county is 0.4 degrees wide, where this is within 0.5 %).
double metres_to(const LonLat& p, const spatial::MultiPolygon& mp) {
  const double kx = 111320.0 * std::cos(p.lat * M_PI / 180.0), ky = 110574.0;
  spatial::MultiPolygon local = mp;
  for (auto& poly : local)
    for (auto& q : poly.outer()) q = spatial::Point((q.x() - p.lon) * kx, (q.y() - p.lat) * ky);
  return bg::distance(spatial::Point(0, 0), local);
}

Expected brute_force(const LonLat& p, const std::vector<Grid>& grids, double max_m) {
  const spatial::Point pt(p.lon, p.lat);
  std::vector<const Grid*> finest;
  for (const auto& g : grids)
    if (g.level == GridLevel::Grid) finest.push_back(&g);
  for (const Grid* g : finest)
    if (bg::covered_by(pt, g->geometry)) return {JoinKind::Contained, g->code, true};
  double best = 1e300, second = 1e300;
  const Grid* nearest = nullptr;
  for (const Grid* g : finest) {
    const double d = metres_to(p, g->geometry);
    if (d < best) {
      second = best;
      best = d;
      nearest = g;
    } else if (d < second) {
      second = d;
    }
  }
  const bool certain = std::abs(best - max_m) > 0.01 * max_m && second - best > 0.01 * best;
  if (best > max_m) return {JoinKind::Unassigned, "", certain};
  return {JoinKind::Nearest, nearest->code, certain};
}

// Every point of every layer, keyed by (layer, fid): its join.
using Joins = std::map<std::pair<LayerKind, int64_t>, GridJoin>;
Joins joins_of(const Dataset& d) {
  Joins out;
  auto add = [&](LayerKind k, const auto& v) {
    for (const auto& r : v) out[{k, r.fid}] = r.join;
  };
  add(LayerKind::Households, d.households);
  add(LayerKind::Enterprises, d.enterprises);
  add(LayerKind::Incidents, d.incidents);
  add(LayerKind::Workers, d.workers);
  return out;
}

// Checks every point's join in `d` against brute force over d's grids; returns how many were
// compared.
std::size_t expect_joins_match_brute_force(const Dataset& d) {
  std::size_t compared = 0;
  auto check = [&](const char* layer, const auto& v) {
    for (const auto& r : v) {
      const Expected e = brute_force(r.location, d.grids, JoinOptions{}.max_distance_m);
      if (!e.certain) continue;
      ++compared;
      EXPECT_EQ(r.join.kind, e.kind)
          << layer << " " << r.fid << " at " << r.location.lon << "," << r.location.lat;
      EXPECT_EQ(r.join.grid_code, e.code)
          << layer << " " << r.fid << " at " << r.location.lon << "," << r.location.lat;
    }
  };
  check("households", d.households);
  check("enterprises", d.enterprises);
  check("incidents", d.incidents);
  check("workers", d.workers);
  return compared;
}

}  // namespace

TEST_F(CountyWrites, AHouseholdIsStoredJoinedAndEachChangeNamesItsFields) {
  Household h;
  h.id = "H-new";
  h.members = 3;
  h.head_name = "王五";
  h.location = {120.123, 30.111};  // town 1 [120, 120.2], village 2 [120.1, 120.2], grid 1
  const Household made = county_->create_household(h);
  ASSERT_GT(made.fid, 0);
  EXPECT_EQ(made.join.kind, JoinKind::Contained);
  EXPECT_EQ(made.join.grid_code, "330521001002001");
  ASSERT_EQ(changes_.size(), 1U);
  EXPECT_EQ(changes_[0].layer, LayerKind::Households);
  EXPECT_EQ(changes_[0].fid, made.fid);
  EXPECT_FALSE(changes_[0].before);
  EXPECT_TRUE(changes_[0].moved());

  // An attribute: the change names it and nothing moved.
  PointPatch members;
  members.set("members", int64_t{5});
  EXPECT_EQ(county_->update_household(made.fid, members).members, 5);
  ASSERT_EQ(changes_.size(), 2U);
  EXPECT_FALSE(changes_[1].moved());
  EXPECT_EQ(changes_[1].fields, std::vector<std::string>{"members"});

  // A move: joined again where it lands.
  PointPatch move;
  move.location = LonLat{120.31, 30.05};
  const Household moved = county_->update_household(made.fid, move);
  EXPECT_EQ(moved.join.grid_code, "330521002002001");
  ASSERT_EQ(changes_.size(), 3U);
  EXPECT_TRUE(changes_[2].moved());

  // Durable: a fresh read of the file has it, personal fields included.
  const Dataset d = reload();
  const auto it = std::find_if(d.households.begin(), d.households.end(),
                               [&](const auto& r) { return r.fid == made.fid; });
  ASSERT_NE(it, d.households.end());
  EXPECT_EQ(it->members, 5);
  EXPECT_EQ(it->head_name, "王五");
  EXPECT_DOUBLE_EQ(it->location.lon, 120.31);
  EXPECT_EQ(it->join.grid_code, "330521002002001");
  EXPECT_EQ(county_->household(made.fid).members, 5);
}

TEST_F(CountyWrites, BadEnterprisesAreRefusedByFieldAndNothingIsWritten) {
  const std::size_t before = reload().enterprises.size();
  Enterprise e;
  e.location = {120.05, 30.1};
  EXPECT_EQ(refused([&] { county_->create_enterprise(e); }), "name")
      << "an enterprise without a name was accepted";
  e.name = "新厂";
  e.last_inspection = "last week";
  EXPECT_EQ(refused([&] { county_->create_enterprise(e); }), "last_inspection")
      << "a bad date was accepted";
  e.last_inspection = "2026-10-01";
  e.location = {500, 30};
  EXPECT_THROW(county_->create_enterprise(e), InvalidArgument);
  PointPatch p;
  p.set("open_hazards", int64_t{-1});
  EXPECT_THROW(county_->update_enterprise(1, p), InvalidArgument);
  EXPECT_THROW(county_->update_enterprise(999999, PointPatch{}), NotFound);
  EXPECT_TRUE(changes_.empty());
  EXPECT_EQ(reload().enterprises.size(), before);

  // And a good one goes through, its risk and join with it.
  e.location = {120.26, 30.15};
  e.risk = RiskLevel::Major;
  const Enterprise made = county_->create_enterprise(e);
  EXPECT_EQ(made.join.grid_code, "330521002001002");
  PointPatch risk;
  risk.set("risk", std::string("low"));
  risk.set("name", std::string("新厂"));  // unchanged: not named in the change
  county_->update_enterprise(made.fid, risk);
  ASSERT_EQ(changes_.size(), 2U);
  EXPECT_EQ(changes_[1].fields, std::vector<std::string>{"risk"});
  EXPECT_EQ(reload().enterprises.size(), before + 1);
}

TEST_F(CountyWrites, AGridOutlineChangeJoinsAgainExactlyThePointsItMoves) {
  // Grid 330521001001001 is [120.0, 120.05] x [30.0, 30.2], next to ...002 [120.05, 120.1].
  // Shrink the first to [120.0, 120.03]: the strip between is in no grid, its points go to the
  // nearest grid within 500 m or to none. Then widen the second over the strip.
  const std::vector<std::pair<std::string, spatial::MultiPolygon>> steps = {
      {"330521001001001", onemap::testing::rectangle(120.0, 30.0, 120.03, 30.2)},
      {"330521001001002", onemap::testing::rectangle(120.03, 30.0, 120.1, 30.2)}};
  std::size_t rejoined_total = 0;
  for (const auto& [code, outline] : steps) {
    SCOPED_TRACE(code);
    const Joins before = joins_of(county_->data());
    changes_.clear();
    GridPatch p;
    p.geometry = outline;
    const Grid g = county_->update_grid(grid_fid(code), p);
    EXPECT_NEAR(g.area_m2, spatial::area_m2(outline), 1e-6 * g.area_m2);

    // Memory and disk agree, and both match brute force over the new grids.
    const Dataset d = reload();
    EXPECT_GT(expect_joins_match_brute_force(county_->data()), 40U);
    EXPECT_EQ(joins_of(d).size(), before.size());
    const Joins in_memory = joins_of(county_->data());
    for (const auto& [key, j] : joins_of(d)) {
      const GridJoin& mem = in_memory.at(key);
      EXPECT_EQ(j.grid_code, mem.grid_code);
      EXPECT_EQ(j.kind, mem.kind);
    }
    const auto stored = std::find_if(d.grids.begin(), d.grids.end(),
                                     [&wanted = code](const Grid& x) { return x.code == wanted; });
    ASSERT_NE(stored, d.grids.end());
    EXPECT_TRUE(bg::equals(stored->geometry, outline));

    // One change for the grid, then one per point whose join changed, and no other.
    ASSERT_FALSE(changes_.empty());
    EXPECT_EQ(changes_[0].layer, LayerKind::Grids);
    ASSERT_TRUE(changes_[0].grid_before && changes_[0].grid_after);
    std::set<std::pair<LayerKind, int64_t>> expected, reported;
    for (const auto& [key, j] : joins_of(county_->data())) {
      const GridJoin& was = before.at(key);
      if (was.grid_code != j.grid_code || was.kind != j.kind || was.distance_m != j.distance_m)
        expected.insert(key);
    }
    for (std::size_t i = 1; i < changes_.size(); ++i) {
      const Change& c = changes_[i];
      reported.insert({c.layer, c.fid});
      EXPECT_FALSE(c.moved());
      EXPECT_FALSE(c.fields.empty());
    }
    EXPECT_EQ(reported, expected);
    rejoined_total += expected.size();
  }
  EXPECT_GT(rejoined_total, 0U);  // the strip holds points of the test county
}

TEST_F(CountyWrites, AGridOutlineChangeKeepsTheWritesMadeWhileItJoined) {
  // While the new outline's joins are computed (no write lock held): the grid is renamed (the
  // change starts over), a household moves into the strip the outline gives up, one is added
  // there, and an incident is edited. All of it stays, and every join matches brute force.
  const int64_t fid = grid_fid("330521001001001");
  const int64_t moved = county_->data().households.front().fid;
  const int64_t edited = county_->data().incidents.front().fid;
  int calls = 0;
  int64_t added = 0;
  county_->set_commit_hook([&](std::string_view what) {
    if (what != "update_grid") return;
    if (++calls == 1) {
      GridPatch rename;
      rename.name = "城东网格";
      county_->update_grid(fid, rename);
      PointPatch move;
      move.location = LonLat{120.04, 30.1};
      county_->update_household(moved, move);
      Household h;
      h.location = {120.041, 30.11};
      h.members = 2;
      added = county_->create_household(h).fid;
      IncidentPatch edit;
      edit.description = std::string("edited meanwhile");
      county_->update_incident(edited, edit);
    }
  });
  GridPatch p;
  p.geometry = onemap::testing::rectangle(120.0, 30.0, 120.03, 30.2);
  const Grid g = county_->update_grid(fid, p);
  EXPECT_EQ(calls, 2);  // the rename made it start over
  EXPECT_EQ(g.name, "城东网格");
  EXPECT_TRUE(bg::equals(g.geometry, *p.geometry));
  const Household h = county_->household(moved);
  EXPECT_EQ(h.location, (LonLat{120.04, 30.1}));
  EXPECT_NE(h.join.grid_code, "330521001001001");  // the strip is no longer the grid's
  EXPECT_NE(county_->household(added).join.grid_code, "330521001001001");
  EXPECT_EQ(county_->incident(edited).description, "edited meanwhile");
  EXPECT_GT(expect_joins_match_brute_force(county_->data()), 40U);
  const Dataset d = reload();
  EXPECT_GT(expect_joins_match_brute_force(d), 40U);
  for (const auto& r : d.households) {
    if (r.fid == moved) {
      EXPECT_EQ(r.location, (LonLat{120.04, 30.1}));
    }
  }
  for (const auto& r : d.incidents) {
    if (r.fid == edited) {
      EXPECT_EQ(r.description, "edited meanwhile");
    }
  }
}

TEST_F(CountyWrites, AnInvalidOutlineIsRefusedAndNothingChanges) {
  const int64_t fid = grid_fid("330521001001001");
  const Grid before = county_->grid(fid);
  GridPatch bowtie;
  bowtie.geometry = spatial::MultiPolygon{};
  spatial::Polygon p;
  p.outer() = {{120.0, 30.0}, {120.05, 30.2}, {120.05, 30.0}, {120.0, 30.2}, {120.0, 30.0}};
  bowtie.geometry->push_back(p);
  try {
    county_->update_grid(fid, bowtie);
    ADD_FAILURE() << "a self-intersecting outline was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.parameter(), "geometry");
    EXPECT_NE(std::string(e.what()).find("Self-intersection"), std::string::npos) << e.what();
  }
  GridPatch empty;
  empty.geometry = spatial::MultiPolygon{};
  EXPECT_THROW(county_->update_grid(fid, empty), InvalidArgument);
  EXPECT_THROW(county_->update_grid(999999, GridPatch{}), NotFound);
  EXPECT_TRUE(changes_.empty());
  const Dataset d = reload();
  const auto stored =
      std::find_if(d.grids.begin(), d.grids.end(), [&](const Grid& g) { return g.fid == fid; });
  ASSERT_NE(stored, d.grids.end());
  EXPECT_TRUE(bg::equals(stored->geometry, before.geometry));

  // A new name alone changes the grid (one change, same box) and no join.
  GridPatch rename;
  rename.name = "城东网格";
  EXPECT_EQ(county_->update_grid(fid, rename).name, "城东网格");
  ASSERT_EQ(changes_.size(), 1U);
  EXPECT_EQ(changes_[0].layer, LayerKind::Grids);
  EXPECT_EQ(reload().grids.size(), d.grids.size());
}
