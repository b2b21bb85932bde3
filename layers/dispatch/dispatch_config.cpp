// The dispatch configuration (dispatch_config.hpp).
#include "layers/dispatch/dispatch_config.hpp"

#include "core/errors.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace onemap::layers {

namespace fs = std::filesystem;

namespace {

/// Splits one CSV line (double-quoted fields allowed, "" inside quotes is a quote).
std::vector<std::string> split_csv(std::string_view line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

std::string read_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + what + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::vector<std::map<std::string, std::string>> read_csv_table(
    const std::string& path, const std::vector<std::string>& required) {
  return parse_csv_table(read_file(path, ""), path, required);
}

std::vector<std::map<std::string, std::string>> parse_csv_table(
    std::string_view text, const std::string& path, const std::vector<std::string>& required) {
  std::istringstream in{std::string(text)};
  std::string line;
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_no == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // UTF-8 BOM
    if (line.empty()) continue;
    auto fields = split_csv(line);
    if (header.empty()) {
      header = fields;
      for (const auto& r : required)
        if (std::find(header.begin(), header.end(), r) == header.end())
          throw Error(path + ": missing column '" + r + "'");
      continue;
    }
    if (fields.size() != header.size())
      throw Error(path + " line " + std::to_string(line_no) + ": expected " +
                  std::to_string(header.size()) + " fields, found " +
                  std::to_string(fields.size()));
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; i < header.size(); ++i) row[header[i]] = fields[i];
    rows.push_back(std::move(row));
  }
  return rows;
}

