// The CQL2 text parser: a recursive descent over the lexer's tokens (OR < AND < NOT < primary)
// that hands each argument and predicate, as it reads it, to the ProgramBuilder (cql2_builder),
// which type-checks it and compiles it into the Program the evaluator runs.
#include "layers/query/cql2_parser.hpp"

#include "layers/query/cql2_builder.hpp"
#include "layers/query/cql2_geometry.hpp"
#include "layers/query/cql2_lexer.hpp"

#include <utility>

namespace onemap::layers::cql2::detail {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
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

bool is_keyword(const Token& t, std::string_view kw) {
  return t.kind == Tok::Word && upper(t.text) == kw;
}

class Parser {
 public:
  Parser(std::string_view text, ProgramBuilder& builder) : text_(text), b_(builder), lex_(text) {
    b_.read_from(lex_);
  }

  uint32_t run() {
    if (lex_.peek().kind == Tok::End) syntax(lex_.peek().pos, "empty filter");
    const uint32_t root = parse_or(0);
    const Token& t = lex_.peek();
    if (t.kind != Tok::End) syntax(t.pos, "expected AND, OR or the end of the filter");
    return root;
  }

 private:
  [[noreturn]] void syntax(std::size_t pos, const std::string& what) const {
    lex_.syntax(pos, what);
  }
  std::string position(std::size_t byte) const {
    return std::to_string(char_position(text_, byte));
  }

  // ----- boolean structure: OR < AND < NOT < primary

  uint32_t parse_or(int depth) {
    b_.check_depth(depth, lex_.peek().pos);
    std::vector<uint32_t> children = {parse_and(depth)};
    while (is_keyword(lex_.peek(), "OR")) {
      lex_.next();
      children.push_back(parse_and(depth));
    }
    return b_.logical(Op::Or, children);
  }

  uint32_t parse_and(int depth) {
    std::vector<uint32_t> children = {parse_not(depth)};
    while (is_keyword(lex_.peek(), "AND")) {
      lex_.next();
      children.push_back(parse_not(depth));
    }
    return b_.logical(Op::And, children);
  }

  uint32_t parse_not(int depth) {
    if (!is_keyword(lex_.peek(), "NOT")) return parse_primary(depth);
    Token kw = lex_.next();
    b_.check_depth(depth + 1, kw.pos);
    return b_.negation(parse_not(depth + 1));
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
      if (auto op = spatial_op(kw)) {
        Token name = lex_.next();
        auto [x, y] = parse_pair(kw);
        return b_.spatial(*op, x, y, name.pos);
      }
      if (auto op = temporal_op(kw)) {
        lex_.next();
        auto [x, y] = parse_pair(kw);
        return b_.temporal(*op, x, y);
      }
    }
    return parse_predicate(parse_arg());
  }

  // ----- predicates

  uint32_t parse_predicate(Arg a) {
    const Token& t = lex_.peek();
    if (auto cmp = comparison(t.kind)) {
      Token op = lex_.next();
      Arg b = parse_arg();
      return b_.compare(a, *cmp, b, op.pos);
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
      if (kw == "LIKE" || kw == "ILIKE") {
        lex_.next();
        Token pattern = lex_.next();
        if (pattern.kind != Tok::String)
          syntax(pattern.pos, "expected a quoted pattern after " + kw);
        return b_.like(a, pattern.text, kw == "ILIKE", negate, pattern.pos);
      }
      if (kw == "IN") return parse_in(a, negate);
      if (kw == "BETWEEN") return parse_between(a, negate);
      if (kw == "IS") return parse_is_null(a);
    }
    // A boolean literal, or a boolean property, is a predicate by itself.
    if (std::optional<uint32_t> n = b_.boolean_predicate(a)) return *n;
    syntax(t.pos,
           "expected a comparison operator, LIKE, IN, BETWEEN or IS NULL after " + b_.describe(a));
  }

  uint32_t parse_in(const Arg& a, bool negate) {
    lex_.next();
    lex_.expect(Tok::LParen, "expected '(' after IN");
    b_.check_in_subject(a);
    ValueSet set;
    while (true) {
      b_.add_to_set(set, a, parse_arg());
      if (lex_.peek().kind != Tok::Comma) break;
      lex_.next();
    }
    lex_.expect(Tok::RParen, "expected ')' after the IN list");
    return b_.in(a, std::move(set), negate);
  }

  uint32_t parse_between(const Arg& a, bool negate) {
    lex_.next();
    Arg low = parse_arg();
    if (!is_keyword(lex_.peek(), "AND"))
      syntax(lex_.peek().pos, "expected AND between the bounds of BETWEEN");
    lex_.next();
    Arg high = parse_arg();
    return b_.between(a, low, high, negate);
  }

