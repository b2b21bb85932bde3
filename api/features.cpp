// OGC API - Features, Part 1 (features.hpp).
#include "api/features.hpp"

#include "auth/read_policy.hpp"
#include "http/deadline.hpp"

#include "api/json_body.hpp"
#include "core/errors.hpp"
#include "core/json_text.hpp"
#include "layers/dispatch/workflow.hpp"
#include "layers/model/text.hpp"
#include "layers/query/cql2.hpp"
#include "spatial/area_index.hpp"
#include "spatial/crs.hpp"
#include "spatial/geos_ops.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace onemap::api {

namespace {

using json = nlohmann::ordered_json;  // keys in the order written
using layers::LayerKind;

constexpr const char* kCrs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
constexpr const char* kGeoJson = "application/geo+json";
constexpr const char* kOpenApi = "application/vnd.oai.openapi+json;version=3.0";
constexpr const char* kItemParameters =
    "bbox, bbox-crs, crs, datetime, filter, filter-lang, filter-crs, area, near, radius, "
    "properties, sortby, limit, offset, f";

const std::vector<std::string>& conformance_classes() {
  static const std::vector<std::string> c = {
      "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
      "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
      "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
      "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
      "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
      "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
      "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
      "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
      "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
      "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
      "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
      "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-operators",
      "http://www.opengis.net/spec/cql2/1.0/conf/spatial-operators",
      "http://www.opengis.net/spec/cql2/1.0/conf/temporal-operators",
  };
  return c;
}

struct CollectionInfo {
  LayerKind kind;
  const char* title;
  const char* description;
};

constexpr CollectionInfo kCollections[] = {
    {LayerKind::Grids, "Grids",
     "Grid boundaries of every level (county, town, village, grid, micro-grid)"},
    {LayerKind::Households, "Households",
     "Households: the public fields only (no names, phones or ID numbers)"},
    {LayerKind::Enterprises, "Enterprises", "Enterprises with their safety risk level"},
    {LayerKind::Incidents, "Incidents",
     "Incidents reported in the county, with their status in the closed loop"},
    {LayerKind::Workers, "Grid workers", "Grid team members (no names)"},
};

const CollectionInfo& collection(std::string_view id) {
  for (const auto& c : kCollections)
    if (layers::layer_name(c.kind) == id) return c;
  std::string list;
  for (const auto& c : kCollections)
    list += (list.empty() ? "" : ", ") + std::string(layers::layer_name(c.kind));
  throw NotFound("no collection '" + std::string(id) + "' (collections: " + list + ")");
}

// RFC 3986 percent-encoding of a query value (unreserved characters kept, and ',', ':', '/',
// which a query may hold as they are: bbox and datetime stay readable).
std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ',' || c == ':' ||
        c == '/') {
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

// ---- output CRS ------------------------------------------------------------------------------

// The CRSs features can be asked in (Part 2), with their axis order: EPSG's geographic CRSs and
// the Gauss-Krüger one list northing first, CRS84 and Web Mercator easting first.
struct OutputCrs {
  const char* uri;
  const char* proj;  ///< for PROJ
  bool north_first;
};
constexpr OutputCrs kCrsList[] = {
    {"http://www.opengis.net/def/crs/OGC/1.3/CRS84", "EPSG:4490", false},
    {"http://www.opengis.net/def/crs/EPSG/0/4490", "EPSG:4490", true},
    {"http://www.opengis.net/def/crs/EPSG/0/4326", "EPSG:4326", true},
    {"http://www.opengis.net/def/crs/EPSG/0/3857", "EPSG:3857", false},
    {"http://www.opengis.net/def/crs/EPSG/0/4549", "EPSG:4549", true},
};

// A crs or bbox-crs value: the URI, or "EPSG:n" / "[EPSG:n]" / "CRS84" for short.
const OutputCrs& parse_crs(const std::string& parameter, std::string v) {
  if (v.size() > 2 && v.front() == '[' && v.back() == ']') v = v.substr(1, v.size() - 2);
  for (const auto& c : kCrsList) {
    const std::string uri = c.uri;
    const std::string code = uri.substr(uri.rfind('/') + 1);
    const bool epsg = uri.find("/EPSG/") != std::string::npos;
    if (v == uri || (epsg && v == "EPSG:" + code) || (!epsg && (v == "CRS84" || v == "OGC:CRS84")))
      return c;
  }
  std::string list;
  for (const auto& c : kCrsList) list += (list.empty() ? "" : ", ") + std::string(c.uri);
  throw InvalidArgument(parameter, "unsupported CRS '" + v + "' (CRSs: " + list + ")");
}

// Lon/lat (CGCS2000) to a CRS's coordinates in its axis order.
class Projector {
 public:
  explicit Projector(const OutputCrs& crs)
      : crs_(crs),
        transform_(std::string(crs.proj) == "EPSG:4490"
                       ? nullptr
                       : std::make_unique<spatial::CrsTransform>(spatial::kStorageCrs, crs.proj)) {}
  /// false when the point cannot be transformed.
  bool apply(double lon, double lat, double& a, double& b) const {
    double x = lon, y = lat;
    if (transform_) {
      try {
        const spatial::Point p = transform_->apply(spatial::Point(lon, lat));
        x = p.x();
        y = p.y();
      } catch (const CrsError&) {
        return false;
      }
    }
    if (crs_.north_first) std::swap(x, y);
    a = x;
    b = y;
    return std::isfinite(a) && std::isfinite(b);
  }
  const OutputCrs& crs() const { return crs_; }

 private:
  const OutputCrs& crs_;
  std::unique_ptr<spatial::CrsTransform> transform_;
};

json crs_uris() {
  json out = json::array();
  for (const auto& c : kCrsList) out.push_back(c.uri);
  return out;
}

// ---- queryables (Part 3): the public properties and the geometry of each collection ---------

namespace cql2 = layers::cql2;

// A queryable with how to read it from a record of type T.
template <class T>
struct Field {
  cql2::Queryable queryable;
  cql2::Value (*get)(const T&);
};

using cql2::Null;
using cql2::Type;
using cql2::Value;

Value text(std::string_view s) {
  return s.empty() ? Value(Null{}) : Value(s);
}
Value instant(int64_t t) {
  return t ? Value(cql2::Timestamp{t}) : Value(Null{});
}
template <class T>
Value location(const T& r) {
  if (!std::isfinite(r.location.lon) || !std::isfinite(r.location.lat)) return Null{};
  return spatial::Point(r.location.lon, r.location.lat);
}

// The joins every point layer carries.
template <class T>
void add_join_fields(std::vector<Field<T>>& f) {
  f.push_back({{"grid_code", Type::String}, [](const T& r) { return text(r.join.grid_code); }});
  f.push_back({{"join_kind", Type::String},
               [](const T& r) -> Value { return layers::join_kind_name(r.join.kind); }});
  f.push_back(
      {{"join_distance_m", Type::Number}, [](const T& r) -> Value { return r.join.distance_m; }});
}

const std::vector<Field<layers::Grid>>& fields_of(const layers::Grid*,
                                                  const FeatureServiceOptions&) {
  using G = layers::Grid;
  static const std::vector<Field<G>> f = {
      {{"code", Type::String}, [](const G& g) -> Value { return std::string_view(g.code); }},
      {{"name", Type::String}, [](const G& g) { return text(g.name); }},
      {{"level", Type::String}, [](const G& g) -> Value { return layers::level_name(g.level); }},
      {{"parent_code", Type::String}, [](const G& g) { return text(g.parent_code); }},
      {{"area_m2", Type::Number}, [](const G& g) -> Value { return g.area_m2; }},
      {{"synthetic", Type::Boolean}, [](const G& g) -> Value { return g.synthetic; }},
      {{"geometry", Type::Geometry}, [](const G& g) -> Value { return &g.geometry; }}};
  return f;
}

const std::vector<Field<layers::Household>>& fields_of(const layers::Household*,
                                                       const FeatureServiceOptions&) {
  // No personal field: a filter on one would tell about persons by its count. The read policy
  // decides who may filter on the others.
  using H = layers::Household;
  static const std::vector<Field<H>> all = [] {
    std::vector<Field<H>> f = {
        {{"hh_id", Type::String}, [](const H& h) { return text(h.id); }},
        {{"address", Type::String}, [](const H& h) { return text(h.address); }},
        {{"members", Type::Number},
         [](const H& h) -> Value { return static_cast<double>(h.members); }},
        {{"flags", Type::Number}, [](const H& h) -> Value {
           return static_cast<double>(h.flags & ~layers::kSensitiveHouseholdFlags);
         }}};
    add_join_fields(f);
    f.push_back({{"geometry", Type::Geometry}, location<H>});
    return f;
  }();
  return all;
}

const std::vector<Field<layers::Enterprise>>& fields_of(const layers::Enterprise*,
                                                        const FeatureServiceOptions&) {
  using E = layers::Enterprise;
  static const std::vector<Field<E>> f = [] {
    std::vector<Field<E>> v = {
        {{"ent_id", Type::String}, [](const E& e) { return text(e.id); }},
        {{"name", Type::String}, [](const E& e) { return text(e.name); }},
        {{"industry", Type::String}, [](const E& e) { return text(e.industry); }},
        {{"risk", Type::String}, [](const E& e) -> Value { return layers::risk_name(e.risk); }},
        {{"hazardous_chemicals", Type::Boolean},
         [](const E& e) -> Value { return e.hazardous_chemicals; }},
        {{"last_inspection", Type::Timestamp},
         [](const E& e) -> Value {
           const auto t = layers::parse_time(e.last_inspection, 0);
           return t ? Value(cql2::Timestamp{*t}) : Value(Null{});
         }},
        {{"open_hazards", Type::Number},
         [](const E& e) -> Value { return static_cast<double>(e.open_hazards); }}};
    add_join_fields(v);
    v.push_back({{"geometry", Type::Geometry}, location<E>});
    return v;
  }();
  return f;
}

const std::vector<Field<layers::Incident>>& fields_of(const layers::Incident*,
                                                      const FeatureServiceOptions&) {
  using I = layers::Incident;
  static const std::vector<Field<I>> f = [] {
    std::vector<Field<I>> v = {
        {{"inc_id", Type::String}, [](const I& i) { return text(i.id); }},
        {{"category", Type::String}, [](const I& i) { return text(i.category); }},
        {{"description", Type::String}, [](const I& i) { return text(i.description); }},
        {{"source", Type::String}, [](const I& i) { return text(i.source); }},
        {{"reported_at", Type::Timestamp}, [](const I& i) { return instant(i.reported_at); }},
        {{"status", Type::String}, [](const I& i) { return text(i.status); }},
        {{"closed_at", Type::Timestamp}, [](const I& i) { return instant(i.closed_at); }},
        {{"assignee", Type::String}, [](const I& i) { return text(i.assignee); }},
        {{"deadline", Type::Timestamp}, [](const I& i) { return instant(i.deadline); }},
        {{"agency", Type::String}, [](const I& i) { return text(i.agency); }},
        {{"level", Type::String},
         [](const I& i) { return text(i.level.empty() ? std::string("grid") : i.level); }},
        {{"overdue", Type::Boolean}, [](const I& i) { return Value(i.overdue); }},
        {{"version", Type::Number},
         [](const I& i) -> Value { return static_cast<double>(i.version); }},
        {{"updated_at", Type::Timestamp}, [](const I& i) { return instant(i.updated_at); }},
        {{"handler", Type::String}, [](const I& i) { return text(i.handler); }},
        {{"dispatch_reason", Type::String}, [](const I& i) { return text(i.dispatch_reason); }}};
    add_join_fields(v);
    v.push_back({{"geometry", Type::Geometry}, location<I>});
    return v;
  }();
  return f;
}

const std::vector<Field<layers::Worker>>& fields_of(const layers::Worker*,
                                                    const FeatureServiceOptions&) {
  using W = layers::Worker;
  static const std::vector<Field<W>> f = [] {
    std::vector<Field<W>> v = {
        {{"worker_id", Type::String}, [](const W& w) { return text(w.worker_id); }},
        {{"role", Type::String}, [](const W& w) -> Value { return layers::role_name(w.role); }},
        {{"team_grid", Type::String}, [](const W& w) { return text(w.grid_code); }},
        {{"on_duty", Type::Boolean}, [](const W& w) -> Value { return w.on_duty; }}};
    add_join_fields(v);
    v.push_back({{"geometry", Type::Geometry}, location<W>});
    return v;
  }();
  return f;
}

template <class T>
std::vector<cql2::Queryable> queryables_of(const FeatureServiceOptions& o) {
  std::vector<cql2::Queryable> out;
  for (const auto& f : fields_of(static_cast<const T*>(nullptr), o)) out.push_back(f.queryable);
  return out;
}

std::vector<cql2::Queryable> queryables(LayerKind k, const FeatureServiceOptions& o) {
  switch (k) {
    case LayerKind::Grids:
      return queryables_of<layers::Grid>(o);
    case LayerKind::Households:
      return queryables_of<layers::Household>(o);
    case LayerKind::Enterprises:
      return queryables_of<layers::Enterprise>(o);
    case LayerKind::Incidents:
      return queryables_of<layers::Incident>(o);
    case LayerKind::Workers:
      return queryables_of<layers::Worker>(o);
  }
  return {};
}

// ---- item query parameters -------------------------------------------------------------------

struct ItemQuery {
  const OutputCrs* crs = &kCrsList[0];       ///< of the answer
  const OutputCrs* bbox_crs = &kCrsList[0];  ///< of the bbox parameter
  std::optional<spatial::Box> bbox;  ///< as given, axes normalised to (east, north), in bbox_crs
  // From the bbox: its lon/lat envelope (to find candidates); for a projected bbox-crs also its
  // outline in lon/lat (for polygons) and the transform that tests a point exactly.
  spatial::Box bbox_lonlat;
  std::optional<spatial::Polygon> bbox_outline;
  std::shared_ptr<spatial::CrsTransform> to_bbox_crs;
  std::optional<int64_t> since, until;  ///< datetime: reported_at in [since, until] (closed)
  // area=level:code: the grid of that level and code, and everything under it. Resolved against
  // the data when the query runs: the codes of that grid and of every grid below it (a point is in
  // the area when its join is to one of them; a grid when it is one of them) and the envelope of
  // its outline.
  std::optional<std::pair<layers::GridLevel, std::string>> area;
  std::unordered_set<std::string> area_codes;
  spatial::Box area_box;
  // near=lon,lat and radius (metres): points within that distance, grids that come that close.
  std::optional<layers::LonLat> near;
  double radius_m = 0;
  // The body of a POST query: points covered by this polygon, grids meeting it. Its edges are
  // indexed once per query: every candidate is tested against one band of them.
  std::shared_ptr<const spatial::AreaIndex> within;
  // filter (CQL2 text, against the collection's queryables).
  std::optional<cql2::Filter> filter;
  // properties=: the properties to write; sortby=: queryable indices, descending or not.
  std::optional<std::vector<std::string>> properties;
  std::vector<std::pair<std::size_t, bool>> sortby;
  bool any_filter() const { return bbox || since || until || area || near || within || filter; }
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

// A comma list of finite numbers; `usage` is added to the message for an item that is none.
std::vector<double> parse_numbers(const std::string& name, const std::string& v,
                                  const std::string& usage) {
  std::vector<double> n;
  std::size_t start = 0;
  while (start <= v.size()) {
    const std::size_t comma = std::min(v.find(',', start), v.size());
    const std::string item = v.substr(start, comma - start);
    double d = 0;
    const auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), d);
    if (item.empty() || ec != std::errc() || p != item.data() + item.size() || !std::isfinite(d))
      throw InvalidArgument(name, "'" + item + "' is not a number" + usage);
    n.push_back(d);
    start = comma + 1;
  }
  return n;
}

