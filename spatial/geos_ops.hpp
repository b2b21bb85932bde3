// Geometry validity, overlay and DE-9IM relations through GEOS (the reentrant C API), on onemap's
// own types. Used by import (validate/repair), hierarchy checks (overlaps, gaps, containment),
// the demo generator (Voronoi, clipping) and CQL2's spatial functions on areas. GEOS types never
// leave spatial/.
#pragma once

#include "spatial/geometry.hpp"

#include <optional>
#include <string>
#include <vector>

namespace onemap::spatial {

/// Result of checking a polygonal geometry.
struct Validity {
  bool valid = true;
  std::string reason;  ///< GEOS's reason when invalid, e.g. "Self-intersection[120.1 30.5]"
};

Validity check_validity(const MultiPolygon& mp);

/// Repairs with GEOS MakeValid and keeps only the polygonal part. Empty result if nothing is left.
/// Uses the "structure" method: overlapping parts are united (not cancelled), collapsed rings are
/// dropped. Output is normalised: counter-clockwise outer rings, clockwise holes.
MultiPolygon make_valid(const MultiPolygon& mp);

/// Converts WKB (any polygonal or geometry collection) to a MultiPolygon, dropping non-polygons.
/// @throws InvalidArgument when the WKB cannot be parsed.
MultiPolygon multipolygon_from_wkb(const unsigned char* wkb, std::size_t size);
/// ISO WKB of a MultiPolygon (little endian).
std::vector<unsigned char> to_wkb(const MultiPolygon& mp);

/// Overlays (polygonal part of the result). @throws Error when GEOS fails (e.g. invalid input).
MultiPolygon intersection(const MultiPolygon& a, const MultiPolygon& b);
MultiPolygon difference(const MultiPolygon& a, const MultiPolygon& b);
MultiPolygon union_all(const std::vector<MultiPolygon>& parts);
/// The parts of `lines` inside `area` (its boundary included): the lineal part of their GEOS
/// intersection, merged where parts meet end to end. @throws Error when GEOS fails.
MultiLineString clip_lines(const MultiLineString& lines, const MultiPolygon& area);

/// A line is valid for a line layer when it has at least two distinct points, all finite.
bool valid_line(const LineString& line);

/// The DE-9IM matrix of area `a` and geometry `b` (GEOS's relate): nine characters of "F012", the
/// dimension where a's interior, boundary and exterior meet b's interior, boundary and exterior,
/// e.g. "FF2F11212" for two areas that share an edge. A line's boundary is its end points, mod 2.
/// @throws Error when GEOS fails.
std::string relate(const MultiPolygon& a, const MultiPoint& b);
std::string relate(const MultiPolygon& a, const MultiLineString& b);
std::string relate(const MultiPolygon& a, const MultiPolygon& b);

/// Voronoi cells of `seeds`, each clipped to `clip`; result[i] is the cell of seeds[i]
/// (possibly empty when a seed lies outside clip). A repeated seed gets an empty cell (its first
/// occurrence holds the cell), so the non-empty cells always tile `clip`.
std::vector<MultiPolygon> voronoi_cells(const std::vector<Point>& seeds, const MultiPolygon& clip);

/// A point guaranteed inside the polygon (GEOS PointOnSurface); centroid if that fails.
/// @throws InvalidArgument on an empty geometry (as does centroid).
Point point_on_surface(const MultiPolygon& mp);
Point centroid(const MultiPolygon& mp);

/// WKT for logs and tests (precision 9).
std::string to_wkt(const MultiPolygon& mp);
/// @throws InvalidArgument on bad WKT.
MultiPolygon multipolygon_from_wkt(const std::string& wkt);
/// A GeoJSON geometry's polygonal part (GEOS's reader). @throws InvalidArgument (`parameter`)
/// when the text is not a GeoJSON geometry.
MultiPolygon multipolygon_from_geojson(const std::string& geojson,
                                       const std::string& parameter = "geometry");

}  // namespace onemap::spatial
