// The record endpoints (records.hpp).
#include "api/records.hpp"

#include "spatial/chinacrs.hpp"
#include "spatial/errors.hpp"
#include "spatial/geos_ops.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <limits>
#include <memory>

namespace onemap::api {

namespace {

using json = nlohmann::ordered_json;  // keys in the order written
using layers::LonLat;

// ---- request bodies --------------------------------------------------------------------------

// A JSON object body whose fields are checked against a list, read field by field with their
// types checked; every error names the field.
class Body {
 public:
  Body(std::string_view text, std::vector<std::string> known, const std::string& what)
      : known_(std::move(known)) {
    try {
      j_ = json::parse(text);
    } catch (const std::exception& e) {
      throw InvalidArgument("body", std::string("not valid JSON: ") + e.what());
    }
    if (!j_.is_object()) throw InvalidArgument("body", "must be a JSON object");
    for (const auto& [k, v] : j_.items())
      if (std::find(known_.begin(), known_.end(), k) == known_.end()) {
        std::string list;
        for (const auto& n : known_) list += (list.empty() ? "" : ", ") + n;
        throw InvalidArgument(k, "unknown " + what + " field (fields: " + list + ")");
      }
  }

  bool has(const char* k) const { return j_.contains(k); }
  const json& at(const char* k) const { return j_.at(k); }

