// The geocoder on the demo county (a small one): every registered address is its own house, and
// the demo's noisy addresses (tools/demo/address_noise.hpp) are found as the issue asks of the
// benchmark (scripts/bench-geocode runs the full county). The oracle is each household's own
// place and village.
#include "layers/geocode/county_gazetteer.hpp"
#include "tools/demo/address_noise.hpp"
#include "tools/demo/demo.hpp"

#include <gtest/gtest.h>

#include <set>

namespace onemap {
namespace {

class GeocodeDemoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    layers::DemoOptions o;
    o.data_dir = std::string(ONEMAP_SOURCE_DIR) + "/data";
    o.end_time = 1795622400;  // 2026-11-26 00:00 UTC+8
    o.households = 20000;
    o.enterprises = 1000;
    o.incidents = 100;
    data_ = new layers::Dataset(layers::build_demo(o));
    gazetteer_ = new geocode::Gazetteer(geocode::gazetteer_of(*data_));
  }
  static void TearDownTestSuite() {
    delete gazetteer_;
    delete data_;
  }
  static layers::Dataset* data_;
  static geocode::Gazetteer* gazetteer_;
};
layers::Dataset* GeocodeDemoTest::data_ = nullptr;
geocode::Gazetteer* GeocodeDemoTest::gazetteer_ = nullptr;

TEST_F(GeocodeDemoTest, EveryHouseholdHasItsOwnAddressAndItLeadsToIt) {
  std::set<std::string> addresses;
  for (const auto& h : data_->households)
    EXPECT_TRUE(addresses.insert(h.address).second) << "two households at " << h.address;
  EXPECT_EQ(gazetteer_->houses(), data_->households.size());
  const geocode::VillageOf village_of(data_->grids);
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < data_->households.size(); i += 7) {
    const auto& h = data_->households[i];
    const auto c = gazetteer_->search(h.address, 1);
    const bool right = !c.empty() && c[0].level == geocode::Level::House &&
                       c[0].lon == h.location.lon && c[0].lat == h.location.lat &&
                       c[0].village_code == village_of(h.join.grid_code);
    wrong += !right;
    if (!right && wrong < 5)
      ADD_FAILURE() << h.address << " → " << (c.empty() ? "nothing" : c[0].label);
  }
  EXPECT_EQ(wrong, 0U);
}

TEST_F(GeocodeDemoTest, NoisyAddressesAreFoundAtTheirHouseAndVillage) {
  const auto set = layers::noisy_addresses(*data_, 2000, 20261207);
  ASSERT_EQ(set.size(), 2000U);
  std::size_t houses = 0, house_right = 0, village_right = 0, noisy = 0;
  for (const auto& a : set) {
    noisy += !a.noise.empty();
    const auto c = gazetteer_->search(a.query, 1);
    if (a.house) ++houses;
    if (c.empty()) continue;
    village_right += c[0].village_code == a.village_code;
    house_right +=
        a.house && c[0].level == geocode::Level::House && c[0].lon == a.lon && c[0].lat == a.lat;
  }
  EXPECT_GT(noisy, 1500U);  // the set is mostly noise
  EXPECT_GE(static_cast<double>(house_right) / static_cast<double>(houses), 0.90)
      << house_right << " of " << houses;
  EXPECT_GE(static_cast<double>(village_right) / static_cast<double>(set.size()), 0.98)
      << village_right << " of " << set.size();
}

}  // namespace
}  // namespace onemap
