// Vector sources written with GDAL, as a county would hand them over: for the import tests.
#pragma once

#include <ogr_core.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace onemap::testing {

/// One feature: its attributes as text, and its geometry as WKT (empty: none).
struct Feat {
  std::vector<std::pair<std::string, std::string>> attrs;
  std::string wkt;
};

struct FieldDef {
  std::string name;
  OGRFieldType type = OFTString;
};

/// Writes one layer with GDAL's `driver` (adding it to an existing dataset when `add_layer`), in
/// EPSG `epsg` (0: none declared), with layer creation options `lco`. Fails the test on an error.
void write_layer(const std::filesystem::path& path, const char* driver, const char* layer, int epsg,
                 OGRwkbGeometryType gtype, const std::vector<FieldDef>& fields,
                 const std::vector<Feat>& feats, const std::vector<std::string>& lco = {},
                 bool add_layer = false);

}  // namespace onemap::testing
