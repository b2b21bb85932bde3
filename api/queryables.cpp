// A collection's queryables (GET /collections/{id}/queryables, OGC API - Features Part 3): the
// properties a filter, sortby or properties= may name, as a JSON Schema.
#include "api/features_internal.hpp"

#include "layers/model/text.hpp"
#include "layers/query/feature_fields.hpp"

namespace onemap::api::features {

using layers::cql2::Type;

HttpAnswer queryables(const CollectionInfo& c, const std::string& base, auth::Audience audience,
                      const auth::ReadPolicy& policy) {
  const std::string id(layers::layer_name(c.kind));
  json props = json::object();
  for (const auto& q : layers::layer_queryables(c.kind)) {
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

}  // namespace onemap::api::features

namespace onemap::api {

std::vector<layers::cql2::Queryable> collection_queryables(layers::LayerKind kind,
                                                           const FeatureServiceOptions&) {
  return layers::layer_queryables(kind);
}

}  // namespace onemap::api
