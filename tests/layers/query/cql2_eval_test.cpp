// CQL2 filters evaluated: every operator checked against a hand-written predicate over the same
// random records (the brute-force oracle), the exact text GDAL 3.6's OAPIF driver sends, the
// three overloads of matches, values of another kind, the index hint, and a fuzz run over broken
// input.
#include "tests/layers/query/cql2_records.hpp"

#include "core/errors.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace onemap;
using namespace onemap::layers;
using namespace onemap::layers::cql2::test;
using cql2::Filter;
using cql2::Value;

namespace {

using Oracle = std::function<bool(const Record&)>;
struct Case {
  std::string filter;
  Oracle oracle;
};

// Oracle helpers. Each returns false for a null, as a record with an unknown predicate does not
// match; three-valued combinations are written out where a test needs them.
bool starts(const std::optional<std::string>& s, std::string_view p) {
  return s && s->starts_with(p);
}
bool ends(const std::optional<std::string>& s, std::string_view p) {
  return s && s->ends_with(p);
}
bool has(const std::optional<std::string>& s, std::string_view p) {
  return s && s->find(p) != std::string::npos;
}
std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}
// Closed and open point-in-rectangle tests.
bool in_closed(const std::optional<Point>& p, double minx, double miny, double maxx, double maxy) {
  return p && p->x() >= minx && p->x() <= maxx && p->y() >= miny && p->y() <= maxy;
}
bool in_open(const std::optional<Point>& p, double minx, double miny, double maxx, double maxy) {
  return p && p->x() > minx && p->x() < maxx && p->y() > miny && p->y() < maxy;
}
const Rect* zone_of(const Record& r) {
  return r.zone < 0 ? nullptr : &kZones[static_cast<std::size_t>(r.zone)];
}
// Rectangles, boundaries included: whether `a` meets `b`, whether `a` lies in `b`.
bool meets(const Rect& a, const Rect& b) {
  return a.minx <= b.maxx && a.maxx >= b.minx && a.miny <= b.maxy && a.maxy >= b.miny;
}
bool lies_in(const Rect& a, const Rect& b) {
  return a.minx >= b.minx && a.maxx <= b.maxx && a.miny >= b.miny && a.maxy <= b.maxy;
}
// Whether the rectangles' interiors meet.
bool interiors_meet(const Rect& a, const Rect& b) {
  return a.minx < b.maxx && a.maxx > b.minx && a.miny < b.maxy && a.maxy > b.miny;
}
// A zone filter's oracle: the records with a zone for whose rectangle `holds` is true.
Oracle zone_where(bool (*holds)(const Rect&)) {
  return [holds](const Record& r) {
    const Rect* z = zone_of(r);
    return z && holds(*z);
  };
}

