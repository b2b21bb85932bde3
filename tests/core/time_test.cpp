// core/time: civil dates and times agree with libc's timegm and gmtime_r (an independent
// implementation) over every day from 1600 to 2500 and random times across ±3,000 years,
// including the 1900/2000/2100 leap rules and times before 1970.
#include "core/time.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <limits>
#include <random>
#include <string>

namespace {

using onemap::core::civil_from_days;
using onemap::core::civil_time;
using onemap::core::day_of;
using onemap::core::days_from_civil;
using onemap::core::iso_weekday;
using onemap::core::write_iso8601;

std::tm utc(int64_t t) {
  const auto tt = static_cast<std::time_t>(t);
  std::tm tm{};
  EXPECT_NE(gmtime_r(&tt, &tm), nullptr) << t;
  return tm;
}

std::string iso(int64_t t) {
  char text[20] = {};
  write_iso8601(text, t);
  return text;
}

// The oracle's text of t, as write_iso8601 writes it.
std::string oracle_iso(int64_t t) {
  const std::tm tm = utc(t);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return text;
}

// Checks every function of core/time at Unix time t against gmtime_r and timegm.
void check_against_libc(int64_t t) {
  const std::tm tm = utc(t);
  const int64_t day = day_of(t);
  const auto ymd = civil_from_days(day);
  ASSERT_EQ(static_cast<int>(ymd.year()), tm.tm_year + 1900) << t;
  ASSERT_EQ(static_cast<unsigned>(ymd.month()), static_cast<unsigned>(tm.tm_mon + 1)) << t;
  ASSERT_EQ(static_cast<unsigned>(ymd.day()), static_cast<unsigned>(tm.tm_mday)) << t;
  ASSERT_EQ(iso_weekday(day), tm.tm_wday == 0 ? 7u : static_cast<unsigned>(tm.tm_wday)) << t;
  std::tm midnight = tm;
  midnight.tm_hour = midnight.tm_min = midnight.tm_sec = 0;
  const int64_t oracle_midnight = timegm(&midnight);
  ASSERT_EQ(days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday),
            std::optional<int64_t>(oracle_midnight / 86400))
      << t;
  ASSERT_EQ(day * 86400, oracle_midnight) << t;
  const auto c = civil_time(t);
  ASSERT_EQ(c.year, tm.tm_year + 1900) << t;
  ASSERT_EQ(c.month, static_cast<unsigned>(tm.tm_mon + 1)) << t;
  ASSERT_EQ(c.day, static_cast<unsigned>(tm.tm_mday)) << t;
  ASSERT_EQ(c.hour, static_cast<unsigned>(tm.tm_hour)) << t;
  ASSERT_EQ(c.minute, static_cast<unsigned>(tm.tm_min)) << t;
  ASSERT_EQ(c.second, static_cast<unsigned>(tm.tm_sec)) << t;
  ASSERT_EQ(c.weekday, iso_weekday(day)) << t;
  if (c.year >= 0 && c.year <= 9999) {
    ASSERT_EQ(iso(t), oracle_iso(t)) << t;
  }
}

TEST(CoreTime, EveryDayFrom1600To2500AgreesWithLibc) {
  const int64_t first = *days_from_civil(1600, 1, 1), last = *days_from_civil(2500, 12, 31);
  EXPECT_EQ(first, -135140);  // 1600-01-01
  for (int64_t day = first; day <= last; ++day) {
    // A different second of each day: every hour, minute and second turns up.
    const int64_t t = day * 86400 + ((day * 7919) % 86400 + 86400) % 86400;
    ASSERT_NO_FATAL_FAILURE(check_against_libc(day * 86400));
    ASSERT_NO_FATAL_FAILURE(check_against_libc(t));
  }
}

