// The request body readers in process (api/records.hpp, api/features.hpp): inputs the fuzz
// targets found (fuzz/crashes/) are 400s naming the field, not crashes.
#include "api/features.hpp"
#include "api/records.hpp"
#include "core/errors.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace onemap;

namespace {

std::string parameter_of(void (*read)(const std::string&), const std::string& body) {
  try {
    read(body);
  } catch (const InvalidArgument& e) {
    return e.parameter();
  }
  return "(accepted)";
}

void grid(const std::string& body) {
  (void)api::read_grid_body(body);
}
void polygon(const std::string& body) {
  (void)api::read_polygon_body(body);
}
void report(const std::string& body) {
  (void)api::read_incident_report(body);
}

}  // namespace

TEST(BodyReaders, ShortPositionsAreRefusedBeforeGeosReadsThem) {
  // GEOS 3.11's GeoJSON reader reads a position of fewer than two numbers past its end.
  for (const char* coordinates :
       {R"([[[[12,30],[120.5,30],[]]]])", R"([[[[12,30],[120.5,30],[1]]]])",
        R"([[[[12,30],[120.5,30],[1,"2"]]]])", R"([[[[]]]])",
        R"([[[[0,0],[1,0],[1,1],[0,0]], 3]])"}) {
    const std::string geometry =
        std::string(R"({"type":"MultiPolygon","coordinates":)") + coordinates + "}";
    EXPECT_EQ(parameter_of(grid, R"({"geometry":)" + geometry + "}"), "geometry") << coordinates;
    EXPECT_EQ(parameter_of(polygon, geometry), "body") << coordinates;
  }
  EXPECT_EQ(
      parameter_of(polygon, R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]],[[]]]})"),
      "body");
  EXPECT_EQ(
      parameter_of(
          polygon,
          R"({"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[]]]}})"),
      "body");
  // Well-formed outlines still read.
  EXPECT_EQ(
      parameter_of(polygon, R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]})"),
      "(accepted)");
  EXPECT_EQ(
      parameter_of(
          grid,
          R"({"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}})"),
      "(accepted)");
}

// A report must name its category: an empty one is a 400 naming it (found by record_body).
TEST(BodyReaders, AReportWithAnEmptyCategoryIsRefused) {
  EXPECT_EQ(parameter_of(report, R"({"lon":119.97,"lat":30.54,"category":"","description":"x"})"),
            "category");
  EXPECT_EQ(parameter_of(report, R"({"lon":119.97,"lat":30.54,"description":"x"})"), "category");
  EXPECT_EQ(
      parameter_of(report, R"({"lon":119.97,"lat":30.54,"category":"0101","description":"x"})"),
      "(accepted)");
}

// A "type" that is no string is no GeoJSON type: a 400 naming the body, not a JSON library
// exception (a 500) (found by geojson_body).
TEST(BodyReaders, APolygonBodyWhoseTypeIsNoStringIsRefused) {
  EXPECT_EQ(parameter_of(polygon, R"({"type":[[[0,0],[2,2],[2,0],[0,0]]]})"), "body");
  EXPECT_EQ(parameter_of(polygon, R"({"type":"Feature","geometry":{"type":7}})"), "body");
  EXPECT_EQ(
      parameter_of(polygon, R"({"type":"Polygon","coordinates":[[[0,0],[2,2],[2,0],[0,0]]]})"),
      "(accepted)");
}
