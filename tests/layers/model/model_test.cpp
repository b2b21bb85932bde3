// Layer model: names, codes, levels and time parsing.
#include "layers/model/model.hpp"
#include "layers/model/schema.hpp"

#include "core/errors.hpp"
#include "tests/support/thrown.hpp"

#include <gtest/gtest.h>

#include <cstdio>

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

TEST(Model, ParsesExactlyTheCalendarsDays) {
  // Brute force: walk the days of 1896-2104 one by one with the Gregorian month lengths, and ask
  // parse_time about every (year, month, day) with day 0-32 and month 0-13, in both forms.
  auto leap = [](int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; };
  auto month_days = [&](int y, int m) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : kDays[m - 1];
  };
  int64_t day = -(1970 - 1896) * 365 - 18;  // 1896-01-01: 74 years and 18 leap days before 1970
  char text[40];
  for (int y = 1896; y <= 2104; ++y) {
    for (int m = 0; m <= 13; ++m) {
      for (int d = 0; d <= 32; ++d) {
        const bool real = m >= 1 && m <= 12 && d >= 1 && d <= month_days(y, m);
        std::snprintf(text, sizeof text, "%04d-%02d-%02d", y, m, d);
        const auto iso = parse_time(text, 0);
        std::snprintf(text, sizeof text, "%02d/%02d/%04d 01:02:03 PM", m, d, y);
        const auto us = parse_time(text, 0);
        ASSERT_EQ(iso.has_value(), real) << y << "-" << m << "-" << d;
        ASSERT_EQ(us.has_value(), real) << text;
        if (!real) continue;
        ASSERT_EQ(*iso, day * 86400) << y << "-" << m << "-" << d;
        ASSERT_EQ(*us, day * 86400 + 13 * 3600 + 2 * 60 + 3) << text;
        ++day;
      }
    }
  }
  EXPECT_EQ(day, (2105 - 1970) * 365 + 33);  // 2105-01-01: 33 leap days from 1970 on (not 2100)
  EXPECT_FALSE(parse_time("2026-02-31").has_value());  // not 3 March
  EXPECT_FALSE(parse_time("2026-02-29T00:00:00Z").has_value());
  EXPECT_TRUE(parse_time("2028-02-29T00:00:00Z").has_value());
  EXPECT_FALSE(parse_time("2026-01-01T00:00:00+25:00").has_value());
  EXPECT_FALSE(parse_time("2026-01-01T00:00:00+08:75").has_value());
}

TEST(Model, RequestTimesLieBetween2000AndTheClock) {
  const int64_t now = *parse_time("2026-11-20T00:00:00Z");
  auto parameter = [&](const char* text) {
    return onemap::testing::refused([&] { parse_request_time(text, "reported_at", now); });
  };
  EXPECT_EQ(parameter("2000-01-01T00:00:00Z"), "(none)");
  EXPECT_EQ(parameter("1999-12-31T23:59:59Z"), "reported_at");
  EXPECT_EQ(parameter("2026-11-20T00:05:00Z"), "(none)");  // 5 minutes of clock skew
  EXPECT_EQ(parameter("2026-11-20T00:05:01Z"), "reported_at");
  EXPECT_EQ(parameter("2099-01-01T00:00:00Z"), "reported_at");
  EXPECT_EQ(parameter("2026-02-31T00:00:00Z"), "reported_at");
  EXPECT_EQ(parameter("soon"), "reported_at");
  EXPECT_EQ(parse_request_time("2026-11-20T08:00:00+08:00", "at", now), now);
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
