// Civil dates and times in UTC (proleptic Gregorian calendar, <chrono>'s): the one place that
// turns Unix seconds into dates and back. No libc time calls: no locale, no time zone, no
// allocation, so it is cheap enough for thousands of times per tile or page.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace onemap::core {

inline constexpr int64_t kSecondsPerDay = 86400;

/// The day (days since 1970-01-01) holding Unix time t, floored: -1 for every second of
/// 1969-12-31. Add a UTC offset to t first for a local day.
constexpr int64_t day_of(int64_t unix_seconds) {
  const int64_t q = unix_seconds / kSecondsPerDay;
  return unix_seconds % kSecondsPerDay < 0 ? q - 1 : q;
}

/// Days since 1970-01-01 of year-month-day, or nullopt when that is no date (2026-02-29,
/// month 13, a year outside std::chrono::year's -32767..32767).
std::optional<int64_t> days_from_civil(int year, int month, int day);

/// The date of a day number. Defined for the days of the years -32767..32767 (about ±11.9
/// million days); any other day gives some date, never undefined behaviour.
std::chrono::year_month_day civil_from_days(int64_t days);

/// ISO 8601 weekday of a day number: 1 Monday … 7 Sunday.
unsigned iso_weekday(int64_t days);

/// A Unix time broken down in UTC (what gmtime_r gives, 1-based and with an ISO weekday).
struct CivilTime {
  int year = 1970;
  unsigned month = 1, day = 1;  ///< 1-12, 1-31
  unsigned hour = 0, minute = 0, second = 0;
  unsigned weekday = 4;  ///< 1 Monday … 7 Sunday
};
/// civil_from_days' range applies.
CivilTime civil_time(int64_t unix_seconds);

/// Writes "YYYY-MM-DDTHH:MM:SS" (19 characters, no terminator) of t at `out`. Returns false,
/// having written "0000-01-01T00:00:00", when the year lies outside ISO 8601's four digits.
bool write_iso8601(char* out, int64_t unix_seconds);

/// Appends "YYYY-MM-DDTHH:MM:SS.mmmZ" of a time in milliseconds since 1970 (the logs' stamp).
void append_iso8601_ms(std::string& out, int64_t unix_ms);

}  // namespace onemap::core
