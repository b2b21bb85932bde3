// Fuzz target: GeoJSON polygon bodies. The input is read as the body of a POST items query
// (api/features.hpp read_polygon_body), as the geometry of a grid PATCH (api/records.hpp
// read_grid_body) and, after the depth check of api/json_body.hpp, by GEOS's GeoJSON reader
// (spatial::multipolygon_from_geojson) as those readers call it.
#include "api/features.hpp"
#include "api/json_body.hpp"
#include "api/records.hpp"
#include "core/errors.hpp"
#include "fuzz/fuzz_check.hpp"
#include "layers/model/text.hpp"
#include "spatial/geos_ops.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace onemap;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  try {
    const spatial::MultiPolygon mp = api::read_polygon_body(text);
    FUZZ_CHECK(!mp.empty());
  } catch (const InvalidArgument& e) {
    FUZZ_CHECK(e.parameter() == "body");
  }

  try {
    (void)api::read_grid_body(R"({"name":"g","geometry":)" + std::string(text) + "}");
  } catch (const InvalidArgument&) {
  }

  try {
    const nlohmann::json j = api::parse_request_json(text, "geometry");
    api::check_geometry_vertices(j, "geometry");
    (void)spatial::multipolygon_from_geojson(layers::json_text(j), "geometry");
  } catch (const InvalidArgument& e) {
    FUZZ_CHECK(e.parameter() == "geometry");
  }
  return 0;
}
