// A collection's features (GET and POST /collections/{id}/items, with the engine of
// layers/query/feature_query.hpp) and one feature (GET /collections/{id}/items/{featureId}).
#include "api/features_internal.hpp"

#include "api/geojson_writer.hpp"
#include "api/item_query.hpp"
#include "api/json_body.hpp"
#include "core/errors.hpp"
#include "http/deadline.hpp"
#include "layers/model/text.hpp"
#include "layers/query/feature_query.hpp"
#include "spatial/geos_ops.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <type_traits>
#include <utility>

namespace onemap::api::features {

namespace {

std::string now_text() {
  return layers::format_time(static_cast<int64_t>(std::time(nullptr)));
}

// Whether the viewer sees an incident as a feature: the public not one of a sensitive
// category (counted in the statistics only).
bool visible(const layers::County& county, const layers::Incident& i, const auth::Viewer& viewer) {
  const layers::CategoryConfig* cat = county.dispatch_config().find(i.category);
  return auth::may_see_incident(viewer, i, cat && cat->sensitive);
}

// Calls f(records) with the collection's record vector.
template <class F>
HttpAnswer with_records(const layers::County& county, LayerKind k, F&& f) {
  auto lock = county.read();
  return county.data().visit(k, std::forward<F>(f));
}

template <class T>
HttpAnswer page_of(const layers::County& county, const std::vector<T>& records,
                   const CollectionInfo& c, const ItemQuery& q, const std::string& base,
                   const auth::Viewer& viewer) {
  // The candidates: every record, or those the index finds around the search box.
  std::vector<uint32_t> order;
  if (const auto search = layers::search_box(q)) {
    if constexpr (std::is_same_v<T, layers::Grid>)
      order = county.tiles().grid_candidates(*search);
    else
      order = county.tiles().point_candidates(c.kind, *search);
  } else {
    order.resize(records.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
  }
  std::erase_if(order, [&](uint32_t i) { return i >= records.size(); });
  // visible() per candidate, with the category looked up once per query: the sensitive
  // categories are a handful, the candidates up to the whole layer. A viewer who is staff or
  // more everywhere sees them all.
  if constexpr (std::is_same_v<T, layers::Incident>)
    if (!viewer.beyond_public_everywhere()) {
      std::vector<std::string_view> sensitive;
      for (const auto& cat : county.dispatch_config().categories)
        if (cat.sensitive) sensitive.push_back(cat.code);
      if (!sensitive.empty())
        std::erase_if(order, [&](uint32_t i) {
          const layers::Incident& r = records[i];
          return std::find(sensitive.begin(), sensitive.end(), r.category) != sensitive.end() &&
                 !auth::may_see_incident(viewer, r, true);
        });
    }
  if constexpr (std::is_same_v<T, layers::Worker>)  // whereabouts: within the user's area only
    std::erase_if(order, [&](uint32_t i) {
      return viewer.at(records[i].grid_code) == auth::Audience::Public;
    });
  const layers::FeaturePage page =
      layers::select_page(records, std::move(order), q, &http::check_deadline);

  const Projector proj(*q.crs);
  JsonOut out;
  out.text().reserve(512 + 256 * page.positions.size());  // a feature is 150-400 bytes
  FeatureWriter writer(out, proj, viewer, q.properties ? &*q.properties : nullptr);
  out.raw("{\"type\":\"FeatureCollection\",\"features\":[");
  for (std::size_t k = 0; k < page.positions.size(); ++k) {
    if (k) out.raw(",");
    writer.feature(records[page.positions[k]]);
  }
  return finish_page(out, base, std::string(layers::layer_name(c.kind)), q, page.matched,
                     page.positions.size());
}

template <class T>
HttpAnswer feature_of(const layers::County& county, const std::vector<T>& records,
                      const CollectionInfo& c, int64_t fid, const OutputCrs& crs,
                      const std::string& base, const auth::Viewer& viewer) {
  const auto it =
      std::find_if(records.begin(), records.end(), [&](const T& r) { return r.fid == fid; });
  const std::string id(layers::layer_name(c.kind));
  bool shown = it != records.end();
  if constexpr (std::is_same_v<T, layers::Incident>) shown = shown && visible(county, *it, viewer);
  if constexpr (std::is_same_v<T, layers::Worker>)
    shown = shown && viewer.at(it->grid_code) != auth::Audience::Public;
  if (!shown) throw NotFound("no feature " + std::to_string(fid) + " in " + id);
  return record_answer(*it, c.kind, crs, base, viewer);
}

}  // namespace

template <class T>
HttpAnswer record_answer(const T& r, LayerKind kind, const OutputCrs& crs, const std::string& base,
                         const auth::Viewer& viewer) {
  const Projector proj(crs);
  JsonOut out;
  FeatureWriter(out, proj, viewer).feature(r);
  HttpAnswer a =
      with_links(std::move(out.text()), base, std::string(layers::layer_name(kind)), r.fid, crs);
  if constexpr (std::is_same_v<T, layers::Enterprise>)
    a.headers.emplace_back("ETag", layers::etag_of(r));
  return a;
}
template HttpAnswer record_answer(const layers::Enterprise&, LayerKind, const OutputCrs&,
                                  const std::string&, const auth::Viewer&);

HttpAnswer with_links(std::string feature, const std::string& base, const std::string& collection,
                      int64_t fid, const OutputCrs& crs) {
  // The feature's links go inside its object: before its closing brace.
  feature.pop_back();
  const std::string coll = base + "/collections/" + collection;
  feature += ",\"links\":" +
             layers::json_text(json::array(
                 {link(coll + "/items/" + std::to_string(fid), "self", kGeoJson, "This feature"),
                  link(coll, "collection", "application/json", "The collection")})) +
             "}";
  return {200, std::move(feature), kGeoJson, {{"Content-Crs", "<" + std::string(crs.uri) + ">"}}};
}

HttpAnswer finish_page(JsonOut& out, const std::string& base, const std::string& id,
                       const ItemQuery& q, std::size_t matched, std::size_t returned) {
  const std::string items_url = base + "/collections/" + id + "/items";
  auto page_url = [&](std::size_t offset) {
    std::string url = items_url + "?";
    for (const auto& [k, v] : q.kept) url += k + "=" + url_encode(v) + "&";
    if (std::none_of(q.kept.begin(), q.kept.end(),
                     [](const auto& kv) { return kv.first == "limit"; }))
      url += "limit=" + std::to_string(q.limit) + "&";
    return url + "offset=" + std::to_string(offset);
  };
  json links = json::array(
      {link(page_url(q.offset), "self", kGeoJson, "This page"),
       link(base + "/collections/" + id, "collection", "application/json", "The collection")});
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
  return {
      200, std::move(out.text()), kGeoJson, {{"Content-Crs", "<" + std::string(q.crs->uri) + ">"}}};
}

HttpAnswer items(const Context& ctx, const CollectionInfo& c, ItemQuery& q, const std::string& base,
                 const auth::Viewer& viewer) {
  const layers::County& county = *ctx.county;
  return with_records(county, c.kind, [&](const auto& records) {
    if (q.area)
      q.area_box =
          layers::resolve_area(q, county.data().grids, county.join_options().max_distance_m);
    return page_of(county, records, c, q, base, viewer);
  });
}

HttpAnswer item(const Context& ctx, const CollectionInfo& c, std::string_view id,
                const QueryParameters& query, const std::string& base, const auth::Viewer& viewer) {
  const OutputCrs* crs = &feature_crs(query);
  int64_t fid = 0;
  const auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), fid);
  if (id.empty() || ec != std::errc() || p != id.data() + id.size())
    throw NotFound("no feature '" + std::string(id) + "' (feature ids are integers)");
  return with_records(*ctx.county, c.kind, [&](const auto& records) {
    return feature_of(*ctx.county, records, c, fid, *crs, base, viewer);
  });
}

}  // namespace onemap::api::features

namespace onemap::api {

spatial::MultiPolygon read_polygon_body(std::string_view body) {
  using features::json;
  json j = parse_request_json<json>(body, "body");
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

}  // namespace onemap::api
