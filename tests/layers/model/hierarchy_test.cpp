// Hierarchy checks: a small town built so that it has exactly one gap, one overlap, one bad
// code, one missing parent and one village sticking out of its town; areas are compared with
// the known rectangles of those defects measured independently (spatial::area_m2 on the exact
// rectangles), and a clean lattice of ~800 grids reports nothing, quickly.
#include "layers/model/hierarchy.hpp"

#include "spatial/crs.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

using namespace onemap;
using namespace onemap::layers;
using HK = HierarchyProblem::Kind;

namespace {

// The test town lies near Deqing; a unit is 0.001° (≈ 96 m east-west, 111 m north-south).
constexpr double kLon0 = 120.0, kLat0 = 30.5, kUnit = 0.001;

spatial::MultiPolygon box(double x0, double y0, double x1, double y1) {
  spatial::Polygon p;
  const double a = kLon0 + x0 * kUnit, b = kLat0 + y0 * kUnit;
  const double c = kLon0 + x1 * kUnit, d = kLat0 + y1 * kUnit;
  p.outer() = {{a, b}, {c, b}, {c, d}, {a, d}, {a, b}};
  spatial::bg::correct(p);
  return {p};
}

Grid grid(std::string code, GridLevel level, std::string parent, spatial::MultiPolygon g) {
  Grid out;
  out.code = std::move(code);
  out.level = level;
  out.parent_code = std::move(parent);
  out.geometry = std::move(g);
  return out;
}

std::string describe(const HierarchyReport& r) {
  std::string out;
  for (const auto& p : r.problems)
    out += "\n  " + std::string(problem_kind_name(p.kind)) + " " + p.code + ": " + p.detail;
  return out;
}

const HierarchyProblem* find(const HierarchyReport& r, HK kind) {
  for (const auto& p : r.problems)
    if (p.kind == kind) return &p;
  return nullptr;
}

// Town T = [0,20]×[0,10]. Villages V1 = [0,10]×[0,10], V2 = [10,18]×[0,10] leave the strip
// [18,20] uncovered; V3 = [18,20]×[5,15] covers the strip's upper half and sticks out of T by
// [18,20]×[10,15]. So T's gap is [18,20]×[0,5]. Grids G1 = [0,6], G2 = [5,10] (full height)
// tile V1 but overlap on [5,6]×[0,10]. B tiles V2 but has a code outside V2's. M names a parent
// that is not there.
std::vector<Grid> defective_town() {
  return {
      grid("330521001", GridLevel::Town, "330521", box(0, 0, 20, 10)),
      grid("330521001001", GridLevel::Village, "330521001", box(0, 0, 10, 10)),
      grid("330521001002", GridLevel::Village, "330521001", box(10, 0, 18, 10)),
      grid("330521001003", GridLevel::Village, "330521001", box(18, 5, 20, 15)),
      grid("330521001001001", GridLevel::Grid, "330521001001", box(0, 0, 6, 10)),
      grid("330521001001002", GridLevel::Grid, "330521001001", box(5, 0, 10, 10)),
      grid("330521009002001", GridLevel::Grid, "330521001002", box(10, 0, 18, 10)),
      grid("330521001077001", GridLevel::Grid, "330521001077", box(30, 0, 32, 2)),
  };
}

}  // namespace

TEST(Hierarchy, FindsEachDefectOnceWithItsArea) {
  const auto r = check_hierarchy(defective_town());
  ASSERT_EQ(r.problems.size(), 5u) << describe(r);
  // Each defect: the code it is reported on, the other code (an overlap's), its area (the known
  // rectangle's; none for a code's defects) or a code its detail names.
  const struct {
    HK kind;
    std::string code, other_code;
    spatial::MultiPolygon area;
    std::string detail_names;
  } defects[] = {
      {HK::Gap, "330521001", "", box(18, 0, 20, 5), ""},
      {HK::Overlap, "330521001001001", "330521001001002", box(5, 0, 6, 10), ""},
      {HK::OutsideParent, "330521001003", "", box(18, 10, 20, 15), ""},
      {HK::BadCode, "330521009002001", "", {}, "330521001002"},
      {HK::MissingParent, "330521001077001", "", {}, "330521001077"},
  };
  for (const auto& d : defects) {
    SCOPED_TRACE(problem_kind_name(d.kind));
    EXPECT_EQ(r.count(d.kind), 1u);
    const auto* p = find(r, d.kind);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->code, d.code);
    if (!d.other_code.empty()) {
      EXPECT_EQ(p->other_code, d.other_code);
    }
    if (!d.area.empty()) {
      const double area = spatial::area_m2(d.area);
      EXPECT_NEAR(p->area_m2, area, area * 1e-6);
    }
    if (!d.detail_names.empty()) {
      EXPECT_NE(p->detail.find(d.detail_names), std::string::npos) << p->detail;
    }
  }

  // Areas are plausible magnitudes too: the gap is 2×5 units ≈ 192 m × 554 m.
  const double gap_area = spatial::area_m2(box(18, 0, 20, 5));
  EXPECT_GT(gap_area, 0.9e5);
  EXPECT_LT(gap_area, 1.2e5);
}

TEST(Hierarchy, RepairingTheDefectsLeavesNothing) {
  auto grids = defective_town();
  grids[2].geometry = box(10, 0, 20, 5);   // V2 now covers [10,20]×[0,5] …
  grids[3].geometry = box(10, 5, 20, 10);  // … and V3 the rest of T's east part
  grids[5].geometry = box(6, 0, 10, 10);   // G2 no longer overlaps G1
  grids[6].code = "330521001002001";       // B's code extends V2's
  grids[6].geometry = box(10, 0, 20, 5);
  grids[7].parent_code = "330521001002";  // M moves into V2's family: now a second child …
  grids[7].code = "330521001002002";
  grids[7].geometry = box(10, 0, 10.5, 5);  // … overlapping B by 0.5×5 units (≈ 26 000 m²)
  auto r = check_hierarchy(grids);
  ASSERT_EQ(r.problems.size(), 1u) << describe(r);
  EXPECT_EQ(r.problems[0].kind, HK::Overlap);
  grids.pop_back();
  r = check_hierarchy(grids);
  EXPECT_TRUE(r.problems.empty()) << describe(r);
}