// A comma list of exactly `count` finite numbers.
std::vector<double> parse_number_count(const std::string& name, const std::string& v,
                                       std::size_t count) {
  std::vector<double> n = parse_numbers(name, v, "");
  if (n.size() != count)
    throw InvalidArgument(name, "takes " + std::to_string(count) + " number" +
                                    (count > 1 ? "s" : "") + ", not " + std::to_string(n.size()));
  return n;
}

// bbox's numbers: 4, or 6 with heights (dropped), each finite; not yet checked against a CRS.
std::vector<double> parse_bbox_numbers(const std::string& v) {
  std::vector<double> n = parse_numbers("bbox", v, " (bbox=minlon,minlat,maxlon,maxlat)");
  if (n.size() != 4 && n.size() != 6)
    throw InvalidArgument(
        "bbox", "takes 4 numbers (minlon,minlat,maxlon,maxlat) or 6 (with heights), not " +
                    std::to_string(n.size()));
  if (n.size() == 6) n = {n[0], n[1], n[3], n[4]};
  return n;
}

// Resolves bbox in bbox-crs: the normalised box, its lon/lat envelope and, for a projected CRS,
// its outline in lon/lat and the transform for exact tests.
void resolve_bbox(const std::vector<double>& n, ItemQuery& q) {
  const bool north_first = q.bbox_crs->north_first;
  const double x0 = north_first ? n[1] : n[0], y0 = north_first ? n[0] : n[1];
  const double x1 = north_first ? n[3] : n[2], y1 = north_first ? n[2] : n[3];
  const bool geographic =
      std::string(q.bbox_crs->proj) != "EPSG:3857" && std::string(q.bbox_crs->proj) != "EPSG:4549";
  if (y0 > y1)
    throw InvalidArgument("bbox", geographic ? "its minimum latitude is above its maximum"
                                             : "its minimum northing is above its maximum");
  if (x0 > x1)
    throw InvalidArgument("bbox", geographic ? "its minimum longitude is above its maximum (boxes "
                                               "across the antimeridian are not supported)"
                                             : "its minimum easting is above its maximum");
  if (geographic && (y0 < -90 || y1 > 90))
    throw InvalidArgument("bbox", "latitudes must be within [-90, 90]");
  q.bbox = spatial::Box({x0, y0}, {x1, y1});
  if (geographic) {
    // CGCS2000 and WGS84 coordinates differ by centimetres: the same box.
    q.bbox_lonlat = *q.bbox;
    return;
  }
  // The box's outline, densified (a projected box is curved in lon/lat), back to lon/lat.
  spatial::CrsTransform back(q.bbox_crs->proj, spatial::kStorageCrs);
  spatial::Polygon outline;
  constexpr int kSteps = 32;
  auto edge = [&](double ax, double ay, double bx, double by) {
    for (int k = 0; k < kSteps; ++k) {
      const double t = static_cast<double>(k) / kSteps;
      try {
        outline.outer().push_back(
            back.apply(spatial::Point(ax + (bx - ax) * t, ay + (by - ay) * t)));
      } catch (const CrsError&) {
        throw InvalidArgument("bbox",
                              "reaches outside the area of " + std::string(q.bbox_crs->uri));
      }
    }
  };
  edge(x0, y0, x1, y0);
  edge(x1, y0, x1, y1);
  edge(x1, y1, x0, y1);
  edge(x0, y1, x0, y0);
  outline.outer().push_back(outline.outer().front());
  spatial::bg::correct(outline);
  spatial::bg::assign_inverse(q.bbox_lonlat);
  for (const auto& p : outline.outer()) spatial::bg::expand(q.bbox_lonlat, p);
  q.bbox_outline = std::move(outline);
  q.to_bbox_crs = std::make_shared<spatial::CrsTransform>(spatial::kStorageCrs, q.bbox_crs->proj);
}

// datetime: an instant or an interval "start/end" with ".." (or nothing) for an open end.
void parse_datetime(const std::string& v, ItemQuery& q) {
  auto instant = [&](const std::string& t) -> std::optional<int64_t> {
    if (t.empty() || t == "..") return std::nullopt;
    const auto parsed = layers::parse_time(t, 0);
    if (!parsed)
      throw InvalidArgument("datetime",
                            "'" + t + "' is not an RFC 3339 time (e.g. 2026-11-01T00:00:00Z)");
    return parsed;
  };
  const std::size_t slash = v.find('/');
  if (slash == std::string::npos) {
    if (v == ".." || v.empty())
      throw InvalidArgument("datetime", "an instant cannot be open ('..')");
    q.since = q.until = instant(v);
    return;
  }
  if (v.find('/', slash + 1) != std::string::npos)
    throw InvalidArgument("datetime", "has more than one '/'");
  q.since = instant(v.substr(0, slash));
  q.until = instant(v.substr(slash + 1));
  if (q.since && q.until && *q.since > *q.until)
    throw InvalidArgument("datetime", "its start is after its end");
}

// `name=value` for a queryable (not the geometry) as a CQL2 equality; nullopt when `name` is no
// queryable. @throws InvalidArgument (name) for a value of the wrong type.
std::optional<std::string> equality_filter(LayerKind kind, const FeatureServiceOptions& o,
                                           const std::string& name, const std::string& v) {
  for (const auto& q : queryables(kind, o)) {
    if (q.name != name || q.type == Type::Geometry) continue;
    auto quoted = [](const std::string& t) {
      std::string out = "'";
      for (char c : t) out += c == '\'' ? std::string("''") : std::string(1, c);
      return out + "'";
    };
    const std::string prop = "\"" + name + "\"";
    switch (q.type) {
      case Type::String:
        return prop + " = " + quoted(v);
      case Type::Number: {
        double d = 0;
        const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
        if (v.empty() || ec != std::errc() || p != v.data() + v.size() || !std::isfinite(d))
          throw InvalidArgument(name, "'" + v + "' is not a number");
        return prop + " = " + v;
      }
      case Type::Boolean:
        if (v != "true" && v != "false") throw InvalidArgument(name, "expected true or false");
        return prop + " = " + v;
      case Type::Timestamp:
        if (!layers::parse_time(v, 0))
          throw InvalidArgument(name, "'" + v + "' is not an RFC 3339 time");
        return prop + " = TIMESTAMP(" + quoted(v) + ")";
      case Type::Geometry:
        break;
    }
  }
  return std::nullopt;
}

