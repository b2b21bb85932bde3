// The items query within a POSTed polygon (api/features.hpp), in process: the households it
// finds and the grids it meets against brute force with Boost.Geometry (covered_by of every
// household, intersects of every grid) on random star-shaped polygons with a hole, from 5 to
// 10,000 vertices, over 40,000 households and a lattice of 1,600 micro-grids. The time of a
// 10,000-vertex query is printed beside the brute force's (a benchmark, not an assertion).
#include "api/features.hpp"

#include "core/errors.hpp"
#include "http/deadline.hpp"
#include "layers/store/store.hpp"
#include "tests/support/county.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <random>

using json = nlohmann::json;
using namespace onemap;

namespace {

constexpr double kPi = 3.14159265358979323846;

class FeaturesPolygon : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new onemap::testing::TempDir();
    layers::Dataset d = onemap::testing::small_county();
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> lon(119.99, 120.41), lat(29.99, 30.21);
    for (int i = 0; i < 40000; ++i) {
      layers::Household h;
      h.id = "P" + std::to_string(i);
      h.members = 1;
      // Some on the micro-grid lattice, so on the polygons' axis-aligned edges below.
      h.location = i % 10 == 0
                       ? layers::LonLat{120.0 + 0.01 * (i / 10 % 41), 30.0 + 0.005 * (i / 410 % 41)}
                       : layers::LonLat{lon(rng), lat(rng)};
      d.households.push_back(h);
    }
    for (int i = 0; i < 40; ++i)
      for (int j = 0; j < 40; ++j) {
        layers::Grid g;
        char code[32];
        std::snprintf(code, sizeof code, "330521001001001%03d", i * 40 + j);
        g.code = code;
        g.name = code;
        g.level = layers::GridLevel::MicroGrid;
        g.parent_code = "330521001001001";
        g.geometry = onemap::testing::rectangle(120.0 + 0.01 * i, 30.0 + 0.005 * j,
                                                120.01 + 0.01 * i, 30.005 + 0.005 * j);
        d.grids.push_back(g);
      }
    const std::string path = onemap::testing::write_store(dir_->path(), std::move(d));
    county_ = new std::shared_ptr<layers::County>(std::make_shared<layers::County>(
        layers::open_store(path, false), layers::JoinOptions{}, layers::TileConfig::defaults()));
    service_ = new api::FeatureService(*county_, api::FeatureServiceOptions{});
  }
  static void TearDownTestSuite() {
    delete service_;
    delete county_;
    delete dir_;
  }

  // fids of every match of a POST query on `collection` (paging through all of them).
  static std::vector<int64_t> post(const std::string& collection, const std::string& body) {
    std::vector<int64_t> out;
    for (std::size_t offset = 0;;) {
      const api::HttpAnswer a = service_->handle(
          "/collections/" + collection + "/items",
          {{"limit", "10000"}, {"offset", std::to_string(offset)}}, "http://test", "POST", body);
      EXPECT_EQ(a.status, 200) << a.body.substr(0, 300);
      const json j = json::parse(a.body);
      for (const auto& f : j["features"]) out.push_back(f["id"].get<int64_t>());
      offset += j["numberReturned"].get<std::size_t>();
      if (offset >= j["numberMatched"].get<std::size_t>() || j["numberReturned"] == 0) break;
    }
    return out;
  }

  static onemap::testing::TempDir* dir_;
  static std::shared_ptr<layers::County>* county_;
  static api::FeatureService* service_;
};
onemap::testing::TempDir* FeaturesPolygon::dir_ = nullptr;
std::shared_ptr<layers::County>* FeaturesPolygon::county_ = nullptr;
api::FeatureService* FeaturesPolygon::service_ = nullptr;

