// The county's own layers (layers/model/feature_layer.hpp) as OGC API - Features collections:
// the collection, its items (bbox, area, near, POST polygon, CQL2 filter, equality, sortby,
// properties, crs, paging), one item, its queryables and its statistics by grid group (counts,
// and metres of line or square metres of polygon in each), each as its viewer may read it: a
// layer's audience decides who sees its features at all, each field's who reads it, both at the
// grid of the feature (a user's area scope), and no person's identity is ever a property.
#include "api/features_internal.hpp"

#include "api/geojson_writer.hpp"
#include "api/item_query.hpp"
#include "core/errors.hpp"
#include "http/deadline.hpp"
#include "layers/model/text.hpp"
#include "layers/query/feature_query.hpp"

#include <algorithm>
#include <charconv>
#include <map>

namespace onemap::api::features {

namespace {

// The layer's own audience and the viewer's at the feature's grid: what the viewer reads of it
// (nullopt: not the feature at all).
std::optional<auth::Audience> audience_for(const layers::LayerDef& def, const layers::Feature& f,
                                           const auth::Viewer& viewer) {
  const auth::Audience a = viewer.at(f.join.grid_code);
  if (static_cast<int>(a) < static_cast<int>(def.audience)) return std::nullopt;
  return a;
}

// The county layer `id` (the caller holds the read lock). @throws NotFound listing every
// collection.
const layers::FeatureLayer& layer_of(const Context& ctx, std::string_view id) {
  const layers::FeatureLayer* l = ctx.county->feature_layer(id);
  if (!l) throw no_collection(id, ctx.county->feature_layers());
  return *l;
}

void check_layer(const layers::LayerDef& def, const auth::Viewer& viewer) {
  if (static_cast<int>(viewer.audience) >= static_cast<int>(def.audience)) return;
  if (viewer.anonymous())
    throw Unauthorized("the " + def.name + " collection is for staff: sign in");
  throw Forbidden("the " + def.name + " collection is for staff");
}

HttpAnswer items(const Context& ctx, const layers::FeatureLayer& l, ItemQuery& q,
                 const std::string& base, const auth::Viewer& viewer) {
  const layers::County& county = *ctx.county;
  if (q.area)
    q.area_box = layers::resolve_area(q, county.data().grids, county.join_options().max_distance_m);
  const layers::LayerQueryables fields = layers::queryables_of(l.def);
  std::vector<uint32_t> order;
  order.reserve(l.features.size());
  for (std::size_t i = 0; i < l.features.size(); ++i)
    if (audience_for(l.def, l.features[i], viewer)) order.push_back(static_cast<uint32_t>(i));
  const layers::FeaturePage page =
      layers::select_page(l.features, std::move(order), q, fields, &http::check_deadline);

  const Projector proj(*q.crs);
  JsonOut out;
  FeatureWriter writer(out, proj, viewer, q.properties ? &*q.properties : nullptr);
  out.raw("{\"type\":\"FeatureCollection\",\"features\":[");
  for (std::size_t k = 0; k < page.positions.size(); ++k) {
    if (k) out.raw(",");
    const layers::Feature& f = l.features[page.positions[k]];
    writer.feature(l.def, f, *audience_for(l.def, f, viewer));
  }
  return finish_page(out, base, l.def.name, q, page.matched, page.positions.size());
}

HttpAnswer item(const layers::FeatureLayer& l, std::string_view id, const QueryParameters& query,
                const std::string& base, const auth::Viewer& viewer) {
  const OutputCrs* crs = &feature_crs(query);
  int64_t fid = 0;
  const auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), fid);
  if (id.empty() || ec != std::errc() || p != id.data() + id.size())
    throw NotFound("no feature '" + std::string(id) + "' (feature ids are integers)");
  const auto it = std::lower_bound(l.features.begin(), l.features.end(), fid,
                                   [](const layers::Feature& f, int64_t x) { return f.fid < x; });
  const auto audience =
      it != l.features.end() && it->fid == fid ? audience_for(l.def, *it, viewer) : std::nullopt;
  if (!audience) throw NotFound("no feature " + std::to_string(fid) + " in " + l.def.name);
  return county_feature_answer(l.def, *it, *crs, base, viewer);
}

