// OGC API - Tiles 1.0 (OGC 20-057) over the vector tiles of api/tiles.hpp, with the tile matrix
// sets as TMS 2.0 documents (OGC 17-083r4):
//
//   GET /tileMatrixSets                    WebMercatorQuad and CGCS2000Quad
//   GET /tileMatrixSets/{tileMatrixSetId}  one, as TMS 2.0 JSON (numbers from spatial/tms.hpp)
//   GET /tiles                             the dataset's tilesets, one per tile matrix set
//   GET /tiles/{tileMatrixSetId}           a tileset: its layers, tile matrix limits, the template
//   GET /tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}
//                                          a tile (MVT) of every collection the viewer may see,
//                                          or of those `collections=` names (comma list)
//   GET /collections/{collectionId}/tiles[/{tileMatrixSetId}[/{tileMatrix}/{tileRow}/{tileCol}]]
//                                          the same for one collection
//
// A tile is TileService's /tiles/[cgcs2000/]{layers}/{z}/{x}/{y}.mvt with z = tileMatrix,
// x = tileCol, y = tileRow, byte for byte: the same cache, gzip, ETag, 204 for an empty tile,
// read policy and filters (offset, status, category, since, until). Tile matrix limits: for each
// zoom of the layers' range, the tiles meeting the extent of their records (computed once, grown
// by every write); a tile outside them or outside the matrix set is a 404 naming the parameter, a
// tileRow or tileCol that is no integer a 400.
#pragma once

#include "api/tiles.hpp"
#include "http/router.hpp"
#include "layers/county/county.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace onemap::api {

/// The link relation of a resource's vector tilesets (landing page, collections).
inline constexpr const char* kTilesetsVectorRel =
    "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector";

class OgcTiles {
 public:
  OgcTiles(std::shared_ptr<layers::County> county, std::shared_ptr<TileService> tiles);
  ~OgcTiles();
  OgcTiles(const OgcTiles&) = delete;
  OgcTiles& operator=(const OgcTiles&) = delete;

  /// The route patterns of the paths above (the tile matrix sets' ids spelled out under /tiles/,
  /// so that TileService keeps the rest of /tiles/).
  static std::vector<std::string> patterns();

  /// Answers GET/HEAD of a path above (the request's path, query and headers as TileService
  /// takes them). With `cached_only`, for the event loop: a tile TileService has cached and can
  /// answer without waiting, else nullopt (metadata included).
  /// @throws InvalidArgument (400), NotFound (404), Unauthorized, Forbidden.
  std::optional<HttpAnswer> answer(const http::Context& request, const auth::Viewer& viewer,
                                   bool cached_only);

  /// The collections with tiles: those of the five with a tile layer of their name.
  static std::vector<std::string> tiled_collections(const layers::TileConfig& config);
  /// The conformance classes these endpoints implement (for /conformance).
  static const std::vector<std::string>& conformance_classes();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace onemap::api
