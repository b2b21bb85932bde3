// CQL2 written once and encoded twice, as CQL2 text and as CQL2 JSON, for the tests that check
// both encodings mean the same: properties, literals, geometries from their coordinates, calls
// of the standard's functions by both their names. Header only.
#pragma once

#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace onemap::testing {

/// One CQL2 expression in both encodings.
struct Cql2 {
  std::string text;
  std::string json;
};

/// The spatial and temporal functions of CQL2 1.0 by their names in text and in JSON (the
/// standard's JSON schema, cql2.json).
inline const std::vector<std::pair<std::string, std::string>> kSpatialFunctions = {
    {"S_INTERSECTS", "s_intersects"}, {"S_EQUALS", "s_equals"},    {"S_DISJOINT", "s_disjoint"},
    {"S_TOUCHES", "s_touches"},       {"S_WITHIN", "s_within"},    {"S_OVERLAPS", "s_overlaps"},
    {"S_CROSSES", "s_crosses"},       {"S_CONTAINS", "s_contains"}};
inline const std::vector<std::pair<std::string, std::string>> kTemporalFunctions = {
    {"T_AFTER", "t_after"},           {"T_BEFORE", "t_before"},
    {"T_CONTAINS", "t_contains"},     {"T_DISJOINT", "t_disjoint"},
    {"T_DURING", "t_during"},         {"T_EQUALS", "t_equals"},
    {"T_FINISHEDBY", "t_finishedBy"}, {"T_FINISHES", "t_finishes"},
    {"T_INTERSECTS", "t_intersects"}, {"T_MEETS", "t_meets"},
    {"T_METBY", "t_metBy"},           {"T_OVERLAPPEDBY", "t_overlappedBy"},
    {"T_OVERLAPS", "t_overlaps"},     {"T_STARTEDBY", "t_startedBy"},
    {"T_STARTS", "t_starts"}};

inline Cql2 cql2_property(const std::string& name) {
  return {"\"" + name + "\"", R"({"property": ")" + name + R"("})"};
}
/// A string literal (no quotes in `s`).
inline Cql2 cql2_string(const std::string& s) {
  return {"'" + s + "'", "\"" + s + "\""};
}
inline Cql2 cql2_timestamp(const std::string& t) {
  return {"TIMESTAMP('" + t + "')", R"({"timestamp": ")" + t + R"("})"};
}
inline Cql2 cql2_date(const std::string& d) {
  return {"DATE('" + d + "')", R"({"date": ")" + d + R"("})"};
}
/// An INTERVAL of two ends, each a cql2_string (a date, a timestamp, "..") or a cql2_property.
inline Cql2 cql2_interval(const Cql2& start, const Cql2& end) {
  return {"INTERVAL(" + start.text + ", " + end.text + ")",
          R"({"interval": [)" + start.json + ", " + end.json + "]}"};
}
/// `a op b` for a comparison operator (=, <>, <, >, <=, >=).
inline Cql2 cql2_compare(const Cql2& a, const std::string& op, const Cql2& b) {
  return {a.text + " " + op + " " + b.text,
          R"({"op": ")" + op + R"(", "args": [)" + a.json + ", " + b.json + "]}"};
}
/// A function of two arguments, by its names in text and JSON.
inline Cql2 cql2_call(const std::pair<std::string, std::string>& name, const Cql2& a,
                      const Cql2& b) {
  return {name.first + "(" + a.text + ", " + b.text + ")",
          R"({"op": ")" + name.second + R"(", "args": [)" + a.json + ", " + b.json + "]}"};
}

// ----- geometry literals: WKT and GeoJSON from the same coordinates

struct Position {
  double x, y;
};

namespace detail {
inline std::string number(double v) {
  std::ostringstream s;
  s.precision(15);
  s << v;
  return s.str();
}
inline Cql2 coordinates(const Position& p) {
  return {number(p.x) + " " + number(p.y), "[" + number(p.x) + ", " + number(p.y) + "]"};
}
// Items joined by ", " in both encodings, each written by `write`, inside the brackets of each.
template <class T, class Write>
Cql2 list(const std::vector<T>& items, Write write) {
  Cql2 out{"(", "["};
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Cql2 item = write(items[i]);
    out.text += (i ? ", " : "") + item.text;
    out.json += (i ? ", " : "") + item.json;
  }
  out.text += ")";
  out.json += "]";
  return out;
}
inline Cql2 geometry(const std::string& wkt, const std::string& type, const Cql2& coordinates) {
  return {wkt + coordinates.text,
          R"({"type": ")" + type + R"(", "coordinates": )" + coordinates.json + "}"};
}
using Line = std::vector<Position>;
using Rings = std::vector<Line>;
inline Cql2 line(const Line& l) {
  return list(l, coordinates);
}
inline Cql2 rings(const Rings& r) {
  return list(r, line);
}
}  // namespace detail

