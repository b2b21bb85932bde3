// CQL2 1.0's spatial and temporal functions against independent computations: every spatial
// function between points or areas and literals of every kind, against GEOS's DE-9IM predicates
// (GEOSTouches_r, ...) on a coarse grid, so that geometries share vertices and edges (the
// evaluator relates areas through GEOS's relate too: for areas this checks how the predicates
// follow from its matrices, part by part; the hand-made cases below, the rectangles of
// cql2_eval_test.cpp and the standard's data check areas without GEOS); a GEOMETRYCOLLECTION
// against the union it stands for; every temporal function against a table of Allen's relations
// over intervals with shared ends, instants and open ends; and the examples published with the
// standard (OGC 21-065r2, Annex A) that apply to points, areas and timestamps.
#include "core/errors.hpp"
#include "layers/model/model.hpp"
#include "layers/query/cql2.hpp"
#include "spatial/geos_ops.hpp"

#include <geos_c.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

using namespace onemap;
using namespace onemap::layers;
using cql2::Filter;
using cql2::Queryable;
using cql2::Timestamp;
using cql2::Type;
using cql2::Value;
using spatial::MultiPolygon;
using spatial::Point;
namespace bg = boost::geometry;

namespace {

const std::vector<std::string> kSpatial = {"S_INTERSECTS", "S_EQUALS",  "S_DISJOINT",
                                           "S_TOUCHES",    "S_WITHIN",  "S_OVERLAPS",
                                           "S_CROSSES",    "S_CONTAINS"};
const std::vector<std::string> kTemporal = {
    "T_AFTER",  "T_BEFORE",       "T_CONTAINS", "T_DISJOINT",   "T_DURING",
    "T_EQUALS", "T_FINISHEDBY",   "T_FINISHES", "T_INTERSECTS", "T_MEETS",
    "T_METBY",  "T_OVERLAPPEDBY", "T_OVERLAPS", "T_STARTEDBY",  "T_STARTS"};

// ----- spatial

/// GEOS, the reference: its own WKT reader and its named DE-9IM predicates.
class Geos {
 public:
  Geos() : h_(GEOS_init_r()), reader_(GEOSWKTReader_create_r(h_)) {}
  ~Geos() {
    for (GEOSGeometry* g : owned_) GEOSGeom_destroy_r(h_, g);
    GEOSWKTReader_destroy_r(h_, reader_);
    GEOS_finish_r(h_);
  }
  Geos(const Geos&) = delete;
  Geos& operator=(const Geos&) = delete;

  const GEOSGeometry* read(const std::string& wkt) {
    GEOSGeometry* g = GEOSWKTReader_read_r(h_, reader_, wkt.c_str());
    EXPECT_NE(g, nullptr) << wkt;
    owned_.push_back(g);
    return g;
  }
  bool valid(const GEOSGeometry* g) { return GEOSisValid_r(h_, g) == 1; }

  bool holds(const std::string& op, const GEOSGeometry* a, const GEOSGeometry* b) {
    using Predicate = char (*)(GEOSContextHandle_t, const GEOSGeometry*, const GEOSGeometry*);
    static const std::map<std::string, Predicate> predicates = {
        {"S_INTERSECTS", GEOSIntersects_r}, {"S_EQUALS", GEOSEquals_r},
        {"S_DISJOINT", GEOSDisjoint_r},     {"S_TOUCHES", GEOSTouches_r},
        {"S_WITHIN", GEOSWithin_r},         {"S_OVERLAPS", GEOSOverlaps_r},
        {"S_CROSSES", GEOSCrosses_r},       {"S_CONTAINS", GEOSContains_r}};
    const char r = predicates.at(op)(h_, a, b);
    EXPECT_NE(r, 2) << op << ": GEOS failed";
    return r == 1;
  }

 private:
  GEOSContextHandle_t h_;
  GEOSWKTReader* reader_;
  std::vector<GEOSGeometry*> owned_;
};

/// A record's geometry: a point or an area, as the filter and GEOS read it.
struct Shape {
  std::optional<Point> point;
  MultiPolygon area;
  std::string wkt;
};

// Coordinates on a 0.25° grid from (120, 30): exact in binary, so that shared vertices and
// points on edges are shared exactly.
std::string at(int i, int j) {
  std::ostringstream s;
  s << 120 + 0.25 * i << ' ' << 30 + 0.25 * j;
  return s.str();
}

std::string rect_ring(int x0, int y0, int x1, int y1) {
  return "(" + at(x0, y0) + ", " + at(x1, y0) + ", " + at(x1, y1) + ", " + at(x0, y1) + ", " +
         at(x0, y0) + ")";
}

// A record's geometry. Values hold a pointer to the area: records live in a vector reserved up
// front.
Value value_of(const Shape& s) {
  if (s.point) return *s.point;
  return &s.area;
}

/// A literal as CQL2 text and the WKT GEOS reads for it (they differ for BBOX).
struct Literal {
  std::string cql2;
  std::string wkt;
};

class Cql2FunctionsTest : public ::testing::Test {
 protected:
  const std::vector<Queryable> kGeom = {{"geom", Type::Geometry}};

