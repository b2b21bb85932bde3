// County layers' geometries to and from GDAL's: for the store's rows and for imports.
#pragma once

#include "layers/model/feature_layer.hpp"

#include <ogr_geometry.h>

#include <memory>
#include <optional>

namespace onemap::layers {

/// `g` as a geometry of kind `k`: a point (or a multipoint of one point); lines (a line string or
/// several, curves linearised; lines of fewer than two distinct points dropped); polygons (a
/// polygon or several, curves linearised, as read: the caller checks validity). nullopt when `g`
/// is of another kind or nothing of it is left.
std::optional<FeatureGeometry> from_ogr(const OGRGeometry& g, GeometryKind k);

/// The OGR geometry of a record: Point, MultiLineString or MultiPolygon.
std::unique_ptr<OGRGeometry> to_ogr(const FeatureGeometry& g);

}  // namespace onemap::layers
