// The demo county: Deqing (德清县, 330521) from its real outline and real division codes, with
// synthetic inner boundaries and synthetic households, enterprises, incidents and grid teams.
// Deterministic: the same seed and end date give identical output.
#pragma once

#include "layers/model/model.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace onemap::layers {

struct DemoOptions {
  std::string data_dir = "data";  ///< where deqing_county_gcj02.geojson and divisions.csv are
  uint64_t seed = 20261126;
  int64_t end_time =
      0;  ///< incidents cover the 12 months before this (Unix s); 0: today 00:00 UTC+8
  double scale =
      1.0;  ///< multiplies households, enterprises, incidents and grids (10 for the 10× set)
  std::size_t households = 150000;
  std::size_t enterprises = 8000;
  std::size_t incidents = 50000;
  std::size_t target_grids = 600;
};

/// The end of the demo's year: options.end_time, or 00:00 (UTC+8) of today when it is 0.
int64_t demo_end_time(const DemoOptions& options);

/// Builds the whole dataset (grids joined, points joined). @throws Error on missing input files.
Dataset build_demo(const DemoOptions& options,
                   const std::function<void(const std::string&)>& log = {});

}  // namespace onemap::layers