Deadline Deadline::parse(std::string_view text, const std::string& parameter) {
  Deadline d;
  std::string_view number = text;
  if (text.size() > 2 && text.substr(text.size() - 2) == "wh") {
    d.unit = Unit::WorkingHours;
    number.remove_suffix(2);
  } else if (text.size() > 2 && text.substr(text.size() - 2) == "wd") {
    d.unit = Unit::WorkingDays;
    number.remove_suffix(2);
  } else if (text.size() > 1 && text.back() == 'h') {
    d.unit = Unit::Hours;
    number.remove_suffix(1);
  } else {
    throw InvalidArgument(
        parameter,
        "deadline '" + std::string(text) +
            "' must be a number with a unit: h (hours), wh (working hours) or wd (working days)");
  }
  double v = 0;
  const auto [p, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
  if (ec != std::errc() || p != number.data() + number.size() || !std::isfinite(v) || v <= 0 ||
      v > 10000)
    throw InvalidArgument(
        parameter, "deadline '" + std::string(text) + "' needs a positive number before its unit");
  if (d.unit == Unit::WorkingDays && v != std::floor(v))
    throw InvalidArgument(parameter,
                          "deadline '" + std::string(text) + "': working days are whole days");
  d.amount = v;
  return d;
}

std::string Deadline::text() const {
  std::ostringstream os;
  os << amount << (unit == Unit::Hours ? "h" : unit == Unit::WorkingHours ? "wh" : "wd");
  return os.str();
}

int64_t Deadline::due(int64_t start, const WorkingCalendar& calendar) const {
  switch (unit) {
    case Unit::Hours:
      return start + static_cast<int64_t>(std::llround(amount * 3600));
    case Unit::WorkingHours:
      return calendar.add_working_seconds(start, static_cast<int64_t>(std::llround(amount * 3600)));
    case Unit::WorkingDays:
      return calendar.add_working_days(start, static_cast<int>(amount));
  }
  return start;
}

double Deadline::approx_hours() const {
  switch (unit) {
    case Unit::Hours:
      return amount;
    case Unit::WorkingHours:
      return amount * 4.5;
    case Unit::WorkingDays:
      return amount * 24;
  }
  return amount;
}

bool CategoryConfig::role_allowed(WorkerRole r) const {
  return std::find(roles.begin(), roles.end(), r) != roles.end();
}

std::vector<CategoryConfig> read_categories_csv(const std::string& path) {
  return parse_categories_csv(read_file(path, ""), path);
}

std::vector<AgencyConfig> read_agencies_csv(const std::string& path) {
  return parse_agencies_csv(read_file(path, ""), path);
}

std::vector<CategoryConfig> parse_categories_csv(std::string_view text, const std::string& path) {
  std::vector<CategoryConfig> out;
  std::size_t line = 1;
  for (auto& row : parse_csv_table(
           text, path,
           {"code", "name_zh", "name_en", "class", "handler", "deadline", "roles", "weight"})) {
    ++line;
    const std::string where = path + " line " + std::to_string(line);
    CategoryConfig c;
    c.code = row["code"];
    if (c.code.empty()) throw InvalidArgument("code", where + ": empty category code");
    for (const auto& o : out)
      if (o.code == c.code)
        throw InvalidArgument("code", where + ": category " + c.code + " appears twice");
    c.name_zh = row["name_zh"];
    c.name_en = row["name_en"];
    c.cls = row["class"];
    c.handler = row["handler"];
    if (c.handler.empty())
      throw InvalidArgument("handler", where + ": empty handler (grid or a department)");
    c.deadline = Deadline::parse(row["deadline"], "deadline");
    std::string_view roles = row["roles"];
    while (!roles.empty()) {
      const auto bar = roles.find('|');
      const std::string_view r = roles.substr(0, bar);
      try {
        c.roles.push_back(role_from_name(r));
      } catch (const InvalidArgument&) {
        throw InvalidArgument("roles",
                              where + ": unknown worker role '" + std::string(r) +
                                  "' (grid_head, full_time, part_time, cadre, aux_police, other)");
      }
      roles = bar == std::string_view::npos ? std::string_view() : roles.substr(bar + 1);
    }
    if (c.grid_handled() && c.roles.empty())
      throw InvalidArgument(
          "roles", where + ": category " + c.code + " is handled by the grid but names no roles");
    try {
      std::size_t used = 0;
      c.weight = std::stod(row["weight"], &used);
      if (used != row["weight"].size() || !std::isfinite(c.weight) || c.weight < 0)
        throw std::invalid_argument("");
    } catch (const std::exception&) {
      throw InvalidArgument("weight", where + ": weight must be a non-negative number");
    }
    // Optional: "counts" marks a sensitive category (涉稳, 信访, …), shown to the public as counts
    // only.
    if (const auto v = row.find("visibility"); v != row.end() && !v->second.empty()) {
      if (v->second != "public" && v->second != "counts")
        throw InvalidArgument("visibility", where + ": visibility must be public or counts");
      c.sensitive = v->second == "counts";
    }
    out.push_back(std::move(c));
  }
  if (out.empty()) throw InvalidArgument("categories", path + ": no categories");
  return out;
}

const CategoryConfig* DispatchConfig::find(std::string_view code) const {
  for (const auto& c : categories)
    if (c.code == code) return &c;
  return nullptr;
}

std::vector<std::string> DispatchConfig::departments(const std::vector<Grid>& grids) const {
  std::vector<std::string> out;
  for (const auto& c : categories)
    if (!c.grid_handled()) out.push_back(c.handler);
  const AgencyDirectory directory(agencies, grids);
  for (const auto& a : directory.all())
    if (a.kind == "department") out.push_back(a.code);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

DispatchConfig DispatchConfig::load(const std::string& path) {
  return from_json(read_file(path, "the dispatch configuration "), path);
}

bool TriageConfig::queues_source(std::string_view source) const {
  return std::find(sources.begin(), sources.end(), source) != sources.end();
}

namespace {

// A number of `parameter` in [lo, hi] (`range` says so to the reader).
double number_in(const nlohmann::json& v, const std::string& parameter, double lo, double hi,
                 const char* range) {
  if (!v.is_number() || v.get<double>() < lo || v.get<double>() > hi)
    throw InvalidArgument(parameter, std::string("must be a number in ") + range);
  return v.get<double>();
}

TriageConfig read_triage(const nlohmann::json& j) {
  if (!j.is_object()) throw InvalidArgument("triage", "must be an object");
  TriageConfig t;
  for (const auto& [k, v] : j.items()) {
    if (k == "sources") {
      if (!v.is_array()) throw InvalidArgument("triage.sources", "must be an array of channels");
      for (const auto& s : v) {
        if (!s.is_string() || s.get<std::string>().empty())
          throw InvalidArgument("triage.sources", "must hold channel names (e.g. hotline_12345)");
        t.sources.push_back(s.get<std::string>());
      }
    } else if (k == "queue_duplicates") {
      if (!v.is_boolean())
        throw InvalidArgument("triage.queue_duplicates", "must be true or false");
      t.queue_duplicates = v.get<bool>();
    } else if (k == "duplicates") {
      if (!v.is_object()) throw InvalidArgument("triage.duplicates", "must be an object");
      for (const auto& [dk, dv] : v.items()) {
        const std::string name = "triage.duplicates." + dk;
        if (dk == "distance_m")
          t.duplicates.distance_m = number_in(dv, name, 1, 10'000, "[1, 10000]");
        else if (dk == "hours")
          t.duplicates.hours = number_in(dv, name, 0.1, 24 * 365, "[0.1, 8760]");
        else if (dk == "min_score")
          t.duplicates.min_score = number_in(dv, name, 0, 1, "[0, 1]");
        else
          throw InvalidArgument(name, "unknown key (keys: distance_m, hours, min_score)");
      }
    } else {
      throw InvalidArgument("triage." + k,
                            "unknown key (keys: sources, queue_duplicates, duplicates)");
    }
  }
  return t;
}

}  // namespace

DispatchConfig DispatchConfig::from_json(
    std::string_view text, const std::string& path,
    const std::function<std::vector<CategoryConfig>(const std::string& path)>& read_categories) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    throw InvalidArgument("config", path + " is not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw InvalidArgument("config", path + " must hold a JSON object");
  DispatchConfig c;
  c.source = path;
  for (const auto& [k, v] : j.items()) {
    if (k == "categories") {
      if (!v.is_string()) throw InvalidArgument(k, "must be the path of the categories CSV file");
      fs::path p = v.get<std::string>();
      if (p.is_relative()) p = fs::path(path).parent_path() / p;
      c.categories =
          read_categories ? read_categories(p.string()) : read_categories_csv(p.string());
    } else if (k == "agencies") {
      if (!v.is_string()) throw InvalidArgument(k, "must be the path of the agencies CSV file");
      fs::path p = v.get<std::string>();
      if (p.is_relative()) p = fs::path(path).parent_path() / p;
      c.agencies = read_agencies_csv(p.string());
    } else if (k == "workload_cap") {
      if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 1000)
        throw InvalidArgument(k, "must be an integer in [1, 1000]");
      c.workload_cap = v.get<int>();
    } else if (k == "escalation_working_hours") {
      if (!v.is_number() || v.get<double>() <= 0 || v.get<double>() > 1000)
        throw InvalidArgument(k, "must be a number of working hours in (0, 1000]");
      c.escalation_working_hours = v.get<double>();
    } else if (k == "calendar") {
      c.calendar = WorkingCalendar::from_json(v.dump());
    } else if (k == "triage") {
      c.triage = read_triage(v);
    } else {
      throw InvalidArgument(
          k, "unknown key in " + path +
                 " (keys: categories, agencies, workload_cap, escalation_working_hours, calendar, "
                 "triage)");
    }
  }
  // A department a category names is one of the agencies, when they are configured.
  if (!c.agencies.empty())
    for (const auto& cat : c.categories) {
      if (cat.grid_handled()) continue;
      if (std::none_of(c.agencies.begin(), c.agencies.end(),
                       [&](const AgencyConfig& a) { return a.code == cat.handler; }))
        throw InvalidArgument("agencies", "category " + cat.code + " is handled by " + cat.handler +
                                              ", which the agencies file lacks");
    }
  return c;
}

}  // namespace onemap::layers
