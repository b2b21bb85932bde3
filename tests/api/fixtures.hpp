// Shared test data for api/ tests: a small county whose every record is known.
#pragma once

#include "layers/model/model.hpp"

#include <string>

namespace onemap::testing {

/// A counter-clockwise closed rectangle.
spatial::MultiPolygon rectangle(double x0, double y0, double x1, double y1);

/// A small county: 1 county, 2 towns, 4 villages, 8 grids tiling [120.0, 120.4] × [30.0, 30.2],
/// and points of every layer, some outside the grids, with personal fields filled in.
layers::Dataset small_county();

/// Writes small_county() into a new store DIR/county.gpkg and returns its path.
std::string write_small_county(const std::string& dir);

/// small_county() without incidents, whose grid 330521001001001 (x 120.00-120.05) has a team:
/// HEAD (grid head, 120.010 30.10), FT1 (full time, 120.020 30.10), FT2 (full time, 120.040
/// 30.10), PT (part time, off duty), AUX (auxiliary police, 120.034 30.10); written to
/// DIR/county.gpkg, whose path it returns.
std::string write_dispatch_county(const std::string& dir);

}  // namespace onemap::testing
