// The record endpoints (records.hpp).
#include "api/records.hpp"

#include "api/json_body.hpp"
#include "api/media_api.hpp"
#include "api/tickets.hpp"
#include "auth/read_policy.hpp"
#include "core/errors.hpp"
#include "layers/model/text.hpp"
#include "spatial/chinacrs.hpp"
#include "spatial/geos_ops.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <limits>
#include <memory>

namespace onemap::api {

namespace {

using json = nlohmann::ordered_json;  // keys in the order written
using layers::json_text;
using layers::LonLat;
using layers::stored_json;
using layers::TextKind;

// The kind of each text field of the bodies (layers/model/text.hpp has the rule and the limits):
// free text may hold line breaks and 4,000 characters, names 200, everything else is an id or a
// code of at most 64.
TextKind text_kind(std::string_view field) {
  if (field == "description" || field == "note" || field == "feedback") return TextKind::FreeText;
  if (field == "name" || field == "address" || field == "head_name" || field == "industry")
    return TextKind::Name;
  return TextKind::Id;
}

// ---- request bodies --------------------------------------------------------------------------

// A JSON object body whose fields are checked against a list, read field by field with their
// types checked; every error names the field.
class Body {
 public:
  Body(std::string_view text, std::vector<std::string> known, const std::string& what)
      : known_(std::move(known)) {
    j_ = parse_request_json<json>(text, "body");
    if (!j_.is_object()) throw InvalidArgument("body", "must be a JSON object");
    for (const auto& [k, v] : j_.items())
      if (std::find(known_.begin(), known_.end(), k) == known_.end()) {
        layers::check_text(k, "body", TextKind::Id);  // a field name is echoed: it must be text
        std::string list;
        for (const auto& n : known_) list += (list.empty() ? "" : ", ") + n;
        throw InvalidArgument(k, "unknown " + what + " field (fields: " + list + ")");
      }
  }

  bool has(const char* k) const { return j_.contains(k); }
  const json& at(const char* k) const { return j_.at(k); }

  /// A text field, checked by the one rule for request text (layers::check_text).
  std::optional<std::string> text(const char* k) const {
    if (!has(k)) return std::nullopt;
    if (!j_[k].is_string()) throw InvalidArgument(k, "must be a string");
    std::string v = j_[k].get<std::string>();
    layers::check_text(v, k, text_kind(k));
    return v;
  }
  std::optional<int64_t> integer(const char* k, int64_t lo, int64_t hi) const {
    if (!has(k)) return std::nullopt;
    const json& v = j_[k];
    if (!v.is_number_integer() ||
        (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(hi)) ||
        v.get<int64_t>() < lo || v.get<int64_t>() > hi)
      throw InvalidArgument(
          k, "must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return v.get<int64_t>();
  }
  /// The value of a schema field (layers/model/schema.hpp), checked by the field's rule: null
  /// empties it; a datetime is given as ISO 8601 text.
  layers::AttributeValue value(const layers::Field& f) const {
    const json& v = j_.at(f.name);
    layers::FieldValue out;
    if (v.is_string() && f.type == layers::FieldType::DateTime)
      out = layers::parse_request_time(v.get_ref<const std::string&>(), f.name);
    else if (v.is_string())
      out = std::string_view(v.get_ref<const std::string&>());
    else if (v.is_boolean())
      out = v.get<bool>();
    else if (v.is_number_integer() &&
             !(v.is_number_unsigned() &&
               v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())))
      out = v.get<int64_t>();
    else if (v.is_number())
      out = v.get<double>();
    else if (!v.is_null())
      throw InvalidArgument(f.name, "must be a " + std::string(layers::type_name(f.type)));
    f.check(out);
    return layers::own(out);
  }
  /// An array of at most `max` texts (ids), each checked as text() checks one.
  std::optional<std::vector<std::string>> texts(const char* k, std::size_t max) const {
    if (!has(k)) return std::nullopt;
    const json& v = j_[k];
    if (!v.is_array() || v.size() > max)
      throw InvalidArgument(k, "must be an array of at most " + std::to_string(max) + " strings");
    std::vector<std::string> out;
    for (const json& e : v) {
      if (!e.is_string()) throw InvalidArgument(k, "must hold strings");
      out.push_back(e.get<std::string>());
      layers::check_text(out.back(), k, text_kind(k));
    }
    return out;
  }
  /// A time a task must be met by (layers::Due): an ISO 8601 time, or a time from now ("4h",
  /// "2wh", "3wd": layers::Deadline).
  layers::Due due(const char* k) const {
    layers::Due d;
    const auto v = text(k);
    if (!v) return d;
    if (const auto at = layers::parse_time(*v))
      d.at = *at;
    else
      d.within = layers::Deadline::parse(*v, k);
    return d;
  }
  std::optional<bool> boolean(const char* k) const {
    if (!has(k)) return std::nullopt;
    if (!j_[k].is_boolean()) throw InvalidArgument(k, "must be true or false");
    return j_[k].get<bool>();
  }
  /// The fields that may only be given when a record is created.
  void refuse(std::initializer_list<const char*> fields, const char* why) const {
    for (const char* k : fields)
      if (has(k)) throw InvalidArgument(k, why);
  }

