// CQL2 geometry literals: coordinates checked against CRS84 lon/lat and counted against
// input_limits().geometry_vertices, rings checked closed, polygons corrected (orientation) and
// validated, and the envelope the index hint and the spatial predicates' quick test use.
#include "layers/query/cql2_geometry.hpp"

#include "layers/model/text.hpp"

#include <utility>
#include <vector>

namespace onemap::layers::cql2::detail {

namespace {

class GeometryReader {
 public:
  GeometryReader(Lexer& lex, std::size_t& vertices) : lex_(lex), vertices_(vertices) {}

  GeometryLiteral read(const std::string& kw, std::size_t pos) {
    GeometryLiteral g;
    using K = GeometryLiteral::Shape;
    if (kw == "POINT") {
      g.shape = K::Points;
      std::vector<Point> pts = coordinates(1, "point");
      if (pts.size() != 1) lex_.syntax(pos, "a POINT has one coordinate pair");
      g.points.push_back(pts.front());
    } else if (kw == "MULTIPOINT") {
      g.shape = K::Points;
      list(kw, [&] {  // both MULTIPOINT((1 2),(3 4)) and MULTIPOINT(1 2,3 4)
        if (lex_.peek().kind == Tok::LParen) {
          lex_.next();
          g.points.push_back(coordinate());
          lex_.expect(Tok::RParen, "expected ')' after the point");
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
      if (!bg::is_valid(g.polygons, reason)) lex_.error(pos, "invalid geometry", reason);
    } else {  // BBOX(minx, miny, maxx, maxy) or BBOX(minx, miny, minz, maxx, maxy, maxz)
      g.shape = K::Polygons;
      std::vector<double> v;
      list(kw, [&] {
        Token n = lex_.next();
        if (n.kind != Tok::Number) lex_.syntax(n.pos, "expected a number in BBOX");
        v.push_back(n.number);
      });
      if (v.size() == 6) v = {v[0], v[1], v[3], v[4]};
      if (v.size() != 4) lex_.syntax(pos, "BBOX takes 4 numbers (or 6 with z)");
      if (!(v[0] < v[2]) || !(v[1] < v[3]))
        lex_.syntax(pos, "BBOX needs minx < maxx and miny < maxy");
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
    return g;
  }

 private:
  Point coordinate() {
    const std::size_t limit = input_limits().geometry_vertices;
    if (++vertices_ > limit)
      lex_.error(lex_.peek().pos, kTooLarge,
                 "geometries hold at most " + std::to_string(limit) + " vertices");
    Token x = lex_.next();
    if (x.kind != Tok::Number) lex_.syntax(x.pos, "expected a coordinate");
    Token y = lex_.next();
    if (y.kind != Tok::Number)
      lex_.syntax(y.pos, "expected the y coordinate (2D coordinates only)");
    check_lon_lat(x.number, y.number, x.pos);
    return Point(x.number, y.number);
  }

  // Filters take CRS84 coordinates; far outside it, Boost.Geometry's integer rescaling overflows
  // (and throws) in the validity check and the spatial predicates.
  void check_lon_lat(double lon, double lat, std::size_t pos) const {
    if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90))
      lex_.error(
          pos, "invalid geometry",
          "coordinates are CRS84 lon/lat: longitude within [-180, 180], latitude within [-90, 90]");
  }

  // "(" x y {"," x y} ")"
  std::vector<Point> coordinates(std::size_t min_points, const char* what) {
    Token open = lex_.expect(Tok::LParen, std::string("expected '(' to start the ") + what);
    std::vector<Point> pts;
    while (true) {
      pts.push_back(coordinate());
      if (lex_.peek().kind != Tok::Comma) break;
      lex_.next();
    }
    lex_.expect(Tok::RParen, std::string("expected ',' or ')' in the ") + what);
    if (pts.size() < min_points)
      lex_.syntax(open.pos, std::string("a ") + what + " needs at least " +
                                std::to_string(min_points) + " points");
    return pts;
  }

  Linestring linestring() {
    std::vector<Point> pts = coordinates(2, "linestring");
    return Linestring(pts.begin(), pts.end());
  }

  // "(" ring {"," ring} ")"
  spatial::Polygon polygon() {
    lex_.expect(Tok::LParen, "expected '(' to start the polygon");
    spatial::Polygon poly;
    bool outer = true;
    while (true) {
      std::size_t at = lex_.peek().pos;
      std::vector<Point> pts = coordinates(4, "polygon ring");
      if (!bg::equals(pts.front(), pts.back()))
        lex_.syntax(at, "polygon ring is not closed (its first and last points differ)");
      if (outer)
        poly.outer().assign(pts.begin(), pts.end());
      else
        poly.inners().emplace_back(pts.begin(), pts.end());
      outer = false;
      if (lex_.peek().kind != Tok::Comma) break;
      lex_.next();
    }
    lex_.expect(Tok::RParen, "expected ',' or ')' in the polygon");
    return poly;
  }

  // Calls item() for each element of "(" item {"," item} ")".
  template <class F>
  void list(const std::string& kw, F item) {
    lex_.expect(Tok::LParen, "expected '(' after " + kw);
    while (true) {
      item();
      if (lex_.peek().kind != Tok::Comma) break;
      lex_.next();
    }
    lex_.expect(Tok::RParen, "expected ',' or ')' in the " + kw);
  }

  Lexer& lex_;
  std::size_t& vertices_;  ///< coordinates of the filter's geometry literals so far
};

}  // namespace

GeometryLiteral read_geometry(Lexer& lex, const std::string& kw, std::size_t pos,
                              std::size_t& vertices) {
  return GeometryReader(lex, vertices).read(kw, pos);
}

}  // namespace onemap::layers::cql2::detail
