// The CQL2 evaluator: a compiled Program (cql2_program.hpp) run on one record's values, in SQL's
// three-valued logic and without allocating; and the index hint drawn from a program.
// Internal to layers/query: include it from nowhere else (cql2.hpp is the interface).
#pragma once

#include "layers/query/cql2_program.hpp"

#include <optional>
#include <span>

namespace onemap::layers::cql2::detail {

/// Whether a record matches (the filter is true, not false or unknown). values[k] is the value of
/// the property in slot k; there are at least program.properties.size() of them.
bool evaluate(const Program& program, std::span<const Value> values);

/// The box that Filter::bbox_hint() promises, worked out once from a parsed program: the smallest
/// envelope of the geometry literals that a spatial predicate other than S_DISJOINT tests one
/// geometry property against, at the top level of the filter or of its top-level conjunction.
std::optional<spatial::Box> bbox_hint(const Program& program);

}  // namespace onemap::layers::cql2::detail
