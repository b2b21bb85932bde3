// A collection's queryables (GET /collections/{id}/queryables, OGC API - Features Part 3): the
// properties a filter, sortby or properties= may name, as a JSON Schema.
#include "api/features_internal.hpp"
#include "api/item_query.hpp"

#include "layers/model/text.hpp"
#include "layers/query/feature_fields.hpp"

namespace onemap::api::features {

using layers::cql2::Type;

HttpAnswer queryables(const CollectionQueryables& fields, const std::string& title,
                      std::string_view geometry_format, const std::string& base,
                      auth::Audience audience) {
  json props = json::object();
  for (const auto& q : fields.queryables) {
    if (!fields.reaches(audience, q.name)) continue;  // what this caller may not query
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
        p = {{"format", geometry_format}, {"x-ogc-role", "primary-geometry"}};
        break;
    }
    p["title"] = q.name;
    props[q.name] = p;
  }
  json j = {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
            {"$id", base + "/collections/" + fields.collection + "/queryables"},
            {"type", "object"},
            {"title", title},
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
