// The grid join against a brute-force oracle: containment over every grid, then the nearest
// grid by distance to each polygon's boundary computed independently.
#include "layers/model/join.hpp"

#include "spatial/predicates.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace onemap;
using namespace onemap::layers;

namespace {

constexpr double kR = 6371008.8;
constexpr double kDeg = M_PI / 180.0;

spatial::Polygon rect(double x0, double y0, double x1, double y1) {
  spatial::Polygon p;
  p.outer() = {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}};
  spatial::bg::correct(p);
  return p;
}

// Distance in metres from p to segment ab, in a local equirectangular frame at p.
double seg_distance_m(LonLat p, const spatial::Point& a, const spatial::Point& b) {
  double k = std::cos(p.lat * kDeg) * kR * kDeg, m = kR * kDeg;
  double ax = (a.x() - p.lon) * k, ay = (a.y() - p.lat) * m;
  double bx = (b.x() - p.lon) * k, by = (b.y() - p.lat) * m;
  double dx = bx - ax, dy = by - ay;
  double len2 = dx * dx + dy * dy;
  double t = len2 > 0 ? std::clamp(-(ax * dx + ay * dy) / len2, 0.0, 1.0) : 0.0;
  return std::hypot(ax + t * dx, ay + t * dy);
}

double boundary_distance_m(LonLat p, const MultiPolygon& mp) {
  double best = INFINITY;
  auto ring = [&](const spatial::Ring& r) {
    for (std::size_t i = 0; i + 1 < r.size(); ++i)
      best = std::min(best, seg_distance_m(p, r[i], r[i + 1]));
  };
  for (const auto& poly : mp) {
    ring(poly.outer());
    for (const auto& h : poly.inners()) ring(h);
  }
  return best;
}

// 20 x 10 grids of 0.01 degrees with a 0.002-degree street (gap) between columns 9 and 10,
// plus a town polygon covering everything (must be ignored by the join).
std::vector<Grid> make_grids() {
  std::vector<Grid> grids;
  Grid town{0, "330521001", "town", GridLevel::Town, "330521", {}, 0, true, {}};
  town.geometry.push_back(rect(120.0, 30.0, 120.202, 30.1));
  grids.push_back(town);
  // Edges are computed from indices with one formula, so neighbours share exact coordinates.
  auto left = [](int i) { return 120.0 + i * 0.01 + (i >= 10 ? 0.002 : 0.0); };
  auto right = [](int i) { return 120.0 + (i + 1) * 0.01 + (i >= 10 ? 0.002 : 0.0); };
  auto row = [](int j) { return 30.0 + j * 0.01; };
  for (int i = 0; i < 20; ++i)
    for (int j = 0; j < 10; ++j) {
      Grid g;
      g.code = "330521001" + std::to_string(100 + i) + std::to_string(100 + j);
      g.level = GridLevel::Grid;
      g.geometry.push_back(rect(left(i), row(j), right(i), row(j + 1)));
      grids.push_back(g);
    }
  return grids;
}

}  // namespace