  // Points on every node of the grid, and areas: rectangles, triangles, a rectangle with a hole
  // and two rectangles as one multipolygon.
  void SetUp() override {
    shapes_.reserve(400);
    for (int i = 0; i <= 8; ++i)
      for (int j = 0; j <= 8; ++j) {
        Shape s;
        s.point = Point(120 + 0.25 * i, 30 + 0.25 * j);
        s.wkt = "POINT(" + at(i, j) + ")";
        shapes_.push_back(std::move(s));
      }
    std::mt19937 rng(21065);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    for (int k = 0; k < 60; ++k) {
      const int x0 = pick(7), y0 = pick(7);
      const int x1 = x0 + 1 + pick(8 - x0), y1 = y0 + 1 + pick(8 - y0);
      std::string wkt;
      switch (k % 4) {
        case 0:
        case 1:
          wkt = "POLYGON(" + rect_ring(x0, y0, x1, y1) + ")";
          break;
        case 2:  // the triangle under the rectangle's diagonal
          wkt = "POLYGON((" + at(x0, y0) + ", " + at(x1, y0) + ", " + at(x0, y1) + ", " +
                at(x0, y0) + "))";
          break;
        default:
          if (x1 - x0 >= 3 && y1 - y0 >= 3)
            wkt = "POLYGON(" + rect_ring(x0, y0, x1, y1) + ", " +
                  rect_ring(x0 + 1, y0 + 1, x1 - 1, y1 - 1) + ")";
          else if (x1 + 2 <= 8)
            wkt = "MULTIPOLYGON((" + rect_ring(x0, y0, x1, y1) + "), (" +
                  rect_ring(x1 + 1, y0, x1 + 2, y1) + "))";
          else
            wkt = "POLYGON(" + rect_ring(x0, y0, x1, y1) + ")";
      }
      Shape s;
      s.area = spatial::multipolygon_from_wkt(wkt);
      s.wkt = wkt;
      shapes_.push_back(std::move(s));
    }
  }

  // Literals of every kind (`count` each), on a grid half as fine so that lines cross edges
  // between vertices too.
  std::vector<Literal> literals(int count) {
    std::mt19937 rng(2024);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    auto node = [&] { return at(pick(9), pick(9)); };
    auto half = [&] {
      std::ostringstream s;
      s << 120 + 0.125 * pick(17) << ' ' << 30 + 0.125 * pick(17);
      return s.str();
    };
    auto line = [&] {
      std::string a = half(), b = half();
      while (b == a) b = half();
      std::string l = "(" + a + ", " + b;
      if (pick(2)) l += ", " + half();
      return l + ")";
    };
    std::vector<Literal> out;
    for (int k = 0; k < count; ++k) {
      const std::string p = "POINT(" + node() + ")";
      out.push_back({p, p});
      std::string mp = "MULTIPOINT((" + node() + ")";
      for (int n = pick(3); n > 0; --n) mp += ", (" + (pick(4) ? node() : half()) + ")";
      mp += ")";
      out.push_back({mp, mp});
      const std::string l = "LINESTRING" + line();
      out.push_back({l, l});
      const std::string ml = "MULTILINESTRING(" + line() + ", " + line() + ")";
      out.push_back({ml, ml});
      const int x0 = pick(6), y0 = pick(6), x1 = x0 + 1 + pick(8 - x0), y1 = y0 + 1 + pick(8 - y0);
      const std::string r = "POLYGON(" + rect_ring(x0, y0, x1, y1) + ")";
      out.push_back({r, r});
      const std::string t = "POLYGON((" + at(x0, y1) + ", " + at(x1, y0) + ", " + at(x1, y1) +
                            ", " + at(x0, y1) + "))";
      out.push_back({t, t});
      std::ostringstream box;
      box << "BBOX(" << 120 + 0.25 * x0 << ", " << 30 + 0.25 * y0 << ", " << 120 + 0.25 * x1 << ", "
          << 30 + 0.25 * y1 << ")";
      out.push_back({box.str(), r});
      // Two rectangles apart, meeting at a corner, or sharing an edge (invalid: the parser must
      // reject it, as GEOS finds it invalid).
      const std::string second = x1 + 2 <= 8   ? rect_ring(x1 + 1, y0, x1 + 2, y1)
                                 : y1 + 1 <= 8 ? rect_ring(x1, y1, 8, y1 + 1)
                                               : rect_ring(x0, y1 - 1, x1, y1);
      const std::string m = "MULTIPOLYGON((" + rect_ring(x0, y0, x1, y1) + "), (" + second + "))";
      out.push_back({m, m});
    }
    return out;
  }

