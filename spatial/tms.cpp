// Tile matrix sets: tile edges, the tile holding a point, and the matrix sizes per zoom.
//
// Both sets are regular quadtrees described by an origin (the top-left corner), the CRS span of
// the world's width and the zoom at which the matrix is one row high:
//   WebMercatorQuad  origin (-20037508.342789244, +20037508.342789244) m, span 2 x 20037508.34 m,
//                    2^z x 2^z tiles at zoom z (0..24);
//   CGCS2000Quad     origin (-180, 90) degrees, span 360 degrees, 2^z x 2^(z-1) tiles (1..24).
// A tile's side at zoom z is span / 2^z (exact: a power-of-two scaling), and edge i of a zoom is
// computed by one expression, origin + i * side, so neighbouring tiles share their edges exactly
// and tile_at can decide boundaries against the very doubles bounds() returns.
#include "spatial/tms.hpp"

#include "core/errors.hpp"

#include <numbers>
#include <string>

namespace onemap::spatial {
namespace {

struct Matrix {
  double origin_x;
  double origin_y;
  double span;  ///< the world's width in CRS units
  uint32_t min_zoom;
  uint32_t max_zoom;
  uint32_t height_shift;   ///< matrix height is 2^(z - height_shift)
  double metres_per_unit;  ///< of the CRS's unit, for scale denominators
};

constexpr Matrix kWebMercator{
    -kWebMercatorHalfWidth, kWebMercatorHalfWidth, 2 * kWebMercatorHalfWidth, 0, 24, 0, 1.0};
constexpr Matrix kCgcs2000{
    -180.0, 90.0, 360.0, 1, 24, 1, 2 * std::numbers::pi* kCgcs2000SemiMajor / 360};
// The standardized rendering pixel of OGC scale denominators, in metres.
constexpr double kStandardPixel = 0.28e-3;

const Matrix& matrix(TileMatrixSet::Kind kind) {
  return kind == TileMatrixSet::Kind::WebMercatorQuad ? kWebMercator : kCgcs2000;
}

void check_zoom(const Matrix& m, uint32_t z) {
  if (z < m.min_zoom || z > m.max_zoom)
    throw InvalidArgument("z", "zoom " + std::to_string(z) + " is outside " +
                                   std::to_string(m.min_zoom) + ".." + std::to_string(m.max_zoom));
}

double tile_side(const Matrix& m, uint32_t z) {
  return std::ldexp(m.span, -static_cast<int>(z));
}

// Vertical edge i (0 = west edge of the matrix) and horizontal edge j (0 = north edge).
double edge_x(const Matrix& m, double side, uint64_t i) {
  return m.origin_x + static_cast<double>(i) * side;
}
double edge_y(const Matrix& m, double side, uint64_t j) {
  return m.origin_y - static_cast<double>(j) * side;
}

}  // namespace

const TileMatrixSet& TileMatrixSet::web_mercator() {
  static const TileMatrixSet set(Kind::WebMercatorQuad);
  return set;
}

const TileMatrixSet& TileMatrixSet::cgcs2000() {
  static const TileMatrixSet set(Kind::Cgcs2000);
  return set;
}

const std::array<const TileMatrixSet*, 2>& TileMatrixSet::all() {
  static const std::array<const TileMatrixSet*, 2> sets = {&web_mercator(), &cgcs2000()};
  return sets;
}

std::string_view TileMatrixSet::name() const {
  return kind_ == Kind::WebMercatorQuad ? "WebMercatorQuad" : "CGCS2000Quad";
}

std::string_view TileMatrixSet::crs() const {
  return kind_ == Kind::WebMercatorQuad ? "EPSG:3857" : "EPSG:4490";
}

std::string TileMatrixSet::crs_uri() const {
  const std::string_view c = crs();
  return "http://www.opengis.net/def/crs/EPSG/0/" + std::string(c.substr(c.find(':') + 1));
}

bool TileMatrixSet::north_first() const {
  return kind_ == Kind::Cgcs2000;
}

CrsPoint TileMatrixSet::origin() const {
  const Matrix& m = matrix(kind_);
  return {m.origin_x, m.origin_y};
}

CrsBox TileMatrixSet::extent() const {
  const Matrix& m = matrix(kind_);
  return {m.origin_x, m.origin_y - std::ldexp(m.span, -static_cast<int>(m.height_shift)),
          m.origin_x + m.span, m.origin_y};
}

double TileMatrixSet::cell_size(uint32_t z) const {
  const Matrix& m = matrix(kind_);
  check_zoom(m, z);
  return tile_side(m, z) / kTilePixels;
}

double TileMatrixSet::scale_denominator(uint32_t z) const {
  return cell_size(z) * matrix(kind_).metres_per_unit / kStandardPixel;
}

uint32_t TileMatrixSet::min_zoom() const {
  return matrix(kind_).min_zoom;
}

uint32_t TileMatrixSet::max_zoom() const {
  return matrix(kind_).max_zoom;
}

uint64_t TileMatrixSet::matrix_width(uint32_t z) const {
  check_zoom(matrix(kind_), z);
  return uint64_t{1} << z;
}

uint64_t TileMatrixSet::matrix_height(uint32_t z) const {
  const Matrix& m = matrix(kind_);
  check_zoom(m, z);
  return uint64_t{1} << (z - m.height_shift);
}

bool TileMatrixSet::valid(const TileId& t) const {
  const Matrix& m = matrix(kind_);
  return t.z >= m.min_zoom && t.z <= m.max_zoom && t.x < matrix_width(t.z) &&
         t.y < matrix_height(t.z);
}

CrsBox TileMatrixSet::bounds(const TileId& t) const {
  if (!valid(t))
    throw InvalidArgument("tile", "no tile " + std::to_string(t.z) + "/" + std::to_string(t.x) +
                                      "/" + std::to_string(t.y) + " in " + std::string(name()));
  const Matrix& m = matrix(kind_);
  const double side = tile_side(m, t.z);
  return {edge_x(m, side, t.x), edge_y(m, side, uint64_t{t.y} + 1),
          edge_x(m, side, uint64_t{t.x} + 1), edge_y(m, side, t.y)};
}

CrsBox TileMatrixSet::buffered_bounds(const TileId& t, double fraction) const {
  CrsBox b = bounds(t);
  const double dx = (b.maxx - b.minx) * fraction;
  const double dy = (b.maxy - b.miny) * fraction;
  return {b.minx - dx, b.miny - dy, b.maxx + dx, b.maxy + dy};
}

Box TileMatrixSet::to_lonlat(const CrsBox& b) const {
  double west = 0;
  double south = 0;
  double east = 0;
  double north = 0;
  unproject(b.minx, b.miny, west, south);
  unproject(b.maxx, b.maxy, east, north);
  return Box(Point(west, south), Point(east, north));
}

TileId TileMatrixSet::tile_at(double x, double y, uint32_t z) const {
  if (std::isnan(x) || std::isnan(y)) throw InvalidArgument("point", "coordinate is NaN");
  const Matrix& m = matrix(kind_);
  const uint64_t width = matrix_width(z);
  const uint64_t height = matrix_height(z);
  const double side = tile_side(m, z);
  // A first guess by division (off by at most one near an edge, from rounding), clamped into the
  // matrix, then settled against the exact edges: column c holds edge_x(c) <= x < edge_x(c + 1),
  // row r holds edge_y(r + 1) < y <= edge_y(r).
  auto guess = [](double q, uint64_t n) {
    return static_cast<uint64_t>(std::clamp(std::floor(q), 0.0, static_cast<double>(n - 1)));
  };
  uint64_t col = guess((x - m.origin_x) / side, width);
  if (col > 0 && x < edge_x(m, side, col))
    --col;
  else if (col + 1 < width && x >= edge_x(m, side, col + 1))
    ++col;
  uint64_t row = guess((m.origin_y - y) / side, height);
  if (row > 0 && y > edge_y(m, side, row))
    --row;
  else if (row + 1 < height && y <= edge_y(m, side, row + 1))
    ++row;
  return {z, static_cast<uint32_t>(col), static_cast<uint32_t>(row)};
}

}  // namespace onemap::spatial
