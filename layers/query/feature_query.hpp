// The feature query engine over one layer's records: the filters of an items query (box, time,
// grid area, distance, polygon, CQL2) and which records match, in what order, on which page.
#pragma once

#include "layers/model/model.hpp"
#include "layers/query/cql2.hpp"
#include "layers/query/feature_fields.hpp"
#include "spatial/area_index.hpp"
#include "spatial/crs.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace onemap::layers {

/// What a query asks of a layer's records, read from a request's parameters and resolved.
struct FeatureQuery {
  std::optional<spatial::Box> bbox;  ///< as given, axes normalised to (east, north), in its CRS
  // From the bbox: its lon/lat envelope (to find candidates); for a projected bbox CRS also its
  // outline in lon/lat (for polygons) and the transform that tests a point exactly.
  spatial::Box bbox_lonlat;
  std::optional<spatial::Polygon> bbox_outline;
  std::shared_ptr<spatial::CrsTransform> to_bbox_crs;
  std::optional<int64_t> since, until;  ///< datetime: reported_at in [since, until] (closed)
  // area=level:code: the grid of that level and code, and everything under it. Resolved against
  // the data when the query runs (resolve_area): the codes of that grid and of every grid below it
  // (a point is in the area when its join is to one of them; a grid when it is one of them) and
  // the envelope of its outline.
  std::optional<std::pair<GridLevel, std::string>> area;
  std::unordered_set<std::string> area_codes;
  spatial::Box area_box;
  // near=lon,lat and radius (metres): points within that distance, grids that come that close.
  std::optional<LonLat> near;
  double radius_m = 0;
  // The body of a POST query: points covered by this polygon, grids meeting it. Its edges are
  // indexed once per query: every candidate is tested against one band of them.
  std::shared_ptr<const spatial::AreaIndex> within;
  // filter (CQL2 text, against the layer's queryables).
  std::optional<cql2::Filter> filter;
  // sortby: queryable indices (fields_of's order), descending or not.
  std::vector<std::pair<std::size_t, bool>> sortby;
  std::size_t limit = 10;
  std::size_t offset = 0;
  bool any_filter() const { return bbox || since || until || area || near || within || filter; }
};

/// Resolves q.area against the grids (fills area_codes); returns the lon/lat box its records can
/// lie in (a point joined to a grid by distance lies within `join_m` of it).
/// @throws InvalidArgument ("area") when no grid has that level and code.
spatial::Box resolve_area(FeatureQuery& q, const std::vector<Grid>& grids, double join_m);

/// The lon/lat box every match lies in, from the spatial filters (none: no spatial filter): the
/// box to ask an index for candidates.
std::optional<spatial::Box> search_box(const FeatureQuery& q);

/// Whether record r passes the query's filters; `fields` are fields_of(r)'s.
template <class T>
bool matches(const T& r, const FeatureQuery& q, const QueryFields<T>& fields);

/// Called every 1,024 records tested and before a sort; it may throw to stop a long query (the
/// server passes its request deadline check).
using Checkpoint = void (*)();

struct FeaturePage {
  std::size_t matched = 0;          ///< every match
  std::vector<uint32_t> positions;  ///< the page's records (positions in the vector), in order
};

/// The page of matches among `candidates` (positions in `records`, any order): by feature id, or
/// with sortby by its keys (nulls last), then by feature id; offset and limit from q.
template <class T>
FeaturePage select_page(const std::vector<T>& records, std::vector<uint32_t> candidates,
                        const FeatureQuery& q, Checkpoint checkpoint);

/// A county layer's record: the box meets its geometry (a point: the box covers it); in the area
/// when its grid (a point) or one of the grids it crosses (a line, a polygon) is; near when its
/// geometry comes within the radius; within when it meets the POST polygon; the filter on `fields`.
bool matches(const Feature& r, const FeatureQuery& q, const LayerQueryables& fields);
/// select_page of a county layer's records (sortby indexes `fields`' queryables).
FeaturePage select_page(const std::vector<Feature>& records, std::vector<uint32_t> candidates,
                        const FeatureQuery& q, const LayerQueryables& fields,
                        Checkpoint checkpoint);

}  // namespace onemap::layers
