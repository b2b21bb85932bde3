// One query area (a multipolygon of any size) prepared for many exact tests against it: its
// edges bucketed in horizontal bands, so that a test touches only the edges of one band instead
// of every vertex. Built once per query (a 10,000-vertex polygon in about a millisecond), then
// each point costs about as much as against a small polygon.
//
// The answers are those of Boost.Geometry's covered_by and intersects (closed sets: a point on
// the boundary is covered, areas that touch intersect). Away from the boundary they are decided
// with the exact orientation of predicates.hpp, which agrees with Boost there; Boost compares
// with a tolerance of a few ulps, so a point (or vertex) within about 1e-12 degrees of the other
// boundary is answered by Boost itself on the whole area (rare: touching or snapped geometries).
// Safe for concurrent tests once built.
#pragma once

#include "spatial/geometry.hpp"

#include <cstdint>
#include <vector>

namespace onemap::spatial {

class AreaIndex {
 public:
  /// Prepares `area` (lon/lat, rings closed; a valid multipolygon, whose parts do not overlap).
  explicit AreaIndex(const MultiPolygon& area);

  /// The area's bounding box.
  const Box& envelope() const { return envelope_; }
  /// True when p lies inside the area or on its boundary.
  bool covers(const Point& p) const;
  /// True when the closed areas meet (share an interior point or a boundary point).
  bool intersects(const MultiPolygon& other) const;
  /// True when the lines meet the closed area.
  bool intersects(const MultiLineString& lines) const;

 private:
  struct Edge {
    double x0, y0, x1, y1;  // y0 <= y1
  };
  enum class Meet { No, Yes, Near };
  uint32_t band_of(double y) const;
  Meet covers_exactly(const Point& p) const;
  Meet meets_segment(const Point& a, const Point& b) const;

  MultiPolygon area_;  // for the answers near its boundary
  Box envelope_;
  double tolerance_ = 0;  // the largest nearness of any edge (near())
  double inv_band_height_ = 0;
  uint32_t band_count_ = 0;
  std::vector<uint32_t> band_start_;  // band b's edges: edges_[band_start_[b], band_start_[b + 1])
  std::vector<Edge> edges_;
  std::vector<Point> ring_starts_;  // one vertex of every ring
};

}  // namespace onemap::spatial
