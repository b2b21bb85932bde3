// OGC CQL2 filters (cql2.hpp): Filter ties the pieces together. Text goes through the lexer
// (cql2_lexer) and the parser (cql2_parser, with cql2_geometry for WKT), JSON through its reader
// (cql2_json); both hand what they read to one ProgramBuilder (cql2_builder), which type-checks it
// and compiles it into a flat program (cql2_program.hpp); the evaluator (cql2_eval) runs that
// program on each record and works out the index hint once.
#include "layers/query/cql2.hpp"

#include "core/errors.hpp"
#include "layers/query/cql2_builder.hpp"
#include "layers/query/cql2_eval.hpp"
#include "layers/query/cql2_json.hpp"
#include "layers/query/cql2_parser.hpp"
#include "layers/query/cql2_program.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace onemap::layers::cql2 {

std::string_view type_name(Type t) {
  switch (t) {
    case Type::String:
      return "string";
    case Type::Number:
      return "number";
    case Type::Boolean:
      return "boolean";
    case Type::Timestamp:
      return "timestamp";
    case Type::Geometry:
      return "geometry";
  }
  return "?";
}

Filter::Filter(std::shared_ptr<const detail::Program> program) : program_(std::move(program)) {}

Filter Filter::parse(std::string_view text, const std::vector<Queryable>& queryables,
                     Encoding encoding) {
  return parse_all({{text, encoding}}, queryables);
}

Filter Filter::parse_all(const std::vector<FilterSource>& parts,
                         const std::vector<Queryable>& queryables) {
  auto program = std::make_shared<detail::Program>();
  detail::ProgramBuilder builder(queryables, *program);
  std::vector<uint32_t> roots;
  for (const FilterSource& part : parts)
    roots.push_back(part.encoding == Encoding::Json ? detail::parse_json(part.text, builder)
                                                    : detail::parse(part.text, builder));
  if (roots.empty()) {
    detail::Node yes;
    yes.op = detail::Op::Const;
    yes.value = true;
    program->nodes.push_back(yes);
    roots.push_back(0);
  }
  program->root = builder.logical(detail::Op::And, roots);
  program->bbox = detail::bbox_hint(*program);
  return Filter(std::move(program));
}

namespace {

// Exact equality of geometry literals' coordinates (-0 equals 0).
bool same(const spatial::Point& a, const spatial::Point& b) {
  return a.x() == b.x() && a.y() == b.y();
}
bool same(const spatial::Polygon& a, const spatial::Polygon& b);
bool same(const detail::GeometryLiteral& a, const detail::GeometryLiteral& b);
template <class Range>
bool same(const Range& a, const Range& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const auto& x, const auto& y) { return same(x, y); });
}
bool same(const spatial::Polygon& a, const spatial::Polygon& b) {
  return same(a.outer(), b.outer()) && same(a.inners(), b.inners());
}
bool same(const detail::GeometryLiteral& a, const detail::GeometryLiteral& b) {
  return same(a.points, b.points) && same(a.lines, b.lines) && same(a.polygons, b.polygons) &&
         same(a.envelope.min_corner(), b.envelope.min_corner()) &&
         same(a.envelope.max_corner(), b.envelope.max_corner());
}

}  // namespace

bool Filter::operator==(const Filter& other) const {
  const detail::Program& a = *program_;
  const detail::Program& b = *other.program_;
  return a.nodes == b.nodes && a.root == b.root && a.literals == b.literals &&
         same(a.geometries, b.geometries) && a.patterns == b.patterns && a.sets == b.sets &&
         a.properties == b.properties && a.slot_types == b.slot_types;
}

bool Filter::matches(const std::function<Value(std::size_t)>& get) const {
  return matches<std::function<Value(std::size_t)>>(get);
}

bool Filter::matches_values(std::span<const Value> values) const {
  if (values.size() < program_->properties.size())
    throw InvalidArgument("values",
                          "the filter reads " + std::to_string(program_->properties.size()) +
                              " properties, got " + std::to_string(values.size()) + " values");
  return detail::evaluate(*program_, values);
}

const std::vector<std::size_t>& Filter::properties() const {
  return program_->properties;
}

std::optional<spatial::Box> Filter::bbox_hint() const {
  return program_->bbox;
}

}  // namespace onemap::layers::cql2