// A star around (cx, cy) with `n` vertices; every fourth vertex on the micro-grid lattice (so
// some edges run along grid edges and through lattice households).
spatial::Ring star(std::mt19937_64& rng, double cx, double cy, double r0, double r1, int n,
                   bool clockwise) {
  std::uniform_real_distribution<double> radius(r0, r1);
  spatial::Ring r;
  for (int k = 0; k < n; ++k) {
    const double a = 2 * kPi * k / n, d = radius(rng);
    double x = cx + d * std::cos(a), y = cy + d * std::sin(a);
    if (k % 4 == 0 && n < 1000) x = std::round(x * 100) / 100, y = std::round(y * 200) / 200;
    r.push_back(spatial::Point(x, y));
  }
  if (clockwise) std::reverse(r.begin(), r.end());
  r.push_back(r.front());
  return r;
}

// The fids only one side has, named.
void expect_same(const std::vector<int64_t>& got, const std::vector<int64_t>& want,
                 const char* what, int n) {
  std::vector<int64_t> extra, missing;
  std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(extra));
  std::set_difference(want.begin(), want.end(), got.begin(), got.end(),
                      std::back_inserter(missing));
  EXPECT_TRUE(extra.empty() && missing.empty())
      << what << ", " << n << " vertices: " << got.size() << " found, " << want.size()
      << " expected; " << extra.size() << " extra (first " << (extra.empty() ? 0 : extra[0])
      << "), " << missing.size() << " missing (first " << (missing.empty() ? 0 : missing[0]) << ")";
}

json ring_json(const spatial::Ring& r) {
  json out = json::array();
  for (const auto& p : r) out.push_back({p.x(), p.y()});
  return out;
}

}  // namespace

TEST_F(FeaturesPolygon, MatchesBruteForceOnRandomPolygons) {
  std::mt19937_64 rng(17);
  int tested = 0;
  for (int n : {5, 12, 100, 1000, 10000}) {
    for (int rep = 0; rep < 2; ++rep) {
      spatial::MultiPolygon mp;
      mp.resize(1);
      mp[0].outer() = star(rng, 120.2, 30.1, 0.06, 0.1, n, false);
      mp[0].inners().push_back(star(rng, 120.2, 30.1, 0.01, 0.03, std::max(4, n / 10), true));
      std::string reason;
      if (!spatial::bg::is_valid(mp, reason)) continue;  // a lattice-snapped vertex folded an edge
      ++tested;
      json body = {{"type", "Polygon"},
                   {"coordinates", {ring_json(mp[0].outer()), ring_json(mp[0].inners()[0])}}};
      const std::string text = body.dump();
      std::vector<int64_t> want_h, want_g;
      {
        // The query's candidates are those in the polygon's bounding box (Boost's tolerance
        // alone would count a grid 2 ulps below it as touching).
        const spatial::Box box = spatial::envelope(mp);
        auto lock = (*county_)->read();
        for (const auto& h : (*county_)->data().households) {
          const spatial::Point pt(h.location.lon, h.location.lat);
          if (spatial::bg::covered_by(pt, box) && spatial::bg::covered_by(pt, mp))
            want_h.push_back(h.fid);
        }
        for (const auto& g : (*county_)->data().grids)
          if (spatial::bg::intersects(box, spatial::envelope(g.geometry)) &&
              spatial::bg::intersects(mp, g.geometry))
            want_g.push_back(g.fid);
      }
      std::sort(want_g.begin(), want_g.end());
      expect_same(post("households", text), want_h, "households", n);
      expect_same(post("grids", text), want_g, "grids", n);
      EXPECT_GT(want_h.size(), 1000u);
    }
  }
  EXPECT_GE(tested, 8);
}

