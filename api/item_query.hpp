// The query parameters of /collections/{id}/items (and of the incident statistics) read into an
// ItemQuery: the engine's filters (layers/query/feature_query.hpp) plus the answer's CRS,
// properties and paging links.
#pragma once

#include "api/features_internal.hpp"
#include "layers/query/feature_query.hpp"

#include <cstdint>
#include <optional>
#include <string>
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

/// Reads the items parameters of a collection of `kind`. `query_audience`: what the caller reads
/// everywhere it queries, under `policy` (filters, sort keys and properties are limited to it).
/// @throws InvalidArgument naming the parameter.
ItemQuery parse_items_query(const QueryParameters& query, LayerKind kind,
                            const FeatureServiceOptions& o, auth::Audience query_audience,
                            const auth::ReadPolicy& policy);

}  // namespace onemap::api::features
