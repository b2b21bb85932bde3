// The CQL2 evaluator: walks a compiled program over a record's values in SQL's three-valued
// logic (a null, or a value of another kind than its queryable's type, makes a predicate
// unknown), with LIKE by backtracking, IN by binary search, the spatial predicates through
// Boost.Geometry and GEOS (envelope first) and the temporal ones on closed ranges of seconds.
#include "layers/query/cql2_eval.hpp"

#include "spatial/geos_ops.hpp"
#include "spatial/predicates.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
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

// The spatial predicates are DE-9IM's (OGC Simple Features, as CQL2 asks), between the record's
// geometry A (the property: a point or an area) and the literal B (points, lines and an area,
// taken as their union, as for a GEOMETRYCOLLECTION). A point A is located in B's parts with
// exact orientation tests (spatial/predicates.hpp), without allocating; GEOS relates an area A
// to each kind of B's parts. Both are exact where Boost.Geometry 1.74 is not: its point tests
// take points within an epsilon of an edge as on it, and it rescales areas to integers to relate
// them, and can then see interiors meet where only a corner touches an edge. The predicates
// follow from what A and B share.

bool same_point(const Point& a, const Point& b) {
  return a.x() == b.x() && a.y() == b.y();
}

enum class Location : uint8_t { Interior, Boundary, Exterior };

Location locate(const Point& p, const MultiPolygon& area) {
  if (spatial::on_boundary(area, p)) return Location::Boundary;
  return spatial::multipolygon_contains(area, p) ? Location::Interior : Location::Exterior;
}

// On lines, the boundary is the end points of an odd number of them (the mod-2 rule: an end
// point two lines share is interior); a closed line has none.
Location locate(const Point& p, const MultiLineString& lines) {
  bool on = false;
  int ends = 0;
  for (const LineString& line : lines) {
    if (!same_point(line.front(), line.back()))
      ends += same_point(p, line.front()) + same_point(p, line.back());
    for (std::size_t i = 1; i < line.size() && !on; ++i)
      on = spatial::on_segment(line[i - 1], line[i], p);
  }
  if (ends % 2 == 1) return Location::Boundary;
  return on ? Location::Interior : Location::Exterior;
}

// Where point p lies in literal g. The higher dimension decides: a point on an edge of g's area
// is on its boundary whatever lines pass there.
Location locate(const Point& p, const GeometryLiteral& g) {
  if (!bg::covered_by(p, g.envelope)) return Location::Exterior;
  if (!g.polygons.empty())
    if (const Location l = locate(p, g.polygons); l != Location::Exterior) return l;
  if (!g.lines.empty())
    if (const Location l = locate(p, g.lines); l != Location::Exterior) return l;
  if (std::any_of(g.points.begin(), g.points.end(),
                  [&](const Point& q) { return same_point(p, q); }))
    return Location::Interior;
  return Location::Exterior;
}

// A point A: its interior is itself and it has no boundary.
bool point_relation(SpatialOp op, const Point& p, const GeometryLiteral& g) {
  switch (op) {
    case SpatialOp::Intersects:
      return locate(p, g) != Location::Exterior;
    case SpatialOp::Disjoint:
      return locate(p, g) == Location::Exterior;
    case SpatialOp::Within:
      return locate(p, g) == Location::Interior;
    case SpatialOp::Touches:  // meets B, but not B's interior
      return locate(p, g) == Location::Boundary;
    case SpatialOp::Equals:
    case SpatialOp::Contains:  // B is p alone
      return g.lines.empty() && g.polygons.empty() && !g.points.empty() &&
             std::all_of(g.points.begin(), g.points.end(),
                         [&](const Point& q) { return same_point(p, q); });
    case SpatialOp::Overlaps:
    case SpatialOp::Crosses:  // both need part of A inside B and part outside: a point is one
      return false;
  }
  return false;
}

// What an area A and a literal B share. As B's interior is dense in B and A's interior is open,
// B meets A's interior exactly when B's interior does; so B's points, lines and area can be
// related to A each on its own (GEOS relates no GEOMETRYCOLLECTION).
struct Shared {
  bool meets = false;           ///< A ∩ B ≠ ∅
  bool meets_interior = false;  ///< B ∩ interior(A) ≠ ∅
  bool b_in_a = true;           ///< B ⊆ A
  bool a_in_b = false;          ///< A ⊆ B (for an area A: in B's area)
};

Shared share(const MultiPolygon& a, const GeometryLiteral& g) {
  Shared s;
  // DE-9IM matrix positions, A's interior, boundary and exterior by B's.
  enum : std::size_t { II, IB, IE, BI, BB, BE, EI, EB };
  auto add = [&](const std::string& m) {
    s.meets = s.meets || m[II] != 'F' || m[IB] != 'F' || m[BI] != 'F' || m[BB] != 'F';
    s.meets_interior = s.meets_interior || m[II] != 'F' || m[IB] != 'F';
    s.b_in_a = s.b_in_a && m[EI] == 'F' && m[EB] == 'F';
  };
  if (!g.points.empty()) add(spatial::relate(a, g.points));
  if (!g.lines.empty()) add(spatial::relate(a, g.lines));
  if (!g.polygons.empty()) {
    const std::string m = spatial::relate(a, g.polygons);
    add(m);
    s.a_in_b = m[IE] == 'F' && m[BE] == 'F';
  }
  return s;
}

