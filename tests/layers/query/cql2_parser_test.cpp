// CQL2 text read into a filter (the lexer, the parser and its geometry literals): the errors
// with their positions, the type checks, the limits on terms, vertices and nesting, and which
// properties a filter reads.
#include "tests/layers/query/cql2_records.hpp"

#include "core/errors.hpp"
#include "layers/model/text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace onemap;
using namespace onemap::layers;
using namespace onemap::layers::cql2::test;
using cql2::Filter;

TEST_F(Cql2Test, PropertiesInOrderOfFirstUse) {
  EXPECT_EQ(Filter::parse("on_duty AND name = 'a' AND (members > 1 OR name IS NULL)", kQueryables)
                .properties(),
            (std::vector<std::size_t>{3, 0, 1}));
  EXPECT_TRUE(Filter::parse("TRUE", kQueryables).properties().empty());
}

TEST_F(Cql2Test, ErrorsGiveThePosition) {
  struct Bad {
    std::string filter;
    std::string detail;  ///< the exact message without "filter: "
  };
  const std::vector<Bad> bad = {
      {"colour = 'red'",
       "unknown property 'colour' at position 1 (queryables: name, members, ratio, on_duty, "
       "reported_at, "
       "location, zone, category, my field, extra:floor)"},
      {"Name = 'a'",
       "unknown property 'Name' at position 1 (queryables: name, members, ratio, on_duty, "
       "reported_at, location, zone, category, my field, extra:floor)"},
      {"name = '网格' AND colour = 1",
       "unknown property 'colour' at position 17 (queryables: name, members, "
       "ratio, on_duty, reported_at, location, zone, category, my field, extra:floor)"},
      {"members LIKE 'a'",
       "type error at position 1: LIKE needs a string, not number property 'members'"},
      {"name IN ('a', 'b'", "syntax error at position 18: expected ')' after the IN list"},
      {"name IN ('a' 'b')", "syntax error at position 14: expected ')' after the IN list"},
      {"name = 'a' AND",
       "syntax error at position 15: expected a property name or a literal, found the end of the "
       "filter"},
      {"name = 'abc", "syntax error at position 8: unterminated string"},
      {"\"name = 1", "syntax error at position 1: unterminated quoted property name"},
      {"members > 'x'",
       "type error at position 9: cannot compare number property 'members' with a string"},
      {"name = 3", "type error at position 6: cannot compare string property 'name' with a number"},
      {"on_duty < TRUE", "type error at position 9: booleans compare only with = and <>"},
      {"location = POINT(1 2)",
       "type error at position 10: geometries are compared with the spatial functions "
       "(S_INTERSECTS, …)"},
      {"S_INTERSECTS(name, POINT(1 2))",
       "type error at position 14: S_INTERSECTS needs geometries, not string property 'name'"},
      {"S_INTERSECTS(location, zone)",
       "type error at position 1: S_INTERSECTS needs one geometry property and one geometry "
       "literal"},
      {"reported_at = 'yesterday'",
       "type error at position 15: 'yesterday' is not a timestamp (compared with timestamp "
       "property 'reported_at')"},
      {"CASEI(name) = 'a'", "syntax error at position 1: unsupported function 'CASEI'"},
      {"members + 1 > 2", "syntax error at position 9: unexpected character '+'"},
      {"(members = 1", "syntax error at position 13: expected ')' to close the '(' at position 1"},
      {"members = 1)", "syntax error at position 12: expected AND, OR or the end of the filter"},
      {"members = 1 # x", "syntax error at position 13: unexpected character '#'"},
      {"", "syntax error at position 1: empty filter"},
      {"   ", "syntax error at position 4: empty filter"},
      {"name LIKE 'a\\'",
       "syntax error at position 11: pattern ends with the escape character '\\'"},
      {"name LIKE members", "syntax error at position 11: expected a quoted pattern after LIKE"},
      {"name NOT = 'a'",
       "syntax error at position 10: expected LIKE, ILIKE, IN or BETWEEN after NOT"},
      {"name IS 'a'", "syntax error at position 9: expected NULL after IS"},
      {"members BETWEEN 1 OR 2",
       "syntax error at position 19: expected AND between the bounds of BETWEEN"},
      {"name IN (name)", "syntax error at position 10: an IN list holds literals, not properties"},
      {"members = 1e999", "syntax error at position 11: number out of range"},
      {"name = AND",
       "syntax error at position 8: expected a property name or a literal, found AND"},
      {"members",
       "syntax error at position 8: expected a comparison operator, LIKE, IN, BETWEEN or IS NULL "
       "after number property 'members'"},
      {"S_WITHIN(location, POLYGON((0 0, 1 0, 1 1)))",
       "syntax error at position 28: a polygon ring needs at least 4 points"},
      {"S_WITHIN(location, POLYGON((0 0, 1 0, 1 1, 0 1)))",
       "syntax error at position 28: polygon ring is not closed (its first and last points "
       "differ)"},
      {"S_WITHIN(location, POINT(1 2 3 4))",
       "syntax error at position 32: expected ',' or ')' in the point"},
      {"S_WITHIN(location, BBOX(1, 1, 0, 0))",
       "syntax error at position 20: BBOX needs minx < maxx and miny < maxy"},
      {"S_WITHIN(location, CIRCLE(1, 1))",
       "syntax error at position 20: unsupported function 'CIRCLE'"},
      {"reported_at = DATE('2026-13-01')",
       "syntax error at position 20: invalid date '2026-13-01' (expected YYYY-MM-DD)"},
      {"T_DURING(reported_at, INTERVAL('2026-01-02', '2026-01-01'))",
       "syntax error at position 46: INTERVAL ends before it starts"},
      {"T_BEFORE(reported_at, '2026-01-01')",
       "type error at position 23: T_BEFORE needs timestamps or intervals (a timestamp property, "
       "TIMESTAMP('…'), "
       "DATE('…') or INTERVAL('…','…')), not a string"},
      {"reported_at = INTERVAL('..', '..')",
       "type error at position 13: intervals are compared with the temporal functions "
       "(T_INTERSECTS, …)"},
      // Every function checks its arguments' types.
      {"T_MEETS(reported_at, 'x')",
       "type error at position 22: T_MEETS needs timestamps or intervals (a timestamp property, "
       "TIMESTAMP('…'), DATE('…') or INTERVAL('…','…')), not a string"},
      {"T_OVERLAPPEDBY(members, INTERVAL('..', '..'))",
       "type error at position 16: T_OVERLAPPEDBY needs timestamps or intervals (a timestamp "
       "property, TIMESTAMP('…'), DATE('…') or INTERVAL('…','…')), not number property 'members'"},
      {"S_CROSSES(location, 3)",
       "type error at position 21: S_CROSSES needs geometries, not a number"},
      {"S_TOUCHES(POINT(1 2), BBOX(0, 0, 1, 1))",
       "type error at position 1: S_TOUCHES needs one geometry property and one geometry literal"},
      {"S_EQUALS(location, '1 2')",
       "type error at position 20: S_EQUALS needs geometries, not a string"},
      {"T_STARTS(INTERVAL(name, reported_at), reported_at)",
       "type error at position 19: INTERVAL takes dates, timestamps, '..' or timestamp "
       "properties, not string property 'name'"},
      {"T_STARTS(INTERVAL(reported_at, 3), reported_at)",
       "syntax error at position 32: expected a date, a timestamp, '..' or a timestamp property "
       "in INTERVAL"},
      {"T_STARTS(INTERVAL(reported_at, POINT(1 2)), reported_at)",
       "syntax error at position 32: expected a date, a timestamp, '..' or a timestamp property "
       "in INTERVAL"},
      {"T_STARTS(INTERVAL(reported_at), reported_at)",
       "syntax error at position 30: expected ',' between the ends of INTERVAL"},
      {"S_OVERLAPS(location, GEOMETRYCOLLECTION(BBOX(0, 0, 1, 1)))",
       "syntax error at position 41: a GEOMETRYCOLLECTION holds POINT, LINESTRING, POLYGON, "
       "MULTIPOINT, MULTILINESTRING or MULTIPOLYGON"},
      {"S_OVERLAPS(location, GEOMETRYCOLLECTION(GEOMETRYCOLLECTION(POINT(0 0))))",
       "syntax error at position 41: a GEOMETRYCOLLECTION holds POINT, LINESTRING, POLYGON, "
       "MULTIPOINT, MULTILINESTRING or MULTIPOLYGON"},
      {"S_OVERLAPS(location, GEOMETRYCOLLECTION())",
       "syntax error at position 41: a GEOMETRYCOLLECTION holds POINT, LINESTRING, POLYGON, "
       "MULTIPOINT, MULTILINESTRING or MULTIPOLYGON"},
      {"S_TOUCHES(location, POINT Z (1 2)",
       "syntax error at position 34: expected ')' after the arguments of S_TOUCHES"},
      {"name = S_INTERSECTS(location, POINT(0 0))",
       "syntax error at position 8: S_INTERSECTS is a predicate, not a value"},
  };
  for (const Bad& b : bad) {
    SCOPED_TRACE(b.filter);
    try {
      Filter::parse(b.filter, kQueryables);
      ADD_FAILURE() << "parsed";
    } catch (const InvalidArgument& e) {
      EXPECT_EQ(e.parameter(), "filter");
      EXPECT_EQ(e.detail(), b.detail);
    }
  }
  // An invalid polygon or line names the reason Boost.Geometry gives, at the member of a
  // GEOMETRYCOLLECTION that is invalid.
  for (const auto& [text, at] : std::vector<std::pair<std::string, int>>{
           {"S_WITHIN(location, POLYGON((0 0, 2 2, 2 0, 0 2, 0 0)))", 20},
           {"S_TOUCHES(location, LINESTRING(1 1, 1 1))", 21},
           {"S_TOUCHES(location, MULTILINESTRING((0 0, 1 1), (1 1, 1 1)))", 49},
           {"S_CROSSES(location, GEOMETRYCOLLECTION(POINT(0 0), POLYGON((0 0, 2 2, 2 0, 0 2, 0 "
            "0))))",
            52},
           {"S_EQUALS(location, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 1, 0 0)), ((1 0, 2 0, 2 1, 1 1, "
            "1 0))))",
            20}}) {
    try {
      Filter::parse(text, kQueryables);
      ADD_FAILURE() << "parsed " << text;
    } catch (const InvalidArgument& e) {
      EXPECT_TRUE(
          e.detail().starts_with("invalid geometry at position " + std::to_string(at) + ": "))
          << e.detail();
    }
  }
}

