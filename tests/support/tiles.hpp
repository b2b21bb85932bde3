// Map tiles as a client reads them: tile numbers from the slippy-map formula (computed here, not
// by onemap), gzip undone with zlib, and a tile's contents opened with GDAL's MVT driver (an
// independent decoder).
#pragma once

#include <gdal_priv.h>

#include <memory>
#include <set>
#include <string>

namespace onemap::testing {

struct Tile {
  int z = 0, x = 0, y = 0;
  /// "z/x/y".
  std::string path() const;
};

/// The Web Mercator tile of a lon/lat at zoom z.
Tile mercator_tile(double lon, double lat, int z);

/// The bytes of a gzip stream, inflated. @throws std::runtime_error when they are not gzip.
std::string gunzip(const std::string& in);

/// A tile written to a file named z/x/y.mvt under `dir` (GDAL reads the tile numbers from the
/// name) and opened with GDAL's MVT driver, not clipped to the tile (CLIP=NO keeps what lies in
/// its buffer). @throws std::runtime_error when GDAL cannot open it.
std::unique_ptr<GDALDataset> open_tile(const std::string& dir, const Tile& t,
                                       const std::string& bytes);

/// The values of `field` of every feature of a tile opened as open_tile opens it ("" for a
/// feature without it; none for a tile that is empty bytes).
std::set<std::string> tile_field_values(const std::string& dir, const Tile& t,
                                        const std::string& bytes, const std::string& field);

}  // namespace onemap::testing
