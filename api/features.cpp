// OGC API - Features, Part 1 (features.hpp).
#include "api/features.hpp"

#include "spatial/errors.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>
#include <optional>

namespace onemap::api {

namespace {

using json = nlohmann::ordered_json;  // keys in the order written
using layers::LayerKind;

constexpr const char* kCrs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
constexpr const char* kGeoJson = "application/geo+json";
constexpr const char* kOpenApi = "application/vnd.oai.openapi+json;version=3.0";
constexpr const char* kItemParameters = "bbox, datetime, limit, offset, f";

const std::vector<std::string>& conformance_classes() {
  static const std::vector<std::string> c = {
      "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
      "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
      "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
  };
  return c;
}

struct CollectionInfo {
  LayerKind kind;
  const char* title;
  const char* description;
};

constexpr CollectionInfo kCollections[] = {
    {LayerKind::Grids, "Grids", "Grid boundaries of every level (county, town, village, grid, micro-grid)"},
    {LayerKind::Households, "Households", "Households: the public fields only (no names, phones or ID numbers)"},
    {LayerKind::Enterprises, "Enterprises", "Enterprises with their safety risk level"},
    {LayerKind::Incidents, "Incidents", "Incidents reported in the county, with their status in the closed loop"},
    {LayerKind::Workers, "Grid workers", "Grid team members (no names)"},
};

const CollectionInfo& collection(std::string_view id) {
  for (const auto& c : kCollections)
    if (layers::layer_name(c.kind) == id) return c;
  std::string list;
  for (const auto& c : kCollections) list += (list.empty() ? "" : ", ") + std::string(layers::layer_name(c.kind));
  throw NotFound("no collection '" + std::string(id) + "' (collections: " + list + ")");
}

// RFC 3986 percent-encoding of a query value (unreserved characters kept, and ',', ':', '/',
// which a query may hold as they are: bbox and datetime stay readable).
std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ',' || c == ':' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

json link(const std::string& href, const char* rel, const char* type, const std::string& title) {
  return {{"href", href}, {"rel", rel}, {"type", type}, {"title", title}};
}

std::string now_text() {
  return layers::format_time(static_cast<int64_t>(std::time(nullptr)));
}

// ---- item query parameters -------------------------------------------------------------------

struct ItemQuery {
  std::optional<spatial::Box> bbox;
  std::optional<int64_t> since, until;  ///< datetime: reported_at in [since, until] (closed)
  std::size_t limit = 10;
  std::size_t offset = 0;
  std::vector<std::pair<std::string, std::string>> kept;  ///< every parameter but offset, for links
};

uint64_t parse_count(const std::string& name, const std::string& v, uint64_t lo) {
  uint64_t n = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size() || n < lo)
    throw InvalidArgument(name, "'" + v + "' is not an integer of at least " + std::to_string(lo));
  return n;
}

spatial::Box parse_bbox(const std::string& v) {
  std::vector<double> n;
  std::size_t start = 0;
  while (start <= v.size()) {
    const std::size_t comma = std::min(v.find(',', start), v.size());
    const std::string item = v.substr(start, comma - start);
    double d = 0;
    const auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), d);
    if (item.empty() || ec != std::errc() || p != item.data() + item.size() || !std::isfinite(d))
      throw InvalidArgument("bbox", "'" + item + "' is not a number (bbox=minlon,minlat,maxlon,maxlat)");
    n.push_back(d);
    start = comma + 1;
  }
  if (n.size() != 4 && n.size() != 6)
    throw InvalidArgument("bbox", "takes 4 numbers (minlon,minlat,maxlon,maxlat) or 6 (with heights), not " +
                                      std::to_string(n.size()));
  if (n.size() == 6) n = {n[0], n[1], n[3], n[4]};
  if (n[1] > n[3]) throw InvalidArgument("bbox", "its minimum latitude is above its maximum");
  if (n[0] > n[2]) throw InvalidArgument("bbox", "its minimum longitude is above its maximum (boxes across the antimeridian are not supported)");
  if (n[1] < -90 || n[3] > 90) throw InvalidArgument("bbox", "latitudes must be within [-90, 90]");
  return spatial::Box({n[0], n[1]}, {n[2], n[3]});
}

