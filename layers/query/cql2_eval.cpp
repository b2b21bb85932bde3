// The CQL2 evaluator: walks a compiled program over a record's values in SQL's three-valued
// logic (a null, or a value of another kind than its queryable's type, makes a predicate
// unknown), with LIKE by backtracking, IN by binary search, the spatial predicates through
// Boost.Geometry (envelope first) and the temporal ones on closed ranges of seconds.
#include "layers/query/cql2_eval.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace onemap::layers::cql2::detail {

namespace {

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

bool evaluate(const Program& program, std::span<const Value> values) {
  return Evaluator(program, values).eval(program.root) == Truth::True;
}

std::optional<spatial::Box> bbox_hint(const Program& program) {
  std::vector<const Node*> candidates;
  const Node& root = program.nodes[program.root];
  if (root.op == Op::Spatial) candidates.push_back(&root);
  if (root.op == Op::And)
    for (uint32_t c : root.children)
      if (program.nodes[c].op == Op::Spatial) candidates.push_back(&program.nodes[c]);
  std::optional<spatial::Box> best;
  int32_t slot = -1;
  double best_area = 0;
  for (const Node* n : candidates) {
    if (n->spatial == SpatialOp::Disjoint) continue;
    if (slot >= 0 && n->a.slot != slot) return std::nullopt;  // two geometry properties
    slot = n->a.slot;
    const spatial::Box& box = program.geometries[n->index].envelope;
    double area = bg::area(box);
    if (!best || area < best_area) {
      best = box;
      best_area = area;
    }
  }
  return best;
}

}  // namespace onemap::layers::cql2::detail
