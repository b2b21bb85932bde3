// Names, parsing and schemas of the layer model (model.hpp).
#include "layers/model/model.hpp"

#include "core/errors.hpp"
#include "core/time.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace onemap::layers {

namespace {

template <class E, std::size_t N>
E lookup(std::string_view name, const std::array<std::pair<std::string_view, E>, N>& table,
         const char* what) {
  for (const auto& [n, e] : table)
    if (n == name) return e;
  std::string allowed;
  for (const auto& [n, e] : table) {
    if (!allowed.empty()) allowed += ", ";
    allowed += n;
  }
  throw InvalidArgument(
      what, "unknown value '" + std::string(name) + "' (expected one of " + allowed + ")");
}

constexpr std::array<std::pair<std::string_view, LayerKind>, 5> kLayerNames{{
    {"grids", LayerKind::Grids},
    {"households", LayerKind::Households},
    {"enterprises", LayerKind::Enterprises},
    {"incidents", LayerKind::Incidents},
    {"workers", LayerKind::Workers},
}};

constexpr std::array<std::pair<std::string_view, GridLevel>, 5> kLevelNames{{
    {"county", GridLevel::County},
    {"town", GridLevel::Town},
    {"village", GridLevel::Village},
    {"grid", GridLevel::Grid},
    {"microgrid", GridLevel::MicroGrid},
}};

constexpr std::array<std::pair<std::string_view, RiskLevel>, 16> kRiskNames{{
    {"major", RiskLevel::Major},
    {"significant", RiskLevel::Significant},
    {"general", RiskLevel::General},
    {"low", RiskLevel::Low},
    {"1", RiskLevel::Major},
    {"2", RiskLevel::Significant},
    {"3", RiskLevel::General},
    {"4", RiskLevel::Low},
    {"重大", RiskLevel::Major},
    {"较大", RiskLevel::Significant},
    {"一般", RiskLevel::General},
    {"低", RiskLevel::Low},
    {"红", RiskLevel::Major},
    {"橙", RiskLevel::Significant},
    {"黄", RiskLevel::General},
    {"蓝", RiskLevel::Low},
}};

constexpr std::array<std::pair<std::string_view, WorkerRole>, 12> kRoleNames{{
    {"grid_head", WorkerRole::GridHead},
    {"full_time", WorkerRole::FullTime},
    {"part_time", WorkerRole::PartTime},
    {"cadre", WorkerRole::Cadre},
    {"aux_police", WorkerRole::AuxPolice},
    {"other", WorkerRole::Other},
    {"网格长", WorkerRole::GridHead},
    {"专职网格员", WorkerRole::FullTime},
    {"兼职网格员", WorkerRole::PartTime},
    {"包联干部", WorkerRole::Cadre},
    {"网格指导员", WorkerRole::Cadre},
    {"辅警", WorkerRole::AuxPolice},
}};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool read_int(std::string_view s, std::size_t& pos, std::size_t digits, int& out) {
  if (pos + digits > s.size()) return false;
  int v = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += digits;
  out = v;
  return true;
}

}  // namespace

std::string_view layer_name(LayerKind k) {
  return kLayerNames[static_cast<std::size_t>(k)].first;
}

std::string_view record_name(LayerKind k) {
  const std::string_view layer = layer_name(k);
  return layer.substr(0, layer.size() - 1);  // every layer's name is its record's plural in -s
}

LayerKind layer_from_name(std::string_view name) {
  return lookup(lower(name), kLayerNames, "layer");
}

std::string_view level_name(GridLevel l) {
  return kLevelNames[static_cast<std::size_t>(l)].first;
}

GridLevel level_from_name(std::string_view name) {
  std::string n = lower(name);
  if (n == "micro-grid" || n == "micro_grid") n = "microgrid";
  return lookup(n, kLevelNames, "level");
}

std::size_t code_length(GridLevel l) {
  return 6 + 3 * static_cast<std::size_t>(l);
}

std::optional<GridLevel> level_from_code(std::string_view code) {
  for (const auto& [n, l] : kLevelNames)
    if (code.size() == code_length(l)) {
      for (char c : code)
        if (c < '0' || c > '9') return std::nullopt;
      return l;
    }
  return std::nullopt;
}

std::string_view join_kind_name(JoinKind k) {
  switch (k) {
    case JoinKind::Contained:
      return "contained";
    case JoinKind::Nearest:
      return "nearest";
    case JoinKind::Unassigned:
      return "unassigned";
  }
  return "unassigned";
}

std::string_view risk_name(RiskLevel r) {
  return kRiskNames[static_cast<std::size_t>(r) - 1].first;
}

RiskLevel risk_from_name(std::string_view name) {
  return lookup(lower(name), kRiskNames, "risk");
}

std::string_view role_name(WorkerRole r) {
  return kRoleNames[static_cast<std::size_t>(r)].first;
}

WorkerRole role_from_name(std::string_view name) {
  return lookup(lower(name), kRoleNames, "role");
}

std::size_t Dataset::count(LayerKind k) const {
  return visit(k, [](const auto& records) { return records.size(); });
}

std::string_view geometry_type(LayerKind k) {
  return k == LayerKind::Grids ? "MultiPolygon" : "Point";
}