// datetime: an instant or an interval "start/end" with ".." (or nothing) for an open end.
void parse_datetime(const std::string& v, ItemQuery& q) {
  auto instant = [&](const std::string& t) -> std::optional<int64_t> {
    if (t.empty() || t == "..") return std::nullopt;
    const auto parsed = layers::parse_time(t, 0);
    if (!parsed) throw InvalidArgument("datetime", "'" + t + "' is not an RFC 3339 time (e.g. 2026-11-01T00:00:00Z)");
    return parsed;
  };
  const std::size_t slash = v.find('/');
  if (slash == std::string::npos) {
    if (v == ".." || v.empty()) throw InvalidArgument("datetime", "an instant cannot be open ('..')");
    q.since = q.until = instant(v);
    return;
  }
  if (v.find('/', slash + 1) != std::string::npos) throw InvalidArgument("datetime", "has more than one '/'");
  q.since = instant(v.substr(0, slash));
  q.until = instant(v.substr(slash + 1));
  if (q.since && q.until && *q.since > *q.until) throw InvalidArgument("datetime", "its start is after its end");
}

ItemQuery parse_items_query(const std::vector<std::pair<std::string, std::string>>& query, LayerKind kind,
                            const FeatureServiceOptions& o) {
  ItemQuery q;
  q.limit = o.default_limit;
  std::vector<std::string> seen;
  for (const auto& [k, v] : query) {
    if (std::find(seen.begin(), seen.end(), k) != seen.end()) throw InvalidArgument(k, "is given more than once");
    seen.push_back(k);
    if (k == "limit") {
      q.limit = static_cast<std::size_t>(std::min<uint64_t>(parse_count(k, v, 1), o.max_limit));
      q.kept.emplace_back(k, std::to_string(q.limit));
      continue;
    }
    if (k == "offset") {
      q.offset = static_cast<std::size_t>(parse_count(k, v, 0));
      continue;
    }
    if (k == "bbox") {
      q.bbox = parse_bbox(v);
    } else if (k == "datetime") {
      if (kind != LayerKind::Incidents)
        throw InvalidArgument(k, "the " + std::string(layers::layer_name(kind)) + " collection has no time (incidents have reported_at)");
      parse_datetime(v, q);
    } else if (k == "f") {
      if (v != "json" && v != "geojson") throw InvalidArgument(k, "only json (GeoJSON) is offered");
    } else {
      throw InvalidArgument(k, std::string("unknown query parameter for items (parameters: ") + kItemParameters + ")");
    }
    q.kept.emplace_back(k, v);
  }
  return q;
}

// ---- GeoJSON features ------------------------------------------------------------------------

json point_geometry(const layers::LonLat& p) {
  if (!std::isfinite(p.lon) || !std::isfinite(p.lat)) return nullptr;
  return {{"type", "Point"}, {"coordinates", {p.lon, p.lat}}};
}

json polygon_geometry(const spatial::MultiPolygon& mp) {
  auto ring = [](const spatial::Ring& r, bool reverse) {
    // RFC 7946: exterior rings counter-clockwise, holes clockwise (the model's orientation).
    json out = json::array();
    if (reverse)
      for (auto it = r.rbegin(); it != r.rend(); ++it) out.push_back({it->x(), it->y()});
    else
      for (const auto& p : r) out.push_back({p.x(), p.y()});
    return out;
  };
  json polys = json::array();
  for (const auto& poly : mp) {
    const bool ccw = spatial::bg::area(poly.outer()) > 0;
    json rings = json::array({ring(poly.outer(), !ccw)});
    for (const auto& h : poly.inners()) rings.push_back(ring(h, spatial::bg::area(h) > 0));
    polys.push_back(rings);
  }
  return {{"type", "MultiPolygon"}, {"coordinates", polys}};
}

void put_join(json& p, const layers::GridJoin& j) {
  p["grid_code"] = j.grid_code.empty() ? json(nullptr) : json(j.grid_code);
  p["join_kind"] = std::string(layers::join_kind_name(j.kind));
  p["join_distance_m"] = j.distance_m;
}

