// Mapbox Vector Tile 2.1 encoding (protobuf written with protozero).
//
// A tile is a sequence of layers; a layer holds features with an id, a geometry in integer tile
// coordinates (0..extent, y down, may reach outside by the buffer) and properties. Keys and
// values are deduplicated per layer. Geometry commands follow the spec: MoveTo/LineTo/ClosePath
// with zig-zag deltas; polygon exterior rings have positive area by the surveyor's formula in
// tile coordinates (clockwise on screen), interior rings negative, each exterior followed by its
// holes. The encoder writes what it is given: callers pass rings already clipped, deduplicated and
// oriented (see tile_geometry.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace onemap::spatial {

struct TilePoint {
  int32_t x = 0;
  int32_t y = 0;
  friend bool operator==(const TilePoint&, const TilePoint&) = default;
};
/// An open ring (first point not repeated at the end).
using TileRing = std::vector<TilePoint>;
/// One polygon: exterior ring first, then its holes.
using TilePolygon = std::vector<TileRing>;
/// One line: its points in order.
using TileLine = std::vector<TilePoint>;

/// A property value. Strings are views: they need only outlive the add_* call they are passed to
/// (the layer copies what it keeps).
using MvtValue = std::variant<std::string_view, int64_t, uint64_t, double, bool>;
using MvtProperties = std::vector<std::pair<std::string_view, MvtValue>>;

class MvtLayer {
 public:
  /// @throws InvalidArgument ("extent") when extent is 0.
  explicit MvtLayer(std::string name, uint32_t extent = 4096);
  ~MvtLayer();
  MvtLayer(MvtLayer&&) noexcept;
  MvtLayer& operator=(MvtLayer&&) noexcept;

  const std::string& name() const;
  uint32_t extent() const;
  std::size_t feature_count() const;

  /// Feature by feature, without building a property list: begin_feature, then a tag_* call per
  /// property (`key` from key()), then end_point. Strings need only outlive their tag_* call.
  /// The index of a key in this layer (added when new).
  uint32_t key(std::string_view name);
  void begin_feature(uint64_t id);
  void tag_string(uint32_t key, std::string_view value);
  void tag_uint(uint32_t key, uint64_t value);
  void tag_int(uint32_t key, int64_t value);
  void tag_double(uint32_t key, double value);
  void tag_bool(uint32_t key, bool value);
  /// Ends the feature begun as a POINT. @throws InvalidArgument ("geometry") as add_points
  /// does; the feature is not added then.
  void end_point(TilePoint point);

  /// Ends the feature begun as a POLYGON or MULTIPOLYGON, or as a LINESTRING or
  /// MULTILINESTRING (as add_polygons and add_lines take them; nothing is added when nothing is
  /// left). @throws InvalidArgument ("geometry") as add_points does.
  void end_polygons(const std::vector<TilePolygon>& polygons);
  void end_lines(const std::vector<TileLine>& lines);

  /// A POINT feature (add_points with one point, without the vector).
  /// @throws InvalidArgument ("geometry") as add_points does.
  void add_point(uint64_t id, TilePoint point, const MvtProperties& props);
  /// A POINT (one point) or MULTIPOINT feature. Nothing is added when `points` is empty.
  /// Coordinates must lie within +-(2^30 - 1), so that every delta fits the spec's int32.
  /// @throws InvalidArgument ("geometry") for a coordinate beyond that; nothing is added then.
  void add_points(uint64_t id, const std::vector<TilePoint>& points, const MvtProperties& props);
  /// A POLYGON or MULTIPOLYGON feature. Rings with fewer than 3 points are skipped (a polygon
  /// whose exterior ring is skipped goes with its holes); nothing is added when no ring is left.
  /// @throws InvalidArgument ("geometry") as add_points does.
  void add_polygons(uint64_t id, const std::vector<TilePolygon>& polygons,
                    const MvtProperties& props);

  /// A LINESTRING (one line) or MULTILINESTRING feature. Lines with fewer than 2 points are
  /// skipped; nothing is added when none is left.
  /// @throws InvalidArgument ("geometry") as add_points does.
  void add_lines(uint64_t id, const std::vector<TileLine>& lines, const MvtProperties& props);

  /// At least the bytes write_to appends.
  std::size_t encoded_size_bound() const;

  /// Appends this layer as a Tile.layers field (tag 3) to `tile`. A layer with no feature writes
  /// nothing.
  void write_to(std::string& tile) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The bytes of a tile made of these layers, in order (layers with no feature are left out; a
/// tile with no feature is the empty string).
std::string encode_tile(const std::vector<MvtLayer>& layers);

}  // namespace onemap::spatial
