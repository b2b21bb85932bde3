// The dispatch configuration (layers/dispatch/dispatch_config.hpp): deadlines in working time on
// the test calendar, the shipped data/dispatch.json, and bad values named by their field.
#include "layers/dispatch/dispatch_config.hpp"

#include "core/errors.hpp"
#include "tests/layers/county/dispatch_fixture.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/thrown.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
using namespace onemap;
using namespace onemap::layers;
using namespace onemap::testing;

TEST(DispatchConfigFile, DeadlinesParseAndCountWorkingTime) {
  const WorkingCalendar cal = test_calendar();
  // 2 working hours from Tuesday 11:30 +08:00 across the lunch break: 15:00.
  const int64_t tue_1130 = *parse_time("2026-09-22T11:30:00+08:00");
  EXPECT_EQ(Deadline::parse("2wh", "d").due(tue_1130, cal),
            *parse_time("2026-09-22T15:00:00+08:00"));
  // 4 calendar hours, around the clock.
  EXPECT_EQ(Deadline::parse("4h", "d").due(tue_1130, cal), tue_1130 + 4 * 3600);
  // 1 working day from Wednesday 30 September: 1-2 October are holidays, 3-4 the weekend: Monday 5.
  EXPECT_EQ(Deadline::parse("1wd", "d").due(*parse_time("2026-09-30T10:00:00+08:00"), cal),
            *parse_time("2026-10-05T17:30:00+08:00"));
  // 3 working hours from Friday 16:30: one on Friday, two on the next working day (Saturday 10
  // October is a make-up workday: from Friday 9 October it goes there).
  EXPECT_EQ(Deadline::parse("3wh", "d").due(*parse_time("2026-10-09T16:30:00+08:00"), cal),
            *parse_time("2026-10-10T10:30:00+08:00"));
  for (const char* bad : {"", "2", "2x", "-1wh", "0wd", "1.5wd", "wh"}) {
    EXPECT_EQ(refused([&] { Deadline::parse(bad, "deadline"); }), "deadline") << bad;
  }
  EXPECT_EQ(Deadline::parse("15wd", "d").text(), "15wd");
}

TEST(DispatchConfigFile, ShippedConfigurationLoads) {
  const DispatchConfig c =
      DispatchConfig::load(std::string(ONEMAP_SOURCE_DIR) + "/data/dispatch.json");
  EXPECT_GE(c.categories.size(), 30u);
  const CategoryConfig* g = c.find("0102");
  ASSERT_NE(g, nullptr);
  EXPECT_TRUE(g->grid_handled());
  EXPECT_EQ(g->deadline.text(), "2wh");
  EXPECT_FALSE(g->roles.empty());
  const auto deps = c.departments();
  EXPECT_NE(std::find(deps.begin(), deps.end(), "综合执法"), deps.end());
  // A National Day holiday is not a working day.
  EXPECT_FALSE(c.calendar.is_working_day(*parse_time("2026-10-02T12:00:00+08:00")));
}

TEST(DispatchConfigFile, BadValuesNameTheirField) {
  const TempDir tmp;
  const fs::path dir = tmp.path();
  auto expect_bad = [&](const std::string& config, const std::string& csv,
                        const std::string& parameter) {
    std::ofstream(dir / "categories.csv") << csv;
    std::ofstream(dir / "dispatch.json") << config;
    const auto e =
        thrown<InvalidArgument>([&] { DispatchConfig::load((dir / "dispatch.json").string()); });
    ASSERT_TRUE(e) << config << " / " << csv;
    EXPECT_EQ(e->parameter(), parameter) << e->what();
  };
  const std::string header = "code,name_zh,name_en,class,handler,deadline,roles,weight\n";
  const std::string ok_config = R"({"categories": "categories.csv"})";
  expect_bad(ok_config,
             header + "0101,a,b,c,grid,2wh,full_time,1\n0101,a,b,c,grid,2wh,full_time,1\n", "code");
  expect_bad(ok_config, header + "0101,a,b,c,grid,2 days,full_time,1\n", "deadline");
  expect_bad(ok_config, header + "0101,a,b,c,grid,2wh,,1\n", "roles");
  expect_bad(ok_config, header + "0101,a,b,c,grid,2wh,boss,1\n", "roles");
  expect_bad(R"({"categories": "categories.csv", "workload_cap": 0})",
             header + "0101,a,b,c,grid,2wh,full_time,1\n", "workload_cap");
  expect_bad(R"({"categories": "categories.csv", "colour": 1})",
             header + "0101,a,b,c,grid,2wh,full_time,1\n", "colour");
  expect_bad(R"({"categories": "categories.csv", "calendar": {"weekdays": [8]}})",
             header + "0101,a,b,c,grid,2wh,full_time,1\n", "weekdays");
}
