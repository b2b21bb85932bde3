// The county's gazetteer (gazetteer.hpp).
#include "layers/geocode/gazetteer.hpp"

#include "layers/geocode/address.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

namespace onemap::geocode {

namespace {

// How much each part of an address found adds to a candidate's confidence.
constexpr double kTown = 0.15, kVillage = 0.45, kGroupOrRoad = 0.15, kNumber = 0.25;
// What a near spelling of a name (one character off) keeps of the part's share.
constexpr double kNearName = 0.7;
// What a short name (without 村/社区, 镇/街道) keeps: it may be part of another word.
constexpr double kShortName = 0.9;
// What a village's name found only inside the town's keeps (莫干山 of 莫干山镇 for 莫干山社区).
constexpr double kInTownName = 0.5;

// The names a division goes by in an address, normalised: its own, and without its kind when
// what is left is a name of two characters or more.
std::vector<std::u32string> aliases_of(std::string_view name, Level level) {
  std::u32string full = code_points(normalise(name));
  std::vector<std::u32string> out{full};
  static constexpr std::u32string_view kTownKinds[] = {U"街道", U"镇", U"乡"};
  static constexpr std::u32string_view kVillageKinds[] = {U"社区", U"村"};
  for (std::u32string_view kind :
       level == Level::Town
           ? std::vector<std::u32string_view>(std::begin(kTownKinds), std::end(kTownKinds))
           : std::vector<std::u32string_view>(std::begin(kVillageKinds), std::end(kVillageKinds)))
    if (std::u32string_view(full).ends_with(kind) && full.size() >= kind.size() + 2) {
      out.push_back(full.substr(0, full.size() - kind.size()));
      break;
    }
  return out;
}

// Where `name` is in `q` from `from` on with at most one character different (not the first:
// a near spelling keeps a name's start), when it is at least three characters long; npos if
// nowhere. The end of the match is at + name.size().
std::size_t near_find(std::u32string_view q, std::u32string_view name, std::size_t from) {
  if (name.size() < 3 || q.size() < name.size()) return std::u32string_view::npos;
  for (std::size_t at = from; at + name.size() <= q.size(); ++at) {
    if (q[at] != name[0]) continue;
    std::size_t off = 0;
    for (std::size_t k = 1; k < name.size() && off <= 1; ++k) off += q[at + k] != name[k];
    if (off == 1) return at;
  }
  return std::u32string_view::npos;
}

}  // namespace

std::string_view level_name(Level level) {
  switch (level) {
    case Level::Town:
      return "town";
    case Level::Village:
      return "village";
    case Level::Road:
      return "road";
    case Level::Group:
      return "group";
    case Level::House:
      return "house";
    case Level::Place:
      return "place";
  }
  return "town";
}

void Gazetteer::add_area(Level level, const std::string& code, std::string_view name,
                         const std::string& parent, double lon, double lat) {
  by_code_[code] = areas_.size();
  areas_.push_back({level, code, normalise(name), parent, lon, lat, aliases_of(name, level)});
}

bool Gazetteer::add_address(std::string_view address, double lon, double lat,
                            const std::string& village_code, const std::string& grid_code) {
  const std::u32string q = code_points(normalise(address));
  const std::vector<AreaMatch> towns = find_areas(q, Level::Town, 0, 0, "");
  const std::vector<AreaMatch> villages =
      find_areas(q, Level::Village, towns.empty() ? 0 : towns.front().end,
                 towns.empty() ? 0 : towns.front().start,
                 towns.empty() ? std::string() : areas_[towns.front().area].code);
  // The county's own addresses are written as they are meant: no near spelling counts.
  if (villages.empty() || villages.front().confidence < kShortName * kInTownName) return false;
  // Of villages the address may name alike (庾村 for 庾村村 and 庾村社区), the one it lies in.
  const auto in = std::find_if(villages.begin(), villages.end(), [&](const AreaMatch& m) {
    return areas_[m.area].code == village_code;
  });
  const AreaMatch& v = in != villages.end() ? *in : villages.front();
  const AddressTail tail = read_tail(std::u32string_view(q).substr(v.end));
  if (!tail.number || (!tail.group && tail.road.empty())) return false;
  const std::string part = tail.group ? std::to_string(*tail.group) : tail.road;
  houses_.emplace(HouseKey{v.area, part, *tail.number}, House{lon, lat, grid_code});
  Sum& s = (tail.group ? groups_ : roads_)[{v.area, part}];
  s.lon += lon;
  s.lat += lat;
  ++s.n;
  return true;
}

void Gazetteer::add_place(std::string_view name, double lon, double lat,
                          const std::string& village_code, const std::string& grid_code) {
  std::u32string n = code_points(normalise(name));
  if (n.size() < 3) return;  // too short to tell from words of an address
  places_by_first_[n.front()].push_back(places_.size());
  places_.push_back({std::move(n), std::string(name), village_code, grid_code, lon, lat});
}

std::vector<Gazetteer::AreaMatch> Gazetteer::find_areas(std::u32string_view q, Level level,
                                                        std::size_t from, std::size_t earliest,
                                                        const std::string& parent) const {
  std::vector<AreaMatch> out;
  auto areas = [&](auto&& match) {
    for (std::size_t i = 0; i < areas_.size(); ++i) {
      const Area& a = areas_[i];
      if (a.level == level && (parent.empty() || a.parent == parent)) match(i, a);
    }
  };
  // A name after `from`, else after `earliest`: a village may share its town's name (莫干山镇
  // 莫干山社区), and a caller may give it alone.
  // A name found only before `from` (in the town's name) is seldom what the caller meant:
  // 雷甸镇塘北 is 塘北村, not 雷甸村; the rest of the address may still make it the best.
  auto find = [&](std::u32string_view name) {
    const std::size_t at = q.find(name, from);
    if (at != std::u32string_view::npos || earliest >= from) return std::make_pair(at, 1.0);
    return std::make_pair(q.find(name, earliest), kInTownName);
  };
  areas([&](std::size_t i, const Area& a) {
    std::optional<AreaMatch> best;
    for (std::size_t k = 0; k < a.aliases.size(); ++k) {
      const auto [at, likely] = find(a.aliases[k]);
      if (at == std::u32string_view::npos) continue;
      const double c = (k == 0 ? 1.0 : kShortName) * likely;
      if (!best || c > best->confidence) best = AreaMatch{i, at, at + a.aliases[k].size(), c};
    }
    // A near spelling of a name not there as written (三和村 for 三合村): the rest of the
    // address (a house found or not) decides between it and other names found.
    if (!best)
      if (const std::size_t at = near_find(q, a.aliases.front(), earliest);
          at != std::u32string_view::npos)
        best = AreaMatch{i, at, at + a.aliases.front().size(), kNearName};
    if (best) out.push_back(*best);
  });
  // Best first; of equals, the first in the query (an address names the village before its
  // road: 庾村北湖街 is in 庾村, not 北湖村), then the longer name (城西村 before 城西).
  std::sort(out.begin(), out.end(), [&](const AreaMatch& x, const AreaMatch& y) {
    if (x.confidence != y.confidence) return x.confidence > y.confidence;
    if (x.start != y.start) return x.start < y.start;
    return x.end > y.end;
  });
  return out;
}

Candidate Gazetteer::area_candidate(std::size_t area, double confidence) const {
  const Area& a = areas_[area];
  Candidate c;
  c.level = a.level;
  c.lon = a.lon;
  c.lat = a.lat;
  c.confidence = confidence;
  if (a.level == Level::Town) {
    c.label = a.name;
    c.town_code = a.code;
  } else {
    c.village_code = a.code;
    c.town_code = a.parent;
    const auto town = by_code_.find(a.parent);
    c.label = (town != by_code_.end() ? areas_[town->second].name + " " : "") + a.name;
  }
  return c;
}

void Gazetteer::add_village_tail(const AreaMatch& v, std::u32string_view q, double base,
                                 const Reveal& reveal, std::vector<Candidate>& out) const {
  const double village = base + kVillage * v.confidence;
  const AddressTail tail = read_tail(q.substr(v.end));
  Candidate c = area_candidate(v.area, village);
  // A road of the village that the tail names (its own spelling, or the tail's inside it).
  std::string road;
  if (!tail.road.empty()) {
    for (auto it = roads_.lower_bound({v.area, ""});
         it != roads_.end() && std::get<0>(it->first) == v.area; ++it) {
      const std::string& name = std::get<1>(it->first);
      if (tail.road.find(name) != std::string::npos ||
          (tail.road.size() >= 6 && name.find(tail.road) != std::string::npos)) {
        road = name;
        break;
      }
    }
  }
  const std::string part = tail.group ? std::to_string(*tail.group) : road;
  if (!part.empty()) {
    const auto& sums = tail.group ? groups_ : roads_;
    if (const auto s = sums.find({v.area, part});
        s != sums.end() && s->second.n >= reveal.min_houses) {
      c.level = tail.group ? Level::Group : Level::Road;
      c.lon = s->second.lon / static_cast<double>(s->second.n);
      c.lat = s->second.lat / static_cast<double>(s->second.n);
      c.confidence += kGroupOrRoad;
      c.label += " " + (tail.group ? part + "组" : part);
      if (tail.number)
        if (const auto h = houses_.find({v.area, part, *tail.number}); h != houses_.end()) {
          // Found, whether given or not: the group stands for it as surely.
          c.confidence += kNumber;
          if (!reveal.house || reveal.house(h->second.grid_code)) {
            c.level = Level::House;
            c.lon = h->second.lon;
            c.lat = h->second.lat;
            c.grid_code = h->second.grid_code;
            c.label += std::to_string(*tail.number) + "号";
          }
        }
    }
  }
  out.push_back(std::move(c));
}

std::vector<Candidate> Gazetteer::search(std::string_view query, std::size_t limit,
                                         const Reveal& reveal) const {
  const std::u32string q = code_points(normalise(query));
  std::vector<Candidate> out;
  if (q.empty()) return out;
  const std::vector<AreaMatch> towns = find_areas(q, Level::Town, 0, 0, "");
  double base = 0;
  std::vector<AreaMatch> villages;
  if (!towns.empty()) {
    base = kTown * towns.front().confidence;
    villages = find_areas(q, Level::Village, towns.front().end, towns.front().start,
                          areas_[towns.front().area].code);
  }
  if (villages.empty()) {
    // The village alone, or under another town than the one named: any of the county's.
    villages = find_areas(q, Level::Village, 0, 0, "");
    if (!towns.empty())
      for (AreaMatch& v : villages)
        if (areas_[v.area].parent != areas_[towns.front().area].code) v.confidence *= kNearName;
  }
  for (const AreaMatch& v : villages) add_village_tail(v, q, base, reveal, out);
  if (villages.empty() && !towns.empty())
    out.push_back(area_candidate(towns.front().area, base + kTown));
  // Named places the query holds whole: an enterprise, a station.
  std::vector<std::size_t> named;  // places whose whole name the query holds, each once
  for (std::size_t at = 0; at < q.size(); ++at)
    if (const auto it = places_by_first_.find(q[at]); it != places_by_first_.end())
      for (std::size_t i : it->second)
        if (std::u32string_view(q).substr(at, places_[i].name.size()) == places_[i].name)
          named.push_back(i);
  std::sort(named.begin(), named.end());
  named.erase(std::unique(named.begin(), named.end()), named.end());
  for (std::size_t i : named) {
    const Place& p = places_[i];
    Candidate c;
    c.level = Level::Place;
    c.label = p.label;
    c.lon = p.lon;
    c.lat = p.lat;
    c.village_code = p.village_code;
    c.grid_code = p.grid_code;
    if (const auto v = by_code_.find(p.village_code); v != by_code_.end())
      c.town_code = areas_[v->second].parent;
    // In the village the query names, or with no village named: as sure as a house.
    const bool fits =
        villages.empty() || std::any_of(villages.begin(), villages.end(), [&](const AreaMatch& v) {
          return areas_[v.area].code == p.village_code;
        });
    c.confidence = fits ? 0.9 : 0.5;
    out.push_back(std::move(c));
  }
  std::stable_sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
    return a.confidence > b.confidence;
  });
  // Places the address fits equally well (a village name two towns have, and no town named)
  // share the certainty.
  const double best = out.empty() ? 0 : out.front().confidence;
  const auto tied = [&](const Candidate& c) { return std::abs(c.confidence - best) < 1e-9; };
  const auto ties = static_cast<double>(std::count_if(out.begin(), out.end(), tied));
  for (Candidate& c : out) {
    if (tied(c)) c.confidence = best / std::sqrt(ties);
    c.confidence = std::min(1.0, std::round(c.confidence * 1000) / 1000);
  }
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace onemap::geocode
