// The working calendar that incident deadlines are counted in: working periods of a day (e.g.
// 08:30-12:00 and 13:30-17:30, local time), the working weekdays, public holidays, and the
// weekend days made working days in exchange for them (调休), all in one local UTC offset.
//
// Deadlines come in working hours (counted through the working periods only: a 2-hour case
// reported at 11:30 is due at 15:00 with a 12:00-13:30 lunch break) or working days (due at the
// end of the N-th working day after the day it came in).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace onemap::layers {

class WorkingCalendar {
 public:
  /// Mon-Fri 08:30-12:00 and 13:30-17:30 at UTC+8, no holidays.
  WorkingCalendar();

  /// From JSON: {"utc_offset": "+08:00", "hours": [["08:30", "12:00"], ["13:30", "17:30"]],
  /// "weekdays": [1, 2, 3, 4, 5] (1 = Monday … 7 = Sunday), "holidays": ["2026-10-01", …],
  /// "workdays": ["2026-09-27", …]}; absent keys keep the defaults.
  /// @throws InvalidArgument naming the key for a bad value (periods must be increasing and not
  /// overlap, times HH:MM within a day, dates YYYY-MM-DD, no date both a holiday and a workday).
  static WorkingCalendar from_json(std::string_view text);

  /// Whether the local day holding `t` (Unix seconds) is a working day.
  bool is_working_day(int64_t t) const;
  /// Whether `t` falls inside a working period of a working day (periods are half-open: the
  /// period's end is not working time).
  bool is_working_time(int64_t t) const;

  /// The instant when `seconds` of working time have passed since `start` (Unix seconds). With 0,
  /// `start` itself. @throws InvalidArgument ("seconds") for a negative amount, or when the
  /// calendar has no working time at all.
  int64_t add_working_seconds(int64_t start, int64_t seconds) const;
  /// The end of the `days`-th working day after the local day of `start` (days >= 1).
  int64_t add_working_days(int64_t start, int days) const;
  /// Working seconds in [a, b) (0 when b <= a).
  int64_t working_seconds_between(int64_t a, int64_t b) const;

 private:
  struct Period {
    int32_t begin, end;  ///< seconds since local midnight, begin < end
  };
  int32_t offset_ = 8 * 3600;      ///< local time = UTC + offset
  std::vector<Period> periods_;    ///< increasing, not overlapping
  bool weekdays_[7] = {};          ///< [0] Monday … [6] Sunday
  std::vector<int64_t> holidays_;  ///< local day numbers (days since 1970-01-01), sorted
  std::vector<int64_t> workdays_;  ///< likewise

  bool working_day(int64_t day) const;  ///< by local day number
  int64_t day_of(int64_t t) const;      ///< the local day number of t
  int64_t midnight(int64_t day) const;  ///< Unix seconds of that local midnight
  int64_t day_seconds() const;          ///< working seconds in a working day
};

}  // namespace onemap::layers
