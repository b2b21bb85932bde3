// Reading JSON request bodies (records, Open311, feature queries): parsed by
// layers/model/json_input.hpp, with the limits of layers/model/text.hpp applied before anything
// recursive runs; GeoJSON geometries checked before GEOS reads them.
#pragma once

#include "core/errors.hpp"
#include "layers/model/json_input.hpp"
#include "layers/model/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <string_view>

namespace onemap::api {

using layers::parse_request_json;

/// Checks a GeoJSON geometry object before GEOS's reader sees it: its "coordinates" nest as its
/// type says (a GeometryCollection's members too), every position is an array of at least two
/// numbers (GEOS 3.11 reads a shorter one past its end), and it holds at most
/// input_limits().geometry_vertices positions. Other types are left to the reader. The value was
/// parsed by parse_request_json, so its depth is bounded. @throws InvalidArgument (parameter), or
/// TooExpensive over the vertex limit.
template <class Json>
void check_geometry_vertices(const Json& geometry, const std::string& parameter) {
  const std::size_t limit = layers::input_limits().geometry_vertices;
  std::size_t count = 0;
  // `depth`: the arrays around a position (0: `v` is one).
  auto walk = [&](const auto& self, const Json& v, int depth) -> void {
    if (!v.is_array())
      throw InvalidArgument(parameter, "coordinates must nest as the geometry type says");
    if (depth == 0) {
      if (v.size() < 2 ||
          !std::all_of(v.begin(), v.end(), [](const Json& n) { return n.is_number(); }))
        throw InvalidArgument(parameter, "a position must be an array of two or three numbers");
      if (++count > limit)
        throw TooExpensive(parameter, "has more than " + std::to_string(limit) + " vertices");
      return;
    }
    for (const auto& c : v) self(self, c, depth - 1);
  };
  auto geometry_walk = [&](const auto& self, const Json& g) -> void {
    if (!g.is_object()) return;
    const auto type = g.find("type");
    if (type == g.end() || !type->is_string()) return;
    const std::string& t = type->template get_ref<const std::string&>();
    if (t == "GeometryCollection") {
      if (const auto members = g.find("geometries"); members != g.end() && members->is_array())
        for (const auto& m : *members) self(self, m);
      return;
    }
    const int depth = t == "Point"                               ? 0
                      : t == "MultiPoint" || t == "LineString"   ? 1
                      : t == "MultiLineString" || t == "Polygon" ? 2
                      : t == "MultiPolygon"                      ? 3
                                                                 : -1;
    if (const auto coordinates = g.find("coordinates"); depth >= 0 && coordinates != g.end())
      walk(walk, *coordinates, depth);
  };
  geometry_walk(geometry_walk, geometry);
}

}  // namespace onemap::api
