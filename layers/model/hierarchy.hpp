// Checks of the grid hierarchy: county → town → village → grid → micro-grid.
//
// Codes consistent with parents (a child's code starts with its parent's code and has the
// length of its level), each grid inside its parent (area outside reported in m²), and gaps and
// overlaps between siblings (the parts of the parent no child covers, pairs of children that
// overlap), each with its area in m². Slivers below `min_area_m2` are not reported.
#pragma once

#include "layers/model/model.hpp"

#include <string>
#include <vector>

namespace onemap::layers {

struct HierarchyProblem {
  enum class Kind { BadCode, MissingParent, OutsideParent, Gap, Overlap } kind;
  std::string code;        ///< the grid concerned (for Gap: the parent)
  std::string other_code;  ///< Overlap: the other sibling
  double area_m2 = 0;      ///< OutsideParent / Gap / Overlap
  std::string detail;      ///< a sentence for people
};
std::string_view problem_kind_name(HierarchyProblem::Kind k);  ///< bad_code, missing_parent, …

struct HierarchyReport {
  std::vector<HierarchyProblem> problems;
  std::size_t count(HierarchyProblem::Kind k) const;
};

struct HierarchyOptions {
  double min_area_m2 = 1.0;  ///< ignore gaps/overlaps/outside parts smaller than this
  /// Check that a code has the length of its level (off for sources whose codes follow another
  /// scheme, e.g. NYC community districts "107").
  bool check_code_length = true;
};

HierarchyReport check_hierarchy(const std::vector<Grid>& grids,
                                const HierarchyOptions& options = {});

}  // namespace onemap::layers
