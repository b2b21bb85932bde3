#include "layers/dispatch/agencies.hpp"

#include "core/errors.hpp"
#include "layers/dispatch/dispatch_config.hpp"
#include "layers/model/text.hpp"

#include <algorithm>

namespace onemap::layers {

std::vector<AgencyConfig> parse_agencies_csv(std::string_view text, const std::string& name) {
  std::vector<AgencyConfig> out;
  std::size_t line = 1;
  for (auto& row : parse_csv_table(text, name, {"code", "name", "level", "area"})) {
    const std::string where = name + " line " + std::to_string(++line) + ": ";
    AgencyConfig a{row["code"], row["name"], row["level"], row["area"]};
    try {
      check_text(a.code, "code", TextKind::Id);
      check_text(a.name, "name", TextKind::Name);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(e.parameter(), where + e.detail());
    }
    if (a.code.empty() || a.code.find(',') != std::string::npos ||
        a.code.find_first_not_of("0123456789") == std::string::npos)
      throw InvalidArgument("code", where +
                                        "an agency code is text without commas, not only "
                                        "digits (area codes name the areas' own agencies)");
    if (a.name.empty()) throw InvalidArgument("name", where + "empty name");
    if (a.level != "county" && a.level != "town" && a.level != "village")
      throw InvalidArgument("level", where + "level must be county, town or village");
    if (!a.area.empty()) {
      const auto l = level_from_code(a.area);
      if (!l || (a.level == "town" && *l != GridLevel::Town) ||
          (a.level == "village" && *l != GridLevel::Village) ||
          (a.level == "county" && *l != GridLevel::County))
        throw InvalidArgument("area", where + "area must be the code of the " + a.level +
                                          " it serves (or empty: the county; for a town unit, "
                                          "every town)");
    } else if (a.level == "village") {
      throw InvalidArgument("area", where + "a village agency names its village");
    }
    for (const auto& o : out)
      if (o.code == a.code)
        throw InvalidArgument("code", where + "agency " + a.code + " appears twice");
    out.push_back(std::move(a));
  }
  return out;
}

bool Agency::serves(std::string_view grid_code) const {
  return area.empty() || grid_code.starts_with(area);
}

AgencyDirectory::AgencyDirectory(const std::vector<AgencyConfig>& config,
                                 const std::vector<Grid>& grids) {
  std::vector<const Grid*> towns;
  for (const Grid& g : grids) {
    // A town's agency is its command centre; a village's its committee (the divisions name
    // them 村委会 or 居委会 already); a grid's its team.
    static constexpr const char* kKinds[] = {"county", "centre", "committee", "team", "team"};
    static constexpr const char* kSuffix[] = {"", "综合信息指挥室", "村（居）委会", "网格", "网格"};
    const auto l = static_cast<std::size_t>(g.level);
    if (g.level == GridLevel::County || g.level == GridLevel::MicroGrid) continue;
    const std::string_view suffix = kSuffix[l];
    const bool named = g.name.ends_with(suffix) || (g.level == GridLevel::Village &&
                                                    std::string_view(g.name).ends_with("委会"));
    agencies_.push_back({g.code, named ? g.name : g.name + std::string(suffix),
                         std::string(level_name(g.level)), g.code, kKinds[l]});
    if (g.level == GridLevel::Town) towns.push_back(&g);
  }
  auto area_name = [&](const std::string& code) -> const Grid* {
    for (const Grid& g : grids)
      if (g.code == code) return &g;
    return nullptr;
  };
  for (const AgencyConfig& c : config) {
    if (c.level == "town" && c.area.empty()) {
      for (const Grid* t : towns)
        agencies_.push_back(
            {t->code + "." + c.code, t->name + c.name, "town", t->code, "department"});
      continue;
    }
    if (!c.area.empty() && c.level != "county" && !area_name(c.area))
      throw InvalidArgument("area", "agency " + c.code + " serves " + c.area + ", which is no " +
                                        c.level + " of the county");
    agencies_.push_back({c.code, c.name, c.level, c.level == "county" ? "" : c.area, "department"});
  }
  std::sort(agencies_.begin(), agencies_.end(),
            [](const Agency& a, const Agency& b) { return a.code < b.code; });
  for (std::size_t i = 1; i < agencies_.size(); ++i)
    if (agencies_[i].code == agencies_[i - 1].code)
      throw InvalidArgument("code", "agency " + agencies_[i].code + " is configured twice");
}

const Agency* AgencyDirectory::find(std::string_view code) const {
  const auto it = std::lower_bound(agencies_.begin(), agencies_.end(), code,
                                   [](const Agency& a, std::string_view c) { return a.code < c; });
  return it != agencies_.end() && it->code == code ? &*it : nullptr;
}

const Agency& AgencyDirectory::get(std::string_view code, const std::string& parameter) const {
  if (const Agency* a = find(code)) return *a;
  throw InvalidArgument(parameter, "no agency '" + std::string(code) +
                                       "' (GET /agencies lists them: departments, town units, "
                                       "towns, villages and grids by their codes)");
}

}  // namespace onemap::layers