json time_or_null(int64_t t) {
  return t ? json(layers::format_time(t)) : json(nullptr);
}

json properties(const layers::Grid& g, const FeatureServiceOptions&) {
  return {{"code", g.code},
          {"name", g.name},
          {"level", std::string(layers::level_name(g.level))},
          {"parent_code", g.parent_code.empty() ? json(nullptr) : json(g.parent_code)},
          {"area_m2", g.area_m2},
          {"synthetic", g.synthetic}};
}

json properties(const layers::Household& h, const FeatureServiceOptions& o) {
  json all = {{"hh_id", h.id},
              {"address", h.address},
              {"members", h.members},
              {"flags", h.flags & ~layers::kSensitiveHouseholdFlags}};
  put_join(all, h.join);
  json p = json::object();
  for (const auto& f : o.household_fields)
    if (all.contains(f)) p[f] = all[f];
  return p;
}

json properties(const layers::Enterprise& e, const FeatureServiceOptions&) {
  json p = {{"ent_id", e.id},
            {"name", e.name},
            {"industry", e.industry},
            {"risk", std::string(layers::risk_name(e.risk))},
            {"hazardous_chemicals", e.hazardous_chemicals},
            {"last_inspection", e.last_inspection.empty() ? json(nullptr) : json(e.last_inspection)},
            {"open_hazards", e.open_hazards}};
  put_join(p, e.join);
  return p;
}

json properties(const layers::Incident& i, const FeatureServiceOptions&) {
  json p = {{"inc_id", i.id},
            {"category", i.category},
            {"description", i.description},
            {"source", i.source},
            {"reported_at", time_or_null(i.reported_at)},
            {"status", i.status},
            {"closed_at", time_or_null(i.closed_at)},
            {"assignee", i.assignee.empty() ? json(nullptr) : json(i.assignee)}};
  put_join(p, i.join);
  return p;
}

json properties(const layers::Worker& w, const FeatureServiceOptions&) {
  json p = {{"worker_id", w.worker_id},
            {"role", std::string(layers::role_name(w.role))},
            {"team_grid", w.grid_code},
            {"on_duty", w.on_duty}};
  put_join(p, w.join);
  return p;
}

template <class T>
json feature(const T& r, const FeatureServiceOptions& o) {
  json geometry;
  if constexpr (std::is_same_v<T, layers::Grid>) geometry = polygon_geometry(r.geometry);
  else geometry = point_geometry(r.location);
  return {{"type", "Feature"}, {"id", r.fid}, {"geometry", geometry}, {"properties", properties(r, o)}};
}

// The fields of a collection's features as JSON Schema types (for /collections/{id}, and the
// OpenAPI document).
json schema_properties(LayerKind kind, const FeatureServiceOptions& o) {
  json props = json::object();
  for (const auto& f : layers::layer_fields(kind)) {
    if (f.personal || f.name == "extra") continue;
    if (kind == LayerKind::Households &&
        std::find(o.household_fields.begin(), o.household_fields.end(), f.name) == o.household_fields.end())
      continue;
    std::string type = f.type == "integer" ? "integer" : f.type == "real" ? "number" : f.type == "boolean" ? "boolean" : "string";
    json s = {{"type", type}};
    if (f.type == "datetime") s["format"] = "date-time";
    props[f.name] = s;
  }
  return props;
}

// Whether record r passes the query's filters.
template <class T>
bool matches(const T& r, const ItemQuery& q) {
  if constexpr (std::is_same_v<T, layers::Grid>) {
    if (q.bbox && !spatial::bg::intersects(*q.bbox, r.geometry)) return false;
  } else {
    if (q.bbox) {
      const auto& p = r.location;
      if (!(p.lon >= q.bbox->min_corner().x() && p.lon <= q.bbox->max_corner().x() &&
            p.lat >= q.bbox->min_corner().y() && p.lat <= q.bbox->max_corner().y()))
        return false;
    }
  }
  if constexpr (std::is_same_v<T, layers::Incident>) {
    if (q.since && r.reported_at < *q.since) return false;
    if (q.until && r.reported_at > *q.until) return false;
  }
  return true;
}

}  // namespace

