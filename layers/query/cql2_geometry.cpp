// CQL2 geometry literals: coordinates checked against CRS84 lon/lat and counted against
// input_limits().geometry_vertices, rings checked closed, lines and polygons validated (polygons
// corrected for orientation first), the polygons of a GEOMETRYCOLLECTION united, and the envelope
// the index hint and the spatial predicates' quick test use (GeometryBuilder); and the WKT reader
// that feeds it from CQL2 text.
#include "layers/query/cql2_geometry.hpp"

#include "core/errors.hpp"
#include "layers/model/text.hpp"
#include "spatial/geos_ops.hpp"

#include <utility>
#include <vector>

namespace onemap::layers::cql2::detail {

Point GeometryBuilder::position(double lon, double lat, std::size_t at) {
  const std::size_t limit = input_limits().geometry_vertices;
  if (++vertices_ > limit)
    fail(source_, at, kTooLarge, "geometries hold at most " + std::to_string(limit) + " vertices");
  check_lon_lat(lon, lat, at);
  return Point(lon, lat);
}

// Filters take CRS84 coordinates; far outside it, Boost.Geometry's integer rescaling overflows
// (and throws) in the validity check and the spatial predicates.
void GeometryBuilder::check_lon_lat(double lon, double lat, std::size_t at) const {
  if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90))
    invalid(
        at,
        "coordinates are CRS84 lon/lat: longitude within [-180, 180], latitude within [-90, 90]");
}

void GeometryBuilder::line(const std::vector<Point>& points, std::size_t count_at, std::size_t at) {
  if (points.size() < 2)
    fail(source_, count_at, "syntax error", "a linestring needs at least 2 points");
  LineString line(points.begin(), points.end());
  std::string reason;
  if (!bg::is_valid(line, reason)) invalid(at, reason);
  g_.lines.push_back(std::move(line));
}

void GeometryBuilder::check_ring(const std::vector<Point>& points, std::size_t at) const {
  if (points.size() < 4)
    fail(source_, at, "syntax error", "a polygon ring needs at least 4 points");
  if (!bg::equals(points.front(), points.back()))
    fail(source_, at, "syntax error",
         "polygon ring is not closed (its first and last points differ)");
}

void GeometryBuilder::polygons(MultiPolygon mp, std::size_t at) {
  bg::correct(mp);
  std::string reason;
  if (!bg::is_valid(mp, reason)) invalid(at, reason);
  areas_.push_back(std::move(mp));
}

void GeometryBuilder::bbox(std::vector<double> v, std::size_t at) {
  const std::string name = source_.spell("BBOX");
  if (v.size() == 6) v = {v[0], v[1], v[3], v[4]};
  if (v.size() != 4) fail(source_, at, "syntax error", name + " takes 4 numbers (or 6 with z)");
  if (!(v[0] < v[2]) || !(v[1] < v[3]))
    fail(source_, at, "syntax error", name + " needs minx < maxx and miny < maxy");
  check_lon_lat(v[0], v[1], at);
  check_lon_lat(v[2], v[3], at);
  spatial::Polygon box;
  box.outer() = {Point(v[0], v[1]), Point(v[2], v[1]), Point(v[2], v[3]), Point(v[0], v[3]),
                 Point(v[0], v[1])};
  areas_.push_back(MultiPolygon{box});
}

GeometryLiteral GeometryBuilder::finish(std::size_t at) {
  if (areas_.size() == 1) {
    g_.polygons = std::move(areas_.front());
  } else if (areas_.size() > 1) {
    try {
      g_.polygons = spatial::union_all(areas_);
    } catch (const Error& e) {
      invalid(at, e.what());
    }
    std::string reason;
    if (!bg::is_valid(g_.polygons, reason)) invalid(at, reason);
  }
  bg::assign_inverse(g_.envelope);
  for (const Point& q : g_.points) bg::expand(g_.envelope, q);
  for (const LineString& line : g_.lines)
    for (const Point& q : line) bg::expand(g_.envelope, q);
  if (!g_.polygons.empty()) bg::expand(g_.envelope, spatial::envelope(g_.polygons));
  return std::move(g_);
}

void GeometryBuilder::invalid(std::size_t at, const std::string& reason) const {
  fail(source_, at, "invalid geometry", reason);
}

namespace {

char ascii_upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

// WKT and BBOX read token by token into a GeometryBuilder.
class WktReader {
 public:
  WktReader(Lexer& lex, std::size_t& vertices) : lex_(lex), g_(lex, vertices) {}