// `query_audience`: what the caller reads everywhere it queries, under `policy`.
ItemQuery parse_items_query(const std::vector<std::pair<std::string, std::string>>& query,
                            LayerKind kind, const FeatureServiceOptions& o,
                            auth::Audience query_audience, const auth::ReadPolicy& policy) {
  ItemQuery q;
  q.limit = o.default_limit;
  std::optional<std::vector<double>> bbox;
  std::optional<std::string> filter_text;
  std::vector<std::string> equalities;
  std::vector<std::string> seen;
  for (const auto& [k, v] : query) {
    if (std::find(seen.begin(), seen.end(), k) != seen.end())
      throw InvalidArgument(k, "is given more than once");
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
      bbox = parse_bbox_numbers(v);
    } else if (k == "bbox-crs") {
      q.bbox_crs = &parse_crs(k, v);
    } else if (k == "crs") {
      q.crs = &parse_crs(k, v);
    } else if (k == "datetime") {
      if (kind != LayerKind::Incidents)
        throw InvalidArgument(k, "the " + std::string(layers::layer_name(kind)) +
                                     " collection has no time (incidents have reported_at)");
      parse_datetime(v, q);
    } else if (k == "f") {
      if (v != "json" && v != "geojson") throw InvalidArgument(k, "only json (GeoJSON) is offered");
    } else if (k == "filter") {
      filter_text = v;
    } else if (k == "properties" || k == "sortby") {
      const auto qs = queryables(kind, o);
      auto names = [&] {
        std::string list;
        for (const auto& x : qs)
          if (x.type != Type::Geometry) list += (list.empty() ? "" : ", ") + x.name;
        return list;
      };
      std::vector<std::string> items;
      std::size_t start = 0;
      while (start <= v.size()) {
        const std::size_t comma = std::min(v.find(',', start), v.size());
        items.push_back(v.substr(start, comma - start));
        start = comma + 1;
      }
      std::vector<std::string> props;
      for (std::string item : items) {
        bool desc = false;
        if (k == "sortby" && !item.empty() && (item[0] == '-' || item[0] == '+')) {
          desc = item[0] == '-';
          item.erase(0, 1);
        }
        std::size_t index = qs.size();
        for (std::size_t i = 0; i < qs.size(); ++i)
          if (qs[i].name == item && qs[i].type != Type::Geometry) index = i;
        if (index == qs.size())
          throw InvalidArgument(k, "unknown property '" + item + "' (properties: " + names() + ")");
        if (k == "sortby")
          q.sortby.emplace_back(index, desc);
        else
          props.push_back(item);
      }
      if (k == "properties") q.properties = std::move(props);
    } else if (k == "filter-lang") {
      // GDAL 3.6 asks for the draft's name of the same language.
      if (v != "cql2-text" && v != "cql-text")
        throw InvalidArgument(k, "only cql2-text (or its older name cql-text) is offered");
    } else if (k == "filter-crs") {
      if (&parse_crs(k, v) != &kCrsList[0])
        throw InvalidArgument(k, "filters take CRS84 coordinates (lon/lat)");
    } else if (k == "area") {
      const std::size_t colon = v.find(':');
      if (colon == std::string::npos || colon + 1 == v.size())
        throw InvalidArgument(k,
                              "expected level:code, e.g. town:330521001 (levels: county, town, "
                              "village, grid, microgrid)");
      layers::GridLevel level;
      try {
        level = layers::level_from_name(v.substr(0, colon));
      } catch (const InvalidArgument& e) {
        throw InvalidArgument(k, e.detail());
      }
      q.area = std::make_pair(level, v.substr(colon + 1));
    } else if (k == "near") {
      const std::vector<double> n = parse_number_count(k, v, 2);
      if (n[0] < -180 || n[0] > 180 || n[1] < -90 || n[1] > 90)
        throw InvalidArgument(k, "expected lon,lat in degrees (CRS84)");
      q.near = layers::LonLat{n[0], n[1]};
    } else if (k == "radius") {
      const std::vector<double> n = parse_number_count(k, v, 1);
      if (!(n[0] > 0 && n[0] <= 100000)) throw InvalidArgument(k, "expected metres in (0, 100000]");
      q.radius_m = n[0];
    } else if (const auto eq = equality_filter(kind, o, k, v)) {
      // A queryable as a parameter (Part 3, queryables-query-parameters): equality.
      equalities.push_back(*eq);
    } else {
      throw InvalidArgument(k, std::string("unknown query parameter for items (parameters: ") +
                                   kItemParameters +
                                   ", or a queryable of the collection for equality)");
    }
    q.kept.emplace_back(k, v);
  }
  if (!equalities.empty()) {
    std::string all = filter_text ? "(" + *filter_text + ")" : "";
    for (const auto& e : equalities) all += (all.empty() ? "" : " AND ") + e;
    try {
      q.filter = cql2::Filter::parse(all, queryables(kind, o));
    } catch (const InvalidArgument& e) {
      if (filter_text) throw;  // the filter's own error, by position in it
      throw InvalidArgument("query", e.detail());
    }
  } else if (filter_text) {
    q.filter = cql2::Filter::parse(*filter_text, queryables(kind, o));
  }
  // No filter, sort or selection on a field the caller cannot read everywhere it queries: a count
  // would tell what the field holds (auth/read_policy.hpp).
  const auto qs = queryables(kind, o);
  auto refuse = [&](const std::string& parameter, std::size_t index) {
    if (index < qs.size() && !policy.reaches(query_audience, kind, qs[index].name))
      throw InvalidArgument(
          parameter, "'" + qs[index].name +
                         "' is not readable by this user (sign in as staff of the whole area)");
  };
  if (q.filter)
    for (std::size_t i : q.filter->properties()) refuse(filter_text ? "filter" : "query", i);
  for (const auto& [index, desc] : q.sortby) refuse("sortby", index);
  if (q.properties)
    for (const auto& name : *q.properties)
      for (std::size_t i = 0; i < qs.size(); ++i)
        if (qs[i].name == name) refuse("properties", i);
  if (q.near && q.radius_m == 0) throw InvalidArgument("radius", "is required with near (metres)");
  if (!q.near && q.radius_m > 0) throw InvalidArgument("near", "is required with radius (lon,lat)");
  if (bbox)
    resolve_bbox(*bbox, q);
  else if (q.bbox_crs != &kCrsList[0])
    throw InvalidArgument("bbox-crs", "given without a bbox");
  return q;
}

// ---- GeoJSON written directly (a page of 1,000 features is most of a request's time) ---------

class JsonOut {
 public:
  std::string& text() { return s_; }
  void raw(std::string_view v) { s_ += v; }
  void key(std::string_view k) {
    str(k);
    s_ += ':';
  }
  void str(std::string_view v) {
    s_ += '"';
    append_json_escaped(s_, v);  // stored text may hold any bytes: the output stays valid UTF-8
    s_ += '"';
  }
  void num(double v) {
    if (!std::isfinite(v)) return raw("null");
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    s_.append(buf, r.ptr);
  }
  void num(int64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    s_.append(buf, r.ptr);
  }
  void boolean(bool v) { raw(v ? "true" : "false"); }
  void str_or_null(std::string_view v) {
    if (v.empty())
      raw("null");
    else
      str(v);
  }
  void time_or_null(int64_t t) {
    if (t)
      str(layers::time_text(t).view());
    else
      raw("null");
  }

 private:
  std::string s_;
};

// Writes features of any layer in one CRS.
class FeatureWriter {
 public:
  /// `selected`: the properties to write (properties=), or null for all.
  FeatureWriter(JsonOut& out, const Projector& proj, const auth::Viewer& viewer,
                const std::vector<std::string>* selected = nullptr)
      : out_(out), proj_(proj), viewer_(viewer), selected_(selected) {}

  template <class T>
  void feature(const T& r) {
    // What the viewer reads of this record (auth/read_policy.hpp): key() leaves out the rest.
    if constexpr (std::is_same_v<T, layers::Grid>) {
      kind_ = LayerKind::Grids, audience_ = viewer_.at(r.code);
    } else if constexpr (std::is_same_v<T, layers::Incident>) {
      kind_ = LayerKind::Incidents, audience_ = auth::incident_audience(viewer_, r);
    } else {
      kind_ = std::is_same_v<T, layers::Household>    ? LayerKind::Households
              : std::is_same_v<T, layers::Enterprise> ? LayerKind::Enterprises
                                                      : LayerKind::Workers;
      audience_ = viewer_.at(r.join.grid_code);
    }
    out_.raw("{\"type\":\"Feature\",\"id\":");
    out_.num(r.fid);
    out_.raw(",\"geometry\":");
    if (!viewer_.policy->reaches(audience_, kind_, "geometry"))
      out_.raw("null");
    else if constexpr (std::is_same_v<T, layers::Grid>)
      polygons(r.geometry);
    else
      point(r.location);
    out_.raw(",\"properties\":{");
    first_ = true;
    properties(r);
    out_.raw("}}");
  }

 private:
  void point(const layers::LonLat& p) {
    double a, b;
    if (!std::isfinite(p.lon) || !std::isfinite(p.lat) || !proj_.apply(p.lon, p.lat, a, b))
      return out_.raw("null");
    out_.raw("{\"type\":\"Point\",\"coordinates\":[");
    out_.num(a);
    out_.raw(",");
    out_.num(b);
    out_.raw("]}");
  }
  void ring(const spatial::Ring& r, bool reverse) {
    out_.raw("[");
    bool first = true;
    auto put = [&](const spatial::Point& p) {
      double a, b;
      if (!proj_.apply(p.x(), p.y(), a, b)) return;
      if (!first) out_.raw(",");
      first = false;
      out_.raw("[");
      out_.num(a);
      out_.raw(",");
      out_.num(b);
      out_.raw("]");
    };
    if (reverse)
      for (auto it = r.rbegin(); it != r.rend(); ++it) put(*it);
    else
      for (const auto& p : r) put(p);
    out_.raw("]");
  }
  void polygons(const spatial::MultiPolygon& mp) {
    // RFC 7946: exterior rings counter-clockwise, holes clockwise.
    out_.raw("{\"type\":\"MultiPolygon\",\"coordinates\":[");
    for (std::size_t i = 0; i < mp.size(); ++i) {
      if (i) out_.raw(",");
      out_.raw("[");
      ring(mp[i].outer(), spatial::bg::area(mp[i].outer()) < 0);
      for (const auto& h : mp[i].inners()) {
        out_.raw(",");
        ring(h, spatial::bg::area(h) > 0);
      }
      out_.raw("]");
    }
    out_.raw("]}");
  }

  // Starts property k: written when the viewer may read it and it is selected (properties=),
  // else into a discarded buffer.
  void key(std::string_view k) {
    if (!viewer_.policy->reaches(audience_, kind_, k) ||
        (selected_ && std::find(selected_->begin(), selected_->end(), k) == selected_->end())) {
      cur_ = &discard_;
      discard_.text().clear();
      return;
    }
    cur_ = &out_;
    if (!first_) out_.raw(",");
    first_ = false;
    out_.key(k);
  }
  JsonOut& val() { return *cur_; }
  void join(const layers::GridJoin& j) {
    key("grid_code");
    val().str_or_null(j.grid_code);
    key("join_kind");
    val().str(layers::join_kind_name(j.kind));
    key("join_distance_m");
    val().num(j.distance_m);
  }

  void properties(const layers::Grid& g) {
    key("code"), val().str(g.code);
    key("name"), val().str(g.name);
    key("level"), val().str(layers::level_name(g.level));
    key("parent_code"), val().str_or_null(g.parent_code);
    key("area_m2"), val().num(g.area_m2);
    key("synthetic"), val().boolean(g.synthetic);
  }
  // Features never carry a person's identity (head_name, phone, id_number, reporter, a worker's
  // name): the record endpoints do, audited.
  void properties(const layers::Household& h) {
    key("hh_id"), val().str(h.id);
    key("address"), val().str(h.address);
    key("members"), val().num(int64_t{h.members});
    key("flags"), val().num(int64_t{h.flags & ~layers::kSensitiveHouseholdFlags});
    join(h.join);
  }
  void properties(const layers::Enterprise& e) {
    key("ent_id"), val().str(e.id);
    key("name"), val().str(e.name);
    key("industry"), val().str(e.industry);
    key("risk"), val().str(layers::risk_name(e.risk));
    key("hazardous_chemicals"), val().boolean(e.hazardous_chemicals);
    key("last_inspection"), val().str_or_null(e.last_inspection);
    key("open_hazards"), val().num(int64_t{e.open_hazards});
    join(e.join);
  }
  void properties(const layers::Incident& i) {
    key("inc_id"), val().str(i.id);
    key("category"), val().str(i.category);
    key("description"), val().str(i.description);
    key("source"), val().str(i.source);
    key("reported_at"), val().time_or_null(i.reported_at);
    key("status"), val().str(i.status);
    key("closed_at"), val().time_or_null(i.closed_at);
    key("assignee"), val().str_or_null(i.assignee);
    key("deadline"), val().time_or_null(i.deadline);
    key("agency"), val().str_or_null(i.agency);
    key("level"), val().str(i.level.empty() ? std::string_view("grid") : std::string_view(i.level));
    key("overdue"), val().boolean(i.overdue);
    key("version"), val().num(i.version);
    key("updated_at"), val().time_or_null(i.updated_at);
    key("handler"), val().str_or_null(i.handler);
    key("dispatch_reason"), val().str_or_null(i.dispatch_reason);
    join(i.join);
  }
  void properties(const layers::Worker& w) {
    key("worker_id"), val().str(w.worker_id);
    key("role"), val().str(layers::role_name(w.role));
    key("team_grid"), val().str(w.grid_code);
    key("on_duty"), val().boolean(w.on_duty);
    join(w.join);
  }