void check_household_fields(const std::vector<std::string>& fields) {
  for (const auto& name : fields) {
    bool known = false;
    for (const auto& f : layers::layer_fields(LayerKind::Households)) {
      if (f.name != name) continue;
      known = f.name != "extra";
      if (f.personal)
        throw InvalidArgument("household-fields", "'" + name + "' is personal information and never public");
    }
    if (!known) {
      std::string list;
      for (const auto& f : layers::layer_fields(LayerKind::Households))
        if (!f.personal && f.name != "extra") list += (list.empty() ? "" : ", ") + f.name;
      throw InvalidArgument("household-fields", "unknown household field '" + name + "' (public fields: " + list + ")");
    }
  }
}

struct FeatureService::Impl {
  std::shared_ptr<layers::County> county;
  FeatureServiceOptions options;

  HttpAnswer landing(const std::string& base) const {
    json j = {{"title", "onemap"},
              {"description", "The county's one map: grids, households, enterprises, incidents and grid workers"},
              {"links", json::array({link(base + "/", "self", "application/json", "This document"),
                                     link(base + "/api", "service-desc", kOpenApi, "The API definition (OpenAPI 3.0)"),
                                     link(base + "/conformance", "conformance", "application/json",
                                          "The conformance classes implemented"),
                                     link(base + "/collections", "data", "application/json", "The collections")})}};
    return {200, j.dump(), "application/json", {}};
  }

  HttpAnswer conformance() const {
    return {200, json{{"conformsTo", conformance_classes()}}.dump(), "application/json", {}};
  }

