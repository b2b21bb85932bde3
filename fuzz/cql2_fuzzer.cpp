// Fuzz target: CQL2 filters (layers/query/cql2.hpp), the input read as CQL2 text and as CQL2
// JSON, parsed and type-checked against each collection's queryables as the features API does
// (api/features.hpp collection_queryables), then evaluated on a fixed record and asked for its
// index hint.
#include "api/features.hpp"
#include "core/errors.hpp"
#include "fuzz/fuzz_check.hpp"
#include "layers/query/cql2.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

using namespace onemap;
namespace cql2 = onemap::layers::cql2;

namespace {

const std::vector<std::vector<cql2::Queryable>>& all_queryables() {
  static const std::vector<std::vector<cql2::Queryable>> q = [] {
    std::vector<std::vector<cql2::Queryable>> out;
    const api::FeatureServiceOptions options;
    for (auto kind :
         {layers::LayerKind::Grids, layers::LayerKind::Households, layers::LayerKind::Enterprises,
          layers::LayerKind::Incidents, layers::LayerKind::Workers})
      out.push_back(api::collection_queryables(kind, options));
    return out;
  }();
  return q;
}

// A grid outline for geometry queryables: a square near the demo county.
const spatial::MultiPolygon& outline() {
  static const spatial::MultiPolygon mp = [] {
    spatial::Polygon p;
    p.outer() = {spatial::Point(120, 30.5), spatial::Point(120.5, 30.5), spatial::Point(120.5, 31),
                 spatial::Point(120, 31), spatial::Point(120, 30.5)};
    return spatial::MultiPolygon{p};
  }();
  return mp;
}

// The record's value of a queryable, by type (a null every few properties).
cql2::Value value_of(const cql2::Queryable& q, std::size_t i, bool grids) {
  if (i % 5 == 4) return cql2::Null{};
  switch (q.type) {
    case cql2::Type::String:
      return std::string_view(i % 2 ? "网格一" : "alpha");
    case cql2::Type::Number:
      return 3.0;
    case cql2::Type::Boolean:
      return true;
    case cql2::Type::Timestamp:
      return cql2::Timestamp{1767225600};
    case cql2::Type::Geometry:
      if (grids) return &outline();
      return spatial::Point(120.25, 30.75);
  }
  return cql2::Null{};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto& collections = all_queryables();
  for (std::size_t c = 0; c < collections.size(); ++c) {
    const auto& queryables = collections[c];
    for (const auto encoding : {cql2::Encoding::Text, cql2::Encoding::Json}) {
      try {
        const cql2::Filter f = cql2::Filter::parse(text, queryables, encoding);
        for (std::size_t i : f.properties()) FUZZ_CHECK(i < queryables.size());
        f.matches([&](std::size_t i) { return value_of(queryables[i], i, c == 0); });
        if (const auto box = f.bbox_hint()) (void)box;
      } catch (const InvalidArgument& e) {
        FUZZ_CHECK(e.parameter() == "filter");
      }
    }
  }
  return 0;
}
