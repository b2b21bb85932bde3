// The CQL2 JSON reader (OGC 21-065r2, conformance class cql2-json): the JSON tree walked as its
// schema (cql2.json) says, handing each argument and predicate to the ProgramBuilder
// (cql2_builder.hpp) that CQL2 text's parser hands its own to: the same filter in either
// encoding is the same program.
// Internal to layers/query: include it from nowhere else (cql2.hpp is the interface).
#pragma once

#include "layers/query/cql2_builder.hpp"

#include <cstdint>
#include <string_view>

namespace onemap::layers::cql2::detail {

/// Reads CQL2 JSON into the builder's program; returns the filter's root node. Errors locate
/// their part by a JSON Pointer in URI fragment form ("#/args/1/coordinates/0", "#" for the
/// whole), and spell the operators as CQL2 JSON does ("s_intersects").
/// @throws InvalidArgument (filter) for text that is no JSON or nests deeper than
/// input_limits().json_depth, for a structure CQL2 JSON does not have, for what onemap does not
/// offer (functions, arithmetic, arrays, casei, accenti), and for the errors CQL2 text has too;
/// TooExpensive (filter) over the limits on terms and vertices.
uint32_t parse_json(std::string_view text, ProgramBuilder& builder);

}  // namespace onemap::layers::cql2::detail
