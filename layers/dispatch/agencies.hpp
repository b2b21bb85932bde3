// The agencies that handle cases (处置单位), at every level: county departments, town units
// (城市发展管理办公室, 综合执法中队…), the town's command centre (综合信息指挥室), village
// committees and grid teams. A joint case (联合处置) is shared among agencies, each with its own
// task (layers/model/task.hpp).
//
// agencies.csv (named by dispatch.json "agencies"), header first:
//   code,name,level,area
//   综合执法,县综合行政执法局,county,                 a county department: serves the county
//   城发办,城市发展管理办公室,town,                   a town unit: one per town, its code
//                                                     "<town code>.城发办", its name the town's
//                                                     name and this one
//   330521005.消防站,康乾专职消防站,town,330521005      a unit of one town only
// The areas themselves are agencies with no row: each town (its command centre), village (its
// committee) and grid (its team), coded by the area's code.
#pragma once

#include "layers/model/model.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace onemap::layers {

/// One row of agencies.csv.
struct AgencyConfig {
  std::string code, name;
  std::string level;  ///< county, town, village
  std::string area;   ///< the area code it serves ("" : the county; a town row: every town)
};

/// Reads agencies.csv. @throws InvalidArgument naming the line and column, Error (file).
std::vector<AgencyConfig> read_agencies_csv(const std::string& path);
std::vector<AgencyConfig> parse_agencies_csv(std::string_view text, const std::string& name);

/// An agency as the county knows it.
struct Agency {
  std::string code;   ///< a configured code, or an area code (town, village, grid)
  std::string name;   ///< as people read it (武康街道城市发展管理办公室)
  std::string level;  ///< county, town, village, grid
  std::string area;   ///< the area code it serves ("" : the whole county)
  std::string kind;   ///< department (configured), centre (a town), committee (a village), team

  /// Whether a case whose grid is `grid_code` lies in the area it serves.
  bool serves(std::string_view grid_code) const;
};

/// Every agency of the county: the configured ones, expanded per town, and the areas'.
class AgencyDirectory {
 public:
  AgencyDirectory() = default;
  /// @throws InvalidArgument for a configured area that is no town or village of `grids`, or a
  /// code given twice.
  AgencyDirectory(const std::vector<AgencyConfig>& config, const std::vector<Grid>& grids);

  /// The agency coded `code`, or null.
  const Agency* find(std::string_view code) const;
  /// @throws InvalidArgument(parameter) naming the unknown code.
  const Agency& get(std::string_view code, const std::string& parameter) const;
  /// Every agency, by code.
  const std::vector<Agency>& all() const { return agencies_; }

 private:
  std::vector<Agency> agencies_;  ///< sorted by code
};

}  // namespace onemap::layers
