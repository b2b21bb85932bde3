// The labelled set of reports for duplicate suggestion (duplicate_reports.hpp).
#include "tools/demo/duplicate_reports.hpp"

#include "tools/demo/draws.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>

namespace onemap::layers {

namespace {

constexpr const char* kLandmarks[] = {"路口",     "桥边",     "菜场门口",   "村委会旁",
                                      "小区门口", "公交站旁", "河边",       "学校附近",
                                      "祠堂前",   "停车场",   "文化礼堂边", "超市对面"};
constexpr const char* kDetails[] = {
    "好几天了没人管",     "影响居民出行",     "希望尽快处理",     "气味很大",     "之前反映过一次",
    "晚上特别严重",       "存在安全隐患",     "群众意见很大",     "请派人来看看", "早上路过发现的",
    "老人小孩经过很危险", "周边商户也在抱怨", "拍了照片可以提供", "已经持续一周"};
constexpr int64_t kHour = 3600;

// Where a resident says it is: the village and group of the household's address, or only a
// landmark.
struct Place {
  std::string village_group;  ///< "城西村3组" ("" when the address has no group)
  std::string landmark;
};

Place place_of(const Household& h, Draws& draw) {
  Place p;
  const auto zu = h.address.find("组");
  if (zu != std::string::npos) {
    // From the village on: the address starts with its town (…镇 or …街道).
    std::size_t start = 0;
    for (const char* town_end : {"街道", "镇"})
      if (auto at = h.address.find(town_end); at != std::string::npos && at < zu)
        start = at + std::string_view(town_end).size();
    p.village_group = h.address.substr(start, zu + std::string_view("组").size() - start);
  }
  p.landmark = draw.pick(kLandmarks);
  return p;
}

// The problem in full (暴露垃圾) or in short, as people say it (垃圾: its last two characters).
std::string problem(const CategoryConfig& c, Draws& draw) {
  if (c.name_zh.size() > 6 && draw.chance(0.4)) return c.name_zh.substr(c.name_zh.size() - 6);
  return c.name_zh;
}

std::string describe(const Place& place, bool with_village, const CategoryConfig& c, Draws& draw) {
  std::string where = (with_village ? place.village_group : std::string()) + place.landmark;
  std::string what = problem(c, draw);
  std::string text = draw.chance(0.5) ? where + what : what + "，在" + where;
  const int details = 1 + static_cast<int>(draw.below(2));
  for (int i = 0; i < details; ++i) text += std::string("，") + draw.pick(kDetails);
  return text;
}

// "城西村3组" as another group of the village ("城西村5组"); "" stays "".
std::string other_group(const std::string& village_group, Draws& draw) {
  const auto zu = village_group.rfind("组");
  if (zu == std::string::npos) return village_group;
  std::size_t digits = zu;
  while (digits > 0 && village_group[digits - 1] >= '0' && village_group[digits - 1] <= '9')
    --digits;
  const int n = digits < zu ? std::stoi(village_group.substr(digits, zu - digits)) : 0;
  return village_group.substr(0, digits) + std::to_string(n + 1 + static_cast<int>(draw.below(3))) +
         "组";
}

// A point `metres` from `p` in a random direction.
LonLat offset(const LonLat& p, double metres, Draws& draw) {
  const double angle = draw.uniform(0, 2 * std::numbers::pi);
  const double dlat = metres * std::cos(angle) / 111'320;
  const double dlon =
      metres * std::sin(angle) / (111'320 * std::cos(p.lat * std::numbers::pi / 180));
  return {p.lon + dlon, p.lat + dlat};
}

}  // namespace

DuplicateSet duplicate_reports(const Dataset& data, const DispatchConfig& config,
                               std::size_t n_earlier, std::size_t n_reports, uint64_t seed) {
  if (data.households.empty() || config.categories.empty())
    throw std::invalid_argument("duplicate_reports needs households and categories");
  Draws draw(seed);
  const auto& cats = config.categories;
  // A month of earlier incidents, each with the place its reporter named.
  const int64_t start = 1'793'462'400;  // 2026-11-01T00:00:00Z
  DuplicateSet set;
  std::vector<Place> places;
  std::vector<std::size_t> cat_of;
  for (std::size_t i = 0; i < n_earlier; ++i) {
    const Household& h = data.households[draw.below(data.households.size())];
    Incident in;
    in.fid = static_cast<int64_t>(i) + 1;
    cat_of.push_back(draw.below(cats.size()));
    in.category = cats[cat_of.back()].code;
    in.location = offset(h.location, draw.uniform(0, 30), draw);
    in.reported_at = start + static_cast<int64_t>(draw.uniform(0, 30 * 24)) * kHour;
    places.push_back(place_of(h, draw));
    in.description = describe(places.back(), draw.chance(0.8), cats[cat_of.back()], draw);
    set.earlier.push_back(std::move(in));
  }
  // Another category of the same class, or the same one when the class has no other.
  auto sibling = [&](std::size_t c) {
    for (int tries = 0; tries < 20; ++tries) {
      const std::size_t k = draw.below(cats.size());
      if (k != c && cats[k].cls == cats[c].cls) return k;
    }
    return c;
  };
  auto other_class = [&](std::size_t c) {
    for (;;) {
      const std::size_t k = draw.below(cats.size());
      if (cats[k].cls != cats[c].cls) return k;
    }
  };
  for (std::size_t i = 0; i < n_reports; ++i) {
    const std::size_t b = draw.below(set.earlier.size());
    const Incident& base = set.earlier[b];
    LabelledReport r;
    Incident& in = r.report;
    std::size_t c = cat_of[b];
    Place place = places[b];
    bool with_village = draw.chance(0.8);
    double metres = 0, hours = 0;
    if (i % 2 == 0) {
      r.kind = "repeat";
      r.repeats = base.fid;
      if (draw.chance(0.15)) c = sibling(c);
      metres = draw.chance(0.85) ? draw.uniform(0, 120) : draw.uniform(120, 220);
      hours = draw.uniform(0.2, 48);
      if (draw.chance(0.4)) place.landmark = draw.pick(kLandmarks);  // another way to say where
    } else {
      switch ((i / 2) % 4) {
        case 0:  // the same problem again a week or more later
          r.kind = "later";
          metres = draw.uniform(0, 100);
          hours = draw.uniform(24 * 7, 24 * 20);
          break;
        case 1:  // the same problem a kilometre off
          r.kind = "far";
          metres = draw.uniform(500, 1500);
          hours = draw.uniform(0.2, 48);
          break;
        case 2:  // another kind of problem at the same spot
          r.kind = "other_class";
          c = other_class(c);
          metres = draw.uniform(0, 100);
          hours = draw.uniform(0.2, 48);
          break;
        default:  // the same kind of problem a street away, at another landmark and group
          r.kind = "elsewhere";
          metres = draw.uniform(120, 280);
          hours = draw.uniform(0.2, 48);
          for (int tries = 0; tries < 10 && place.landmark == places[b].landmark; ++tries)
            place.landmark = draw.pick(kLandmarks);
          place.village_group = other_group(place.village_group, draw);
          break;
      }
    }
    in.category = cats[c].code;
    in.location = offset(base.location, metres, draw);
    in.reported_at = base.reported_at + static_cast<int64_t>(hours * kHour);
    in.description = describe(place, with_village, cats[c], draw);
    set.reports.push_back(std::move(r));
  }
  return set;
}

SuggestionScore score_suggestions(const DuplicateSet& set,
                                  const std::function<int64_t(const Incident&)>& suggest,
                                  const std::string& kind) {
  SuggestionScore s;
  for (const auto& r : set.reports) {
    if (!kind.empty() && r.kind != kind) continue;
    ++s.reports;
    if (r.repeats) ++s.repeats;
    const int64_t got = suggest(r.report);
    if (got == 0) continue;
    ++s.suggested;
    if (got == r.repeats) ++s.correct;
  }
  return s;
}

}  // namespace onemap::layers
