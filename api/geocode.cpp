// GET /geocode (geocode.hpp).
#include "api/geocode.hpp"

#include "api/item_query.hpp"

#include "core/errors.hpp"
#include "layers/geocode/address.hpp"
#include "layers/geocode/county_gazetteer.hpp"
#include "layers/model/text.hpp"
#include "layers/triage/triage.hpp"

#include <nlohmann/json.hpp>

namespace onemap::api {

namespace {

using json = nlohmann::ordered_json;

constexpr std::size_t kMaxLimit = 20;
// Candidates a report placed by the centre keeps to choose from.
constexpr std::size_t kCandidatesKept = 5;

}  // namespace

namespace {

json candidate_json(const geocode::Candidate& c) {
  return {{"level", std::string(geocode::level_name(c.level))},
          {"label", c.label},
          {"lon", c.lon},
          {"lat", c.lat},
          {"crs", "EPSG:4490"},
          {"confidence", c.confidence},
          {"town_code", c.town_code},
          {"village_code", c.village_code},
          {"grid_code", c.grid_code}};
}

}  // namespace

Geocoder::Geocoder(std::shared_ptr<layers::County> county) : county_(std::move(county)) {
  listener_ = county_->on_change([this](const layers::Change& c) {
    if (c.feature_layer.empty() &&
        (c.layer == layers::LayerKind::Grids || c.layer == layers::LayerKind::Households ||
         c.layer == layers::LayerKind::Enterprises))
      stale_ = true;
  });
}

Geocoder::~Geocoder() {
  county_->remove_listener(listener_);
}

std::shared_ptr<const geocode::Gazetteer> Geocoder::current() {
  std::lock_guard lock(building_);
  // Cleared before the build reads: a change meanwhile marks the new one stale again.
  if (stale_.exchange(false) || !gazetteer_) {
    auto read = county_->read();
    gazetteer_ = std::make_shared<const geocode::Gazetteer>(geocode::gazetteer_of(county_->data()));
  }
  return gazetteer_;
}

std::string Geocoder::search(const std::string& query, std::size_t limit,
                             const auth::Viewer& viewer) {
  geocode::Reveal reveal;
  reveal.house = [&viewer](const std::string& grid) {
    return auth::may_read(viewer, layers::LayerKind::Households, "address", grid);
  };
  reveal.min_houses =
      auth::may_read(viewer, layers::LayerKind::Households, "address", "") ? 1 : kMinHouses;
  const auto candidates = current()->search(query, limit, reveal);
  json out = {{"query", query}, {"normalised", geocode::normalise(query)}};
  json list = json::array();
  for (const auto& c : candidates) list.push_back(candidate_json(c));
  out["candidates"] = std::move(list);
  return layers::json_text(out);
}

void Geocoder::place(layers::Report& report) {
  if (report.placed || report.incident.address.empty()) return;
  const auto candidates = current()->search(report.incident.address, kCandidatesKept);
  json list = json::array();
  for (const auto& c : candidates) list.push_back(candidate_json(c));
  report.candidates = layers::json_text(list);
  if (const auto best = triage::confident_place(candidates)) {
    report.incident.location = {best->lon, best->lat};
    report.placed = true;
    report.located_by = "address";
  } else {
    report.area = triage::shared_area(candidates);
  }
}

void add_geocode_routes(http::Router& router, std::shared_ptr<Geocoder> geocoder,
                        std::shared_ptr<const auth::ReadPolicy> policy) {
  http::Route r;
  r.methods = {"GET"};
  r.pattern = "/geocode";
  r.lane = http::Lane::Query;
  r.parameters = std::vector<std::string>{"q", "limit", "f"};
  r.handler = [geocoder, policy](http::Context& c) {
    std::string q;
    std::size_t limit = 5;
    bool has_q = false;
    for (const auto& [k, v] : c.query) {
      if (k == "q") {
        layers::check_text(v, "q", layers::TextKind::Name);
        q = v;
        has_q = true;
      } else if (k == "limit") {
        limit = features::parse_count_in("limit", v, 1, kMaxLimit);
      } else if (k == "f" && v != "json") {
        throw InvalidArgument("f", "must be json");
      }
    }
    if (!has_q || q.empty()) throw InvalidArgument("q", "is required: the address to look up");
    http::Response a;
    a.body = geocoder->search(q, limit, policy->viewer(c.user));
    a.set_header("Cache-Control", "no-store");
    return a;
  };
  router.add(std::move(r));
}

}  // namespace onemap::api