  /// "crs" of the coordinates: CGCS2000 unless it says GCJ02. @throws for an unknown one.
  bool gcj02() const {
    const std::string crs = text("crs").value_or("CGCS2000");
    if (crs == "GCJ02" || crs == "gcj02") return true;
    if (crs != "CGCS2000" && crs != "EPSG:4490" && crs != "WGS84" && crs != "EPSG:4326")
      throw InvalidArgument("crs", "must be CGCS2000 (EPSG:4490), WGS84 (EPSG:4326) or GCJ02");
    return false;
  }

  /// "lon" and "lat" (with "crs"), or nothing when neither is given.
  std::optional<LonLat> location() const {
    if (has("lon") != has("lat"))
      throw InvalidArgument(has("lon") ? "lat" : "lon", "lon and lat go together");
    if (!has("lon")) {
      if (has("crs") && !has("geometry")) throw InvalidArgument("crs", "given without coordinates");
      return std::nullopt;
    }
    for (const char* k : {"lon", "lat"})
      if (!j_[k].is_number()) throw InvalidArgument(k, "must be a number (degrees)");
    LonLat p{j_["lon"].get<double>(), j_["lat"].get<double>()};
    if (gcj02()) p = spatial::gcj02_to_wgs84(p);
    return p;
  }

 private:
  json j_;
  std::vector<std::string> known_;
};

std::vector<std::string> with(std::vector<std::string> a, std::initializer_list<const char*> b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A GeoJSON Polygon or MultiPolygon (through GEOS's reader) in lon/lat, optionally from GCJ-02.
spatial::MultiPolygon read_outline(const json& g, bool gcj02) {
  if (!g.is_object() || !g.contains("type") || !g["type"].is_string())
    throw InvalidArgument("geometry", "must be a GeoJSON Polygon or MultiPolygon object");
  const std::string type = g["type"].get<std::string>();
  if (type != "Polygon" && type != "MultiPolygon")
    throw InvalidArgument("geometry", "must be a Polygon or MultiPolygon");
  check_geometry_vertices(g, "geometry");
  spatial::MultiPolygon mp = spatial::multipolygon_from_geojson(json_text(g), "geometry");
  if (gcj02) {
    auto shift = [](auto& ring) {
      for (auto& p : ring) {
        const LonLat w = spatial::gcj02_to_wgs84({p.x(), p.y()});
        p = spatial::Point(w.lon, w.lat);
      }
    };
    for (auto& poly : mp) {
      shift(poly.outer());
      for (auto& h : poly.inners()) shift(h);
    }
  }
  return mp;
}

// ---- responses -------------------------------------------------------------------------------

json time_or_null(int64_t t) {
  return t ? json(layers::format_time(t)) : json(nullptr);
}

// What `audience` may read of a record's JSON under `policy` (auth/read_policy.hpp): "id" (the
// feature id) always, "lon" and "lat" as the geometry, every other member as the field it names.
json readable(json j, layers::LayerKind kind, auth::Audience audience,
              const auth::ReadPolicy& policy) {
  for (auto it = j.begin(); it != j.end();) {
    const std::string& k = it.key();
    const std::string_view field =
        k == "lon" || k == "lat" ? std::string_view("geometry") : std::string_view(k);
    if (k == "id" || policy.reaches(audience, kind, field))
      ++it;
    else
      it = j.erase(it);
  }
  return j;
}

// Whether the incident's category is shown to the public as counts only.
bool sensitive(const layers::County& county, const std::string& category) {
  const auto* c = county.dispatch_config().find(category);
  return c && c->sensitive;
}

json to_json(const layers::IncidentEvent& e) {
  return {{"seq", e.seq},
          {"at", layers::format_time(e.at)},
          {"actor", e.actor},
          {"action", e.action},
          {"from", e.from.empty() ? json(nullptr) : json(e.from)},
          {"to", e.to},
          {"note", e.note},
          {"detail", stored_json<json>(e.detail)}};
}

// A field's value as a record shows it: empty text and time 0 are null, times are ISO 8601.
json value_json(const layers::FieldValue& v, const layers::Field& f) {
  return std::visit(
      [&](const auto& x) -> json {
        using X = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<X, std::monostate>)
          return nullptr;
        else if constexpr (std::is_same_v<X, std::string_view>)
          return x.empty() ? json(nullptr) : json(std::string(x));
        else if constexpr (std::is_same_v<X, int64_t>)
          return f.type == layers::FieldType::DateTime ? time_or_null(x) : json(x);
        else
          return x;
      },
      v);
}

// A record's JSON from its layer's schema: "id" (the feature id), then every served field as
// stored (a household's sensitive flags included: records are read by their area's staff), then
// its position.
template <class T>
json record_json(const T& r) {
  const auto& s = layers::schema<T>();
  json j = {{"id", r.fid}};
  for (std::size_t i = 0; i < s.fields.size(); ++i)
    if (s.fields[i].served) j[s.fields[i].name] = value_json(s.get(r, i), s.fields[i]);
  if constexpr (std::is_same_v<T, layers::Grid>) {
    auto ring = [](const spatial::Ring& points) {
      json out = json::array();
      for (const auto& p : points) out.push_back({p.x(), p.y()});
      return out;
    };
    json polys = json::array();
    for (const auto& poly : r.geometry) {
      json rings = json::array({ring(poly.outer())});
      for (const auto& h : poly.inners()) rings.push_back(ring(h));
      polys.push_back(rings);
    }
    j["geometry"] = {{"type", "MultiPolygon"}, {"coordinates", polys}};
  } else {
    j["lon"] = r.location.lon;
    j["lat"] = r.location.lat;
  }
  return j;
}

json to_json(const layers::Grid& g) {
  return record_json(g);
}
json to_json(const layers::Household& h) {
  return record_json(h);
}
json to_json(const layers::Enterprise& e) {
  return record_json(e);
}

// An incident as `viewer` may read it: by default the public never gets its free text, people or
// routing reasons; a reporter reads its own in full.
json to_json(const layers::Incident& i, const auth::Viewer& viewer) {
  json j = record_json(i);
  // The first level, which the store leaves empty, by its name; the routing reasons as the
  // object they are.
  j["level"] = i.level.empty() ? "grid" : i.level;
  j["dispatch_reason"] = stored_json<json>(i.dispatch_reason);
  return readable(std::move(j), layers::LayerKind::Incidents, auth::incident_audience(viewer, i),
                  *viewer.policy);
}

// The names of a layer's personal fields (schema.hpp): what a record answer audits.
template <class T>
std::vector<std::string> personal_fields() {
  std::vector<std::string> out;
  for (const auto& f : layers::schema<T>().fields)
    if (f.personal) out.push_back(f.name);
  return out;
}

// A record's JSON as `viewer` may read it where the record lies (Viewer::at its grid).
template <class Record>
json readable(const Record& r, layers::LayerKind kind, const auth::Viewer& viewer,
              std::string_view grid_code) {
  return readable(to_json(r), kind, viewer.at(grid_code), *viewer.policy);
}

// ---- the endpoints ---------------------------------------------------------------------------

const std::vector<std::string>& point_fields() {
  static const std::vector<std::string> f = {"lon", "lat", "crs"};
  return f;
}

RecordAnswer created(const std::string& collection, int64_t fid, const json& body) {
  return RecordAnswer{
      201, json_text(body), {{"Location", "/" + collection + "/" + std::to_string(fid)}}, {}};
}

// A new household or enterprise from a POST body: its position and the fields given on create,
// each checked by its schema rule.
template <class T>
T new_point(std::string_view body) {
  const layers::PointPatch p = read_point_body(layers::schema<T>().kind, body, true);
  if (!p.location) throw InvalidArgument("lon", "lon and lat are required");
  T r;
  r.location = *p.location;
  layers::apply(layers::schema<T>(), r, p.values, false);
  return r;
}

std::string etag(const layers::Incident& i) {
  return "\"" + std::to_string(i.version) + "\"";
}

// The version an If-Match header names ("3", W/"3" or 3); nullopt for none or "*".
std::optional<int64_t> if_match_version(const std::string& h) {
  layers::check_text(h, "If-Match", TextKind::Id);
  std::string_view v = h;
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty() || v == "*") return std::nullopt;
  if (v.substr(0, 2) == "W/") v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  int64_t n = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size())
    throw InvalidArgument("If-Match", "must be the incident's ETag, e.g. \"3\" (its version)");
  return n;
}

// Writes the audit row of an answer that shows personal fields of a record; durable before the
// answer goes out (a failure throws, and nothing personal is answered).
void audit_personal(layers::County& county, const RecordRequest& rq, const layers::Actor& actor,
                    const char* action, layers::LayerKind layer, int64_t fid,
                    const std::vector<std::string>& fields) {
  layers::AuditRecord r;
  r.actor = actor.id;
  r.role = actor.role;
  r.action = action;
  r.layer = std::string(layers::layer_name(layer));
  r.records = json_text(json::array({fid}));
  r.fields = json_text(json(fields));
  r.peer = std::string(rq.peer);
  r.request_id = std::string(rq.request_id);
  county.audit({std::move(r)});
}

// An incident's reporter shown (as the read policy lets to_json show it) to someone else than
// the reporter is a personal read.
void audit_reporter(layers::County& county, const RecordRequest& rq, const layers::Actor& actor,
                    const layers::Incident& i) {
  if (i.reporter.empty() || i.reporter == actor.id) return;
  const auth::Viewer viewer = rq.policy->viewer(actor);
  if (!rq.policy->reaches(auth::incident_audience(viewer, i), layers::LayerKind::Incidents,
                          "reporter"))
    return;
  audit_personal(county, rq, actor, "read_personal", layers::LayerKind::Incidents, i.fid,
                 {"reporter"});
}

// An incident's trail as `viewer` reads it: the reporter's user id, where it acted, only for
// those who may read the reporter (by default personal); others read "reporter" there.
json trail_json(const layers::County& county, const layers::Incident& i,
                const auth::Viewer& viewer) {
  const bool reporter = viewer.policy->reaches(auth::incident_audience(viewer, i),
                                               layers::LayerKind::Incidents, "reporter");
  json events = json::array();
  for (const auto& e : county.history(i.fid)) {
    json j = to_json(e);
    if (!reporter && !i.reporter.empty() && e.actor == i.reporter) j["actor"] = "reporter";
    events.push_back(std::move(j));
  }
  return events;
}

// An incident's answer as `viewer` reads it, with its photos' links.
RecordAnswer incident_answer(int status, const layers::Incident& i, const auth::Viewer& viewer,
                             const layers::County& county, const RecordRequest& rq,
                             json extra = nullptr) {
  json j = to_json(i, viewer);
  {
    auto lock = county.read();
    j["media"] = media_json(county, i, viewer, rq.base_url);
  }
  if (!extra.is_null())
    for (auto& [k, v] : extra.items()) j[k] = v;
  return {status, json_text(j), {{"ETag", etag(i)}}, {}};
}

RecordAnswer incidents(layers::County& county, const RecordRequest& rq, std::optional<int64_t> fid,
                       std::string_view sub) {
  if (!fid) {
    // Intake: routed to its grid and a worker at once (layers/county/county.hpp County::intake).
    // Any user may report anywhere, scoped staff too: a report is not an edit, and a grid worker
    // who sees something across the boundary should say so; routing gives it to the grid that holds
    // it.
    // A report the centre must look at first waits in its queue (202, api/tickets.hpp).
    const layers::Actor actor = require_actor(rq);
    layers::Report report = read_incident_report(rq.body);
    if (actor.role == "resident") {
      // Their verified phone is the contact the SMS notifier texts, never a number the body
      // gives; the time is when it came.
      layers::Incident& in = report.incident;
      if (in.reported_at)
        throw InvalidArgument("reported_at", "is the time a resident's report arrives");
      in.extra = json_text(json{{"contact", {{"phone", actor.contact_phone}}}});
      if (in.source.empty()) in.source = "resident_app";
    }
    if (rq.place) rq.place(report);
    const layers::Received got = county.receive(std::move(report), actor);
    if (got.ticket)
      return {202,
              json_text(ticket_json(*got.ticket, false)),
              {{"Location", "/tickets/" + std::to_string(got.ticket->id)}},
              {}};
    const layers::Incident& out = *got.incident;
    RecordAnswer a = incident_answer(201, out, rq.policy->viewer(actor), county, rq);
    a.headers.emplace_back("Location", "/incidents/" + std::to_string(out.fid));
    return a;
  }
  if (sub == "actions") {
    const layers::Actor actor = require_actor(rq);
    const layers::Incident out =
        county.transition(*fid, read_incident_action(rq.body, rq.if_match), actor);
    const auto trail = county.history(*fid);
    audit_reporter(county, rq, actor, out);
    return incident_answer(200, out, rq.policy->viewer(actor), county, rq,
                           {{"event", to_json(trail.back())}});
  }
  if (rq.method == "PATCH") {
    // An administrative edit: recorded in the history, but outside the loop's rules.
    const layers::Actor actor = require_writer(rq);
    const layers::Incident out =
        county.update_incident(*fid, read_incident_patch(rq.body, rq.if_match), actor);
    audit_reporter(county, rq, actor, out);
    return incident_answer(200, out, rq.policy->viewer(actor), county, rq);
  }
  const std::optional<layers::Actor> user = rq.authenticate();
  const auth::Viewer viewer = rq.policy->viewer(user);
  // An incident the viewer may not see is not there for it (a sensitive one, to the public).
  const layers::Incident current = county.incident(*fid);
  if (!auth::may_see_incident(viewer, current, sensitive(county, current.category)))
    throw NotFound("no incident with id " + std::to_string(*fid));
  const bool trail_readable = rq.policy->reaches(auth::incident_audience(viewer, current),
                                                 layers::LayerKind::Incidents, "history");
  if (sub == "history") {
    // The trail names the people who acted: staff's, in their area.
    if (!trail_readable) {
      if (viewer.anonymous())
        throw Unauthorized("an incident's history needs a staff user's token");
      throw Forbidden("incident " + std::to_string(*fid) + "'s history is for staff of its area",
                      "forbidden_scope");
    }
    const json events = trail_json(county, current, viewer);
    if (user) audit_reporter(county, rq, *user, current);
    return {200, json_text(json{{"id", *fid}, {"events", events}}), {}, {}};
  }
  json extra = json::object();
  if (trail_readable) extra["history"] = trail_json(county, current, viewer);
  if (user) audit_reporter(county, rq, *user, current);
  return incident_answer(200, current, viewer, county, rq, extra);
}

RecordAnswer households(layers::County& county, const RecordRequest& rq,
                        std::optional<int64_t> fid) {
  // Answers carry personal data: reads need the token as writes do, and the area too.
  const layers::Actor actor = require_writer(rq);
  static const std::vector<std::string> personal = personal_fields<layers::Household>();
  auto shown = [&](const layers::Household& h) {
    return readable(h, layers::LayerKind::Households, rq.policy->viewer(actor), h.join.grid_code);
  };
  if (!fid) {
    const layers::Household out =
        county.create_household(new_point<layers::Household>(rq.body), actor);
    audit_personal(county, rq, actor, "write_personal", layers::LayerKind::Households, out.fid,
                   personal);
    return created("households", out.fid, shown(out));
  }
  if (rq.method == "PATCH") {
    const layers::Household out = county.update_household(
        *fid, read_point_body(layers::LayerKind::Households, rq.body, false), actor);
    audit_personal(county, rq, actor, "write_personal", layers::LayerKind::Households, out.fid,
                   personal);
    return {200, json_text(shown(out)), {}, {}};
  }
  const layers::Household h = county.household(*fid);
  layers::check_area(actor, h.join.grid_code, "household " + std::to_string(*fid));
  const json j = shown(h);
  std::vector<std::string> read;  // the personal fields the answer shows
  for (const auto& f : personal)
    if (j.contains(f)) read.push_back(f);
  if (!read.empty())
    audit_personal(county, rq, actor, "read_personal", layers::LayerKind::Households, h.fid, read);
  return {200, json_text(j), {}, {}};
}

RecordAnswer enterprises(layers::County& county, const RecordRequest& rq,
                         std::optional<int64_t> fid) {
  auto shown = [&](const layers::Enterprise& e, const std::optional<layers::Actor>& user) {
    return readable(e, layers::LayerKind::Enterprises, rq.policy->viewer(user), e.join.grid_code);
  };
  if (!fid) {
    const layers::Actor actor = require_writer(rq);
    const layers::Enterprise out =
        county.create_enterprise(new_point<layers::Enterprise>(rq.body), actor);
    return created("enterprises", out.fid, shown(out, actor));
  }
  if (rq.method == "PATCH") {
    const layers::Actor actor = require_writer(rq);
    const layers::Enterprise out = county.update_enterprise(
        *fid, read_point_body(layers::LayerKind::Enterprises, rq.body, false), actor);
    return {200, json_text(shown(out, actor)), {}, {}};
  }
  return {200, json_text(shown(county.enterprise(*fid), rq.authenticate())), {}, {}};
}

RecordAnswer grids(layers::County& county, const RecordRequest& rq, int64_t fid) {
  auto shown = [&](const layers::Grid& g, const std::optional<layers::Actor>& user) {
    return readable(g, layers::LayerKind::Grids, rq.policy->viewer(user),
                    g.code);  // a grid is its own area
  };
  if (rq.method == "PATCH") {
    const layers::Actor actor = require_writer(rq);
    // A grid's code never changes: its own code is its area.
    layers::check_area(actor, county.grid(fid).code, "grid " + std::to_string(fid));
    return {200, json_text(shown(county.update_grid(fid, read_grid_body(rq.body)), actor)), {}, {}};
  }
  return {200, json_text(shown(county.grid(fid), rq.authenticate())), {}, {}};
}

constexpr std::string_view kCollections[] = {"incidents", "households", "enterprises", "grids",
                                             "users",     "dispatch",   "escalations"};

// POST /dispatch/batch {"area": code, "pool": "grid"|"village"|"town"|"county"}
RecordAnswer batch(layers::County& county, const RecordRequest& rq) {
  if (rq.method != "POST") return RecordAnswer{405, "", {}, {"POST"}};
  const layers::Actor actor = require_writer(rq);
  const Body b(rq.body.empty() ? std::string_view("{}") : rq.body, {"area", "pool"},
               "batch dispatch");
  const auto r =
      county.batch_dispatch(b.text("area").value_or(""), b.text("pool").value_or("grid"), actor);
  json list = json::array();
  for (const auto& a : r.assignments)
    list.push_back({{"id", a.fid},
                    {"assignee", a.worker_id.empty() ? json(nullptr) : json(a.worker_id)},
                    {"distance_m", a.worker_id.empty() ? json(nullptr) : json(a.distance_m)}});
  return {
      200,
      json_text(json{{"area", r.area},
                     {"pool", r.pool},
                     {"incidents", r.incidents},
                     {"workers", r.workers},
                     {"assigned", r.assigned},
                     {"total_m", r.total_m},
                     {"greedy", {{"assigned", r.greedy_assigned}, {"total_m", r.greedy_total_m}}},
                     {"proved_optimal", r.proved_optimal},
                     {"seconds", r.seconds},
                     {"assignments", list}}),
      {},
      {}};
}

// POST /escalations/sweep {"at": ISO time (default now)}
RecordAnswer sweep(layers::County& county, const RecordRequest& rq) {
  if (rq.method != "POST") return RecordAnswer{405, "", {}, {"POST"}};
  // A scoped user sweeps its own area only.
  const layers::Actor actor = require_writer(rq);
  const Body b(rq.body.empty() ? std::string_view("{}") : rq.body, {"at"}, "sweep");
  // A time a request reports: not before 2000, not ahead of the clock (a sweep "in 2099" would
  // escalate every open incident).
  int64_t at = 0;
  if (const auto t = b.text("at")) at = layers::parse_request_time(*t, "at");
  const auto r = county.sweep_overdue(at, actor.scope);
  json tasks = json::array();
  for (const auto& [fid, seq] : r.tasks_overdue)
    tasks.push_back({{"incident", fid}, {"task", seq}});
  return {200,
          json_text(json{{"at", layers::format_time(r.at)},
                         {"escalated", r.escalated},
                         {"marked_overdue", r.marked_overdue},
                         {"tasks_overdue", std::move(tasks)}}),
          {},
          {}};
}

}  // namespace

