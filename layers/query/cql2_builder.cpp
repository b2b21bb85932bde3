// The rules of a CQL2 filter, shared by its encodings: the types each operator takes, strings
// read as timestamps next to timestamps, the limits on terms, LIKE patterns compiled, IN sets
// sorted, spatial functions turned to put the property first.
#include "layers/query/cql2_builder.hpp"

#include "core/errors.hpp"
#include "core/time.hpp"
#include "layers/model/model.hpp"
#include "layers/model/text.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace onemap::layers::cql2::detail {

namespace {

using core::kSecondsPerDay;
constexpr int64_t kOpenBegin = std::numeric_limits<int64_t>::min();
constexpr int64_t kOpenEnd = std::numeric_limits<int64_t>::max();

constexpr std::pair<std::string_view, SpatialOp> kSpatialOps[] = {
    {"S_INTERSECTS", SpatialOp::Intersects}, {"S_DISJOINT", SpatialOp::Disjoint},
    {"S_EQUALS", SpatialOp::Equals},         {"S_TOUCHES", SpatialOp::Touches},
    {"S_WITHIN", SpatialOp::Within},         {"S_CONTAINS", SpatialOp::Contains},
    {"S_OVERLAPS", SpatialOp::Overlaps},     {"S_CROSSES", SpatialOp::Crosses}};

constexpr std::pair<std::string_view, TemporalOp> kTemporalOps[] = {
    {"T_AFTER", TemporalOp::After},           {"T_BEFORE", TemporalOp::Before},
    {"T_CONTAINS", TemporalOp::Contains},     {"T_DISJOINT", TemporalOp::Disjoint},
    {"T_DURING", TemporalOp::During},         {"T_EQUALS", TemporalOp::Equals},
    {"T_FINISHEDBY", TemporalOp::FinishedBy}, {"T_FINISHES", TemporalOp::Finishes},
    {"T_INTERSECTS", TemporalOp::Intersects}, {"T_MEETS", TemporalOp::Meets},
    {"T_METBY", TemporalOp::MetBy},           {"T_OVERLAPPEDBY", TemporalOp::OverlappedBy},
    {"T_OVERLAPS", TemporalOp::Overlaps},     {"T_STARTEDBY", TemporalOp::StartedBy},
    {"T_STARTS", TemporalOp::Starts}};

template <class Op, std::size_t N>
std::optional<Op> find_op(const std::pair<std::string_view, Op> (&ops)[N], std::string_view kw) {
  for (const auto& [name, op] : ops)
    if (kw == name) return op;
  return std::nullopt;
}

template <class Op, std::size_t N>
std::string_view keyword_of(const std::pair<std::string_view, Op> (&ops)[N], Op op) {
  for (const auto& [name, o] : ops)
    if (o == op) return name;
  return "?";
}

// A timestamp as CQL2 and GDAL write it; times without an offset are UTC. GDAL 3.6 writes an
// OGR date as "YYYY-MM-DDT" and a time to the hour as "YYYY-MM-DDThhZ".
std::optional<int64_t> parse_instant(std::string_view text) {
  std::string s(text);
  if (s.size() == 11 && s[10] == 'T') {
    s.pop_back();
  } else if (s.size() == 14 && s[10] == 'T' && (s[13] == 'Z' || s[13] == 'z')) {
    s.insert(13, ":00");
  }
  return parse_time(s, 0);
}

// Midnight UTC of a strict "YYYY-MM-DD".
std::optional<int64_t> parse_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  return parse_time(s, 0);
}

std::string_view kind_name(Kind k) {
  return k == Kind::Interval ? "interval" : type_name(static_cast<Type>(k));
}

}  // namespace

void fail(const Source& source, std::size_t at, std::string_view kind, const std::string& what) {
  std::string message = std::string(kind) + " at " + source.where(at) + ": " + what;
  if (kind == kTooLarge) throw TooExpensive("filter", message);
  throw InvalidArgument("filter", message);
}

std::optional<SpatialOp> spatial_op(std::string_view keyword) {
  return find_op(kSpatialOps, keyword);
}

