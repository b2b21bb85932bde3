// OGC API - Tiles in process, through the server's route table (tests/support/api_harness.hpp):
// the conformance classes and links; the tile matrix sets against the numbers of the OGC register
// and plain arithmetic (not spatial/tms); tilesets lists and metadata, their limits against the
// records' extent computed here; tiles byte for byte TileService's (/tiles/{layers}/z/x/y.mvt)
// with x = tileCol and y = tileRow, in both matrix sets; what each audience gets; limits that
// grow with a write; and bad input as JSON errors naming the parameter.
#include "tests/support/api_harness.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/tiles.hpp"

#include "spatial/tms.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

namespace {

using nlohmann::json;
using namespace onemap::testing;

constexpr double kPi = 3.14159265358979323846;
constexpr double kHalf = kPi * 6378137.0;  // the Web Mercator world's half-width, metres
const std::string kPublicLayers = "grids,households,enterprises,incidents";

// The href of the first link with `rel` ("" when none).
std::string link(const json& doc, const std::string& rel) {
  for (const auto& l : doc["links"])
    if (l["rel"] == rel) return l["href"];
  return "";
}

// The lon/lat box of every record of the five layers but workers' (the public tiles' layers), or
// with them: what the tilesets' limits must hold.
struct Box {
  double w = 1e9, s = 1e9, e = -1e9, n = -1e9;
  void add(double lon, double lat) {
    w = std::min(w, lon), e = std::max(e, lon), s = std::min(s, lat), n = std::max(n, lat);
  }
};
Box records_box(const onemap::layers::Dataset& d, bool workers) {
  Box b;
  for (const auto& g : d.grids)
    for (const auto& poly : g.geometry)
      for (const auto& p : poly.outer()) b.add(p.x(), p.y());
  auto points = [&](const auto& records) {
    for (const auto& r : records) b.add(r.location.lon, r.location.lat);
  };
  points(d.households), points(d.enterprises), points(d.incidents);
  if (workers) points(d.workers);
  return b;
}

// CGCS2000Quad's tile of a lon/lat at zoom z: 360 / 2^z degrees from (-180, 90).
Tile cgcs_tile(double lon, double lat, int z) {
  const double side = 360.0 / std::ldexp(1.0, z);
  return {z, static_cast<int>(std::floor((lon + 180) / side)),
          static_cast<int>(std::floor((90 - lat) / side))};
}

class OgcTilesHttpTest : public SharedApi<OgcTilesHttpTest> {
 protected:
  static HttpResponse get(const std::string& target, const std::string& token = "",
                          std::vector<std::string> headers = {}) {
    return api().get(target, token, std::move(headers));
  }
  static json get_json(const std::string& target, const std::string& token = "") {
    const HttpResponse r = get(target, token);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    return json::parse(r.body);
  }
  static std::string base() { return ApiHarness::base_url(); }
};

}  // namespace

TEST_F(OgcTilesHttpTest, ConformanceLandingPageAndCollectionsLeadToTheTiles) {
  const json conf = get_json("/conformance");
  const std::set<std::string> classes(conf["conformsTo"].begin(), conf["conformsTo"].end());
  for (const char* c : {"core", "tileset", "tilesets-list", "dataset-tilesets", "geodata-tilesets",
                        "collections-selection", "mvt", "oas30"})
    EXPECT_TRUE(
        classes.count(std::string("http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/") + c))
        << c;
  for (const char* c : {"tilematrixset", "json-tilematrixset", "tilesetmetadata",
                        "json-tilesetmetadata", "tilematrixsetlimits", "json-tilematrixsetlimits"})
    EXPECT_TRUE(classes.count(std::string("http://www.opengis.net/spec/tms/2.0/conf/") + c)) << c;

  const json landing = get_json("/?f=json");
  EXPECT_EQ(link(landing, "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"),
            base() + "/tiles");
  EXPECT_EQ(link(landing, "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"),
            base() + "/tileMatrixSets");
  for (const char* c : {"grids", "households", "enterprises", "incidents", "workers"})
    EXPECT_EQ(link(get_json(std::string("/collections/") + c, kAdminToken),
                   "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"),
              base() + "/collections/" + c + "/tiles")
        << c;

  // The OpenAPI document lists every path (its validation: api_features_http_test).
  const json doc = get_json("/api");
  for (const char* p :
       {"/tileMatrixSets", "/tileMatrixSets/{tileMatrixSetId}", "/tiles",
        "/tiles/{tileMatrixSetId}", "/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
        "/collections/{collectionId}/tiles", "/collections/{collectionId}/tiles/{tileMatrixSetId}",
        "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"})
    EXPECT_TRUE(doc["paths"].contains(p)) << p;
  EXPECT_EQ(doc["paths"]["/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"]["get"]
               ["operationId"],
            "tiles.dataset.vector.getTile");
}