layers::Report read_incident_report(std::string_view body) {
  static const auto fields = with(point_fields(), {"category", "description", "address", "id",
                                                   "source", "reported_at", "phone"});
  const Body b(body, with(fields, {"status", "assignee"}), "incident");
  b.refuse({"status", "assignee"},
           "is set by routing; change it with POST /incidents/{id}/actions");
  layers::Report report;
  layers::Incident& in = report.incident;
  in.address = b.text("address").value_or("");
  const auto location = b.location();
  if (!location && in.address.empty())
    throw InvalidArgument("lon", "lon and lat, or an address, are required");
  const auto category = b.text("category");
  if (!category || category->empty()) throw InvalidArgument("category", "is required");
  if (location) {
    in.location = *location;
    report.placed = true;
    report.located_by = "reporter";
  }
  in.category = *category;
  in.description = b.text("description").value_or("");
  in.id = b.text("id").value_or("");
  in.source = b.text("source").value_or("");
  if (const auto t = b.text("reported_at"))
    in.reported_at = layers::parse_request_time(*t, "reported_at");
  // The caller's number, as a hotline's system sends it (personal; Open311's "phone" too): the
  // SMS notifier tells them their case was received and closed.
  if (const auto phone = b.text("phone"); phone && !phone->empty())
    in.extra = json_text(json{{"contact", {{"phone", *phone}}}});
  return report;
}