bool area_relation(SpatialOp op, const MultiPolygon& a, const GeometryLiteral& g) {
  if (a.empty() || !bg::intersects(spatial::envelope(a), g.envelope))
    return op == SpatialOp::Disjoint;
  const Shared s = share(a, g);
  switch (op) {
    case SpatialOp::Intersects:
      return s.meets;
    case SpatialOp::Disjoint:
      return !s.meets;
    case SpatialOp::Equals:
      return s.a_in_b && s.b_in_a;
    case SpatialOp::Touches:  // the interiors do not meet
      return s.meets && !s.meets_interior;
    case SpatialOp::Within:  // an area is within areas only
      return s.a_in_b;
    case SpatialOp::Contains:  // B inside A, and not on its boundary only
      return s.b_in_a && s.meets_interior;
    case SpatialOp::Overlaps:  // two areas, each partly outside the other
      return g.dimension() == 2 && s.meets_interior && !s.a_in_b && !s.b_in_a;
    case SpatialOp::Crosses:  // points or lines partly inside A and partly outside
      return g.dimension() < 2 && s.meets_interior && !s.b_in_a;
  }
  return false;
}

// The temporal predicates on closed ranges of seconds (an instant is [t, t]): CQL2's definitions,
// which are OWL-Time's (before, after, intervalContains, …), on the ranges' ends. Between two
// ranges longer than an instant they are Allen's relations: exactly one of T_BEFORE, T_MEETS,
// T_OVERLAPS, T_STARTS, T_DURING, T_FINISHES, T_EQUALS and their converses holds. CQL2 1.0 keeps
// all but T_AFTER, T_BEFORE, T_DISJOINT, T_EQUALS and T_INTERSECTS to intervals (a client error
// on an instant); here an instant is the range it is, as T_DURING(reported_at, …) always took
// it, so an instant on b's start both T_MEETS and T_STARTS b. (CQL2 1.0's table links T_STARTS
// and T_STARTEDBY to each other's OWL-Time relation; the names, and the standard's test data,
// mean these.)
struct Range {
  int64_t begin = 0;
  int64_t end = 0;
};

bool temporal_relation(TemporalOp op, const Range& a, const Range& b) {
  switch (op) {
    case TemporalOp::After:
      return a.begin > b.end;
    case TemporalOp::Before:
      return a.end < b.begin;
    case TemporalOp::Contains:
      return a.begin < b.begin && a.end > b.end;
    case TemporalOp::Disjoint:
      return a.end < b.begin || a.begin > b.end;
    case TemporalOp::During:
      return a.begin > b.begin && a.end < b.end;
    case TemporalOp::Equals:
      return a.begin == b.begin && a.end == b.end;
    case TemporalOp::FinishedBy:
      return a.begin < b.begin && a.end == b.end;
    case TemporalOp::Finishes:
      return a.begin > b.begin && a.end == b.end;
    case TemporalOp::Intersects:
      return a.begin <= b.end && a.end >= b.begin;
    case TemporalOp::Meets:
      return a.end == b.begin;
    case TemporalOp::MetBy:
      return a.begin == b.end;
    case TemporalOp::OverlappedBy:
      return a.begin > b.begin && a.begin < b.end && a.end > b.end;
    case TemporalOp::Overlaps:
      return a.begin < b.begin && a.end > b.begin && a.end < b.end;
    case TemporalOp::StartedBy:
      return a.begin == b.begin && a.end > b.end;
    case TemporalOp::Starts:
      return a.begin == b.begin && a.end < b.end;
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
          return truth(area_relation(n.spatial, **mp, g));
        return Truth::Unknown;
      }
      case Op::Temporal: {
        auto a = range(n.a);
        auto b = range(n.b);
        if (!a || !b) return Truth::Unknown;
        return truth(temporal_relation(n.temporal, *a, *b));
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

  // A temporal argument as a closed range of seconds; nullopt for a null property, or an
  // INTERVAL of a null property or whose properties make it end before it starts.
  std::optional<Range> range(const Operand& o) const {
    if (o.slot >= 0) {
      if (auto t = time(o.slot)) return Range{*t, *t};
      return std::nullopt;
    }
    const Literal& l = p_.literals[o.literal];
    Range r{l.begin, l.end};
    if (!read_end(l.begin_slot, r.begin) || !read_end(l.end_slot, r.end) || r.begin > r.end)
      return std::nullopt;
    return r;
  }

  // An INTERVAL's end taken from a property (none when slot < 0); false for a null.
  bool read_end(int32_t slot, int64_t& end) const {
    if (slot < 0) return true;
    auto t = time(slot);
    if (t) end = *t;
    return t.has_value();
  }

  std::optional<int64_t> time(int32_t slot) const {
    if (auto* t = std::get_if<Timestamp>(&values_[static_cast<std::size_t>(slot)]))
      return t->seconds;
    return std::nullopt;
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
