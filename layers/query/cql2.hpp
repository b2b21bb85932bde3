// OGC CQL2 filters (OGC API - Features Part 3, "filter-lang=cql2-text" and "cql2-json"): parsed
// once, checked against a layer's queryables, then evaluated per record without allocating (for
// filters that read up to 16 properties; a spatial predicate on an area allocates).
//
// The language: comparisons (= <> < <= > >=), LIKE/ILIKE with % and _ (\ escapes), IN lists,
// BETWEEN, IS [NOT] NULL, AND/OR/NOT with parentheses (NOT binds tighter than AND, AND tighter
// than OR), TRUE/FALSE, string/number/TIMESTAMP/DATE/INTERVAL literals (an INTERVAL's ends may be
// timestamp properties), WKT (GEOMETRYCOLLECTION and z coordinates too) and BBOX geometry
// literals, CQL2 1.0's spatial functions (S_INTERSECTS, S_EQUALS, S_DISJOINT, S_TOUCHES,
// S_WITHIN, S_OVERLAPS, S_CROSSES, S_CONTAINS) and temporal functions (T_AFTER, T_BEFORE,
// T_CONTAINS, T_DISJOINT, T_DURING, T_EQUALS, T_FINISHEDBY, T_FINISHES, T_INTERSECTS, T_MEETS,
// T_METBY, T_OVERLAPPEDBY, T_OVERLAPS, T_STARTEDBY, T_STARTS).
// Keywords are case-insensitive, property names case-sensitive (bare, or "double-quoted").
// It also takes what GDAL's OAPIF driver sends with filter-lang=cql-text: every comparison in
// parentheses, "NOT (…)", ILIKE, timestamps as plain strings ('2025-03-24T23:33:07Z', or
// '2025-03-24T' for a date), and property names unquoted even when they hold spaces.
//
// CQL2 JSON says the same in JSON (its schema, cql2.json): {"op": "and", "args": [...]} for the
// logical, comparison ("=", "<>", "<", ">", "<=", ">=", "like", "between", "in", "isNull"),
// spatial ("s_intersects", …) and temporal ("t_metBy", …) operators, {"property": "name"},
// strings, numbers and booleans, {"timestamp": "…"}, {"date": "…"}, {"interval": [start, end]}
// (each a date, a timestamp, ".." or {"property": …}), GeoJSON geometries and {"bbox": […]}.
// Operator names match in any case. A filter in CQL2 JSON compiles to the same program as the
// same filter in text and follows the same rules; what neither offers (functions, arithmetic,
// arrays, CASEI, ACCENTI) is an error saying so.
//
// Semantics:
// - Nulls follow SQL's three-valued logic: a predicate on a null value is unknown, NOT unknown is
//   unknown, FALSE AND unknown is false, TRUE OR unknown is true; a record matches when the whole
//   filter is true. IS [NOT] NULL is never unknown. A value of another kind than its queryable's
//   type (a number for a string queryable, say) counts as null.
// - Strings compare byte by byte (UTF-8 order); LIKE's _ is one UTF-8 character; ILIKE folds
//   ASCII letters only.
// - A string literal compared with a timestamp is read as a timestamp; a DATE literal in a
//   comparison or IN list stands for midnight UTC of that day; times without an offset are UTC.
// - Temporal predicates take both arguments as closed intervals of whole seconds (an instant t
//   is [t, t], a DATE the whole UTC day, '..' an open end, which only another '..' equals) and
//   follow CQL2's definitions (OWL-Time's, by the intervals' ends): T_BEFORE(a, b): a ends before
//   b begins; T_AFTER: a begins after b ends; T_DISJOINT: either; T_INTERSECTS: neither (they
//   share a second); T_EQUALS: same start and end; T_MEETS: a ends when b begins; T_METBY: a
//   begins when b ends; T_STARTS, T_STARTEDBY: same start, a ends before (after) b; T_FINISHES,
//   T_FINISHEDBY: same end, a begins after (before) b; T_DURING: a begins after b and ends before
//   it; T_CONTAINS: the converse; T_OVERLAPS: a begins before b, ends inside it; T_OVERLAPPEDBY:
//   the converse. The interval-only functions take instants too, as the ranges they are: an
//   instant on a DATE's first second both T_MEETS and T_STARTS it. An INTERVAL with a null
//   property, or whose properties make it end before it starts, is null.
// - Spatial predicates are DE-9IM's (OGC Simple Features), in 2D (Boost.Geometry locates a point
//   property, GEOS relates an area): S_INTERSECTS includes touching boundaries, S_DISJOINT is its
//   negation; S_WITHIN(a, b) needs a's interior inside b and nothing of a outside b, so a point on
//   a polygon's edge is not within it; S_CONTAINS(a, b) = S_WITHIN(b, a); S_TOUCHES: they meet,
//   their interiors do not (a point on a polygon's edge or a line's end point touches it, one
//   inside does not); S_EQUALS: the same point set; S_OVERLAPS: same dimension, the interiors
//   meet and each has points outside the other; S_CROSSES: of points or lines and a geometry of
//   higher dimension, the lower one lies partly in the other's interior and partly outside it (of
//   two lines: their interiors meet in points only). A line's boundary is its end points (mod 2:
//   one shared by two lines is interior); a GEOMETRYCOLLECTION is the union of its members.
//   Coordinates are lon/lat as stored (no CRS transformation).
#pragma once