TEST_F(Cql2Test, EveryFunctionOfCql2Parses) {
  // The spelling of every spatial and temporal function, any case, every literal.
  const std::string collection =
      "GEOMETRYCOLLECTION(POINT(120 30), LINESTRING Z (120 30 1, 121 31 1), POLYGON((120 30, 121 "
      "30, 121 31, 120 30)))";
  const std::vector<std::string> geometries = {
      "POINT(120 30)",
      "POINT Z (120 30 5)",
      "point z(120 30 5)",
      "LINESTRING(120 30, 121 31)",
      "POLYGON((120 30, 121 30, 121 31, 120 30))",
      "MULTIPOINT((120 30), (121 31))",
      "MULTILINESTRING((120 30, 121 31), (121 30, 120 31))",
      "MULTIPOLYGON(((120 30, 121 30, 121 31, 120 30)))",
      "BBOX(120, 30, 121, 31)",
      collection};
  for (const char* op : {"S_INTERSECTS", "S_EQUALS", "S_DISJOINT", "S_TOUCHES", "S_WITHIN",
                         "S_OVERLAPS", "S_CROSSES", "s_contains"})
    for (const std::string& g : geometries) {
      EXPECT_NO_THROW(Filter::parse(std::string(op) + "(location, " + g + ")", kQueryables))
          << op << " " << g;
      EXPECT_NO_THROW(Filter::parse(std::string(op) + "(" + g + ", zone)", kQueryables))
          << op << " " << g;
    }
  for (const char* op : {"T_AFTER", "T_BEFORE", "T_CONTAINS", "T_DISJOINT", "T_DURING", "T_EQUALS",
                         "T_FINISHEDBY", "T_FINISHES", "T_INTERSECTS", "T_MEETS", "T_METBY",
                         "T_OVERLAPPEDBY", "T_OVERLAPS", "T_STARTEDBY", "t_starts"})
    for (const char* t :
         {"reported_at", "TIMESTAMP('2026-01-01T00:00:00Z')", "DATE('2026-01-01')",
          "INTERVAL('2026-01-01', '..')", "INTERVAL(reported_at, '..')",
          "INTERVAL(DATE('2026-01-01'), reported_at)", "INTERVAL(reported_at, reported_at)"}) {
      EXPECT_NO_THROW(
          Filter::parse(std::string(op) + "(" + t + ", DATE('2026-01-02'))", kQueryables))
          << op << " " << t;
      EXPECT_NO_THROW(
          Filter::parse(std::string(op) + "(DATE('2026-01-02'), " + t + ")", kQueryables))
          << op << " " << t;
    }
  // The properties an INTERVAL reads are the filter's.
  EXPECT_EQ(Filter::parse("T_DURING(INTERVAL(reported_at, '..'), INTERVAL('..', '..')) AND members "
                          "> 1",
                          kQueryables)
                .properties(),
            (std::vector<std::size_t>{4, 1}));
}