TEST(CoreTime, RandomTimesAcrossThreeThousandYearsAgreeWithLibc) {
  std::mt19937_64 rng(20261126);
  std::uniform_int_distribution<int64_t> any(-100'000'000'000, 100'000'000'000);  // ±3,170 y
  for (int k = 0; k < 200'000; ++k) ASSERT_NO_FATAL_FAILURE(check_against_libc(any(rng)));
}

TEST(CoreTime, LeapYears) {
  EXPECT_TRUE(days_from_civil(2000, 2, 29));   // divisible by 400
  EXPECT_FALSE(days_from_civil(1900, 2, 29));  // by 100, not 400
  EXPECT_FALSE(days_from_civil(2100, 2, 29));
  EXPECT_TRUE(days_from_civil(2024, 2, 29));
  EXPECT_FALSE(days_from_civil(2023, 2, 29));
  EXPECT_TRUE(days_from_civil(1600, 2, 29));
  EXPECT_TRUE(days_from_civil(-4, 2, 29));  // proleptic: year -4 is 5 BC, a leap year
  EXPECT_EQ(*days_from_civil(2000, 3, 1) - *days_from_civil(2000, 2, 28), 2);
  EXPECT_EQ(*days_from_civil(2100, 3, 1) - *days_from_civil(2100, 2, 28), 1);
}

TEST(CoreTime, RejectsWhatIsNoDate) {
  EXPECT_FALSE(days_from_civil(2026, 4, 31));
  EXPECT_FALSE(days_from_civil(2026, 13, 1));
  EXPECT_FALSE(days_from_civil(2026, 0, 1));
  EXPECT_FALSE(days_from_civil(2026, 1, 0));
  EXPECT_FALSE(days_from_civil(2026, 1, 32));
  EXPECT_FALSE(days_from_civil(2026, 1, 256));  // past std::chrono::day's byte
  EXPECT_FALSE(days_from_civil(40000, 1, 1));   // past std::chrono::year
  EXPECT_FALSE(days_from_civil(-40000, 1, 1));
  EXPECT_EQ(days_from_civil(1970, 1, 1), std::optional<int64_t>(0));
}

TEST(CoreTime, DaysFloorBefore1970) {
  EXPECT_EQ(day_of(0), 0);
  EXPECT_EQ(day_of(86399), 0);
  EXPECT_EQ(day_of(-1), -1);
  EXPECT_EQ(day_of(-86400), -1);
  EXPECT_EQ(day_of(-86401), -2);
  EXPECT_EQ(iso(-1), "1969-12-31T23:59:59");
  EXPECT_EQ(iso_weekday(0), 4u);   // 1970-01-01 was a Thursday
  EXPECT_EQ(iso_weekday(-1), 3u);  // and 1969-12-31 a Wednesday
  EXPECT_EQ(iso_weekday(-4), 7u);  // 1969-12-28 a Sunday
}

TEST(CoreTime, IsoTextOnlyForFourDigitYears) {
  const int64_t first = -62'167'219'200;  // 0000-01-01T00:00:00Z
  const int64_t last = 253'402'300'799;   // 9999-12-31T23:59:59Z
  char text[20] = {};
  EXPECT_TRUE(write_iso8601(text, first));
  EXPECT_STREQ(text, "0000-01-01T00:00:00");
  EXPECT_TRUE(write_iso8601(text, last));
  EXPECT_STREQ(text, "9999-12-31T23:59:59");
  for (const int64_t t : {first - 1, last + 1, std::numeric_limits<int64_t>::min(),
                          std::numeric_limits<int64_t>::max()}) {
    EXPECT_FALSE(write_iso8601(text, t)) << t;
    EXPECT_STREQ(text, "0000-01-01T00:00:00") << t;
  }
}

TEST(CoreTime, MillisecondStamps) {
  auto stamp = [](int64_t ms) {
    std::string out = "x";
    onemap::core::append_iso8601_ms(out, ms);
    return out;
  };
  EXPECT_EQ(stamp(0), "x1970-01-01T00:00:00.000Z");
  EXPECT_EQ(stamp(1234), "x1970-01-01T00:00:01.234Z");
  EXPECT_EQ(stamp(-1), "x1969-12-31T23:59:59.999Z");
  EXPECT_EQ(stamp(1'795'657'500'006), "x2026-11-26T01:45:00.006Z");
}

}  // namespace
