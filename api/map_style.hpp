// The whole map as a MapLibre style (style spec v8): GET /style.json[?offset=gcj02], for QGIS
// (Layer > Add Layer > Vector Tile > style URL), Maputnik or any MapLibre front end, and the
// source of the web map's county layers.
//
// Sources: onemap's vector tiles on this server (grid boundaries, incidents, the workers for
// county-wide staff, and every county layer the viewer may see, in one source). Layers: the grid
// levels' outlines, the county layers drawn as their definitions' styles say (points as circles,
// clusters by their count; lines; polygons filled and outlined), the incidents; each layer's
// metadata names its county layer ("onemap:layer"), theme, title and label field, and the
// style's metadata "onemap:catalogue" groups the county layers by theme. What the viewer may not
// see is not in it (a staff layer is for county-wide staff, as its tiles are).
#pragma once

#include "auth/read_policy.hpp"
#include "layers/county/county.hpp"

#include <string>
#include <utility>
#include <vector>

namespace onemap::api {

/// The style's JSON for `viewer`; tile URLs start with `base_url`. `query`: offset=gcj02 (tiles
/// shifted into GCJ-02) or offset=none, f=json. @throws InvalidArgument naming another parameter.
/// Takes the county's read lock.
std::string map_style(const layers::County& county, const auth::Viewer& viewer,
                      const std::string& base_url,
                      const std::vector<std::pair<std::string, std::string>>& query);

}  // namespace onemap::api