TEST_F(OgcTilesHttpTest, WebMercatorQuadIsTheRegistersDefinition) {
  const json list = get_json("/tileMatrixSets");
  std::set<std::string> ids;
  for (const auto& t : list["tileMatrixSets"]) ids.insert(t["id"]);
  EXPECT_EQ(ids, (std::set<std::string>{"WebMercatorQuad", "CGCS2000Quad"}));

  const json t = get_json("/tileMatrixSets/WebMercatorQuad");
  EXPECT_EQ(t["id"], "WebMercatorQuad");
  EXPECT_EQ(t["uri"], "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad");
  EXPECT_EQ(t["crs"], "http://www.opengis.net/def/crs/EPSG/0/3857");
  EXPECT_EQ(t["orderedAxes"], json({"X", "Y"}));
  ASSERT_EQ(t["tileMatrices"].size(), 25u);
  for (int z = 0; z <= 24; ++z) {
    const json& m = t["tileMatrices"][z];
    SCOPED_TRACE(z);
    EXPECT_EQ(m["id"], std::to_string(z));
    const double cell = 2 * kHalf / 256 / std::ldexp(1.0, z);
    EXPECT_NEAR(m["cellSize"].get<double>(), cell, cell * 1e-12);
    EXPECT_NEAR(m["scaleDenominator"].get<double>(), cell / 0.28e-3, cell / 0.28e-3 * 1e-12);
    EXPECT_EQ(m["pointOfOrigin"], json({-kHalf, kHalf}));
    EXPECT_EQ(m["cornerOfOrigin"], "topLeft");
    EXPECT_EQ(m["matrixWidth"], std::ldexp(1.0, z));
    EXPECT_EQ(m["matrixHeight"], std::ldexp(1.0, z));
    EXPECT_EQ(m["tileWidth"], 256);
  }
  // The register's published values (OGC 17-083r4 Annex D, WebMercatorQuad).
  EXPECT_NEAR(t["tileMatrices"][0]["scaleDenominator"].get<double>(), 559082264.028717, 1e-5);
  EXPECT_NEAR(t["tileMatrices"][0]["cellSize"].get<double>(), 156543.033928041, 1e-8);
}

TEST_F(OgcTilesHttpTest, Cgcs2000QuadIsTiandituNumberingInLatitudeLongitudeOrder) {
  const json t = get_json("/tileMatrixSets/CGCS2000Quad");
  EXPECT_EQ(t["crs"], "http://www.opengis.net/def/crs/EPSG/0/4490");
  EXPECT_EQ(t["orderedAxes"], json({"Lat", "Lon"}));  // EPSG:4490 lists latitude first
  EXPECT_EQ(t["boundingBox"]["lowerLeft"], json({-90, -180}));
  EXPECT_EQ(t["boundingBox"]["upperRight"], json({90, 180}));
  ASSERT_EQ(t["tileMatrices"].size(), 24u);
  const double metres_per_degree = 2 * kPi * 6378137.0 / 360;
  for (int z = 1; z <= 24; ++z) {
    const json& m = t["tileMatrices"][z - 1];
    SCOPED_TRACE(z);
    EXPECT_EQ(m["id"], std::to_string(z));
    const double cell = 360.0 / 256 / std::ldexp(1.0, z);
    EXPECT_EQ(m["cellSize"].get<double>(), cell);
    const double scale = cell * metres_per_degree / 0.28e-3;
    EXPECT_NEAR(m["scaleDenominator"].get<double>(), scale, scale * 1e-12);
    EXPECT_EQ(m["pointOfOrigin"], json({90, -180}));
    EXPECT_EQ(m["matrixWidth"], std::ldexp(1.0, z));
    EXPECT_EQ(m["matrixHeight"], std::ldexp(1.0, z - 1));
  }
  // Zoom 1 is WorldCRS84Quad's zoom 0 (the register's values).
  EXPECT_NEAR(t["tileMatrices"][0]["scaleDenominator"].get<double>(), 279541132.014358, 1e-5);
  EXPECT_EQ(t["tileMatrices"][0]["cellSize"].get<double>(), 0.703125);
}

