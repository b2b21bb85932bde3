// OGC CQL2 text filters: a lexer, a recursive-descent parser that type-checks as it goes and
// compiles to a flat program (nodes, literals, compiled LIKE patterns, sorted IN sets, geometry
// literals with their envelopes), and the evaluator over that program.
// Boost 1.74's areal/areal relate (S_WITHIN between two multipolygons) trips GCC 12's
// -Wmaybe-uninitialized on an envelope it keeps internally, a false positive; silenced for the
// Boost headers only (the state applies where the warned code is written).
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

#include "core/errors.hpp"
#include "core/time.hpp"
#include "layers/model/model.hpp"
#include "layers/model/text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

namespace onemap::layers::cql2 {

namespace bg = spatial::bg;
using spatial::MultiPolygon;
using spatial::Point;

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

namespace detail {

using MultiPoint = bg::model::multi_point<Point>;
using Linestring = bg::model::linestring<Point>;
using MultiLinestring = bg::model::multi_linestring<Linestring>;

/// The static type of an argument: a queryable's type (same order as Type), or an interval.
enum class Kind : uint8_t { String, Number, Boolean, Timestamp, Geometry, Interval };

/// A literal. Timestamps and intervals are closed ranges of Unix seconds [begin, end]: an instant
/// has begin == end, a DATE spans its UTC day, an open end is the int64 limit. Comparisons and IN
/// lists use `begin`, temporal predicates the range.
struct Literal {
  Kind kind = Kind::String;
  std::string text;
  double number = 0;
  bool boolean = false;
  int64_t begin = 0;
  int64_t end = 0;
  uint32_t geometry = 0;  ///< index in Program::geometries
};

/// A geometry literal normalised to one of three multi-geometries, with its envelope.
struct GeometryLiteral {
  enum class Shape : uint8_t { Points, Lines, Polygons };
  Shape shape = Shape::Points;
  MultiPoint points;
  MultiLinestring lines;
  MultiPolygon polygons;
  spatial::Box envelope;
};

/// A compiled LIKE pattern: literal runs (ASCII-lowered for ILIKE), '_' and '%'.
struct Pattern {
  enum class Part : uint8_t { Text, One, Any };
  struct Piece {
    Part part = Part::Text;
    std::string text;
  };
  std::vector<Piece> pieces;
  bool fold_case = false;
};

/// The literals of an IN list, sorted by kind for binary search.
struct ValueSet {
  std::vector<std::string> strings;
  std::vector<double> numbers;
  std::vector<int64_t> times;
  bool has_true = false;
  bool has_false = false;
};

/// An argument of a node: a property (its slot, the index in Program::properties) or a literal.
struct Operand {
  int32_t slot = -1;
  uint32_t literal = 0;  ///< index in Program::literals when slot < 0
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
enum class SpatialOp : uint8_t { Intersects, Disjoint, Within, Contains };
enum class TemporalOp : uint8_t { Intersects, During, Before, After };

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

}  // namespace detail

namespace {

using namespace detail;

constexpr int kMaxDepth = 500;  // parentheses and NOTs; GDAL nests one level per AND/OR
using core::kSecondsPerDay;
constexpr int64_t kOpenBegin = std::numeric_limits<int64_t>::min();
constexpr int64_t kOpenEnd = std::numeric_limits<int64_t>::max();

// ---------------------------------------------------------------------------------------------
// Text helpers

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
// Identifier characters: ASCII letters, digits, '_', ':', '.', and any non-ASCII (UTF-8) byte.
bool is_word_start(char c) {
  return is_alpha(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
bool is_word_char(char c) {
  return is_word_start(c) || is_digit(c) || c == ':' || c == '.';
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

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

// Length of the UTF-8 sequence that starts with byte c (a stray byte counts as one character).
std::size_t utf8_length(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c >> 5) == 0x6) return 2;
  if ((c >> 4) == 0xE) return 3;
  if ((c >> 3) == 0x1E) return 4;
  return 1;
}

// 1-based character (not byte) position of a byte offset.
std::size_t char_position(std::string_view text, std::size_t byte) {
  byte = std::min(byte, text.size());
  std::size_t n = 1;
  for (std::size_t i = 0; i < byte; ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++n;
  return n;
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

// ---------------------------------------------------------------------------------------------
// Lexer

enum class Tok : uint8_t {
  End,
  Word,
  Name,
  String,
  Number,
  LParen,
  RParen,
  Comma,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge
};

struct Token {
  Tok kind = Tok::End;
  std::size_t pos = 0;  ///< byte offset of the first character
  std::size_t end = 0;  ///< byte offset after the last character
  std::string text;     ///< Word: as written; Name, String: unquoted
  double number = 0;
};

// The kind of error a filter over the limits of input_limits() is: its cost is known up front.
constexpr std::string_view kTooLarge = "too large";

[[noreturn]] void fail(std::string_view text, std::size_t byte, std::string_view kind,
                       const std::string& what) {
  std::string message =
      std::string(kind) + " at position " + std::to_string(char_position(text, byte)) + ": " + what;
  if (kind == kTooLarge) throw TooExpensive("filter", message);
  throw InvalidArgument("filter", message);
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  const Token& peek() {
    if (!peeked_) {
      token_ = lex();
      peeked_ = true;
    }
    return token_;
  }
  Token next() {
    peek();
    peeked_ = false;
    return std::move(token_);
  }
  /// Continues lexing at a byte offset (drops a peeked token).
  void seek(std::size_t offset) {
    at_ = offset;
    peeked_ = false;
  }
  /// The first non-space character after a token, or '\0' at the end.
  char char_after(const Token& t) const {
    std::size_t i = t.end;
    while (i < text_.size() && is_space(text_[i])) ++i;
    return i < text_.size() ? text_[i] : '\0';
  }

 private:
  [[noreturn]] void syntax(std::size_t pos, const std::string& what) const {
    fail(text_, pos, "syntax error", what);
  }

  Token lex() {
    while (at_ < text_.size() && is_space(text_[at_])) ++at_;
    Token t;
    t.pos = at_;
    if (at_ >= text_.size()) {
      t.end = at_;
      return t;
    }
    const char c = text_[at_];
    auto single = [&](Tok kind, std::size_t length) {
      t.kind = kind;
      at_ += length;
      t.end = at_;
      return t;
    };
    const char c2 = at_ + 1 < text_.size() ? text_[at_ + 1] : '\0';
    switch (c) {
      case '(':
        return single(Tok::LParen, 1);
      case ')':
        return single(Tok::RParen, 1);
      case ',':
        return single(Tok::Comma, 1);
      case '=':
        return single(Tok::Eq, 1);
      case '<':
        return c2 == '=' ? single(Tok::Le, 2) : c2 == '>' ? single(Tok::Ne, 2) : single(Tok::Lt, 1);
      case '>':
        return c2 == '=' ? single(Tok::Ge, 2) : single(Tok::Gt, 1);
      case '\'':
        return quoted(std::move(t), '\'', Tok::String, "unterminated string");
      case '"':
        return quoted(std::move(t), '"', Tok::Name, "unterminated quoted property name");
      default:
        break;
    }
    if (is_digit(c) || c == '.' || c == '+' || c == '-') return number(std::move(t));
    if (is_word_start(c)) {
      while (at_ < text_.size() && is_word_char(text_[at_])) ++at_;
      t.kind = Tok::Word;
      t.end = at_;
      t.text = std::string(text_.substr(t.pos, at_ - t.pos));
      return t;
    }
    syntax(at_, "unexpected character " + character_at(at_));
  }

  // The character at a byte offset, quoted for a message (a control character as \xNN).
  std::string character_at(std::size_t at) const {
    const auto c = static_cast<unsigned char>(text_[at]);
    if (c < 0x20 || c == 0x7F) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      return hex;
    }
    return "'" + std::string(text_.substr(at, std::min(utf8_length(c), text_.size() - at))) + "'";
  }

  // A quoted string or name; a doubled quote stands for one.
  Token quoted(Token t, char quote, Tok kind, const char* unterminated) {
    ++at_;
    while (true) {
      if (at_ >= text_.size()) syntax(t.pos, unterminated);
      if (text_[at_] == quote) {
        if (at_ + 1 < text_.size() && text_[at_ + 1] == quote) {
          t.text += quote;
          at_ += 2;
          continue;
        }
        ++at_;
        break;
      }
      t.text += text_[at_++];
    }
    if (kind == Tok::Name && t.text.empty()) syntax(t.pos, "empty quoted property name");
    t.kind = kind;
    t.end = at_;
    return t;
  }

  // [+-] (digits [. digits] | . digits) [e [+-] digits]
  Token number(Token t) {
    std::size_t i = at_;
    if (text_[i] == '+' || text_[i] == '-') ++i;
    std::size_t digits = 0;
    while (i < text_.size() && is_digit(text_[i])) ++i, ++digits;
    if (i < text_.size() && text_[i] == '.') {
      ++i;
      while (i < text_.size() && is_digit(text_[i])) ++i, ++digits;
    }
    if (digits == 0) syntax(at_, "unexpected character " + character_at(at_));
    if (i < text_.size() && (text_[i] == 'e' || text_[i] == 'E')) {
      std::size_t j = i + 1;
      if (j < text_.size() && (text_[j] == '+' || text_[j] == '-')) ++j;
      if (j < text_.size() && is_digit(text_[j])) {
        while (j < text_.size() && is_digit(text_[j])) ++j;
        i = j;
      }
    }
    std::size_t from = at_ + (text_[at_] == '+' ? 1 : 0);  // from_chars takes no '+'
    auto [ptr, ec] = std::from_chars(text_.data() + from, text_.data() + i, t.number);
    if (ec == std::errc::result_out_of_range) syntax(at_, "number out of range");
    if (ec != std::errc() || ptr != text_.data() + i) syntax(at_, "malformed number");
    t.kind = Tok::Number;
    at_ = i;
    t.end = i;
    return t;
  }

  std::string_view text_;
  std::size_t at_ = 0;
  Token token_;
  bool peeked_ = false;
};

// ---------------------------------------------------------------------------------------------
// Parser

std::optional<SpatialOp> spatial_op(std::string_view kw) {
  if (kw == "S_INTERSECTS") return SpatialOp::Intersects;
  if (kw == "S_DISJOINT") return SpatialOp::Disjoint;
  if (kw == "S_WITHIN") return SpatialOp::Within;
  if (kw == "S_CONTAINS") return SpatialOp::Contains;
  return std::nullopt;
}

std::optional<TemporalOp> temporal_op(std::string_view kw) {
  if (kw == "T_INTERSECTS") return TemporalOp::Intersects;
  if (kw == "T_DURING") return TemporalOp::During;
  if (kw == "T_BEFORE") return TemporalOp::Before;
  if (kw == "T_AFTER") return TemporalOp::After;
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
  return kw == "POINT" || kw == "LINESTRING" || kw == "POLYGON" || kw == "MULTIPOINT" ||
         kw == "MULTILINESTRING" || kw == "MULTIPOLYGON" || kw == "BBOX";
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
    p_.bbox = bbox_hint();
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
    fail(text_, pos, "syntax error", what);
  }
  [[noreturn]] void type_error(std::size_t pos, const std::string& what) const {
    fail(text_, pos, "type error", what);
  }
  std::string position(std::size_t byte) const {
    return std::to_string(char_position(text_, byte));
  }

  Token expect(Tok kind, const std::string& what) {
    if (lex_.peek().kind != kind) syntax(lex_.peek().pos, what);
    return lex_.next();
  }

  // Every property name and value is a term; a filter holds at most input_limits().filter_terms
  // of them, so that one request cannot make the server build and evaluate millions of nodes
  // (AND/OR nodes are fewer than the predicates, NOTs bounded by kMaxDepth).
  void count_term(std::size_t pos) {
    const std::size_t limit = input_limits().filter_terms;
    if (++terms_ > limit)
      fail(
          text_, pos, kTooLarge,
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
      expect(Tok::RParen, "expected ')' to close the '(' at position " + position(open.pos));
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
    expect(Tok::LParen, "expected '(' after IN");
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
    expect(Tok::RParen, "expected ')' after the IN list");
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
    expect(Tok::LParen, "expected '(' after " + kw);
    Arg x = parse_arg();
    expect(Tok::Comma, "expected ',' between the arguments of " + kw);
    Arg y = parse_arg();
    expect(Tok::RParen, "expected ')' after the arguments of " + kw);
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
      type_error(pos,
                 "geometries are compared with S_INTERSECTS, S_WITHIN, S_CONTAINS or S_DISJOINT");
    if (either(Kind::Interval))
      type_error(pos, "intervals are compared with T_INTERSECTS, T_DURING, T_BEFORE or T_AFTER");
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
    if (lex_.char_after(t) == '(') {
      if (kw == "TIMESTAMP" || kw == "DATE") return literal(parse_time_literal(kw), t.pos);
      if (kw == "INTERVAL") return literal(parse_interval(), t.pos);
      if (is_geometry_keyword(kw)) {
        Literal l;
        l.kind = Kind::Geometry;
        l.geometry = parse_geometry(kw, t.pos);
        return literal(std::move(l), t.pos);
      }
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
    expect(Tok::LParen, "expected '(' after " + kw);
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
    expect(Tok::RParen, "expected ')' after the " + lower(kw));
    return l;
  }

  // INTERVAL(start, end): each a quoted date or timestamp, '..' (open), TIMESTAMP(…) or DATE(…).
  Literal parse_interval() {
    expect(Tok::LParen, "expected '(' after INTERVAL");
    Literal l;
    l.kind = Kind::Interval;
    l.begin = interval_bound(true);
    expect(Tok::Comma, "expected ',' between the ends of INTERVAL");
    const std::size_t end_pos = lex_.peek().pos;
    l.end = interval_bound(false);
    expect(Tok::RParen, "expected ')' after the ends of INTERVAL");
    if (l.begin > l.end) syntax(end_pos, "INTERVAL ends before it starts");
    return l;
  }

  int64_t interval_bound(bool start) {
    Token t = lex_.next();
    if (t.kind == Tok::String) {
      if (t.text == "..") return start ? kOpenBegin : kOpenEnd;
      if (std::optional<int64_t> day = parse_date(t.text))
        return start ? *day : *day + kSecondsPerDay - 1;
      std::optional<int64_t> instant = parse_instant(t.text);
      if (!instant) syntax(t.pos, "invalid date or timestamp '" + t.text + "' in INTERVAL");
      return *instant;
    }
    if (t.kind == Tok::Word && lex_.char_after(t) == '(') {
      std::string kw = upper(t.text);
      if (kw == "TIMESTAMP" || kw == "DATE") {
        Literal l = parse_time_literal(kw);
        return start ? l.begin : l.end;
      }
    }
    syntax(t.pos, "expected a date, a timestamp or '..' in INTERVAL");
  }

  // ----- geometry literals (2D WKT, BBOX)

  Point coordinate() {
    const std::size_t limit = input_limits().geometry_vertices;
    if (++vertices_ > limit)
      fail(text_, lex_.peek().pos, kTooLarge,
           "geometries hold at most " + std::to_string(limit) + " vertices");
    Token x = lex_.next();
    if (x.kind != Tok::Number) syntax(x.pos, "expected a coordinate");
    Token y = lex_.next();
    if (y.kind != Tok::Number) syntax(y.pos, "expected the y coordinate (2D coordinates only)");
    check_lon_lat(x.number, y.number, x.pos);
    return Point(x.number, y.number);
  }

  // Filters take CRS84 coordinates; far outside it, Boost.Geometry's integer rescaling overflows
  // (and throws) in the validity check and the spatial predicates.
  void check_lon_lat(double lon, double lat, std::size_t pos) const {
    if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90))
      fail(
          text_, pos, "invalid geometry",
          "coordinates are CRS84 lon/lat: longitude within [-180, 180], latitude within [-90, 90]");
  }

  // "(" x y {"," x y} ")"
  std::vector<Point> coordinates(std::size_t min_points, const char* what) {
    Token open = expect(Tok::LParen, std::string("expected '(' to start the ") + what);
    std::vector<Point> pts;
    while (true) {
      pts.push_back(coordinate());
      if (lex_.peek().kind != Tok::Comma) break;
      lex_.next();
    }
    expect(Tok::RParen, std::string("expected ',' or ')' in the ") + what);
    if (pts.size() < min_points)
      syntax(open.pos, std::string("a ") + what + " needs at least " + std::to_string(min_points) +
                           " points");
    return pts;
  }

  Linestring linestring() {
    std::vector<Point> pts = coordinates(2, "linestring");
    return Linestring(pts.begin(), pts.end());
  }

  // "(" ring {"," ring} ")"
  spatial::Polygon polygon() {
    expect(Tok::LParen, "expected '(' to start the polygon");
    spatial::Polygon poly;
    bool outer = true;
    while (true) {
      std::size_t at = lex_.peek().pos;
      std::vector<Point> pts = coordinates(4, "polygon ring");
      if (!bg::equals(pts.front(), pts.back()))
        syntax(at, "polygon ring is not closed (its first and last points differ)");
      if (outer)
        poly.outer().assign(pts.begin(), pts.end());
      else
        poly.inners().emplace_back(pts.begin(), pts.end());
      outer = false;
      if (lex_.peek().kind != Tok::Comma) break;
      lex_.next();
    }
    expect(Tok::RParen, "expected ',' or ')' in the polygon");
    return poly;
  }

  // Calls item() for each element of "(" item {"," item} ")".
  template <class F>
  void list(const std::string& kw, F item) {
    expect(Tok::LParen, "expected '(' after " + kw);
    while (true) {
      item();
      if (lex_.peek().kind != Tok::Comma) break;
      lex_.next();
    }
    expect(Tok::RParen, "expected ',' or ')' in the " + kw);
  }

  uint32_t parse_geometry(const std::string& kw, std::size_t pos) {
    GeometryLiteral g;
    using K = GeometryLiteral::Shape;
    if (kw == "POINT") {
      g.shape = K::Points;
      std::vector<Point> pts = coordinates(1, "point");
      if (pts.size() != 1) syntax(pos, "a POINT has one coordinate pair");
      g.points.push_back(pts.front());
    } else if (kw == "MULTIPOINT") {
      g.shape = K::Points;
      list(kw, [&] {  // both MULTIPOINT((1 2),(3 4)) and MULTIPOINT(1 2,3 4)
        if (lex_.peek().kind == Tok::LParen) {
          lex_.next();
          g.points.push_back(coordinate());
          expect(Tok::RParen, "expected ')' after the point");
        } else {
          g.points.push_back(coordinate());
        }
      });
    } else if (kw == "LINESTRING") {
      g.shape = K::Lines;
      g.lines.push_back(linestring());
    } else if (kw == "MULTILINESTRING") {
      g.shape = K::Lines;
      list(kw, [&] { g.lines.push_back(linestring()); });
    } else if (kw == "POLYGON" || kw == "MULTIPOLYGON") {
      g.shape = K::Polygons;
      if (kw == "POLYGON")
        g.polygons.push_back(polygon());
      else
        list(kw, [&] { g.polygons.push_back(polygon()); });
      bg::correct(g.polygons);
      std::string reason;
      if (!bg::is_valid(g.polygons, reason)) fail(text_, pos, "invalid geometry", reason);
    } else {  // BBOX(minx, miny, maxx, maxy) or BBOX(minx, miny, minz, maxx, maxy, maxz)
      g.shape = K::Polygons;
      std::vector<double> v;
      list(kw, [&] {
        Token n = lex_.next();
        if (n.kind != Tok::Number) syntax(n.pos, "expected a number in BBOX");
        v.push_back(n.number);
      });
      if (v.size() == 6) v = {v[0], v[1], v[3], v[4]};
      if (v.size() != 4) syntax(pos, "BBOX takes 4 numbers (or 6 with z)");
      if (!(v[0] < v[2]) || !(v[1] < v[3])) syntax(pos, "BBOX needs minx < maxx and miny < maxy");
      check_lon_lat(v[0], v[1], pos);
      check_lon_lat(v[2], v[3], pos);
      spatial::Polygon box;
      box.outer() = {Point(v[0], v[1]), Point(v[2], v[1]), Point(v[2], v[3]), Point(v[0], v[3]),
                     Point(v[0], v[1])};
      g.polygons.push_back(std::move(box));
    }
    bg::assign_inverse(g.envelope);
    for (const Point& q : g.points) bg::expand(g.envelope, q);
    for (const Linestring& line : g.lines)
      for (const Point& q : line) bg::expand(g.envelope, q);
    if (!g.polygons.empty()) g.envelope = spatial::envelope(g.polygons);
    p_.geometries.push_back(std::move(g));
    return static_cast<uint32_t>(p_.geometries.size() - 1);
  }

  // ----- index hint

  std::optional<spatial::Box> bbox_hint() const {
    std::vector<const Node*> candidates;
    const Node& root = p_.nodes[p_.root];
    if (root.op == Op::Spatial) candidates.push_back(&root);
    if (root.op == Op::And)
      for (uint32_t c : root.children)
        if (p_.nodes[c].op == Op::Spatial) candidates.push_back(&p_.nodes[c]);
    std::optional<spatial::Box> best;
    int32_t slot = -1;
    double best_area = 0;
    for (const Node* n : candidates) {
      if (n->spatial == SpatialOp::Disjoint) continue;
      if (slot >= 0 && n->a.slot != slot) return std::nullopt;  // two geometry properties
      slot = n->a.slot;
      const spatial::Box& box = p_.geometries[n->index].envelope;
      double area = bg::area(box);
      if (!best || area < best_area) {
        best = box;
        best_area = area;
      }
    }
    return best;
  }

  std::string_view text_;
  const std::vector<Queryable>& queryables_;
  Program& p_;
  Lexer lex_;
  std::vector<int32_t> slot_of_;  ///< queryable index → slot, -1 when not read
  std::size_t terms_ = 0;         ///< property names and values so far
  std::size_t vertices_ = 0;      ///< coordinates of geometry literals so far
};

// ---------------------------------------------------------------------------------------------
// Evaluation (three-valued)

enum class Truth : uint8_t { False, True, Unknown };

Truth truth(bool b) {
  return b ? Truth::True : Truth::False;
}
Truth negated(Truth t) {
  return t == Truth::Unknown ? t : truth(t == Truth::False);
}

// Whether a value is a usable value of a queryable's type; anything else counts as null.
bool present(const Value& v, Type t) {
  switch (t) {
    case Type::String:
      return std::holds_alternative<std::string_view>(v);
    case Type::Number:
      return std::holds_alternative<double>(v);
    case Type::Boolean:
      return std::holds_alternative<bool>(v);
    case Type::Timestamp:
      return std::holds_alternative<Timestamp>(v);
    case Type::Geometry: {
      if (std::holds_alternative<Point>(v)) return true;
      auto* mp = std::get_if<const MultiPolygon*>(&v);
      return mp && *mp;
    }
  }
  return false;
}

bool apply(Cmp cmp, int c) {
  switch (cmp) {
    case Cmp::Eq:
      return c == 0;
    case Cmp::Ne:
      return c != 0;
    case Cmp::Lt:
      return c < 0;
    case Cmp::Le:
      return c <= 0;
    case Cmp::Gt:
      return c > 0;
    case Cmp::Ge:
      return c >= 0;
  }
  return false;
}

template <class T>
int three_way(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

Truth compare(const Value& a, const Value& b, Cmp cmp) {
  if (a.index() != b.index()) return Truth::Unknown;  // a null, or a value of another kind
  if (auto* s = std::get_if<std::string_view>(&a))
    return truth(apply(cmp, three_way(*s, std::get<std::string_view>(b))));
  if (auto* d = std::get_if<double>(&a)) {
    double e = std::get<double>(b);
    if (std::isnan(*d) || std::isnan(e)) return Truth::Unknown;
    return truth(apply(cmp, three_way(*d, e)));
  }
  if (auto* x = std::get_if<bool>(&a)) return truth(apply(cmp, three_way(*x, std::get<bool>(b))));
  if (auto* t = std::get_if<Timestamp>(&a))
    return truth(apply(cmp, three_way(t->seconds, std::get<Timestamp>(b).seconds)));
  return Truth::Unknown;
}

// LIKE with backtracking to the last '%': O(|text| · |pattern|) at worst.
bool like(const Pattern& p, std::string_view s) {
  using Part = Pattern::Part;
  const std::size_t n = s.size();
  auto text_at = [&](std::size_t i, const std::string& t) {
    if (n - i < t.size()) return false;
    if (!p.fold_case) return s.compare(i, t.size(), t) == 0;
    for (std::size_t k = 0; k < t.size(); ++k)
      if (ascii_lower(s[i + k]) != t[k]) return false;
    return true;
  };
  auto step = [&](std::size_t i) {
    return std::min(n, i + utf8_length(static_cast<unsigned char>(s[i])));
  };
  std::size_t i = 0, k = 0;
  std::size_t star = std::string::npos, star_i = 0;
  while (i < n || k < p.pieces.size()) {
    if (k < p.pieces.size()) {
      const Pattern::Piece& piece = p.pieces[k];
      if (piece.part == Part::Any) {
        star = k++;
        star_i = i;
        continue;
      }
      if (piece.part == Part::One && i < n) {
        i = step(i);
        ++k;
        continue;
      }
      if (piece.part == Part::Text && text_at(i, piece.text)) {
        i += piece.text.size();
        ++k;
        continue;
      }
    }
    if (star == std::string::npos || star_i >= n) return false;
    star_i = step(star_i);  // let the last '%' take one more character
    i = star_i;
    k = star + 1;
  }
  return true;
}

bool in_set(const ValueSet& set, const Value& v) {
  if (auto* s = std::get_if<std::string_view>(&v))
    return std::binary_search(set.strings.begin(), set.strings.end(), *s);
  if (auto* d = std::get_if<double>(&v))
    return std::binary_search(set.numbers.begin(), set.numbers.end(), *d);
  if (auto* b = std::get_if<bool>(&v)) return *b ? set.has_true : set.has_false;
  if (auto* t = std::get_if<Timestamp>(&v))
    return std::binary_search(set.times.begin(), set.times.end(), t->seconds);
  return false;
}

bool same_point(const Point& a, const Point& b) {
  return a.x() == b.x() && a.y() == b.y();
}

bool point_intersects(const Point& p, const GeometryLiteral& g) {
  if (!bg::covered_by(p, g.envelope)) return false;
  switch (g.shape) {
    case GeometryLiteral::Shape::Points:
      return std::any_of(g.points.begin(), g.points.end(),
                         [&](const Point& q) { return same_point(p, q); });
    case GeometryLiteral::Shape::Lines:
      return bg::intersects(p, g.lines);
    case GeometryLiteral::Shape::Polygons:
      return bg::covered_by(p, g.polygons);
  }
  return false;
}

bool point_relation(SpatialOp op, const Point& p, const GeometryLiteral& g) {
  switch (op) {
    case SpatialOp::Intersects:
      return point_intersects(p, g);
    case SpatialOp::Disjoint:
      return !point_intersects(p, g);
    case SpatialOp::Within:
      if (!bg::covered_by(p, g.envelope)) return false;
      switch (g.shape) {
        case GeometryLiteral::Shape::Points:
          return point_intersects(p, g);
        case GeometryLiteral::Shape::Lines:
          return bg::within(p, g.lines);  // not on an end point
        case GeometryLiteral::Shape::Polygons:
          return bg::within(p, g.polygons);  // not on an edge
      }
      return false;
    case SpatialOp::Contains:  // a point contains only points equal to it
      return g.shape == GeometryLiteral::Shape::Points && !g.points.empty() &&
             std::all_of(g.points.begin(), g.points.end(),
                         [&](const Point& q) { return same_point(p, q); });
  }
  return false;
}

bool polygon_intersects(const MultiPolygon& mp, const GeometryLiteral& g) {
  switch (g.shape) {
    case GeometryLiteral::Shape::Points:
      return bg::intersects(mp, g.points);
    case GeometryLiteral::Shape::Lines:
      return bg::intersects(mp, g.lines);
    case GeometryLiteral::Shape::Polygons:
      return bg::intersects(mp, g.polygons);
  }
  return false;
}

bool polygon_relation(SpatialOp op, const MultiPolygon& mp, const GeometryLiteral& g) {
  if (mp.empty()) return op == SpatialOp::Disjoint;
  switch (op) {
    case SpatialOp::Intersects:
      return polygon_intersects(mp, g);
    case SpatialOp::Disjoint:
      return !polygon_intersects(mp, g);
    case SpatialOp::Within:  // an area is within areas only
      return g.shape == GeometryLiteral::Shape::Polygons && bg::within(mp, g.polygons);
    case SpatialOp::Contains:
      switch (g.shape) {
        case GeometryLiteral::Shape::Points:
          return bg::within(g.points, mp);
        case GeometryLiteral::Shape::Lines:
          return bg::within(g.lines, mp);
        case GeometryLiteral::Shape::Polygons:
          return bg::within(g.polygons, mp);
      }
  }
  return false;
}

class Evaluator {
 public:
  Evaluator(const Program& p, std::span<const Value> values) : p_(p), values_(values) {}

  Truth eval(uint32_t i) const {
    const Node& n = p_.nodes[i];
    switch (n.op) {
      case Op::And: {
        Truth r = Truth::True;
        for (uint32_t c : n.children) {
          Truth t = eval(c);
          if (t == Truth::False) return t;
          if (t == Truth::Unknown) r = t;
        }
        return r;
      }
      case Op::Or: {
        Truth r = Truth::False;
        for (uint32_t c : n.children) {
          Truth t = eval(c);
          if (t == Truth::True) return t;
          if (t == Truth::Unknown) r = t;
        }
        return r;
      }
      case Op::Not:
        return negated(eval(n.children.front()));
      case Op::Const:
        return truth(n.value);
      case Op::Compare:
        return compare(arg(n.a), arg(n.b), n.cmp);
      case Op::Like: {
        Value v = arg(n.a);
        auto* s = std::get_if<std::string_view>(&v);
        if (!s) return Truth::Unknown;
        return truth(like(p_.patterns[n.index], *s) != n.negate);
      }
      case Op::In: {
        Value v = arg(n.a);
        if (std::holds_alternative<Null>(v)) return Truth::Unknown;
        return truth(in_set(p_.sets[n.index], v) != n.negate);
      }
      case Op::Between: {
        Value v = arg(n.a);
        Truth low = compare(arg(n.b), v, Cmp::Le);
        Truth high = compare(v, arg(n.c), Cmp::Le);
        Truth t = low == Truth::False || high == Truth::False ? Truth::False
                  : low == Truth::True && high == Truth::True ? Truth::True
                                                              : Truth::Unknown;
        return n.negate ? negated(t) : t;
      }
      case Op::IsNull: {
        bool null = n.a.slot >= 0 && !present(values_[static_cast<std::size_t>(n.a.slot)],
                                              p_.slot_types[static_cast<std::size_t>(n.a.slot)]);
        return truth(null != n.negate);
      }
      case Op::Spatial: {
        const Value& v = values_[static_cast<std::size_t>(n.a.slot)];
        const GeometryLiteral& g = p_.geometries[n.index];
        if (auto* pt = std::get_if<Point>(&v)) return truth(point_relation(n.spatial, *pt, g));
        if (auto* mp = std::get_if<const MultiPolygon*>(&v); mp && *mp)
          return truth(polygon_relation(n.spatial, **mp, g));
        return Truth::Unknown;
      }
      case Op::Temporal: {
        auto a = range(n.a);
        auto b = range(n.b);
        if (!a || !b) return Truth::Unknown;
        switch (n.temporal) {
          case TemporalOp::Intersects:
            return truth(a->first <= b->second && a->second >= b->first);
          case TemporalOp::During:
            return truth(a->first > b->first && a->second < b->second);
          case TemporalOp::Before:
            return truth(a->second < b->first);
          case TemporalOp::After:
            return truth(a->first > b->second);
        }
        return Truth::Unknown;
      }
    }
    return Truth::Unknown;
  }

 private:
  // An argument's value: a present property value (else Null), or a literal as a Value.
  Value arg(const Operand& o) const {
    if (o.slot >= 0) {
      const auto slot = static_cast<std::size_t>(o.slot);
      return present(values_[slot], p_.slot_types[slot]) ? values_[slot] : Value{};
    }
    const Literal& l = p_.literals[o.literal];
    switch (l.kind) {
      case Kind::String:
        return std::string_view(l.text);
      case Kind::Number:
        return l.number;
      case Kind::Boolean:
        return l.boolean;
      case Kind::Timestamp:
        return Timestamp{l.begin};
      default:
        return Null{};
    }
  }

  // A temporal argument as a closed range of seconds; nullopt for a null property.
  std::optional<std::pair<int64_t, int64_t>> range(const Operand& o) const {
    if (o.slot >= 0) {
      if (auto* t = std::get_if<Timestamp>(&values_[static_cast<std::size_t>(o.slot)]))
        return std::pair{t->seconds, t->seconds};
      return std::nullopt;
    }
    const Literal& l = p_.literals[o.literal];
    return std::pair{l.begin, l.end};
  }

  const Program& p_;
  std::span<const Value> values_;
};

}  // namespace

Filter::Filter(std::shared_ptr<const detail::Program> program) : program_(std::move(program)) {}

Filter Filter::parse(std::string_view text, const std::vector<Queryable>& queryables) {
  auto program = std::make_shared<detail::Program>();
  Parser(text, queryables, *program).run();
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
  return Evaluator(*program_, values).eval(program_->root) == Truth::True;
}

const std::vector<std::size_t>& Filter::properties() const {
  return program_->properties;
}

std::optional<spatial::Box> Filter::bbox_hint() const {
  return program_->bbox;
}

}  // namespace onemap::layers::cql2