layers::TransitionRequest read_incident_action(std::string_view body, const std::string& if_match) {
  const Body b(body, {"action", "note", "assignee", "version"}, "action");
  const auto action = b.text("action");
  if (!action) throw InvalidArgument("action", "is required");
  layers::TransitionRequest t;
  t.action = layers::action_from_name(*action);
  t.note = b.text("note").value_or("");
  t.assignee = b.text("assignee");
  if (t.assignee && t.action != layers::Action::Dispatch)
    throw InvalidArgument("assignee", "is given only with the dispatch action");
  t.expected_version = if_match_version(if_match);
  if (const auto v = b.integer("version", 0, std::numeric_limits<int64_t>::max())) {
    if (t.expected_version && *t.expected_version != *v)
      throw InvalidArgument("version", "differs from the If-Match header");
    t.expected_version = v;
  }
  return t;
}

namespace {

// The If-Match header's version and the body's "version", which must agree.
std::optional<int64_t> expected_version(const Body& b, const std::string& if_match) {
  std::optional<int64_t> v = if_match_version(if_match);
  if (const auto given = b.integer("version", 0, std::numeric_limits<int64_t>::max())) {
    if (v && *v != *given) throw InvalidArgument("version", "differs from the If-Match header");
    v = given;
  }
  return v;
}

}  // namespace