std::optional<TemporalOp> temporal_op(std::string_view keyword) {
  return find_op(kTemporalOps, keyword);
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

ProgramBuilder::ProgramBuilder(const std::vector<Queryable>& queryables, Program& program)
    : queryables_(queryables), p_(program), slot_of_(queryables.size(), -1) {}

// ----- errors

void ProgramBuilder::syntax(std::size_t at, const std::string& what) const {
  fail(*source_, at, "syntax error", what);
}

void ProgramBuilder::type_error(std::size_t at, const std::string& what) const {
  fail(*source_, at, "type error", what);
}

void ProgramBuilder::check_depth(int depth, std::size_t at) const {
  if (depth > kMaxDepth) syntax(at, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
}

// Every property name and value is a term; a filter holds at most input_limits().filter_terms
// of them, so that one request cannot make the server build and evaluate millions of nodes
// (AND/OR nodes are fewer than the predicates, NOTs bounded by kMaxDepth).
void ProgramBuilder::count_term(std::size_t at) {
  const std::size_t limit = input_limits().filter_terms;
  if (++terms_ > limit)
    fail(*source_, at, kTooLarge,
         "a filter holds at most " + std::to_string(limit) + " terms (property names and values)");
}

// ----- arguments

std::optional<std::size_t> ProgramBuilder::find_queryable(std::string_view name) const {
  for (std::size_t i = 0; i < queryables_.size(); ++i)
    if (queryables_[i].name == name) return i;
  return std::nullopt;
}

Arg ProgramBuilder::property(std::string_view name, std::size_t at) {
  const std::optional<std::size_t> i = find_queryable(name);
  if (!i) {
    std::string list;
    for (const Queryable& q : queryables_) list += (list.empty() ? "" : ", ") + q.name;
    throw InvalidArgument("filter", "unknown property '" + std::string(name) + "' at " +
                                        source_->where(at) +
                                        " (queryables: " + (list.empty() ? "none" : list) + ")");
  }
  return property(*i, at);
}

Arg ProgramBuilder::property(std::size_t index, std::size_t at) {
  count_term(at);
  if (slot_of_[index] < 0) {
    slot_of_[index] = static_cast<int32_t>(p_.properties.size());
    p_.properties.push_back(index);
    p_.slot_types.push_back(queryables_[index].type);
  }
  Arg a;
  a.op.slot = slot_of_[index];
  a.kind = static_cast<Kind>(queryables_[index].type);
  a.at = at;
  return a;
}

Operand ProgramBuilder::literal_operand(Literal l) {
  p_.literals.push_back(std::move(l));
  Operand o;
  o.literal = static_cast<uint32_t>(p_.literals.size() - 1);
  return o;
}

Arg ProgramBuilder::literal(Literal l, std::size_t at) {
  count_term(at);
  Arg a;
  a.kind = l.kind;
  a.at = at;
  a.op = literal_operand(std::move(l));
  return a;
}

Arg ProgramBuilder::string(std::string text, std::size_t at) {
  Literal l;
  l.kind = Kind::String;
  l.text = std::move(text);
  return literal(std::move(l), at);
}

Arg ProgramBuilder::number(double value, std::size_t at) {
  Literal l;
  l.kind = Kind::Number;
  l.number = value;
  return literal(std::move(l), at);
}

Arg ProgramBuilder::boolean(bool value, std::size_t at) {
  Literal l;
  l.kind = Kind::Boolean;
  l.boolean = value;
  return literal(std::move(l), at);
}

Arg ProgramBuilder::time(TimeRange range, std::size_t at) {
  Literal l;
  l.kind = Kind::Timestamp;
  l.begin = range.begin;
  l.end = range.end;
  return literal(std::move(l), at);
}

Arg ProgramBuilder::interval(IntervalEnd start, IntervalEnd end, std::size_t at,
                             std::size_t end_at) {
  if (start.slot < 0 && end.slot < 0 && start.time > end.time)
    syntax(end_at, name("INTERVAL") + " ends before it starts");
  Literal l;
  l.kind = Kind::Interval;
  l.begin = start.time;
  l.begin_slot = start.slot;
  l.end = end.time;
  l.end_slot = end.slot;
  return literal(std::move(l), at);
}

Arg ProgramBuilder::geometry(GeometryLiteral g, std::size_t at) {
  p_.geometries.push_back(std::move(g));
  Literal l;
  l.kind = Kind::Geometry;
  l.geometry = static_cast<uint32_t>(p_.geometries.size() - 1);
  return literal(std::move(l), at);
}

// ----- times

TimeRange ProgramBuilder::instant(std::string_view text, std::size_t at) const {
  const std::optional<int64_t> t = parse_instant(text);
  if (!t)
    syntax(at,
           "invalid timestamp '" + std::string(text) + "' (expected e.g. 2026-01-01T00:00:00Z)");
  return {*t, *t};
}

TimeRange ProgramBuilder::day(std::string_view text, std::size_t at) const {
  const std::optional<int64_t> day = parse_date(text);
  if (!day) syntax(at, "invalid date '" + std::string(text) + "' (expected YYYY-MM-DD)");
  return {*day, *day + kSecondsPerDay - 1};
}

int64_t ProgramBuilder::interval_end(std::string_view text, bool start, std::size_t at) const {
  if (text == "..") return start ? kOpenBegin : kOpenEnd;
  if (std::optional<int64_t> day = parse_date(text))
    return start ? *day : *day + kSecondsPerDay - 1;
  const std::optional<int64_t> instant = parse_instant(text);
  if (!instant)
    syntax(at, "invalid date or timestamp '" + std::string(text) + "' in " + name("INTERVAL"));
  return *instant;
}

int32_t ProgramBuilder::interval_property(const Arg& a) const {
  if (!a.property() || a.kind != Kind::Timestamp)
    type_error(a.at, name("INTERVAL") +
                         " takes dates, timestamps, '..' or timestamp properties, not " +
                         describe(a));
  return a.op.slot;
}

// ----- predicates

uint32_t ProgramBuilder::add(Node n) {
  p_.nodes.push_back(std::move(n));
  return static_cast<uint32_t>(p_.nodes.size() - 1);
}

uint32_t ProgramBuilder::add(Node n, const Arg& a, const Arg& b) {
  n.a = a.op;
  n.b = b.op;
  return add(std::move(n));
}

uint32_t ProgramBuilder::add(Op op, const Arg& a, bool negate, uint32_t index) {
  Node n;
  n.op = op;
  n.negate = negate;
  n.a = a.op;
  n.index = index;
  return add(std::move(n));
}

std::string ProgramBuilder::describe(const Arg& a) const {
  if (a.property()) {
    const Queryable& q = queryables_[p_.properties[static_cast<std::size_t>(a.op.slot)]];
    return std::string(type_name(q.type)) + " property '" + q.name + "'";
  }
  return std::string(a.kind == Kind::Interval ? "an " : "a ") + std::string(kind_name(a.kind));
}

void ProgramBuilder::coerce(Arg& literal, const Arg& other) {
  if (literal.property() || literal.kind != Kind::String || other.kind != Kind::Timestamp) return;
  Literal& l = p_.literals[literal.op.literal];
  const std::optional<int64_t> t = parse_instant(l.text);
  if (!t)
    type_error(literal.at,
               "'" + l.text + "' is not a timestamp (compared with " + describe(other) + ")");
  l.kind = Kind::Timestamp;
  l.begin = l.end = *t;
  literal.kind = Kind::Timestamp;
}

uint32_t ProgramBuilder::compare(Arg a, Cmp cmp, Arg b, std::size_t at) {
  coerce(a, b);
  coerce(b, a);
  auto either = [&](Kind k) { return a.kind == k || b.kind == k; };
  if (either(Kind::Geometry))
    type_error(
        at, "geometries are compared with the spatial functions (" + name("S_INTERSECTS") + ", …)");
  if (either(Kind::Interval))
    type_error(
        at, "intervals are compared with the temporal functions (" + name("T_INTERSECTS") + ", …)");
  if (a.kind != b.kind) type_error(at, "cannot compare " + describe(a) + " with " + describe(b));
  if (a.kind == Kind::Boolean && cmp != Cmp::Eq && cmp != Cmp::Ne)
    type_error(at, "booleans compare only with = and <>");
  Node n;
  n.op = Op::Compare;
  n.cmp = cmp;
  return add(std::move(n), a, b);
}

uint32_t ProgramBuilder::like(const Arg& a, std::string_view pattern, bool fold_case, bool negate,
                              std::size_t pattern_at) {
  if (a.kind != Kind::String)
    type_error(a.at, name(fold_case ? "ILIKE" : "LIKE") + " needs a string, not " + describe(a));
  Pattern compiled;
  compiled.fold_case = fold_case;
  std::string run;
  auto flush = [&] {
    if (run.empty()) return;
    compiled.pieces.push_back({Pattern::Part::Text, std::move(run)});
    run.clear();
  };
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\') {
      if (i + 1 == pattern.size())
        syntax(pattern_at, "pattern ends with the escape character '\\'");
      c = pattern[++i];
      run += fold_case ? ascii_lower(c) : c;
    } else if (c == '%') {
      flush();
      if (compiled.pieces.empty() || compiled.pieces.back().part != Pattern::Part::Any)
        compiled.pieces.push_back({Pattern::Part::Any, {}});
    } else if (c == '_') {
      flush();
      compiled.pieces.push_back({Pattern::Part::One, {}});
    } else {
      run += fold_case ? ascii_lower(c) : c;
    }
  }
  flush();
  p_.patterns.push_back(std::move(compiled));
  return add(Op::Like, a, negate, static_cast<uint32_t>(p_.patterns.size() - 1));
}

