// The CQL2 text parser: recursive descent over the lexer's tokens, type-checking as it goes and
// compiling the filter into a Program (cql2_program.hpp) for the evaluator.
// Internal to layers/query: include it from nowhere else (cql2.hpp is the interface).
#pragma once

#include "layers/query/cql2_program.hpp"

#include <string_view>
#include <vector>

namespace onemap::layers::cql2::detail {

/// Parses CQL2 text into `program` (empty on entry), checking property names and the types each
/// operator needs against the queryables. Leaves program.bbox unset (see cql2_eval.hpp).
/// @throws InvalidArgument (filter) for a syntax or type error, an unknown property, an invalid
/// geometry literal or nesting deeper than 500 levels; TooExpensive (filter) for more terms than
/// input_limits().filter_terms or more vertices than input_limits().geometry_vertices. The
/// message gives the 1-based character position.
void parse(std::string_view text, const std::vector<Queryable>& queryables, Program& program);

}  // namespace onemap::layers::cql2::detail
