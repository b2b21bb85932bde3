// From geometry in a matrix set's CRS units to MVT tile coordinates: transform into the tile's
// integer grid, clip to the tile widened by the buffer, drop repeated points and collapsed rings,
// orient rings as MVT wants (exterior positive area in tile coordinates, holes negative), and
// keep polygons valid (OGC simple features) after all of it. Plus the per-zoom simplification
// polygons get before that.
#pragma once

#include "spatial/geometry.hpp"
#include "spatial/mvt.hpp"
#include "spatial/tms.hpp"

#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace onemap::spatial {

/// Maps CRS units into a tile's integer grid.
struct TileTransform {
  CrsBox bounds;  ///< the tile's (unbuffered) extent in CRS units
  uint32_t extent = 4096;
  /// Tile coordinates of a CRS point (rounded to the nearest integer; y grows southwards).
  TilePoint to_tile(double x, double y) const;
  /// Unrounded.
  void to_tile(double x, double y, double& tx, double& ty) const;
};

/// A point's tile coordinates, or nothing when it lies outside the tile widened by `buffer` tile
/// units (a point exactly on the widened edge is inside).
std::optional<TilePoint> point_to_tile(double x, double y, const TileTransform& t, uint32_t buffer);

/// A polygon given in CRS units (`mp`: outer rings counter-clockwise in CRS axes, holes clockwise,
/// as spatial::MultiPolygon is) as MVT polygons clipped to the tile widened by `buffer`: valid
/// (no self-intersection, holes inside their exterior, no zero-area ring), oriented for MVT, with
/// no two consecutive equal points. Empty when nothing of the polygon is left in the tile.
/// Vertices are rounded to the nearest integer (halves up); a polygon covering the whole buffered
/// tile gives the buffered square. Rings with fewer than 3 points in `mp` are ignored.
/// @throws InvalidArgument ("extent") when t.extent is 0 or t.extent + 2 x buffer exceeds 2^20.
std::vector<TilePolygon> polygon_to_tile(const MultiPolygon& mp, const TileTransform& t,
                                         uint32_t buffer);

/// Lines given in CRS units as MVT lines clipped to the tile widened by `buffer`: each part cut
/// where it leaves the buffered square (a line that leaves and comes back gives two), simplified
/// by Douglas-Peucker with `tolerance` tile units (0: none), rounded to the nearest integer (halves
/// up, as polygon_to_tile does), without consecutive equal points. A part left with fewer than 2
/// distinct points is dropped (a line shorter than about a tile unit at this zoom); empty when
/// nothing of the lines is left in the tile. Lines with fewer than 2 points in `ml` are ignored.
/// @throws InvalidArgument ("extent") as polygon_to_tile does.
std::vector<TileLine> lines_to_tile(const MultiLineString& ml, const TileTransform& t,
                                    uint32_t buffer, double tolerance = 1.0);

/// lines_to_tile over many lines in a row, without allocating for each: the parts of each line
/// added (as lines_to_tile gives them for that line alone) follow those of the lines added
/// before it until clear(), in buffers kept from one line to the next.
class LineTiler {
 public:
  /// @throws InvalidArgument ("extent") as lines_to_tile does.
  LineTiler(const TileTransform& t, uint32_t buffer, double tolerance = 1.0);
  /// One line in CRS units (ignored with fewer than 2 points).
  void add(std::span<const Point> line);
  /// The parts of the lines added since the last clear().
  const std::vector<TileLine>& lines() const { return parts_; }
  void clear();

 private:
  void finish_run();

  TileTransform transform_;
  double lo_, hi_;  // the buffered square
  double tolerance_;
  std::vector<std::pair<double, double>> run_;  // the part being followed, unrounded
  std::vector<char> keep_;
  std::vector<std::pair<std::size_t, std::size_t>> todo_;  // Douglas-Peucker's stack
  std::vector<TileLine> parts_;
  std::vector<TileLine> spare_;  // cleared parts, for their capacity
};

/// Simplification for a zoom level: Douglas-Peucker with `tolerance` (CRS units; typically one
/// tile unit at that zoom, tile width / extent) that preserves topology, so the result is valid
/// whenever the input is (GEOS TopologyPreservingSimplify). Parts and holes that would collapse,
/// i.e. whose envelope fits within tolerance x tolerance, are dropped (a part with its holes);
/// the result may be empty for a polygon smaller than the tolerance. Never adds vertices.
/// @throws InvalidArgument ("tolerance") when tolerance is negative or not finite.
MultiPolygon simplify_polygon(const MultiPolygon& mp, double tolerance);

/// Projects every vertex of a lon/lat multipolygon into the matrix set's CRS units.
/// With `gcj02`, every vertex is first shifted from CGCS2000 into GCJ-02 (spatial/chinacrs.hpp).
MultiPolygon project_polygon(const MultiPolygon& lonlat, const TileMatrixSet& tms,
                             bool gcj02 = false);
/// The same for lines.
MultiLineString project_lines(const MultiLineString& lonlat, const TileMatrixSet& tms,
                              bool gcj02 = false);

}  // namespace onemap::spatial
