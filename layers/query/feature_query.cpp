// The feature query engine (feature_query.hpp): matching, the search box, sorting and paging.
#include "layers/query/feature_query.hpp"

#include "core/errors.hpp"
#include "spatial/geometry.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <unordered_map>
#include <variant>

namespace onemap::layers {

namespace {

// Distance in metres from p to a polygon or lines, on a local equirectangular projection at p's
// latitude (within 0.5 % over the few kilometres a radius query spans).
template <class Geometry>
double metres_to(const LonLat& p, const Geometry& g) {
  const double kx = 111320.0 * std::cos(p.lat * 3.14159265358979323846 / 180.0), ky = 110574.0;
  Geometry local = g;
  spatial::bg::for_each_point(local, [&](spatial::Point& q) {
    q = spatial::Point((q.x() - p.lon) * kx, (q.y() - p.lat) * ky);
  });
  return spatial::bg::distance(spatial::Point(0, 0), local);
}

// The page of `hits` (positions, matches in feature id order): sorted by q.sortby's keys (nulls
// last), key(position, queryable index) giving a record's value, then by feature id; offset and
// limit from q.
template <class Key>
FeaturePage page_of(std::vector<uint32_t> hits, const FeatureQuery& q, const Key& key,
                    Checkpoint checkpoint) {
  if (!q.sortby.empty()) {
    if (checkpoint) checkpoint();  // before the sort
    using cql2::Null;
    using cql2::Value;
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
        const Value a = key(x, index), b = key(y, index);
        if (rank(a) != rank(b)) return rank(a) < rank(b);
        if (less(a, b)) return !desc;
        if (less(b, a)) return desc;
      }
      return false;  // stable: feature id order
    });
  }
  FeaturePage page;
  page.matched = hits.size();
  for (std::size_t k = q.offset; k < page.matched && k < q.offset + q.limit; ++k)
    page.positions.push_back(hits[k]);
  return page;
}

// Asks for the cache lines of a record that matching reads: its first 192 bytes (fid, ids, and
// for incidents category, reported_at and status) and its location. The candidates are scattered
// over a layer of hundreds of bytes a record, and a query tests about a thousand of them: fetched
// ahead, their misses overlap instead of stalling one after another.
template <class T>
void fetch(const T& r) {
  const char* p = reinterpret_cast<const char*>(&r);
  for (std::size_t at = 0; at < std::min<std::size_t>(sizeof(T), 192); at += 64)
    __builtin_prefetch(p + at);
  __builtin_prefetch(p + std::min<std::size_t>(sizeof(T), 192) - 1);
  if constexpr (!std::is_same_v<T, Grid>) __builtin_prefetch(&r.location);
}

// The bbox filter of a point: its position in the bbox's CRS, covered by the box.
bool point_in_bbox(const FeatureQuery& q, const LonLat& at) {
  spatial::Point p(at.lon, at.lat);
  if (q.to_bbox_crs) {
    try {
      p = q.to_bbox_crs->apply(p);
    } catch (const CrsError&) {
      return false;
    }
  }
  return spatial::bg::covered_by(p, *q.bbox);
}

// The bbox filter of lines or polygons (lon/lat): they meet the box, or its lon/lat outline for a
// projected bbox CRS.
template <class Geometry>
bool meets_bbox(const FeatureQuery& q, const Geometry& g) {
  return q.bbox_outline ? spatial::bg::intersects(*q.bbox_outline, g)
                        : spatial::bg::intersects(*q.bbox, g);
}

// How many candidates ahead fetch() runs.
constexpr std::size_t kAhead = 8;

}  // namespace

