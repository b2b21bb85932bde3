// The demo county the API tests serve (link onemap_test_demo): as `onemap demo --scale 0.03
// --end-date 2026-11-26` writes it, the same on every run and every day.
#pragma once

#include <string>

namespace onemap::testing {

/// Writes the demo county into `dir` as `name` and returns the store's path.
std::string write_demo_county(const std::string& dir, const std::string& name = "demo.gpkg");

}  // namespace onemap::testing
