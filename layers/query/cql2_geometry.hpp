// CQL2 geometry literals: 2D WKT (POINT, LINESTRING, POLYGON and their MULTI forms) and BBOX,
// read for the parser into the multi-geometries the spatial predicates test, with their envelopes.
// Apart from the parser because WKT is a small language of its own.
// Internal to layers/query: include it from nowhere else (cql2.hpp is the interface).
#pragma once

#include "layers/query/cql2_lexer.hpp"
#include "layers/query/cql2_program.hpp"

#include <cstddef>
#include <string>

namespace onemap::layers::cql2::detail {

/// Reads the literal of geometry keyword `kw` (upper case: POINT, …, MULTIPOLYGON or BBOX, which
/// starts at byte `pos`; its '(' is the lexer's next token). `vertices` counts the coordinates of
/// the filter's geometry literals so far.
/// @throws InvalidArgument (filter) for a syntax error, coordinates outside CRS84 lon/lat or an
/// invalid polygon (the reason Boost.Geometry gives); TooExpensive (filter) for more vertices
/// than input_limits().geometry_vertices.
GeometryLiteral read_geometry(Lexer& lex, const std::string& kw, std::size_t pos,
                              std::size_t& vertices);

}  // namespace onemap::layers::cql2::detail