  JsonOut& out_;
  const Projector& proj_;
  const auth::Viewer& viewer_;
  const std::vector<std::string>* selected_ = nullptr;
  LayerKind kind_ = LayerKind::Grids;                 // the record being written
  auth::Audience audience_ = auth::Audience::Public;  // what the viewer has for it
  JsonOut discard_;
  JsonOut* cur_ = &out_;
  bool first_ = true;
};

// The fields of a collection's features as JSON Schema types (for /collections/{id}, and the
// OpenAPI document).
json schema_properties(LayerKind kind) {
  json props = json::object();
  for (const auto& f : layers::layer_fields(kind)) {
    if (f.personal || f.name == "extra") continue;
    std::string type = f.type == "integer"   ? "integer"
                       : f.type == "real"    ? "number"
                       : f.type == "boolean" ? "boolean"
                                             : "string";
    json s = {{"type", type}};
    if (f.type == "datetime") s["format"] = "date-time";
    props[f.name] = s;
  }
  return props;
}

// Distance in metres from p to a polygon, on a local equirectangular projection at p's latitude
// (within 0.5 % over the few kilometres a radius query spans).
double metres_to(const layers::LonLat& p, const spatial::MultiPolygon& mp) {
  const double kx = 111320.0 * std::cos(p.lat * 3.14159265358979323846 / 180.0), ky = 110574.0;
  spatial::MultiPolygon local = mp;
  auto shift = [&](spatial::Ring& r) {
    for (auto& q : r) q = spatial::Point((q.x() - p.lon) * kx, (q.y() - p.lat) * ky);
  };
  for (auto& poly : local) {
    shift(poly.outer());
    for (auto& h : poly.inners()) shift(h);
  }
  return spatial::bg::distance(spatial::Point(0, 0), local);
}

// Resolves area=level:code against the grids; the lon/lat box its records can lie in (a point
// joined to a grid by distance lies within `join_m` of it).
spatial::Box resolve_area(ItemQuery& q, const std::vector<layers::Grid>& grids, double join_m) {
  const auto& [level, code] = *q.area;
  const layers::Grid* top = nullptr;
  for (const auto& g : grids)
    if (g.level == level && g.code == code) top = &g;
  if (!top)
    throw InvalidArgument(
        "area", "no " + std::string(layers::level_name(level)) + " with code '" + code + "'");
  std::unordered_map<std::string_view, std::vector<const layers::Grid*>> children;
  for (const auto& g : grids) children[g.parent_code].push_back(&g);
  std::vector<const layers::Grid*> stack{top};
  while (!stack.empty()) {
    const layers::Grid* g = stack.back();
    stack.pop_back();
    if (!q.area_codes.insert(g->code).second) continue;
    if (auto it = children.find(g->code); it != children.end())
      for (const auto* c : it->second) stack.push_back(c);
  }
  spatial::Box box = spatial::envelope(top->geometry);
  const double lat = std::abs(box.min_corner().y()) > std::abs(box.max_corner().y())
                         ? box.min_corner().y()
                         : box.max_corner().y();
  const double dy = join_m / 110574.0 * 1.01,
               dx = join_m / (111320.0 * std::cos(lat * 3.14159265358979323846 / 180.0)) * 1.01;
  return spatial::Box({box.min_corner().x() - dx, box.min_corner().y() - dy},
                      {box.max_corner().x() + dx, box.max_corner().y() + dy});
}

// Whether record r passes the query's filters.
template <class T>
bool matches(const T& r, const ItemQuery& q, const std::vector<Field<T>>& fields) {
  if (q.bbox) {
    if constexpr (std::is_same_v<T, layers::Grid>) {
      if (q.bbox_outline ? !spatial::bg::intersects(*q.bbox_outline, r.geometry)
                         : !spatial::bg::intersects(*q.bbox, r.geometry))
        return false;
    } else {
      spatial::Point p(r.location.lon, r.location.lat);
      if (q.to_bbox_crs) {
        try {
          p = q.to_bbox_crs->apply(p);
        } catch (const CrsError&) {
          return false;
        }
      }
      if (!spatial::bg::covered_by(p, *q.bbox)) return false;
    }
  }
  if constexpr (std::is_same_v<T, layers::Incident>) {
    if (q.since && r.reported_at < *q.since) return false;
    if (q.until && r.reported_at > *q.until) return false;
  }
  if constexpr (std::is_same_v<T, layers::Grid>) {
    if (q.area && !q.area_codes.count(r.code)) return false;
    if (q.near && metres_to(*q.near, r.geometry) > q.radius_m) return false;
    if (q.within && !q.within->intersects(r.geometry)) return false;
  } else {
    if (q.area && !q.area_codes.count(r.join.grid_code)) return false;
    if (q.near && spatial::distance_m(*q.near, r.location) > q.radius_m) return false;
    if (q.within && !q.within->covers(spatial::Point(r.location.lon, r.location.lat))) return false;
  }
  if (q.filter) {
    if (!q.filter->matches([&](std::size_t i) { return fields[i].get(r); })) return false;
  }
  return true;
}

}  // namespace

struct FeatureService::Impl {
  std::shared_ptr<layers::County> county;
  FeatureServiceOptions options;

  HttpAnswer landing(const std::string& base) const {
    json j = {
        {"title", "onemap"},
        {"description",
         "The county's one map: grids, households, enterprises, incidents and grid workers"},
        {"links",
         json::array(
             {link(base + "/", "self", "application/json", "This document"),
              link(base + "/api", "service-desc", kOpenApi, "The API definition (OpenAPI 3.0)"),
              link(base + "/conformance", "conformance", "application/json",
                   "The conformance classes implemented"),
              link(base + "/collections", "data", "application/json", "The collections")})}};
    return {200, layers::json_text(j), "application/json", {}};
  }

