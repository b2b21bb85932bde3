// The gazetteer of a county's data (county_gazetteer.hpp).
#include "layers/geocode/county_gazetteer.hpp"

#include "spatial/geos_ops.hpp"

namespace onemap::geocode {

VillageOf::VillageOf(const std::vector<layers::Grid>& grids) {
  for (const layers::Grid& g : grids) by_code_[g.code] = &g;
}

std::string VillageOf::operator()(const std::string& grid_code) const {
  // Up the parents; a level at most per step, so a bad hierarchy cannot loop.
  auto it = by_code_.find(grid_code);
  for (int step = 0; it != by_code_.end() && step <= 4; ++step) {
    const layers::Grid& g = *it->second;
    if (g.level == layers::GridLevel::Village) return g.code;
    if (g.level < layers::GridLevel::Village) break;
    it = by_code_.find(g.parent_code);
  }
  return {};
}

Gazetteer gazetteer_of(const layers::Dataset& data) {
  Gazetteer g;
  for (const layers::Grid& grid : data.grids) {
    if (grid.level != layers::GridLevel::Town && grid.level != layers::GridLevel::Village) continue;
    const spatial::Point p = spatial::point_on_surface(grid.geometry);
    g.add_area(grid.level == layers::GridLevel::Town ? Level::Town : Level::Village, grid.code,
               grid.name, grid.parent_code, p.x(), p.y());
  }
  const VillageOf village_of(data.grids);
  for (const layers::Household& h : data.households)
    g.add_address(h.address, h.location.lon, h.location.lat, village_of(h.join.grid_code),
                  h.join.grid_code);
  for (const layers::Enterprise& e : data.enterprises)
    g.add_place(e.name, e.location.lon, e.location.lat, village_of(e.join.grid_code),
                e.join.grid_code);
  return g;
}

}  // namespace onemap::geocode