// /collections/{id}/stats: the matching features by grid group: how many lie (or have a part) in
// each, and for lines and polygons the metres or square metres they have there.
HttpAnswer stats(const Context& ctx, const layers::FeatureLayer& l, const QueryParameters& query,
                 const auth::Viewer& viewer, auth::Audience query_audience) {
  layers::GridLevel level = layers::GridLevel::Town;
  QueryParameters selection;
  for (const auto& [k, v] : query) {
    if (k == "group_by") {
      level = parse_level(k, v);
    } else if (k == "f") {
      check_format(v);
    } else if (k == "limit" || k == "offset" || k == "sortby" || k == "properties" || k == "crs") {
      throw InvalidArgument(k,
                            "is for items; stats take group_by and the items' selection "
                            "(area, bbox, near, radius, filter, a field's value)");
    } else {
      selection.emplace_back(k, v);
    }
  }
  ItemQuery q =
      parse_items_query(selection, collection_queryables(l.def), ctx.options, query_audience);
  q.limit = l.features.size();
  const layers::County& county = *ctx.county;
  if (q.area)
    q.area_box = layers::resolve_area(q, county.data().grids, county.join_options().max_distance_m);
  std::vector<uint32_t> order;
  for (std::size_t i = 0; i < l.features.size(); ++i)
    if (audience_for(l.def, l.features[i], viewer)) order.push_back(static_cast<uint32_t>(i));
  const layers::FeaturePage page = layers::select_page(
      l.features, std::move(order), q, layers::queryables_of(l.def), &http::check_deadline);

  GridGroups group(county.data().grids, level);
  struct Sum {
    int64_t count = 0;
    double measure = 0;
  };
  std::map<const layers::Grid*, Sum, bool (*)(const layers::Grid*, const layers::Grid*)> sums(
      [](const layers::Grid* a, const layers::Grid* b) {
        return (a ? a->code : std::string()) < (b ? b->code : std::string());
      });
  double total = 0;
  for (uint32_t i : page.positions) {
    const layers::Feature& f = l.features[i];
    if (l.def.geometry == layers::GeometryKind::Point) {
      ++sums[group(f.join.grid_code)].count;
      continue;
    }
    std::vector<const layers::Grid*> counted;
    for (const auto& share : f.shares) {
      const layers::Grid* g = group(share.grid_code);
      sums[g].measure += share.measure;
      total += share.measure;
      if (std::find(counted.begin(), counted.end(), g) == counted.end()) {
        counted.push_back(g);
        ++sums[g].count;
      }
    }
    if (f.shares.empty()) ++sums[nullptr].count;
  }
  const char* measure = l.def.geometry == layers::GeometryKind::Line      ? "length_m"
                        : l.def.geometry == layers::GeometryKind::Polygon ? "area_m2"
                                                                          : nullptr;
  json groups = json::array();
  json outside = nullptr;
  for (const auto& [g, sum] : sums) {
    json row = g ? json{{"code", g->code}, {"name", g->name}} : json::object();
    row["count"] = sum.count;
    if (measure) row[measure] = sum.measure;
    if (g)
      groups.push_back(std::move(row));
    else
      outside = std::move(row);
  }
  json totals = {{"count", page.matched}};
  if (measure) totals[measure] = total;
  json j = {{"collection", l.def.name},
            {"group_by", layers::level_name(level)},
            {"groups", groups},
            {"outside", outside},
            {"total", totals}};
  return {200, layers::json_text(j), "application/json", {}};
}

}  // namespace

std::optional<auth::Audience> county_feature_audience(const layers::LayerDef& def,
                                                      const layers::Feature& f,
                                                      const auth::Viewer& viewer) {
  return audience_for(def, f, viewer);
}