TEST_F(OgcTilesHttpTest, TheDefinitionsAreTheTilesOfSpatialTms) {
  // Each matrix's tile (0, 0) and last tile as the tiles are cut (spatial/tms), in the CRS's
  // axis order.
  for (const auto* set : onemap::spatial::TileMatrixSet::all()) {
    const json t = get_json("/tileMatrixSets/" + std::string(set->name()));
    auto position = [&](double x, double y) {
      return set->north_first() ? json({y, x}) : json({x, y});
    };
    for (const auto& m : t["tileMatrices"]) {
      const uint32_t z = std::stoul(m["id"].get<std::string>());
      SCOPED_TRACE(std::string(set->name()) + " " + std::to_string(z));
      const auto first = set->bounds({z, 0, 0});
      EXPECT_EQ(m["pointOfOrigin"], position(first.minx, first.maxy));
      // maxx - minx rounds to the ulp of the origin (1e-8 m at 2e7 m).
      EXPECT_NEAR(m["cellSize"].get<double>() * 256, first.maxx - first.minx, 1e-8);
      EXPECT_EQ(m["matrixWidth"], set->matrix_width(z));
      EXPECT_EQ(m["matrixHeight"], set->matrix_height(z));
      const auto last = set->bounds({z, static_cast<uint32_t>(set->matrix_width(z) - 1),
                                     static_cast<uint32_t>(set->matrix_height(z) - 1)});
      EXPECT_EQ(t["boundingBox"]["upperRight"], position(last.maxx, first.maxy));
      EXPECT_EQ(t["boundingBox"]["lowerLeft"], position(first.minx, last.miny));
    }
  }
}

TEST_F(OgcTilesHttpTest, TilesetsListTheMatrixSetsAndTheirMetadataHoldTheRecords) {
  for (const std::string prefix : {"/tiles", "/collections/incidents/tiles"}) {
    const json list = get_json(prefix);
    ASSERT_EQ(list["tilesets"].size(), 2u) << prefix;
    for (const auto& ts : list["tilesets"]) {
      EXPECT_EQ(ts["dataType"], "vector");
      const std::string self = link(ts, "self");
      const std::string id = self.substr(self.rfind('/') + 1);
      EXPECT_EQ(self, base() + prefix + "/" + id);
      EXPECT_EQ(link(ts, "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"),
                base() + "/tileMatrixSets/" + id);
      EXPECT_NE(ts["tileMatrixSetURI"].get<std::string>().find(id), std::string::npos);
    }
  }

  const Box b = records_box(oracle(), false);
  const json ts = get_json("/tiles/WebMercatorQuad");
  EXPECT_EQ(ts["crs"], "http://www.opengis.net/def/crs/EPSG/0/3857");
  std::string item;
  for (const auto& l : ts["links"])
    if (l["rel"] == "item") {
      item = l["href"];
      EXPECT_EQ(l["type"], "application/vnd.mapbox-vector-tile");
      EXPECT_EQ(l["templated"], true);
    }
  EXPECT_EQ(item, base() + "/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}");
  EXPECT_EQ(link(ts, "describedby"), base() + "/tiles/" + kPublicLayers + ".json");
  std::vector<std::string> layers;
  for (const auto& l : ts["layers"]) layers.push_back(l["id"]);
  EXPECT_EQ(layers, (std::vector<std::string>{"grids", "households", "enterprises", "incidents"}));
  EXPECT_EQ(ts["layers"][0]["geometryType"], "polygons");
  EXPECT_EQ(ts["layers"][3]["geometryType"], "points");
  EXPECT_EQ(ts["layers"][3]["propertiesSchema"]["properties"]["count"]["type"], "number");
  // Limits: every zoom of the layers' range (0 to 24), the tiles of the records' extent.
  ASSERT_EQ(ts["tileMatrixSetLimits"].size(), 25u);
  for (const auto& l : ts["tileMatrixSetLimits"]) {
    const int z = std::stoi(l["tileMatrix"].get<std::string>());
    const Tile nw = mercator_tile(b.w, b.n, z), se = mercator_tile(b.e, b.s, z);
    SCOPED_TRACE(z);
    EXPECT_EQ(l["minTileCol"], nw.x);
    EXPECT_EQ(l["maxTileCol"], se.x);
    EXPECT_EQ(l["minTileRow"], nw.y);
    EXPECT_EQ(l["maxTileRow"], se.y);
  }
  EXPECT_NEAR(ts["boundingBox"]["lowerLeft"][0].get<double>(), b.w, 1e-12);
  EXPECT_NEAR(ts["boundingBox"]["upperRight"][1].get<double>(), b.n, 1e-12);

  const json c = get_json("/collections/grids/tiles/CGCS2000Quad");
  EXPECT_EQ(c["crs"], "http://www.opengis.net/def/crs/EPSG/0/4490");
  ASSERT_EQ(c["layers"].size(), 1u);
  EXPECT_EQ(link(c, "collection"), base() + "/collections/grids");
  double gw = 1e9, gs = 1e9, ge = -1e9, gn = -1e9;
  for (const auto& g : oracle().grids)
    for (const auto& poly : g.geometry)
      for (const auto& p : poly.outer())
        gw = std::min(gw, p.x()), ge = std::max(ge, p.x()), gs = std::min(gs, p.y()),
        gn = std::max(gn, p.y());
  ASSERT_EQ(c["tileMatrixSetLimits"].size(), 24u);  // 1 to 24
  for (const auto& l : c["tileMatrixSetLimits"]) {
    const int z = std::stoi(l["tileMatrix"].get<std::string>());
    const Tile nw = cgcs_tile(gw, gn, z), se = cgcs_tile(ge, gs, z);
    SCOPED_TRACE(z);
    EXPECT_EQ(l["minTileCol"], nw.x);
    EXPECT_EQ(l["maxTileRow"], se.y);
  }
}

