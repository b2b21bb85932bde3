// The compiled form of a CQL2 filter, which the ProgramBuilder writes and the evaluator reads: a
// flat program of nodes over literals, compiled LIKE patterns, sorted IN sets and geometry literals
// with their envelopes, so that evaluation walks indices and allocates nothing.
// Internal to layers/query: include it from nowhere else (cql2.hpp is the interface).
//
// Boost 1.74's areal/areal relate (S_WITHIN between two multipolygons) trips GCC 12's
// -Wmaybe-uninitialized on an envelope it keeps internally, a false positive; silenced for the
// Boost headers only. The state applies where the warned code is written, that is where Boost's
// headers are first read: a file that runs Boost.Geometry's algorithms on a program includes
// this header (or one that includes it) before any other.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)  // (clang has no such warning)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "layers/query/cql2.hpp"

#include <boost/geometry/geometries/linestring.hpp>
#include <boost/geometry/geometries/multi_linestring.hpp>
#include <boost/geometry/geometries/multi_point.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace onemap::layers::cql2::detail {

namespace bg = spatial::bg;
using spatial::LineString;
using spatial::MultiLineString;
using spatial::MultiPoint;
using spatial::MultiPolygon;
using spatial::Point;

/// The static type of an argument: a queryable's type (same order as Type), or an interval.
enum class Kind : uint8_t { String, Number, Boolean, Timestamp, Geometry, Interval };

/// A literal. Timestamps and intervals are closed ranges of Unix seconds [begin, end]: an instant
/// has begin == end, a DATE spans its UTC day, an open end is the int64 limit. Comparisons and IN
/// lists use `begin`, temporal predicates the range. An INTERVAL may take an end from a timestamp
/// property instead (INTERVAL(reported_at, closed_at)): its slot replaces `begin` or `end`.
struct Literal {
  Kind kind = Kind::String;
  std::string text;
  double number = 0;
  bool boolean = false;
  int64_t begin = 0;
  int64_t end = 0;
  int32_t begin_slot = -1;  ///< Interval: the property slot of its start, -1 for `begin`
  int32_t end_slot = -1;    ///< Interval: the property slot of its end, -1 for `end`
  uint32_t geometry = 0;    ///< index in Program::geometries
  bool operator==(const Literal&) const = default;
};

/// A geometry literal as the point set the spatial predicates test: its points, its lines and its
/// polygons (one valid multipolygon: the polygons of a GEOMETRYCOLLECTION, which may overlap, are
/// united), any of them empty, with its envelope.
struct GeometryLiteral {
  MultiPoint points;
  MultiLineString lines;
  MultiPolygon polygons;
  spatial::Box envelope;
  /// 2 with polygons, else 1 with lines, else 0: what S_OVERLAPS and S_CROSSES ask of it.
  int dimension() const { return !polygons.empty() ? 2 : !lines.empty() ? 1 : 0; }
};

/// A compiled LIKE pattern: literal runs (ASCII-lowered for ILIKE), '_' and '%'.
struct Pattern {
  enum class Part : uint8_t { Text, One, Any };
  struct Piece {
    Part part = Part::Text;
    std::string text;
    bool operator==(const Piece&) const = default;
  };
  std::vector<Piece> pieces;
  bool fold_case = false;
  bool operator==(const Pattern&) const = default;
};

/// The literals of an IN list, sorted by kind for binary search.
struct ValueSet {
  std::vector<std::string> strings;
  std::vector<double> numbers;
  std::vector<int64_t> times;
  bool has_true = false;
  bool has_false = false;
  bool operator==(const ValueSet&) const = default;
};

/// An argument of a node: a property (its slot, the index in Program::properties) or a literal.
struct Operand {
  int32_t slot = -1;
  uint32_t literal = 0;  ///< index in Program::literals when slot < 0
  bool operator==(const Operand&) const = default;
};

enum class Op : uint8_t {
  And,
  Or,
  Not,
  Const,
  Compare,
  Like,
  In,
  Between,
  IsNull,
  Spatial,
  Temporal
};
enum class Cmp : uint8_t { Eq, Ne, Lt, Le, Gt, Ge };
/// Spatial relations with the property first: Contains is "the property contains the literal".
enum class SpatialOp : uint8_t {
  Intersects,
  Disjoint,
  Equals,
  Touches,
  Within,
  Contains,
  Overlaps,
  Crosses
};
/// Temporal relations, first argument first: After is "a is after b".
enum class TemporalOp : uint8_t {
  After,
  Before,
  Contains,
  Disjoint,
  During,
  Equals,
  FinishedBy,
  Finishes,
  Intersects,
  Meets,
  MetBy,
  OverlappedBy,
  Overlaps,
  StartedBy,
  Starts
};

struct Node {
  Op op = Op::Const;
  bool negate = false;  ///< NOT LIKE, NOT IN, NOT BETWEEN, IS NOT NULL
  bool value = false;   ///< Const
  Cmp cmp = Cmp::Eq;
  SpatialOp spatial = SpatialOp::Intersects;
  TemporalOp temporal = TemporalOp::Intersects;
  Operand a, b, c;     ///< Compare a ? b; Between a in [b, c]; Temporal T_x(a, b); Spatial: a only
  uint32_t index = 0;  ///< Like: Program::patterns; In: Program::sets; Spatial: Program::geometries
  std::vector<uint32_t> children;  ///< And, Or (flattened), Not (one child)
  bool operator==(const Node&) const = default;
};

struct Program {
  std::vector<Node> nodes;
  uint32_t root = 0;
  std::vector<Literal> literals;
  std::vector<GeometryLiteral> geometries;
  std::vector<Pattern> patterns;
  std::vector<ValueSet> sets;
  std::vector<std::size_t> properties;  ///< slot → queryable index
  std::vector<Type> slot_types;         ///< slot → queryable type
  std::optional<spatial::Box> bbox;
};

// What a LIKE pattern and the text it matches must agree on, so the builder (which compiles the
// pattern) and the evaluator (which matches it) share them.

/// ILIKE folds ASCII letters only.
inline char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// Length of the UTF-8 sequence that starts with byte c (a stray byte counts as one character):
/// LIKE's '_' is one character.
inline std::size_t utf8_length(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c >> 5) == 0x6) return 2;
  if ((c >> 4) == 0xE) return 3;
  if ((c >> 3) == 0x1E) return 4;
  return 1;
}

}  // namespace onemap::layers::cql2::detail
