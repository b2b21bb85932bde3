// The working calendar (layers/dispatch/calendar.hpp) against a minute-by-minute oracle that
// decides each minute from the civil date (std::chrono's calendar) and the configured periods, and
// against hand-worked cases: the lunch break, weekends, a holiday week and a make-up working
// Sunday.
#include "layers/dispatch/calendar.hpp"
#include "core/errors.hpp"
#include "layers/model/model.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <set>

using onemap::InvalidArgument;
using onemap::layers::WorkingCalendar;

namespace {

constexpr const char* kConfig = R"({"utc_offset": "+08:00",
  "hours": [["08:30", "12:00"], ["13:30", "17:30"]], "weekdays": [1, 2, 3, 4, 5],
  "holidays": ["2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"],
  "workdays": ["2026-09-27", "2026-10-10"]})";

int64_t at(const std::string& local) {  // "2026-11-20T16:30:00" in UTC+8
  return *onemap::layers::parse_time(local + "+08:00");
}

// The oracle: is the minute starting at t (UTC) working time under kConfig?
bool working_minute(int64_t t) {
  using namespace std::chrono;
  const sys_seconds local{seconds{t + 8 * 3600}};
  const auto day = floor<days>(local);
  const year_month_day ymd{day};
  const weekday wd{day};
  auto date = [](int y, unsigned m, unsigned d) {
    return year_month_day{year{y}, month{m}, std::chrono::day{d}};
  };
  static const std::set<year_month_day> holidays = {date(2026, 10, 1), date(2026, 10, 2),
                                                    date(2026, 10, 5), date(2026, 10, 6),
                                                    date(2026, 10, 7)};
  static const std::set<year_month_day> workdays = {date(2026, 9, 27), date(2026, 10, 10)};
  bool working = wd != Saturday && wd != Sunday;
  if (holidays.count(ymd)) working = false;
  if (workdays.count(ymd)) working = true;
  if (!working) return false;
  const auto minute = duration_cast<minutes>(local - day).count();
  return (minute >= 8 * 60 + 30 && minute < 12 * 60) ||
         (minute >= 13 * 60 + 30 && minute < 17 * 60 + 30);
}

}  // namespace

TEST(WorkingCalendar, HandWorkedCases) {
  const WorkingCalendar c = WorkingCalendar::from_json(kConfig);
  // Across the lunch break: 11:30 + 2 h = 15:00 (half an hour before it, an hour and a half after).
  EXPECT_EQ(c.add_working_seconds(at("2026-11-18T11:30:00"), 2 * 3600), at("2026-11-18T15:00:00"));
  // Friday 16:30 + 2 h = Monday 09:30.
  EXPECT_EQ(c.add_working_seconds(at("2026-11-20T16:30:00"), 2 * 3600), at("2026-11-23T09:30:00"));
  // Reported at night: the clock starts at 08:30.
  EXPECT_EQ(c.add_working_seconds(at("2026-11-18T22:00:00"), 600), at("2026-11-19T08:40:00"));
  // Exactly to the end of a period.
  EXPECT_EQ(c.add_working_seconds(at("2026-11-18T10:00:00"), 2 * 3600), at("2026-11-18T12:00:00"));
  // The National Day week: Wed 30 Sep 17:00 + 1 h is half an hour that day, then 1-7 Oct are off
  // (holidays and a weekend), so the other half ends Thu 8 Oct 09:00.
  EXPECT_EQ(c.add_working_seconds(at("2026-09-30T17:00:00"), 3600), at("2026-10-08T09:00:00"));
  // The make-up Sunday counts.
  EXPECT_TRUE(c.is_working_day(at("2026-09-27T10:00:00")));
  EXPECT_FALSE(c.is_working_day(at("2026-10-01T10:00:00")));
  // Working days: reported Friday 20 Nov, 3 working days → end of Wednesday 25 Nov.
  EXPECT_EQ(c.add_working_days(at("2026-11-20T09:00:00"), 3), at("2026-11-25T17:30:00"));
  EXPECT_EQ(c.working_seconds_between(at("2026-11-18T11:00:00"), at("2026-11-18T14:00:00")),
            90 * 60);
  EXPECT_EQ(c.add_working_seconds(at("2026-11-18T03:00:00"), 0), at("2026-11-18T03:00:00"));
}

TEST(WorkingCalendar, AgreesWithAMinuteByMinuteOracle) {
  const WorkingCalendar c = WorkingCalendar::from_json(kConfig);
  std::mt19937_64 rng(7);
  const int64_t t0 = at("2026-09-20T00:00:00");
  std::uniform_int_distribution<int64_t> start_min(0, 40 * 24 * 60), len_min(0, 3 * 8 * 60);
  for (int trial = 0; trial < 300; ++trial) {
    const int64_t start = t0 + start_min(rng) * 60;
    const int64_t k = len_min(rng);
    // add_working_seconds: walk minutes until k working ones have passed.
    int64_t t = start, left = k;
    while (left > 0) {
      if (working_minute(t)) --left;
      t += 60;
    }
    if (k > 0) {
      // The walk stops after the k-th working minute; the calendar returns that minute's end,
      // which is the same instant.
      EXPECT_EQ(c.add_working_seconds(start, k * 60), t) << "start " << start << " minutes " << k;
    }
    // working_seconds_between over the span walked (and a bit more).
    const int64_t end = t + 37 * 60;
    int64_t minutes = 0;
    for (int64_t m = start; m < end; m += 60) minutes += working_minute(m);
    EXPECT_EQ(c.working_seconds_between(start, end), minutes * 60) << start;
    EXPECT_EQ(c.is_working_time(start), working_minute(start)) << start;
  }
}

TEST(WorkingCalendar, BadConfigurationsNameTheirKey) {
  auto key_of = [](const std::string& json) {
    try {
      WorkingCalendar::from_json(json);
    } catch (const InvalidArgument& e) {
      return e.parameter();
    }
    return std::string("(accepted)");
  };
  EXPECT_EQ(key_of(R"({"hours": [["12:00", "08:30"]]})"), "hours");
  EXPECT_EQ(key_of(R"({"hours": [["08:30", "12:00"], ["11:00", "17:00"]]})"), "hours");
  EXPECT_EQ(key_of(R"({"hours": [["8:30", "12:00"]]})"), "hours");
  EXPECT_EQ(key_of(R"({"weekdays": [0]})"), "weekdays");
  EXPECT_EQ(key_of(R"({"holidays": ["2026-13-01"]})"), "holidays");
  EXPECT_EQ(key_of(R"({"holidays": ["2026-10-01"], "workdays": ["2026-10-01"]})"), "workdays");
  EXPECT_EQ(key_of(R"({"utc_offset": "8"})"), "utc_offset");
  EXPECT_EQ(key_of(R"({"lunch": true})"), "lunch");
  EXPECT_EQ(key_of("{}"), "(accepted)");
  EXPECT_THROW(WorkingCalendar().add_working_seconds(0, -1), InvalidArgument);
  EXPECT_THROW(WorkingCalendar::from_json(R"({"weekdays": []})").add_working_seconds(0, 60),
               InvalidArgument);
}
