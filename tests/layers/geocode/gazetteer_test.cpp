// The county's gazetteer (layers/geocode/gazetteer.hpp) on a small county written out here: two
// towns, villages of one short name in both, houses by group and by road, a named place.
#include "layers/geocode/gazetteer.hpp"

#include <gtest/gtest.h>

namespace onemap::geocode {
namespace {

class GazetteerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    g = new Gazetteer();
    g->add_area(Level::Town, "330521001", "武康街道", "330521", 119.95, 30.55);
    g->add_area(Level::Town, "330521113", "禹越镇", "330521", 120.10, 30.60);
    g->add_area(Level::Village, "330521001201", "城西村委会", "330521001", 119.94, 30.54);
    g->add_area(Level::Village, "330521001001", "英溪社区居委会", "330521001", 119.96, 30.56);
    g->add_area(Level::Village, "330521113201", "三合村委会", "330521113", 120.11, 30.61);
    g->add_area(Level::Village, "330521113202", "城西村委会", "330521113", 120.12, 30.62);
    // Group 3 of 城西村 (武康): houses 1..4 along a line; group 5 one house.
    for (int n = 1; n <= 4; ++n)
      EXPECT_TRUE(g->add_address("武康街道城西村3组" + std::to_string(n) + "号", 119.940 + n * 1e-3,
                                 30.540, "",
                                 "330521001201" + std::to_string(n % 2 ? 1 : 2) + "00"));
    EXPECT_TRUE(g->add_address("武康街道城西村5组1号", 119.930, 30.530));
    EXPECT_TRUE(g->add_address("武康街道英溪社区英溪路88号", 119.961, 30.561));
    EXPECT_TRUE(g->add_address("武康街道英溪社区英溪路90号", 119.963, 30.561));
    EXPECT_TRUE(g->add_address("禹越镇城西村1组7号", 120.121, 30.621));
    EXPECT_FALSE(g->add_address("某某镇某某村1组1号", 1, 1));  // no village of the county
    EXPECT_FALSE(g->add_address("武康街道城西村", 1, 1));      // no house number
    g->add_place("德清县武康中学", 119.955, 30.552, "330521001001");
  }
  static void TearDownTestSuite() { delete g; }
  static Gazetteer* g;
};
Gazetteer* GazetteerTest::g = nullptr;

TEST_F(GazetteerTest, AFullAddressIsItsHouse) {
  const auto c = g->search("浙江省德清县武康街道城西村三组二号");
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c[0].level, Level::House);
  EXPECT_DOUBLE_EQ(c[0].lon, 119.942);
  EXPECT_DOUBLE_EQ(c[0].lat, 30.540);
  EXPECT_EQ(c[0].village_code, "330521001201");
  EXPECT_EQ(c[0].town_code, "330521001");
  EXPECT_EQ(c[0].label, "武康街道 城西村 3组2号");
  EXPECT_DOUBLE_EQ(c[0].confidence, 1.0);
}

TEST_F(GazetteerTest, AnUnknownNumberIsItsGroupAtTheMeanOfItsHouses) {
  const auto c = g->search("武康街道城西村3组99号");
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c[0].level, Level::Group);
  EXPECT_NEAR(c[0].lon, 119.9425, 1e-9);
  EXPECT_LT(c[0].confidence, 1.0);
}

TEST_F(GazetteerTest, ARoadAndNumberInACommunity) {
  const auto c = g->search("英溪社区 英溪路90号");
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c[0].level, Level::House);
  EXPECT_DOUBLE_EQ(c[0].lon, 119.963);
  const auto road = g->search("武康英溪社区英溪路");
  ASSERT_FALSE(road.empty());
  EXPECT_EQ(road[0].level, Level::Road);
  EXPECT_NEAR(road[0].lon, 119.962, 1e-9);
}

TEST_F(GazetteerTest, TheTownTellsVillagesOfOneNameApart) {
  const auto c = g->search("禹越城西村1组7号");
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c[0].village_code, "330521113202");
  EXPECT_EQ(c[0].level, Level::House);
  // Without a town both are candidates, neither sure.
  const auto both = g->search("城西村");
  ASSERT_EQ(both.size(), 2U);
  EXPECT_LT(both[0].confidence, 0.5);
  EXPECT_EQ(both[0].confidence, both[1].confidence);
}

TEST_F(GazetteerTest, ANearSpellingOfAVillageIsFoundLessSurely) {
  const auto c = g->search("禹越镇三和村");  // 合 written 和
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c[0].village_code, "330521113201");
  EXPECT_EQ(c[0].level, Level::Village);
  const auto exact = g->search("禹越镇三合村");
  EXPECT_LT(c[0].confidence, exact[0].confidence);
}

TEST_F(GazetteerTest, ATownAloneIsTheTown) {
  const auto c = g->search("禹越镇");
  ASSERT_EQ(c.size(), 1U);
  EXPECT_EQ(c[0].level, Level::Town);
  EXPECT_EQ(c[0].town_code, "330521113");
}

TEST_F(GazetteerTest, ANamedPlaceIsFoundByItsName) {
  const auto c = g->search("武康中学门口");
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c[0].level, Level::Place);
  EXPECT_EQ(c[0].label, "德清县武康中学");
  EXPECT_EQ(c[0].town_code, "330521001");
}

TEST_F(GazetteerTest, AHouseWithheldIsItsGroupAndASmallGroupItsVillage) {
  Reveal reveal;
  reveal.house = [](const std::string& grid) { return grid == "330521001201100"; };
  auto c = g->search("武康街道城西村3组1号", 1, reveal);  // in grid …100: given
  ASSERT_EQ(c.size(), 1U);
  EXPECT_EQ(c[0].level, Level::House);
  EXPECT_EQ(c[0].grid_code, "330521001201100");
  c = g->search("武康街道城西村3组2号", 1, reveal);  // in grid …200: its group's mean
  ASSERT_EQ(c.size(), 1U);
  EXPECT_EQ(c[0].level, Level::Group);
  EXPECT_NEAR(c[0].lon, 119.9425, 1e-9);
  EXPECT_EQ(c[0].grid_code, "");
  EXPECT_EQ(c[0].label, "武康街道 城西村 3组");
  reveal.min_houses = 2;  // group 5 has one house: its village
  c = g->search("武康街道城西村5组1号", 1, reveal);
  ASSERT_EQ(c.size(), 1U);
  EXPECT_EQ(c[0].level, Level::Village);
  EXPECT_DOUBLE_EQ(c[0].lon, 119.94);
}

TEST_F(GazetteerTest, NothingKnownIsNoCandidate) {
  EXPECT_TRUE(g->search("").empty());
  EXPECT_TRUE(g->search("北京市海淀区").empty());
  EXPECT_TRUE(g->search("\xff\xfe").empty());
}

}  // namespace
}  // namespace onemap::geocode