// Every operator, the precedence, quoting, escapes and keyword case, against the oracle.
std::vector<Case> cases() {
  std::vector<Case> c = {
      // comparisons
      {"members = 3", [](const Record& r) { return r.members && *r.members == 3; }},
      {"members <> 3", [](const Record& r) { return r.members && *r.members != 3; }},
      {"members < 3", [](const Record& r) { return r.members && *r.members < 3; }},
      {"members <= 3", [](const Record& r) { return r.members && *r.members <= 3; }},
      {"members > 3", [](const Record& r) { return r.members && *r.members > 3; }},
      {"members >= 3", [](const Record& r) { return r.members && *r.members >= 3; }},
      {"3 < members", [](const Record& r) { return r.members && 3 < *r.members; }},
      {"members>=3.0", [](const Record& r) { return r.members && *r.members >= 3; }},
      {"ratio > -1.5", [](const Record& r) { return r.ratio && *r.ratio > -1.5; }},
      {"ratio <= 2.5e0", [](const Record& r) { return r.ratio && *r.ratio <= 2.5; }},
      {"ratio < .5", [](const Record& r) { return r.ratio && *r.ratio < 0.5; }},
      {"ratio >= -25E-2", [](const Record& r) { return r.ratio && *r.ratio >= -0.25; }},
      {"ratio = +1.", [](const Record& r) { return r.ratio && *r.ratio == 1; }},
      {"members = ratio",
       [](const Record& r) { return r.members && r.ratio && *r.members == *r.ratio; }},
      {"name = 'alpha'", [](const Record& r) { return r.name == "alpha"; }},
      {"name <> 'alpha'", [](const Record& r) { return r.name && *r.name != "alpha"; }},
      {"name < 'b'", [](const Record& r) { return r.name && *r.name < "b"; }},
      {"name >= 'beta'", [](const Record& r) { return r.name && *r.name >= "beta"; }},
      {"name = 'it''s'", [](const Record& r) { return r.name == "it's"; }},
      {"name = ''", [](const Record& r) { return r.name == ""; }},
      {"name = '网格一'", [](const Record& r) { return r.name == "网格一"; }},
      {"name > '网格一'", [](const Record& r) { return r.name && *r.name > "网格一"; }},
      {"on_duty = TRUE", [](const Record& r) { return r.on_duty == true; }},
      {"on_duty <> false", [](const Record& r) { return r.on_duty == true; }},
      {"on_duty", [](const Record& r) { return r.on_duty == true; }},
      {"NOT on_duty", [](const Record& r) { return r.on_duty == false; }},
      {"reported_at < TIMESTAMP('2026-01-01T00:00:00Z')",
       [](const Record& r) { return r.reported_at && *r.reported_at < D0; }},
      {"reported_at = TIMESTAMP('2026-01-02T00:00:00Z')",
       [](const Record& r) { return r.reported_at == D1; }},
      {"reported_at >= DATE('2026-01-03')",
       [](const Record& r) { return r.reported_at && *r.reported_at >= D2; }},
      {"reported_at > TIMESTAMP('2026-01-02T08:00:00+08:00')",
       [](const Record& r) { return r.reported_at && *r.reported_at > D1; }},
      // LIKE, ILIKE
      {"name LIKE 'a%'", [](const Record& r) { return starts(r.name, "a"); }},
      {"name LIKE '%a'", [](const Record& r) { return ends(r.name, "a"); }},
      {"name LIKE '_lpha'",
       [](const Record& r) {
         return r.name && r.name->size() == 5 && r.name->substr(1) == "lpha";
       }},
      {"name LIKE 'a_b'",
       [](const Record& r) {
         return r.name && r.name->size() == 3 && (*r.name)[0] == 'a' && (*r.name)[2] == 'b';
       }},
      {"name LIKE 'a\\_b'", [](const Record& r) { return r.name == "a_b"; }},
      {"name LIKE 'a\\\\b'", [](const Record& r) { return r.name == "a\\b"; }},
      {"name LIKE '%\\%\\_%'", [](const Record& r) { return has(r.name, "%_"); }},
      {"name LIKE '网格_'",
       [](const Record& r) { return starts(r.name, "网格") && r.name->size() == 9; }},
      {"name LIKE '%'", [](const Record& r) { return r.name.has_value(); }},
      {"name LIKE ''", [](const Record& r) { return r.name == ""; }},
      {"name LIKE '%p%a'",
       [](const Record& r) {
         return ends(r.name, "a") && has(r.name, "p") && r.name->find('p') + 1 < r.name->size();
       }},
      {"name NOT LIKE '%a%'", [](const Record& r) { return r.name && !has(r.name, "a"); }},
      {"name ILIKE 'alpha'", [](const Record& r) { return r.name && lower(*r.name) == "alpha"; }},
      {"name ILIKE '%A%'", [](const Record& r) { return r.name && has(lower(*r.name), "a"); }},
      {"name NOT ILIKE 'AL%'",
       [](const Record& r) { return r.name && !lower(*r.name).starts_with("al"); }},
      // IN
      {"category IN ('fire', 'flood')",
       [](const Record& r) { return r.category == "fire" || r.category == "flood"; }},
      {"category NOT IN ('fire')",
       [](const Record& r) { return r.category && *r.category != "fire"; }},
      {"members IN (1, 2, 3, 2)",
       [](const Record& r) { return r.members && *r.members >= 1 && *r.members <= 3; }},
      {"on_duty IN (TRUE)", [](const Record& r) { return r.on_duty == true; }},
      {"reported_at IN (TIMESTAMP('2026-01-02T00:00:00Z'), '2026-01-01T12:00:00Z')",
       [](const Record& r) { return r.reported_at == D1 || r.reported_at == D0 + 43200; }},
      // BETWEEN
      {"members BETWEEN 2 AND 5",
       [](const Record& r) { return r.members && *r.members >= 2 && *r.members <= 5; }},
      {"members NOT BETWEEN 2 AND 5",
       [](const Record& r) { return r.members && (*r.members < 2 || *r.members > 5); }},
      {"ratio BETWEEN -1 AND 1",
       [](const Record& r) { return r.ratio && *r.ratio >= -1 && *r.ratio <= 1; }},
      {"name BETWEEN 'a' AND 'b'",
       [](const Record& r) { return r.name && *r.name >= "a" && *r.name <= "b"; }},
      {"reported_at BETWEEN TIMESTAMP('2026-01-01T00:00:00Z') AND DATE('2026-01-02')",
       [](const Record& r) {
         return r.reported_at && *r.reported_at >= D0 && *r.reported_at <= D1;
       }},
      // IS NULL
      {"name IS NULL", [](const Record& r) { return !r.name; }},
      {"members IS NOT NULL", [](const Record& r) { return r.members.has_value(); }},
      {"on_duty IS NULL", [](const Record& r) { return !r.on_duty; }},
      {"reported_at IS NULL", [](const Record& r) { return !r.reported_at; }},
      {"location IS NOT NULL", [](const Record& r) { return r.location.has_value(); }},
      {"zone IS NULL", [](const Record& r) { return r.zone < 0; }},
      {"'x' IS NULL", [](const Record&) { return false; }},
      // logic, precedence (NOT > AND > OR) and three-valued nulls
      {"members > 3 OR members < 1 AND on_duty = TRUE",
       [](const Record& r) {
         return (r.members && *r.members > 3) || (r.members && *r.members < 1 && r.on_duty == true);
       }},
      {"(members > 3 OR members < 1) AND on_duty = TRUE",
       [](const Record& r) {
         return r.members && (*r.members > 3 || *r.members < 1) && r.on_duty == true;
       }},
      {"NOT members > 3 AND name = 'alpha'",
       [](const Record& r) { return r.members && !(*r.members > 3) && r.name == "alpha"; }},
      {"NOT NOT members = 2", [](const Record& r) { return r.members == 2; }},
      {"members > 3 OR on_duty = TRUE",
       [](const Record& r) { return (r.members && *r.members > 3) || r.on_duty == true; }},
      {"NOT (members > 3 AND on_duty = TRUE)",
       [](const Record& r) { return (r.members && !(*r.members > 3)) || r.on_duty == false; }},
      {"NOT (members > 3 OR on_duty = TRUE)",
       [](const Record& r) { return r.members && !(*r.members > 3) && r.on_duty == false; }},
      {"NOT (name = 'alpha')", [](const Record& r) { return r.name && *r.name != "alpha"; }},
      {"TRUE", [](const Record&) { return true; }},
      {"FALSE", [](const Record&) { return false; }},
      {"TRUE AND members = 1", [](const Record& r) { return r.members == 1; }},
      {"FALSE OR name = 'alpha'", [](const Record& r) { return r.name == "alpha"; }},
      {"on_duty = TRUE AND NOT on_duty", [](const Record&) { return false; }},
      {"members > 3 and NOT name like 'a%' Or on_duty = true",
       [](const Record& r) {
         return (r.members && *r.members > 3 && r.name && !starts(r.name, "a")) ||
                r.on_duty == true;
       }},
      {"((((members = 1))))", [](const Record& r) { return r.members == 1; }},
      // property names: quoted, with ':' and with spaces
      {"\"members\" > 3", [](const Record& r) { return r.members && *r.members > 3; }},
      {"\"my field\" = 'x'", [](const Record& r) { return r.my_field == "x"; }},
      {"extra:floor >= 3", [](const Record& r) { return r.floor && *r.floor >= 3; }},
      {"\"extra:floor\" < 2 AND \"name\" LIKE 'a%'",
       [](const Record& r) { return r.floor && *r.floor < 2 && starts(r.name, "a"); }},
      // spatial: points (edges are common on the 0.25° grid)
      {"S_INTERSECTS(location, BBOX(120.25, 30.25, 121, 30.75))",
       [](const Record& r) { return in_closed(r.location, 120.25, 30.25, 121, 30.75); }},
      {"S_INTERSECTS(BBOX(120.25, 30.25, 121, 30.75), location)",
       [](const Record& r) { return in_closed(r.location, 120.25, 30.25, 121, 30.75); }},
      {"S_WITHIN(location, BBOX(120.25,30.25,121,30.75))",
       [](const Record& r) { return in_open(r.location, 120.25, 30.25, 121, 30.75); }},
      {"s_within(location, POLYGON((120.25 30.25, 121 30.25, 121 30.75, 120.25 30.75, "
       "120.25 30.25)))",
       [](const Record& r) { return in_open(r.location, 120.25, 30.25, 121, 30.75); }},
      {"S_WITHIN(location, POLYGON((120.25 30.25, 120.25 30.75, 121 30.75, 121 30.25, "
       "120.25 30.25)))",
       [](const Record& r) {
         return in_open(r.location, 120.25, 30.25, 121, 30.75);
       }},  // clockwise
      {"S_CONTAINS(POLYGON((120.25 30.25, 121 30.25, 121 30.75, 120.25 30.75, "
       "120.25 30.25)), location)",
       [](const Record& r) { return in_open(r.location, 120.25, 30.25, 121, 30.75); }},
      {"S_DISJOINT(location, BBOX(120.25, 30.25, 121, 30.75))",
       [](const Record& r) {
         return r.location && !in_closed(r.location, 120.25, 30.25, 121, 30.75);
       }},
      {"S_INTERSECTS(location, POINT(120.5 30.5))",
       [](const Record& r) {
         return r.location && r.location->x() == 120.5 && r.location->y() == 30.5;
       }},
      {"S_WITHIN(location, POINT(120.5 30.5))",
       [](const Record& r) {
         return r.location && r.location->x() == 120.5 && r.location->y() == 30.5;
       }},
      {"S_INTERSECTS(location, MULTIPOINT((120.5 30.5), (121 31)))",
       [](const Record& r) {
         return in_closed(r.location, 120.5, 30.5, 120.5, 30.5) ||
                in_closed(r.location, 121, 31, 121, 31);
       }},
      {"S_INTERSECTS(location, MULTIPOINT(120.5 30.5, 121 31))",
       [](const Record& r) {
         return in_closed(r.location, 120.5, 30.5, 120.5, 30.5) ||
                in_closed(r.location, 121, 31, 121, 31);
       }},
      {"S_INTERSECTS(location, LINESTRING(120 30, 121 30))",
       [](const Record& r) { return in_closed(r.location, 120, 30, 121, 30); }},
      {"S_WITHIN(location, LINESTRING(120 30, 121 30))",  // the end points are the boundary
       [](const Record& r) {
         return r.location && r.location->y() == 30 && r.location->x() > 120 &&
                r.location->x() < 121;
       }},
      {"S_INTERSECTS(location, MULTILINESTRING((120 30, 121 30), (122 30, 122 32)))",
       [](const Record& r) {
         return in_closed(r.location, 120, 30, 121, 30) || in_closed(r.location, 122, 30, 122, 32);
       }},
      // The triangle x + y <= 2, counting from (120, 30).
      {"S_INTERSECTS(location, POLYGON((120 30, 122 30, 120 32, 120 30)))",
       [](const Record& r) {
         return r.location && (r.location->x() - 120) + (r.location->y() - 30) <= 2;
       }},
      {"S_WITHIN(location, POLYGON((120 30, 122 30, 120 32, 120 30)))",
       [](const Record& r) {
         return in_open(r.location, 120, 30, 122, 32) &&
                (r.location->x() - 120) + (r.location->y() - 30) < 2;
       }},
      {"S_INTERSECTS(location, POLYGON((120 30, 122 30, 122 32, 120 32, 120 30), "
       "(120.5 30.5, 121.5 30.5, 121.5 31.5, 120.5 31.5, 120.5 30.5)))",
       [](const Record& r) {
         return r.location && !in_open(r.location, 120.5, 30.5, 121.5, 31.5);
       }},
      {"S_WITHIN(location, MULTIPOLYGON(((120 30, 122 30, 122 32, 120 32, 120 30), "
       "(120.5 30.5, 121.5 30.5, 121.5 31.5, 120.5 31.5, 120.5 30.5))))",
       [](const Record& r) {
         return in_open(r.location, 120, 30, 122, 32) &&
                !in_closed(r.location, 120.5, 30.5, 121.5, 31.5);
       }},
      {"S_INTERSECTS(location, MULTIPOLYGON(((120 30, 120.5 30, 120.5 30.5, 120 30.5, 120 30)), "
       "((121.5 31.5, 122 31.5, 122 32, 121.5 32, 121.5 31.5))))",
       [](const Record& r) {
         return in_closed(r.location, 120, 30, 120.5, 30.5) ||
                in_closed(r.location, 121.5, 31.5, 122, 32);
       }},
      // spatial: polygons (the zones are rectangles)
      {"S_INTERSECTS(zone, BBOX(120.5, 31, 121, 31.25))", zone_where([](const Rect& z) {
         return meets(z, {120.5, 31, 121, 31.25});
       })},
      {"S_DISJOINT(zone, BBOX(120.5, 31, 121, 31.25))", zone_where([](const Rect& z) {
         return !meets(z, {120.5, 31, 121, 31.25});
       })},
      {"S_WITHIN(zone, BBOX(120, 30, 121.5, 31.75))", zone_where([](const Rect& z) {
         return lies_in(z, {120, 30, 121.5, 31.75});
       })},
      {"S_CONTAINS(zone, POINT(120.5 30.5))",  // a corner of zones 0 and 1: on the boundary
       [](const Record&) { return false; }},
      {"S_CONTAINS(zone, POINT(121.25 31.25))",  // in the interior only
       zone_where([](const Rect& z) {
         return z.minx < 121.25 && z.maxx > 121.25 && z.miny < 31.25 && z.maxy > 31.25;
       })},
      {"S_INTERSECTS(zone, POINT(121.25 31))", zone_where([](const Rect& z) {
         return meets(z, {121.25, 31, 121.25, 31});
       })},
      {"S_CONTAINS(zone, BBOX(120.75, 30.75, 121.25, 31.25))", zone_where([](const Rect& z) {
         return lies_in({120.75, 30.75, 121.25, 31.25}, z);
       })},
      {"S_WITHIN(BBOX(121, 31, 121.5, 31.5), zone)", zone_where([](const Rect& z) {
         return lies_in({121, 31, 121.5, 31.5}, z);
       })},
      {"S_CONTAINS(zone, LINESTRING(120.1 30.1, 120.4 30.4))",
       [](const Record& r) { return r.zone == 0; }},
      {"S_INTERSECTS(zone, LINESTRING(120.25 31, 122 31))",
       zone_where([](const Rect& z) { return z.miny <= 31 && z.maxy >= 31; })},
      {"S_WITHIN(zone, POINT(120 30))", [](const Record&) { return false; }},
      // the other spatial functions: on the edges, at the end points, the same, apart
      {"S_TOUCHES(location, BBOX(120.25, 30.25, 121, 30.75))",
       [](const Record& r) {
         return in_closed(r.location, 120.25, 30.25, 121, 30.75) &&
                !in_open(r.location, 120.25, 30.25, 121, 30.75);
       }},
      {"S_TOUCHES(location, MULTILINESTRING((120 30, 121 30), (121 30, 121 31)))",
       [](const Record& r) {  // (121 30) ends both lines: not their boundary
         return in_closed(r.location, 120, 30, 120, 30) || in_closed(r.location, 121, 31, 121, 31);
       }},
      {"S_EQUALS(location, MULTIPOINT((120.5 30.5), (120.5 30.5)))",
       [](const Record& r) { return in_closed(r.location, 120.5, 30.5, 120.5, 30.5); }},
      {"S_OVERLAPS(location, MULTIPOINT((120.5 30.5), (121 31)))",
       [](const Record&) { return false; }},
      {"S_CROSSES(location, LINESTRING(120 30, 121 31))", [](const Record&) { return false; }},
      {"S_TOUCHES(zone, BBOX(120.5, 30.5, 121, 31))", zone_where([](const Rect& z) {
         return meets(z, {120.5, 30.5, 121, 31}) && !interiors_meet(z, {120.5, 30.5, 121, 31});
       })},
      {"S_OVERLAPS(zone, BBOX(120.25, 30.25, 120.75, 31.5))", zone_where([](const Rect& z) {
         const Rect b{120.25, 30.25, 120.75, 31.5};
         return interiors_meet(z, b) && !lies_in(z, b) && !lies_in(b, z);
       })},
      {"S_EQUALS(zone, POLYGON((120 30, 120.25 30, 120.5 30, 120.5 30.5, 120 30.5, 120 30)))",
       [](const Record& r) { return r.zone == 0; }},
      {"S_CROSSES(zone, LINESTRING(120.25 31, 122 31))", zone_where([](const Rect& z) {
         return z.miny < 31 && z.maxy > 31 && z.minx < 122 && z.maxx > 120.25 &&
                !lies_in({120.25, 31, 122, 31}, z);
       })},
      {"S_TOUCHES(zone, LINESTRING(120.25 31, 122 31))", zone_where([](const Rect& z) {
         return meets(z, {120.25, 31, 122, 31}) &&
                !(z.miny < 31 && z.maxy > 31 && z.minx < 122 && z.maxx > 120.25);
       })},
      // temporal: instants against closed intervals of seconds
      {"T_INTERSECTS(reported_at, DATE('2026-01-02'))",
       [](const Record&
              r) { return r.reported_at && *r.reported_at >= D1 && *r.reported_at < D2; }},
      {"T_INTERSECTS(reported_at, TIMESTAMP('2026-01-02T00:00:00Z'))",
       [](const Record& r) { return r.reported_at == D1; }},
      {"T_DURING(reported_at, INTERVAL('2026-01-01T00:00:00Z', '2026-01-03T00:00:00Z'))",
       [](const Record& r) { return r.reported_at && *r.reported_at > D0 && *r.reported_at < D2; }},
      {"T_DURING(reported_at, DATE('2026-01-02'))",
       [](const Record&
              r) { return r.reported_at && *r.reported_at > D1 && *r.reported_at < D2 - 1; }},
      {"T_DURING(reported_at, INTERVAL('2026-01-02', '..'))",
       [](const Record& r) { return r.reported_at && *r.reported_at > D1; }},
      {"T_DURING(reported_at, INTERVAL(DATE('2026-01-01'), TIMESTAMP('2026-01-02T12:30:00Z')))",
       [](const Record& r) {
         return r.reported_at && *r.reported_at > D0 && *r.reported_at < D1 + 45000;
       }},
      {"T_BEFORE(reported_at, TIMESTAMP('2026-01-01T00:00:00Z'))",
       [](const Record& r) { return r.reported_at && *r.reported_at < D0; }},
      {"T_AFTER(reported_at, DATE('2026-01-02'))",
       [](const Record& r) { return r.reported_at && *r.reported_at >= D2; }},
      {"T_INTERSECTS(reported_at, INTERVAL('..', '2026-01-01'))",
       [](const Record& r) { return r.reported_at && *r.reported_at < D1; }},
      {"T_BEFORE(DATE('2026-01-02'), reported_at)",
       [](const Record& r) { return r.reported_at && *r.reported_at >= D2; }},
      {"T_AFTER(reported_at, INTERVAL('..', '..'))", [](const Record&) { return false; }},
      {"T_EQUALS(reported_at, TIMESTAMP('2026-01-02T00:00:00Z'))",
       [](const Record& r) { return r.reported_at == D1; }},
      {"T_DISJOINT(reported_at, DATE('2026-01-02'))",
       [](const Record& r) { return r.reported_at && (*r.reported_at < D1 || *r.reported_at >= D2); }},
      {"T_MEETS(reported_at, DATE('2026-01-02'))", [](const Record& r) { return r.reported_at == D1; }},
      {"T_STARTS(reported_at, DATE('2026-01-02'))",
       [](const Record& r) { return r.reported_at == D1; }},
      {"T_FINISHES(reported_at, DATE('2026-01-01'))",
       [](const Record& r) { return r.reported_at == D1 - 1; }},
      {"T_METBY(reported_at, INTERVAL('..', '2026-01-02T00:00:00Z'))",
       [](const Record& r) { return r.reported_at == D1; }},
      {"T_CONTAINS(DATE('2026-01-02'), reported_at)",
       [](const Record& r) { return r.reported_at && *r.reported_at > D1 && *r.reported_at < D2 - 1; }},
      {"T_STARTEDBY(INTERVAL('2026-01-02', '..'), reported_at)",
       [](const Record& r) { return r.reported_at == D1; }},
      {"NOT T_BEFORE(reported_at, DATE('2026-01-02'))",
       [](const Record& r) { return r.reported_at && *r.reported_at >= D1; }},
      {"t_intersects(reported_at, interval('2026-01-01T12:00:00Z', '2026-01-01T12:30:00Z')) "
       "OR S_WITHIN(location, BBOX(121,31,122,32))",
       [](const Record& r) {
         return (r.reported_at && *r.reported_at >= D0 + 43200 && *r.reported_at <= D0 + 45000) ||
                in_open(r.location, 121, 31, 122, 32);
       }},
  };
  // What GDAL 3.6's OAPIF driver sends (ogr/ogrsf_frmts/wfs/ogroapifdriver.cpp, BuildFilterCQLText,
  // seen on the wire from ogrinfo -where): each comparison bare "name op value", AND/OR operands
  // in parentheses, "NOT (…)", "(name IS NULL)", strings with '' for a quote, integers as %lld,
  // reals as %.16g, BETWEEN as ">= AND <=", timestamps as quoted strings ('YYYY-MM-DDThh:mm:ssZ',
  // 'YYYY-MM-DDThh:mmZ', 'YYYY-MM-DDThhZ', or 'YYYY-MM-DDT' for a date), names never quoted.
  std::vector<Case> gdal = {
      {"name = 'alpha'", [](const Record& r) { return r.name == "alpha"; }},
      {"name = 'it''s'", [](const Record& r) { return r.name == "it's"; }},
      {"members <> 2", [](const Record& r) { return r.members && *r.members != 2; }},
      {"(members > 2) AND (members <= 10)",
       [](const Record& r) { return r.members && *r.members > 2 && *r.members <= 10; }},
      {"(members = 1) OR (name = 'beta')",
       [](const Record& r) { return r.members == 1 || r.name == "beta"; }},
      {"NOT (members = 1)", [](const Record& r) { return r.members && *r.members != 1; }},
      {"name LIKE 'a%'", [](const Record& r) { return starts(r.name, "a"); }},
      {"name ILIKE 'A_PHA'", [](const Record& r) { return r.name && lower(*r.name) == "alpha"; }},
      {"NOT (name LIKE 'a%')", [](const Record& r) { return r.name && !starts(r.name, "a"); }},
      {"(name IS NULL)", [](const Record& r) { return !r.name; }},
      {"NOT ((name IS NULL))", [](const Record& r) { return r.name.has_value(); }},
      {"(members >= 1) AND (members <= 5)",
       [](const Record& r) { return r.members && *r.members >= 1 && *r.members <= 5; }},
      {"ratio = 0.5", [](const Record& r) { return r.ratio == 0.5; }},
      {"ratio < 1e+20", [](const Record& r) { return r.ratio.has_value(); }},
      {"ratio > -1.5e-07", [](const Record& r) { return r.ratio && *r.ratio >= 0; }},
      {"members = 9223372036854775807", [](const Record&) { return false; }},
      {"reported_at = '2026-01-02T00:00:00Z'", [](const Record& r) { return r.reported_at == D1; }},
      {"reported_at >= '2026-01-02T'",
       [](const Record& r) { return r.reported_at && *r.reported_at >= D1; }},
      {"reported_at < '2026-01-02T12:30Z'",
       [](const Record& r) { return r.reported_at && *r.reported_at < D1 + 45000; }},
      {"reported_at > '2026-01-02T12Z'",
       [](const Record& r) { return r.reported_at && *r.reported_at > D1 + 43200; }},
      {"((name = 'alpha') AND ((members = 1) OR (members = 2))) AND (NOT ((name IS NULL)))",
       [](const Record& r) { return r.name == "alpha" && (r.members == 1 || r.members == 2); }},
      {"(name <> 'x') AND (NOT ((members > 3) OR (ratio < 1)))",
       [](const Record& r) {
         return r.name && *r.name != "x" && r.members && *r.members <= 3 && r.ratio &&
                *r.ratio >= 1;
       }},
      {"(my field IS NULL)", [](const Record& r) { return !r.my_field; }},
      {"my field = 'x'", [](const Record& r) { return r.my_field == "x"; }},
      {"(my field = 'y') AND (extra:floor > 2)",
       [](const Record& r) { return r.my_field == "y" && r.floor && *r.floor > 2; }},
  };
  c.insert(c.end(), gdal.begin(), gdal.end());
  return c;
}

