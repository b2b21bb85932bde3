// The working calendar (calendar.hpp).
#include "layers/dispatch/calendar.hpp"

#include "core/errors.hpp"
#include "core/time.hpp"
#include "layers/model/model.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace onemap::layers {

namespace {

// "HH:MM" → seconds since midnight (24:00 allowed as the end of the day).
int32_t parse_clock(const std::string& key, const std::string& s) {
  if (s.size() != 5 || s[2] != ':' || !std::isdigit(static_cast<unsigned char>(s[0])) ||
      !std::isdigit(static_cast<unsigned char>(s[1])) ||
      !std::isdigit(static_cast<unsigned char>(s[3])) ||
      !std::isdigit(static_cast<unsigned char>(s[4])))
    throw InvalidArgument(key, "'" + s + "' is not a time HH:MM");
  const int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0))
    throw InvalidArgument(key, "'" + s + "' is not a time of day");
  return h * 3600 + m * 60;
}

// "YYYY-MM-DD" → days since 1970-01-01.
int64_t parse_date(const std::string& key, const std::string& s) {
  const auto t = s.size() == 10 ? parse_time(s + "T00:00:00Z", 0) : std::nullopt;
  if (!t) throw InvalidArgument(key, "'" + s + "' is not a date YYYY-MM-DD");
  return core::day_of(*t);
}

}  // namespace

WorkingCalendar::WorkingCalendar() {
  periods_ = {{8 * 3600 + 30 * 60, 12 * 3600}, {13 * 3600 + 30 * 60, 17 * 3600 + 30 * 60}};
  for (int d = 0; d < 5; ++d) weekdays_[d] = true;
}

