// OGC CQL2 text filters (cql2.hpp): Filter ties the pieces together. The text goes through the
// lexer (cql2_lexer) and the parser (cql2_parser, with cql2_geometry for WKT), which hand what
// they read to the ProgramBuilder (cql2_builder); it type-checks it and compiles it into a flat
// program (cql2_program.hpp); the evaluator (cql2_eval) runs that program on each record and
// works out the index hint once.
#include "layers/query/cql2.hpp"

#include "core/errors.hpp"
#include "layers/query/cql2_builder.hpp"
#include "layers/query/cql2_eval.hpp"
#include "layers/query/cql2_parser.hpp"
#include "layers/query/cql2_program.hpp"

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

Filter Filter::parse(std::string_view text, const std::vector<Queryable>& queryables) {
  auto program = std::make_shared<detail::Program>();
  detail::ProgramBuilder builder(queryables, *program);
  program->root = detail::parse(text, builder);
  program->bbox = detail::bbox_hint(*program);
  return Filter(std::move(program));
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
