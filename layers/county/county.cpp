// The county held in memory with its store (county.hpp): its construction, the listeners, the
// writes and reads of the point records and grids (a grid outline with its re-join), the audit
// rows of personal reads.
#include "layers/county/county.hpp"
#include "layers/county/county_internal.hpp"
#include "layers/model/schema.hpp"

#include "core/errors.hpp"
#include "layers/model/text.hpp"
#include "spatial/crs.hpp"
#include "spatial/geos_ops.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>
#include <map>
#include <mutex>

namespace onemap::layers {

namespace bg = boost::geometry;
using county_internal::same_join;

namespace {

void check_status(const std::string& s) {
  if (is_incident_state(s)) return;
  std::string list;
  for (const auto& k : incident_states()) list += (list.empty() ? "" : ", ") + k;
  throw InvalidArgument("status", "unknown status '" + s + "' (statuses: " + list + ")");
}

template <class T>
LayerKind kind_of() {
  if constexpr (std::is_same_v<T, Grid>)
    return LayerKind::Grids;
  else if constexpr (std::is_same_v<T, Household>)
    return LayerKind::Households;
  else if constexpr (std::is_same_v<T, Enterprise>)
    return LayerKind::Enterprises;
  else if constexpr (std::is_same_v<T, Incident>)
    return LayerKind::Incidents;
  else
    return LayerKind::Workers;
}

template <class T>
std::size_t index_of(const std::vector<T>& v, int64_t fid) {
  // fids are assigned in increasing order, and the records are kept sorted by fid.
  auto it =
      std::lower_bound(v.begin(), v.end(), fid, [](const T& r, int64_t f) { return r.fid < f; });
  if (it == v.end() || it->fid != fid)
    throw NotFound("no " + std::string(record_name(kind_of<T>())) + " with id " +
                   std::to_string(fid));
  return static_cast<std::size_t>(it - v.begin());
}

template <class T>
void sort_by_fid(std::vector<T>& v) {
  auto by_fid = [](const T& a, const T& b) { return a.fid < b.fid; };
  if (!std::is_sorted(v.begin(), v.end(), by_fid)) std::sort(v.begin(), v.end(), by_fid);
}

// The names of the fields whose values differ, for the point layers' shared join fields.
void join_fields_changed(const GridJoin& a, const GridJoin& b, std::vector<std::string>& out) {
  if (a.grid_code != b.grid_code) out.emplace_back("grid_code");
  if (a.kind != b.kind) out.emplace_back("join_kind");
  if (a.distance_m != b.distance_m) out.emplace_back("join_distance_m");
}

std::vector<std::string> all_fields(LayerKind k) {
  std::vector<std::string> out;
  for (const auto& f : layer_fields(k)) out.push_back(f.name);
  return out;
}

}  // namespace

const FeatureLayer* County::feature_layer(std::string_view name) const {
  for (const auto& l : feature_layers_)
    if (l.def.name == name) return &l;
  return nullptr;
}

JoinStats County::add_feature_layer(LayerDef def, std::vector<Feature> features) {
  check_definition(def);
  auto writing = write_lock();
  if (feature_layer(def.name))
    throw Conflict("a layer named " + def.name + " exists", "conflict_duplicate");
  const JoinStats stats = joiner_->join_all(features);
  store_->create_layer(def, features);
  FeatureLayer l{std::move(def), std::move(features)};
  std::unique_lock lock(mutex_);
  tiles_->feature_layer_changed(l);
  Change c;
  c.feature_layer = l.def.name;
  c.whole_layer = true;
  feature_layers_.push_back(std::move(l));
  std::sort(feature_layers_.begin(), feature_layers_.end(),
            [](const FeatureLayer& a, const FeatureLayer& b) { return a.def.name < b.def.name; });
  notify(c);
  return stats;
}

bool LayerAltered::audiences_changed() const {
  if (before.audience != after.audience) return true;
  for (const Field& f : before.fields) {
    const Field* g = after.find(f.name);
    if (!g || g->audience != f.audience || g->tile_minzoom != f.tile_minzoom) return true;
  }
  return false;
}

LayerAltered County::alter_feature_layer(const std::string& name, std::string_view alteration) {
  auto writing = write_lock();
  const auto it = std::find_if(feature_layers_.begin(), feature_layers_.end(),
                               [&](const FeatureLayer& l) { return l.def.name == name; });
  if (it == feature_layers_.end()) throw NotFound("there is no layer named " + name);
  // The store applies the alteration to the definition it holds; memory takes what it wrote.
  // The features stay: their values of added fields are missing, which reads as null.
  LayerAltered altered{it->def, store_->alter_layer(name, alteration)};
  std::unique_lock lock(mutex_);
  it->def = altered.after;
  // Its tiles' zooms, attributes and audience come from the definition: all of them go, under
  // the exclusive lock and before the alteration is acknowledged.
  tiles_->feature_layer_changed(*it);
  Change c;
  c.feature_layer = name;
  c.whole_layer = true;
  notify(c);
  return altered;
}

void County::drop_feature_layer(const std::string& name) {
  auto writing = write_lock();
  if (!feature_layer(name)) throw NotFound("there is no layer named " + name);
  store_->drop_layer(name);
  std::unique_lock lock(mutex_);
  std::erase_if(feature_layers_, [&](const FeatureLayer& l) { return l.def.name == name; });
  tiles_->feature_layer_dropped(name);
  Change c;
  c.feature_layer = name;
  c.whole_layer = true;
  notify(c);
}

County::County(std::unique_ptr<Store> store, JoinOptions join, TileConfig tiles,
               DispatchConfig dispatch)
    : dispatch_(std::move(dispatch)), store_(std::move(store)), join_(join) {
  const auto t0 = std::chrono::steady_clock::now();
  location_ = store_->location();
  data_ = store_->load();
  // Records are found by fid with a binary search (grids keep their stored order: the join gives
  // a point on a shared edge to the first grid).
  sort_by_fid(data_.households);
  sort_by_fid(data_.enterprises);
  sort_by_fid(data_.incidents);
  sort_by_fid(data_.workers);
  feature_layers_ = store_->load_feature_layers();
  for (auto& l : feature_layers_) sort_by_fid(l.features);
  // Room to grow before the first write has to make it (make_room).
  auto headroom = [](auto& v) { v.reserve(v.size() + v.size() / 4 + 1024); };
  headroom(data_.households);
  headroom(data_.enterprises);
  headroom(data_.incidents);
  headroom(data_.workers);
  events_.reserve(data_.incidents.capacity());
  joiner_ = std::make_unique<GridJoiner>(data_.grids, join_);
  tiles_ = std::make_unique<TileBuilder>(data_, std::move(tiles), feature_layers_);
  for (auto& e : store_->load_events()) events_[e.incident].push_back(std::move(e));
  load_media_index();
  tickets_ = store_->load_tickets();
  for (auto& t : store_->load_tasks()) tasks_[t.incident].push_back(std::move(t));
  agencies_ = AgencyDirectory(dispatch_.agencies, data_.grids);
  index_teams();
  for (const auto& in : data_.incidents)
    if (!in.assignee.empty() && holds_workload(in.status)) ++loads_[in.assignee];
  users_ = std::make_unique<auth::UserDirectory>(
      location_,
      [this](const std::string& worker_id) -> std::optional<Worker> {
        auto lock = read();
        const Worker* w = worker_by_id(worker_id);
        return w ? std::optional<Worker>(*w) : std::nullopt;
      },
      dispatch_.departments(data_.grids));
  load_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

County::~County() = default;

std::shared_lock<std::shared_mutex> County::read() const {
  return std::shared_lock<std::shared_mutex>(mutex_);
}

uint64_t County::on_change(std::function<void(const Change&)> listener) {
  std::unique_lock lock(mutex_);
  listeners_.emplace_back(next_listener_, std::move(listener));
  return next_listener_++;
}

void County::remove_listener(uint64_t handle) {
  std::unique_lock lock(mutex_);
  std::erase_if(listeners_, [&](const auto& l) { return l.first == handle; });
}

void County::notify(const Change& c) {
  for (const auto& [handle, listener] : listeners_) listener(c);
}

void County::check_location(const LonLat& p, const char* parameter) const {
  if (!std::isfinite(p.lon) || !std::isfinite(p.lat) || p.lon < -180 || p.lon > 180 ||
      p.lat < -90 || p.lat > 90)
    throw InvalidArgument(parameter, "longitude must be in [-180, 180] and latitude in [-90, 90]");
}

void County::check_unique_id(LayerKind layer, const std::string& id, int64_t fid) const {
  if (id.empty()) return;
  auto check = [&](const auto& records, const char* field, const char* what) {
    for (const auto& r : records)
      if (r.id == id && r.fid != fid)
        throw Conflict(
            field, "'" + id + "' is the id of " + what + " " + std::to_string(r.fid) + " already",
            "conflict_duplicate");
  };
  switch (layer) {
    case LayerKind::Households:
      return check(data_.households, "hh_id", "household");
    case LayerKind::Enterprises:
      return check(data_.enterprises, "ent_id", "enterprise");
    case LayerKind::Incidents:
      return check(data_.incidents, "inc_id", "incident");
    case LayerKind::Grids:
    case LayerKind::Workers:
      return;
  }
}

Incident County::create_incident(Incident in, const Actor& actor) {
  check_location(in.location, "location");
  if (in.category.empty()) throw InvalidArgument("category", "is required");
  if (in.status.empty()) in.status = "reported";
  check_status(in.status);
  if (in.reported_at == 0) in.reported_at = static_cast<int64_t>(std::time(nullptr));
  if (in.source.empty()) in.source = "other";
  if (in.reporter.empty() && actor.role != "system") in.reporter = actor.id;
  in.fid = 0;
  in.version = 1;
  in.updated_at = static_cast<int64_t>(std::time(nullptr));
  auto lock = write_lock();
  check_unique_id(LayerKind::Incidents, in.id, 0);
  in.join = joiner_->join(in.location);
  if (in.agency.empty()) in.agency = in.join.grid_code;
  std::vector<IncidentEvent> events{
      make_event(in, actor, "report", "", in.status, "", "", in.updated_at)};
  return commit_incident(std::nullopt, std::move(in), std::move(events));
}

Incident County::update_incident(int64_t fid, const IncidentPatch& patch, const Actor& actor) {
  if (patch.location) check_location(*patch.location, "location");
  if (patch.category) {
    if (patch.category->empty()) throw InvalidArgument("category", "must not be empty");
    if (!dispatch_.categories.empty() && !dispatch_.find(*patch.category))
      throw InvalidArgument("category",
                            "unknown category '" + *patch.category + "' (see the services list)");
  }
  auto lock = write_lock();
  const std::size_t index = index_of(data_.incidents, fid);
  const Incident& before = data_.incidents[index];
  const std::string what = "incident " + std::to_string(fid);
  if (!in_scope(before, actor)) check_area(actor, before.join.grid_code, what);
  county_internal::check_version(what, before.version, patch.expected_version);
  Incident after = before;
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  nlohmann::ordered_json detail = nlohmann::ordered_json::object();
  if (patch.category) after.category = *patch.category;
  if (patch.description) after.description = *patch.description;
  if (patch.assignee && *patch.assignee != before.assignee) {
    const Worker* w = worker_by_id(*patch.assignee);
    if (!w) throw InvalidArgument("assignee", "no worker '" + *patch.assignee + "'");
    check_area(actor, w->grid_code, "worker " + w->worker_id);
    // Who handled it is part of the record once it is resolved (报办分离 counts the assignee).
    if (!is_open_state(before.status))
      throw Conflict(
          "assignee",
          what + " is " + before.status + ": its assignee stays (change it by reopening it)",
          "conflict");
    after.assignee = w->worker_id;
    detail["assignee_before"] = before.assignee;
    detail["assignee"] = after.assignee;
  }
  if (patch.location) {
    after.location = *patch.location;
    after.join = joiner_->join(after.location);
    check_area(actor, after.join.grid_code,
               what + " moved to (" + std::to_string(after.location.lon) + ", " +
                   std::to_string(after.location.lat) + ")");
  }
  after.version = before.version + 1;
  after.updated_at = now;
  std::vector<IncidentEvent> events{
      make_event(after, actor, "edit", before.status, after.status, "",
                 detail.empty() ? std::string() : json_text(detail), now)};
  return commit_incident(index, std::move(after), std::move(events));
}

Incident County::incident(int64_t fid) const {
  auto lock = read();
  return data_.incidents[index_of(data_.incidents, fid)];
}

const Incident* County::find_incident(int64_t fid) const {
  const auto& v = data_.incidents;
  const auto it = std::lower_bound(v.begin(), v.end(), fid,
                                   [](const Incident& r, int64_t f) { return r.fid < f; });
  return it == v.end() || it->fid != fid ? nullptr : &*it;
}

std::size_t County::incident_index(int64_t fid) const {
  return index_of(data_.incidents, fid);
}

template <class T>
void County::make_room(std::vector<T>& v, std::size_t more) {
  if (v.size() + more <= v.capacity()) return;
  // The larger copy is made beside the old vector, which readers go on reading (only this
  // writer changes it), and swapped in; the old storage is freed after the lock.
  std::vector<T> larger;
  larger.reserve(std::max(v.capacity() * 2, v.size() + more));
  larger.insert(larger.end(), v.begin(), v.end());
  {
    std::unique_lock memory(mutex_);
    v.swap(larger);
  }
}
template void County::make_room(std::vector<Incident>&, std::size_t);
template void County::make_room(std::vector<Feature>&, std::size_t);

void County::make_room_for_trails(std::size_t more) {
  const auto wanted = events_.size() + more;
  if (static_cast<double>(wanted) <=
      static_cast<double>(events_.bucket_count()) * events_.max_load_factor())
    return;
  auto larger = events_;  // a rehash in place would hold readers of histories
  larger.reserve(std::max(wanted, 2 * events_.size()));
  {
    std::unique_lock memory(mutex_);
    events_.swap(larger);
  }
}

template <class T>
T County::put_point(T rec, std::optional<std::size_t> index, std::vector<std::string> fields,
                    std::optional<FeatureHistory> history) {
  auto& v = data_.of<T>();
  std::optional<LonLat> before;
  if (index) before = v[*index].location;
  if (!index || before->lon != rec.location.lon || before->lat != rec.location.lat)
    rec.join = joiner_->join(rec.location);
  if (history) {
    history->geometry_changed = !index || *before != rec.location;
    if (!index) history->new_fid = &rec.fid;
    Store::Batch b;
    if constexpr (std::is_same_v<T, Enterprise>) b.enterprises.push_back(&rec);
    b.history.push_back(&*history);
    store_->put(b);  // committed before anything else sees it (on disk: WriteLock)
  } else {
    store_->put_one(rec);  // committed before anything else sees it (on disk: WriteLock)
  }
  if (!index) make_room(v, 1);
  std::unique_lock memory(mutex_);
  if (index) {
    v[*index] = rec;
  } else {
    v.push_back(rec);
    index = v.size() - 1;
  }
  tiles_->point_changed(data_, kind_of<T>(), *index);
  Change c;
  c.layer = kind_of<T>();
  c.fid = rec.fid;
  c.before = before;
  c.after = rec.location;
  c.fields = std::move(fields);
  notify(c);
  return rec;
}

template <class T>
T County::create_point(T r, const Actor& actor, const EditOptions& options) {
  check_location(r.location, "location");
  check_new(schema<T>(), r);
  r.fid = 0;
  auto lock = write_lock();
  check_unique_id(kind_of<T>(), r.id, 0);
  check_area(actor, joiner_->join(r.location).grid_code,
             "the " + std::string(record_name(kind_of<T>())));
  std::optional<FeatureHistory> history;
  if constexpr (std::is_same_v<T, Enterprise>) {
    std::vector<std::string> given;
    const auto& s = schema<T>();
    for (std::size_t i = 0; i < s.fields.size(); ++i) {
      const FieldValue v = s.get(r, i);
      const auto* text = std::get_if<std::string_view>(&v);
      if (s.fields[i].on_create && !std::holds_alternative<std::monostate>(v) &&
          !(text && text->empty()))
        given.push_back(s.fields[i].name);
    }
    history = history_row(kind_of<T>(), 0, actor, options, EditAction::Create, std::move(given));
  }
  return put_point(std::move(r), std::nullopt, all_fields(kind_of<T>()), std::move(history));
}

template <class T>
T County::update_point(int64_t fid, const PointPatch& p, const Actor& actor,
                       const EditOptions& options) {
  if (p.location) check_location(*p.location, "location");
  // Checked on a scratch record first: a bad value is refused before any lock is taken.
  T scratch;
  apply(schema<T>(), scratch, p.values, true);
  auto lock = write_lock();
  const auto& records = data_.of<T>();
  const std::size_t index = checked_index(records, fid, options);
  const std::string what = std::string(record_name(kind_of<T>())) + " " + std::to_string(fid);
  check_area(actor, records[index].join.grid_code, what);
  if (p.location) check_area(actor, joiner_->join(*p.location).grid_code, what + "'s new position");
  T after = records[index];
  std::vector<std::string> changed = apply(schema<T>(), after, p.values, true);
  check_unique_id(kind_of<T>(), after.id, fid);
  if (p.location) after.location = *p.location;
  std::optional<FeatureHistory> history;
  if constexpr (std::is_same_v<T, Enterprise>) {
    if (changed.empty() && after.location == records[index].location) return after;  // as it is
    history = history_row(kind_of<T>(), fid, actor, options, options.action, changed);
  }
  return put_point(std::move(after), index, std::move(changed), std::move(history));
}

Household County::create_household(Household h, const Actor& actor) {
  return create_point(std::move(h), actor, {});
}

Household County::update_household(int64_t fid, const PointPatch& p, const Actor& actor) {
  return update_point<Household>(fid, p, actor, {});
}

Household County::household(int64_t fid) const {
  auto lock = read();
  return data_.households[index_of(data_.households, fid)];
}

Enterprise County::create_enterprise(Enterprise e, const Actor& actor, const EditOptions& options) {
  return create_point(std::move(e), actor, options);
}

Enterprise County::update_enterprise(int64_t fid, const PointPatch& p, const Actor& actor,
                                     const EditOptions& options) {
  return update_point<Enterprise>(fid, p, actor, options);
}

void County::delete_enterprise(int64_t fid, const Actor& actor, const EditOptions& options) {
  check_may_edit(actor);
  auto lock = write_lock();
  auto& v = data_.enterprises;
  const std::size_t index = checked_index(v, fid, options);
  check_area(actor, v[index].join.grid_code, "enterprise " + std::to_string(fid));
  FeatureHistory history =
      history_row(LayerKind::Enterprises, fid, actor, options, EditAction::Delete, {});
  history.geometry_changed = true;
  Store::Batch b;
  b.removed.push_back({LayerKind::Enterprises, fid});
  b.history.push_back(&history);
  store_->put(b);  // committed before anything else sees it (on disk: WriteLock)

  std::unique_lock memory(mutex_);
  const LonLat where = v[index].location;
  v.erase(v.begin() + static_cast<std::ptrdiff_t>(index));
  // The tile index holds the records by position and has no removal: the records after the
  // removed one are placed again at their new positions, and the last position, now past the
  // end, is placed nowhere (a position that is not finite lies in no tile and no candidate list).
  for (std::size_t i = index; i < v.size(); ++i)
    tiles_->point_changed(data_, LayerKind::Enterprises, i);
  Enterprise nowhere;
  nowhere.location = {std::numeric_limits<double>::quiet_NaN(),
                      std::numeric_limits<double>::quiet_NaN()};
  v.push_back(nowhere);
  tiles_->point_changed(data_, LayerKind::Enterprises, v.size() - 1);
  v.pop_back();
  Change c;
  c.layer = LayerKind::Enterprises;
  c.fid = fid;
  c.before = where;
  c.fields = all_fields(LayerKind::Enterprises);
  notify(c);
}

FeatureHistory County::history_row(LayerKind layer, int64_t fid, const Actor& actor,
                                   const EditOptions& options, EditAction action,
                                   std::vector<std::string> fields) const {
  FeatureHistory h;
  h.layer = std::string(layer_name(layer));
  h.fid = fid;
  h.at = static_cast<int64_t>(std::time(nullptr));
  h.actor = actor.id;
  h.role = actor.role;
  h.action = action;
  h.fields = std::move(fields);
  h.request_id = options.request_id;
  return h;
}

template <class T>
std::size_t County::checked_index(const std::vector<T>& v, int64_t fid,
                                  const EditOptions& options) const {
  const auto it =
      std::lower_bound(v.begin(), v.end(), fid, [](const T& r, int64_t f) { return r.fid < f; });
  const bool found = it != v.end() && it->fid == fid;
  if (options.if_match) {
    std::optional<std::string> current;
    if constexpr (std::is_same_v<T, Enterprise>)
      if (found) current = etag_of(*it);
    if (!options.if_match->matches(current ? &*current : nullptr))
      throw PreconditionFailed(
          current ? std::string(record_name(kind_of<T>())) + " " + std::to_string(fid) +
                        " has changed: If-Match names none of its current ETag " + *current
                  : "there is no " + std::string(record_name(kind_of<T>())) + " " +
                        std::to_string(fid) + " to meet If-Match",
          current.value_or(""));
  }
  return index_of(v, fid);
}

FeatureHistoryPage County::feature_history(const std::string& layer, int64_t fid, std::size_t limit,
                                           std::size_t offset) const {
  auto lock = write_lock();  // the store's connection is the writers'
  return store_->load_feature_history(layer, fid, limit, offset);
}

Enterprise County::enterprise(int64_t fid) const {
  auto lock = read();
  return data_.enterprises[index_of(data_.enterprises, fid)];
}

Grid County::grid(int64_t fid) const {
  auto lock = read();
  for (const auto& g : data_.grids)
    if (g.fid == fid) return g;
  throw NotFound("no grid with id " + std::to_string(fid));
}

Grid County::update_grid(int64_t fid, const GridPatch& p) {
  if (p.name && p.name->empty()) throw InvalidArgument("name", "must not be empty");
  if (p.geometry) {
    if (p.geometry->empty()) throw InvalidArgument("geometry", "must be a non-empty polygon");
    for (const auto& poly : *p.geometry)
      for (const auto& pt : poly.outer())
        if (!std::isfinite(pt.x()) || !std::isfinite(pt.y()) || pt.x() < -180 || pt.x() > 180 ||
            pt.y() < -90 || pt.y() > 90)
          throw InvalidArgument("geometry", "coordinates must be lon/lat degrees (CGCS2000)");
    const auto v = spatial::check_validity(*p.geometry);
    if (!v.valid) throw InvalidArgument("geometry", "is not a valid polygon: " + v.reason);
  }
  auto find = [&] {
    for (std::size_t i = 0; i < data_.grids.size(); ++i)
      if (data_.grids[i].fid == fid) return i;
    throw NotFound("no grid with id " + std::to_string(fid));
  };
  if (!p.geometry) {
    // A new name changes no join.
    auto lock = write_lock();
    const std::size_t index = find();
    Grid after = data_.grids[index];
    if (p.name) after.name = *p.name;
    store_->put_one(after);
    std::unique_lock memory(mutex_);
    data_.grids[index] = after;
    ++grids_version_;
    agencies_ = AgencyDirectory(dispatch_.agencies, data_.grids);  // the areas' agencies' names
    tiles_->grid_changed(data_, index);
    Change c;
    c.layer = LayerKind::Grids;
    c.fid = fid;
    c.grid_before = c.grid_after = spatial::envelope(after.geometry);
    notify(c);
    return after;
  }

  // The grids as they will be and the joins the new outline changes, computed under the read lock
  // only (readers go on; writers wait for the scan, not for the joiner's build). A point moved or
  // added meanwhile is joined again at the commit; a grid changed meanwhile makes it start over.
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    std::size_t index = 0;
    uint64_t version = 0;
    Grid before, after;
    std::vector<Grid> grids;
    {
      auto lock = read();
      index = find();
      version = grids_version_;
      grids = data_.grids;
    }
    before = grids[index];
    after = before;
    if (p.name) after.name = *p.name;
    after.geometry = *p.geometry;
    bg::correct(after.geometry);
    after.area_m2 = spatial::area_m2(after.geometry);
    grids[index] = after;
    auto joiner = std::make_unique<GridJoiner>(grids, join_);
    const spatial::Box box = spatial::envelope(after.geometry);
    auto may_change = [&](const auto& r) {
      return r.join.grid_code == before.code || r.join.kind != JoinKind::Contained ||
             bg::covered_by(spatial::Point(r.location.lon, r.location.lat), box);
    };
    // Per point layer (households, enterprises, incidents, workers): the new joins by index, and
    // the positions as scanned.
    std::array<std::map<std::size_t, GridJoin>, 4> rejoined;
    std::array<std::vector<LonLat>, 4> seen;
    auto scan = [&](std::size_t layer, const auto& v, std::size_t from) {
      for (std::size_t i = from; i < v.size(); ++i) {
        if (i >= seen[layer].size()) seen[layer].push_back(v[i].location);
        rejoined[layer].erase(i);
        if (!may_change(v[i])) continue;
        GridJoin j = joiner->join(v[i].location);
        if (!same_join(j, v[i].join)) rejoined[layer].emplace(i, std::move(j));
      }
    };
    {
      auto lock = read();
      scan(0, data_.households, 0);
      scan(1, data_.enterprises, 0);
      scan(2, data_.incidents, 0);
      scan(3, data_.workers, 0);
    }
    if (commit_hook_) commit_hook_("update_grid");
    auto lock = write_lock();
    if (grids_version_ != version) {
      if (attempt == kAttempts)
        throw Conflict("the grids kept changing while grid " + std::to_string(fid) +
                       " was joined again: try again");
      continue;
    }
    // Points moved or added since the scan: join them again against the new outline.
    auto recheck = [&](std::size_t layer, const auto& v) {
      for (std::size_t i = 0; i < seen[layer].size(); ++i)
        if (!(v[i].location == seen[layer][i])) {
          rejoined[layer].erase(i);
          if (!may_change(v[i])) continue;
          GridJoin j = joiner->join(v[i].location);
          if (!same_join(j, v[i].join)) rejoined[layer].emplace(i, std::move(j));
        }
      scan(layer, v, seen[layer].size());
    };
    recheck(0, data_.households);
    recheck(1, data_.enterprises);
    recheck(2, data_.incidents);
    recheck(3, data_.workers);

    // The records as they are now with their new joins, written in one transaction.
    std::vector<Household> hh;
    std::vector<Enterprise> en;
    std::vector<Incident> in;
    std::vector<Worker> wk;
    auto copy = [&](std::size_t layer, const auto& v, auto& out) {
      for (const auto& [i, j] : rejoined[layer]) {
        out.push_back(v[i]);
        out.back().join = j;
      }
    };
    copy(0, data_.households, hh);
    copy(1, data_.enterprises, en);
    copy(2, data_.incidents, in);
    copy(3, data_.workers, wk);
    Store::Batch batch;
    batch.grids.push_back(&after);
    for (auto& r : hh) batch.households.push_back(&r);
    for (auto& r : en) batch.enterprises.push_back(&r);
    for (auto& r : in) batch.incidents.push_back(&r);
    for (auto& r : wk) batch.workers.push_back(&r);
    store_->put(batch);

    // Memory, indexes, listeners.
    std::unique_lock memory(mutex_);
    data_.grids[index] = after;
    ++grids_version_;
    agencies_ = AgencyDirectory(dispatch_.agencies, data_.grids);
    joiner_ = std::move(joiner);
    if (after.level == GridLevel::Town)
      index_teams();  // the nearest-town routing uses town outlines
    tiles_->grid_changed(data_, index);
    Change gc;
    gc.layer = LayerKind::Grids;
    gc.fid = fid;
    gc.grid_before = spatial::envelope(before.geometry);
    gc.grid_after = box;
    notify(gc);
    auto apply = [&](LayerKind kind, std::size_t layer, auto& v) {
      for (const auto& [i, j] : rejoined[layer]) {
        auto& rec = v[i];
        Change c;
        c.layer = kind;
        join_fields_changed(rec.join, j, c.fields);
        c.fid = rec.fid;
        c.before = c.after = rec.location;
        if constexpr (std::is_same_v<std::decay_t<decltype(rec)>, Incident>)
          c.incident_before = rec;
        rec.join = j;
        if constexpr (std::is_same_v<std::decay_t<decltype(rec)>, Incident>) c.incident_after = rec;
        notify(c);
      }
    };
    apply(LayerKind::Households, 0, data_.households);
    apply(LayerKind::Enterprises, 1, data_.enterprises);
    apply(LayerKind::Incidents, 2, data_.incidents);
    apply(LayerKind::Workers, 3, data_.workers);
    return after;
  }
}

void County::audit(std::vector<AuditRecord> rows) {
  if (rows.empty()) return;
  const int64_t now = clock(0);
  Store::Batch b;
  for (auto& r : rows) {
    if (!r.at) r.at = now;
    b.audit.push_back(&r);
  }
  // Through the county's connection, as the county's writes; readers go on meanwhile.
  auto lock = write_lock();
  store_->put(b);
}

}  // namespace onemap::layers