layers::TicketDecision read_ticket_decision(std::string_view body, const std::string& if_match) {
  static const auto fields =
      with(point_fields(), {"action", "note", "category", "into", "version"});
  const Body b(body, fields, "decision");
  const auto action = b.text("action");
  if (!action) throw InvalidArgument("action", "is required: admit, reject or merge");
  layers::TicketDecision d;
  d.action = triage::ticket_action_from_name(*action);
  d.note = b.text("note").value_or("");
  d.location = b.location();
  d.category = b.text("category");
  if (const auto into = b.integer("into", 1, std::numeric_limits<int64_t>::max())) d.into = *into;
  using triage::TicketAction;
  if (d.into && d.action != TicketAction::Merge)
    throw InvalidArgument("into", "is given only with the merge action");
  if (d.location && d.action != TicketAction::Admit)
    throw InvalidArgument("lon", "is given only with the admit action");
  if (d.category && d.action != TicketAction::Admit)
    throw InvalidArgument("category", "is given only with the admit action");
  d.expected_version = expected_version(b, if_match);
  return d;
}

layers::JointRequest read_joint_request(std::string_view body, const std::string& if_match) {
  const Body b(body, {"lead", "with", "deadline", "note", "version"}, "joint case");
  layers::JointRequest rq;
  rq.lead = b.text("lead").value_or("");
  rq.with = b.texts("with", kMaxCaseAgencies).value_or(std::vector<std::string>{});
  rq.deadline = b.due("deadline");
  rq.note = b.text("note").value_or("");
  rq.expected_version = expected_version(b, if_match);
  return rq;
}