std::optional<int64_t> parse_time(std::string_view s, int default_utc_offset_s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  std::size_t p = 0;
  int offset = default_utc_offset_s;
  if (s.size() >= 10 && s[2] == '/' && s[5] == '/') {
    // MM/DD/YYYY [hh:mm[:ss] [AM|PM]] (US style, as in NYC 311 exports)
    if (!read_int(s, p, 2, mo) || s[p++] != '/' || !read_int(s, p, 2, d) || s[p++] != '/' ||
        !read_int(s, p, 4, y))
      return std::nullopt;
    if (p < s.size()) {
      if (s[p++] != ' ' || !read_int(s, p, 2, h) || p >= s.size() || s[p++] != ':' ||
          !read_int(s, p, 2, mi))
        return std::nullopt;
      if (p < s.size() && s[p] == ':') {
        ++p;
        if (!read_int(s, p, 2, sec)) return std::nullopt;
      }
      while (p < s.size() && s[p] == ' ') ++p;
      std::string ampm = lower(s.substr(p));
      if (ampm == "pm") {
        if (h < 12) h += 12;
      } else if (ampm == "am") {
        if (h == 12) h = 0;
      } else if (!ampm.empty()) {
        return std::nullopt;
      }
      p = s.size();
    }
  } else {
    if (!read_int(s, p, 4, y) || p >= s.size() || s[p++] != '-' || !read_int(s, p, 2, mo) ||
        p >= s.size() || s[p++] != '-' || !read_int(s, p, 2, d))
      return std::nullopt;
    if (p < s.size() && (s[p] == 'T' || s[p] == ' ')) {
      ++p;
      if (!read_int(s, p, 2, h) || p >= s.size() || s[p++] != ':' || !read_int(s, p, 2, mi))
        return std::nullopt;
      if (p < s.size() && s[p] == ':') {
        ++p;
        if (!read_int(s, p, 2, sec)) return std::nullopt;
        if (p < s.size() && s[p] == '.') {
          ++p;
          while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) ++p;
        }
      }
    }
    if (p < s.size()) {
      if (s[p] == 'Z' || s[p] == 'z') {
        offset = 0;
        ++p;
      } else if (s[p] == '+' || s[p] == '-') {
        int sign = s[p] == '-' ? -1 : 1;
        ++p;
        int oh = 0, om = 0;
        if (!read_int(s, p, 2, oh)) return std::nullopt;
        if (p < s.size() && s[p] == ':') ++p;
        if (p < s.size() && !read_int(s, p, 2, om)) return std::nullopt;
        if (oh > 18 || om > 59) return std::nullopt;  // offsets span -18:00 to +18:00
        offset = sign * (oh * 3600 + om * 60);
      }
    }
  }
  if (p != s.size()) return std::nullopt;
  // A real calendar day (2026-02-31 is no date, not 3 March) and a real time of day.
  const std::optional<int64_t> day = core::days_from_civil(y, mo, d);
  if (!day || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  return *day * core::kSecondsPerDay + int64_t{h} * 3600 + int64_t{mi} * 60 + sec - offset;
}

int64_t parse_request_time(std::string_view text, const std::string& parameter, int64_t now) {
  const auto t = parse_time(text);
  if (!t)
    throw InvalidArgument(
        parameter,
        "must be an ISO 8601 time with a real calendar date (e.g. 2026-11-20T08:30:00+08:00)");
  if (now == 0) now = static_cast<int64_t>(std::time(nullptr));
  if (*t < kEarliestRequestTime)
    throw InvalidArgument(parameter, "must not be before 2000-01-01T00:00:00Z");
  if (*t > now + kRequestClockSkew)
    throw InvalidArgument(
        parameter, "lies in the future (more than " + std::to_string(kRequestClockSkew / 60) +
                       " minutes ahead of the server's clock, " + format_time(now) + ")");
  return *t;
}

spatial::Box grids_extent(const std::vector<Grid>& grids) {
  spatial::Box extent;
  spatial::bg::assign_inverse(extent);
  for (const auto& g : grids)
    for (const auto& poly : g.geometry)
      for (const auto& p : poly.outer()) spatial::bg::expand(extent, p);
  return extent;
}

namespace {
template <class T>
spatial::Box points_extent(const std::vector<T>& records) {
  spatial::Box extent;
  spatial::bg::assign_inverse(extent);
  for (const auto& r : records)
    if (std::isfinite(r.location.lon) && std::isfinite(r.location.lat))
      spatial::bg::expand(extent, spatial::Point(r.location.lon, r.location.lat));
  return extent;
}
}  // namespace

spatial::Box layer_extent(const Dataset& d, LayerKind k) {
  return d.visit(k, [](const auto& records) {
    if constexpr (std::is_same_v<std::decay_t<decltype(records)>, std::vector<Grid>>)
      return grids_extent(records);
    else
      return points_extent(records);
  });
}

std::string format_time(int64_t t) {
  return std::string(time_text(t).view());
}

TimeText time_text(int64_t t) {
  TimeText out;
  core::write_iso8601(out.text, t);  // 0000-01-01T00:00:00 outside ISO 8601's four digits
  out.text[19] = 'Z';
  return out;
}

}  // namespace onemap::layers