spatial::Box resolve_area(FeatureQuery& q, const std::vector<Grid>& grids, double join_m) {
  const auto& [level, code] = *q.area;
  const Grid* top = nullptr;
  for (const auto& g : grids)
    if (g.level == level && g.code == code) top = &g;
  if (!top)
    throw InvalidArgument("area",
                          "no " + std::string(level_name(level)) + " with code '" + code + "'");
  std::unordered_map<std::string_view, std::vector<const Grid*>> children;
  for (const auto& g : grids) children[g.parent_code].push_back(&g);
  std::vector<const Grid*> stack{top};
  while (!stack.empty()) {
    const Grid* g = stack.back();
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

template <class T>
bool matches(const T& r, const FeatureQuery& q, const QueryFields<T>& fields) {
  if (q.bbox) {
    if constexpr (std::is_same_v<T, Grid>) {
      if (!meets_bbox(q, r.geometry)) return false;
    } else {
      if (!point_in_bbox(q, r.location)) return false;
    }
  }
  if constexpr (std::is_same_v<T, Incident>) {
    if (q.since && r.reported_at < *q.since) return false;
    if (q.until && r.reported_at > *q.until) return false;
  }
  if constexpr (std::is_same_v<T, Grid>) {
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

std::optional<spatial::Box> search_box(const FeatureQuery& q) {
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
    meet(spatial::Box({q.near->lon - dx, q.near->lat - dy}, {q.near->lon + dx, q.near->lat + dy}));
  }
  if (q.within) meet(q.within->envelope());
  if (q.filter)
    if (const auto hint = q.filter->bbox_hint()) meet(*hint);
  return box;
}

template <class T>
FeaturePage select_page(const std::vector<T>& records, std::vector<uint32_t> order,
                        const FeatureQuery& q, Checkpoint checkpoint) {
  auto poll = [&](std::size_t step) {
    if ((step & 1023) == 0 && checkpoint) checkpoint();
  };
  // The queryables' readers, resolved once for the whole query (filters and sort keys use them).
  const auto& fields = fields_of(static_cast<const T*>(nullptr));
  // The matches: every candidate (the page is then a slice), or those passing the filters.
  std::vector<uint32_t> hits;
  if (!q.any_filter()) {
    hits = std::move(order);
  } else {
    for (std::size_t k = 0; k < order.size(); ++k) {
      poll(k);
      if (k + kAhead < order.size()) fetch(records[order[k + kAhead]]);
      if (matches(records[order[k]], q, fields)) hits.push_back(order[k]);
    }
  }
  // In feature id order. Records are kept in fid order (grids in stored order, which is the same
  // unless edited outside onemap) and candidates come in record order, so the matches are sorted
  // only when needed; checked after filtering, as the matches are usually far fewer.
  auto by_fid = [&](uint32_t a, uint32_t b) { return records[a].fid < records[b].fid; };
  if (!std::is_sorted(hits.begin(), hits.end(), by_fid))
    std::sort(hits.begin(), hits.end(), by_fid);
  return page_of(
      std::move(hits), q,
      [&](uint32_t x, std::size_t index) { return fields[index].get(records[x]); }, checkpoint);
}

#define ONEMAP_FEATURE_QUERY(T)                                                  \
  template bool matches(const T&, const FeatureQuery&, const QueryFields<T>&);   \
  template FeaturePage select_page(const std::vector<T>&, std::vector<uint32_t>, \
                                   const FeatureQuery&, Checkpoint);
ONEMAP_FEATURE_QUERY(Grid)
ONEMAP_FEATURE_QUERY(Household)
ONEMAP_FEATURE_QUERY(Enterprise)
ONEMAP_FEATURE_QUERY(Incident)
ONEMAP_FEATURE_QUERY(Worker)
#undef ONEMAP_FEATURE_QUERY

bool matches(const Feature& r, const FeatureQuery& q, const LayerQueryables& fields) {
  const auto* point = std::get_if<LonLat>(&r.geometry);
  const auto* lines = std::get_if<MultiLineString>(&r.geometry);
  const auto* area = std::get_if<MultiPolygon>(&r.geometry);
  if (q.bbox && !(point   ? point_in_bbox(q, *point)
                  : lines ? meets_bbox(q, *lines)
                          : meets_bbox(q, *area)))
    return false;
  if (q.area) {
    const bool in = point ? q.area_codes.count(r.join.grid_code) > 0
                          : std::any_of(r.shares.begin(), r.shares.end(), [&](const GridShare& s) {
                              return q.area_codes.count(s.grid_code) > 0;
                            });
    if (!in) return false;
  }
  if (q.near) {
    const double d = point   ? spatial::distance_m(*q.near, *point)
                     : lines ? metres_to(*q.near, *lines)
                             : metres_to(*q.near, *area);
    if (d > q.radius_m) return false;
  }
  if (q.within) {
    const bool in = point   ? q.within->covers(spatial::Point(point->lon, point->lat))
                    : lines ? q.within->intersects(*lines)
                            : q.within->intersects(*area);
    if (!in) return false;
  }
  if (q.filter && !q.filter->matches([&](std::size_t i) { return fields.get(r, i); })) return false;
  return true;
}

FeaturePage select_page(const std::vector<Feature>& records, std::vector<uint32_t> order,
                        const FeatureQuery& q, const LayerQueryables& fields,
                        Checkpoint checkpoint) {
  std::vector<uint32_t> hits;
  if (!q.any_filter()) {
    hits = std::move(order);
  } else {
    for (std::size_t k = 0; k < order.size(); ++k) {
      if ((k & 1023) == 0 && checkpoint) checkpoint();
      if (matches(records[order[k]], q, fields)) hits.push_back(order[k]);
    }
  }
  auto by_fid = [&](uint32_t a, uint32_t b) { return records[a].fid < records[b].fid; };
  if (!std::is_sorted(hits.begin(), hits.end(), by_fid))
    std::sort(hits.begin(), hits.end(), by_fid);
  return page_of(
      std::move(hits), q,
      [&](uint32_t x, std::size_t index) { return fields.get(records[x], index); }, checkpoint);
}

}  // namespace onemap::layers
