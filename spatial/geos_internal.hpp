// Internal to spatial/: the per-thread GEOS context and the conversions between onemap's
// MultiPolygon and GEOS geometries, shared by geos_ops.cpp and tile_geometry.cpp. Not part of the
// public surface (GEOS types never leave spatial/); defined in geos_ops.cpp.
#pragma once

#include "spatial/geometry.hpp"

#include <geos_c.h>

#include <memory>
#include <string>

namespace onemap::spatial::detail {

/// This thread's GEOS context handle (reentrant API), created on first use.
GEOSContextHandle_t h();

/// Takes (and clears) the last GEOS error message of this thread ("unknown GEOS error" if none).
std::string take_error();

struct GeomDeleter {
  void operator()(GEOSGeometry* g) const {
    if (g != nullptr) GEOSGeom_destroy_r(h(), g);
  }
};
using GeomPtr = std::unique_ptr<GEOSGeometry, GeomDeleter>;

/// A GEOS MultiPolygon with the same rings (closed if they were not).
/// @throws InvalidArgument when GEOS rejects a ring (e.g. fewer than 4 points).
GeomPtr to_geos(const MultiPolygon& mp);

/// The polygonal part of a GEOS geometry (points and lines dropped, empty polygons skipped),
/// normalised with bg::correct: counter-clockwise outer rings, clockwise holes, closed rings.
/// A null geometry gives an empty result.
MultiPolygon from_geos(const GEOSGeometry* g);

}  // namespace onemap::spatial::detail
