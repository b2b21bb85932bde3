// Layer model: names, codes, levels and time parsing.
#include "layers/model.hpp"

#include "spatial/errors.hpp"

#include <gtest/gtest.h>

using namespace onemap;
using namespace onemap::layers;

TEST(Model, LayerNamesRoundTrip) {
  for (LayerKind k : kAllLayers) EXPECT_EQ(layer_from_name(layer_name(k)), k);
  EXPECT_EQ(layer_from_name("Grids"), LayerKind::Grids);
  try {
    layer_from_name("roads");
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.parameter(), "layer");
    EXPECT_NE(std::string(e.what()).find("roads"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("households"), std::string::npos);
  }
}

TEST(Model, LevelsFollowCodeLength) {
  EXPECT_EQ(level_from_code("330521"), GridLevel::County);
  EXPECT_EQ(level_from_code("330521001"), GridLevel::Town);
  EXPECT_EQ(level_from_code("330521001001"), GridLevel::Village);
  EXPECT_EQ(level_from_code("330521001001001"), GridLevel::Grid);
  EXPECT_EQ(level_from_code("330521001001001001"), GridLevel::MicroGrid);
  EXPECT_FALSE(level_from_code("3305210010").has_value());
  EXPECT_FALSE(level_from_code("33052100100A").has_value());
  for (int l = 0; l < 5; ++l) {
    auto level = static_cast<GridLevel>(l);
    EXPECT_EQ(level_from_name(level_name(level)), level);
  }
  EXPECT_THROW(level_from_name("province"), InvalidArgument);
}

TEST(Model, RiskAndRoleAcceptChineseNames) {
  EXPECT_EQ(risk_from_name("重大"), RiskLevel::Major);
  EXPECT_EQ(risk_from_name("橙"), RiskLevel::Significant);
  EXPECT_EQ(risk_from_name("3"), RiskLevel::General);
  EXPECT_EQ(risk_from_name("LOW"), RiskLevel::Low);
  for (auto r : {RiskLevel::Major, RiskLevel::Significant, RiskLevel::General, RiskLevel::Low})
    EXPECT_EQ(risk_from_name(risk_name(r)), r);
  EXPECT_EQ(role_from_name("网格长"), WorkerRole::GridHead);
  EXPECT_EQ(role_from_name("辅警"), WorkerRole::AuxPolice);
  EXPECT_THROW(role_from_name("mayor"), InvalidArgument);
}

TEST(Model, ParsesTimes) {
  // 2025-03-24T23:33:07Z is 1742859187 (date -d '2025-03-24T23:33:07Z' +%s).
  EXPECT_EQ(parse_time("2025-03-24T23:33:07Z"), 1742859187);
  EXPECT_EQ(parse_time("2025-03-24T23:33:07.250Z"), 1742859187);
  EXPECT_EQ(parse_time("2025-03-25T07:33:07+08:00"), 1742859187);
  EXPECT_EQ(parse_time("2025-03-25 07:33:07"), 1742859187);  // default offset +8
  EXPECT_EQ(parse_time("2025-03-24 19:33:07", -4 * 3600), 1742859187);
  EXPECT_EQ(parse_time("03/24/2025 11:33:07 PM", 0), 1742859187);
  EXPECT_EQ(parse_time("03/24/2025 12:00:00 AM", 0), 1742774400);
  EXPECT_EQ(parse_time("2025-03-24", 0), 1742774400);
  EXPECT_FALSE(parse_time("").has_value());
  EXPECT_FALSE(parse_time("yesterday").has_value());
  EXPECT_FALSE(parse_time("2025-13-01").has_value());
  EXPECT_FALSE(parse_time("2025-03-24T25:00:00Z").has_value());
  EXPECT_EQ(format_time(1742859187), "2025-03-24T23:33:07Z");
  for (int64_t t : {0LL, 951782400LL, 1742859187LL, 4102444799LL})
    EXPECT_EQ(parse_time(format_time(t)), t);
}

TEST(Model, SchemasMarkPersonalFields) {
  auto personal = [](LayerKind k) {
    std::vector<std::string> out;
    for (const auto& f : layer_fields(k))
      if (f.personal) out.push_back(f.name);
    return out;
  };
  EXPECT_EQ(personal(LayerKind::Households),
            (std::vector<std::string>{"head_name", "phone", "id_number"}));
  EXPECT_EQ(personal(LayerKind::Workers), (std::vector<std::string>{"name"}));
  EXPECT_EQ(personal(LayerKind::Incidents), (std::vector<std::string>{"reporter"}));
  EXPECT_EQ(geometry_type(LayerKind::Grids), "MultiPolygon");
  EXPECT_EQ(geometry_type(LayerKind::Incidents), "Point");
}