  uint32_t parse_is_null(const Arg& a) {
    lex_.next();
    bool negate = false;
    if (is_keyword(lex_.peek(), "NOT")) {
      lex_.next();
      negate = true;
    }
    if (!is_keyword(lex_.peek(), "NULL")) syntax(lex_.peek().pos, "expected NULL after IS");
    lex_.next();
    return b_.is_null(a, negate);
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

  // ----- arguments: properties and literals

  Arg parse_arg() {
    Token t = lex_.next();
    switch (t.kind) {
      case Tok::String:
        return b_.string(std::move(t.text), t.pos);
      case Tok::Number:
        return b_.number(t.number, t.pos);
      case Tok::Name:
        return b_.property(t.text, t.pos);
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
    if (kw == "TRUE" || kw == "FALSE") return b_.boolean(kw == "TRUE", t.pos);
    if (is_geometry_keyword(kw) && (lex_.char_after(t) == '(' || z_tag_follows(t, kw)))
      return b_.geometry(read_geometry(lex_, kw, t.pos, b_.vertices()), t.pos);
    if (lex_.char_after(t) == '(') {
      if (kw == "TIMESTAMP" || kw == "DATE") return b_.time(parse_time_literal(kw), t.pos);
      if (kw == "INTERVAL") return parse_interval(t.pos);
      if (spatial_op(kw) || temporal_op(kw)) syntax(t.pos, kw + " is a predicate, not a value");
      syntax(t.pos, "unsupported function '" + t.text + "'");
    }
    // GDAL writes property names as they are, unquoted even with spaces: take the longest
    // queryable name the text spells out here.
    const std::vector<Queryable>& queryables = b_.queryables();
    std::optional<std::size_t> found = b_.find_queryable(t.text);
    std::size_t length = found ? t.text.size() : 0;
    const std::string_view rest = text_.substr(t.pos);
    for (std::size_t i = 0; i < queryables.size(); ++i) {
      const std::string& name = queryables[i].name;
      if (name.size() <= length || !rest.starts_with(name)) continue;
      if (name.size() < rest.size() && is_word_char(name.back()) && is_word_char(rest[name.size()]))
        continue;
      found = i;
      length = name.size();
    }
    if (!found) {
      if (is_reserved(kw)) syntax(t.pos, "expected a property name or a literal, found " + kw);
      return b_.property(t.text, t.pos);  // unknown: its error lists the queryables
    }
    if (length != t.text.size()) lex_.seek(t.pos + length);
    return b_.property(*found, t.pos);
  }

  // Whether a WKT keyword is followed by "Z (", as in POINT Z (1 2 3).
  bool z_tag_follows(const Token& t, const std::string& kw) {
    if (kw == "BBOX" || (lex_.char_after(t) != 'Z' && lex_.char_after(t) != 'z')) return false;
    const Token& z = lex_.peek();
    // NOLINTNEXTLINE(clang-analyzer-cplusplus.Move): peek() lexed `z` anew into token_
    return z.kind == Tok::Word && upper(z.text) == "Z" && lex_.char_after(z) == '(';
  }

  // TIMESTAMP('…') is an instant; DATE('YYYY-MM-DD') the UTC day.
  TimeRange parse_time_literal(const std::string& kw) {
    lex_.expect(Tok::LParen, "expected '(' after " + kw);
    Token s = lex_.next();
    if (s.kind != Tok::String)
      syntax(s.pos, "expected a quoted " + lower(kw) + " in " + kw + "(…)");
    const TimeRange range = kw == "DATE" ? b_.day(s.text, s.pos) : b_.instant(s.text, s.pos);
    lex_.expect(Tok::RParen, "expected ')' after the " + lower(kw));
    return range;
  }

  // INTERVAL(start, end): each a quoted date or timestamp, '..' (open), TIMESTAMP(…), DATE(…) or
  // a timestamp property.
  Arg parse_interval(std::size_t pos) {
    lex_.expect(Tok::LParen, "expected '(' after INTERVAL");
    const IntervalEnd start = interval_bound(true);
    lex_.expect(Tok::Comma, "expected ',' between the ends of INTERVAL");
    const std::size_t end_pos = lex_.peek().pos;
    const IntervalEnd end = interval_bound(false);
    lex_.expect(Tok::RParen, "expected ')' after the ends of INTERVAL");
    return b_.interval(start, end, pos, end_pos);
  }

  IntervalEnd interval_bound(bool start) {
    static const std::string kExpected =
        "expected a date, a timestamp, '..' or a timestamp property in INTERVAL";
    const Tok kind = lex_.peek().kind;
    if (kind == Tok::String) {
      Token t = lex_.next();
      return {b_.interval_end(t.text, start, t.pos)};
    }
    if (kind == Tok::Word && lex_.char_after(lex_.peek()) == '(') {
      Token t = lex_.next();
      std::string kw = upper(t.text);
      if (kw != "TIMESTAMP" && kw != "DATE") syntax(t.pos, kExpected);
      const TimeRange range = parse_time_literal(kw);
      return {start ? range.begin : range.end};
    }
    if (kind == Tok::Name || kind == Tok::Word) return {0, b_.interval_property(parse_arg())};
    syntax(lex_.peek().pos, kExpected);
  }

  std::string_view text_;
  ProgramBuilder& b_;
  Lexer lex_;
};

}  // namespace

uint32_t parse(std::string_view text, ProgramBuilder& builder) {
  return Parser(text, builder).run();
}

}  // namespace onemap::layers::cql2::detail
