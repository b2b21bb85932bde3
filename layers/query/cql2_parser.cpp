// The CQL2 text parser: a recursive descent over the lexer's tokens (OR < AND < NOT < primary)
// that type-checks each predicate as it reads it and compiles it into the flat Program the
// evaluator runs: literals (strings next to timestamps read as timestamps), LIKE patterns, sorted
// IN sets and validated geometry literals with their envelopes.
#include "layers/query/cql2_parser.hpp"

#include "core/errors.hpp"
#include "core/time.hpp"
#include "layers/model/model.hpp"
#include "layers/model/text.hpp"
#include "layers/query/cql2_geometry.hpp"
#include "layers/query/cql2_lexer.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace onemap::layers::cql2::detail {

namespace {

constexpr int kMaxDepth = 500;  // parentheses and NOTs; GDAL nests one level per AND/OR
using core::kSecondsPerDay;
constexpr int64_t kOpenBegin = std::numeric_limits<int64_t>::min();
constexpr int64_t kOpenEnd = std::numeric_limits<int64_t>::max();

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}
std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
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

std::optional<SpatialOp> spatial_op(std::string_view kw) {
  static constexpr std::pair<std::string_view, SpatialOp> kOps[] = {
      {"S_INTERSECTS", SpatialOp::Intersects}, {"S_DISJOINT", SpatialOp::Disjoint},
      {"S_EQUALS", SpatialOp::Equals},         {"S_TOUCHES", SpatialOp::Touches},
      {"S_WITHIN", SpatialOp::Within},         {"S_CONTAINS", SpatialOp::Contains},
      {"S_OVERLAPS", SpatialOp::Overlaps},     {"S_CROSSES", SpatialOp::Crosses}};
  for (const auto& [name, op] : kOps)
    if (kw == name) return op;
  return std::nullopt;
}

std::optional<TemporalOp> temporal_op(std::string_view kw) {
  static constexpr std::pair<std::string_view, TemporalOp> kOps[] = {
      {"T_AFTER", TemporalOp::After},           {"T_BEFORE", TemporalOp::Before},
      {"T_CONTAINS", TemporalOp::Contains},     {"T_DISJOINT", TemporalOp::Disjoint},
      {"T_DURING", TemporalOp::During},         {"T_EQUALS", TemporalOp::Equals},
      {"T_FINISHEDBY", TemporalOp::FinishedBy}, {"T_FINISHES", TemporalOp::Finishes},
      {"T_INTERSECTS", TemporalOp::Intersects}, {"T_MEETS", TemporalOp::Meets},
      {"T_METBY", TemporalOp::MetBy},           {"T_OVERLAPPEDBY", TemporalOp::OverlappedBy},
      {"T_OVERLAPS", TemporalOp::Overlaps},     {"T_STARTEDBY", TemporalOp::StartedBy},
      {"T_STARTS", TemporalOp::Starts}};
  for (const auto& [name, op] : kOps)
    if (kw == name) return op;
  return std::nullopt;
}

std::optional<Cmp> comparison(Tok t) {
  switch (t) {
    case Tok::Eq:
      return Cmp::Eq;
    case Tok::Ne:
      return Cmp::Ne;
    case Tok::Lt:
      return Cmp::Lt;
    case Tok::Le:
      return Cmp::Le;
    case Tok::Gt:
      return Cmp::Gt;
    case Tok::Ge:
      return Cmp::Ge;
    default:
      return std::nullopt;
  }
}

bool is_geometry_keyword(std::string_view kw) {
  return is_wkt_keyword(kw) || kw == "GEOMETRYCOLLECTION" || kw == "BBOX";
}

bool is_reserved(std::string_view kw) {
  return kw == "AND" || kw == "OR" || kw == "NOT" || kw == "LIKE" || kw == "ILIKE" || kw == "IN" ||
         kw == "BETWEEN" || kw == "IS" || kw == "NULL";
}

std::string_view kind_name(Kind k) {
  return k == Kind::Interval ? "interval" : type_name(static_cast<Type>(k));
}

bool is_keyword(const Token& t, std::string_view kw) {
  return t.kind == Tok::Word && upper(t.text) == kw;
}

class Parser {
 public:
  Parser(std::string_view text, const std::vector<Queryable>& queryables, Program& program)
      : text_(text),
        queryables_(queryables),
        p_(program),
        lex_(text),
        slot_of_(queryables.size(), -1) {}