layers::SummonsRequest read_summons_request(std::string_view body, const std::string& if_match) {
  const Body b(body, {"agencies", "report_within", "deadline", "note", "version"}, "summons");
  layers::SummonsRequest rq;
  rq.agencies = b.texts("agencies", kMaxCaseAgencies).value_or(std::vector<std::string>{});
  rq.report = b.due("report_within");
  rq.deadline = b.due("deadline");
  rq.note = b.text("note").value_or("");
  rq.expected_version = expected_version(b, if_match);
  return rq;
}

layers::TaskRequest read_task_request(std::string_view body, const std::string& if_match) {
  const Body b(body, {"action", "feedback", "version"}, "task action");
  layers::TaskRequest rq;
  const auto action = b.text("action");
  if (!action) throw InvalidArgument("action", "is required: accept or done");
  rq.action = *action;
  rq.feedback = b.text("feedback").value_or("");
  rq.expected_version = expected_version(b, if_match);
  return rq;
}

ResidentCredentials read_resident_credentials(std::string_view body, bool with_code) {
  const Body b(
      body,
      with_code ? std::vector<std::string>{"phone", "code"} : std::vector<std::string>{"phone"},
      "sign-in");
  ResidentCredentials c;
  c.phone = b.text("phone").value_or("");
  if (c.phone.empty()) throw InvalidArgument("phone", "is required");
  if (with_code) {
    c.code = b.text("code").value_or("");
    if (c.code.empty()) throw InvalidArgument("code", "is required: the six digits texted");
  }
  return c;
}