WorkingCalendar WorkingCalendar::from_json(std::string_view text) {
  WorkingCalendar c;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    throw InvalidArgument("calendar", std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw InvalidArgument("calendar", "must be a JSON object");
  for (const auto& [k, v] : j.items())
    if (k != "utc_offset" && k != "hours" && k != "weekdays" && k != "holidays" && k != "workdays")
      throw InvalidArgument(
          k, "unknown key in the calendar (keys: utc_offset, hours, weekdays, holidays, workdays)");
  if (j.contains("utc_offset")) {
    const auto& v = j["utc_offset"];
    const std::string s = v.is_string() ? v.get<std::string>() : "";
    if (s.size() != 6 || (s[0] != '+' && s[0] != '-'))
      throw InvalidArgument("utc_offset", "expected +HH:MM or -HH:MM");
    const int32_t off = parse_clock("utc_offset", s.substr(1));
    if (off > 14 * 3600) throw InvalidArgument("utc_offset", "must be within 14 hours of UTC");
    c.offset_ = s[0] == '-' ? -off : off;
  }
  if (j.contains("hours")) {
    const auto& v = j["hours"];
    if (!v.is_array())
      throw InvalidArgument("hours", "must be a list of [\"HH:MM\", \"HH:MM\"] periods");
    c.periods_.clear();
    for (const auto& p : v) {
      if (!p.is_array() || p.size() != 2 || !p[0].is_string() || !p[1].is_string())
        throw InvalidArgument("hours", "each period is [\"HH:MM\", \"HH:MM\"]");
      const Period per{parse_clock("hours", p[0].get<std::string>()),
                       parse_clock("hours", p[1].get<std::string>())};
      if (per.begin >= per.end) throw InvalidArgument("hours", "a period must end after it begins");
      if (!c.periods_.empty() && per.begin < c.periods_.back().end)
        throw InvalidArgument("hours", "periods must be in order and must not overlap");
      c.periods_.push_back(per);
    }
  }
  if (j.contains("weekdays")) {
    const auto& v = j["weekdays"];
    if (!v.is_array())
      throw InvalidArgument("weekdays", "must be a list of 1 (Monday) to 7 (Sunday)");
    std::fill(std::begin(c.weekdays_), std::end(c.weekdays_), false);
    for (const auto& d : v) {
      if (!d.is_number_integer() || d.get<int>() < 1 || d.get<int>() > 7)
        throw InvalidArgument("weekdays", "each day is 1 (Monday) to 7 (Sunday)");
      c.weekdays_[d.get<int>() - 1] = true;
    }
  }
  auto dates = [&](const char* key, std::vector<int64_t>& out) {
    if (!j.contains(key)) return;
    if (!j[key].is_array()) throw InvalidArgument(key, "must be a list of dates YYYY-MM-DD");
    for (const auto& d : j[key]) {
      if (!d.is_string()) throw InvalidArgument(key, "must be a list of dates YYYY-MM-DD");
      out.push_back(parse_date(key, d.get<std::string>()));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  };
  dates("holidays", c.holidays_);
  dates("workdays", c.workdays_);
  for (int64_t d : c.workdays_)
    if (std::binary_search(c.holidays_.begin(), c.holidays_.end(), d))
      throw InvalidArgument("workdays", "a date is both a holiday and a workday");
  return c;
}

int64_t WorkingCalendar::day_of(int64_t t) const {
  return core::day_of(t + offset_);
}
int64_t WorkingCalendar::midnight(int64_t day) const {
  return day * core::kSecondsPerDay - offset_;
}

int64_t WorkingCalendar::day_seconds() const {
  int64_t s = 0;
  for (const auto& p : periods_) s += p.end - p.begin;
  return s;
}

bool WorkingCalendar::working_day(int64_t day) const {
  if (std::binary_search(workdays_.begin(), workdays_.end(), day)) return true;
  if (std::binary_search(holidays_.begin(), holidays_.end(), day)) return false;
  return weekdays_[core::iso_weekday(day) - 1];
}

bool WorkingCalendar::is_working_day(int64_t t) const {
  return working_day(day_of(t));
}

bool WorkingCalendar::is_working_time(int64_t t) const {
  const int64_t day = day_of(t);
  if (!working_day(day)) return false;
  const int64_t s = t - midnight(day);
  for (const auto& p : periods_)
    if (s >= p.begin && s < p.end) return true;
  return false;
}

int64_t WorkingCalendar::add_working_seconds(int64_t start, int64_t seconds) const {
  if (seconds < 0) throw InvalidArgument("seconds", "must not be negative");
  if (seconds == 0) return start;
  if (day_seconds() == 0 ||
      (std::none_of(std::begin(weekdays_), std::end(weekdays_), [](bool b) { return b; }) &&
       workdays_.empty()))
    throw InvalidArgument("calendar", "has no working time");
  int64_t day = day_of(start);
  int64_t t = start;
  // Each turn consumes a day; a calendar with any working weekday has one in every 7 days.
  for (int64_t turns = 0; turns < 100000 + seconds / std::max<int64_t>(1, day_seconds()) * 7;
       ++turns) {
    if (working_day(day)) {
      const int64_t m = midnight(day);
      for (const auto& p : periods_) {
        const int64_t b = std::max(m + p.begin, t), e = m + p.end;
        if (b >= e) continue;
        if (seconds <= e - b) return b + seconds;
        seconds -= e - b;
      }
    }
    ++day;
    t = midnight(day);
  }
  throw InvalidArgument("calendar",
                        "has no working time within reach (only workdays in the past?)");
}

int64_t WorkingCalendar::add_working_days(int64_t start, int days) const {
  if (days < 1) throw InvalidArgument("days", "must be at least 1");
  if (periods_.empty()) throw InvalidArgument("calendar", "has no working hours");
  int64_t day = day_of(start);
  for (int counted = 0, turns = 0; counted < days; ++turns) {
    if (turns > days * 7 + 100000)
      throw InvalidArgument("calendar", "has no working days within reach");
    ++day;
    if (working_day(day)) ++counted;
  }
  return midnight(day) + periods_.back().end;
}

int64_t WorkingCalendar::working_seconds_between(int64_t a, int64_t b) const {
  int64_t total = 0;
  if (b <= a) return 0;
  for (int64_t day = day_of(a); midnight(day) < b; ++day) {
    if (!working_day(day)) continue;
    const int64_t m = midnight(day);
    for (const auto& p : periods_) {
      const int64_t lo = std::max(a, m + p.begin), hi = std::min(b, m + p.end);
      if (hi > lo) total += hi - lo;
    }
  }
  return total;
}

}  // namespace onemap::layers