  HttpAnswer conformance() const {
    return {200,
            layers::json_text(json{{"conformsTo", conformance_classes()}}),
            "application/json",
            {}};
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
        auto [lo, hi] = std::minmax_element(
            d.incidents.begin(), d.incidents.end(),
            [](const auto& x, const auto& y) { return x.reported_at < y.reported_at; });
        times = {lo->reported_at, hi->reported_at};
      }
    }
    json extent = json::object();
    if (b.min_corner().x() <= b.max_corner().x())
      extent["spatial"] = {
          {"bbox",
           {{b.min_corner().x(), b.min_corner().y(), b.max_corner().x(), b.max_corner().y()}}},
          {"crs", kCrs84}};
    if (times)
      extent["temporal"] = {
          {"interval", json::array({json::array({layers::format_time(times->first),
                                                 layers::format_time(times->second)})})},
          {"trs", "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}};
    json j = {{"id", id},
              {"title", c.title},
              {"description", c.description},
              {"itemType", "feature"},
              {"crs", crs_uris()},
              {"storageCrs", "http://www.opengis.net/def/crs/EPSG/0/4490"},
              {"extent", extent},
              {"links", json::array({link(self, "self", "application/json", "This collection"),
                                     link(self + "/items", "items", kGeoJson,
                                          std::string(c.title) + " as GeoJSON")})}};
    return j;
  }

  HttpAnswer collections(const std::string& base) const {
    json list = json::array();
    for (const auto& c : kCollections) list.push_back(collection_json(c, base));
    json j = {
        {"links",
         json::array({link(base + "/collections", "self", "application/json", "The collections")})},
        {"collections", list}};
    return {200, layers::json_text(j), "application/json", {}};
  }

  // The lon/lat box every match lies in, from the spatial parameters (none: no spatial filter).
  static std::optional<spatial::Box> search_box(const ItemQuery& q) {
    std::optional<spatial::Box> box;
    auto meet = [&](const spatial::Box& b) {
      if (!box) {
        box = b;
        return;
      }
      spatial::Box both;
      spatial::bg::set<spatial::bg::min_corner, 0>(
          both, std::max(box->min_corner().x(), b.min_corner().x()));
      spatial::bg::set<spatial::bg::min_corner, 1>(
          both, std::max(box->min_corner().y(), b.min_corner().y()));
      spatial::bg::set<spatial::bg::max_corner, 0>(
          both, std::min(box->max_corner().x(), b.max_corner().x()));
      spatial::bg::set<spatial::bg::max_corner, 1>(
          both, std::min(box->max_corner().y(), b.max_corner().y()));
      box = both;
    };
    if (q.bbox) meet(q.bbox_lonlat);
    if (q.area) meet(q.area_box);
    if (q.near) {
      const double dy = q.radius_m / 110574.0 * 1.01;
      const double dx = q.radius_m /
                        (111320.0 * std::cos(std::min(89.0, std::abs(q.near->lat) + dy) *
                                             3.14159265358979323846 / 180.0)) *
                        1.01;
      meet(
          spatial::Box({q.near->lon - dx, q.near->lat - dy}, {q.near->lon + dx, q.near->lat + dy}));
    }
    if (q.within) meet(q.within->envelope());
    if (q.filter)
      if (const auto hint = q.filter->bbox_hint()) meet(*hint);
    return box;
  }

  template <class T>
  HttpAnswer items(const std::vector<T>& records, const CollectionInfo& c, const ItemQuery& q,
                   const std::string& base, const auth::Viewer& viewer) const {
    const std::string items_url =
        base + "/collections/" + std::string(layers::layer_name(c.kind)) + "/items";
    // The candidates in feature id order: every record, or with a bbox those the index finds
    // around it. Records are kept in fid order (grids in stored order, which is the same unless
    // edited outside onemap): positions are sorted only when needed.
    std::vector<uint32_t> order;
    if (const auto search = search_box(q)) {
      if constexpr (std::is_same_v<T, layers::Grid>)
        order = county->tiles().grid_candidates(*search);
      else
        order = county->tiles().point_candidates(c.kind, *search);
    } else {
      order.resize(records.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
    }
    std::erase_if(order, [&](uint32_t i) { return i >= records.size(); });
    if constexpr (std::is_same_v<T, layers::Incident>)
      std::erase_if(order, [&](uint32_t i) { return !visible(records[i], viewer); });
    if constexpr (std::is_same_v<T, layers::Worker>)  // whereabouts: within the user's area only
      std::erase_if(order, [&](uint32_t i) {
        return viewer.at(records[i].grid_code) == auth::Audience::Public;
      });
    auto by_fid = [&](uint32_t a, uint32_t b) { return records[a].fid < records[b].fid; };
    if (!std::is_sorted(order.begin(), order.end(), by_fid))
      std::sort(order.begin(), order.end(), by_fid);

    const Projector proj(*q.crs);
    JsonOut out;
    FeatureWriter writer(out, proj, viewer, q.properties ? &*q.properties : nullptr);
    out.raw("{\"type\":\"FeatureCollection\",\"features\":[");
    // The queryables' readers, resolved once for the whole query (filters and sort keys use them).
    const auto& fields = fields_of(static_cast<const T*>(nullptr), options);
    std::size_t matched = 0, returned = 0;
    auto emit = [&](const T& r) {
      if (returned++) out.raw(",");
      writer.feature(r);
    };
    if (!q.sortby.empty()) {
      // Sorted: every match first, then ordered by the keys (nulls last), then by feature id.
      std::vector<uint32_t> hits;
      for (std::size_t k = 0; k < order.size(); ++k) {
        http::poll_deadline(k);
        if (!q.any_filter() || matches(records[order[k]], q, fields)) hits.push_back(order[k]);
      }
      http::check_deadline();  // before the sort
      auto rank = [](const Value& v) -> int { return std::holds_alternative<Null>(v) ? 1 : 0; };
      auto less = [](const Value& a, const Value& b) {
        if (a.index() != b.index()) return a.index() < b.index();
        if (const auto* x = std::get_if<std::string_view>(&a))
          return *x < std::get<std::string_view>(b);
        if (const auto* x = std::get_if<double>(&a)) return *x < std::get<double>(b);
        if (const auto* x = std::get_if<bool>(&a)) return !*x && std::get<bool>(b);
        if (const auto* x = std::get_if<cql2::Timestamp>(&a))
          return x->seconds < std::get<cql2::Timestamp>(b).seconds;
        return false;
      };
      std::stable_sort(hits.begin(), hits.end(), [&](uint32_t x, uint32_t y) {
        for (const auto& [index, desc] : q.sortby) {
          const Value a = fields[index].get(records[x]), b = fields[index].get(records[y]);
          if (rank(a) != rank(b)) return rank(a) < rank(b);
          if (less(a, b)) return !desc;
          if (less(b, a)) return desc;
        }
        return false;  // stable: feature id order
      });
      matched = hits.size();
      for (std::size_t k = q.offset; k < matched && k < q.offset + q.limit; ++k)
        emit(records[hits[k]]);
    } else if (!q.any_filter()) {
      // Every record matches: the page is a slice (a client paging through a whole layer costs
      // one page per request, not one scan).
      matched = order.size();
      for (std::size_t k = q.offset; k < matched && k < q.offset + q.limit; ++k)
        emit(records[order[k]]);
    } else {
      for (std::size_t k = 0; k < order.size(); ++k) {
        http::poll_deadline(k);
        const uint32_t i = order[k];
        if (!matches(records[i], q, fields)) continue;
        if (matched >= q.offset && matched < q.offset + q.limit) emit(records[i]);
        ++matched;
      }
    }
    auto page_url = [&](std::size_t offset) {
      std::string url = items_url + "?";
      for (const auto& [k, v] : q.kept) url += k + "=" + url_encode(v) + "&";
      if (std::none_of(q.kept.begin(), q.kept.end(),
                       [](const auto& kv) { return kv.first == "limit"; }))
        url += "limit=" + std::to_string(q.limit) + "&";
      return url + "offset=" + std::to_string(offset);
    };
    json links = json::array({link(page_url(q.offset), "self", kGeoJson, "This page"),
                              link(base + "/collections/" + std::string(layers::layer_name(c.kind)),
                                   "collection", "application/json", "The collection")});
    if (q.offset + returned < matched)
      links.push_back(link(page_url(q.offset + returned), "next", kGeoJson, "Next page"));
    if (q.offset > 0)
      links.push_back(link(page_url(q.offset > q.limit ? q.offset - q.limit : 0), "prev", kGeoJson,
                           "Previous page"));
    out.raw("],\"numberMatched\":");
    out.num(static_cast<int64_t>(matched));
    out.raw(",\"numberReturned\":");
    out.num(static_cast<int64_t>(returned));
    out.raw(",\"timeStamp\":");
    out.str(now_text());
    out.raw(",\"links\":");
    out.raw(layers::json_text(links));
    out.raw("}");
    return {200,
            std::move(out.text()),
            kGeoJson,
            {{"Content-Crs", "<" + std::string(q.crs->uri) + ">"}}};
  }

  template <class T>
  HttpAnswer item(const std::vector<T>& records, const CollectionInfo& c, int64_t fid,
                  const OutputCrs& crs, const std::string& base, const auth::Viewer& viewer) const {
    const auto it =
        std::find_if(records.begin(), records.end(), [&](const T& r) { return r.fid == fid; });
    const std::string id(layers::layer_name(c.kind));
    bool shown = it != records.end();
    if constexpr (std::is_same_v<T, layers::Incident>) shown = shown && visible(*it, viewer);
    if constexpr (std::is_same_v<T, layers::Worker>)
      shown = shown && viewer.at(it->grid_code) != auth::Audience::Public;
    if (!shown) throw NotFound("no feature " + std::to_string(fid) + " in " + id);
    const Projector proj(crs);
    JsonOut out;
    FeatureWriter(out, proj, viewer).feature(*it);
    // The feature's links go inside its object: before its closing brace.
    std::string& text = out.text();
    text.pop_back();
    const std::string coll = base + "/collections/" + id;
    text += ",\"links\":" +
            layers::json_text(json::array(
                {link(coll + "/items/" + std::to_string(fid), "self", kGeoJson, "This feature"),
                 link(coll, "collection", "application/json", "The collection")})) +
            "}";
    return {200, std::move(text), kGeoJson, {{"Content-Crs", "<" + std::string(crs.uri) + ">"}}};
  }

  // An items query over a collection, its area resolved against the grids under the same lock.
  HttpAnswer run_items(const CollectionInfo& c, ItemQuery& q, const std::string& base,
                       const auth::Viewer& viewer) const {
    return with_records(c.kind, [&](const auto& records) {
      if (q.area)
        q.area_box = resolve_area(q, county->data().grids, county->join_options().max_distance_m);
      return items(records, c, q, base, viewer);
    });
  }

  // Whether the viewer sees an incident as a feature: the public not one of a sensitive
  // category (counted in the statistics only).
  bool visible(const layers::Incident& i, const auth::Viewer& viewer) const {
    const layers::CategoryConfig* cat = county->dispatch_config().find(i.category);
    return auth::may_see_incident(viewer, i, cat && cat->sensitive);
  }

  // Calls f(records) with the collection's record vector.
  template <class F>
  HttpAnswer with_records(LayerKind k, F&& f) const {
    auto lock = county->read();
    const layers::Dataset& d = county->data();
    switch (k) {
      case LayerKind::Grids:
        return f(d.grids);
      case LayerKind::Households:
        return f(d.households);
      case LayerKind::Enterprises:
        return f(d.enterprises);
      case LayerKind::Incidents:
        return f(d.incidents);
      case LayerKind::Workers:
        return f(d.workers);
    }
    return f(d.grids);
  }

  HttpAnswer openapi(const std::string& base) const;

  // The collection's queryables as a JSON Schema (Part 3).
  HttpAnswer queryables_json(const CollectionInfo& c, const std::string& base,
                             auth::Audience audience, const auth::ReadPolicy& policy) const {
    const std::string id(layers::layer_name(c.kind));
    json props = json::object();
    for (const auto& q : queryables(c.kind, options)) {
      if (!policy.reaches(audience, c.kind, q.name)) continue;  // what this caller may not query
      json p;
      switch (q.type) {
        case Type::String:
          p = {{"type", "string"}};
          break;
        case Type::Number:
          p = {{"type", "number"}};
          break;
        case Type::Boolean:
          p = {{"type", "boolean"}};
          break;
        case Type::Timestamp:
          p = {{"type", "string"}, {"format", "date-time"}};
          break;
        case Type::Geometry:
          p = {{"format", c.kind == LayerKind::Grids ? "geometry-multipolygon" : "geometry-point"},
               {"x-ogc-role", "primary-geometry"}};
          break;
      }
      p["title"] = q.name;
      props[q.name] = p;
    }
    json j = {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
              {"$id", base + "/collections/" + id + "/queryables"},
              {"type", "object"},
              {"title", c.title},
              {"properties", props},
              {"additionalProperties", false}};
    return {200, layers::json_text(j), "application/schema+json", {}};
  }
  HttpAnswer stats(const std::vector<std::pair<std::string, std::string>>& query,
                   const auth::ReadPolicy& policy) const;
};

// ---- incident statistics ---------------------------------------------------------------------

HttpAnswer FeatureService::Impl::stats(
    const std::vector<std::pair<std::string, std::string>>& query,
    const auth::ReadPolicy& policy) const {
  // The window and filters: datetime (both ends), area, bbox; the grouping level; how many
  // rising areas to list.
  std::vector<std::pair<std::string, std::string>> item_params;
  layers::GridLevel level = layers::GridLevel::Town;
  std::size_t top = 10;
  bool has_datetime = false;
  for (const auto& [k, v] : query) {
    if (k == "group_by") {
      try {
        level = layers::level_from_name(v);
      } catch (const InvalidArgument& e) {
        throw InvalidArgument(k, e.detail());
      }
    } else if (k == "top") {
      top = static_cast<std::size_t>(std::min<uint64_t>(parse_count(k, v, 0), 1000));
    } else if (k == "datetime" || k == "area" || k == "bbox" || k == "bbox-crs") {
      has_datetime = has_datetime || k == "datetime";
      item_params.emplace_back(k, v);
    } else {
      throw InvalidArgument(k,
                            "unknown query parameter for stats (parameters: datetime, area, bbox, "
                            "bbox-crs, group_by, top)");
    }
  }
  if (!has_datetime) throw InvalidArgument("datetime", "is required: the window, start/end");
  // Counts for everyone: the window and area take no field a policy could close.
  ItemQuery q =
      parse_items_query(item_params, LayerKind::Incidents, options, auth::Audience::Public, policy);
  if (!q.since || !q.until)
    throw InvalidArgument("datetime", "the window needs both ends (start/end)");
  // The previous window: as long, just before (closed intervals of whole seconds).
  const int64_t length = *q.until - *q.since + 1;
  ItemQuery prev = q;
  prev.since = *q.since - length;
  prev.until = *q.since - 1;

  auto lock = county->read();
  const layers::Dataset& d = county->data();
  if (q.area)
    prev.area_box = q.area_box = resolve_area(q, d.grids, county->join_options().max_distance_m);
  prev.area_codes = q.area_codes;
  // Each grid's ancestor (or itself) at the grouping level, and the names.
  std::unordered_map<std::string_view, const layers::Grid*> by_code;
  for (const auto& g : d.grids) by_code[g.code] = &g;
  std::unordered_map<std::string_view, const layers::Grid*> group_of;
  auto group = [&](const std::string& code) -> const layers::Grid* {
    if (code.empty()) return nullptr;
    if (auto it = group_of.find(code); it != group_of.end()) return it->second;
    const layers::Grid* g = nullptr;
    for (auto it = by_code.find(code); it != by_code.end();
         it = by_code.find(it->second->parent_code)) {
      if (it->second->level == level) {
        g = it->second;
        break;
      }
      if (it->second->parent_code.empty()) break;
    }
    group_of[code] = g;
    return g;
  };

  struct Cell {
    uint64_t now = 0, before = 0;
  };
  // The closed loop's figures over the window's incidents.
  auto write_loop = [](JsonOut& out, layers::LoopMetrics& m) {
    m.finish();
    out.raw("\"loop\":{\"closed\":");
    out.num(static_cast<int64_t>(m.closed));
    out.raw(",\"open\":");
    out.num(static_cast<int64_t>(m.open));
    out.raw(",\"overdue\":");
    out.num(static_cast<int64_t>(m.overdue));
    out.raw(",\"closure_rate\":");
    if (m.total)
      out.num(m.closure_rate);
    else
      out.raw("null");
    out.raw(",\"on_time_rate\":");
    if (m.with_deadline_closed)
      out.num(m.on_time_rate);
    else
      out.raw("null");
    out.raw(",\"median_hours_to_close\":");
    if (m.median_hours_to_close)
      out.num(*m.median_hours_to_close);
    else
      out.raw("null");
    out.raw("}");
  };
  const int64_t clock = static_cast<int64_t>(std::time(nullptr));
  // group code ("" for incidents in no group) → category → status → counts
  std::map<std::string, std::map<std::string, std::map<std::string, Cell>>> table;
  std::map<std::string, layers::LoopMetrics> loops;
  layers::LoopMetrics total_loop;
  Cell total;
  const auto& fields = fields_of(static_cast<const layers::Incident*>(nullptr), options);
  for (std::size_t k = 0; k < d.incidents.size(); ++k) {
    http::poll_deadline(k);
    const layers::Incident& i = d.incidents[k];
    const bool in_now = matches(i, q, fields), in_before = !in_now && matches(i, prev, fields);
    if (!in_now && !in_before) continue;
    const layers::Grid* g = group(i.join.grid_code);
    Cell& c = table[g ? g->code : ""][i.category][i.status];
    (in_now ? c.now : c.before)++;
    (in_now ? total.now : total.before)++;
    if (in_now) {
      loops[g ? g->code : ""].add(i, clock);
      total_loop.add(i, clock);
    }
  }

  auto counts = [](JsonOut& out, uint64_t now, uint64_t before) {
    out.raw("\"count\":");
    out.num(static_cast<int64_t>(now));
    out.raw(",\"previous\":");
    out.num(static_cast<int64_t>(before));
    out.raw(",\"change\":");
    out.num(static_cast<int64_t>(now) - static_cast<int64_t>(before));
    out.raw(",\"ratio\":");
    if (before)
      out.num(static_cast<double>(now) / static_cast<double>(before));
    else
      out.raw("null");
  };
  struct Rising {
    std::string code, name, category;
    uint64_t now, before;
  };
  std::vector<Rising> rising;
  JsonOut out;
  out.raw("{\"window\":{\"start\":");
  out.str(layers::time_text(*q.since).view());
  out.raw(",\"end\":");
  out.str(layers::time_text(*q.until).view());
  out.raw("},\"previous_window\":{\"start\":");
  out.str(layers::time_text(*prev.since).view());
  out.raw(",\"end\":");
  out.str(layers::time_text(*prev.until).view());
  out.raw("},\"group_by\":");
  out.str(layers::level_name(level));
  out.raw(",\"total\":{");
  counts(out, total.now, total.before);
  out.raw(",");
  write_loop(out, total_loop);
  out.raw("},\"groups\":[");
  bool first_group = true;
  for (const auto& [code, cats] : table) {
    Cell sum;
    for (const auto& [cat, statuses] : cats) {
      Cell cat_sum;
      for (const auto& [st, c] : statuses) {
        cat_sum.now += c.now;
        cat_sum.before += c.before;
      }
      sum.now += cat_sum.now;
      sum.before += cat_sum.before;
      const auto it = by_code.find(code);
      rising.push_back(
          {code, it != by_code.end() ? it->second->name : "", cat, cat_sum.now, cat_sum.before});
    }
    if (!first_group) out.raw(",");
    first_group = false;
    out.raw("{\"code\":");
    out.str_or_null(code);
    out.raw(",\"name\":");
    const auto it = by_code.find(code);
    out.str_or_null(it != by_code.end() ? std::string_view(it->second->name) : std::string_view());
    out.raw(",");
    counts(out, sum.now, sum.before);
    out.raw(",");
    write_loop(out, loops[code]);
    out.raw(",\"cells\":[");
    bool first_cell = true;
    for (const auto& [cat, statuses] : cats)
      for (const auto& [st, c] : statuses) {
        if (!first_cell) out.raw(",");
        first_cell = false;
        out.raw("{\"category\":");
        out.str(cat);
        out.raw(",\"status\":");
        out.str(st);
        out.raw(",");
        counts(out, c.now, c.before);
        out.raw("}");
      }
    out.raw("]}");
  }
  // Rising: the area × category pairs whose count grew most (then by ratio, then by code).
  std::erase_if(rising, [](const Rising& r) { return r.now <= r.before; });
  std::sort(rising.begin(), rising.end(), [](const Rising& a, const Rising& b) {
    const int64_t ca = static_cast<int64_t>(a.now) - static_cast<int64_t>(a.before);
    const int64_t cb = static_cast<int64_t>(b.now) - static_cast<int64_t>(b.before);
    if (ca != cb) return ca > cb;
    if (a.before * b.now != b.before * a.now) return a.now * b.before > b.now * a.before;
    return std::tie(a.code, a.category) < std::tie(b.code, b.category);
  });
  if (rising.size() > top) rising.resize(top);
  out.raw("],\"rising\":[");
  for (std::size_t k = 0; k < rising.size(); ++k) {
    if (k) out.raw(",");
    out.raw("{\"code\":");
    out.str_or_null(rising[k].code);
    out.raw(",\"name\":");
    out.str_or_null(rising[k].name);
    out.raw(",\"category\":");
    out.str(rising[k].category);
    out.raw(",");
    counts(out, rising[k].now, rising[k].before);
    out.raw("}");
  }
  out.raw("]}");
  return {200, std::move(out.text()), "application/json", {}};
}

FeatureService::FeatureService(std::shared_ptr<layers::County> county,
                               FeatureServiceOptions options)
    : impl_(std::make_unique<Impl>()) {
  if (options.default_limit < 1 || options.default_limit > options.max_limit)
    throw InvalidArgument("limit", "the default must be within [1, max]");
  impl_->county = std::move(county);
  impl_->options = options;
}

FeatureService::~FeatureService() = default;

bool FeatureService::handles(std::string_view path) {
  return path == "/" || path == "/conformance" || path == "/api" || path == "/collections" ||
         path.starts_with("/collections/");
}

bool FeatureService::takes_post(std::string_view path) {
  return path.starts_with("/collections/") && path.ends_with("/items") &&
         path.find('/', std::string_view("/collections/").size()) == path.size() - 6;
}

spatial::MultiPolygon read_polygon_body(std::string_view body) {
  json j = parse_json_body<json>(body, "body");
  // An object's "type" when it is a string ("" otherwise: any other value is no GeoJSON type).
  auto type_of = [](const json& v) -> std::string {
    if (!v.is_object()) return "";
    const auto t = v.find("type");
    return t != v.end() && t->is_string() ? t->get<std::string>() : "";
  };
  if (type_of(j) == "Feature") j = j.contains("geometry") ? j["geometry"] : json(nullptr);
  if (type_of(j) != "Polygon" && type_of(j) != "MultiPolygon")
    throw InvalidArgument(
        "body", "must be a GeoJSON Polygon or MultiPolygon (or a Feature with one), in CRS84");
  check_geometry_vertices(j, "body");
  spatial::MultiPolygon mp = spatial::multipolygon_from_geojson(layers::json_text(j), "body");
  if (mp.empty()) throw InvalidArgument("body", "the polygon is empty");
  spatial::bg::correct(mp);
  if (const auto v = spatial::check_validity(mp); !v.valid)
    throw InvalidArgument("body", "the polygon is not valid: " + v.reason);
  return mp;
}

std::vector<cql2::Queryable> collection_queryables(LayerKind kind,
                                                   const FeatureServiceOptions& options) {
  return queryables(kind, options);
}

HttpAnswer FeatureService::handle(std::string_view path,
                                  const std::vector<std::pair<std::string, std::string>>& query,
                                  const std::string& base, std::string_view method,
                                  std::string_view body, const auth::Viewer& viewer) const {
  const Impl& m = *impl_;
  // Filters may use what the viewer reads everywhere it queries: a scoped user's queries run
  // county-wide, so only the public fields.
  const auth::Audience query_audience =
      viewer.scope.empty() ? viewer.audience : auth::Audience::Public;
  auto check_layer = [&](const CollectionInfo& c) {
    if (auth::may_see_layer(viewer, c.kind)) return;
    if (viewer.anonymous())
      throw Unauthorized("the " + std::string(layers::layer_name(c.kind)) +
                         " collection is for staff: sign in");
    throw Forbidden("the " + std::string(layers::layer_name(c.kind)) + " collection is for staff");
  };
  if (method == "POST") {
    if (!takes_post(path))
      throw InvalidArgument("method", "POST is only for /collections/{id}/items");
    const CollectionInfo& c = collection(path.substr(13, path.size() - 13 - 6));
    check_layer(c);
    ItemQuery q = parse_items_query(query, c.kind, m.options, query_audience, *viewer.policy);
    q.within = std::make_shared<const spatial::AreaIndex>(read_polygon_body(body));
    return m.run_items(c, q, base, viewer);
  }
  auto no_parameters = [&] {
    for (const auto& [k, v] : query)
      if (k != "f")
        throw InvalidArgument(k, "unknown query parameter for " + std::string(path));
      else if (v != "json")
        throw InvalidArgument(k, "only json is offered");
  };
  if (path == "/") return no_parameters(), m.landing(base);
  if (path == "/conformance") return no_parameters(), m.conformance();
  if (path == "/api") return no_parameters(), m.openapi(base);
  if (path == "/collections") return no_parameters(), m.collections(base);

  // /collections/{id}[/items[/{featureId}]]
  std::string_view rest = path.substr(std::string_view("/collections/").size());
  const std::size_t slash = rest.find('/');
  const CollectionInfo& c = collection(rest.substr(0, slash));
  check_layer(c);
  if (slash == std::string_view::npos) {
    no_parameters();
    return {200, layers::json_text(m.collection_json(c, base)), "application/json", {}};
  }
  rest = rest.substr(slash);
  if (rest == "/items") {
    ItemQuery q = parse_items_query(query, c.kind, m.options, query_audience, *viewer.policy);
    return m.run_items(c, q, base, viewer);
  }
  if (rest == "/queryables") {
    no_parameters();
    return m.queryables_json(c, base, query_audience, *viewer.policy);
  }
  if (rest == "/stats") {
    if (c.kind != LayerKind::Incidents)
      throw NotFound("statistics are offered for incidents: /collections/incidents/stats");
    return m.stats(query, *viewer.policy);
  }
  if (rest.starts_with("/items/")) {
    const OutputCrs* crs = &kCrsList[0];
    for (const auto& [k, v] : query) {
      if (k == "crs")
        crs = &parse_crs(k, v);
      else if (k != "f")
        throw InvalidArgument(k, "unknown query parameter for a feature (parameters: crs, f)");
      else if (v != "json" && v != "geojson")
        throw InvalidArgument(k, "only json (GeoJSON) is offered");
    }
    const std::string_view id = rest.substr(7);
    int64_t fid = 0;
    const auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), fid);
    if (id.empty() || ec != std::errc() || p != id.data() + id.size())
      throw NotFound("no feature '" + std::string(id) + "' (feature ids are integers)");
    return m.with_records(
        c.kind, [&](const auto& records) { return m.item(records, c, fid, *crs, base, viewer); });
  }
  throw NotFound("no resource at " + std::string(path));
}