void ProgramBuilder::check_in_subject(const Arg& a) const {
  if (a.kind == Kind::Geometry || a.kind == Kind::Interval)
    type_error(a.at,
               name("IN") + " needs a string, number, boolean or timestamp, not " + describe(a));
}

void ProgramBuilder::add_to_set(ValueSet& set, const Arg& subject, Arg item) {
  if (item.property()) syntax(item.at, "an " + name("IN") + " list holds literals, not properties");
  coerce(item, subject);
  if (item.kind != subject.kind)
    type_error(item.at, "cannot compare " + describe(subject) + " with " + describe(item) +
                            " in the " + name("IN") + " list");
  const Literal& l = p_.literals[item.op.literal];
  switch (l.kind) {
    case Kind::String:
      set.strings.push_back(l.text);
      break;
    case Kind::Number:
      set.numbers.push_back(l.number);
      break;
    case Kind::Boolean:
      (l.boolean ? set.has_true : set.has_false) = true;
      break;
    case Kind::Timestamp:
      set.times.push_back(l.begin);
      break;
    default:
      break;
  }
}

uint32_t ProgramBuilder::in(const Arg& a, ValueSet set, bool negate) {
  auto sort_unique = [](auto& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  };
  sort_unique(set.strings);
  sort_unique(set.numbers);
  sort_unique(set.times);
  p_.sets.push_back(std::move(set));
  return add(Op::In, a, negate, static_cast<uint32_t>(p_.sets.size() - 1));
}