// Whether a record's geometry meets a box: the index hint's promise.
bool meets(const Record& r, const spatial::Box& b) {
  const double minx = b.min_corner().x(), miny = b.min_corner().y();
  const double maxx = b.max_corner().x(), maxy = b.max_corner().y();
  if (r.location && in_closed(r.location, minx, miny, maxx, maxy)) return true;
  const Rect* z = zone_of(r);
  return z && meets(*z, {minx, miny, maxx, maxy});
}

}  // namespace

TEST_F(Cql2Test, MatchesTheBruteForceOracle) {
  std::size_t informative = 0;
  const std::vector<Case> all = cases();
  for (const Case& c : all) {
    SCOPED_TRACE(c.filter);
    std::optional<Filter> f;
    try {
      f = Filter::parse(c.filter, kQueryables);
    } catch (const InvalidArgument& e) {
      ADD_FAILURE() << e.what();
      continue;
    }
    std::size_t by_filter = 0, by_oracle = 0;
    const std::optional<spatial::Box> hint = f->bbox_hint();
    for (std::size_t i = 0; i < records_.size(); ++i) {
      const Record& r = records_[i];
      const bool got = matches(*f, r);
      const bool want = c.oracle(r);
      by_filter += got;
      by_oracle += want;
      EXPECT_EQ(got, want) << "record " << i;
      if (got && hint) {
        EXPECT_TRUE(meets(r, *hint)) << "record " << i << " is outside the index hint";
      }
    }
    EXPECT_EQ(by_filter, by_oracle);
    if (by_oracle > 0 && by_oracle < records_.size()) ++informative;
  }
  // Nearly every case must split the records, or the comparison above would prove little.
  EXPECT_GE(informative, all.size() * 9 / 10) << informative << " of " << all.size();
}

