// Shared test data for api/ tests: a small county whose every record is known.
#pragma once

#include "layers/model.hpp"

#include <string>

namespace onemap::testing {

/// A counter-clockwise closed rectangle.
spatial::MultiPolygon rectangle(double x0, double y0, double x1, double y1);

/// A small county: 1 county, 2 towns, 4 villages, 8 grids tiling [120.0, 120.4] × [30.0, 30.2],
/// and points of every layer, some outside the grids, with personal fields filled in.
layers::Dataset small_county();

/// Writes small_county() into a new store DIR/county.gpkg and returns its path.
std::string write_small_county(const std::string& dir);

}  // namespace onemap::testing
