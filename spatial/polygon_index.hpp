// A static index over many polygons for point location and nearest-polygon search.
//
// Built once (packed R-tree, bulk-loaded with STR) over the polygons' bounding boxes; each polygon
// is "prepared": its edges are bucketed into horizontal bands so that a containment test touches
// only the edges that cross the query's y. On top, a cover raster (about 1024 cells per polygon,
// 16M cells at most) records the answer for every cell that no edge reaches, so most points are
// located with one array read; a cell an edge crosses lists the few polygons that can contain
// its points, with the band of edges to test. Locate uses the boundary rule of predicates.hpp, so
// for a tiling the answer is unique. Safe for concurrent queries once built.
#pragma once

#include "spatial/geometry.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace onemap::spatial {

class PolygonIndex {
 public:
  PolygonIndex();
  /// Indexes `polygons` (lon/lat). Indices into this vector are the ids returned by queries.
  explicit PolygonIndex(const std::vector<MultiPolygon>& polygons);
  ~PolygonIndex();
  PolygonIndex(PolygonIndex&&) noexcept;
  PolygonIndex& operator=(PolygonIndex&&) noexcept;

  std::size_t size() const;

  /// The polygon containing p by the boundary rule; when several overlap, the lowest index.
  /// -1 when none does.
  int32_t locate(LonLat p) const;

  /// locate() for every point: out[i] = locate(points[i]), on at most `threads` threads (0:
  /// every available core). Much faster than point by point once the index outgrows the CPU caches:
  /// the reads of the coming lookups are fetched ahead. Throws std::invalid_argument when
  /// out.size() != points.size().
  void locate_many(std::span<const LonLat> points, std::span<int32_t> out,
                   unsigned threads = 0) const;
  /// The same over `count` points at `stride_bytes` apart starting at `first` (for example the
  /// location member of an array of records), writing out[0 .. count).
  void locate_many(const LonLat* first, std::size_t count, std::size_t stride_bytes, int32_t* out,
                   unsigned threads = 0) const;

  /// Every polygon containing p (for overlap reports), ascending.
  std::vector<int32_t> locate_all(LonLat p) const;

  struct Nearest {
    int32_t index = -1;       ///< -1 when nothing is within the limit
    double distance_m = 0.0;  ///< distance from p to the polygon's boundary, metres
  };
  /// The polygon nearest to p within `max_m` metres (ties: lowest index). Distances are computed
  /// on a local equirectangular projection at p (error < 0.5% within 10 km).
  Nearest nearest(LonLat p, double max_m) const;
  /// The same for a point that locate() placed in no polygon (skips the containment tests).
  Nearest nearest_outside(LonLat p, double max_m) const;

  /// Indices of polygons whose bounding box intersects `box`.
  std::vector<int32_t> query_box(const Box& box) const;

 private:
  Nearest nearest_impl(LonLat p, double max_m, bool outside) const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace onemap::spatial
