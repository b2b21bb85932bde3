// The test counties: small datasets whose every record is known, and the stores written from them.
// Every test that needs a county builds it here (tests/layers/county, tests/api).
#pragma once

#include "layers/model/model.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace onemap::testing {

/// A file of the source tree's data/ folder (data/dispatch.json, data/read_policy.json, …).
std::string source_data(const std::string& name);
/// A JSON file of data/ (data/read_policy.json, …), parsed.
nlohmann::json source_data_json(const std::string& name);
/// data/dispatch.json: the dispatch configuration `onemap serve` reads by default.
inline std::string dispatch_config_path() {
  return source_data("dispatch.json");
}

/// A counter-clockwise closed rectangle.
spatial::MultiPolygon rectangle(double x0, double y0, double x1, double y1);

/// A small county: 1 county, 2 towns, 4 villages, 8 grids tiling [120.0, 120.4] × [30.0, 30.2],
/// and points of every layer, some outside the grids, with personal fields filled in.
layers::Dataset small_county();

/// The grid of the dispatch county's team: x 120.00-120.05.
inline constexpr const char* kTeamGrid = "330521001001001";

/// A worker of a grid team (named as its id).
layers::Worker team_member(const char* id, layers::WorkerRole role, double lon, double lat,
                           bool on_duty = true, const char* grid = kTeamGrid);

/// small_county() without incidents, whose grid kTeamGrid has a team: HEAD (grid head, 120.010
/// 30.10), FT1 (full time, 120.020 30.10), FT2 (full time, 120.040 30.10), PT (part time, off
/// duty, 120.030 30.15), AUX (auxiliary police, 120.034 30.10).
layers::Dataset dispatch_county();

/// Writes a county's store into a directory (its path) and returns the store's path:
/// write_small_county, write_dispatch_county, or a test's own.
using StoreBuilder = std::function<std::string(const std::string& dir)>;

/// Writes `d` into a new store DIR/NAME and returns its path.
std::string write_store(const std::string& dir, layers::Dataset d,
                        const std::string& name = "county.gpkg");

/// small_county() written to DIR/county.gpkg; returns its path.
std::string write_small_county(const std::string& dir);

/// dispatch_county() written to DIR/county.gpkg; returns its path.
std::string write_dispatch_county(const std::string& dir);

/// A user to add (its token comes from the user directory); worker_id: a dispatch_county() worker.
layers::User make_user(const std::string& id, const std::string& role,
                       const std::string& scope = "", const std::string& worker_id = "");

/// The feature ids of the records `keep` accepts, sorted: a query's answer by brute force.
template <class Record, class Keep>
std::vector<int64_t> fids(const std::vector<Record>& records, Keep&& keep) {
  std::vector<int64_t> out;
  for (const auto& r : records)
    if (keep(r)) out.push_back(r.fid);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace onemap::testing
