// The feature query engine (layers/query/feature_query.hpp) on a few incidents: the page in
// feature id order whatever the candidates' order, time windows, CQL2 filters, sort keys with
// nulls last, paging, the search box, and the checkpoint that may stop a query.
#include "layers/query/feature_query.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

using namespace onemap;
using namespace onemap::layers;

namespace {

constexpr int64_t D0 = 1767225600;  // 2026-01-01T00:00:00Z
constexpr int64_t kDay = 86400;

// Incidents with fids 1..n stored in a shuffled order: fid f reported on day f, category "a"
// for odd fids, closed (on day 100 - f) for fids divisible by 3, at lon 120 + f/100.
std::vector<Incident> incidents(int n) {
  std::vector<Incident> v;
  for (int k = 0; k < n; ++k) {
    const int f = (k * 7) % n + 1;
    Incident i;
    i.fid = f;
    i.reported_at = D0 + f * kDay;
    i.category = f % 2 ? "a" : "b";
    i.status = "reported";
    i.closed_at = f % 3 == 0 ? D0 + (100 - f) * kDay : 0;
    i.location = {120.0 + f / 100.0, 30.0};
    v.push_back(i);
  }
  return v;
}

std::vector<uint32_t> all(const std::vector<Incident>& v) {
  std::vector<uint32_t> p(v.size());
  std::iota(p.begin(), p.end(), 0u);
  return p;
}

std::vector<int64_t> fids(const std::vector<Incident>& v, const FeaturePage& page) {
  std::vector<int64_t> out;
  for (uint32_t i : page.positions) out.push_back(v[i].fid);
  return out;
}

std::size_t queryable(const std::string& name) {
  const auto q = layer_queryables(LayerKind::Incidents);
  return std::find_if(q.begin(), q.end(), [&](const auto& x) { return x.name == name; }) -
         q.begin();
}

TEST(FeatureQuery, PagesInFeatureIdOrder) {
  const auto v = incidents(20);
  FeatureQuery q;
  q.limit = 5;
  q.offset = 3;
  const FeaturePage page = select_page(v, all(v), q, nullptr);
  EXPECT_EQ(page.matched, 20u);
  EXPECT_EQ(fids(v, page), (std::vector<int64_t>{4, 5, 6, 7, 8}));
}

TEST(FeatureQuery, TimeWindowAndFilter) {
  const auto v = incidents(20);
  FeatureQuery q;
  q.since = D0 + 5 * kDay;
  q.until = D0 + 15 * kDay;  // fids 5..15, closed interval
  q.filter = cql2::Filter::parse("category = 'a'", layer_queryables(LayerKind::Incidents));
  q.limit = 3;
  q.offset = 1;
  const FeaturePage page = select_page(v, all(v), q, nullptr);
  EXPECT_EQ(page.matched, 6u);  // 5 7 9 11 13 15
  EXPECT_EQ(fids(v, page), (std::vector<int64_t>{7, 9, 11}));
  for (const auto& i : v)
    EXPECT_EQ(matches(i, q, fields_of(&i)), i.fid >= 5 && i.fid <= 15 && i.category == "a")
        << i.fid;
}

TEST(FeatureQuery, SortsByKeysWithNullsLastThenById) {
  const auto v = incidents(12);
  FeatureQuery q;
  q.sortby = {{queryable("closed_at"), true}};  // descending: closed on day 100 - f
  q.limit = 6;
  const FeaturePage page = select_page(v, all(v), q, nullptr);
  EXPECT_EQ(page.matched, 12u);
  EXPECT_EQ(fids(v, page), (std::vector<int64_t>{3, 6, 9, 12, 1, 2}));
}

TEST(FeatureQuery, SearchBoxMeetsTheSpatialFilters) {
  FeatureQuery q;
  EXPECT_FALSE(search_box(q));
  q.bbox = q.bbox_lonlat = spatial::Box({120.0, 29.9}, {120.2, 30.1});
  q.near = LonLat{120.15, 30.0};
  q.radius_m = 1000;
  const auto box = search_box(q);  // the bbox met with the circle's box (1,000 m: ~0.0105°)
  ASSERT_TRUE(box);
  EXPECT_NEAR(box->min_corner().x(), 120.1395, 0.0005);
  EXPECT_NEAR(box->max_corner().x(), 120.1605, 0.0005);
  EXPECT_NEAR(box->min_corner().y(), 29.9909, 0.0005);
}

TEST(FeatureQuery, TheCheckpointMayStopAQuery) {
  const auto v = incidents(3000);
  FeatureQuery q;
  q.since = D0;
  static int calls = 0;
  calls = 0;
  select_page(v, all(v), q, [] { ++calls; });
  EXPECT_EQ(calls, 3);  // steps 0, 1024 and 2048
  EXPECT_THROW(select_page(v, all(v), q, [] { throw std::runtime_error("past its deadline"); }),
               std::runtime_error);
}

}  // namespace
