// The query parameters of /collections/{id}/items (and of the incident statistics) read into an
// ItemQuery: the engine's filters (layers/query/feature_query.hpp) plus the answer's CRS,
// properties and paging links.
#pragma once

#include "api/features_internal.hpp"
#include "layers/query/feature_query.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onemap::api::features {

struct ItemQuery : layers::FeatureQuery {
  const OutputCrs* crs = &kCrsList[0];       ///< of the answer
  const OutputCrs* bbox_crs = &kCrsList[0];  ///< of the bbox parameter
  // properties=: the properties to write.
  std::optional<std::vector<std::string>> properties;
  std::vector<std::pair<std::string, std::string>> kept;  ///< every parameter but offset, for links
};

/// An integer of at least `lo`. @throws InvalidArgument (name).
uint64_t parse_count(const std::string& name, const std::string& v, uint64_t lo);
/// An integer in [lo, hi]. @throws InvalidArgument (name) naming the range.
std::size_t parse_count_in(const std::string& name, const std::string& v, std::size_t lo,
                           std::size_t hi);

/// What an items query may name in a collection: its queryables (sortby and filters index them),
/// whether it has a time (datetime=), and whether an audience reads a field.
struct CollectionQueryables {
  std::string collection;
  std::vector<layers::cql2::Queryable> queryables;
  bool has_time = false;
  std::function<bool(auth::Audience, std::string_view field)> reaches;
};
/// The five layers': layer_queryables(kind), under `policy`.
CollectionQueryables collection_queryables(LayerKind kind, const auth::ReadPolicy& policy);
/// A county layer's: queryables_of(def), each field read by its audience and the layer's.
CollectionQueryables collection_queryables(const layers::LayerDef& def);

/// Reads the items parameters of a collection. `query_audience`: what the caller reads
/// everywhere it queries (filters, sort keys and properties are limited to it).
/// @throws InvalidArgument naming the parameter.
ItemQuery parse_items_query(const QueryParameters& query, const CollectionQueryables& fields,
                            const FeatureServiceOptions& o, auth::Audience query_audience);
/// The same for a collection of `kind` under `policy`.
inline ItemQuery parse_items_query(const QueryParameters& query, LayerKind kind,
                                   const FeatureServiceOptions& o, auth::Audience query_audience,
                                   const auth::ReadPolicy& policy) {
  return parse_items_query(query, collection_queryables(kind, policy), o, query_audience);
}

}  // namespace onemap::api::features
