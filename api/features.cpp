// OGC API - Features (features.hpp): FeatureService routes each path to its resource (landing.cpp,
// collections.cpp, items.cpp, queryables.cpp, stats.cpp, openapi.cpp); the tables those share
// (features_internal.hpp).
#include "api/features.hpp"

#include "api/features_internal.hpp"
#include "api/item_query.hpp"
#include "core/errors.hpp"
#include "layers/model/text.hpp"
#include "spatial/area_index.hpp"

#include <cctype>

namespace onemap::api {

namespace features {

const CollectionInfo* fixed_collection(std::string_view id) {
  for (const auto& c : kCollections)
    if (layers::layer_name(c.kind) == id) return &c;
  return nullptr;
}

NotFound no_collection(std::string_view id,
                       const std::vector<layers::FeatureLayer>& county_layers) {
  std::string list;
  for (const auto& c : kCollections)
    list += (list.empty() ? "" : ", ") + std::string(layers::layer_name(c.kind));
  for (const auto& l : county_layers) list += ", " + l.def.name;
  return NotFound("no collection '" + std::string(id) + "' (collections: " + list + ")");
}

json link(const std::string& href, const char* rel, const char* type, const std::string& title) {
  return {{"href", href}, {"rel", rel}, {"type", type}, {"title", title}};
}

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

layers::GridLevel parse_level(const std::string& parameter, const std::string& value) {
  try {
    return layers::level_from_name(value);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(parameter, e.detail());
  }
}

void check_format(const std::string& value) {
  if (value != "json" && value != "geojson" && value != "pjson")
    throw InvalidArgument("f",
                          "only JSON is offered (f=json; geojson and pjson are taken as json)");
}

void only_format(const QueryParameters& query, std::string_view path) {
  for (const auto& [k, v] : query)
    if (k == "f")
      check_format(v);
    else
      throw InvalidArgument(k, "unknown query parameter for " + std::string(path));
}

const OutputCrs& feature_crs(const QueryParameters& query) {
  const OutputCrs* crs = &kCrsList[0];
  for (const auto& [k, v] : query) {
    if (k == "crs")
      crs = &parse_crs(k, v);
    else if (k == "f")
      check_format(v);
    else
      throw InvalidArgument(k, "unknown query parameter for a feature (parameters: crs, f)");
  }
  return *crs;
}

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

json crs_uris() {
  json out = json::array();
  for (const auto& c : kCrsList) out.push_back(c.uri);
  return out;
}

}  // namespace features

FeatureService::FeatureService(std::shared_ptr<layers::County> county,
                               FeatureServiceOptions options)
    : impl_(std::make_unique<Impl>()) {
  if (options.default_limit < 1 || options.default_limit > options.max_limit)
    throw InvalidArgument("limit", "the default must be within [1, max]");
  impl_->ctx.county = std::move(county);
  impl_->ctx.options = options;
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

HttpAnswer FeatureService::handle(std::string_view path,
                                  const std::vector<std::pair<std::string, std::string>>& query,
                                  const std::string& base, std::string_view method,
                                  std::string_view body, const auth::Viewer& viewer) const {
  using namespace features;
  const Context& ctx = impl_->ctx;
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
    const std::string_view id = path.substr(13, path.size() - 13 - 6);
    const CollectionInfo* fixed = fixed_collection(id);
    if (!fixed) return county_layer(ctx, id, "/items", query, base, viewer, query_audience, body);
    const CollectionInfo& c = *fixed;
    check_layer(c);
    ItemQuery q = parse_items_query(query, c.kind, ctx.options, query_audience, *viewer.policy);
    q.within = std::make_shared<const spatial::AreaIndex>(read_polygon_body(body));
    return items(ctx, c, q, base, viewer);
  }
  auto no_parameters = [&] { only_format(query, path); };
  if (path == "/") return no_parameters(), landing(base);
  if (path == "/conformance") return no_parameters(), conformance();
  if (path == "/api") return no_parameters(), openapi(ctx, base);
  if (path == "/collections") return no_parameters(), collections(ctx, base);

  // /collections/{id}[/items[/{featureId}]]
  std::string_view rest = path.substr(std::string_view("/collections/").size());
  const std::size_t slash = rest.find('/');
  const CollectionInfo* fixed = fixed_collection(rest.substr(0, slash));
  if (!fixed)
    return county_layer(ctx, rest.substr(0, slash),
                        slash == std::string_view::npos ? std::string_view() : rest.substr(slash),
                        query, base, viewer, query_audience);
  const CollectionInfo& c = *fixed;
  check_layer(c);
  if (slash == std::string_view::npos) {
    no_parameters();
    return {200, layers::json_text(collection_json(ctx, c, base)), "application/json", {}};
  }
  rest = rest.substr(slash);
  if (rest == "/items") {
    ItemQuery q = parse_items_query(query, c.kind, ctx.options, query_audience, *viewer.policy);
    return items(ctx, c, q, base, viewer);
  }
  if (rest == "/queryables") {
    no_parameters();
    return queryables(collection_queryables(c.kind, *viewer.policy), c.title,
                      c.kind == LayerKind::Grids ? "geometry-multipolygon" : "geometry-point", base,
                      query_audience);
  }
  if (rest == "/stats") {
    if (c.kind != LayerKind::Incidents)
      throw NotFound(
          "statistics are offered for incidents and the county's own layers: "
          "/collections/incidents/stats");
    return stats(ctx, query, *viewer.policy);
  }
  if (rest.starts_with("/items/")) return item(ctx, c, rest.substr(7), query, base, viewer);
  throw NotFound("no resource at " + std::string(path));
}

}  // namespace onemap::api
