// The gazetteer of a county's data (gazetteer.hpp): its towns and villages from the grid
// hierarchy, its households' addresses, its enterprises by name.
#pragma once

#include "layers/geocode/gazetteer.hpp"
#include "layers/model/model.hpp"

#include <string>
#include <unordered_map>
#include <vector>

namespace onemap::geocode {

/// The village or community a grid lies in, by the hierarchy's parent codes: itself for a
/// village, "" for a town or a code the hierarchy lacks.
class VillageOf {
 public:
  explicit VillageOf(const std::vector<layers::Grid>& grids);
  std::string operator()(const std::string& grid_code) const;

 private:
  std::unordered_map<std::string, const layers::Grid*> by_code_;
};

/// Builds the gazetteer of `data`: towns and villages at a point inside each outline; each
/// household's address at its place (those that name no village of the county are left out);
/// each enterprise by its name, in the village of its grid.
Gazetteer gazetteer_of(const layers::Dataset& data);

}  // namespace onemap::geocode
