// Civil dates and times (time.hpp).
#include "core/time.hpp"

#include <algorithm>
#include <string_view>

namespace onemap::core {

namespace {

using std::chrono::sys_days;

// The days of 0000-01-01 and 9999-12-31: the years ISO 8601 writes with four digits.
constexpr int64_t kFirstIsoDay = sys_days{std::chrono::year{0} / 1 / 1}.time_since_epoch().count();
constexpr int64_t kLastIsoDay =
    sys_days{std::chrono::year{9999} / 12 / 31}.time_since_epoch().count();

// Writes v as `digits` decimal digits (zero-padded) at `at`.
void put_digits(char* at, unsigned v, int digits) {
  for (int i = digits - 1; i >= 0; --i, v /= 10) at[i] = static_cast<char>('0' + v % 10);
}

}  // namespace

std::optional<int64_t> days_from_civil(int year, int month, int day) {
  if (year < -32767 || year > 32767 || month < 1 || month > 12 || day < 1 || day > 31)
    return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{year},
                                        std::chrono::month{static_cast<unsigned>(month)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  return sys_days{ymd}.time_since_epoch().count();
}

std::chrono::year_month_day civil_from_days(int64_t days) {
  return std::chrono::year_month_day{sys_days{std::chrono::days{days}}};
}

unsigned iso_weekday(int64_t days) {
  return std::chrono::weekday{sys_days{std::chrono::days{days}}}.iso_encoding();
}

CivilTime civil_time(int64_t unix_seconds) {
  const int64_t day = day_of(unix_seconds);
  const auto secs = static_cast<unsigned>(unix_seconds - day * kSecondsPerDay);
  const std::chrono::year_month_day ymd = civil_from_days(day);
  CivilTime c;
  c.year = static_cast<int>(ymd.year());
  c.month = static_cast<unsigned>(ymd.month());
  c.day = static_cast<unsigned>(ymd.day());
  c.hour = secs / 3600;
  c.minute = secs / 60 % 60;
  c.second = secs % 60;
  c.weekday = iso_weekday(day);
  return c;
}

bool write_iso8601(char* out, int64_t unix_seconds) {
  const int64_t day = day_of(unix_seconds);
  if (day < kFirstIsoDay || day > kLastIsoDay) {
    constexpr std::string_view kNone = "0000-01-01T00:00:00";
    std::copy(kNone.begin(), kNone.end(), out);
    return false;
  }
  const auto secs = static_cast<unsigned>(unix_seconds - day * kSecondsPerDay);
  const std::chrono::year_month_day ymd = civil_from_days(day);
  put_digits(out, static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
  out[4] = '-';
  put_digits(out + 5, static_cast<unsigned>(ymd.month()), 2);
  out[7] = '-';
  put_digits(out + 8, static_cast<unsigned>(ymd.day()), 2);
  out[10] = 'T';
  put_digits(out + 11, secs / 3600, 2);
  out[13] = ':';
  put_digits(out + 14, secs / 60 % 60, 2);
  out[16] = ':';
  put_digits(out + 17, secs % 60, 2);
  return true;
}

void append_iso8601_ms(std::string& out, int64_t unix_ms) {
  int64_t ms = unix_ms % 1000;
  if (ms < 0) ms += 1000;
  char text[24];
  write_iso8601(text, (unix_ms - ms) / 1000);
  text[19] = '.';
  put_digits(text + 20, static_cast<unsigned>(ms), 3);
  text[23] = 'Z';
  out.append(text, sizeof text);
}

}  // namespace onemap::core
