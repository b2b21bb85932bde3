// Reading JSON request bodies: the one way every endpoint parses one (records, Open311, feature
// queries), with the limits of layers/text.hpp applied before anything recursive runs.
#pragma once

#include "layers/text.hpp"
#include "spatial/errors.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace onemap::api {

/// Parses a request body as JSON after checking its nesting depth (layers::check_json_depth):
/// nlohmann's parser, serialiser and destructor are recursive, so a deeper body never reaches
/// them. The error names `parameter` and the position, without echoing the body.
/// @throws InvalidArgument (parameter) for a body too deep or not JSON.
template <class Json = nlohmann::json>
Json parse_json_body(std::string_view text, const std::string& parameter = "body") {
  layers::check_json_depth(text, parameter);
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    std::string why = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 5: …; last read: '…'":
    // keep the position and the reason, not the bytes read.
    if (const auto p = why.find("] "); p != std::string::npos) why = why.substr(p + 2);
    if (const auto p = why.find("; last read"); p != std::string::npos) why.resize(p);
    throw InvalidArgument(parameter, "not valid JSON: " + why);
  } catch (const std::exception&) {
    throw InvalidArgument(parameter, "not valid JSON");
  }
}

/// Checks that a GeoJSON geometry object (or its "coordinates") holds at most
/// input_limits().geometry_vertices positions. The value was parsed by parse_json_body, so its
/// depth is bounded. @throws InvalidArgument (parameter).
template <class Json>
void check_geometry_vertices(const Json& geometry, const std::string& parameter) {
  const std::size_t limit = layers::input_limits().geometry_vertices;
  std::size_t count = 0;
  auto walk = [&](const auto& self, const Json& v) -> void {
    if (!v.is_array()) return;
    if (!v.empty() && v.front().is_number()) {
      if (++count > limit)
        throw InvalidArgument(parameter, "has more than " + std::to_string(limit) + " vertices");
      return;
    }
    for (const auto& c : v) self(self, c);
  };
  if (!geometry.is_object()) return walk(walk, geometry);
  if (const auto it = geometry.find("coordinates"); it != geometry.end()) walk(walk, *it);
}

}  // namespace onemap::api
