// The rules of a CQL2 filter whatever its encoding: the readers of CQL2 text (cql2_parser) and
// CQL2 JSON (cql2_json) read the syntax and hand each argument and predicate to one
// ProgramBuilder, which type-checks it against the queryables, counts it against the limits and
// compiles it into the flat Program (cql2_program.hpp) the evaluator runs. A filter in either
// encoding thus compiles to the same program, with the same errors (located and spelled as its
// Source says).
// Internal to layers/query: include it from nowhere else (cql2.hpp is the interface).
#pragma once

#include "layers/query/cql2_program.hpp"
#include "layers/query/cql2_source.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onemap::layers::cql2::detail {

/// Parentheses and NOTs a filter may nest (GDAL nests one level per AND/OR).
inline constexpr int kMaxDepth = 500;

/// CQL2's spatial and temporal functions by their keyword (upper case, "S_INTERSECTS");
/// nullopt for any other word.
std::optional<SpatialOp> spatial_op(std::string_view keyword);
std::optional<TemporalOp> temporal_op(std::string_view keyword);

/// ASCII upper case: keywords are matched so.
std::string upper(std::string_view s);

/// An argument read: a property (its slot) or a literal, its static type and where it is.
struct Arg {
  Operand op;
  Kind kind = Kind::String;
  std::size_t at = 0;
  bool property() const { return op.slot >= 0; }
};

/// A closed range of Unix seconds: a TIMESTAMP's instant, a DATE's UTC day.
struct TimeRange {
  int64_t begin = 0;
  int64_t end = 0;
};

/// One end of an INTERVAL: a time, or a timestamp property's slot (slot >= 0).
struct IntervalEnd {
  int64_t time = 0;
  int32_t slot = -1;
};

/// Compiles a filter's arguments and predicates into `program` (empty on entry), as a reader hands
/// them over: arguments first, then the predicate that takes them, children before their parent.
/// Every method that finds an error throws it located by the current source (read_from):
/// InvalidArgument (filter), or TooExpensive (filter) over the limits of input_limits().
class ProgramBuilder {
 public:
  ProgramBuilder(const std::vector<Queryable>& queryables, Program& program);

  /// The source the next calls come from (a filter may be read from several, ANDed).
  void read_from(const Source& source) { source_ = &source; }
  const Source& source() const { return *source_; }
  /// The coordinates of the filter's geometry literals so far (GeometryBuilder counts them).
  std::size_t& vertices() { return vertices_; }

  // ----- errors

  [[noreturn]] void syntax(std::size_t at, const std::string& what) const;
  [[noreturn]] void type_error(std::size_t at, const std::string& what) const;
  /// @throws InvalidArgument (filter) when `depth` exceeds kMaxDepth.
  void check_depth(int depth, std::size_t at) const;

  // ----- arguments: each is a term of the filter, counted against input_limits().filter_terms

  std::optional<std::size_t> find_queryable(std::string_view name) const;
  const std::vector<Queryable>& queryables() const { return queryables_; }
  /// A property by name. @throws InvalidArgument "unknown property 'x' at … (queryables: …)".
  Arg property(std::string_view name, std::size_t at);
  /// A property by its index in the queryables.
  Arg property(std::size_t index, std::size_t at);
  Arg string(std::string text, std::size_t at);
  Arg number(double value, std::size_t at);
  Arg boolean(bool value, std::size_t at);
  /// A TIMESTAMP or DATE literal, or an INTERVAL.
  Arg time(TimeRange range, std::size_t at);
  Arg interval(IntervalEnd start, IntervalEnd end, std::size_t at, std::size_t end_at);
  Arg geometry(GeometryLiteral g, std::size_t at);

  // ----- times

  /// TIMESTAMP's text: an instant (times without an offset are UTC).
  TimeRange instant(std::string_view text, std::size_t at) const;
  /// DATE's text, a strict "YYYY-MM-DD": its UTC day.
  TimeRange day(std::string_view text, std::size_t at) const;
  /// An end of an INTERVAL given as text: '..' (open), a date or a timestamp.
  int64_t interval_end(std::string_view text, bool start, std::size_t at) const;
  /// An end of an INTERVAL given as a property, which must be a timestamp.
  int32_t interval_property(const Arg& a) const;

  // ----- predicates: each returns its node

  uint32_t compare(Arg a, Cmp cmp, Arg b, std::size_t at);
  /// LIKE (ILIKE with fold_case) with its pattern's text ('%', '_', '\' escapes).
  uint32_t like(const Arg& a, std::string_view pattern, bool fold_case, bool negate,
                std::size_t pattern_at);
  /// IN: the subject checked first, then each item added to the set, then the node.
  void check_in_subject(const Arg& a) const;
  void add_to_set(ValueSet& set, const Arg& subject, Arg item);
  uint32_t in(const Arg& a, ValueSet set, bool negate);
  uint32_t between(Arg a, Arg low, Arg high, bool negate);
  uint32_t is_null(const Arg& a, bool negate);
  /// `at`: where the function is named.
  uint32_t spatial(SpatialOp op, Arg x, Arg y, std::size_t at);
  uint32_t temporal(TemporalOp op, const Arg& x, const Arg& y);
  /// A boolean literal or boolean property standing alone; nullopt for any other argument.
  std::optional<uint32_t> boolean_predicate(const Arg& a);
  /// AND or OR of its children (a child of the same operator merged into it).
  uint32_t logical(Op op, const std::vector<uint32_t>& children);
  uint32_t negation(uint32_t child);

  /// "string property 'name'", "a number", "an interval".
  std::string describe(const Arg& a) const;

 private:
  void count_term(std::size_t at);
  uint32_t add(Node n);
  /// A node of two arguments (a comparison, a temporal function).
  uint32_t add(Node n, const Arg& a, const Arg& b);
  /// A node of one argument (LIKE, IN, IS NULL), `index` its entry in the program's patterns or
  /// sets.
  uint32_t add(Op op, const Arg& a, bool negate, uint32_t index);
  Operand literal_operand(Literal l);
  Arg literal(Literal l, std::size_t at);
  std::string name(std::string_view keyword) const { return source_->spell(keyword); }
  // A string literal next to a timestamp is read as a timestamp (GDAL sends timestamps so).
  void coerce(Arg& literal, const Arg& other);

  const std::vector<Queryable>& queryables_;
  Program& p_;
  const Source* source_ = nullptr;
  std::vector<int32_t> slot_of_;  ///< queryable index → slot, -1 when not read
  std::size_t terms_ = 0;         ///< property names and values so far
  std::size_t vertices_ = 0;      ///< coordinates of geometry literals so far
};

}  // namespace onemap::layers::cql2::detail
