// Checks of the grid hierarchy (hierarchy.hpp): codes against parents, containment in the
// parent, gaps between siblings and overlaps of siblings, with areas in m².
//
// Overlay work goes through GEOS (spatial/geos_ops.hpp): one difference per child against its
// parent, one union + difference per parent that has children, and one intersection per pair of
// siblings whose bounding boxes meet (a sweep over boxes sorted by west edge keeps that close to
// the number of neighbours rather than n²).
#include "layers/model/hierarchy.hpp"

#include "spatial/crs.hpp"
#include "spatial/geos_ops.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <unordered_map>

namespace onemap::layers {

std::string_view problem_kind_name(HierarchyProblem::Kind k) {
  using K = HierarchyProblem::Kind;
  switch (k) {
    case K::BadCode:
      return "bad_code";
    case K::MissingParent:
      return "missing_parent";
    case K::OutsideParent:
      return "outside_parent";
    case K::Gap:
      return "gap";
    case K::Overlap:
      return "overlap";
  }
  return "bad_code";
}

std::size_t HierarchyReport::count(HierarchyProblem::Kind k) const {
  return static_cast<std::size_t>(
      std::count_if(problems.begin(), problems.end(), [k](const auto& p) { return p.kind == k; }));
}

namespace {

using K = HierarchyProblem::Kind;
using spatial::MultiPolygon;
namespace bg = spatial::bg;

std::string fmt_area(double m2) {
  char b[48];
  std::snprintf(b, sizeof b, "%.1f m²", m2);
  return b;
}

std::string fmt_point(const spatial::Point& p) {
  char b[64];
  std::snprintf(b, sizeof b, "%.6f, %.6f", p.x(), p.y());
  return b;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool boxes_meet(const spatial::Box& a, const spatial::Box& b) {
  return a.min_corner().x() <= b.max_corner().x() && b.min_corner().x() <= a.max_corner().x() &&
         a.min_corner().y() <= b.max_corner().y() && b.min_corner().y() <= a.max_corner().y();
}

/// Geometries made valid once (GEOS overlay needs valid input); imports repair already, so this
/// is a check that rarely does anything.
class ValidGeometries {
 public:
  explicit ValidGeometries(const std::vector<Grid>& grids) : grids_(grids), fixed_(grids.size()) {}
  const MultiPolygon& operator[](std::size_t i) {
    if (!fixed_[i]) {
      const auto& g = grids_[i].geometry;
      if (spatial::check_validity(g).valid)
        fixed_[i] = &g;
      else {
        owned_.emplace(i, spatial::make_valid(g));
        fixed_[i] = &owned_.at(i);
      }
    }
    return *fixed_[i];
  }

 private:
  const std::vector<Grid>& grids_;
  std::vector<const MultiPolygon*> fixed_;
  std::map<std::size_t, MultiPolygon> owned_;
};

}  // namespace

HierarchyReport check_hierarchy(const std::vector<Grid>& grids, const HierarchyOptions& options) {
  HierarchyReport report;
  auto add = [&](K kind, std::string code, std::string other, double area, std::string detail) {
    report.problems.push_back({kind, std::move(code), std::move(other), area, std::move(detail)});
  };
  const double min_area = options.min_area_m2;
  ValidGeometries geom(grids);

  // Code → first index; duplicates are bad codes.
  std::unordered_map<std::string, std::size_t> by_code;
  int top = static_cast<int>(GridLevel::MicroGrid);
  for (std::size_t i = 0; i < grids.size(); ++i) {
    top = std::min(top, static_cast<int>(grids[i].level));
    if (!by_code.emplace(grids[i].code, i).second)
      add(K::BadCode, grids[i].code, {}, 0,
          "code " + grids[i].code + " is used by more than one grid");
  }

  // Codes, parents, containment.
  std::vector<int64_t> parent_of(grids.size(), -1);
  for (std::size_t i = 0; i < grids.size(); ++i) {
    const Grid& g = grids[i];
    const std::string lvl(level_name(g.level));
    if (options.check_code_length) {
      const std::size_t want = code_length(g.level);
      if (!all_digits(g.code) || g.code.size() != want)
        add(K::BadCode, g.code, {}, 0,
            "code " + g.code + " is not " + std::to_string(want) + " digits as a " + lvl +
                " code must be");
    }
    if (g.parent_code.empty()) {
      if (static_cast<int>(g.level) != top)
        add(K::MissingParent, g.code, {}, 0,
            lvl + " " + g.code + " has no parent code, and it is below the top level present (" +
                std::string(level_name(static_cast<GridLevel>(top))) + ")");
      continue;
    }
    if (g.code.size() <= g.parent_code.size() ||
        g.code.compare(0, g.parent_code.size(), g.parent_code) != 0)
      add(K::BadCode, g.code, g.parent_code, 0,
          "code " + g.code + " does not extend its parent's code " + g.parent_code);
    auto it = by_code.find(g.parent_code);
    if (it == by_code.end()) {
      if (static_cast<int>(g.level) != top)
        add(K::MissingParent, g.code, g.parent_code, 0,
            lvl + " " + g.code + ": parent " + g.parent_code + " is not among the grids");
      continue;
    }
    const Grid& p = grids[it->second];
    if (p.level >= g.level) {
      add(K::BadCode, g.code, p.code, 0,
          lvl + " " + g.code + " has parent " + p.code + " of level " +
              std::string(level_name(p.level)) + ", which is not above it");
      continue;
    }
    parent_of[i] = static_cast<int64_t>(it->second);
    const MultiPolygon outside = spatial::difference(geom[i], geom[it->second]);
    if (!outside.empty()) {
      const double a = spatial::local_area_m2(outside);
      if (a > min_area)
        add(K::OutsideParent, g.code, p.code, a,
            lvl + " " + g.code + " extends " + fmt_area(a) + " beyond its parent " + p.code +
                " (near " + fmt_point(spatial::point_on_surface(outside)) + ")");
    }
  }

  // Gaps: the parts of a parent that none of its children covers.
  std::map<std::size_t, std::vector<std::size_t>> children;  // ordered by parent index
  for (std::size_t i = 0; i < grids.size(); ++i)
    if (parent_of[i] >= 0) children[static_cast<std::size_t>(parent_of[i])].push_back(i);
  for (const auto& [pi, kids] : children) {
    std::vector<MultiPolygon> parts;
    parts.reserve(kids.size());
    for (std::size_t k : kids) parts.push_back(geom[k]);
    const MultiPolygon covered = spatial::union_all(parts);
    const MultiPolygon gap = spatial::difference(geom[pi], covered);
    for (const auto& piece : gap) {
      const MultiPolygon one{piece};
      const double a = spatial::local_area_m2(one);
      if (a > min_area)
        add(K::Gap, grids[pi].code, {}, a,
            fmt_area(a) + " of " + std::string(level_name(grids[pi].level)) + " " + grids[pi].code +
                " is covered by none of its " + std::to_string(kids.size()) + " children (near " +
                fmt_point(spatial::point_on_surface(one)) + ")");
    }
  }

  // Overlaps between siblings: same parent code and level (top-level grids without a parent
  // are siblings of each other).
  std::map<std::pair<std::string, int>, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < grids.size(); ++i)
    groups[{grids[i].parent_code, static_cast<int>(grids[i].level)}].push_back(i);
  for (auto& [key, members] : groups) {
    if (members.size() < 2) continue;
    std::vector<spatial::Box> box(grids.size());
    for (std::size_t i : members) box[i] = spatial::envelope(grids[i].geometry);
    std::sort(members.begin(), members.end(), [&](std::size_t a, std::size_t b) {
      return box[a].min_corner().x() < box[b].min_corner().x() ||
             (box[a].min_corner().x() == box[b].min_corner().x() && a < b);
    });
    for (std::size_t x = 0; x < members.size(); ++x) {
      const std::size_t a = members[x];
      for (std::size_t y = x + 1; y < members.size(); ++y) {
        const std::size_t b = members[y];
        if (box[b].min_corner().x() > box[a].max_corner().x()) break;
        if (!boxes_meet(box[a], box[b])) continue;
        const MultiPolygon common = spatial::intersection(geom[a], geom[b]);
        if (common.empty()) continue;
        const double area = spatial::local_area_m2(common);
        if (area <= min_area) continue;
        const std::size_t first = std::min(a, b), second = std::max(a, b);
        add(K::Overlap, grids[first].code, grids[second].code, area,
            std::string(level_name(grids[first].level)) + "s " + grids[first].code + " and " +
                grids[second].code + " overlap by " + fmt_area(area) + " (near " +
                fmt_point(spatial::point_on_surface(common)) + ")");
      }
    }
  }
  return report;
}

}  // namespace onemap::layers