  void run() {
    if (lex_.peek().kind == Tok::End) syntax(lex_.peek().pos, "empty filter");
    p_.root = parse_or(0);
    const Token& t = lex_.peek();
    if (t.kind != Tok::End) syntax(t.pos, "expected AND, OR or the end of the filter");
  }

 private:
  /// A parsed argument: where it comes from, its static type, where it starts in the text.
  struct Arg {
    Operand op;
    Kind kind = Kind::String;
    std::size_t pos = 0;
    bool property() const { return op.slot >= 0; }
  };

  [[noreturn]] void syntax(std::size_t pos, const std::string& what) const {
    lex_.syntax(pos, what);
  }
  [[noreturn]] void type_error(std::size_t pos, const std::string& what) const {
    lex_.error(pos, "type error", what);
  }
  std::string position(std::size_t byte) const {
    return std::to_string(char_position(text_, byte));
  }

  // Every property name and value is a term; a filter holds at most input_limits().filter_terms
  // of them, so that one request cannot make the server build and evaluate millions of nodes
  // (AND/OR nodes are fewer than the predicates, NOTs bounded by kMaxDepth).
  void count_term(std::size_t pos) {
    const std::size_t limit = input_limits().filter_terms;
    if (++terms_ > limit)
      lex_.error(
          pos, kTooLarge,
          "a filter holds at most " + std::to_string(limit) + " terms (property names and values)");
  }

  uint32_t add(Node n) {
    p_.nodes.push_back(std::move(n));
    return static_cast<uint32_t>(p_.nodes.size() - 1);
  }

  // Appends a child to an AND/OR node, merging a child of the same operator into it.
  void append(Node& n, uint32_t child) {
    const Node& c = p_.nodes[child];
    if (c.op == n.op)
      n.children.insert(n.children.end(), c.children.begin(), c.children.end());
    else
      n.children.push_back(child);
  }

  // ----- boolean structure: OR < AND < NOT < primary