layers::IncidentPatch read_incident_patch(std::string_view body, const std::string& if_match) {
  static const auto fields = with(point_fields(), {"category", "status", "description", "assignee",
                                                   "id", "source", "reported_at"});
  const Body b(body, fields, "incident");
  b.refuse({"id", "source", "reported_at"}, "cannot be changed after the incident is created");
  b.refuse({"status"},
           "changes only through the closed loop: change it with POST /incidents/{id}/actions");
  layers::IncidentPatch p;
  p.location = b.location();
  p.category = b.text("category");
  p.description = b.text("description");
  p.assignee = b.text("assignee");
  p.expected_version = if_match_version(if_match);
  return p;
}

layers::PointPatch read_point_body(layers::LayerKind layer, std::string_view body, bool create) {
  return layers::with_schema(layer, [&](const auto& schema) {
    std::vector<std::string> fields = point_fields();
    for (const auto& f : schema.fields)
      if (create ? f.on_create : f.on_patch) fields.push_back(f.name);
    const Body b(body, fields, std::string(layers::record_name(layer)));
    layers::PointPatch p;
    p.location = b.location();
    for (const auto& f : schema.fields)
      if (b.has(f.name.c_str())) p.set(f.name, b.value(f));
    return p;
  });
}

layers::GridPatch read_grid_body(std::string_view body) {
  const Body b(body, {"name", "geometry", "crs", "code", "level", "parent_code"}, "grid");
  b.refuse({"code", "level", "parent_code"},
           "is the grid's place in the hierarchy and cannot be changed");
  layers::GridPatch p;
  p.name = b.text("name");
  if (b.has("geometry"))
    p.geometry = read_outline(b.at("geometry"), b.gcj02());
  else if (b.has("crs"))
    throw InvalidArgument("crs", "given without a geometry");
  return p;
}

layers::Actor require_actor(const RecordRequest& rq) {
  if (auto a = rq.authenticate()) return *a;
  throw Unauthorized(
      "this needs Authorization: Bearer <token> (a user's token from `onemap user add`, or the "
      "server's write token)");
}

layers::Actor require_writer(const RecordRequest& rq) {
  layers::Actor a = require_actor(rq);
  layers::check_may_edit(a);
  return a;
}

namespace {

// Whether `actor` holds the open incident `in`: a worker the one assigned to it, department staff
// one routed to their department, anyone an open task of an agency they act for (an admin acts
// for all, but holds none).
bool holds(const layers::County& county, const layers::Incident& in, const layers::Actor& actor) {
  if (!actor.worker_id.empty() && in.assignee == actor.worker_id) return true;
  if (actor.role == "department" && !actor.scope.empty() && in.agency == actor.scope) return true;
  if (actor.role == "admin") return false;
  for (const layers::Task& t : county.tasks_of(in.fid))
    if (t.state != "done" && layers::may_act_for(actor, t.agency)) return true;
  return false;
}

// GET /users/me/incidents: the open cases the caller holds, the earliest deadline first, as
// GeoJSON (a phone's task list and map).
RecordAnswer my_incidents(const layers::County& county, const RecordRequest& rq) {
  const layers::Actor actor = require_actor(rq);
  const auth::Viewer viewer = rq.policy->viewer(actor);
  std::vector<layers::Incident> held;
  {
    auto lock = county.read();
    for (const auto& in : county.data().incidents)
      if (layers::is_open_state(in.status) && holds(county, in, actor)) held.push_back(in);
  }
  std::stable_sort(held.begin(), held.end(), [](const auto& a, const auto& b) {
    return (a.deadline ? a.deadline : INT64_MAX) < (b.deadline ? b.deadline : INT64_MAX);
  });
  json features = json::array();
  for (const auto& in : held) {
    json props = to_json(in, viewer);
    const json lon = props["lon"], lat = props["lat"];
    props.erase("lon");
    props.erase("lat");
    json geometry =
        lon.is_number() ? json{{"type", "Point"}, {"coordinates", {lon, lat}}} : json(nullptr);
    features.push_back({{"type", "Feature"},
                        {"id", in.fid},
                        {"geometry", std::move(geometry)},
                        {"properties", std::move(props)}});
  }
  const std::size_t n = features.size();
  return {
      200,
      json_text(json{
          {"type", "FeatureCollection"}, {"features", std::move(features)}, {"numberReturned", n}}),
      {{"Cache-Control", "no-store"}},
      {}};
}

// GET /users/me/reports: what the caller reported (a resident, an app), newest first: its cases
// with their progress and photos, and the reports still waiting in the intake queue or refused
// or merged there.
RecordAnswer my_reports(const layers::County& county, const RecordRequest& rq) {
  const layers::Actor actor = require_actor(rq);
  const auth::Viewer viewer = rq.policy->viewer(actor);
  struct Item {
    int64_t at;
    json body;
  };
  std::vector<Item> items;
  {
    auto lock = county.read();
    for (const auto& in : county.data().incidents) {
      if (in.reporter.empty() || in.reporter != actor.id) continue;
      json j = to_json(in, viewer);
      j["kind"] = "incident";
      j["media"] = media_json(county, in, viewer, rq.base_url);
      json steps = json::array();
      for (const auto& e : county.trail_of(in.fid))
        steps.push_back({{"action", e.action}, {"at", layers::format_time(e.at)}, {"to", e.to}});
      j["history"] = std::move(steps);
      items.push_back({in.reported_at, std::move(j)});
    }
  }
  for (const auto& t : county.tickets_reported_by(actor.id)) {
    if (t.state == "admitted") continue;  // its case is listed
    json j = ticket_json(t, false);
    j["kind"] = "ticket";
    j["description"] = t.description;
    j["address"] = t.address;
    j["note"] = t.state == "rejected" ? json(t.note) : json(nullptr);
    items.push_back({t.received_at, std::move(j)});
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const Item& a, const Item& b) { return a.at > b.at; });
  json reports = json::array();
  for (auto& item : items) reports.push_back(std::move(item.body));
  return {
      200, json_text(json{{"reports", std::move(reports)}}), {{"Cache-Control", "no-store"}}, {}};
}

}  // namespace