  json collection_json(const CollectionInfo& c, const std::string& base) const {
    const std::string id(layers::layer_name(c.kind));
    const std::string self = base + "/collections/" + id;
    spatial::Box b;
    std::optional<std::pair<int64_t, int64_t>> times;
    {
      auto lock = county->read();
      const layers::Dataset& d = county->data();
      b = layers::layer_extent(d, c.kind);
      if (c.kind == LayerKind::Incidents && !d.incidents.empty()) {
        auto [lo, hi] = std::minmax_element(d.incidents.begin(), d.incidents.end(),
                                            [](const auto& x, const auto& y) { return x.reported_at < y.reported_at; });
        times = {lo->reported_at, hi->reported_at};
      }
    }
    json extent = json::object();
    if (b.min_corner().x() <= b.max_corner().x())
      extent["spatial"] = {{"bbox", {{b.min_corner().x(), b.min_corner().y(), b.max_corner().x(), b.max_corner().y()}}},
                           {"crs", kCrs84}};
    if (times)
      extent["temporal"] = {{"interval", json::array({json::array({layers::format_time(times->first),
                                                                      layers::format_time(times->second)})})},
                            {"trs", "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}};
    json j = {{"id", id},
              {"title", c.title},
              {"description", c.description},
              {"itemType", "feature"},
              {"crs", {kCrs84}},
              {"storageCrs", kCrs84},
              {"extent", extent},
              {"links", json::array({link(self, "self", "application/json", "This collection"),
                                     link(self + "/items", "items", kGeoJson, std::string(c.title) + " as GeoJSON")})}};
    return j;
  }

  HttpAnswer collections(const std::string& base) const {
    json list = json::array();
    for (const auto& c : kCollections) list.push_back(collection_json(c, base));
    json j = {{"links", json::array({link(base + "/collections", "self", "application/json", "The collections")})},
              {"collections", list}};
    return {200, j.dump(), "application/json", {}};
  }

  template <class T>
  HttpAnswer items(const std::vector<T>& records, const CollectionInfo& c, const ItemQuery& q,
                   const std::string& base) const {
    const std::string items_url = base + "/collections/" + std::string(layers::layer_name(c.kind)) + "/items";
    // Every match counted, in feature id order; the page's records turned into JSON.
    // Records are kept in fid order (grids in stored order, which is the same unless edited
    // outside onemap): sort positions only when needed.
    std::vector<std::size_t> order(records.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    if (!std::is_sorted(records.begin(), records.end(), [](const T& a, const T& b) { return a.fid < b.fid; }))
      std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return records[a].fid < records[b].fid; });
    std::size_t matched = 0;
    json features = json::array();
    if (!q.bbox && !q.since && !q.until) {
      // Every record matches: the page is a slice (a client paging through a whole layer costs
      // one page per request, not one scan).
      matched = order.size();
      for (std::size_t k = q.offset; k < matched && k < q.offset + q.limit; ++k)
        features.push_back(feature(records[order[k]], options));
    } else {
      for (const std::size_t i : order) {
        if (!matches(records[i], q)) continue;
        if (matched >= q.offset && matched < q.offset + q.limit) features.push_back(feature(records[i], options));
        ++matched;
      }
    }
    const std::size_t returned = features.size();
    auto page_url = [&](std::size_t offset) {
      std::string url = items_url + "?";
      for (const auto& [k, v] : q.kept) url += k + "=" + url_encode(v) + "&";
      if (std::none_of(q.kept.begin(), q.kept.end(), [](const auto& kv) { return kv.first == "limit"; }))
        url += "limit=" + std::to_string(q.limit) + "&";
      return url + "offset=" + std::to_string(offset);
    };
    json links = json::array({link(page_url(q.offset), "self", kGeoJson, "This page"),
                              link(base + "/collections/" + std::string(layers::layer_name(c.kind)), "collection",
                                   "application/json", "The collection")});
    if (q.offset + returned < matched) links.push_back(link(page_url(q.offset + returned), "next", kGeoJson, "Next page"));
    if (q.offset > 0) links.push_back(link(page_url(q.offset > q.limit ? q.offset - q.limit : 0), "prev", kGeoJson, "Previous page"));
    json j = {{"type", "FeatureCollection"},
              {"features", std::move(features)},
              {"numberMatched", matched},
              {"numberReturned", returned},
              {"timeStamp", now_text()},
              {"links", links}};
    return {200, j.dump(-1, ' ', false, json::error_handler_t::replace), kGeoJson, {}};
  }

  template <class T>
  HttpAnswer item(const std::vector<T>& records, const CollectionInfo& c, int64_t fid, const std::string& base) const {
    const auto it = std::find_if(records.begin(), records.end(), [&](const T& r) { return r.fid == fid; });
    const std::string id(layers::layer_name(c.kind));
    if (it == records.end()) throw NotFound("no feature " + std::to_string(fid) + " in " + id);
    json f = feature(*it, options);
    const std::string coll = base + "/collections/" + id;
    f["links"] = json::array({link(coll + "/items/" + std::to_string(fid), "self", kGeoJson, "This feature"),
                              link(coll, "collection", "application/json", "The collection")});
    return {200, f.dump(-1, ' ', false, json::error_handler_t::replace), kGeoJson, {}};
  }

  // Calls f(records) with the collection's record vector.
  template <class F>
  HttpAnswer with_records(LayerKind k, F&& f) const {
    auto lock = county->read();
    const layers::Dataset& d = county->data();
    switch (k) {
      case LayerKind::Grids: return f(d.grids);
      case LayerKind::Households: return f(d.households);
      case LayerKind::Enterprises: return f(d.enterprises);
      case LayerKind::Incidents: return f(d.incidents);
      case LayerKind::Workers: return f(d.workers);
    }
    return f(d.grids);
  }

  HttpAnswer openapi(const std::string& base) const;
};

FeatureService::FeatureService(std::shared_ptr<layers::County> county, FeatureServiceOptions options)
    : impl_(std::make_unique<Impl>()) {
  check_household_fields(options.household_fields);
  if (options.default_limit < 1 || options.default_limit > options.max_limit)
    throw InvalidArgument("limit", "the default must be within [1, max]");
  impl_->county = std::move(county);
  impl_->options = std::move(options);
}

FeatureService::~FeatureService() = default;

bool FeatureService::handles(std::string_view path) {
  return path == "/" || path == "/conformance" || path == "/api" || path == "/collections" ||
         path.starts_with("/collections/");
}

HttpAnswer FeatureService::handle(std::string_view path, const std::vector<std::pair<std::string, std::string>>& query,
                                  const std::string& base) const {
  const Impl& m = *impl_;
  auto no_parameters = [&] {
    for (const auto& [k, v] : query)
      if (k != "f") throw InvalidArgument(k, "unknown query parameter for " + std::string(path));
      else if (v != "json") throw InvalidArgument(k, "only json is offered");
  };
  if (path == "/") return no_parameters(), m.landing(base);
  if (path == "/conformance") return no_parameters(), m.conformance();
  if (path == "/api") return no_parameters(), m.openapi(base);
  if (path == "/collections") return no_parameters(), m.collections(base);

  // /collections/{id}[/items[/{featureId}]]
  std::string_view rest = path.substr(std::string_view("/collections/").size());
  const std::size_t slash = rest.find('/');
  const CollectionInfo& c = collection(rest.substr(0, slash));
  if (slash == std::string_view::npos) {
    no_parameters();
    return {200, m.collection_json(c, base).dump(), "application/json", {}};
  }
  rest = rest.substr(slash);
  if (rest == "/items") {
    const ItemQuery q = parse_items_query(query, c.kind, m.options);
    return m.with_records(c.kind, [&](const auto& records) { return m.items(records, c, q, base); });
  }
  if (rest.starts_with("/items/")) {
    no_parameters();
    const std::string_view id = rest.substr(7);
    int64_t fid = 0;
    const auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), fid);
    if (id.empty() || ec != std::errc() || p != id.data() + id.size())
      throw NotFound("no feature '" + std::string(id) + "' (feature ids are integers)");
    return m.with_records(c.kind, [&](const auto& records) { return m.item(records, c, fid, base); });
  }
  throw NotFound("no resource at " + std::string(path));
}

