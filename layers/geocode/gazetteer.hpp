// The county's own gazetteer: its towns and villages (from the grid hierarchy), the addresses of
// its records (households: village, group or road, house number) and its named places
// (enterprises, stations), matched against an address as a caller writes it (address.hpp).
// Built once from the county's data and then only read: search() is safe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace onemap::geocode {

/// How precisely a candidate places an address, coarsest first.
enum class Level { Town, Village, Road, Group, House, Place };
std::string_view level_name(Level level);

/// A place an address may mean.
struct Candidate {
  Level level = Level::Town;
  std::string label;  ///< the place as the gazetteer names it ("武康街道 城西村 3组12号")
  double lon = 0, lat = 0;
  /// How sure the match is, in (0, 1]: each part of the address found (town, village, group or
  /// road, number) adds to it; a part found only by a near spelling, or shared by several
  /// places, takes from it.
  double confidence = 0;
  std::string town_code, village_code;  ///< the area it lies in ("" when not known)
  std::string grid_code;  ///< a house's or a place's grid, as its record is joined ("" else)
};

/// What a search may give away of the county's records (the read policy: a household's address
/// and place are not everyone's).
struct Reveal {
  /// Whether the house of a record joined to `grid_code` may be given (empty: every house).
  /// A house withheld is given as its group or road.
  std::function<bool(const std::string& grid_code)> house;
  /// A group or road is given at the mean of its houses only when it has at least this many
  /// (the mean of one or two would place them); else as its village.
  std::size_t min_houses = 1;
};

class Gazetteer {
 public:
  /// A town (level Town) or a village or community (level Village, `parent` its town's code),
  /// named as the division list names it ("武康街道", "对河口村委会"), at `lon`/`lat`.
  void add_area(Level level, const std::string& code, std::string_view name,
                const std::string& parent, double lon, double lat);
  /// An address of one of the county's records at its place, read as search() reads a query;
  /// an address that names no village added before, or no house number, is left out. Where the
  /// address may name several villages alike, the one of `village_code` (the village the record
  /// lies in, when known) is taken. @returns whether it was taken.
  bool add_address(std::string_view address, double lon, double lat,
                   const std::string& village_code = {}, const std::string& grid_code = {});
  /// A named place (an enterprise, a station, a school) in the village `village_code` ("" when
  /// not known), its record joined to `grid_code`.
  void add_place(std::string_view name, double lon, double lat, const std::string& village_code,
                 const std::string& grid_code = {});

  /// The places `query` may mean, best first, at most `limit`, no finer than `reveal` allows;
  /// none when it names nothing the gazetteer knows.
  std::vector<Candidate> search(std::string_view query, std::size_t limit = 5,
                                const Reveal& reveal = {}) const;

  std::size_t areas() const { return areas_.size(); }
  std::size_t houses() const { return houses_.size(); }
  std::size_t places() const { return places_.size(); }

 private:
  struct Area {
    Level level;
    std::string code, name, parent;
    double lon, lat;
    std::vector<std::u32string> aliases;  ///< the normalised name, and without 村/社区 or 镇/街道
  };
  struct Sum {  ///< a mean place, summed
    double lon = 0, lat = 0;
    std::size_t n = 0;
  };
  // A house by its village and its group ("3") or road ("英溪路"), and its number.
  using HouseKey = std::tuple<std::size_t, std::string, int>;
  struct Place {
    std::u32string name;
    std::string label, village_code, grid_code;
    double lon, lat;
  };
  struct House {
    double lon, lat;
    std::string grid_code;
  };
  struct AreaMatch {
    std::size_t area;
    std::size_t start, end;  ///< where the name is in the query (code points)
    double confidence;       ///< 1 for the full name, less for a short or near one
  };

  /// The areas of `level` (under `parent` when given) whose names `q` holds, from `from` on or,
  /// failing that, from `earliest` on; near spellings only when no name is there as written.
  std::vector<AreaMatch> find_areas(std::u32string_view q, Level level, std::size_t from,
                                    std::size_t earliest, const std::string& parent) const;
  void add_village_tail(const AreaMatch& v, std::u32string_view q, double base,
                        const Reveal& reveal, std::vector<Candidate>& out) const;
  Candidate area_candidate(std::size_t area, double confidence) const;

  std::vector<Area> areas_;
  std::map<HouseKey, House> houses_;
  std::map<std::tuple<std::size_t, std::string>, Sum> groups_, roads_;  ///< by village
  std::vector<Place> places_;
  std::unordered_map<char32_t, std::vector<std::size_t>> places_by_first_;  ///< by 1st character
  std::unordered_map<std::string, std::size_t> by_code_;
};

}  // namespace onemap::geocode
