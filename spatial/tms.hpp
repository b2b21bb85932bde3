// Tile matrix sets: how the world is cut into z/x/y tiles.
//
// - WebMercatorQuad (EPSG:3857, the OGC TileMatrixSet of that name): zoom 0 is one 256 px tile
//   covering +-20037508.3427892 m, rows counted from the north; zooms 0..24.
// - CGCS2000 geographic (EPSG:4490), numbered like Tianditu's 'c' matrix set: zoom 1 is 2 x 1
//   tiles of 180 degrees (0.703125 degrees per 256 px) from the origin (-180, 90), rows counted
//   from the north; zoom z has 2^z x 2^(z-1) tiles; zooms 1..24. (OGC WorldCRS84Quad's zoom z-1.)
//
// Coordinates in "CRS units" are metres (EPSG:3857) or degrees (EPSG:4490, x = lon, y = lat).
#pragma once

#include "spatial/geometry.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string_view>

namespace onemap::spatial {

/// Spherical (Web) Mercator on the WGS84 semi-major axis: the half-width of the world in metres
/// (pi * 6378137) and the latitude at which the square world ends (2 atan(e^pi) - pi/2, degrees).
inline constexpr double kWebMercatorRadius = 6378137.0;
inline constexpr double kWebMercatorHalfWidth = 20037508.342789244;
inline constexpr double kWebMercatorMaxLat = 85.0511287798066;
/// The CGCS2000 ellipsoid's semi-major axis in metres (the same as WGS84's).
inline constexpr double kCgcs2000SemiMajor = 6378137.0;

struct TileId {
  uint32_t z = 0;
  uint32_t x = 0;
  uint32_t y = 0;
  friend bool operator==(const TileId&, const TileId&) = default;
};

/// A rectangle in the matrix set's CRS units.
struct CrsBox {
  double minx = 0, miny = 0, maxx = 0, maxy = 0;
};

/// A position in the matrix set's CRS units (x east, y north).
struct CrsPoint {
  double x = 0, y = 0;
};

class TileMatrixSet {
 public:
  enum class Kind { WebMercatorQuad, Cgcs2000 };

  static const TileMatrixSet& web_mercator();
  static const TileMatrixSet& cgcs2000();
  /// Both, Web Mercator first.
  static const std::array<const TileMatrixSet*, 2>& all();

  Kind kind() const { return kind_; }
  /// "WebMercatorQuad" or "CGCS2000Quad".
  std::string_view name() const;
  /// "EPSG:3857" or "EPSG:4490".
  std::string_view crs() const;
  /// The CRS as an OGC URI: http://www.opengis.net/def/crs/EPSG/0/3857 or …/4490.
  std::string crs_uri() const;
  /// Whether the CRS lists northing first (EPSG:4490: latitude, longitude): the order OGC
  /// documents give its coordinates in.
  bool north_first() const;
  uint32_t min_zoom() const;
  uint32_t max_zoom() const;
  /// Tiles per row / column at zoom z.
  /// @throws InvalidArgument ("z") when z is outside [min_zoom, max_zoom].
  uint64_t matrix_width(uint32_t z) const;
  uint64_t matrix_height(uint32_t z) const;
  /// True when z is in range and x < matrix_width(z), y < matrix_height(z).
  bool valid(const TileId& t) const;

  /// Pixels on a tile's side, what cell sizes and scales refer to (the MVT extent is finer).
  static constexpr uint32_t kTilePixels = 256;
  /// The top-left corner of every zoom's matrix, where rows and columns are counted from.
  CrsPoint origin() const;
  /// The extent of the matrices (the world: +-20037508.34 m, or +-180 x +-90 degrees).
  CrsBox extent() const;
  /// CRS units per pixel at zoom z (TMS cellSize): a tile's side / kTilePixels.
  /// @throws InvalidArgument ("z") when z is outside [min_zoom, max_zoom].
  double cell_size(uint32_t z) const;
  /// The scale denominator at zoom z (TMS scaleDenominator): the cell size in metres over the
  /// 0.28 mm standardized rendering pixel, a degree being 2 pi a / 360 of the ellipsoid's equator
  /// (OGC 17-083r4's rule for geographic CRSs). @throws as cell_size().
  double scale_denominator(uint32_t z) const;

  /// The tile's extent in CRS units. Neighbouring tiles share their edges exactly (the same
  /// double is computed for both).
  /// @throws InvalidArgument ("tile") when !valid(t).
  CrsBox bounds(const TileId& t) const;
  /// The tile's extent widened on every side by `fraction` of its width/height (the MVT buffer,
  /// e.g. 64.0 / 4096).
  /// @throws InvalidArgument ("tile") when !valid(t).
  CrsBox buffered_bounds(const TileId& t, double fraction) const;
  /// The lon/lat box covered by a CRS box (exact for both sets: both map lon/lat monotonically).
  Box to_lonlat(const CrsBox& b) const;

  /// lon/lat (degrees) to CRS units. Latitude is clamped to +-85.0511287798066 for Web Mercator.
  /// Inline: the spherical Mercator formulas, x = R lon, y = R ln tan(pi/4 + lat/2).
  void project(double lon, double lat, double& x, double& y) const;
  /// CRS units back to lon/lat (Web Mercator: lat = 2 atan(e^(y/R)) - pi/2). Inline.
  void unproject(double x, double y, double& lon, double& lat) const;

  /// The tile at zoom z that contains the CRS point (x, y), clamped into the matrix. A point on a
  /// boundary between tiles belongs to the tile east (x) / south (y, rows grow southwards) of it:
  /// the result t has bounds(t).minx <= x < bounds(t).maxx and bounds(t).miny < y <=
  /// bounds(t).maxy, unless clamping moved it (points beyond the matrix's edges, and points on its
  /// east or south edge).
  /// @throws InvalidArgument ("z") when z is outside [min_zoom, max_zoom].
  TileId tile_at(double x, double y, uint32_t z) const;

 private:
  explicit TileMatrixSet(Kind k) : kind_(k) {}
  Kind kind_;
};

inline void TileMatrixSet::project(double lon, double lat, double& x, double& y) const {
  if (kind_ == Kind::Cgcs2000) {
    x = lon;
    y = lat;
    return;
  }
  constexpr double pi = 3.14159265358979323846;
  const double phi = std::clamp(lat, -kWebMercatorMaxLat, kWebMercatorMaxLat) * (pi / 180);
  x = kWebMercatorRadius * lon * (pi / 180);
  y = kWebMercatorRadius * std::log(std::tan(pi / 4 + phi / 2));
}

inline void TileMatrixSet::unproject(double x, double y, double& lon, double& lat) const {
  if (kind_ == Kind::Cgcs2000) {
    lon = x;
    lat = y;
    return;
  }
  constexpr double pi = 3.14159265358979323846;
  lon = x / kWebMercatorRadius * (180 / pi);
  lat = (2 * std::atan(std::exp(y / kWebMercatorRadius)) - pi / 2) * (180 / pi);
}

}  // namespace onemap::spatial