TEST_F(OgcTilesHttpTest, TilesAreTileServicesBytesWithRowAndColumnSwapped) {
  // Tiles around a household inside the grids, at several zooms, in both matrix sets, for the
  // dataset, one collection and a selection with a filter.
  const auto& h = oracle().households.front();
  int with_features = 0;
  for (int z : {8, 11, 14, 17}) {
    const Tile m = mercator_tile(h.location.lon, h.location.lat, z);
    const Tile c = cgcs_tile(h.location.lon, h.location.lat, z);
    const std::string mr = std::to_string(m.y), mc = std::to_string(m.x);
    const std::string cr = std::to_string(c.y), cc = std::to_string(c.x), zs = std::to_string(z);
    const std::pair<std::string, std::string> pairs[] = {
        {"/tiles/WebMercatorQuad/" + zs + "/" + mr + "/" + mc,
         "/tiles/" + kPublicLayers + "/" + m.path() + ".mvt"},
        {"/tiles/CGCS2000Quad/" + zs + "/" + cr + "/" + cc,
         "/tiles/cgcs2000/" + kPublicLayers + "/" + c.path() + ".mvt"},
        {"/collections/households/tiles/WebMercatorQuad/" + zs + "/" + mr + "/" + mc,
         "/tiles/households/" + m.path() + ".mvt"},
        {"/collections/grids/tiles/CGCS2000Quad/" + zs + "/" + cr + "/" + cc,
         "/tiles/cgcs2000/grids/" + c.path() + ".mvt"},
        {"/tiles/WebMercatorQuad/" + zs + "/" + mr + "/" + mc +
             "?collections=incidents,grids&status=reported,closed",
         "/tiles/incidents,grids/" + m.path() + ".mvt?status=reported,closed"},
    };
    for (const auto& [ogc, own] : pairs) {
      SCOPED_TRACE(ogc);
      const HttpResponse a = get(ogc), b = get(own);
      ASSERT_EQ(a.status, b.status) << a.body;
      EXPECT_EQ(a.body, b.body);
      EXPECT_EQ(a.header("ETag"), b.header("ETag"));
      EXPECT_EQ(a.header("Content-Type"), b.header("Content-Type"));
      if (a.status == 200) {
        ++with_features;
        EXPECT_EQ(gunzip(get(ogc, "", {"Accept-Encoding: gzip"}).body), a.body);
      }
    }
  }
  EXPECT_EQ(with_features, 20);  // every tile holds the household or its grid
}

TEST_F(OgcTilesHttpTest, EachAudienceGetsItsOwnLayersAndNoOtherTilesets) {
  const auto& w = oracle().workers.front();
  const Tile m = mercator_tile(w.location.lon, w.location.lat, 12);
  const std::string ogc =
      "/tiles/WebMercatorQuad/12/" + std::to_string(m.y) + "/" + std::to_string(m.x);
  // Anonymous: the public layers, never the workers'.
  EXPECT_EQ(get(ogc).body, get("/tiles/" + kPublicLayers + "/" + m.path() + ".mvt").body);
  // The administrator: the workers too.
  const HttpResponse admin = get(ogc, kAdminToken);
  ASSERT_EQ(admin.status, 200);
  EXPECT_EQ(admin.body,
            get("/tiles/" + kPublicLayers + ",workers/" + m.path() + ".mvt", kAdminToken).body);
  json layers = get_json("/tiles/WebMercatorQuad", kAdminToken)["layers"];
  EXPECT_EQ(layers.back()["id"], "workers");
  // The workers' tilesets and tiles, even their extent, are for staff.
  expect_errors(api(), {
                           {"/collections/workers/tiles", 401, "unauthorized", ""},
                           {"/collections/workers/tiles/WebMercatorQuad", 401, "unauthorized", ""},
                           {"/collections/workers/tiles/WebMercatorQuad/12/" + std::to_string(m.y) +
                                "/" + std::to_string(m.x),
                            401, "unauthorized", ""},
                           {"/tiles/WebMercatorQuad?collections=workers", 401, "unauthorized", ""},
                       });
  EXPECT_EQ(get("/collections/workers/tiles/CGCS2000Quad", kAdminToken).status, 200);
}

