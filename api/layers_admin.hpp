// The administrator's endpoints for the county's own layers (layers/model/feature_layer.hpp),
// on a running server (admin role only; JSON answers):
//
//   GET    /admin/layers           every county layer: its definition and feature count
//   GET    /admin/layers/{name}    one layer's definition and count
//   POST   /admin/layers?name=N    a new layer from the body, a source file as onemap import
//                                  --create reads it: GeoJSON (application/geo+json or
//                                  application/json), CSV with lon/lat columns (text/csv), a zipped
//                                  Shapefile (application/zip) or a GeoPackage
//                                  (application/geopackage+sqlite3); optional title, theme,
//                                  geometry, id_field, src_crs, encoding parameters. 201 with its
//                                  definition and the import's report (read, loaded, rejected
//                                  features by index and reason, join counts)
//   PUT    /admin/layers/{name}    an empty layer from a definition (the body, as `onemap layer
//                                  add --schema` reads it): 201
//   PATCH  /admin/layers/{name}    alters a layer (layers::alter_definition): fields added,
//                                  audiences, title, theme, style, zooms; the body is the
//                                  alteration (application/json or application/merge-patch+json):
//                                  200 with the new definition
//   DELETE /admin/layers/{name}    drops a layer and its features: 204
//
// A layer added, altered or dropped is in every output (collections, items, queryables, stats,
// the OpenAPI document) from the next request on, without a restart. A name taken is a 409; an
// unreadable source, a bad definition or alteration, or a body of another type a 400 naming the
// parameter (the member, or Content-Type); an unknown layer a 404.
#pragma once

#include "http/router.hpp"
#include "layers/county/county.hpp"

#include <memory>

namespace onemap::api {

/// Adds the routes above to `router` (Audience::Roles {"admin"}); `max_body`: the largest source
/// POST takes.
void add_layer_routes(http::Router& router, const std::shared_ptr<layers::County>& county,
                      std::size_t max_body);

}  // namespace onemap::api