TEST_F(Cql2Test, CoordinatesOutsideLonLatAreAnError) {
  // Far outside CRS84, the validity check used to throw from Boost's rescaling (a 500).
  for (const char* text :
       {"S_DISJOINT(zone, MULTIPOLYGON(((120 30, 120.5 30, 120.5 30.5, 120 30)), ((121 31, 521.5 "
        "3131, "
        "111111111111111111111111121.5 31.6, 121 31))))",
        "S_INTERSECTS(location, POINT(181 30))", "S_INTERSECTS(location, BBOX(0, 0, 10, 90.5))",
        "S_WITHIN(location, LINESTRING(0 0, 1 -91))"}) {
    try {
      Filter::parse(text, kQueryables);
      ADD_FAILURE() << "parsed " << text;
    } catch (const InvalidArgument& e) {
      EXPECT_TRUE(e.detail().starts_with("invalid geometry at position ")) << e.detail();
    }
  }
  EXPECT_NO_THROW(Filter::parse("S_INTERSECTS(location, BBOX(-180, -90, 180, 90))", kQueryables));
}

TEST_F(Cql2Test, DeepNestingIsAnErrorNotACrash) {
  const std::string deep = std::string(100000, '(') + "members = 1" + std::string(100000, ')');
  EXPECT_THROW(Filter::parse(deep, kQueryables), InvalidArgument);
  std::string nots;
  for (int i = 0; i < 100000; ++i) nots += "NOT ";
  EXPECT_THROW(Filter::parse(nots + "members = 1", kQueryables), InvalidArgument);
  // GDAL nests one level per AND: a few hundred terms are fine.
  std::string chain = "members = 0";
  for (int i = 1; i < 300; ++i) chain = "(" + chain + ") OR (members = " + std::to_string(i) + ")";
  const Filter f = Filter::parse(chain, kQueryables);
  for (const Record& r : records_) EXPECT_EQ(matches(f, r), r.members.has_value());
}

