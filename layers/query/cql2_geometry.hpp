// CQL2 geometry literals: what every literal must be whatever its encoding (GeometryBuilder:
// CRS84 coordinates within the vertex limit, valid lines and polygons, the members of a
// collection united), and the reader of CQL2 text's WKT (POINT, LINESTRING, POLYGON, their MULTI
// forms and GEOMETRYCOLLECTION, with z coordinates or without) and BBOX. CQL2 JSON's GeoJSON
// literals are read in cql2_json.cpp into the same GeometryBuilder.
// Internal to layers/query: include it from nowhere else (cql2.hpp is the interface).
#pragma once

#include "layers/query/cql2_lexer.hpp"
#include "layers/query/cql2_program.hpp"
#include "layers/query/cql2_source.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace onemap::layers::cql2::detail {

/// Builds one geometry literal from its parts as an encoding reads them, checking each. `at`
/// locates a part in the source, for its error. z coordinates are for the reader to drop: the
/// predicates are 2D.
class GeometryBuilder {
 public:
  /// `vertices` counts the coordinates of the filter's geometry literals so far.
  GeometryBuilder(const Source& source, std::size_t& vertices)
      : source_(source), vertices_(vertices) {}

  /// A position: counted against input_limits().geometry_vertices and checked to be CRS84.
  /// @throws TooExpensive (filter) over the limit, InvalidArgument (filter) outside lon/lat.
  Point position(double lon, double lat, std::size_t at);
  void point(const Point& p) { g_.points.push_back(p); }
  /// A line of two distinct points at least (`count_at`: where its points are listed).
  void line(const std::vector<Point>& points, std::size_t count_at, std::size_t at);
  /// A closed polygon ring of 4 points at least (`at`: where its points are listed).
  void check_ring(const std::vector<Point>& points, std::size_t at) const;
  /// The polygons of one POLYGON or MULTIPOLYGON, corrected for orientation and validated.
  void polygons(MultiPolygon mp, std::size_t at);
  /// BBOX's 4 numbers (or 6 with z): minx, miny[, minz], maxx, maxy[, maxz].
  void bbox(std::vector<double> v, std::size_t at);
  /// The literal: the polygons of a collection's members united (they may overlap where a
  /// MULTIPOLYGON's parts may not; GEOS unites them, as it relates areas in the evaluator), with
  /// its envelope.
  GeometryLiteral finish(std::size_t at);

  const Source& source() const { return source_; }

 private:
  void check_lon_lat(double lon, double lat, std::size_t at) const;
  [[noreturn]] void invalid(std::size_t at, const std::string& reason) const;

  const Source& source_;
  std::size_t& vertices_;
  GeometryLiteral g_;
  std::vector<MultiPolygon> areas_;  ///< one per POLYGON, MULTIPOLYGON or BBOX read
};

/// POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING or MULTIPOLYGON (upper case): the
/// members a GEOMETRYCOLLECTION may hold.
bool is_wkt_keyword(std::string_view kw);

/// Reads the literal of geometry keyword `kw` (upper case: a WKT keyword, GEOMETRYCOLLECTION or
/// BBOX, which starts at byte `pos`; the lexer's next token is its '(', or the Z before it).
/// `vertices` counts the coordinates of the filter's geometry literals so far.
/// @throws InvalidArgument (filter) for a syntax error or an invalid literal (GeometryBuilder);
/// TooExpensive (filter) for more vertices than input_limits().geometry_vertices.
GeometryLiteral read_geometry(Lexer& lex, const std::string& kw, std::size_t pos,
                              std::size_t& vertices);

}  // namespace onemap::layers::cql2::detail