  bool matches(const Filter& f, const Shape& s) const {
    return f.matches([&](std::size_t) { return value_of(s); });
  }

  std::vector<Shape> shapes_;
};

TEST_F(Cql2FunctionsTest, SpatialFunctionsAgreeWithGeos) {
  Geos geos;
  std::vector<const GEOSGeometry*> records;
  for (const Shape& s : shapes_) records.push_back(geos.read(s.wkt));
  // How often each function held, on points and on areas, and how many literals the parser took.
  std::map<std::string, std::array<int, 2>> held;
  // Random literals, and some of the records themselves (for S_EQUALS).
  std::vector<Literal> all = literals(12);
  for (std::size_t i = 0; i < shapes_.size(); i += 7)
    all.push_back({shapes_[i].wkt, shapes_[i].wkt});
  int parsed = 0;
  for (const Literal& lit : all) {
    const GEOSGeometry* b = geos.read(lit.wkt);
    std::optional<Filter> first, second;
    for (const std::string& op : kSpatial) {
      try {
        first = Filter::parse(op + "(geom, " + lit.cql2 + ")", kGeom);
        second = Filter::parse(op + "(" + lit.cql2 + ", geom)", kGeom);
      } catch (const InvalidArgument& e) {
        // Only an invalid geometry is rejected, and GEOS must find it invalid too.
        EXPECT_FALSE(geos.valid(b)) << lit.cql2 << ": " << e.what();
        break;
      }
      if (op == kSpatial.front()) ++parsed;
      for (std::size_t i = 0; i < shapes_.size(); ++i) {
        const bool area = !shapes_[i].point;
        const bool want = geos.holds(op, records[i], b);
        EXPECT_EQ(matches(*first, shapes_[i]), want)
            << op << "(" << shapes_[i].wkt << ", " << lit.cql2 << ")";
        EXPECT_EQ(matches(*second, shapes_[i]), geos.holds(op, b, records[i]))
            << op << "(" << lit.cql2 << ", " << shapes_[i].wkt << ")";
        held[op][area] += want;
        if (want && first->bbox_hint()) {
          // The index hint's promise: a matching geometry meets the box.
          const spatial::Box box = *first->bbox_hint();
          const bool meets = area ? bg::intersects(spatial::envelope(shapes_[i].area), box)
                                  : bg::covered_by(*shapes_[i].point, box);
          EXPECT_TRUE(meets) << op << "(" << shapes_[i].wkt << ", " << lit.cql2 << ")";
        }
      }
    }
  }
  EXPECT_GE(parsed, 80);
  // Every function held somewhere, on areas and on points (a point overlaps or crosses nothing).
  for (const std::string& op : kSpatial) {
    EXPECT_GT(held[op][1], 5) << op << " on areas";
    if (op != "S_OVERLAPS" && op != "S_CROSSES") {
      EXPECT_GT(held[op][0], 5) << op << " on points";
    }
  }
}

TEST_F(Cql2FunctionsTest, TheCasesThatTellTheFunctionsApart) {
  // A point on a polygon's edge touches it, one inside does not (it is within).
  const std::string square = "POLYGON((120 30, 121 30, 121 31, 120 31, 120 30))";
  auto holds = [&](const std::string& op, const std::string& record, const std::string& lit) {
    Shape s;
    if (record.starts_with("POINT")) {
      std::istringstream in(record.substr(6));
      double x = 0, y = 0;
      in >> x >> y;
      s.point = Point(x, y);
    } else {
      s.area = spatial::multipolygon_from_wkt(record);
    }
    return matches(Filter::parse(op + "(geom, " + lit + ")", kGeom), s);
  };
  struct Case {
    std::string record, literal;
    std::set<std::string> hold;  ///< the spatial functions that hold, S_INTERSECTS implied
  };
  const std::vector<Case> cases = {
      {"POINT(120.5 30)", square, {"S_TOUCHES"}},
      {"POINT(120 30)", square, {"S_TOUCHES"}},
      {"POINT(120.5 30.5)", square, {"S_WITHIN"}},
      {"POINT(122 30)", square, {"S_DISJOINT"}},
      {"POINT(120 30)", "LINESTRING(120 30, 121 30)", {"S_TOUCHES"}},
      {"POINT(120.5 30)", "LINESTRING(120 30, 121 30)", {"S_WITHIN"}},
      // mod 2: an end point of both lines is inside their union
      {"POINT(121 30)", "MULTILINESTRING((120 30, 121 30), (121 30, 121 31))", {"S_WITHIN"}},
      {"POINT(120 30)", "POINT(120 30)", {"S_EQUALS", "S_WITHIN", "S_CONTAINS"}},
      {"POINT(120 30)", "MULTIPOINT((120 30), (121 30))", {"S_WITHIN"}},
      {square, square, {"S_EQUALS", "S_WITHIN", "S_CONTAINS"}},
      {square, "BBOX(120, 30, 121, 31)", {"S_EQUALS", "S_WITHIN", "S_CONTAINS"}},
      {square,
       "POLYGON((120 30, 120.5 30, 121 30, 121 31, 120 31, 120 30))",
       {"S_EQUALS", "S_WITHIN", "S_CONTAINS"}},
      {square, "BBOX(121, 30, 122, 31)", {"S_TOUCHES"}},
      {square, "BBOX(121, 31, 122, 32)", {"S_TOUCHES"}},
      {square, "BBOX(120.5, 30.5, 121.5, 31.5)", {"S_OVERLAPS"}},
      {square, "BBOX(120, 30, 120.5, 31)", {"S_CONTAINS"}},
      {square, "BBOX(119, 29, 122, 32)", {"S_WITHIN"}},
      {square, "LINESTRING(120.5 30.5, 121.5 30.5)", {"S_CROSSES"}},
      {square, "LINESTRING(120.5 30.5, 121 30.5)", {"S_CONTAINS"}},
      {square, "LINESTRING(121 30, 121 31)", {"S_TOUCHES"}},
      {square, "LINESTRING(121 30, 122 31)", {"S_TOUCHES"}},
      {square, "MULTIPOINT((120.5 30.5), (122 30))", {"S_CROSSES"}},
      {square, "MULTIPOINT((120.5 30.5), (121 30))", {"S_CONTAINS"}},
      {square, "MULTIPOINT((121 30), (121 31))", {"S_TOUCHES"}},
      {square, "POINT(122 32)", {"S_DISJOINT"}},
  };
  for (const Case& c : cases)
    for (const std::string& op : kSpatial) {
      const bool want = c.hold.count(op) || (op == "S_INTERSECTS" && !c.hold.count("S_DISJOINT"));
      EXPECT_EQ(holds(op, c.record, c.literal), want)
          << op << "(" << c.record << ", " << c.literal << ")";
    }
}

TEST_F(Cql2FunctionsTest, AGeometryCollectionIsTheUnionOfItsMembers) {
  Geos geos;
  // Each pair must give the same answers for every function on every record.
  const std::vector<std::pair<std::string, std::string>> same = {
      {"GEOMETRYCOLLECTION(POINT(120.5 30.5), POINT(121 31))",
       "MULTIPOINT((120.5 30.5), (121 31))"},
      {"GEOMETRYCOLLECTION(LINESTRING(120 30, 121 31), LINESTRING(121 31, 121 32))",
       "MULTILINESTRING((120 30, 121 31), (121 31, 121 32))"},
      {"GEOMETRYCOLLECTION(POLYGON(" + rect_ring(0, 0, 2, 2) + "), MULTIPOLYGON((" +
           rect_ring(3, 3, 5, 5) + ")))",
       "MULTIPOLYGON((" + rect_ring(0, 0, 2, 2) + "), (" + rect_ring(3, 3, 5, 5) + "))"},
      // Polygons that overlap or share an edge are one area (no MULTIPOLYGON may hold them).
      {"GEOMETRYCOLLECTION(POLYGON(" + rect_ring(0, 0, 3, 4) + "), POLYGON(" +
           rect_ring(2, 0, 6, 4) + "))",
       "BBOX(120, 30, 121.5, 31)"},
      {"GEOMETRYCOLLECTION(POLYGON(" + rect_ring(0, 0, 3, 4) + "), POLYGON(" +
           rect_ring(3, 0, 6, 4) + "))",
       "BBOX(120, 30, 121.5, 31)"},
      // Members inside an area add nothing to it.
      {"GEOMETRYCOLLECTION(POLYGON(" + rect_ring(1, 1, 5, 5) + "), POINT(" + at(2, 2) +
           "), POINT(" + at(1, 3) + "), LINESTRING(" + at(1, 1) + ", " + at(5, 5) + "))",
       "POLYGON(" + rect_ring(1, 1, 5, 5) + ")"},
      {"GEOMETRYCOLLECTION Z (POINT Z (120.5 30.5 7), POINT(121 31))",
       "MULTIPOINT((120.5 30.5), (121 31))"},
      {"LINESTRING Z (120 30 1, 121 31 2)", "LINESTRING(120 30, 121 31)"},
      {"POLYGON Z ((120 30 0, 121 30 0, 121 31 5, 120 30 0))",
       "POLYGON((120 30, 121 30, 121 31, 120 30))"},
      {"BBOX(120, 30, -5, 121, 31, 5)", "BBOX(120, 30, 121, 31)"},
  };
  for (const auto& [collection, equivalent] : same)
    for (const std::string& op : kSpatial)
      for (const char* form : {"{op}(geom, {g})", "{op}({g}, geom)"}) {
        auto text = [&](const std::string& g) {
          std::string t = form;
          t.replace(t.find("{op}"), 4, op);
          t.replace(t.find("{g}"), 3, g);
          return t;
        };
        const Filter a = Filter::parse(text(collection), kGeom);
        const Filter b = Filter::parse(text(equivalent), kGeom);
        for (const Shape& s : shapes_)
          EXPECT_EQ(matches(a, s), matches(b, s)) << text(collection) << " on " << s.wkt;
      }
  // Members of different dimensions apart: GEOS relates each member (it relates no collection);
  // the collection meets what any member meets, contains what contains every member, and touches
  // what no member's interior meets.
  const std::string area = "POLYGON(" + rect_ring(2, 2, 6, 6) + ")";
  const std::string line = "LINESTRING(" + at(0, 0) + ", " + at(1, 4) + ")";
  const std::string point = "POINT(" + at(7, 1) + ")";
  const Filter intersects = Filter::parse(
      "S_INTERSECTS(geom, GEOMETRYCOLLECTION(" + area + ", " + line + ", " + point + "))", kGeom);
  const Filter contains = Filter::parse(
      "S_CONTAINS(geom, GEOMETRYCOLLECTION(" + area + ", " + line + ", " + point + "))", kGeom);
  const Filter touches = Filter::parse(
      "S_TOUCHES(geom, GEOMETRYCOLLECTION(" + area + ", " + line + ", " + point + "))", kGeom);
  const std::vector<const GEOSGeometry*> members = {geos.read(area), geos.read(line),
                                                    geos.read(point)};
  int touched = 0;
  for (const Shape& s : shapes_) {
    const GEOSGeometry* g = geos.read(s.wkt);
    bool any = false, all_inside = true, interiors_meet = false;
    for (const GEOSGeometry* m : members) {
      const bool meets = geos.holds("S_INTERSECTS", g, m);
      any = any || meets;
      all_inside = all_inside && geos.holds("S_CONTAINS", g, m);
      interiors_meet = interiors_meet || (meets && !geos.holds("S_TOUCHES", g, m));
    }
    EXPECT_EQ(matches(intersects, s), any) << s.wkt;
    if (s.point) continue;  // a point's interior is itself: the rule below is for areas
    EXPECT_EQ(matches(contains, s), all_inside) << s.wkt;
    EXPECT_EQ(matches(touches, s), any && !interiors_meet) << s.wkt;
    touched += any && !interiors_meet;
  }
  EXPECT_GT(touched, 0);
}

// ----- temporal

// 2026-01-01T00:00:00Z, and the hours after it: the ends of the intervals below.
constexpr int64_t kT0 = 1767225600;
constexpr int kOpen = 100;  ///< an open end's rank ('..'), after (or, negated, before) every hour

std::string hour(int h) {
  return "'" + format_time(kT0 + 3600 * h) + "'";
}

/// A range of hours after kT0, ranks ±kOpen for open ends.
struct Span {
  int begin = 0;
  int end = 0;
  std::string text() const {
    return "INTERVAL(" + (begin == -kOpen ? std::string("'..'") : hour(begin)) + ", " +
           (end == kOpen ? std::string("'..'") : hour(end)) + ")";
  }
};

int sign(int x, int y) {
  return (x > y) - (x < y);
}

// Allen's thirteen relations between intervals of more than an instant, by the signs of
// (a.begin - b.begin, a.begin - b.end, a.end - b.begin, a.end - b.end).
const std::map<std::array<int, 4>, std::string>& allen() {
  static const std::map<std::array<int, 4>, std::string> table = {
      {{-1, -1, -1, -1}, "T_BEFORE"},    {{-1, -1, 0, -1}, "T_MEETS"},
      {{-1, -1, 1, -1}, "T_OVERLAPS"},   {{-1, -1, 1, 0}, "T_FINISHEDBY"},
      {{-1, -1, 1, 1}, "T_CONTAINS"},    {{0, -1, 1, -1}, "T_STARTS"},
      {{0, -1, 1, 0}, "T_EQUALS"},       {{0, -1, 1, 1}, "T_STARTEDBY"},
      {{1, -1, 1, -1}, "T_DURING"},      {{1, -1, 1, 0}, "T_FINISHES"},
      {{1, -1, 1, 1}, "T_OVERLAPPEDBY"}, {{1, 0, 1, 1}, "T_METBY"},
      {{1, 1, 1, 1}, "T_AFTER"}};
  return table;
}

// The functions that hold between a and b. Two intervals: their one Allen relation. An instant
// against an interval: by where it lies (before it, on its start, inside, on its end, after);
// two instants: before, the same, after. Then T_DISJOINT for T_BEFORE or T_AFTER, T_INTERSECTS
// for anything else.
std::set<std::string> expected(const Span& a, const Span& b) {
  std::set<std::string> r;
  const bool a_instant = a.begin == a.end, b_instant = b.begin == b.end;
  if (!a_instant && !b_instant) {
    r.insert(allen().at(
        {sign(a.begin, b.begin), sign(a.begin, b.end), sign(a.end, b.begin), sign(a.end, b.end)}));
  } else if (a_instant && b_instant) {
    const int s = sign(a.begin, b.begin);
    if (s < 0) r = {"T_BEFORE"};
    if (s == 0) r = {"T_EQUALS", "T_MEETS", "T_METBY"};
    if (s > 0) r = {"T_AFTER"};
  } else {
    // t against the interval [s, e], with the converse names when the interval comes first
    const int t = a_instant ? a.begin : b.begin;
    const Span& i = a_instant ? b : a;
    const bool first = a_instant;
    if (t < i.begin) r = {first ? "T_BEFORE" : "T_AFTER"};
    if (t == i.begin) r = {first ? "T_MEETS" : "T_METBY", first ? "T_STARTS" : "T_STARTEDBY"};
    if (t > i.begin && t < i.end) r = {first ? "T_DURING" : "T_CONTAINS"};
    if (t == i.end) r = {first ? "T_METBY" : "T_MEETS", first ? "T_FINISHES" : "T_FINISHEDBY"};
    if (t > i.end) r = {first ? "T_AFTER" : "T_BEFORE"};
  }
  r.insert(r.count("T_BEFORE") || r.count("T_AFTER") ? "T_DISJOINT" : "T_INTERSECTS");
  return r;
}

TEST(Cql2Temporal, TheFunctionsAreAllensRelations) {
  const std::vector<Queryable> q = {{"start", Type::Timestamp}, {"end", Type::Timestamp}};
  // Records: every range of the hours 0..4, instants included. Literals: those, and with open
  // ends.
  std::vector<Span> records, literals;
  for (int b = 0; b <= 4; ++b)
    for (int e = b; e <= 4; ++e) records.push_back({b, e});
  literals = records;
  for (int h = 0; h <= 4; ++h) {
    literals.push_back({-kOpen, h});
    literals.push_back({h, kOpen});
  }
  literals.push_back({-kOpen, kOpen});
  auto value = [&](const Span& s) {
    return
        [&s](std::size_t i) { return Value(Timestamp{kT0 + 3600 * (i == 0 ? s.begin : s.end)}); };
  };
  std::map<std::string, int> held;
  for (const std::string& op : kTemporal)
    for (const Span& lit : literals) {
      // the record's range as an INTERVAL of its properties, first and second; an instant also
      // as the property itself, and a literal instant as a TIMESTAMP
      const Filter first = Filter::parse(op + "(INTERVAL(start, end), " + lit.text() + ")", q);
      const Filter second = Filter::parse(op + "(" + lit.text() + ", INTERVAL(start, end))", q);
      const Filter by_start = Filter::parse(
          op + "(start, " +
              (lit.begin == lit.end ? "TIMESTAMP(" + hour(lit.begin) + ")" : lit.text()) + ")",
          q);
      for (const Span& r : records) {
        const bool want = expected(r, lit).count(op) > 0;
        held[op] += want;
        EXPECT_EQ(first.matches(value(r)), want)
            << op << "([" << r.begin << ", " << r.end << "], " << lit.text() << ")";
        EXPECT_EQ(second.matches(value(r)), expected(lit, r).count(op) > 0)
            << op << "(" << lit.text() << ", [" << r.begin << ", " << r.end << "])";
        if (r.begin == r.end) {
          EXPECT_EQ(by_start.matches(value(r)), want)
              << op << "(" << r.begin << ", " << lit.text() << ")";
        }
      }
      // Two literals, open ends on both sides.
      for (const Span& other : literals) {
        const Filter both = Filter::parse(op + "(" + lit.text() + ", " + other.text() + ")", q);
        EXPECT_EQ(both.matches(value(records.front())), expected(lit, other).count(op) > 0)
            << op << "(" << lit.text() << ", " << other.text() << ")";
      }
    }
  for (const std::string& op : kTemporal) EXPECT_GE(held[op], 5) << op;
  // Between intervals of more than an instant, exactly one of Allen's relations holds.
  for (const Span& a : records)
    for (const Span& b : literals) {
      if (a.begin == a.end || b.begin == b.end) continue;
      int n = 0;
      for (const auto& [signs, op] : allen())
        n += Filter::parse(op + "(INTERVAL(start, end), " + b.text() + ")", q).matches(value(a));
      EXPECT_EQ(n, 1) << "[" << a.begin << ", " << a.end << "] and " << b.text();
    }
}

TEST(Cql2Temporal, NullsAndReversedIntervalsAreUnknown) {
  const std::vector<Queryable> q = {{"start", Type::Timestamp}, {"end", Type::Timestamp}};
  auto run = [&](const std::string& text, Value start, Value end) {
    return Filter::parse(text, q).matches([&](std::size_t i) { return i == 0 ? start : end; });
  };
  const Value t0 = Timestamp{kT0}, t1 = Timestamp{kT0 + 60};
  const std::string all = "INTERVAL('..', '..')";
  EXPECT_TRUE(run("T_INTERSECTS(INTERVAL(start, end), " + all + ")", t0, t1));
  for (const std::string& f : {"T_INTERSECTS(INTERVAL(start, end), " + all + ")",
                               "NOT T_INTERSECTS(INTERVAL(start, end), " + all + ")",
                               "T_DISJOINT(INTERVAL(start, end), " + all + ")"}) {
    EXPECT_FALSE(run(f, t0, Value())) << f << " with a null end";
    EXPECT_FALSE(run(f, Value(), t1)) << f << " with a null start";
    EXPECT_FALSE(run(f, t1, t0)) << f << " ending before it starts";
  }
}

// ----- the examples of OGC 21-065r2 (CQL2 1.0), Annex A, "test-data"

// Its temporal predicates on ne_110m_populated_places_simple: the three places with a start and
// an end (the others have neither, and no predicate holds for them). The rows on the `date`
// property are left out: they need a date-typed property, and onemap's dates are timestamps at
// midnight.
TEST(Cql2Standard, TemporalTestData) {
  const std::vector<Queryable> q = {{"start", Type::Timestamp}, {"end", Type::Timestamp}};
  struct Place {
    const char* name;
    const char* start;
    const char* end;
  };
  const std::vector<Place> places = {
      {"København", "2021-04-16T10:15:59Z", "2022-04-16T10:16:06Z"},
      {"Berlin", "2022-04-16T10:13:19Z", "2024-02-22T09:37:52Z"},
      {"Athens", "2022-04-16T10:15:10Z", "2022-12-16T10:14:53Z"},
  };
  const std::vector<std::pair<std::string, int>> expected = {
      {"t_after(start,timestamp('2022-04-16T10:13:19Z'))", 1},
      {"t_before(start,timestamp('2022-04-16T10:13:19Z'))", 1},
      {"t_disjoint(start,timestamp('2022-04-16T10:13:19Z'))", 2},
      {"t_equals(start,timestamp('2022-04-16T10:13:19Z'))", 1},
      {"t_intersects(start,timestamp('2022-04-16T10:13:19Z'))", 1},
      {"t_after(start,interval('2022-01-01T00:00:00Z','2022-12-31T23:59:59Z'))", 0},
      {"t_before(start,interval('2022-01-01T00:00:00Z','2022-12-31T23:59:59Z'))", 1},
      {"t_disjoint(start,interval('2022-01-01T00:00:00Z','2022-12-31T23:59:59Z'))", 1},
      {"t_equals(start,interval('2022-01-01T00:00:00Z','2022-12-31T23:59:59Z'))", 0},
      {"t_intersects(start,interval('2022-01-01T00:00:00Z','2022-12-31T23:59:59Z'))", 2},
      {"t_after(interval(start,end),interval('..','2022-04-16T10:13:19Z'))", 1},
      {"t_before(interval(start,end),interval('2023-01-01T00:00:00Z','..'))", 2},
      {"t_disjoint(interval(start,end),interval('2022-04-16T10:13:19Z','2022-04-16T10:15:09Z'))",
       1},
      {"t_equals(interval(start,end),interval('2021-04-16T10:15:59Z','2022-04-16T10:16:06Z'))", 1},
      {"t_intersects(interval(start,end),interval('2022-04-16T10:13:19Z','2022-04-16T10:15:09Z'))",
       2},
      {"T_CONTAINS(interval(start,end),interval('2022-04-16T10:13:19Z','2022-04-16T10:15:10Z'))",
       1},
      {"T_DURING(interval(start,end),interval('2022-01-01T00:00:00Z','2022-12-31T23:59:59Z'))", 1},
      {"T_FINISHES(interval(start,end),interval('2020-04-16T10:13:19Z','2022-04-16T10:16:06Z'))",
       1},
      {"T_FINISHEDBY(interval(start,end),interval('2022-04-16T10:13:19Z','2022-04-16T10:16:06Z'))",
       1},
      {"T_MEETS(interval(start,end),interval('2022-04-16T10:13:19Z','2022-04-16T10:15:10Z'))", 0},
      {"T_METBY(interval(start,end),interval('2022-04-16T10:13:19Z','2022-04-16T10:15:10Z'))", 1},
      {"T_OVERLAPPEDBY(interval(start,end),interval('2020-04-16T10:13:19Z','2022-04-16T10:15:10Z')"
       ")",
       2},
      {"T_OVERLAPS(interval(start,end),interval('2022-04-16T10:13:19Z','2023-04-16T10:15:10Z'))",
       1},
      {"T_STARTEDBY(interval(start,end),interval('2022-04-16T10:13:19Z','2022-04-16T10:15:10Z'))",
       1},
      {"T_STARTS(interval(start,end),interval('2022-04-16T10:13:19Z','2022-04-16T10:15:10Z'))", 0},
  };
  for (const auto& [text, count] : expected) {
    const Filter f = Filter::parse(text, q);
    int n = 0;
    for (const Place& p : places) {
      const Value start = Timestamp{*parse_time(p.start, 0)},
                  end = Timestamp{*parse_time(p.end, 0)};
      n += f.matches([&](std::size_t i) { return i == 0 ? start : end; });
    }
    EXPECT_EQ(n, count) << text;
  }
}

// Its spatial predicates whose counts depend only on the places and countries near Luxembourg:
// the seven places in BBOX(0,40,10,50) (and three far off), and the five countries that meet
// BBOX(5,48,9,52), from tests/data/cql2 (copied unchanged). Counts over the whole data sets
// (243 places, 177 countries) shrink by the records left out, which the literals do not meet.
TEST(Cql2Standard, SpatialTestData) {
  const std::vector<Queryable> q = {{"geom", Type::Geometry}};
  const std::vector<Point> places = {
      {1.516486, 42.5000014},  {23.7313752, 37.9852721}, {13.3996028, 52.5237645},
      {7.4669755, 46.9166828}, {6.140028, 46.2100075},   {12.5615399, 55.68051},
      {6.1300028, 49.6116604}, {7.4069132, 43.7396457},  {2.3529924615392135, 48.85809231626911},
      {9.5166695, 47.1337238}};
  const int kPlaces = 243, kCountries = 177;
  std::vector<MultiPolygon> countries;
  std::ifstream in(std::string(ONEMAP_SOURCE_DIR) +
                   "/tests/data/cql2/ne_110m_countries_near_luxembourg.tsv");
  for (std::string line; std::getline(in, line);)
    countries.push_back(spatial::multipolygon_from_wkt(line.substr(line.find('\t') + 1)));
  ASSERT_EQ(countries.size(), 5u);
  auto count_places = [&](const std::string& text) {
    const Filter f = Filter::parse(text, q);
    int n = 0;
    for (const Point& p : places) n += f.matches([&](std::size_t) { return Value(p); });
    return n;
  };
  auto count_countries = [&](const std::string& text) {
    const Filter f = Filter::parse(text, q);
    int n = 0;
    for (const MultiPolygon& c : countries) n += f.matches([&](std::size_t) { return Value(&c); });
    return n;
  };
  const int left_out_places = kPlaces - static_cast<int>(places.size());
  const int left_out_countries = kCountries - static_cast<int>(countries.size());
  EXPECT_EQ(count_places("S_INTERSECTS(geom,POLYGON((0 40,10 40,10 50,0 50,0 40)))"), 7);
  EXPECT_EQ(count_places("S_DISJOINT(geom,BBOX(0,40,10,50))"), 236 - left_out_places);
  EXPECT_EQ(count_places("S_DISJOINT(geom,POLYGON((0 40,10 40,10 50,0 50,0 40)))"),
            236 - left_out_places);
  EXPECT_EQ(count_places("S_EQUALS(geom,POINT(6.1300028 49.6116604))"), 1);
  EXPECT_EQ(count_countries("S_DISJOINT(geom,POINT(7.02 49.92))"), 176 - left_out_countries);
  const std::string luxembourg =
      "POLYGON((6.043073357781111 50.128051662794235,6.242751092156993 "
      "49.90222565367873,6.186320428094177 49.463802802114515,5.897759230176348 "
      "49.44266714130711,5.674051954784829 49.529483547557504,5.782417433300907 "
      "50.09032786722122,6.043073357781111 50.128051662794235))";
  EXPECT_EQ(count_countries("S_TOUCHES(geom," + luxembourg + ")"), 3);
  EXPECT_EQ(count_countries("S_TOUCHES(geom,POINT(6.043073357781111 50.128051662794235))"), 3);
  EXPECT_EQ(count_countries("S_TOUCHES(geom,POINT(6.242751092156993 49.90222565367873))"), 2);
  EXPECT_EQ(count_countries("S_TOUCHES(geom,LINESTRING(6.043073357781111 "
                            "50.128051662794235,6.242751092156993 49.90222565367873))"),
            3);
  EXPECT_EQ(count_countries("S_CONTAINS(geom,BBOX(7,50,8,51))"), 1);
  EXPECT_EQ(count_countries("S_CONTAINS(geom,LINESTRING(7 50,8 51))"), 1);
  EXPECT_EQ(count_countries("S_CONTAINS(geom,POINT(7.02 49.92))"), 1);
  // Luxembourg equals itself and is within itself, not touching.
  EXPECT_EQ(count_countries("S_EQUALS(geom," + luxembourg + ")"), 1);
}

}  // namespace
