// The server's route table in process (tests/support/api_harness.hpp): /health and /layers
// against the store read independently (the oracle), and the router's JSON errors: an unknown
// path, a method the path does not take, an unknown query parameter. The same server over TCP,
// its lifecycle and arguments: serve_test.cpp.
#include "tests/support/api_harness.hpp"
#include "tests/support/expect_error.hpp"

#include "layers/model/model.hpp"
#include "layers/model/schema.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace {

using nlohmann::json;
using onemap::layers::Dataset;
using onemap::layers::LayerKind;
using namespace onemap::testing;

/// [minx, miny, maxx, maxy] computed here from the loaded records (the oracle for /layers).
std::vector<double> oracle_extent(const Dataset& d, LayerKind k) {
  double b[4] = {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity(),
                 -std::numeric_limits<double>::infinity(),
                 -std::numeric_limits<double>::infinity()};
  auto add = [&](double x, double y) {
    b[0] = std::min(b[0], x);
    b[1] = std::min(b[1], y);
    b[2] = std::max(b[2], x);
    b[3] = std::max(b[3], y);
  };
  auto add_points = [&](LayerKind layer, const auto& records) {
    if (layer == k)
      for (const auto& r : records) add(r.location.lon, r.location.lat);
  };
  if (k == LayerKind::Grids)
    for (const auto& g : d.grids)
      for (const auto& poly : g.geometry)
        for (const auto& p : poly.outer()) add(p.x(), p.y());
  add_points(LayerKind::Households, d.households);
  add_points(LayerKind::Enterprises, d.enterprises);
  add_points(LayerKind::Incidents, d.incidents);
  add_points(LayerKind::Workers, d.workers);
  return {b[0], b[1], b[2], b[3]};
}

class ServerTest : public SharedApi<ServerTest> {};

TEST_F(ServerTest, HealthReportsTheCountsOfTheStore) {
  const HttpResponse r = api().get("/health");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  const json h = r.json();
  EXPECT_EQ(h["status"], "ok");
  EXPECT_EQ(h["version"], ONEMAP_EXPECTED_VERSION);
  EXPECT_EQ(h["data"], api().store_path());
  for (auto k : onemap::layers::kAllLayers)
    EXPECT_EQ(h["layers"][std::string(onemap::layers::layer_name(k))], oracle().count(k))
        << onemap::layers::layer_name(k);
  std::map<std::string, std::size_t> per_level;
  for (const auto& g : oracle().grids)
    ++per_level[std::string(onemap::layers::level_name(g.level))];
  for (const char* level : {"county", "town", "village", "grid", "microgrid"})
    EXPECT_EQ(h["grids_by_level"][level], per_level[level]) << level;
  EXPECT_EQ(per_level["grid"], 8u);  // the fixture itself: 8 grids written, 8 read back
  EXPECT_GE(h["load_seconds"].get<double>(), 0.0);
  EXPECT_LT(h["load_seconds"].get<double>(), 60.0);
}

TEST_F(ServerTest, LayersDescribeEveryLayerWithoutPersonalFields) {
  const HttpResponse r = api().get("/layers");
  ASSERT_EQ(r.status, 200) << r.body;
  const json layers = r.json();
  ASSERT_TRUE(layers.is_array());
  ASSERT_EQ(layers.size(), std::size(onemap::layers::kAllLayers));
  std::size_t i = 0;
  for (auto k : onemap::layers::kAllLayers) {
    const json& l = layers[i++];
    const std::string name(onemap::layers::layer_name(k));
    SCOPED_TRACE(name);
    EXPECT_EQ(l["name"], name);
    EXPECT_EQ(l["geometry_type"], k == LayerKind::Grids ? "MultiPolygon" : "Point");
    EXPECT_EQ(l["count"], oracle().count(k));
    EXPECT_EQ(l["crs"], "EPSG:4490");
    const auto expected = oracle_extent(oracle(), k);
    ASSERT_TRUE(l["extent"].is_array()) << l.dump();
    ASSERT_EQ(l["extent"].size(), 4u);
    for (int c = 0; c < 4; ++c) EXPECT_NEAR(l["extent"][c].get<double>(), expected[c], 1e-12) << c;
    std::vector<std::string> listed, expected_fields;
    for (const auto& f : l["fields"]) {
      listed.push_back(f["name"]);
      EXPECT_TRUE(f.contains("type"));
      EXPECT_FALSE(f.contains("personal"));
    }
    for (const auto& f : onemap::layers::layer_fields(k))
      if (!f.personal) expected_fields.push_back(f.name);
    EXPECT_EQ(listed, expected_fields);
  }
  // The personal attributes the fixture filled in are nowhere in the public description.
  for (const char* personal : {"head_name", "phone", "id_number"})
    EXPECT_EQ(r.body.find(personal), std::string::npos) << personal;
  // The grids' extent is the fixture's own rectangle: an oracle independent of the store.
  const auto& g = layers[0]["extent"];
  EXPECT_NEAR(g[0].get<double>(), 120.0, 1e-9);
  EXPECT_NEAR(g[1].get<double>(), 30.0, 1e-9);
  EXPECT_NEAR(g[2].get<double>(), 120.4, 1e-9);
  EXPECT_NEAR(g[3].get<double>(), 30.2, 1e-9);
}

TEST_F(ServerTest, UnknownPathIs404Json) {
  const HttpResponse r = api().get("/no/such/thing");
  expect_error(r, 404, "not_found");
  EXPECT_NE(r.body.find("/no/such/thing"), std::string::npos);
}

TEST_F(ServerTest, WrongMethodIs405WithAllowHeader) {
  for (const char* method : {"POST", "DELETE", "PUT"}) {
    const HttpResponse r = api().send(method, "/health", "", "", "");
    SCOPED_TRACE(method);
    expect_error(r, 405, "method_not_allowed");
    EXPECT_EQ(r.header("Allow"), "GET, HEAD");
  }
}

TEST_F(ServerTest, UnknownQueryParameterIs400NamingIt) {
  expect_error(api().get("/layers?colour=red"), 400, "invalid_parameter", "colour");
}

}  // namespace