HttpAnswer county_feature_answer(const layers::LayerDef& def, const layers::Feature& f,
                                 const OutputCrs& crs, const std::string& base,
                                 const auth::Viewer& viewer) {
  const Projector proj(crs);
  JsonOut out;
  // A writer sees what it wrote as it reads it; the public's audience at least.
  const auth::Audience audience = audience_for(def, f, viewer).value_or(def.audience);
  FeatureWriter(out, proj, viewer).feature(def, f, audience);
  HttpAnswer a = with_links(std::move(out.text()), base, def.name, f.fid, crs);
  a.headers.emplace_back("ETag", layers::etag_of(f));
  return a;
}

json county_collection_json(const Context&, const layers::FeatureLayer& l,
                            const std::string& base) {
  const std::string self = base + "/collections/" + l.def.name;
  spatial::Box b;
  spatial::bg::assign_inverse(b);
  for (const auto& f : l.features) spatial::bg::expand(b, layers::envelope(f.geometry));
  json extent = json::object();
  if (b.min_corner().x() <= b.max_corner().x())
    extent["spatial"] = {
        {"bbox",
         {{b.min_corner().x(), b.min_corner().y(), b.max_corner().x(), b.max_corner().y()}}},
        {"crs", kCrs84}};
  return {
      {"id", l.def.name},
      {"title", l.def.title},
      {"description", l.def.description},
      {"itemType", "feature"},
      {"crs", crs_uris()},
      {"storageCrs", "http://www.opengis.net/def/crs/EPSG/0/4490"},
      {"extent", extent},
      {"theme", l.def.theme.empty() ? "其他" : l.def.theme},
      {"geometryType", layers::geojson_type(l.def.geometry)},
      {"links",
       json::array({link(self, "self", "application/json", "This collection"),
                    link(self + "/items", "items", kGeoJson, l.def.title + " as GeoJSON"),
                    link(self + "/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                         "application/schema+json", "Its queryables")})}};
}

HttpAnswer county_layer(const Context& ctx, std::string_view id, std::string_view rest,
                        const QueryParameters& query, const std::string& base,
                        const auth::Viewer& viewer, auth::Audience query_audience,
                        std::optional<std::string_view> post_body) {
  // A POSTed polygon is read with no lock held (a large one takes a while), once the layer is
  // known to exist and be the viewer's to see.
  std::shared_ptr<const spatial::AreaIndex> within;
  if (post_body) {
    {
      auto lock = ctx.county->read();
      check_layer(layer_of(ctx, id).def, viewer);
    }
    within = std::make_shared<const spatial::AreaIndex>(read_polygon_body(*post_body));
  }
  auto lock = ctx.county->read();
  const layers::FeatureLayer& l = layer_of(ctx, id);
  check_layer(l.def, viewer);
  auto no_parameters = [&] {
    only_format(query, "/collections/" + std::string(id) + std::string(rest));
  };
  if (rest.empty()) {
    no_parameters();
    return {200, layers::json_text(county_collection_json(ctx, l, base)), "application/json", {}};
  }
  if (rest == "/items") {
    ItemQuery q =
        parse_items_query(query, collection_queryables(l.def), ctx.options, query_audience);
    q.within = std::move(within);
    return items(ctx, l, q, base, viewer);
  }
  if (rest == "/queryables") {
    no_parameters();
    return queryables(
        collection_queryables(l.def), l.def.title,
        l.def.geometry == layers::GeometryKind::Point ? "geometry-point" : "geometry-multipolygon",
        base, query_audience);
  }
  if (rest == "/stats") return stats(ctx, l, query, viewer, query_audience);
  if (rest.starts_with("/items/")) return item(l, rest.substr(7), query, base, viewer);
  throw NotFound("no resource at /collections/" + std::string(id) + std::string(rest));
}

}  // namespace onemap::api::features