// ---- the OpenAPI document --------------------------------------------------------------------

HttpAnswer FeatureService::Impl::openapi(const std::string& base) const {
  auto param_ref = [](const char* name) { return json{{"$ref", std::string("#/components/parameters/") + name}}; };
  auto response = [](const char* description, const char* type, const json& schema) {
    return json{{"description", description}, {"content", {{type, {{"schema", schema}}}}}};
  };
  const json error_schema = {{"$ref", "#/components/schemas/error"}};
  const json errors = {{"400", response("A bad parameter (named in the answer)", "application/json", error_schema)},
                       {"404", response("No such resource", "application/json", error_schema)}};
  auto get = [&](const char* summary, const char* op, json params, json ok) {
    json responses = {{"200", ok}};
    for (const auto& [k, v] : errors.items()) responses[k] = v;
    return json{{"get", {{"summary", summary}, {"operationId", op}, {"parameters", params}, {"responses", responses}}}};
  };
  json ids = json::array();
  for (const auto& c : kCollections) ids.push_back(std::string(layers::layer_name(c.kind)));
  const json object = {{"type", "object"}};
  json paths = {
      {"/", get("The landing page", "getLandingPage", json::array({param_ref("f")}),
                response("Links to the API definition, conformance and collections", "application/json", object))},
      {"/conformance", get("The conformance classes", "getConformance", json::array({param_ref("f")}),
                           response("The conformance classes", "application/json", object))},
      {"/api", get("This document", "getApi", json::array({param_ref("f")}),
                   response("The OpenAPI document", kOpenApi, object))},
      {"/collections", get("The collections", "getCollections", json::array({param_ref("f")}),
                           response("Every layer as a collection", "application/json", object))},
      {"/collections/{collectionId}",
       get("One collection", "describeCollection", json::array({param_ref("collectionId"), param_ref("f")}),
           response("The collection with its extent", "application/json", object))},
      {"/collections/{collectionId}/items",
       get("Features of a collection", "getFeatures",
           json::array({param_ref("collectionId"), param_ref("bbox"), param_ref("datetime"), param_ref("limit"),
                        param_ref("offset"), param_ref("f")}),
           response("A page of features, by feature id", kGeoJson, {{"$ref", "#/components/schemas/featureCollection"}}))},
      {"/collections/{collectionId}/items/{featureId}",
       get("One feature", "getFeature", json::array({param_ref("collectionId"), param_ref("featureId"), param_ref("f")}),
           response("The feature", kGeoJson, {{"$ref", "#/components/schemas/feature"}}))},
  };
  json parameters = {
      {"collectionId", {{"name", "collectionId"}, {"in", "path"}, {"required", true},
                        {"description", "The collection"}, {"schema", {{"type", "string"}, {"enum", ids}}}}},
      {"featureId", {{"name", "featureId"}, {"in", "path"}, {"required", true},
                     {"description", "The feature id (an integer, the same as in vector tiles)"},
                     {"schema", {{"type", "integer"}, {"format", "int64"}}}}},
      {"bbox", {{"name", "bbox"}, {"in", "query"}, {"required", false}, {"style", "form"}, {"explode", false},
                {"description", "Features meeting this box: minlon,minlat,maxlon,maxlat in CRS84 (6 numbers with heights)"},
                {"schema", {{"type", "array"}, {"minItems", 4}, {"maxItems", 6}, {"items", {{"type", "number"}}}}}}},
      {"datetime", {{"name", "datetime"}, {"in", "query"}, {"required", false},
                    {"description", "Incidents reported at this instant or within this interval (RFC 3339; '..' for an "
                                    "open end), e.g. 2026-11-01T00:00:00Z/.. ; other collections have no time"},
                    {"schema", {{"type", "string"}}}}},
      {"limit", {{"name", "limit"}, {"in", "query"}, {"required", false}, {"style", "form"}, {"explode", false},
                 {"description", "Features per page (a larger value is taken as the maximum)"},
                 {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", options.max_limit},
                             {"default", options.default_limit}}}}},
      {"offset", {{"name", "offset"}, {"in", "query"}, {"required", false},
                  {"description", "Features to skip (the next links carry it)"},
                  {"schema", {{"type", "integer"}, {"minimum", 0}, {"default", 0}}}}},
      {"f", {{"name", "f"}, {"in", "query"}, {"required", false}, {"description", "The format: json"},
             {"schema", {{"type", "string"}, {"enum", {"json"}}}}}},
  };
  auto typed = [](const char* type) { return json{{"type", type}}; };
  json error_props = {{"code", typed("integer")}, {"message", typed("string")}, {"parameter", typed("string")}};
  json error_obj = {{"type", "object"}, {"properties", {{"error", {{"type", "object"}, {"properties", error_props}}}}}};
  json feature_props = {{"type", {{"type", "string"}, {"enum", {"Feature"}}}},
                        {"id", typed("integer")},
                        {"geometry", {{"type", "object"}, {"nullable", true}}},
                        {"properties", {{"type", "object"}, {"nullable", true}}}};
  json feature_obj = {{"type", "object"}, {"required", {"type", "geometry", "properties"}}, {"properties", feature_props}};
  json fc_props = {{"type", {{"type", "string"}, {"enum", {"FeatureCollection"}}}},
                   {"features", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/feature"}}}}},
                   {"numberMatched", {{"type", "integer"}, {"minimum", 0}}},
                   {"numberReturned", {{"type", "integer"}, {"minimum", 0}}},
                   {"timeStamp", {{"type", "string"}, {"format", "date-time"}}},
                   {"links", {{"type", "array"}, {"items", typed("object")}}}};
  json fc_obj = {{"type", "object"}, {"required", {"type", "features"}}, {"properties", fc_props}};
  json schemas = {{"error", error_obj}, {"feature", feature_obj}, {"featureCollection", fc_obj}};
  for (const auto& c : kCollections)
    schemas[std::string(layers::layer_name(c.kind)) + "_properties"] = {{"type", "object"},
                                                                        {"properties", schema_properties(c.kind, options)}};
  json doc = {{"openapi", "3.0.3"},
              {"info", {{"title", "onemap"},
                        {"version", "1.0.0"},
                        {"description", "OGC API - Features over the county's layers"}}},
              {"servers", json::array({{{"url", base}}})},
              {"paths", paths},
              {"components", {{"parameters", parameters}, {"schemas", schemas}}}};
  return {200, doc.dump(), kOpenApi, {}};
}

}  // namespace onemap::api