TEST_F(Cql2Test, OverloadsAgree) {
  Filter f = Filter::parse(
      "members > 3 AND S_INTERSECTS(location, BBOX(120, 30, 121, 31)) OR name IS NULL",
      kQueryables);
  ASSERT_EQ(f.properties(), (std::vector<std::size_t>{1, 5, 0}));
  // NOLINTNEXTLINE(performance-unnecessary-copy-initialization): the copy is what is tested
  const Filter copy = f;  // copies share the parsed program
  for (const Record& r : records_) {
    const std::function<Value(std::size_t)> get = [&](std::size_t i) { return value_of(r, i); };
    std::vector<Value> values;
    for (std::size_t i : f.properties()) values.push_back(value_of(r, i));
    const bool expected = matches(f, r);
    EXPECT_EQ(f.matches(get), expected);
    EXPECT_EQ(copy.matches(get), expected);
    EXPECT_EQ(f.matches_values(values), expected);
  }
  EXPECT_THROW(f.matches_values({}), InvalidArgument);
}

TEST_F(Cql2Test, ValuesOfAnotherKindCountAsNull) {
  // A getter that hands a number for the string queryable: that value is treated as null.
  auto get = [](std::size_t i) { return i == 0 ? Value(42.0) : Value(); };
  EXPECT_TRUE(Filter::parse("name IS NULL", kQueryables).matches(get));
  EXPECT_FALSE(Filter::parse("name = 'a'", kQueryables).matches(get));
  EXPECT_FALSE(Filter::parse("NOT (name = 'a')", kQueryables).matches(get));
  EXPECT_FALSE(Filter::parse("name NOT LIKE 'a%'", kQueryables).matches(get));
  EXPECT_FALSE(Filter::parse("name NOT IN ('a')", kQueryables).matches(get));
  EXPECT_TRUE(Filter::parse("name = 'a' OR TRUE", kQueryables).matches(get));
  const MultiPolygon* none = nullptr;
  auto no_zone = [&](std::size_t) { return Value(none); };
  EXPECT_TRUE(Filter::parse("zone IS NULL", kQueryables).matches(no_zone));
  EXPECT_FALSE(Filter::parse("S_DISJOINT(zone, POINT(0 0))", kQueryables).matches(no_zone));
}