  uint32_t parse_or(int depth) {
    if (depth > kMaxDepth)
      syntax(lex_.peek().pos, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    uint32_t first = parse_and(depth);
    if (!is_keyword(lex_.peek(), "OR")) return first;
    Node n;
    n.op = Op::Or;
    append(n, first);
    while (is_keyword(lex_.peek(), "OR")) {
      lex_.next();
      append(n, parse_and(depth));
    }
    return add(std::move(n));
  }

  uint32_t parse_and(int depth) {
    uint32_t first = parse_not(depth);
    if (!is_keyword(lex_.peek(), "AND")) return first;
    Node n;
    n.op = Op::And;
    append(n, first);
    while (is_keyword(lex_.peek(), "AND")) {
      lex_.next();
      append(n, parse_not(depth));
    }
    return add(std::move(n));
  }

  uint32_t parse_not(int depth) {
    if (!is_keyword(lex_.peek(), "NOT")) return parse_primary(depth);
    Token kw = lex_.next();
    if (depth + 1 > kMaxDepth)
      syntax(kw.pos, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    uint32_t child = parse_not(depth + 1);
    Node n;
    n.op = Op::Not;
    n.children.push_back(child);
    return add(std::move(n));
  }

  uint32_t parse_primary(int depth) {
    const Token& t = lex_.peek();
    if (t.kind == Tok::LParen) {
      Token open = lex_.next();
      uint32_t inner = parse_or(depth + 1);
      lex_.expect(Tok::RParen, "expected ')' to close the '(' at position " + position(open.pos));
      return inner;
    }
    if (t.kind == Tok::Word && lex_.char_after(t) == '(') {
      std::string kw = upper(t.text);
      if (auto op = spatial_op(kw)) return parse_spatial(lex_.next(), *op, kw);
      if (auto op = temporal_op(kw)) return parse_temporal(lex_.next(), *op, kw);
    }
    return parse_predicate(parse_arg());
  }

  // ----- predicates

  uint32_t parse_predicate(Arg a) {
    const Token& t = lex_.peek();
    if (auto cmp = comparison(t.kind)) {
      Token op = lex_.next();
      Arg b = parse_arg();
      check_comparison(a, b, *cmp, op.pos);
      Node n;
      n.op = Op::Compare;
      n.cmp = *cmp;
      n.a = a.op;
      n.b = b.op;
      return add(std::move(n));
    }
    if (t.kind == Tok::Word) {
      std::string kw = upper(t.text);
      bool negate = false;
      if (kw == "NOT") {
        lex_.next();
        const Token& after = lex_.peek();
        // NOLINTNEXTLINE(clang-analyzer-cplusplus.Move): peek() lexed `after` anew into token_
        kw = after.kind == Tok::Word ? upper(after.text) : std::string();
        if (kw != "LIKE" && kw != "ILIKE" && kw != "IN" && kw != "BETWEEN")
          syntax(after.pos, "expected LIKE, ILIKE, IN or BETWEEN after NOT");
        negate = true;
      }
      if (kw == "LIKE" || kw == "ILIKE") return parse_like(a, negate, kw);
      if (kw == "IN") return parse_in(a, negate);
      if (kw == "BETWEEN") return parse_between(a, negate);
      if (kw == "IS") return parse_is_null(a);
    }
    // A boolean literal, or a boolean property, is a predicate by itself.
    if (a.kind == Kind::Boolean) {
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
    syntax(t.pos,
           "expected a comparison operator, LIKE, IN, BETWEEN or IS NULL after " + describe(a));
  }

  uint32_t parse_like(const Arg& a, bool negate, const std::string& kw) {
    lex_.next();
    Token pattern = lex_.next();
    if (pattern.kind != Tok::String) syntax(pattern.pos, "expected a quoted pattern after " + kw);
    if (a.kind != Kind::String) type_error(a.pos, kw + " needs a string, not " + describe(a));
    Pattern compiled;
    compiled.fold_case = kw == "ILIKE";
    std::string run;
    auto flush = [&] {
      if (run.empty()) return;
      compiled.pieces.push_back({Pattern::Part::Text, std::move(run)});
      run.clear();
    };
    const std::string& s = pattern.text;
    for (std::size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      if (c == '\\') {
        if (i + 1 == s.size()) syntax(pattern.pos, "pattern ends with the escape character '\\'");
        c = s[++i];
        run += compiled.fold_case ? ascii_lower(c) : c;
      } else if (c == '%') {
        flush();
        if (compiled.pieces.empty() || compiled.pieces.back().part != Pattern::Part::Any)
          compiled.pieces.push_back({Pattern::Part::Any, {}});
      } else if (c == '_') {
        flush();
        compiled.pieces.push_back({Pattern::Part::One, {}});
      } else {
        run += compiled.fold_case ? ascii_lower(c) : c;
      }
    }
    flush();
    p_.patterns.push_back(std::move(compiled));
    Node n;
    n.op = Op::Like;
    n.negate = negate;
    n.a = a.op;
    n.index = static_cast<uint32_t>(p_.patterns.size() - 1);
    return add(std::move(n));
  }

  uint32_t parse_in(const Arg& a, bool negate) {
    lex_.next();
    lex_.expect(Tok::LParen, "expected '(' after IN");
    if (a.kind == Kind::Geometry || a.kind == Kind::Interval)
      type_error(a.pos, "IN needs a string, number, boolean or timestamp, not " + describe(a));
    ValueSet set;
    while (true) {
      Arg item = parse_arg();
      if (item.property()) syntax(item.pos, "an IN list holds literals, not properties");
      coerce(item, a);
      if (item.kind != a.kind)
        type_error(item.pos,
                   "cannot compare " + describe(a) + " with " + describe(item) + " in the IN list");
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
      if (lex_.peek().kind != Tok::Comma) break;
      lex_.next();
    }
    lex_.expect(Tok::RParen, "expected ')' after the IN list");
    auto sort_unique = [](auto& v) {
      std::sort(v.begin(), v.end());
      v.erase(std::unique(v.begin(), v.end()), v.end());
    };
    sort_unique(set.strings);
    sort_unique(set.numbers);
    sort_unique(set.times);
    p_.sets.push_back(std::move(set));
    Node n;
    n.op = Op::In;
    n.negate = negate;
    n.a = a.op;
    n.index = static_cast<uint32_t>(p_.sets.size() - 1);
    return add(std::move(n));
  }

  uint32_t parse_between(Arg a, bool negate) {
    lex_.next();
    Arg low = parse_arg();
    if (!is_keyword(lex_.peek(), "AND"))
      syntax(lex_.peek().pos, "expected AND between the bounds of BETWEEN");
    lex_.next();
    Arg high = parse_arg();
    coerce(low, a);
    coerce(high, a);
    coerce(a, low);
    if (a.kind != Kind::String && a.kind != Kind::Number && a.kind != Kind::Timestamp)
      type_error(a.pos, "BETWEEN needs a number, string or timestamp, not " + describe(a));
    for (const Arg* bound : {&low, &high})
      if (bound->kind != a.kind)
        type_error(bound->pos,
                   "cannot compare " + describe(a) + " with " + describe(*bound) + " in BETWEEN");
    Node n;
    n.op = Op::Between;
    n.negate = negate;
    n.a = a.op;
    n.b = low.op;
    n.c = high.op;
    return add(std::move(n));
  }

  uint32_t parse_is_null(const Arg& a) {
    lex_.next();
    Node n;
    n.op = Op::IsNull;
    n.a = a.op;
    if (is_keyword(lex_.peek(), "NOT")) {
      lex_.next();
      n.negate = true;
    }
    if (!is_keyword(lex_.peek(), "NULL")) syntax(lex_.peek().pos, "expected NULL after IS");
    lex_.next();
    return add(std::move(n));
  }

  uint32_t parse_spatial(const Token& name, SpatialOp op, const std::string& kw) {
    auto [x, y] = parse_pair(kw);
    for (const Arg* arg : {&x, &y})
      if (arg->kind != Kind::Geometry)
        type_error(arg->pos, kw + " needs geometries, not " + describe(*arg));
    if (x.property() == y.property())
      type_error(name.pos, kw + " needs one geometry property and one geometry literal");
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

  uint32_t parse_temporal(const Token&, TemporalOp op, const std::string& kw) {
    auto [x, y] = parse_pair(kw);
    for (const Arg* arg : {&x, &y})
      if (arg->kind != Kind::Timestamp && arg->kind != Kind::Interval)
        type_error(arg->pos,
                   kw +
                       " needs timestamps or intervals (a timestamp property, TIMESTAMP('…'), "
                       "DATE('…') or INTERVAL('…','…')), not " +
                       describe(*arg));
    Node n;
    n.op = Op::Temporal;
    n.temporal = op;
    n.a = x.op;
    n.b = y.op;
    return add(std::move(n));
  }

  // "(" arg "," arg ")" after a function name.
  std::pair<Arg, Arg> parse_pair(const std::string& kw) {
    lex_.expect(Tok::LParen, "expected '(' after " + kw);
    Arg x = parse_arg();
    lex_.expect(Tok::Comma, "expected ',' between the arguments of " + kw);
    Arg y = parse_arg();
    lex_.expect(Tok::RParen, "expected ')' after the arguments of " + kw);
    return {x, y};
  }

  // ----- type checks

  std::string describe(const Arg& a) const {
    if (a.property()) {
      const Queryable& q = queryables_[p_.properties[static_cast<std::size_t>(a.op.slot)]];
      return std::string(type_name(q.type)) + " property '" + q.name + "'";
    }
    return std::string(a.kind == Kind::Interval ? "an " : "a ") + std::string(kind_name(a.kind));
  }

  // A string literal next to a timestamp is read as a timestamp (GDAL sends timestamps so).
  void coerce(Arg& literal, const Arg& other) {
    if (literal.property() || literal.kind != Kind::String || other.kind != Kind::Timestamp) return;
    Literal& l = p_.literals[literal.op.literal];
    std::optional<int64_t> t = parse_instant(l.text);
    if (!t)
      type_error(literal.pos,
                 "'" + l.text + "' is not a timestamp (compared with " + describe(other) + ")");
    l.kind = Kind::Timestamp;
    l.begin = l.end = *t;
    literal.kind = Kind::Timestamp;
  }

  void check_comparison(Arg& a, Arg& b, Cmp cmp, std::size_t pos) {
    coerce(a, b);
    coerce(b, a);
    auto either = [&](Kind k) { return a.kind == k || b.kind == k; };
    if (either(Kind::Geometry))
      type_error(pos, "geometries are compared with the spatial functions (S_INTERSECTS, …)");
    if (either(Kind::Interval))
      type_error(pos, "intervals are compared with the temporal functions (T_INTERSECTS, …)");
    if (a.kind != b.kind) type_error(pos, "cannot compare " + describe(a) + " with " + describe(b));
    if (a.kind == Kind::Boolean && cmp != Cmp::Eq && cmp != Cmp::Ne)
      type_error(pos, "booleans compare only with = and <>");
  }

  // ----- arguments: properties and literals

  Arg parse_arg() {
    count_term(lex_.peek().pos);
    Token t = lex_.next();
    switch (t.kind) {
      case Tok::String: {
        Literal l;
        l.kind = Kind::String;
        l.text = std::move(t.text);
        return literal(std::move(l), t.pos);
      }
      case Tok::Number: {
        Literal l;
        l.kind = Kind::Number;
        l.number = t.number;
        return literal(std::move(l), t.pos);
      }
      case Tok::Name: {
        std::optional<std::size_t> i = find_queryable(t.text);
        if (!i) unknown_property(t.text, t.pos);
        return property(*i, t.pos);
      }
      case Tok::Word:
        return parse_word(t);
      case Tok::End:
        syntax(t.pos, "expected a property name or a literal, found the end of the filter");
      default:
        syntax(t.pos, "expected a property name or a literal");
    }
  }

  Arg parse_word(const Token& t) {
    const std::string kw = upper(t.text);
    if (kw == "TRUE" || kw == "FALSE") {
      Literal l;
      l.kind = Kind::Boolean;
      l.boolean = kw == "TRUE";
      return literal(std::move(l), t.pos);
    }
    if (is_geometry_keyword(kw) && (lex_.char_after(t) == '(' || z_tag_follows(t, kw))) {
      p_.geometries.push_back(read_geometry(lex_, kw, t.pos, vertices_));
      Literal l;
      l.kind = Kind::Geometry;
      l.geometry = static_cast<uint32_t>(p_.geometries.size() - 1);
      return literal(std::move(l), t.pos);
    }
    if (lex_.char_after(t) == '(') {
      if (kw == "TIMESTAMP" || kw == "DATE") return literal(parse_time_literal(kw), t.pos);
      if (kw == "INTERVAL") return literal(parse_interval(), t.pos);
      if (spatial_op(kw) || temporal_op(kw)) syntax(t.pos, kw + " is a predicate, not a value");
      syntax(t.pos, "unsupported function '" + t.text + "'");
    }
    // GDAL writes property names as they are, unquoted even with spaces: take the longest
    // queryable name the text spells out here.
    std::optional<std::size_t> found = find_queryable(t.text);
    std::size_t length = found ? t.text.size() : 0;
    const std::string_view rest = text_.substr(t.pos);
    for (std::size_t i = 0; i < queryables_.size(); ++i) {
      const std::string& name = queryables_[i].name;
      if (name.size() <= length || !rest.starts_with(name)) continue;
      if (name.size() < rest.size() && is_word_char(name.back()) && is_word_char(rest[name.size()]))
        continue;
      found = i;
      length = name.size();
    }
    if (!found) {
      if (is_reserved(kw)) syntax(t.pos, "expected a property name or a literal, found " + kw);
      unknown_property(t.text, t.pos);
    }
    if (length != t.text.size()) lex_.seek(t.pos + length);
    return property(*found, t.pos);
  }

  // Whether a WKT keyword is followed by "Z (", as in POINT Z (1 2 3).
  bool z_tag_follows(const Token& t, const std::string& kw) {
    if (kw == "BBOX" || (lex_.char_after(t) != 'Z' && lex_.char_after(t) != 'z')) return false;
    const Token& z = lex_.peek();
    // NOLINTNEXTLINE(clang-analyzer-cplusplus.Move): peek() lexed `z` anew into token_
    return z.kind == Tok::Word && upper(z.text) == "Z" && lex_.char_after(z) == '(';
  }

  std::optional<std::size_t> find_queryable(std::string_view name) const {
    for (std::size_t i = 0; i < queryables_.size(); ++i)
      if (queryables_[i].name == name) return i;
    return std::nullopt;
  }

  [[noreturn]] void unknown_property(const std::string& name, std::size_t pos) const {
    std::string list;
    for (const Queryable& q : queryables_) list += (list.empty() ? "" : ", ") + q.name;
    throw InvalidArgument("filter", "unknown property '" + name + "' at position " + position(pos) +
                                        " (queryables: " + (list.empty() ? "none" : list) + ")");
  }

  Arg property(std::size_t index, std::size_t pos) {
    if (slot_of_[index] < 0) {
      slot_of_[index] = static_cast<int32_t>(p_.properties.size());
      p_.properties.push_back(index);
      p_.slot_types.push_back(queryables_[index].type);
    }
    Arg a;
    a.op.slot = slot_of_[index];
    a.kind = static_cast<Kind>(queryables_[index].type);
    a.pos = pos;
    return a;
  }

  uint32_t add_literal(Literal l) {
    p_.literals.push_back(std::move(l));
    return static_cast<uint32_t>(p_.literals.size() - 1);
  }

  Operand literal_operand(Literal l) {
    Operand o;
    o.literal = add_literal(std::move(l));
    return o;
  }

  Arg literal(Literal l, std::size_t pos) {
    Arg a;
    a.kind = l.kind;
    a.pos = pos;
    a.op = literal_operand(std::move(l));
    return a;
  }

  // TIMESTAMP('…') is an instant; DATE('YYYY-MM-DD') the UTC day.
  Literal parse_time_literal(const std::string& kw) {
    lex_.expect(Tok::LParen, "expected '(' after " + kw);
    Token s = lex_.next();
    if (s.kind != Tok::String)
      syntax(s.pos, "expected a quoted " + lower(kw) + " in " + kw + "(…)");
    Literal l;
    l.kind = Kind::Timestamp;
    if (kw == "DATE") {
      std::optional<int64_t> day = parse_date(s.text);
      if (!day) syntax(s.pos, "invalid date '" + s.text + "' (expected YYYY-MM-DD)");
      l.begin = *day;
      l.end = *day + kSecondsPerDay - 1;
    } else {
      std::optional<int64_t> t = parse_instant(s.text);
      if (!t)
        syntax(s.pos, "invalid timestamp '" + s.text + "' (expected e.g. 2026-01-01T00:00:00Z)");
      l.begin = l.end = *t;
    }
    lex_.expect(Tok::RParen, "expected ')' after the " + lower(kw));
    return l;
  }

  // INTERVAL(start, end): each a quoted date or timestamp, '..' (open), TIMESTAMP(…), DATE(…) or
  // a timestamp property.
  Literal parse_interval() {
    lex_.expect(Tok::LParen, "expected '(' after INTERVAL");
    Literal l;
    l.kind = Kind::Interval;
    l.begin = interval_bound(true, l.begin_slot);
    lex_.expect(Tok::Comma, "expected ',' between the ends of INTERVAL");
    const std::size_t end_pos = lex_.peek().pos;
    l.end = interval_bound(false, l.end_slot);
    lex_.expect(Tok::RParen, "expected ')' after the ends of INTERVAL");
    if (l.begin_slot < 0 && l.end_slot < 0 && l.begin > l.end)
      syntax(end_pos, "INTERVAL ends before it starts");
    return l;
  }

  // One end of an INTERVAL: its time, or 0 with `slot` set to the timestamp property it reads.
  int64_t interval_bound(bool start, int32_t& slot) {
    static const std::string kExpected =
        "expected a date, a timestamp, '..' or a timestamp property in INTERVAL";
    const Tok kind = lex_.peek().kind;
    if (kind == Tok::String) {
      Token t = lex_.next();
      if (t.text == "..") return start ? kOpenBegin : kOpenEnd;
      if (std::optional<int64_t> day = parse_date(t.text))
        return start ? *day : *day + kSecondsPerDay - 1;
      std::optional<int64_t> instant = parse_instant(t.text);
      if (!instant) syntax(t.pos, "invalid date or timestamp '" + t.text + "' in INTERVAL");
      return *instant;
    }
    if (kind == Tok::Word && lex_.char_after(lex_.peek()) == '(') {
      Token t = lex_.next();
      std::string kw = upper(t.text);
      if (kw != "TIMESTAMP" && kw != "DATE") syntax(t.pos, kExpected);
      Literal l = parse_time_literal(kw);
      return start ? l.begin : l.end;
    }
    if (kind == Tok::Name || kind == Tok::Word) {
      Arg a = parse_arg();
      if (!a.property() || a.kind != Kind::Timestamp)
        type_error(a.pos, "INTERVAL takes dates, timestamps, '..' or timestamp properties, not " +
                              describe(a));
      slot = a.op.slot;
      return 0;
    }
    syntax(lex_.peek().pos, kExpected);
  }

  std::string_view text_;
  const std::vector<Queryable>& queryables_;
  Program& p_;
  Lexer lex_;
  std::vector<int32_t> slot_of_;  ///< queryable index → slot, -1 when not read
  std::size_t terms_ = 0;         ///< property names and values so far
  std::size_t vertices_ = 0;      ///< coordinates of geometry literals so far
};

}  // namespace

void parse(std::string_view text, const std::vector<Queryable>& queryables, Program& program) {
  Parser(text, queryables, program).run();
}

}  // namespace onemap::layers::cql2::detail
