// onemap spatial core: the plain geometry types every component shares.
//
// Coordinates are (x, y) = (longitude, latitude) in degrees unless a function says otherwise.
// The types are Boost.Geometry models so that its algorithms (envelope, area, distance, R-tree)
// work on them directly; nothing from GDAL, GEOS or PROJ appears here.
#pragma once

#include <boost/geometry.hpp>
#include <boost/geometry/geometries/box.hpp>
#include <boost/geometry/geometries/linestring.hpp>
#include <boost/geometry/geometries/multi_linestring.hpp>
#include <boost/geometry/geometries/multi_point.hpp>
#include <boost/geometry/geometries/multi_polygon.hpp>
#include <boost/geometry/geometries/point_xy.hpp>
#include <boost/geometry/geometries/polygon.hpp>
#include <boost/geometry/geometries/ring.hpp>

#include <vector>

namespace onemap::spatial {

namespace bg = boost::geometry;

using Point = bg::model::d2::point_xy<double>;
/// Closed ring, counter-clockwise outer rings (RFC 7946 right-hand rule), holes clockwise.
using Ring = bg::model::ring<Point, /*ClockWise=*/false, /*Closed=*/true>;
using Polygon = bg::model::polygon<Point, /*ClockWise=*/false, /*Closed=*/true>;
using MultiPolygon = bg::model::multi_polygon<Polygon>;
using Box = bg::model::box<Point>;
using MultiPoint = bg::model::multi_point<Point>;
/// Lines of a line layer (pipes, roads, rivers) and of filters: open, in the order given.
using LineString = bg::model::linestring<Point>;
using MultiLineString = bg::model::multi_linestring<LineString>;

/// A plain lon/lat pair, for the point layers (cheaper than a Boost point in bulk arrays).
struct LonLat {
  double lon = 0;
  double lat = 0;
  friend bool operator==(const LonLat&, const LonLat&) = default;
};

inline Point to_point(LonLat p) {
  return Point(p.lon, p.lat);
}

/// Bounding box of a multipolygon (empty input gives an inverted box).
inline Box envelope(const MultiPolygon& mp) {
  Box b;
  bg::assign_inverse(b);
  for (const auto& poly : mp)
    for (const auto& p : poly.outer()) bg::expand(b, p);
  return b;
}

/// Bounding box of lines (empty input gives an inverted box).
inline Box envelope(const MultiLineString& ml) {
  Box b;
  bg::assign_inverse(b);
  for (const auto& line : ml)
    for (const auto& p : line) bg::expand(b, p);
  return b;
}

}  // namespace onemap::spatial