TEST_F(Cql2Test, BboxHint) {
  auto hint = [](const std::string& text) { return Filter::parse(text, kQueryables).bbox_hint(); };
  auto box_is = [](const std::optional<spatial::Box>& b, double minx, double miny, double maxx,
                   double maxy) {
    return b && b->min_corner().x() == minx && b->min_corner().y() == miny &&
           b->max_corner().x() == maxx && b->max_corner().y() == maxy;
  };
  EXPECT_TRUE(box_is(hint("S_INTERSECTS(location, BBOX(120, 30, 121, 31))"), 120, 30, 121, 31));
  EXPECT_TRUE(box_is(hint("members > 1 AND S_WITHIN(location, POLYGON((1 1, 3 1, 2 4, 1 1)))"), 1,
                     1, 3, 4));
  EXPECT_TRUE(box_is(hint("S_CONTAINS(POINT(5 6), location) AND name = 'a'"), 5, 6, 5, 6));
  // GDAL-style nesting: parenthesised conjunctions are one conjunction; the smallest box wins.
  EXPECT_TRUE(box_is(hint("(members > 1) AND ((S_WITHIN(location, BBOX(0, 0, 10, 10))) AND "
                          "(S_INTERSECTS(location, BBOX(1, 1, 2, 2))))"),
                     1, 1, 2, 2));
  EXPECT_FALSE(hint("members > 1").has_value());
  EXPECT_FALSE(hint("S_INTERSECTS(location, BBOX(0, 0, 1, 1)) OR members > 1").has_value());
  EXPECT_FALSE(hint("NOT S_INTERSECTS(location, BBOX(0, 0, 1, 1))").has_value());
  EXPECT_FALSE(hint("S_DISJOINT(location, BBOX(0, 0, 1, 1))").has_value());
  EXPECT_FALSE(
      hint("S_INTERSECTS(location, BBOX(0, 0, 1, 1)) AND S_INTERSECTS(zone, BBOX(0, 0, 1, 1))")
          .has_value());
  // Every spatial function but S_DISJOINT needs the geometries to meet.
  for (const char* op : {"S_EQUALS", "S_TOUCHES", "S_OVERLAPS", "S_CROSSES"})
    EXPECT_TRUE(
        box_is(hint(std::string(op) + "(zone, BBOX(120, 30, 121, 31.5))"), 120, 30, 121, 31.5))
        << op;
}