TEST(Hierarchy, SliversBelowTheMinimumAreaAreNotReported) {
  // Two villages that leave a strip of 1e-7° (≈ 1 cm) × 1 km: about 10 m².
  std::vector<Grid> grids = {
      grid("330521001", GridLevel::Town, "", box(0, 0, 20, 10)),
      grid("330521001001", GridLevel::Village, "330521001", box(0, 0, 10, 10)),
      grid("330521001002", GridLevel::Village, "330521001", box(10.0001, 0, 20, 10)),
  };
  const double sliver = spatial::area_m2(box(10, 0, 10.0001, 10));
  ASSERT_GT(sliver, 5.0);
  ASSERT_LT(sliver, 20.0);
  HierarchyOptions lax;
  lax.min_area_m2 = 50;
  EXPECT_TRUE(check_hierarchy(grids, lax).problems.empty());
  HierarchyOptions strict;
  strict.min_area_m2 = 1;
  auto r = check_hierarchy(grids, strict);
  ASSERT_EQ(r.problems.size(), 1u) << describe(r);
  ASSERT_EQ(r.count(HK::Gap), 1u);
  EXPECT_NEAR(r.problems[0].area_m2, sliver, sliver * 1e-3);
}

TEST(Hierarchy, CodeRules) {
  std::vector<Grid> grids = {
      grid("330521001", GridLevel::Town, "", box(0, 0, 10, 10)),
      // Village code one digit short.
      grid("33052100101", GridLevel::Village, "330521001", box(0, 0, 5, 10)),
      // A village without parent code below the top level.
      grid("330521001002", GridLevel::Village, "", box(5, 0, 10, 10)),
  };
  auto r = check_hierarchy(grids);
  EXPECT_EQ(r.count(HK::BadCode), 1u);
  EXPECT_EQ(r.count(HK::MissingParent), 1u);
  // The parentless village is nobody's child, so its half of the town is a gap.
  ASSERT_EQ(r.count(HK::Gap), 1u) << describe(r);
  const double half = spatial::area_m2(box(5, 0, 10, 10));
  EXPECT_NEAR(find(r, HK::Gap)->area_m2, half, half * 1e-6);
  EXPECT_EQ(r.problems.size(), 3u) << describe(r);
  ASSERT_NE(find(r, HK::BadCode), nullptr);
  EXPECT_EQ(find(r, HK::BadCode)->code, "33052100101");
  EXPECT_EQ(find(r, HK::MissingParent)->code, "330521001002");

  // Codes of another scheme: the length rule can be switched off, the prefix rule stays.
  std::vector<Grid> nyc = {grid("101", GridLevel::Grid, "", box(0, 0, 1, 1)),
                           grid("102", GridLevel::Grid, "", box(1, 0, 2, 1))};
  EXPECT_EQ(check_hierarchy(nyc).count(HK::BadCode), 2u);
  HierarchyOptions other_scheme;
  other_scheme.check_code_length = false;
  EXPECT_TRUE(check_hierarchy(nyc, other_scheme).problems.empty());

  // The same code twice.
  std::vector<Grid> dup = {grid("330521001", GridLevel::Town, "", box(0, 0, 1, 1)),
                           grid("330521001", GridLevel::Town, "", box(1, 0, 2, 1))};
  EXPECT_EQ(check_hierarchy(dup).count(HK::BadCode), 1u);

  EXPECT_EQ(problem_kind_name(HK::OutsideParent), "outside_parent");
}

TEST(Hierarchy, CleanLatticeOfEightHundredGridsIsQuickAndSilent) {
  // 1 town, 8 villages of 10×10 units, 100 grids of 1×1 each: 809 polygons sharing edges and
  // vertices exactly, which must not be reported as overlaps or gaps.
  std::vector<Grid> grids;
  grids.push_back(grid("330521001", GridLevel::Town, "", box(0, 0, 80, 10)));
  for (int v = 0; v < 8; ++v) {
    char vcode[16];
    std::snprintf(vcode, sizeof vcode, "330521001%03d", v + 1);
    grids.push_back(grid(vcode, GridLevel::Village, "330521001", box(v * 10, 0, v * 10 + 10, 10)));
    for (int k = 0; k < 100; ++k) {
      char gcode[20];
      std::snprintf(gcode, sizeof gcode, "%s%03d", vcode, k + 1);
      const int x = v * 10 + k % 10, y = k / 10;
      grids.push_back(grid(gcode, GridLevel::Grid, vcode, box(x, y, x + 1, y + 1)));
    }
  }
  ASSERT_EQ(grids.size(), 809u);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = check_hierarchy(grids);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(r.problems.empty()) << describe(r);
  EXPECT_LT(secs, 10.0);

  // Knock one grid out: exactly one gap of its area appears in its village.
  const double hole = spatial::area_m2(grids[2 + 55].geometry);
  grids.erase(grids.begin() + 2 + 55);
  r = check_hierarchy(grids);
  ASSERT_EQ(r.problems.size(), 1u) << describe(r);
  EXPECT_EQ(r.problems[0].kind, HK::Gap);
  EXPECT_EQ(r.problems[0].code, "330521001001");
  EXPECT_NEAR(r.problems[0].area_m2, hole, hole * 1e-6);
}