uint32_t ProgramBuilder::between(Arg a, Arg low, Arg high, bool negate) {
  coerce(low, a);
  coerce(high, a);
  coerce(a, low);
  const std::string between = name("BETWEEN");
  if (a.kind != Kind::String && a.kind != Kind::Number && a.kind != Kind::Timestamp)
    type_error(a.at, between + " needs a number, string or timestamp, not " + describe(a));
  for (const Arg* bound : {&low, &high})
    if (bound->kind != a.kind)
      type_error(bound->at,
                 "cannot compare " + describe(a) + " with " + describe(*bound) + " in " + between);
  Node n;
  n.op = Op::Between;
  n.negate = negate;
  n.a = a.op;
  n.b = low.op;
  n.c = high.op;
  return add(std::move(n));
}

uint32_t ProgramBuilder::is_null(const Arg& a, bool negate) {
  return add(Op::IsNull, a, negate, 0);
}

uint32_t ProgramBuilder::spatial(SpatialOp op, Arg x, Arg y, std::size_t at) {
  const std::string fn = name(keyword_of(kSpatialOps, op));
  for (const Arg* arg : {&x, &y})
    if (arg->kind != Kind::Geometry)
      type_error(arg->at, fn + " needs geometries, not " + describe(*arg));
  if (x.property() == y.property())
    type_error(at, fn + " needs one geometry property and one geometry literal");
  const bool swapped = !x.property();  // S_WITHIN(literal, property) = the property contains it
  if (swapped && op == SpatialOp::Within)
    op = SpatialOp::Contains;
  else if (swapped && op == SpatialOp::Contains)
    op = SpatialOp::Within;
  const Arg& property = swapped ? y : x;
  const Arg& literal = swapped ? x : y;
  Node n;
  n.op = Op::Spatial;
  n.spatial = op;
  n.a = property.op;
  n.index = p_.literals[literal.op.literal].geometry;
  return add(std::move(n));
}

uint32_t ProgramBuilder::temporal(TemporalOp op, const Arg& x, const Arg& y) {
  for (const Arg* arg : {&x, &y})
    if (arg->kind != Kind::Timestamp && arg->kind != Kind::Interval)
      type_error(arg->at, name(keyword_of(kTemporalOps, op)) +
                              " needs timestamps or intervals (a timestamp property, " +
                              std::string(source_->time_literals()) + "), not " + describe(*arg));
  Node n;
  n.op = Op::Temporal;
  n.temporal = op;
  return add(std::move(n), x, y);
}

std::optional<uint32_t> ProgramBuilder::boolean_predicate(const Arg& a) {
  if (a.kind != Kind::Boolean) return std::nullopt;
  Node n;
  if (!a.property()) {
    n.op = Op::Const;
    n.value = p_.literals[a.op.literal].boolean;
  } else {
    Literal yes;
    yes.kind = Kind::Boolean;
    yes.boolean = true;
    n.op = Op::Compare;
    n.a = a.op;
    n.b = literal_operand(std::move(yes));
  }
  return add(std::move(n));
}

uint32_t ProgramBuilder::logical(Op op, const std::vector<uint32_t>& children) {
  if (children.size() == 1) return children.front();
  Node n;
  n.op = op;
  for (uint32_t child : children) {
    const Node& c = p_.nodes[child];
    if (c.op == op)
      n.children.insert(n.children.end(), c.children.begin(), c.children.end());
    else
      n.children.push_back(child);
  }
  return add(std::move(n));
}

uint32_t ProgramBuilder::negation(uint32_t child) {
  Node n;
  n.op = Op::Not;
  n.children.push_back(child);
  return add(std::move(n));
}

}  // namespace onemap::layers::cql2::detail
