// GET /geocode?q=ADDRESS[&limit=5]: an address as a caller gives it (a hotline ticket, a petition,
// an SMS) to the places it may mean, from the county's own gazetteer (layers/geocode): its towns
// and villages, its households' addresses, its enterprises' names. Each candidate has its level
// (town, village, road, group, house, place), a label, lon/lat (CGCS2000), a confidence and the
// town, village and grid it lies in.
//
// The read policy holds: a house (a household's address and place) is given only to a viewer who
// may read households' addresses in its grid; to anyone else it is its group or road, placed at
// the mean of at least kMinHouses houses, else its village.
#pragma once

#include "auth/read_policy.hpp"
#include "http/router.hpp"
#include "layers/county/county.hpp"
#include "layers/geocode/gazetteer.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace onemap::api {

/// The county's gazetteer, built at the first search and again at the first after a change to
/// the grids, households or enterprises (built under the county's read lock: about half a second
/// for 150,000 households; a search meanwhile waits for it).
class Geocoder {
 public:
  /// Groups and roads given to a viewer who may not see houses have at least this many.
  static constexpr std::size_t kMinHouses = 3;

  explicit Geocoder(std::shared_ptr<layers::County> county);
  ~Geocoder();
  Geocoder(const Geocoder&) = delete;
  Geocoder& operator=(const Geocoder&) = delete;

  /// The answer's JSON for `query` (at most `limit` candidates) as `viewer` may see it.
  std::string search(const std::string& query, std::size_t limit, const auth::Viewer& viewer);

  /// Places a report that came with an address and no lon/lat: at the candidate
  /// triage::confident_place takes (located_by "address"), else not (the command centre picks
  /// among the candidates, which the report keeps with the area they share). Reads every house:
  /// the candidates are for staff, and the place chosen is the report's own.
  void place(layers::Report& report);

 private:
  std::shared_ptr<const geocode::Gazetteer> current();

  std::shared_ptr<layers::County> county_;
  uint64_t listener_ = 0;
  std::atomic<bool> stale_{true};
  std::mutex building_;
  std::shared_ptr<const geocode::Gazetteer> gazetteer_;  ///< under building_
};

/// Adds GET /geocode to `router`.
void add_geocode_routes(http::Router& router, std::shared_ptr<Geocoder> geocoder,
                        std::shared_ptr<const auth::ReadPolicy> policy);

}  // namespace onemap::api
