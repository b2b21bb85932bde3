// CQL2 geometry literals: WKT (POINT, LINESTRING, POLYGON, their MULTI forms and
// GEOMETRYCOLLECTION, with z coordinates or without) and BBOX, read for the parser into the
// points, lines and polygons the spatial predicates test, with their envelopes.
// Apart from the parser because WKT is a small language of its own.
// Internal to layers/query: include it from nowhere else (cql2.hpp is the interface).
#pragma once

#include "layers/query/cql2_lexer.hpp"
#include "layers/query/cql2_program.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace onemap::layers::cql2::detail {

/// POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING or MULTIPOLYGON (upper case): the
/// members a GEOMETRYCOLLECTION may hold.
bool is_wkt_keyword(std::string_view kw);

/// Reads the literal of geometry keyword `kw` (upper case: a WKT keyword, GEOMETRYCOLLECTION or
/// BBOX, which starts at byte `pos`; the lexer's next token is its '(', or the Z before it). z
/// coordinates are read and dropped: the predicates are 2D. `vertices` counts the coordinates of
/// the filter's geometry literals so far.
/// @throws InvalidArgument (filter) for a syntax error, coordinates outside CRS84 lon/lat or an
/// invalid line or polygon (the reason Boost.Geometry gives); TooExpensive (filter) for more
/// vertices than input_limits().geometry_vertices.
GeometryLiteral read_geometry(Lexer& lex, const std::string& kw, std::size_t pos,
                              std::size_t& vertices);

}  // namespace onemap::layers::cql2::detail
