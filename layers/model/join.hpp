// The grid join: ties every point to the grid that holds it.
//
// Rule: the grid (level "grid"; if a dataset has none, its finest level) that contains the point
// by the boundary rule of spatial/predicates.hpp (a point on a shared edge goes to the grid east
// of it, on a horizontal edge to the grid north of it). A point outside every grid goes to the
// nearest grid within `max_distance_m` (default 500 m) and is flagged "nearest"; beyond that it
// stays unassigned. Built on a packed R-tree of prepared polygons (spatial::PolygonIndex).
#pragma once

#include "layers/model/feature_layer.hpp"
#include "layers/model/model.hpp"
#include "spatial/polygon_index.hpp"

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace onemap::layers {

struct JoinOptions {
  double max_distance_m = 500.0;
};

struct JoinStats {
  std::size_t contained = 0;
  std::size_t nearest = 0;
  std::size_t unassigned = 0;
  std::vector<std::size_t> unassigned_indices;  ///< positions in the joined vector

  /// Counts one join of that kind, an unassigned one at `index`.
  void count(JoinKind kind, std::size_t index);
  /// Adds another's counts and indices (sort the indices after the last).
  void add(const JoinStats& other);
};

class GridJoiner {
 public:
  /// Indexes the grids of the finest level present ("grid" when there are any).
  explicit GridJoiner(const std::vector<Grid>& grids, JoinOptions options = {});
  ~GridJoiner();

  GridJoin join(LonLat p) const;
  std::size_t grid_count() const { return codes_.size(); }
  /// The level joined against.
  GridLevel level() const { return level_; }

  JoinStats join_all(std::vector<Household>& v) const;
  JoinStats join_all(std::vector<Enterprise>& v) const;
  JoinStats join_all(std::vector<Incident>& v) const;
  JoinStats join_all(std::vector<Worker>& v) const;

  /// A county layer's record (feature_layer.hpp): a point as join() does; a line or polygon to
  /// every grid it crosses, with its length (geodesic metres) or area (square metres, as
  /// spatial::area_m2) there, sorted by grid code, parts below kMinShareLength_m or
  /// kMinShareArea_m2 left out (an overlay's slivers along a shared edge); its join is the
  /// grid of its largest share (the first code on a tie), "contained", or unassigned when it lies
  /// in no grid. A line that meets no grid's boundary lies whole in the grids that hold its first
  /// point, and is measured without an overlay.
  void join(Feature& f) const;
  static constexpr double kMinShareLength_m = 1e-3;
  static constexpr double kMinShareArea_m2 = 1e-2;
  /// join() of every record, on every core; a line or polygon in no grid counts as unassigned.
  JoinStats join_all(std::vector<Feature>& v) const;

  /// Joins every point layer of `data` (after grids changed). Returns the counts summed over the
  /// layers (unassigned_indices is left empty: positions are per layer).
  JoinStats rejoin(Dataset& data) const;

 private:
  template <class T>
  JoinStats join_vector(std::vector<T>& v) const;

  // The lines of `f` when each part meets no grid's boundary: then each lies whole in the grids
  // that hold its first point, and its shares are their lengths there. False when a part meets a
  // boundary (it needs the overlay).
  bool share_inner_lines(const MultiLineString& lines, std::vector<GridShare>& shares) const;

  // The grids' boundary segments, indexed at the first line joined (points never need them).
  struct Boundaries;
  const Boundaries& boundaries() const;
  mutable std::once_flag boundaries_built_;
  mutable std::unique_ptr<Boundaries> boundaries_;

  JoinOptions options_;
  GridLevel level_ = GridLevel::Grid;
  std::vector<std::string> codes_;
  std::vector<MultiPolygon> polygons_;  ///< the grids, for the shares of lines and polygons
  spatial::PolygonIndex index_;
};

}  // namespace onemap::layers