bool is_record_path(std::string_view path) {
  for (std::string_view c : kCollections) {
    if (path.size() < c.size() + 1 || path[0] != '/' || path.substr(1, c.size()) != c) continue;
    const std::string_view rest = path.substr(1 + c.size());
    if (rest.empty() || rest[0] == '/') return true;
  }
  return false;
}

RecordAnswer handle_record_request(layers::County& county, const RecordRequest& rq) {
  std::string_view collection, id_text, sub;
  bool with_id = false;
  for (std::string_view c : kCollections) {
    if (rq.path.substr(1, c.size()) != c) continue;
    collection = c;
    const std::string_view rest = rq.path.substr(1 + c.size());
    if (!rest.empty()) {
      with_id = true;
      id_text = rest.substr(1);
      if (const auto slash = id_text.find('/');
          slash != std::string_view::npos && c == "incidents") {
        sub = id_text.substr(slash + 1);
        id_text = id_text.substr(0, slash);
        if (sub != "actions" && sub != "history")
          throw NotFound("no resource at " + std::string(rq.path) +
                         " (an incident has /actions and /history)");
      }
    }
  }
  if (rq.query_parameter)
    throw InvalidArgument(*rq.query_parameter,
                          "unknown query parameter for " + std::string(rq.path));
  if (collection == "dispatch") {
    if (rq.path != "/dispatch/batch")
      throw NotFound("no resource at " + std::string(rq.path) + " (POST /dispatch/batch)");
    return batch(county, rq);
  }
  if (collection == "escalations") {
    if (rq.path != "/escalations/sweep")
      throw NotFound("no resource at " + std::string(rq.path) + " (POST /escalations/sweep)");
    return sweep(county, rq);
  }
  if (collection == "users") {
    if (rq.method != "GET" && rq.method != "HEAD")
      return RecordAnswer{405, "", {}, {"GET", "HEAD"}};
    if (rq.path == "/users/me/incidents") return my_incidents(county, rq);
    if (rq.path == "/users/me/reports") return my_reports(county, rq);
    if (rq.path != "/users/me")
      throw NotFound("no resource at " + std::string(rq.path) +
                     " (users: /users/me, /users/me/incidents, /users/me/reports)");
    const layers::Actor a = require_actor(rq);
    json j = {{"id", a.id}, {"role", a.role}, {"scope", a.scope}, {"worker_id", a.worker_id}};
    j["worker_role"] =
        a.worker_role ? json(std::string(layers::role_name(*a.worker_role))) : json(nullptr);
    j["team_grid"] = a.team_grid;
    std::vector<std::string> may;
    for (auto act : layers::kAllActions)
      if (layers::role_may(a.role, act, a.grid_head())) may.emplace_back(layers::action_name(act));
    j["actions"] = may;
    return {200, json_text(j), {}, {}};
  }
  const std::string what(layers::record_name(layers::layer_from_name(collection)));
  // The methods each form of path allows.
  std::vector<std::string> allow;
  if (sub == "history")
    allow = {"GET", "HEAD"};
  else if (with_id && sub != "actions")
    allow = {"GET", "HEAD", "PATCH"};
  else if (sub == "actions" || collection != "grids")  // a step of the loop, or a new record
    allow = {"POST"};
  if (std::find(allow.begin(), allow.end(), rq.method) == allow.end()) {
    if (allow.empty())
      throw NotFound("no resource at " + std::string(rq.path) +
                     " (grids are read and changed at /grids/{id})");
    RecordAnswer a;
    a.status = 405;
    a.allow = allow;
    return a;
  }
  std::optional<int64_t> fid;
  if (with_id) {
    int64_t v = 0;
    const auto [p, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), v);
    if (ec != std::errc() || p != id_text.data() + id_text.size() || v <= 0)
      throw NotFound("no " + what + " with id '" + std::string(id_text) +
                     "' (ids are positive integers)");
    fid = v;
  }
  if (collection == "incidents") return incidents(county, rq, fid, sub);
  if (collection == "households") return households(county, rq, fid);
  if (collection == "enterprises") return enterprises(county, rq, fid);
  return grids(county, rq, *fid);
}

}  // namespace onemap::api