TEST_F(Cql2Test, FuzzedInputIsRejectedOrEvaluatedNeverACrash) {
  std::vector<std::string> seeds;
  for (const Case& c : cases()) seeds.push_back(c.filter);
  const std::vector<std::string> pieces = {
      "(",          ")",         "'",         "\"",       ",",         " AND ",       " OR ",
      "NOT ",       "=",         "<",         ">=",       "<>",        "%",           "_",
      "\\",         "1e",        "-",         ".",        "POINT(",    "BBOX(",       "TIMESTAMP(",
      "INTERVAL(",  "DATE(",     "\xff",      "\xe7\xbd", " ",         "''",          "name",
      "members",    "S_WITHIN(", "T_DURING(", "..",       "9e999",     "LIKE",        " IN (",
      "BETWEEN",    "IS",        "NULL",      "0",        "POLYGON((", "MULTIPOINT(", "location",
      "reported_at"};
  std::mt19937 rng(7);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  std::vector<std::string> inputs;
  for (const std::string& s : seeds)  // every truncation of the GDAL shapes and a few others
    for (std::size_t n = 0; n < s.size(); n += 1 + pick(4)) inputs.push_back(s.substr(0, n));
  for (int i = 0; i < 600; ++i) {
    std::string s = seeds[pick(seeds.size())];
    for (int edits = 1 + static_cast<int>(pick(4)); edits > 0; --edits) {
      const std::size_t at = s.empty() ? 0 : pick(s.size() + 1);
      switch (pick(3)) {
        case 0:
          s.insert(at, pieces[pick(pieces.size())]);
          break;
        case 1:
          s.erase(at, pick(6));
          break;
        default:
          s = s.substr(0, at) + s.substr(pick(s.size() + 1));
          break;
      }
    }
    inputs.push_back(s);
  }
  for (int i = 0; i < 200; ++i) {
    std::string s(pick(40), ' ');
    for (char& ch : s) ch = static_cast<char>(rng());
    inputs.push_back(s);
  }
  std::size_t parsed = 0, rejected = 0;
  for (const std::string& s : inputs) {
    try {
      const Filter f = Filter::parse(s, kQueryables);
      ++parsed;
      for (std::size_t i = 0; i < records_.size(); i += 10) matches(f, records_[i]);
    } catch (const InvalidArgument& e) {
      ++rejected;
      EXPECT_EQ(e.parameter(), "filter");
      EXPECT_NE(e.detail().find("position "), std::string::npos) << e.detail();
    }
  }
  EXPECT_GT(parsed, 50u);
  EXPECT_GT(rejected, 500u);
}
