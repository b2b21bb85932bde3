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
       "type error at position 10: geometries are compared with S_INTERSECTS, S_WITHIN, S_CONTAINS "
       "or S_DISJOINT"},
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
      {"S_WITHIN(location, POINT(1 2 3))",
       "syntax error at position 30: expected ',' or ')' in the point"},
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
       "type error at position 13: intervals are compared with T_INTERSECTS, T_DURING, T_BEFORE or "
       "T_AFTER"},
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
  // An invalid polygon names the reason Boost.Geometry gives.
  try {
    Filter::parse("S_WITHIN(location, POLYGON((0 0, 2 2, 2 0, 0 2, 0 0)))", kQueryables);
    ADD_FAILURE() << "parsed a self-intersecting polygon";
  } catch (const InvalidArgument& e) {
    EXPECT_TRUE(e.detail().starts_with("invalid geometry at position 20: ")) << e.detail();
  }
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