  GeometryLiteral read(const std::string& kw, std::size_t pos) {
    if (kw == "BBOX") {
      bbox(pos);
    } else if (kw == "GEOMETRYCOLLECTION") {
      skip_z();
      list(kw, [&] {
        Token member = lex_.next();
        std::string k = member.kind == Tok::Word ? member.text : std::string();
        for (char& c : k) c = ascii_upper(c);
        if (!is_wkt_keyword(k))
          lex_.syntax(member.pos,
                      "a GEOMETRYCOLLECTION holds POINT, LINESTRING, POLYGON, MULTIPOINT, "
                      "MULTILINESTRING or MULTIPOLYGON");
        wkt(k, member.pos);
      });
    } else {
      wkt(kw, pos);
    }
    return g_.finish(pos);
  }

 private:
  // A WKT geometry after its keyword `kw` (at byte `pos`).
  void wkt(const std::string& kw, std::size_t pos) {
    skip_z();
    if (kw == "POINT") {
      std::vector<Point> pts = coordinates("point").second;
      if (pts.size() != 1) lex_.syntax(pos, "a POINT has one coordinate pair");
      g_.point(pts.front());
    } else if (kw == "MULTIPOINT") {
      list(kw, [&] {  // both MULTIPOINT((1 2),(3 4)) and MULTIPOINT(1 2,3 4)
        if (lex_.peek().kind == Tok::LParen) {
          lex_.next();
          g_.point(coordinate());
          lex_.expect(Tok::RParen, "expected ')' after the point");
        } else {
          g_.point(coordinate());
        }
      });
    } else if (kw == "LINESTRING") {
      linestring(pos);
    } else if (kw == "MULTILINESTRING") {
      list(kw, [&] { linestring(lex_.peek().pos); });
    } else {  // POLYGON, MULTIPOLYGON
      MultiPolygon mp;
      if (kw == "POLYGON")
        mp.push_back(polygon());
      else
        list(kw, [&] { mp.push_back(polygon()); });
      g_.polygons(std::move(mp), pos);
    }
  }

  // The Z of "POINT Z (1 2 3)".
  void skip_z() {
    const Token& t = lex_.peek();
    if (t.kind == Tok::Word && (t.text == "Z" || t.text == "z")) lex_.next();
  }

  // BBOX(minx, miny, maxx, maxy) or BBOX(minx, miny, minz, maxx, maxy, maxz)
  void bbox(std::size_t pos) {
    std::vector<double> v;
    list("BBOX", [&] {
      Token n = lex_.next();
      if (n.kind != Tok::Number) lex_.syntax(n.pos, "expected a number in BBOX");
      v.push_back(n.number);
    });
    g_.bbox(std::move(v), pos);
  }

  Point coordinate() {
    Token x = lex_.next();
    if (x.kind != Tok::Number) lex_.syntax(x.pos, "expected a coordinate");
    Token y = lex_.next();
    if (y.kind != Tok::Number) lex_.syntax(y.pos, "expected the y coordinate");
    if (lex_.peek().kind == Tok::Number) lex_.next();  // z, dropped: the predicates are 2D
    return g_.position(x.number, y.number, x.pos);
  }

  // "(" x y {"," x y} ")": where the list starts, and its points.
  std::pair<std::size_t, std::vector<Point>> coordinates(const char* what) {
    Token open = lex_.expect(Tok::LParen, std::string("expected '(' to start the ") + what);
    std::vector<Point> pts;
    while (true) {
      pts.push_back(coordinate());
      if (lex_.peek().kind != Tok::Comma) break;
      lex_.next();
    }
    lex_.expect(Tok::RParen, std::string("expected ',' or ')' in the ") + what);
    return {open.pos, std::move(pts)};
  }

  // A line (at byte `pos`).
  void linestring(std::size_t pos) {
    auto [open, pts] = coordinates("linestring");
    g_.line(pts, open, pos);
  }

  // "(" ring {"," ring} ")"
  spatial::Polygon polygon() {
    lex_.expect(Tok::LParen, "expected '(' to start the polygon");
    spatial::Polygon poly;
    bool outer = true;
    while (true) {
      auto [at, pts] = coordinates("polygon ring");
      g_.check_ring(pts, at);
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
  GeometryBuilder g_;
};

}  // namespace

bool is_wkt_keyword(std::string_view kw) {
  return kw == "POINT" || kw == "LINESTRING" || kw == "POLYGON" || kw == "MULTIPOINT" ||
         kw == "MULTILINESTRING" || kw == "MULTIPOLYGON";
}

GeometryLiteral read_geometry(Lexer& lex, const std::string& kw, std::size_t pos,
                              std::size_t& vertices) {
  return WktReader(lex, vertices).read(kw, pos);
}

}  // namespace onemap::layers::cql2::detail
