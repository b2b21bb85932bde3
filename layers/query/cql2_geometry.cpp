// CQL2 geometry literals: coordinates checked against CRS84 lon/lat and counted against
// input_limits().geometry_vertices, rings checked closed, lines and polygons validated (polygons
// corrected for orientation first), the polygons of a GEOMETRYCOLLECTION united, and the envelope
// the index hint and the spatial predicates' quick test use.
#include "layers/query/cql2_geometry.hpp"

#include "core/errors.hpp"
#include "layers/model/text.hpp"
#include "spatial/geos_ops.hpp"

#include <utility>
#include <vector>

namespace onemap::layers::cql2::detail {

namespace {

char ascii_upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

class GeometryReader {
 public:
  GeometryReader(Lexer& lex, std::size_t& vertices) : lex_(lex), vertices_(vertices) {}

  GeometryLiteral read(const std::string& kw, std::size_t pos) {
    GeometryLiteral g;
    if (kw == "BBOX") {
      g.polygons.push_back(bbox(pos));
    } else if (kw == "GEOMETRYCOLLECTION") {
      skip_z();
      std::vector<MultiPolygon> areas;
      list(kw, [&] {
        Token member = lex_.next();
        std::string k = member.kind == Tok::Word ? member.text : std::string();
        for (char& c : k) c = ascii_upper(c);
        if (!is_wkt_keyword(k))
          lex_.syntax(member.pos,
                      "a GEOMETRYCOLLECTION holds POINT, LINESTRING, POLYGON, MULTIPOINT, "
                      "MULTILINESTRING or MULTIPOLYGON");
        MultiPolygon area;
        wkt(k, member.pos, g, area);
        if (!area.empty()) areas.push_back(std::move(area));
      });
      g.polygons = unite(areas, pos);
    } else {
      wkt(kw, pos, g, g.polygons);
    }
    bg::assign_inverse(g.envelope);
    for (const Point& q : g.points) bg::expand(g.envelope, q);
    for (const LineString& line : g.lines)
      for (const Point& q : line) bg::expand(g.envelope, q);
    if (!g.polygons.empty()) bg::expand(g.envelope, spatial::envelope(g.polygons));
    return g;
  }

 private:
  // A WKT geometry after its keyword `kw` (at byte `pos`): its points and lines go to g, its
  // polygons to `polygons`.
  void wkt(const std::string& kw, std::size_t pos, GeometryLiteral& g, MultiPolygon& polygons) {
    skip_z();
    if (kw == "POINT") {
      std::vector<Point> pts = coordinates(1, "point");
      if (pts.size() != 1) lex_.syntax(pos, "a POINT has one coordinate pair");
      g.points.push_back(pts.front());
    } else if (kw == "MULTIPOINT") {
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
      g.lines.push_back(linestring(pos));
    } else if (kw == "MULTILINESTRING") {
      list(kw, [&] { g.lines.push_back(linestring(lex_.peek().pos)); });
    } else {  // POLYGON, MULTIPOLYGON
      MultiPolygon mp;
      if (kw == "POLYGON")
        mp.push_back(polygon());
      else
        list(kw, [&] { mp.push_back(polygon()); });
      bg::correct(mp);
      std::string reason;
      if (!bg::is_valid(mp, reason)) lex_.error(pos, "invalid geometry", reason);
      polygons.insert(polygons.end(), mp.begin(), mp.end());
    }
  }

  // The Z of "POINT Z (1 2 3)".
  void skip_z() {
    const Token& t = lex_.peek();
    if (t.kind == Tok::Word && (t.text == "Z" || t.text == "z")) lex_.next();
  }

  // BBOX(minx, miny, maxx, maxy) or BBOX(minx, miny, minz, maxx, maxy, maxz)
  spatial::Polygon bbox(std::size_t pos) {
    std::vector<double> v;
    list("BBOX", [&] {
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
    return box;
  }

  // The polygons of a GEOMETRYCOLLECTION's members as one valid multipolygon: the collection is
  // the union of its members, and members may overlap where a MULTIPOLYGON's parts may not.
  // GEOS unites them, as it relates areas in the evaluator.
  MultiPolygon unite(const std::vector<MultiPolygon>& areas, std::size_t pos) {
    if (areas.size() < 2) return areas.empty() ? MultiPolygon{} : areas.front();
    MultiPolygon out;
    try {
      out = spatial::union_all(areas);
    } catch (const Error& e) {
      lex_.error(pos, "invalid geometry", e.what());
    }
    std::string reason;
    if (!bg::is_valid(out, reason)) lex_.error(pos, "invalid geometry", reason);
    return out;
  }

  Point coordinate() {
    const std::size_t limit = input_limits().geometry_vertices;
    if (++vertices_ > limit)
      lex_.error(lex_.peek().pos, kTooLarge,
                 "geometries hold at most " + std::to_string(limit) + " vertices");
    Token x = lex_.next();
    if (x.kind != Tok::Number) lex_.syntax(x.pos, "expected a coordinate");
    Token y = lex_.next();
    if (y.kind != Tok::Number) lex_.syntax(y.pos, "expected the y coordinate");
    if (lex_.peek().kind == Tok::Number) lex_.next();  // z, dropped: the predicates are 2D
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

  // A line of two distinct points at least (at byte `pos`).
  LineString linestring(std::size_t pos) {
    std::vector<Point> pts = coordinates(2, "linestring");
    LineString line(pts.begin(), pts.end());
    std::string reason;
    if (!bg::is_valid(line, reason)) lex_.error(pos, "invalid geometry", reason);
    return line;
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
  void list(std::string_view kw, F item) {
    lex_.expect(Tok::LParen, "expected '(' after " + std::string(kw));
    while (true) {
      item();
      if (lex_.peek().kind != Tok::Comma) break;
      lex_.next();
    }
    lex_.expect(Tok::RParen, "expected ',' or ')' in the " + std::string(kw));
  }

  Lexer& lex_;
  std::size_t& vertices_;  ///< coordinates of the filter's geometry literals so far
};

}  // namespace

bool is_wkt_keyword(std::string_view kw) {
  return kw == "POINT" || kw == "LINESTRING" || kw == "POLYGON" || kw == "MULTIPOINT" ||
         kw == "MULTILINESTRING" || kw == "MULTIPOLYGON";
}

GeometryLiteral read_geometry(Lexer& lex, const std::string& kw, std::size_t pos,
                              std::size_t& vertices) {
  return GeometryReader(lex, vertices).read(kw, pos);
}

}  // namespace onemap::layers::cql2::detail
