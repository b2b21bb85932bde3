// The county held in memory with its store (county.hpp).
#include "layers/county.hpp"

#include "spatial/errors.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <mutex>

namespace onemap::layers {

namespace {

// The states of the closed loop (domain.md); the dispatch rules that move between them come with
// the dispatch issue, until then any of these may be set.
constexpr std::string_view kStatuses[] = {"reported", "dispatched", "accepted", "in_progress",
                                          "resolved", "verified",   "closed",   "returned",
                                          "escalated", "reopened"};

void check_status(const std::string& s) {
  if (std::find(std::begin(kStatuses), std::end(kStatuses), s) != std::end(kStatuses)) return;
  std::string list;
  for (auto k : kStatuses) list += (list.empty() ? "" : ", ") + std::string(k);
  throw InvalidArgument("status", "unknown status '" + s + "' (statuses: " + list + ")");
}

std::size_t index_of(const std::vector<Incident>& v, int64_t fid) {
  // fids are assigned in increasing order, so the records are sorted by fid.
  auto it = std::lower_bound(v.begin(), v.end(), fid,
                             [](const Incident& i, int64_t f) { return i.fid < f; });
  if (it == v.end() || it->fid != fid)
    throw NotFound("no incident with id " + std::to_string(fid));
  return static_cast<std::size_t>(it - v.begin());
}

}  // namespace

County::County(std::unique_ptr<Store> store, JoinOptions join, TileConfig tiles)
    : store_(std::move(store)), join_(join) {
  const auto t0 = std::chrono::steady_clock::now();
  location_ = store_->location();
  data_ = store_->load();
  std::sort(data_.incidents.begin(), data_.incidents.end(),
            [](const Incident& a, const Incident& b) { return a.fid < b.fid; });
  joiner_ = std::make_unique<GridJoiner>(data_.grids, join_);
  tiles_ = std::make_unique<TileBuilder>(data_, std::move(tiles));
  load_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

County::~County() = default;

std::shared_lock<std::shared_mutex> County::read() const {
  return std::shared_lock<std::shared_mutex>(mutex_);
}

void County::on_change(std::function<void(const Change&)> listener) {
  std::unique_lock lock(mutex_);
  listeners_.push_back(std::move(listener));
}

void County::notify(const Change& c) {
  for (const auto& l : listeners_) l(c);
}

void County::check_location(const LonLat& p, const char* parameter) const {
  if (!std::isfinite(p.lon) || !std::isfinite(p.lat) || p.lon < -180 || p.lon > 180 ||
      p.lat < -90 || p.lat > 90)
    throw InvalidArgument(parameter, "longitude must be in [-180, 180] and latitude in [-90, 90]");
}

Incident County::create_incident(Incident in) {
  check_location(in.location, "location");
  if (in.category.empty()) throw InvalidArgument("category", "is required");
  if (in.status.empty()) in.status = "reported";
  check_status(in.status);
  if (in.reported_at == 0) in.reported_at = static_cast<int64_t>(std::time(nullptr));
  if (in.source.empty()) in.source = "other";
  in.fid = 0;
  std::unique_lock lock(mutex_);
  in.join = joiner_->join(in.location);
  store_->put_incident(in);  // durable before anything else sees it
  data_.incidents.push_back(in);
  const std::size_t index = data_.incidents.size() - 1;
  tiles_->point_changed(data_, LayerKind::Incidents, index);
  Change c;
  c.layer = LayerKind::Incidents;
  c.fid = in.fid;
  c.after = in.location;
  c.incident_after = in;
  notify(c);
  return in;
}

Incident County::update_incident(int64_t fid, const IncidentPatch& patch) {
  if (patch.location) check_location(*patch.location, "location");
  if (patch.status) check_status(*patch.status);
  if (patch.category && patch.category->empty()) throw InvalidArgument("category", "must not be empty");
  std::unique_lock lock(mutex_);
  const std::size_t index = index_of(data_.incidents, fid);
  const Incident before = data_.incidents[index];
  Incident after = before;
  if (patch.status) {
    after.status = *patch.status;
    if (after.status == "closed" && after.closed_at == 0)
      after.closed_at = static_cast<int64_t>(std::time(nullptr));
    if (after.status != "closed") after.closed_at = 0;
  }
  if (patch.category) after.category = *patch.category;
  if (patch.description) after.description = *patch.description;
  if (patch.assignee) after.assignee = *patch.assignee;
  if (patch.location) {
    after.location = *patch.location;
    after.join = joiner_->join(after.location);
  }
  store_->put_incident(after);
  data_.incidents[index] = after;
  tiles_->point_changed(data_, LayerKind::Incidents, index);
  Change c;
  c.layer = LayerKind::Incidents;
  c.fid = fid;
  c.before = before.location;
  c.after = after.location;
  c.incident_before = before;
  c.incident_after = after;
  notify(c);
  return after;
}

Incident County::incident(int64_t fid) const {
  auto lock = read();
  return data_.incidents[index_of(data_.incidents, fid)];
}

}  // namespace onemap::layers