  std::optional<std::string> text(const char* k) const {
    if (!has(k)) return std::nullopt;
    if (!j_[k].is_string()) throw InvalidArgument(k, "must be a string");
    return j_[k].get<std::string>();
  }
  std::optional<int64_t> integer(const char* k, int64_t lo, int64_t hi) const {
    if (!has(k)) return std::nullopt;
    const json& v = j_[k];
    if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(hi)) ||
        v.get<int64_t>() < lo || v.get<int64_t>() > hi)
      throw InvalidArgument(k, "must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return v.get<int64_t>();
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
    if (has("lon") != has("lat")) throw InvalidArgument(has("lon") ? "lat" : "lon", "lon and lat go together");
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
    throw InvalidArgument("geometry", "must be a Polygon or MultiPolygon, not " + type);
  spatial::MultiPolygon mp = spatial::multipolygon_from_geojson(g.dump(), "geometry");
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

void put_join(json& j, const layers::GridJoin& join) {
  j["grid_code"] = join.grid_code;
  j["join_kind"] = std::string(layers::join_kind_name(join.kind));
  j["join_distance_m"] = join.distance_m;
}

json to_json(const layers::Incident& i) {
  json j = {{"id", i.fid},
            {"inc_id", i.id},
            {"category", i.category},
            {"status", i.status},
            {"description", i.description},
            {"source", i.source},
            {"reported_at", layers::format_time(i.reported_at)},
            {"closed_at", i.closed_at ? json(layers::format_time(i.closed_at)) : json(nullptr)},
            {"assignee", i.assignee},
            {"lon", i.location.lon},
            {"lat", i.location.lat}};
  put_join(j, i.join);
  return j;
}

json to_json(const layers::Household& h) {
  json j = {{"id", h.fid},         {"hh_id", h.id},           {"address", h.address},
            {"members", h.members}, {"flags", h.flags},        {"head_name", h.head_name},
            {"phone", h.phone},     {"id_number", h.id_number}, {"lon", h.location.lon},
            {"lat", h.location.lat}};
  put_join(j, h.join);
  return j;
}

json to_json(const layers::Enterprise& e) {
  json j = {{"id", e.fid},
            {"ent_id", e.id},
            {"name", e.name},
            {"industry", e.industry},
            {"risk", std::string(layers::risk_name(e.risk))},
            {"hazardous_chemicals", e.hazardous_chemicals},
            {"last_inspection", e.last_inspection},
            {"open_hazards", e.open_hazards},
            {"lon", e.location.lon},
            {"lat", e.location.lat}};
  put_join(j, e.join);
  return j;
}

json to_json(const layers::Grid& g) {
  auto ring = [](const spatial::Ring& r) {
    json out = json::array();
    for (const auto& p : r) out.push_back({p.x(), p.y()});
    return out;
  };
  json polys = json::array();
  for (const auto& poly : g.geometry) {
    json rings = json::array({ring(poly.outer())});
    for (const auto& h : poly.inners()) rings.push_back(ring(h));
    polys.push_back(rings);
  }
  return {{"id", g.fid},
          {"code", g.code},
          {"name", g.name},
          {"level", std::string(layers::level_name(g.level))},
          {"parent_code", g.parent_code},
          {"area_m2", g.area_m2},
          {"synthetic", g.synthetic},
          {"geometry", {{"type", "MultiPolygon"}, {"coordinates", polys}}}};
}

// ---- the endpoints ---------------------------------------------------------------------------

const std::vector<std::string>& point_fields() {
  static const std::vector<std::string> f = {"lon", "lat", "crs"};
  return f;
}

RecordAnswer created(const std::string& collection, int64_t fid, json body) {
  return RecordAnswer{201, body.dump(), {{"Location", "/" + collection + "/" + std::to_string(fid)}}, {}};
}

RecordAnswer incidents(layers::County& county, const RecordRequest& rq, std::optional<int64_t> fid) {
  static const auto fields =
      with(point_fields(), {"category", "status", "description", "assignee", "id", "source", "reported_at"});
  auto patch_of = [](const Body& b) {
    layers::IncidentPatch p;
    p.location = b.location();
    p.category = b.text("category");
    p.status = b.text("status");
    p.description = b.text("description");
    p.assignee = b.text("assignee");
    return p;
  };
  if (!fid) {
    rq.require_writer();
    const Body b(rq.body, fields, "incident");
    const layers::IncidentPatch p = patch_of(b);
    if (!p.location) throw InvalidArgument("lon", "lon and lat are required");
    if (!p.category) throw InvalidArgument("category", "is required");
    layers::Incident in;
    in.location = *p.location;
    in.category = *p.category;
    in.status = p.status.value_or("");
    in.description = p.description.value_or("");
    in.assignee = p.assignee.value_or("");
    in.id = b.text("id").value_or("");
    in.source = b.text("source").value_or("");
    if (b.has("reported_at")) {
      const auto t = b.at("reported_at").is_string() ? layers::parse_time(b.at("reported_at").get<std::string>())
                                                     : std::nullopt;
      if (!t) throw InvalidArgument("reported_at", "must be an ISO 8601 time");
      in.reported_at = *t;
    }
    const layers::Incident out = county.create_incident(std::move(in));
    return created("incidents", out.fid, to_json(out));
  }
  if (rq.method == "PATCH") {
    rq.require_writer();
    const Body b(rq.body, fields, "incident");
    b.refuse({"id", "source", "reported_at"}, "cannot be changed after the incident is created");
    return {200, to_json(county.update_incident(*fid, patch_of(b))).dump(), {}, {}};
  }
  return {200, to_json(county.incident(*fid)).dump(), {}, {}};
}

RecordAnswer households(layers::County& county, const RecordRequest& rq, std::optional<int64_t> fid) {
  // Every answer carries personal data: reads need the token as writes do.
  rq.require_writer();
  static const auto fields =
      with(point_fields(), {"hh_id", "address", "members", "flags", "head_name", "phone", "id_number"});
  auto patch_of = [](const Body& b) {
    layers::HouseholdPatch p;
    p.location = b.location();
    p.id = b.text("hh_id");
    p.address = b.text("address");
    if (auto m = b.integer("members", 0, 1000)) p.members = static_cast<int>(*m);
    if (auto f = b.integer("flags", 0, std::numeric_limits<uint32_t>::max())) p.flags = static_cast<uint32_t>(*f);
    p.head_name = b.text("head_name");
    p.phone = b.text("phone");
    p.id_number = b.text("id_number");
    return p;
  };
  if (!fid) {
    const layers::HouseholdPatch p = patch_of(Body(rq.body, fields, "household"));
    if (!p.location) throw InvalidArgument("lon", "lon and lat are required");
    layers::Household h;
    h.location = *p.location;
    h.id = p.id.value_or("");
    h.address = p.address.value_or("");
    h.members = p.members.value_or(0);
    h.flags = p.flags.value_or(0);
    h.head_name = p.head_name.value_or("");
    h.phone = p.phone.value_or("");
    h.id_number = p.id_number.value_or("");
    const layers::Household out = county.create_household(std::move(h));
    return created("households", out.fid, to_json(out));
  }
  if (rq.method == "PATCH")
    return {200, to_json(county.update_household(*fid, patch_of(Body(rq.body, fields, "household")))).dump(), {}, {}};
  return {200, to_json(county.household(*fid)).dump(), {}, {}};
}

RecordAnswer enterprises(layers::County& county, const RecordRequest& rq, std::optional<int64_t> fid) {
  static const auto fields = with(point_fields(), {"ent_id", "name", "industry", "risk", "hazardous_chemicals",
                                                   "last_inspection", "open_hazards"});
  auto patch_of = [](const Body& b) {
    layers::EnterprisePatch p;
    p.location = b.location();
    p.id = b.text("ent_id");
    p.name = b.text("name");
    p.industry = b.text("industry");
    if (auto r = b.text("risk")) p.risk = layers::risk_from_name(*r);  // names the field when unknown
    p.hazardous_chemicals = b.boolean("hazardous_chemicals");
    p.last_inspection = b.text("last_inspection");
    if (auto n = b.integer("open_hazards", 0, 1000000)) p.open_hazards = static_cast<int>(*n);
    return p;
  };
  if (!fid) {
    rq.require_writer();
    const layers::EnterprisePatch p = patch_of(Body(rq.body, fields, "enterprise"));
    if (!p.location) throw InvalidArgument("lon", "lon and lat are required");
    if (!p.name) throw InvalidArgument("name", "is required");
    layers::Enterprise e;
    e.location = *p.location;
    e.id = p.id.value_or("");
    e.name = *p.name;
    e.industry = p.industry.value_or("");
    e.risk = p.risk.value_or(layers::RiskLevel::Low);
    e.hazardous_chemicals = p.hazardous_chemicals.value_or(false);
    e.last_inspection = p.last_inspection.value_or("");
    e.open_hazards = p.open_hazards.value_or(0);
    const layers::Enterprise out = county.create_enterprise(std::move(e));
    return created("enterprises", out.fid, to_json(out));
  }
  if (rq.method == "PATCH") {
    rq.require_writer();
    return {200, to_json(county.update_enterprise(*fid, patch_of(Body(rq.body, fields, "enterprise")))).dump(), {}, {}};
  }
  return {200, to_json(county.enterprise(*fid)).dump(), {}, {}};
}

RecordAnswer grids(layers::County& county, const RecordRequest& rq, int64_t fid) {
  if (rq.method == "PATCH") {
    rq.require_writer();
    const Body b(rq.body, {"name", "geometry", "crs", "code", "level", "parent_code"}, "grid");
    b.refuse({"code", "level", "parent_code"}, "is the grid's place in the hierarchy and cannot be changed");
    layers::GridPatch p;
    p.name = b.text("name");
    if (b.has("geometry")) p.geometry = read_outline(b.at("geometry"), b.gcj02());
    else if (b.has("crs")) throw InvalidArgument("crs", "given without a geometry");
    return {200, to_json(county.update_grid(fid, p)).dump(), {}, {}};
  }
  return {200, to_json(county.grid(fid)).dump(), {}, {}};
}

constexpr std::string_view kCollections[] = {"incidents", "households", "enterprises", "grids"};

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
  std::string_view collection, id_text;
  bool with_id = false;
  for (std::string_view c : kCollections) {
    if (rq.path.substr(1, c.size()) != c) continue;
    collection = c;
    const std::string_view rest = rq.path.substr(1 + c.size());
    if (!rest.empty()) {
      with_id = true;
      id_text = rest.substr(1);
    }
  }
  const std::string what = collection == "households" ? "household" : collection == "enterprises" ? "enterprise"
                           : collection == "grids"    ? "grid"      : "incident";
  // The methods each form of path allows.
  std::vector<std::string> allow;
  if (with_id) allow = {"GET", "HEAD", "PATCH"};
  else if (collection != "grids") allow = {"POST"};
  if (std::find(allow.begin(), allow.end(), rq.method) == allow.end()) {
    if (allow.empty()) throw NotFound("no resource at " + std::string(rq.path) + " (grids are read and changed at /grids/{id})");
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
      throw NotFound("no " + what + " with id '" + std::string(id_text) + "' (ids are positive integers)");
    fid = v;
  }
  if (rq.query_parameter) throw InvalidArgument(*rq.query_parameter, "unknown query parameter for " + std::string(rq.path));
  if (collection == "incidents") return incidents(county, rq, fid);
  if (collection == "households") return households(county, rq, fid);
  if (collection == "enterprises") return enterprises(county, rq, fid);
  return grids(county, rq, *fid);
}

}  // namespace onemap::api
