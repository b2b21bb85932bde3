// The dispatch configuration (data/dispatch.json + data/categories.csv): the incident categories
// with who handles them, their deadlines and the roles that may take them; the working calendar
// the deadlines are counted in; the workload cap and the escalation step.
//
// dispatch.json:
//   {"categories": "categories.csv",          // path, relative to the JSON file
//    "agencies": "agencies.csv",               // layers/dispatch/agencies.hpp (optional)
//    "workload_cap": 5,                        // open incidents a worker may hold at once
//    "escalation_working_hours": 8,            // time each higher level gets after an escalation
//    "calendar": {…},                          // layers/dispatch/calendar.hpp
//                                              // WorkingCalendar::from_json
//    "triage": {                               // the command centre's intake queue (TriageConfig)
//      "sources": ["hotline_12345", "petition"],  // channels whose reports wait for the centre
//      "queue_duplicates": true,               // a report with a suggested duplicate waits too
//      "duplicates": {"distance_m": 300, "hours": 72, "min_score": 0.46}}}
//
// categories.csv columns: code, name_zh, name_en, class, handler (`grid` or a department),
// deadline (`4h` around the clock, `2wh` working hours, `15wd` working days), roles (worker roles
// that may handle a grid category, separated by `|`: grid_head, full_time, part_time, cadre,
// aux_police; empty for a department's), weight (the demo generator's relative frequency), and
// optionally visibility (`public`, or `counts` for a sensitive category the public sees as counts).
#pragma once

#include "layers/dispatch/agencies.hpp"
#include "layers/dispatch/calendar.hpp"
#include "layers/model/model.hpp"

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace onemap::layers {

/// A time allowed to resolve an incident.
struct Deadline {
  enum class Unit { Hours, WorkingHours, WorkingDays };
  double amount = 1;
  Unit unit = Unit::WorkingDays;

  /// "4h", "2wh", "1.5wh", "15wd". @throws InvalidArgument(parameter, …).
  static Deadline parse(std::string_view text, const std::string& parameter);
  /// The text parse() reads.
  std::string text() const;
  /// When an incident that starts at `start` is due.
  int64_t due(int64_t start, const WorkingCalendar& calendar) const;
  /// A rough length in calendar hours (a working day as 24 h, a working hour as 4.5 h: a week
  /// holds 37.5 working hours), for the demo generator's simulated life cycles.
  double approx_hours() const;
};

struct CategoryConfig {
  std::string code, name_zh, name_en, cls;
  std::string handler = "grid";  ///< "grid", or the department that takes the category
  Deadline deadline;
  std::vector<WorkerRole> roles;  ///< grid team roles that may handle it
  double weight = 1;
  bool sensitive = false;  ///< visibility "counts": the public sees its incidents as counts only

  bool grid_handled() const { return handler == "grid"; }
  bool role_allowed(WorkerRole r) const;
};

/// Reads a UTF-8 CSV file with a header line (double-quoted fields allowed, "" inside quotes is
/// a quote, a BOM is skipped) into rows keyed by column name. @throws Error when the file cannot
/// be read, a required column is missing or a line has the wrong number of fields.
std::vector<std::map<std::string, std::string>> read_csv_table(
    const std::string& path, const std::vector<std::string>& required);

/// The same from the file's text; `name` stands for the file in errors.
std::vector<std::map<std::string, std::string>> parse_csv_table(
    std::string_view text, const std::string& name, const std::vector<std::string>& required);

/// Reads categories.csv. @throws InvalidArgument naming the line and column of a bad value,
/// Error when the file cannot be read.
std::vector<CategoryConfig> read_categories_csv(const std::string& path);
/// The same from the file's text; `name` stands for the file in errors.
std::vector<CategoryConfig> parse_categories_csv(std::string_view text, const std::string& name);

/// When a new report is suggested as a duplicate of an incident (layers/triage/duplicates.hpp):
/// both in the same category or the same class, within `distance_m` of each other, reported
/// within `hours` of each other, and scoring at least `min_score`.
struct DuplicateRule {
  double distance_m = 300;
  double hours = 72;
  double min_score = 0.46;
};

/// Which reports wait in the command centre's intake queue (工单准入) for a person to admit,
/// reject or merge them, instead of being routed at once. A report that cannot be placed (an
/// address the gazetteer does not know well enough) always waits.
struct TriageConfig {
  std::vector<std::string> sources;  ///< channels whose every report waits
  bool queue_duplicates = false;     ///< a report with a suggested duplicate waits too
  DuplicateRule duplicates;

  bool queues_source(std::string_view source) const;
};

struct DispatchConfig {
  std::vector<CategoryConfig>
      categories;  ///< empty: any category code, handled by the grid, no deadline
  std::vector<AgencyConfig> agencies;  ///< the departments and units beside the areas' own
  WorkingCalendar calendar;
  int workload_cap = 5;
  double escalation_working_hours = 8;
  TriageConfig triage;
  std::string source;  ///< the file it was read from ("" for the defaults)

  /// The category with `code`, or null.
  const CategoryConfig* find(std::string_view code) const;
  /// Reads dispatch.json and the categories file it names. @throws InvalidArgument (naming the
  /// key) or Error (file).
  static DispatchConfig load(const std::string& path);
  /// The same from the text of dispatch.json read from `path`; `read_categories` reads the
  /// categories file it names (read_categories_csv when unset).
  static DispatchConfig from_json(
      std::string_view text, const std::string& path,
      const std::function<std::vector<CategoryConfig>(const std::string& path)>& read_categories =
          {});
  /// The departments named by the categories and the agencies configured (a town unit once per
  /// town of `grids`), sorted, without duplicates: what a department user's scope may name.
  std::vector<std::string> departments(const std::vector<Grid>& grids = {}) const;
};

}  // namespace onemap::layers