#include "spatial/geometry.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace onemap::layers::cql2 {

/// The type of a queryable.
enum class Type { String, Number, Boolean, Timestamp, Geometry };
/// "string", "number", "boolean", "timestamp", "geometry".
std::string_view type_name(Type t);

/// A property a filter may read: its name (case-sensitive) and type.
struct Queryable {
  std::string name;
  Type type = Type::String;
};

/// A property value of one record: null, text, number (integers too), boolean, a timestamp
/// (Unix seconds), a point (lon/lat) or a polygonal geometry (nullptr counts as null).
struct Null {};
struct Timestamp {
  int64_t seconds = 0;
};
using Value = std::variant<Null, std::string_view, double, bool, Timestamp, spatial::Point,
                           const spatial::MultiPolygon*>;

namespace detail {
struct Program;
}

/// CQL2's encodings of a filter (filter-lang=cql2-text, cql2-json).
enum class Encoding { Text, Json };

/// A filter's text in one encoding.
struct FilterSource {
  std::string_view text;
  Encoding encoding = Encoding::Text;
};

/// A parsed and type-checked CQL2 filter. Immutable; copies share the parsed program, and one
/// filter may be evaluated from several threads at once.
class Filter {
 public:
  /// Parses a filter in CQL2 text (or CQL2 JSON) and checks it against the queryables (property
  /// names and the types each operator needs).
  /// @throws InvalidArgument with parameter "filter" and a message giving the 1-based character
  /// position, e.g. "syntax error at position 17: expected ')' after the IN list" or
  /// "unknown property 'colour' at position 1 (queryables: a, b, c)"; also for a filter of more
  /// terms (property names and values) than input_limits().filter_terms, geometry literals of
  /// more vertices than input_limits().geometry_vertices, or nesting deeper than 500 levels.
  /// In CQL2 JSON, errors locate their part by a JSON Pointer ("type error at #/args/0: …"),
  /// and text that is no JSON is "not valid JSON: parse error at line 1, column 5: …".
  static Filter parse(std::string_view text, const std::vector<Queryable>& queryables,
                      Encoding encoding = Encoding::Text);

  /// The conjunction of filters, each in its encoding, as one filter (a request's filter and its
  /// queryables given as parameters): each one's errors are located within its own text. The
  /// limits on terms and vertices are on the whole. No parts is the filter TRUE.
  static Filter parse_all(const std::vector<FilterSource>& parts,
                          const std::vector<Queryable>& queryables);

  /// Whether two filters compiled to the same program: the same predicates over the same
  /// properties and literals, in the same order (a filter in CQL2 text equals it in CQL2 JSON).
  bool operator==(const Filter& other) const;

  /// Whether a record matches. `get(i)` returns the value of queryables[i] for that record; it is
  /// called once for each index of properties(), before evaluation.
  bool matches(const std::function<Value(std::size_t)>& get) const;

  /// The same without the std::function indirection (any callable `Value(std::size_t)`).
  template <class Get>
  requires std::is_invocable_r_v<Value, const Get&, std::size_t>
  bool matches(const Get& get) const;

  /// Whether a record matches, given its values in the order of properties():
  /// values[k] is the value of queryables[properties()[k]].
  bool matches_values(std::span<const Value> values) const;

  /// The indices of the queryables the filter reads, in order of first appearance.
  const std::vector<std::size_t>& properties() const;

  /// When the filter's top level is a conjunction (or a single predicate) with spatial
  /// predicates other than S_DISJOINT (each needs the geometries to meet) between one geometry
  /// property and a literal, a box that the geometry of every matching record meets (the
  /// literal's envelope; the smallest if there are several), for index pre-filtering. nullopt
  /// otherwise.
  std::optional<spatial::Box> bbox_hint() const;

 private:
  explicit Filter(std::shared_ptr<const detail::Program> program);
  std::shared_ptr<const detail::Program> program_;
};

template <class Get>
requires std::is_invocable_r_v<Value, const Get&, std::size_t>
bool Filter::matches(const Get& get) const {
  const std::vector<std::size_t>& props = properties();
  constexpr std::size_t kInline = 16;
  if (props.size() <= kInline) {
    // Storage for the values, constructed only as far as the filter reads: initialising all of
    // them would cost more than reading a record's few.
    static_assert(std::is_trivially_destructible_v<Value>);
    union Slots {
      Slots() {}
      Value v[kInline];
    } slots;
    for (std::size_t k = 0; k < props.size(); ++k) std::construct_at(&slots.v[k], get(props[k]));
    return matches_values(std::span<const Value>(slots.v, props.size()));
  }
  std::vector<Value> values;
  values.reserve(props.size());
  for (std::size_t i : props) values.push_back(get(i));
  return matches_values(values);
}

}  // namespace onemap::layers::cql2
