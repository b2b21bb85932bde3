// Reading the items query parameters (item_query.hpp): bbox and bbox-crs, crs, datetime, filter,
// queryables as equalities, properties, sortby, area, near and radius, limit and offset.
#include "api/item_query.hpp"

#include "core/errors.hpp"
#include "layers/query/feature_fields.hpp"
#include "spatial/crs.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace onemap::api::features {

namespace {

namespace cql2 = layers::cql2;
using cql2::Type;

constexpr const char* kItemParameters =
    "bbox, bbox-crs, crs, datetime, filter, filter-lang, filter-crs, area, near, radius, "
    "properties, sortby, limit, offset, f";

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
std::optional<std::string> equality_filter(const std::vector<cql2::Queryable>& queryables,
                                           const std::string& name, const std::string& v) {
  for (const auto& q : queryables) {
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

}  // namespace

CollectionQueryables collection_queryables(LayerKind kind, const auth::ReadPolicy& policy) {
  return {std::string(layers::layer_name(kind)), layers::layer_queryables(kind),
          kind == LayerKind::Incidents, [&policy, kind](auth::Audience a, std::string_view field) {
            return policy.reaches(a, kind, field);
          }};
}

CollectionQueryables collection_queryables(const layers::LayerDef& def) {
  return {def.name, layers::queryables_of(def).queryables, false,
          [&def](auth::Audience a, std::string_view field) {
            const layers::Field* f = def.find(field);
            const int needs =
                std::max(static_cast<int>(def.audience), f ? static_cast<int>(f->audience) : 0);
            return static_cast<int>(a) >= needs;
          }};
}

uint64_t parse_count(const std::string& name, const std::string& v, uint64_t lo) {
  uint64_t n = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size() || n < lo)
    throw InvalidArgument(name, "'" + v + "' is not an integer of at least " + std::to_string(lo));
  return n;
}

std::size_t parse_count_in(const std::string& name, const std::string& v, std::size_t lo,
                           std::size_t hi) {
  std::size_t n = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < lo || n > hi)
    throw InvalidArgument(
        name, "must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return n;
}

// A comma list of finite numbers; `usage` is added to the message for an item that is none.

ItemQuery parse_items_query(const QueryParameters& query, const CollectionQueryables& fields,
                            const FeatureServiceOptions& o, auth::Audience query_audience) {
  const std::vector<cql2::Queryable>& qs = fields.queryables;
  ItemQuery q;
  q.limit = o.default_limit;
  std::optional<std::vector<double>> bbox;
  std::optional<std::string> filter_text;
  cql2::Encoding filter_encoding = cql2::Encoding::Text;
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
      if (!fields.has_time)
        throw InvalidArgument(
            k, "the " + fields.collection + " collection has no time (incidents have reported_at)");
      parse_datetime(v, q);
    } else if (k == "f") {
      check_format(v);
    } else if (k == "filter") {
      filter_text = v;
    } else if (k == "properties" || k == "sortby") {
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
      // GDAL 3.6 asks for the draft's name of the text encoding.
      if (v == "cql2-json")
        filter_encoding = cql2::Encoding::Json;
      else if (v != "cql2-text" && v != "cql-text")
        throw InvalidArgument(
            k, "cql2-text (the default; or its older name cql-text) and cql2-json are offered");
    } else if (k == "filter-crs") {
      if (&parse_crs(k, v) != &kCrsList[0])
        throw InvalidArgument(k, "filters take CRS84 coordinates (lon/lat)");
    } else if (k == "area") {
      const std::size_t colon = v.find(':');
      if (colon == std::string::npos || colon + 1 == v.size())
        throw InvalidArgument(k,
                              "expected level:code, e.g. town:330521001 (levels: county, town, "
                              "village, grid, microgrid)");
      q.area = std::make_pair(parse_level(k, v.substr(0, colon)), v.substr(colon + 1));
    } else if (k == "near") {
      const std::vector<double> n = parse_number_count(k, v, 2);
      if (n[0] < -180 || n[0] > 180 || n[1] < -90 || n[1] > 90)
        throw InvalidArgument(k, "expected lon,lat in degrees (CRS84)");
      q.near = layers::LonLat{n[0], n[1]};
    } else if (k == "radius") {
      const std::vector<double> n = parse_number_count(k, v, 1);
      if (!(n[0] > 0 && n[0] <= 100000)) throw InvalidArgument(k, "expected metres in (0, 100000]");
      q.radius_m = n[0];
    } else if (const auto eq = equality_filter(qs, k, v)) {
      // A queryable as a parameter (Part 3, queryables-query-parameters): equality.
      equalities.push_back(*eq);
    } else {
      throw InvalidArgument(k, std::string("unknown query parameter for items (parameters: ") +
                                   kItemParameters +
                                   ", or a queryable of the collection for equality)");
    }
    q.kept.emplace_back(k, v);
  }
  if (filter_text || !equalities.empty()) {
    std::vector<cql2::FilterSource> parts;
    if (filter_text) parts.push_back({*filter_text, filter_encoding});
    for (const auto& e : equalities) parts.push_back({e, cql2::Encoding::Text});
    try {
      q.filter = cql2::Filter::parse_all(parts, qs);
    } catch (const InvalidArgument& e) {
      if (filter_text) throw;  // the filter's own error, located in it
      throw InvalidArgument("query", e.detail());
    }
  }
  // No filter, sort or selection on a field the caller cannot read everywhere it queries: a count
  // would tell what the field holds (auth/read_policy.hpp).
  auto refuse = [&](const std::string& parameter, std::size_t index) {
    if (index < qs.size() && !fields.reaches(query_audience, qs[index].name))
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

}  // namespace onemap::api::features