// ---- the OpenAPI document --------------------------------------------------------------------

HttpAnswer FeatureService::Impl::openapi(const std::string& base) const {
  auto param_ref = [](const char* name) {
    return json{{"$ref", std::string("#/components/parameters/") + name}};
  };
  auto response = [](const char* description, const char* type, const json& schema) {
    return json{{"description", description}, {"content", {{type, {{"schema", schema}}}}}};
  };
  const json error_schema = {{"$ref", "#/components/schemas/error"}};
  const json errors = {
      {"400", response("A bad parameter (named in the answer)", "application/json", error_schema)},
      {"404", response("No such resource", "application/json", error_schema)}};
  auto item_params = [&] {
    // filter-lang inline (not a $ref): GDAL's OAPIF driver looks for its enum to decide to send
    // filters, under the older name cql-text.
    const json filter_lang = {
        {"name", "filter-lang"},
        {"in", "query"},
        {"required", false},
        {"description",
         "The filter's language: cql2-text (cql-text is the same, by its draft name)"},
        {"schema",
         {{"type", "string"}, {"enum", {"cql2-text", "cql-text"}}, {"default", "cql2-text"}}}};
    return json::array({param_ref("collectionId"), param_ref("bbox"), param_ref("bbox-crs"),
                        param_ref("crs"), param_ref("datetime"), param_ref("filter"), filter_lang,
                        param_ref("filter-crs"), param_ref("area"), param_ref("near"),
                        param_ref("radius"), param_ref("properties"), param_ref("sortby"),
                        param_ref("limit"), param_ref("offset"), param_ref("f")});
  };
  auto get = [&](const char* summary, const char* op, json params, json ok) {
    json responses = {{"200", ok}};
    for (const auto& [k, v] : errors.items()) responses[k] = v;
    return json{{"get",
                 {{"summary", summary},
                  {"operationId", op},
                  {"parameters", params},
                  {"responses", responses}}}};
  };
  json ids = json::array();
  for (const auto& c : kCollections) ids.push_back(std::string(layers::layer_name(c.kind)));
  const json object = {{"type", "object"}};
  json paths = {
      {"/", get("The landing page", "getLandingPage", json::array({param_ref("f")}),
                response("Links to the API definition, conformance and collections",
                         "application/json", object))},
      {"/conformance",
       get("The conformance classes", "getConformance", json::array({param_ref("f")}),
           response("The conformance classes", "application/json", object))},
      {"/api", get("This document", "getApi", json::array({param_ref("f")}),
                   response("The OpenAPI document", kOpenApi, object))},
      {"/collections", get("The collections", "getCollections", json::array({param_ref("f")}),
                           response("Every layer as a collection", "application/json", object))},
      {"/collections/{collectionId}",
       get("One collection", "describeCollection",
           json::array({param_ref("collectionId"), param_ref("f")}),
           response("The collection with its extent", "application/json", object))},
      {"/collections/{collectionId}/items",
       get("Features of a collection", "getFeatures", item_params(),
           response("A page of features, by feature id", kGeoJson,
                    {{"$ref", "#/components/schemas/featureCollection"}}))},
      {"/collections/{collectionId}/queryables",
       get("The properties a filter may use", "getQueryables",
           json::array({param_ref("collectionId"), param_ref("f")}),
           response("A JSON Schema of the queryables", "application/schema+json", object))},
      {"/collections/incidents/stats",
       get("Incident counts in a window and the window before it", "getIncidentStats",
           json::array({param_ref("datetime"), param_ref("area"), param_ref("bbox"),
                        param_ref("bbox-crs"), param_ref("group_by"), param_ref("top")}),
           response(
               "Counts by area x category x status with change and ratio, and the rising areas",
               "application/json", object))},
      {"/collections/{collectionId}/items/{featureId}",
       get("One feature", "getFeature",
           json::array({param_ref("collectionId"), param_ref("featureId"), param_ref("crs"),
                        param_ref("f")}),
           response("The feature", kGeoJson, {{"$ref", "#/components/schemas/feature"}}))},
  };
  // Each collection's items path too, with its queryables as parameters (equality): GDAL's OAPIF
  // driver reads them there to know which fields it may put in a filter.
  for (const auto& c : kCollections) {
    json params = item_params();
    params.erase(params.begin());  // collectionId: fixed in this path
    for (const auto& q : queryables(c.kind, options)) {
      if (q.type == Type::Geometry) continue;
      json schema = q.type == Type::Number      ? json{{"type", "number"}}
                    : q.type == Type::Boolean   ? json{{"type", "boolean"}}
                    : q.type == Type::Timestamp ? json{{"type", "string"}, {"format", "date-time"}}
                                                : json{{"type", "string"}};
      params.push_back({{"name", q.name},
                        {"in", "query"},
                        {"required", false},
                        {"description", "Features whose " + q.name + " equals this value"},
                        {"schema", schema}});
    }
    const std::string id(layers::layer_name(c.kind));
    paths["/collections/" + id + "/items"] =
        get(c.title, ("getFeatures_" + id).c_str(), params,
            response("A page of features, by feature id", kGeoJson,
                     {{"$ref", "#/components/schemas/featureCollection"}}));
  }
  {
    json post =
        get("Features of a collection within a polygon (GeoJSON Polygon, MultiPolygon or a Feature "
            "with one, in CRS84, as the body)",
            "getFeaturesWithinPolygon", item_params(),
            response("A page of features within the polygon", kGeoJson,
                     {{"$ref", "#/components/schemas/featureCollection"}}))["get"];
    post["requestBody"] = {{"required", true},
                           {"content",
                            {{"application/geo+json", {{"schema", object}}},
                             {"application/json", {{"schema", object}}}}}};
    paths["/collections/{collectionId}/items"]["post"] = post;
  }
  json parameters = {
      {"collectionId",
       {{"name", "collectionId"},
        {"in", "path"},
        {"required", true},
        {"description", "The collection"},
        {"schema", {{"type", "string"}, {"enum", ids}}}}},
      {"featureId",
       {{"name", "featureId"},
        {"in", "path"},
        {"required", true},
        {"description", "The feature id (an integer, the same as in vector tiles)"},
        {"schema", {{"type", "integer"}, {"format", "int64"}}}}},
      {"bbox",
       {{"name", "bbox"},
        {"in", "query"},
        {"required", false},
        {"style", "form"},
        {"explode", false},
        {"description",
         "Features meeting this box: minlon,minlat,maxlon,maxlat in CRS84 (6 numbers with "
         "heights)"},
        {"schema",
         {{"type", "array"}, {"minItems", 4}, {"maxItems", 6}, {"items", {{"type", "number"}}}}}}},
      {"datetime",
       {{"name", "datetime"},
        {"in", "query"},
        {"required", false},
        {"description",
         "Incidents reported at this instant or within this interval (RFC 3339; '..' for an "
         "open end), e.g. 2026-11-01T00:00:00Z/.. ; other collections have no time"},
        {"schema", {{"type", "string"}}}}},
      {"limit",
       {{"name", "limit"},
        {"in", "query"},
        {"required", false},
        {"style", "form"},
        {"explode", false},
        {"description", "Features per page (a larger value is taken as the maximum)"},
        {"schema",
         {{"type", "integer"},
          {"minimum", 1},
          {"maximum", options.max_limit},
          {"default", options.default_limit}}}}},
      {"offset",
       {{"name", "offset"},
        {"in", "query"},
        {"required", false},
        {"description", "Features to skip (the next links carry it)"},
        {"schema", {{"type", "integer"}, {"minimum", 0}, {"default", 0}}}}},
      {"filter",
       {{"name", "filter"},
        {"in", "query"},
        {"required", false},
        {"description",
         "A CQL2 text filter over the collection's queryables (see "
         "/collections/{collectionId}/queryables): "
         "comparisons, LIKE, IN, BETWEEN, IS NULL, AND/OR/NOT, S_INTERSECTS/S_WITHIN/S_CONTAINS "
         "with WKT, T_INTERSECTS/T_DURING on times"},
        {"schema", {{"type", "string"}}}}},
      {"properties",
       {{"name", "properties"},
        {"in", "query"},
        {"required", false},
        {"style", "form"},
        {"explode", false},
        {"description", "The properties to include, comma-separated (queryables)"},
        {"schema", {{"type", "array"}, {"items", {{"type", "string"}}}}}}},
      {"sortby",
       {{"name", "sortby"},
        {"in", "query"},
        {"required", false},
        {"style", "form"},
        {"explode", false},
        {"description",
         "Sort keys, comma-separated queryables, '-' before one for descending (ties by feature "
         "id)"},
        {"schema", {{"type", "array"}, {"items", {{"type", "string"}}}}}}},
      {"filter-crs",
       {{"name", "filter-crs"},
        {"in", "query"},
        {"required", false},
        {"description", "The CRS of the filter's geometries: CRS84 only"},
        {"schema",
         {{"type", "string"}, {"format", "uri"}, {"enum", {kCrs84}}, {"default", kCrs84}}}}},
      {"area",
       {{"name", "area"},
        {"in", "query"},
        {"required", false},
        {"description",
         "level:code, e.g. town:330521001: the grid of that level and code and every grid "
         "under it (points by the grid they are joined to; grids by code)"},
        {"schema",
         {{"type", "string"}, {"pattern", "^(county|town|village|grid|microgrid):.+$"}}}}},
      {"near",
       {{"name", "near"},
        {"in", "query"},
        {"required", false},
        {"style", "form"},
        {"explode", false},
        {"description", "lon,lat (CRS84): with radius, features within that many metres of it"},
        {"schema",
         {{"type", "array"}, {"minItems", 2}, {"maxItems", 2}, {"items", {{"type", "number"}}}}}}},
      {"radius",
       {{"name", "radius"},
        {"in", "query"},
        {"required", false},
        {"description", "metres, with near"},
        {"schema",
         {{"type", "number"}, {"exclusiveMinimum", true}, {"minimum", 0}, {"maximum", 100000}}}}},
      {"group_by",
       {{"name", "group_by"},
        {"in", "query"},
        {"required", false},
        {"description", "the level counts are grouped by"},
        {"schema",
         {{"type", "string"},
          {"enum", {"county", "town", "village", "grid", "microgrid"}},
          {"default", "town"}}}}},
      {"top",
       {{"name", "top"},
        {"in", "query"},
        {"required", false},
        {"description", "how many rising area x category pairs to list"},
        {"schema", {{"type", "integer"}, {"minimum", 0}, {"maximum", 1000}, {"default", 10}}}}},
      {"crs",
       {{"name", "crs"},
        {"in", "query"},
        {"required", false},
        {"description",
         "The CRS of the answer's coordinates, in its axis order (EPSG:4490 and 4326: "
         "latitude first; EPSG:4549: northing first); the Content-Crs header names it"},
        {"schema",
         {{"type", "string"}, {"format", "uri"}, {"enum", crs_uris()}, {"default", kCrs84}}}}},
      {"bbox-crs",
       {{"name", "bbox-crs"},
        {"in", "query"},
        {"required", false},
        {"description", "The CRS of bbox, in its axis order"},
        {"schema",
         {{"type", "string"}, {"format", "uri"}, {"enum", crs_uris()}, {"default", kCrs84}}}}},
      {"f",
       {{"name", "f"},
        {"in", "query"},
        {"required", false},
        {"description", "The format: json"},
        {"schema", {{"type", "string"}, {"enum", {"json"}}}}}},
  };
  auto typed = [](const char* type) { return json{{"type", type}}; };
  json error_props = {
      {"code", typed("integer")}, {"message", typed("string")}, {"parameter", typed("string")}};
  json error_obj = {{"type", "object"},
                    {"properties", {{"error", {{"type", "object"}, {"properties", error_props}}}}}};
  json feature_props = {{"type", {{"type", "string"}, {"enum", {"Feature"}}}},
                        {"id", typed("integer")},
                        {"geometry", {{"type", "object"}, {"nullable", true}}},
                        {"properties", {{"type", "object"}, {"nullable", true}}}};
  json feature_obj = {{"type", "object"},
                      {"required", {"type", "geometry", "properties"}},
                      {"properties", feature_props}};
  json fc_props = {
      {"type", {{"type", "string"}, {"enum", {"FeatureCollection"}}}},
      {"features", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/feature"}}}}},
      {"numberMatched", {{"type", "integer"}, {"minimum", 0}}},
      {"numberReturned", {{"type", "integer"}, {"minimum", 0}}},
      {"timeStamp", {{"type", "string"}, {"format", "date-time"}}},
      {"links", {{"type", "array"}, {"items", typed("object")}}}};
  json fc_obj = {{"type", "object"}, {"required", {"type", "features"}}, {"properties", fc_props}};
  json schemas = {{"error", error_obj}, {"feature", feature_obj}, {"featureCollection", fc_obj}};
  for (const auto& c : kCollections)
    schemas[std::string(layers::layer_name(c.kind)) + "_properties"] = {
        {"type", "object"}, {"properties", schema_properties(c.kind)}};
  // The rest of the server: status, tiles, and the record endpoints (writes need the bearer token).
  auto in_path = [](const char* name, const char* description, json schema) {
    return json{{"name", name},
                {"in", "path"},
                {"required", true},
                {"description", description},
                {"schema", schema}};
  };
  auto in_query = [](const char* name, const char* description) {
    return json{{"name", name},
                {"in", "query"},
                {"required", false},
                {"description", description},
                {"schema", {{"type", "string"}}}};
  };
  auto op = [&](const char* summary, const char* id, json params, json ok, bool write = false) {
    json responses = {{"200", ok}};
    for (const auto& [k, v] : errors.items()) responses[k] = v;
    json o = {{"summary", summary},
              {"operationId", id},
              {"parameters", params},
              {"responses", responses}};
    if (write) {
      o["security"] = json::array({{{"bearer", json::array()}}});
      o["responses"]["401"] =
          response("No or a wrong bearer token", "application/json", error_schema);
      o["responses"]["403"] =
          response("The user's role or area does not allow it", "application/json", error_schema);
      o["requestBody"] = {{"required", true},
                          {"content", {{"application/json", {{"schema", object}}}}}};
    }
    return o;
  };
  const json tile_query =
      json::array({in_query("offset", "gcj02: coordinates shifted into GCJ-02 (Amap, Tencent)"),
                   in_query("status", "incidents: comma list of statuses"),
                   in_query("category", "incidents: comma list of categories"),
                   in_query("since", "incidents reported at or after (ISO 8601 or Unix seconds)"),
                   in_query("until", "incidents reported before (ISO 8601 or Unix seconds)")});
  auto tile_params = [&](bool xyz) {
    json p = json::array({in_path("layers", "tile layers, comma-separated", {{"type", "string"}})});
    if (xyz)
      for (const char* n : {"z", "x", "y"})
        p.push_back(in_path(n, "tile zoom, column, row", {{"type", "integer"}, {"minimum", 0}}));
    for (const auto& q : tile_query) p.push_back(q);
    return p;
  };
  const json mvt = {
      {"description", "A Mapbox Vector Tile (204 when empty, 304 when the ETag matches)"},
      {"content",
       {{"application/vnd.mapbox-vector-tile",
         {{"schema", {{"type", "string"}, {"format", "binary"}}}}}}}};
  paths["/health"]["get"] = op("Status, version and layer counts", "getHealth", json::array(),
                               response("Status", "application/json", object));
  paths["/layers"]["get"] = op("Every layer with its public fields", "getLayers", json::array(),
                               response("Layers", "application/json", object));
  paths["/metrics"]["get"] =
      op("Tile cache and build metrics", "getMetrics", json::array(),
         {{"description", "Prometheus text"},
          {"content", {{"text/plain", {{"schema", {{"type", "string"}}}}}}}});
  paths["/tiles/{layers}/{z}/{x}/{y}.mvt"]["get"] =
      op("A vector tile (Web Mercator)", "getTile", tile_params(true), mvt);
  paths["/tiles/cgcs2000/{layers}/{z}/{x}/{y}.mvt"]["get"] =
      op("A vector tile (CGCS2000, Tianditu 'c')", "getTileCgcs2000", tile_params(true), mvt);
  paths["/tiles/{layers}.json"]["get"] = op("TileJSON 3.0.0", "getTileJson", tile_params(false),
                                            response("TileJSON", "application/json", object));
  paths["/tiles/cgcs2000/{layers}.json"]["get"] =
      op("TileJSON 3.0.0 (CGCS2000)", "getTileJsonCgcs2000", tile_params(false),
         response("TileJSON", "application/json", object));
  const json id_param = json::array(
      {in_path("id", "the record's feature id", {{"type", "integer"}, {"format", "int64"}})});
  for (const char* kind : {"incidents", "households", "enterprises"}) {
    const std::string k = kind;
    paths["/" + k]["post"] =
        op(("Create a record of " + k).c_str(), ("create_" + k).c_str(), json::array(),
           response("The record, joined to its grid", "application/json", object), true);
    paths["/" + k]["post"]["responses"]["201"] = paths["/" + k]["post"]["responses"]["200"];
    paths["/" + k]["post"]["responses"].erase("200");
    paths["/" + k + "/{id}"]["get"] =
        op(("One record of " + k).c_str(), ("get_" + k).c_str(), id_param,
           response("The record", "application/json", object), false);
    if (k == "households")
      paths["/" + k + "/{id}"]["get"]["security"] = json::array({{{"bearer", json::array()}}});
    paths["/" + k + "/{id}"]["patch"] =
        op(("Change a record of " + k).c_str(), ("patch_" + k).c_str(), id_param,
           response("The record", "application/json", object), true);
  }
  paths["/grids/{id}"]["get"] = op("One grid with its outline", "get_grid", id_param,
                                   response("The grid", "application/json", object));
  paths["/grids/{id}"]["patch"] = op("Rename a grid or change its outline", "patch_grid", id_param,
                                     response("The grid", "application/json", object), true);
  // The closed loop.
  paths["/incidents/{id}/actions"]["post"] =
      op("A step of the closed loop: dispatch, accept, start, resolve, return, verify, close, "
         "reopen, escalate",
         "act_on_incident", id_param,
         response("The incident after the step, with the event", "application/json", object), true);
  paths["/incidents/{id}/actions"]["post"]["parameters"].push_back(
      {{"name", "If-Match"},
       {"in", "header"},
       {"required", false},
       {"description", "the incident's ETag (version): a stale one loses with 409"},
       {"schema", {{"type", "string"}}}});
  paths["/incidents/{id}/actions"]["post"]["responses"]["409"] =
      response("The state or the version does not allow it", "application/json", error_schema);
  paths["/incidents/{id}/history"]["get"] =
      op("An incident's audit trail", "get_incident_history", id_param,
         response("The events", "application/json", object));
  paths["/dispatch/batch"]["post"] =
      op("Dispatch every unassigned incident of an area at once (least total distance)",
         "batch_dispatch", json::array(), response("The assignment", "application/json", object),
         true);
  paths["/escalations/sweep"]["post"] =
      op("Escalate every overdue incident one level", "sweep_overdue", json::array(),
         response("The incidents escalated", "application/json", object), true);
  paths["/users/me"]["get"] =
      op("The user the bearer token names", "get_me", json::array(),
         response("The user and the actions their role allows", "application/json", object), true);
  paths["/users/me"]["get"].erase("requestBody");
  // Users and the audit: the administrator's (api/users_api.hpp).
  {
    const json user_id = json::array({in_path("id", "the user's id", {{"type", "string"}})});
    auto admin_op = [&](const char* summary, const char* id, json params, const char* ok,
                        bool body) {
      json o = op(summary, id, std::move(params), response(ok, "application/json", object), true);
      o["responses"]["403"] = response("Not an administrator", "application/json", error_schema);
      if (!body) o.erase("requestBody");
      return o;
    };
    paths["/users"]["get"] =
        admin_op("Every user (never a token)", "list_users", json::array(), "The users", false);
    paths["/users"]["post"] =
        admin_op("Add a user: its token is in the answer, once", "create_user", json::array(),
                 "The user and its token", true);
    paths["/users"]["post"]["responses"]["201"] = paths["/users"]["post"]["responses"]["200"];
    paths["/users"]["post"]["responses"].erase("200");
    paths["/users/{id}"]["patch"] =
        admin_op("Change a user's name, role, scope, worker record or active flag", "patch_user",
                 user_id, "The user", true);
    paths["/users/{id}/token"]["post"] =
        admin_op("A new token for a user (shown once); the old one stops at once", "rotate_token",
                 user_id, "The user's id and new token", false);
    paths["/audit"]["get"] = admin_op(
        "The audit of personal data and user changes, newest first", "get_audit",
        json::array(
            {in_query("from", "at or after (ISO 8601 or Unix seconds)"),
             in_query("to", "at or before (ISO 8601 or Unix seconds)"),
             in_query("user", "the actor's id"),
             in_query("action",
                      "read_personal, write_personal, user_create, user_change, user_disable, "
                      "user_enable, token_rotate"),
             in_query("limit", "1 to 1000 (default 100)"), in_query("offset", "rows to skip")}),
        "The rows and their total", false);
  }
  // Open311 GeoReport v2.
  const json open311_list = {
      {"description", "A JSON list (Open311 GeoReport v2)"},
      {"content", {{"application/json", {{"schema", {{"type", "array"}, {"items", object}}}}}}}};
  paths["/open311/v2/services.json"]["get"] =
      op("Open311: the service list (categories)", "open311_services",
         json::array({in_query("jurisdiction_id", "ignored (one jurisdiction)")}), open311_list);
  paths["/open311/v2/requests.json"]["get"] = op(
      "Open311: service requests", "open311_requests",
      json::array(
          {in_query("service_request_id", "comma list of ids"),
           in_query("service_code", "comma list of codes"), in_query("start_date", "W3C date-time"),
           in_query("end_date", "W3C date-time"), in_query("status", "open, closed or both"),
           in_query("coordinate_system", "WGS84 (default) or GCJ02 for the coordinates returned"),
           in_query("jurisdiction_id", "ignored"),
           in_query("api_key",
                    "a user's token: its own reports in full (checked: an unknown key is a 401)")}),
      open311_list);
  paths["/open311/v2/requests.json"]["post"] = op("Open311: a new service request, routed at once",
                                                  "open311_create", json::array(), open311_list);
  paths["/open311/v2/requests.json"]["post"]["responses"]["201"] =
      paths["/open311/v2/requests.json"]["post"]["responses"]["200"];
  paths["/open311/v2/requests.json"]["post"]["responses"].erase("200");
  paths["/open311/v2/requests.json"]["post"]["requestBody"] = {
      {"required", true},
      {"content",
       {{"application/x-www-form-urlencoded", {{"schema", object}}},
        {"application/json", {{"schema", object}}}}}};
  paths["/open311/v2/requests/{id}.json"]["get"] = op(
      "Open311: one service request", "open311_request",
      json::array(
          {in_path("id", "the service_request_id", {{"type", "integer"}}),
           in_query("coordinate_system", "WGS84 (default) or GCJ02"),
           in_query("jurisdiction_id", "ignored"),
           in_query("api_key",
                    "a user's token: its own reports in full (checked: an unknown key is a 401)")}),
      open311_list);

  json doc = {{"openapi", "3.0.3"},
              {"info",
               {{"title", "onemap"},
                {"version", "1.0.0"},
                {"description",
                 "The county's one map: OGC API - Features over its layers, vector tiles, "
                 "and the record endpoints"}}},
              {"servers", json::array({{{"url", base}}})},
              {"paths", paths},
              {"components",
               {{"parameters", parameters},
                {"schemas", schemas},
                {"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}}};
  return {200, layers::json_text(doc), kOpenApi, {}};
}

}  // namespace onemap::api