TEST_F(OgcTilesHttpTest, BadInputIsAJsonErrorNamingTheParameter) {
  const auto& h = oracle().households.front();
  const Tile m = mercator_tile(h.location.lon, h.location.lat, 10);
  const std::string rc = std::to_string(m.y) + "/" + std::to_string(m.x);
  expect_errors(
      api(),
      {
          {"/tileMatrixSets/GoogleMapsCompatible", 404, "not_found", ""},
          {"/tileMatrixSets?f=xml", 400, "invalid_parameter", "f"},
          {"/tileMatrixSets/WebMercatorQuad?limit=1", 400, "invalid_parameter", "limit"},
          {"/collections/grids/tiles/WorldCRS84Quad", 404, "not_found", ""},
          {"/collections/nowhere/tiles", 404, "not_found", ""},
          {"/collections/grids/tiles/WebMercatorQuad?collections=grids", 400, "invalid_parameter",
           "collections"},
          {"/tiles/WebMercatorQuad?collections=grids,nowhere", 400, "invalid_parameter",
           "collections"},
          {"/tiles/WebMercatorQuad?collections=grids,grids", 400, "invalid_parameter",
           "collections"},
          {"/tiles/WebMercatorQuad?collections=", 400, "invalid_parameter", "collections"},
          {"/tiles/WebMercatorQuad?colour=red", 400, "invalid_parameter", "colour"},
          {"/tiles/WebMercatorQuad?collections=grids&status=closed", 400, "invalid_parameter",
           "status"},
          {"/tiles?f=xml", 400, "invalid_parameter", "f"},
          {"/tiles/WebMercatorQuad/25/0/0", 404, "not_found", ""},
          {"/tiles/CGCS2000Quad/0/0/0", 404, "not_found", ""},
          {"/tiles/WebMercatorQuad/010/" + rc, 404, "not_found", ""},
          {"/tiles/WebMercatorQuad/10/abc/" + std::to_string(m.x), 400, "invalid_parameter",
           "tileRow"},
          {"/tiles/WebMercatorQuad/10/" + std::to_string(m.y) + "/-1", 400, "invalid_parameter",
           "tileCol"},
          {"/tiles/WebMercatorQuad/10/" + std::to_string(m.y) + "/99999999999", 400,
           "invalid_parameter", "tileCol"},
          {"/tiles/WebMercatorQuad/1/2/0", 404, "not_found", ""},
          {"/tiles/WebMercatorQuad/10/0/0", 404, "not_found", ""},  // outside the limits
          {"/tiles/WebMercatorQuad/10/" + rc + "?f=png", 400, "invalid_parameter", "f"},
          {"/tiles/WebMercatorQuad/10/" + rc + "?offset=bd09", 400, "invalid_parameter", "offset"},
          {"/tiles/WebMercatorQuad/10/" + rc + "/extra", 404, "not_found", ""},
      });
  // The messages say which limit a tile missed.
  const json e = get("/tiles/WebMercatorQuad/10/0/0").json();
  EXPECT_NE(e["error"]["message"].get<std::string>().find("tileRow"), std::string::npos);
}

TEST_F(OgcTilesHttpTest, LimitsGrowWithAWriteBeforeItIsAcknowledged) {
  // An incident well east of every record: its tile is outside the limits until it is written.
  const double lon = 121.3, lat = 30.1;
  const Tile m = mercator_tile(lon, lat, 14);
  const std::string tile = "/collections/incidents/tiles/WebMercatorQuad/14/" +
                           std::to_string(m.y) + "/" + std::to_string(m.x);
  expect_error(get(tile), 404, "not_found");
  const HttpResponse posted =
      api().send("POST", "/incidents",
                 json({{"lon", lon}, {"lat", lat}, {"category", "0101"}}).dump(), kAdminToken);
  ASSERT_EQ(posted.status, 201) << posted.body;
  EXPECT_EQ(get(tile).status, 200);
  const json ts = get_json("/collections/incidents/tiles/WebMercatorQuad");
  EXPECT_GE(ts["boundingBox"]["upperRight"][0].get<double>(), lon);
}
