// Noisy addresses of the demo's households (address_noise.hpp).
#include "tools/demo/address_noise.hpp"

#include "layers/geocode/address.hpp"
#include "layers/geocode/county_gazetteer.hpp"
#include "tools/demo/draws.hpp"

#include <string_view>
#include <unordered_map>

namespace onemap::layers {

namespace {

using geocode::code_points;
using geocode::utf8;

// A number in Chinese numerals, as it is said: 12 → 十二, 105 → 一百零五, 1020 → 一千零二十.
std::string chinese(int n) {
  static const char* const kDigits[] = {"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"};
  if (n < 10) return kDigits[n];
  if (n < 20) return std::string("十") + (n % 10 ? kDigits[n % 10] : "");
  if (n < 100) return std::string(kDigits[n / 10]) + "十" + (n % 10 ? kDigits[n % 10] : "");
  if (n >= 10000) return std::to_string(n);
  const int unit = n < 1000 ? 100 : 1000;
  std::string out = std::string(kDigits[n / unit]) + (unit == 100 ? "百" : "千");
  const int rest = n % unit;
  if (rest == 0) return out;
  if (rest < unit / 10) return out + "零" + chinese(rest);  // 一百零五, 一千零二十
  return out + (rest < 20 ? std::string("一") : std::string()) + chinese(rest);
}

// Every run of ASCII digits of `s` passed through `f`.
template <class F>
std::string map_numbers(const std::string& s, F f) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] < '0' || s[i] > '9') {
      out += s[i++];
      continue;
    }
    std::size_t end = i;
    while (end < s.size() && s[end] >= '0' && s[end] <= '9') ++end;
    out += f(s.substr(i, end - i));
    i = end;
  }
  return out;
}

std::string full_width(const std::string& digits) {
  std::u32string w;
  for (char c : digits) w.push_back(static_cast<char32_t>(0xFF10 + (c - '0')));
  return utf8(w);
}

}  // namespace

std::vector<LabelledAddress> noisy_addresses(const Dataset& data, std::size_t n, uint64_t seed) {
  std::unordered_map<std::string, const Grid*> by_code;
  for (const Grid& g : data.grids) by_code[g.code] = &g;
  const geocode::VillageOf village_of(data.grids);
  Draws draw(seed);
  std::vector<LabelledAddress> out;
  if (data.households.empty()) return out;
  static const char* const kPrefixes[] = {"浙江省湖州市德清县", "德清县", "湖州市德清县",
                                          "浙江德清", "湖州德清县"};
  static const char* const kTeams[] = {"队", "小组", "村民小组"};
  static const char* const kLandmarks[] = {"附近", "门口", "旁边", "对面", "路口"};
  static const char* const kBuildings[] = {"1幢", "2幢1单元", "3栋201室", "东边那户"};
  static const char* const kTypos[] = {"和", "河", "桥", "山", "新", "东", "溪", "林"};
  for (std::size_t tries = 0; out.size() < n && tries < n * 10; ++tries) {
    const Household& h = data.households[draw.below(data.households.size())];
    const std::string village_code = village_of(h.join.grid_code);
    const auto v = by_code.find(village_code);
    if (v == by_code.end()) continue;
    const auto t = by_code.find(v->second->parent_code);
    if (t == by_code.end()) continue;
    // The registered address is town + village + tail; find the three.
    const std::string& town = t->second->name;
    if (h.address.compare(0, town.size(), town) != 0) continue;
    const std::string rest = h.address.substr(town.size());
    std::string village;
    for (std::string name = geocode::normalise(v->second->name);;) {
      if (rest.compare(0, name.size(), name) == 0) {
        village = name;
        break;
      }
      const std::string shorter =
          std::string_view(name).ends_with("社区") ? name.substr(0, name.size() - 6)
          : std::string_view(name).ends_with("村") ? name.substr(0, name.size() - 3)
                                                   : std::string();
      if (shorter.empty() || shorter == name) break;
      name = shorter;
    }
    if (village.empty()) continue;
    std::string tail = rest.substr(village.size());

    LabelledAddress a;
    a.address = h.address;
    a.lon = h.location.lon;
    a.lat = h.location.lat;
    a.village_code = village_code;
    std::vector<std::string> noise;
    auto noisy = [&](double p, const char* kind) {
      if (!draw.chance(p)) return false;
      noise.emplace_back(kind);
      return true;
    };
    std::string town_part = town;
    if (noisy(0.30, "no_town"))
      town_part.clear();
    else if (noisy(0.20, "short_town"))
      for (const char* kind : {"街道", "镇", "乡"})
        if (std::string_view(town).ends_with(kind) &&
            town.size() > std::string_view(kind).size() + 3) {
          town_part = town.substr(0, town.size() - std::string_view(kind).size());
          break;
        }
    std::string village_part = village;
    if (noisy(0.15, "short_village")) {
      for (const char* kind : {"社区", "村"})
        if (std::string_view(village).ends_with(kind) &&
            village.size() >= std::string_view(kind).size() + 6) {
          village_part = village.substr(0, village.size() - std::string_view(kind).size());
          break;
        }
    } else if (std::string_view(village).ends_with("村") && noisy(0.05, "committee")) {
      village_part += "委会";
    }
    if (noisy(0.08, "typo")) {
      std::u32string cps = code_points(village_part);
      if (cps.size() >= 2) cps[1 + draw.below(cps.size() - 1)] = code_points(draw.pick(kTypos))[0];
      village_part = utf8(cps);
    }
    if (noisy(0.05, "no_number")) {
      // The house number and its 号 go; the group or the road stays.
      const std::size_t mark = tail.rfind("号");
      std::size_t start = mark;
      while (start > 0 && tail[start - 1] >= '0' && tail[start - 1] <= '9') --start;
      if (mark != std::string::npos) tail.erase(start, mark + 3 - start);
      a.house = false;
    }
    if (noisy(0.08, "team")) {
      const std::size_t at = tail.find("组");
      if (at != std::string::npos) tail.replace(at, 3, draw.pick(kTeams));
    }
    if (noisy(0.20, "numerals"))
      tail = map_numbers(tail, [](const std::string& d) { return chinese(std::stoi(d)); });
    else if (noisy(0.10, "full_width"))
      tail = map_numbers(tail, full_width);
    if (noisy(0.05, "building")) tail += draw.pick(kBuildings);
    if (noisy(0.10, "landmark")) tail += draw.pick(kLandmarks);
    std::string sep;
    if (noisy(0.20, "spaces")) sep = draw.chance(0.5) ? " " : "，";
    a.query = (noisy(0.35, "prefix") ? std::string(draw.pick(kPrefixes)) + sep : std::string()) +
              town_part + (town_part.empty() ? "" : sep) + village_part + sep + tail;
    for (const auto& k : noise) a.noise += (a.noise.empty() ? "" : ",") + k;
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace onemap::layers
