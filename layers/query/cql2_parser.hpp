// The CQL2 text parser: recursive descent over the lexer's tokens, handing what it reads to the
// ProgramBuilder (cql2_builder.hpp), which type-checks and compiles it.
// Internal to layers/query: include it from nowhere else (cql2.hpp is the interface).
#pragma once

#include "layers/query/cql2_builder.hpp"

#include <cstdint>
#include <string_view>

namespace onemap::layers::cql2::detail {

/// Reads CQL2 text into the builder's program; returns the filter's root node. Errors give the
/// 1-based character position in `text`.
/// @throws InvalidArgument (filter) for a syntax or type error, an unknown property, an invalid
/// geometry literal or nesting deeper than kMaxDepth levels; TooExpensive (filter) for more terms
/// than input_limits().filter_terms or more vertices than input_limits().geometry_vertices.
uint32_t parse(std::string_view text, ProgramBuilder& builder);

}  // namespace onemap::layers::cql2::detail