TEST_F(Cql2Test, FiltersHoldAtMostTheConfiguredTermsAndVertices) {
  auto parameter = [&](const std::string& text) -> std::string {
    try {
      Filter::parse(text, kQueryables);
    } catch (const InvalidArgument& e) {
      EXPECT_NE(e.detail().find("at most"), std::string::npos) << e.detail();
      EXPECT_STREQ(e.code(), "query_too_expensive");  // its cost is known before any evaluation
      return e.parameter();
    }
    return "(none)";
  };
  // 500 comparisons are 1,000 terms (a property and a value each): the default limit.
  std::string ors = "members = 0";
  for (int i = 1; i < 500; ++i) ors += " OR members = " + std::to_string(i);
  EXPECT_EQ(parameter(ors), "(none)");
  EXPECT_EQ(parameter(ors + " OR members = 500"), "filter");
  std::string in = "members IN (0";
  for (int i = 1; i < 5000; ++i) in += ", " + std::to_string(i);
  EXPECT_EQ(parameter(in + ")"), "filter");
  // A geometry literal of more vertices than the limit; the limits are configuration.
  const InputLimits saved = input_limits();
  InputLimits small = saved;
  small.geometry_vertices = 10;
  small.filter_terms = 4;
  set_input_limits(small);
  EXPECT_EQ(parameter("S_INTERSECTS(location, LINESTRING(120 30, 121 30))"), "(none)");
  std::string line = "S_INTERSECTS(location, LINESTRING(120 30";
  for (int i = 1; i <= 10; ++i) line += ", 120." + std::to_string(i) + " 30";
  EXPECT_EQ(parameter(line + "))"), "filter");
  EXPECT_EQ(parameter("members = 1 OR members = 2 OR members = 3"), "filter");
  set_input_limits(saved);
}