TEST(GridJoin, MatchesBruteForce) {
  auto grids = make_grids();
  JoinOptions opt;
  opt.max_distance_m = 150;
  GridJoiner joiner(grids, opt);
  EXPECT_EQ(joiner.level(), GridLevel::Grid);
  EXPECT_EQ(joiner.grid_count(), 200u);

  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> ux(119.995, 120.207), uy(29.995, 30.105);
  std::vector<Incident> pts(20000);
  for (auto& p : pts) p.location = {ux(rng), uy(rng)};
  // Points exactly on shared edges and vertices.
  for (int i = 1; i < 10; ++i) {
    Incident on_vertex, on_edge;
    on_vertex.location = {120.0 + i * 0.01, 30.0 + 5 * 0.01};
    on_edge.location = {120.0 + i * 0.01, 30.055};
    pts.push_back(on_vertex);
    pts.push_back(on_edge);
  }
  auto stats = joiner.join_all(pts);
  EXPECT_EQ(stats.contained + stats.nearest + stats.unassigned, pts.size());
  EXPECT_GT(stats.nearest, 0u);
  EXPECT_GT(stats.unassigned, 0u);

  for (std::size_t n = 0; n < pts.size(); ++n) {
    const auto& p = pts[n];
    // Oracle: every grid by brute force.
    std::vector<std::size_t> containing;
    double best = INFINITY;
    std::string best_code;
    for (std::size_t g = 1; g < grids.size(); ++g) {
      if (spatial::multipolygon_contains(grids[g].geometry, spatial::to_point(p.location)))
        containing.push_back(g);
      double d = boundary_distance_m(p.location, grids[g].geometry);
      if (d < best) best = d, best_code = grids[g].code;
    }
    ASSERT_LE(containing.size(), 1u) << "tiling: at most one grid contains a point";
    if (containing.size() == 1) {
      EXPECT_EQ(p.join.kind, JoinKind::Contained);
      EXPECT_EQ(p.join.grid_code, grids[containing[0]].code);
    } else if (best <= opt.max_distance_m) {
      EXPECT_EQ(p.join.kind, JoinKind::Nearest) << p.location.lon << " " << p.location.lat;
      EXPECT_NEAR(p.join.distance_m, best, 0.01 + best * 0.005);
      // Ties within a millimetre may go either way; otherwise the nearest code must match.
      if (p.join.grid_code != best_code) {
        const auto& chosen = *std::find_if(
            grids.begin(), grids.end(), [&](const Grid& g) { return g.code == p.join.grid_code; });
        EXPECT_NEAR(boundary_distance_m(p.location, chosen.geometry), best, 1e-3);
      }
    } else {
      EXPECT_EQ(p.join.kind, JoinKind::Unassigned);
      EXPECT_TRUE(p.join.grid_code.empty());
    }
  }
}

TEST(GridJoin, SharedEdgeGoesEastAndNorth) {
  auto grids = make_grids();
  GridJoiner joiner(grids);
  // The vertical edge x = 120.01 between column 0 and column 1: the point goes to column 1.
  const double x1 = 120.0 + 1 * 0.01, y1 = 30.0 + 1 * 0.01;
  auto j = joiner.join({x1, 30.005});
  EXPECT_EQ(j.kind, JoinKind::Contained);
  EXPECT_EQ(j.grid_code, "330521001101100");
  // The horizontal edge y = 30.01 between row 0 and row 1: the point goes to row 1 (north).
  j = joiner.join({120.005, y1});
  EXPECT_EQ(j.grid_code, "330521001100101");
  // A vertex shared by four grids goes to the north-east one.
  j = joiner.join({x1, y1});
  EXPECT_EQ(j.grid_code, "330521001101101");
}

TEST(GridJoin, FallsBackToTheFinestLevelWhenThereAreNoGrids) {
  std::vector<Grid> grids;
  Grid town{0, "330521001", "town", GridLevel::Town, "330521", {}, 0, true, {}};
  town.geometry.push_back(rect(120.0, 30.0, 120.1, 30.1));
  Grid village{0, "330521001001", "v", GridLevel::Village, "330521001", {}, 0, true, {}};
  village.geometry.push_back(rect(120.0, 30.0, 120.05, 30.1));
  grids = {town, village};
  GridJoiner joiner(grids);
  EXPECT_EQ(joiner.level(), GridLevel::Village);
  EXPECT_EQ(joiner.join({120.01, 30.05}).grid_code, "330521001001");
  EXPECT_EQ(joiner.join({120.053, 30.05}).kind, JoinKind::Nearest);    // ~290 m east
  EXPECT_EQ(joiner.join({120.07, 30.05}).kind, JoinKind::Unassigned);  // ~1.9 km east
}

TEST(GridJoin, NoGridsLeavesEverythingUnassigned) {
  GridJoiner joiner({});
  auto j = joiner.join({120, 30});
  EXPECT_EQ(j.kind, JoinKind::Unassigned);
}