TEST_F(FeaturesPolygon, TenThousandVertexQueryTakesMilliseconds) {
  // A smooth outline (short edges, like a drawn or surveyed area) and a spiky star (every edge
  // long and steep: the worst case for horizontal bands), each of 10,000 vertices.
  std::mt19937_64 rng(23);
  spatial::Ring smooth;
  for (int k = 0; k < 10000; ++k) {
    const double a = 2 * kPi * k / 10000;
    const double r = 0.075 + 0.015 * std::sin(7 * a) + 0.003 * std::sin(131 * a);
    smooth.push_back(spatial::Point(120.2 + r * std::cos(a), 30.1 + 0.9 * r * std::sin(a)));
  }
  smooth.push_back(smooth.front());
  auto best_of = [](int runs, auto&& f) {
    double best = 1e9;
    for (int k = 0; k < runs; ++k) {
      const auto t0 = std::chrono::steady_clock::now();
      f();
      best = std::min(best,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
  };
  for (const auto& [name, ring] : {std::pair<const char*, spatial::Ring>{"smooth", smooth},
                                   {"spiky", star(rng, 120.2, 30.1, 0.06, 0.1, 10000, false)}}) {
    spatial::MultiPolygon mp;
    mp.resize(1);
    mp[0].outer() = ring;
    const std::string body = json{{"type", "Polygon"}, {"coordinates", {ring_json(ring)}}}.dump();
    std::size_t matched = 0;
    const double query = best_of(3, [&] {
      const api::HttpAnswer a = service_->handle("/collections/households/items", {{"limit", "10"}},
                                                 "http://test", "POST", body);
      matched = json::parse(a.body)["numberMatched"].get<std::size_t>();
    });
    const double grids = best_of(3, [&] {
      service_->handle("/collections/grids/items", {{"limit", "10"}}, "http://test", "POST", body);
    });
    // What the query did before: covered_by of every candidate against every vertex.
    std::size_t brute_matched = 0;
    const double brute = best_of(1, [&] {
      auto lock = (*county_)->read();
      for (const auto& h : (*county_)->data().households)
        brute_matched +=
            spatial::bg::covered_by(spatial::Point(h.location.lon, h.location.lat), mp);
    });
    EXPECT_EQ(matched, brute_matched) << name;
    std::printf(
        "[ bench    ] 10,000-vertex %s polygon: households query %.1f ms (%zu of 40,000 "
        "matched), grids query %.1f ms; brute-force covered_by of the households %.0f ms\n",
        name, query * 1e3, matched, grids * 1e3, brute * 1e3);
    EXPECT_LT(query, 2.0) << name;  // generous: a busy 2-core machine
  }
}

// A query past its request's time budget stops with a 503 (Unavailable) inside its loop rather
// than scanning on: filtered, sorted and polygon queries alike. Without a deadline (or before
// it) the same queries answer.
TEST_F(FeaturesPolygon, AQueryPastItsTimeBudgetStops) {
  const std::string polygon =
      json{{"type", "Polygon"},
           {"coordinates",
            {{{120.0, 30.0}, {120.4, 30.0}, {120.4, 30.2}, {120.0, 30.2}, {120.0, 30.0}}}}}
          .dump();
  struct Query {
    const char* name;
    std::vector<std::pair<std::string, std::string>> params;
    std::string_view method, body;
  };
  const std::vector<Query> queries = {
      {"filter", {{"filter", "members = 1"}, {"limit", "1"}}, "GET", {}},
      {"sortby", {{"sortby", "-members"}, {"limit", "1"}}, "GET", {}},
      {"polygon", {{"limit", "1"}}, "POST", polygon},
  };
  for (const Query& q : queries) {
    {
      const http::DeadlineScope budget(http::Clock::now() + std::chrono::minutes(5));
      const api::HttpAnswer a = service_->handle("/collections/households/items", q.params,
                                                 "http://test", q.method, q.body);
      EXPECT_EQ(a.status, 200) << q.name;
      EXPECT_GT(json::parse(a.body)["numberMatched"].get<std::size_t>(), 1000u) << q.name;
    }
    const http::DeadlineScope spent(http::Clock::now() - std::chrono::seconds(1));
    EXPECT_THROW(service_->handle("/collections/households/items", q.params, "http://test",
                                  q.method, q.body),
                 Unavailable)
        << q.name;
  }
}