inline Cql2 cql2_point(const Position& p) {
  const Cql2 c = detail::coordinates(p);
  return {"POINT(" + c.text + ")", R"({"type": "Point", "coordinates": )" + c.json + "}"};
}
inline Cql2 cql2_point_z(const Position& p, double z) {
  const Cql2 c = detail::coordinates(p);
  const std::string zs = detail::number(z);
  return {"POINT Z (" + c.text + " " + zs + ")", R"({"type": "Point", "coordinates": )" +
                                                     c.json.substr(0, c.json.size() - 1) + ", " +
                                                     zs + "]}"};
}
inline Cql2 cql2_linestring(const detail::Line& l) {
  return detail::geometry("LINESTRING", "LineString", detail::line(l));
}
/// Rings closed by the caller (the first point again at the end).
inline Cql2 cql2_polygon(const detail::Rings& rings) {
  return detail::geometry("POLYGON", "Polygon", detail::rings(rings));
}
inline Cql2 cql2_multipoint(const detail::Line& points) {
  return detail::geometry("MULTIPOINT", "MultiPoint", detail::list(points, [](const Position& p) {
                            const Cql2 c = detail::coordinates(p);
                            return Cql2{"(" + c.text + ")", c.json};
                          }));
}
inline Cql2 cql2_multilinestring(const std::vector<detail::Line>& lines) {
  return detail::geometry("MULTILINESTRING", "MultiLineString", detail::list(lines, detail::line));
}
inline Cql2 cql2_multipolygon(const std::vector<detail::Rings>& polygons) {
  return detail::geometry("MULTIPOLYGON", "MultiPolygon", detail::list(polygons, detail::rings));
}
inline Cql2 cql2_collection(const std::vector<Cql2>& members) {
  const Cql2 all = detail::list(members, [](const Cql2& m) { return m; });
  return {"GEOMETRYCOLLECTION" + all.text,
          R"({"type": "GeometryCollection", "geometries": )" + all.json + "}"};
}
/// BBOX of 4 numbers, or 6 with z.
inline Cql2 cql2_bbox(const std::vector<double>& v) {
  const Cql2 numbers = detail::list(v, [](double n) {
    return Cql2{detail::number(n), detail::number(n)};
  });
  return {"BBOX" + numbers.text, R"({"bbox": )" + numbers.json + "}"};
}

/// Every kind of geometry literal CQL2 has, valid, within the box from `origin` to `step` × 2
/// up and right of it: a point (with z too), a line, polygons (one with a hole), each MULTI form,
/// a collection whose polygons overlap (so that they are united) and boxes of 4 and 6 numbers.
inline std::vector<Cql2> every_geometry_literal(const Position& origin, double step) {
  auto at = [&](double i, double j) { return Position{origin.x + i * step, origin.y + j * step}; };
  const detail::Line triangle = {at(0, 0), at(1, 0), at(1, 1), at(0, 0)};
  const detail::Line other_triangle = {at(0.5, 0), at(2, 0), at(2, 1), at(0.5, 0)};
  const detail::Line square = {at(0, 0), at(2, 0), at(2, 2), at(0, 2), at(0, 0)};
  const detail::Line hole = {at(0.5, 0.5), at(0.5, 1), at(1, 1), at(0.5, 0.5)};
  return {cql2_point(at(1, 1)),
          cql2_point_z(at(1, 1), 12),
          cql2_linestring({at(0, 0), at(2, 1)}),
          cql2_polygon({square}),
          cql2_polygon({square, hole}),
          cql2_multipoint({at(1, 1), at(2, 1)}),
          cql2_multilinestring({{at(0, 0), at(2, 1)}, {at(1, 2), at(1, 0)}}),
          cql2_multipolygon({{triangle}, {{at(1.5, 0), at(2, 0), at(2, 1), at(1.5, 0)}}}),
          cql2_collection({cql2_point(at(1, 1)), cql2_linestring({at(0, 0), at(2, 1)}),
                           cql2_polygon({triangle}), cql2_polygon({other_triangle})}),
          cql2_bbox({origin.x, origin.y, origin.x + 2 * step, origin.y + 2 * step}),
          cql2_bbox({origin.x, origin.y, 0, origin.x + 2 * step, origin.y + 2 * step, 10})};
}

}  // namespace onemap::testing
