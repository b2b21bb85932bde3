// Vector tiles of the county layers (layers/tiles/tiles_features.cpp) against brute force on the
// demo county's layers and a dense synthetic line network: every tile decoded by GDAL's MVT
// driver (an independent decoder), lines and polygons tested against the tile's square with
// Boost.Geometry on coordinates projected here with PROJ. Checks: every line at the unthinned
// zooms, thinning bounded and only adding features as one zooms in, point clusters adding up,
// attributes only those every viewer of the layer may read, and what a change reports.
#include "tests/support/boost_geometry.hpp"

#include "layers/tiles/tiles.hpp"
#include "spatial/chinacrs.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/tiles.hpp"
#include "tools/demo/demo.hpp"
#include "tools/demo/demo_layers.hpp"

#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogrsf_frmts.h>
#include <proj.h>

#include <cmath>
#include <map>
#include <random>
#include <set>

using namespace onemap;
namespace bg = boost::geometry;

namespace {

constexpr double kHalf = 20037508.342789244;  // Web Mercator half width, metres
constexpr uint32_t kExtent = 4096;
constexpr uint32_t kBuffer = 64;

using TPoint = bg::model::d2::point_xy<double>;
using TLine = bg::model::linestring<TPoint>;
using TBox = bg::model::box<TPoint>;

// Web Mercator metres of lon/lat through PROJ (independent of onemap's projection code).
class Mercator {
 public:
  Mercator() {
    ctx_ = proj_context_create();
    PJ* pj = proj_create_crs_to_crs(ctx_, "EPSG:4326", "EPSG:3857", nullptr);
    pj_ = proj_normalize_for_visualization(ctx_, pj);
    proj_destroy(pj);
  }
  ~Mercator() {
    proj_destroy(pj_);
    proj_context_destroy(ctx_);
  }
  // Unrounded tile units of (lon, lat) in tile t (y down).
  TPoint units(const onemap::testing::Tile& t, double lon, double lat) const {
    const PJ_COORD c = proj_trans(pj_, PJ_FWD, proj_coord(lon, lat, 0, 0));
    const double size = 2 * kHalf / std::ldexp(1.0, t.z);
    return {(c.xy.x - (-kHalf + t.x * size)) / size * kExtent,
            ((kHalf - t.y * size) - c.xy.y) / size * kExtent};
  }

 private:
  PJ_CONTEXT* ctx_ = nullptr;
  PJ* pj_ = nullptr;
};

struct DecodedFeature {
  int64_t id = 0;
  std::set<std::string> fields;  // those with a value
  int64_t count = 0;             // clusters
  bool cluster = false, valid = true;
};

class FeatureTilesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    GDALAllRegister();
    layers::DemoOptions o;
    o.data_dir = std::string(ONEMAP_SOURCE_DIR) + "/data";
    o.end_time = 1795968000;
    o.households = 2000;
    o.enterprises = 200;
    o.incidents = 500;
    data_ = new layers::Dataset(layers::build_demo(o));
    layers_ = new std::vector<layers::FeatureLayer>(layers::build_demo_layers(*data_, 7, 2));
    layers_->push_back(dense_network(*data_, 60000));
    std::sort(layers_->begin(), layers_->end(),
              [](const auto& a, const auto& b) { return a.def.name < b.def.name; });
    for (auto& l : *layers_)
      for (std::size_t i = 0; i < l.features.size(); ++i)
        l.features[i].fid = static_cast<int64_t>(i + 1);
    builder_ = new layers::TileBuilder(*data_, layers::TileConfig::defaults(), *layers_);
    dir_ = new onemap::testing::TempDir();
    merc_ = new Mercator();
  }
  static void TearDownTestSuite() {
    delete merc_;
    delete dir_;
    delete builder_;
    delete layers_;
    delete data_;
  }

  // Short straight pipes (30 to 80 m) spread over the county's box: far more than a low-zoom
  // tile can show.
  static layers::FeatureLayer dense_network(const layers::Dataset& d, std::size_t n) {
    layers::FeatureLayer l;
    l.def = layers::definition_from_json(
        R"({"name": "dense", "geometry": "line",
            "fields": [{"name": "kind", "audience": "public", "tile_minzoom": 0},
                       {"name": "owner", "audience": "staff", "tile_minzoom": 0}]})");
    const spatial::Box box = layers::grids_extent(d.grids);
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> lon(box.min_corner().x(), box.max_corner().x());
    std::uniform_real_distribution<double> lat(box.min_corner().y(), box.max_corner().y());
    std::uniform_real_distribution<double> len(30, 80), angle(0, 2 * M_PI);
    for (std::size_t i = 0; i < n; ++i) {
      layers::Feature f;
      const double x = lon(rng), y = lat(rng), r = len(rng) / 111000, a = angle(rng);
      spatial::LineString ls{{x, y},
                             {x + r * std::cos(a) / std::cos(y * M_PI / 180), y + r * std::sin(a)}};
      f.geometry = spatial::MultiLineString{ls};
      f.attributes = {std::string(i % 2 ? "rain" : "sewage"), std::string("someone")};
      l.features.push_back(std::move(f));
    }
    return l;
  }

  static const layers::FeatureLayer& layer(const std::string& name) {
    for (const auto& l : *layers_)
      if (l.def.name == name) return l;
    throw std::runtime_error("no layer " + name);
  }

  static std::vector<DecodedFeature> tile(const std::string& name, const onemap::testing::Tile& t,
                                          std::size_t* bytes = nullptr) {
    layers::TileRequest rq;
    rq.tile = {static_cast<uint32_t>(t.z), static_cast<uint32_t>(t.x), static_cast<uint32_t>(t.y)};
    rq.layers.push_back(builder_->feature_layer_config(name));
    rq.feature_layers = layers_;
    const std::string mvt = builder_->build(*data_, rq);
    if (bytes) *bytes = mvt.size();
    std::vector<DecodedFeature> out;
    if (mvt.empty()) return out;
    auto ds = onemap::testing::open_tile(dir_->path() + "/" + name, t, mvt);
    for (auto* ly : ds->GetLayers()) {
      EXPECT_EQ(std::string(ly->GetName()), name);
      for (const auto& f : *ly) {
        DecodedFeature d;
        d.id = f->GetFieldAsInteger64("mvt_id");
        for (int i = 0; i < f->GetFieldCount(); ++i)
          if (f->IsFieldSetAndNotNull(i)) d.fields.insert(f->GetFieldDefnRef(i)->GetNameRef());
        d.cluster = d.fields.count("cluster") > 0;
        if (d.cluster) d.count = f->GetFieldAsInteger64("count");
        if (const OGRGeometry* g = f->GetGeometryRef();
            g && wkbFlatten(g->getGeometryType()) != wkbPoint &&
            wkbFlatten(g->getGeometryType()) != wkbLineString &&
            wkbFlatten(g->getGeometryType()) != wkbMultiLineString)
          d.valid = g->IsValid();
        out.push_back(std::move(d));
      }
    }
    return out;
  }

  // A layer's lines in a Web Mercator tile (GCJ-02 with `gcj02`) as GDAL reads them back: per
  // feature id, the length of its parts and their box, in tile units.
  struct Drawn {
    double length = 0;
    TBox box;
  };
  static std::map<int64_t, Drawn> drawn_lines(const std::string& name,
                                              const onemap::testing::Tile& t, bool gcj02) {
    layers::TileRequest rq;
    rq.tile = {static_cast<uint32_t>(t.z), static_cast<uint32_t>(t.x), static_cast<uint32_t>(t.y)};
    rq.gcj02 = gcj02;
    rq.layers.push_back(builder_->feature_layer_config(name));
    rq.feature_layers = layers_;
    const std::string mvt = builder_->build(*data_, rq);
    std::map<int64_t, Drawn> out;
    if (mvt.empty()) return out;
    auto ds = onemap::testing::open_tile(dir_->path() + "/drawn", t, mvt);
    // GDAL gives EPSG:3857 metres.
    const double size = 2 * kHalf / std::ldexp(1.0, t.z);
    const double left = -kHalf + t.x * size, top = kHalf - t.y * size;
    for (auto* ly : ds->GetLayers())
      for (const auto& f : *ly) {
        const OGRGeometry* g = f->GetGeometryRef();
        if (!g) continue;
        Drawn& d = out[f->GetFieldAsInteger64("mvt_id")];
        if (wkbFlatten(g->getGeometryType()) == wkbLineString)
          d.length = g->toLineString()->get_Length() / size * kExtent;
        else if (wkbFlatten(g->getGeometryType()) == wkbMultiLineString)
          d.length = g->toMultiLineString()->get_Length() / size * kExtent;
        OGREnvelope e;
        g->getEnvelope(&e);
        d.box = TBox({(e.MinX - left) / size * kExtent, (top - e.MaxY) / size * kExtent},
                     {(e.MaxX - left) / size * kExtent, (top - e.MinY) / size * kExtent});
      }
    return out;
  }

  // The tiles of zoom z that meet the county's box.
  static std::vector<onemap::testing::Tile> county_tiles(int z) {
    const spatial::Box box = layers::grids_extent(data_->grids);
    const auto a = onemap::testing::mercator_tile(box.min_corner().x(), box.max_corner().y(), z);
    const auto b = onemap::testing::mercator_tile(box.max_corner().x(), box.min_corner().y(), z);
    std::vector<onemap::testing::Tile> out;
    for (int x = a.x; x <= b.x; ++x)
      for (int y = a.y; y <= b.y; ++y) out.push_back({z, x, y});
    return out;
  }

  // A line in a tile's units.
  static TLine units(const onemap::testing::Tile& t, const spatial::LineString& ls) {
    TLine out;
    for (const auto& p : ls) out.push_back(merc_->units(t, p.x(), p.y()));
    return out;
  }

  static layers::Dataset* data_;
  static std::vector<layers::FeatureLayer>* layers_;
  static layers::TileBuilder* builder_;
  static onemap::testing::TempDir* dir_;
  static Mercator* merc_;
};
layers::Dataset* FeatureTilesTest::data_ = nullptr;
std::vector<layers::FeatureLayer>* FeatureTilesTest::layers_ = nullptr;
layers::TileBuilder* FeatureTilesTest::builder_ = nullptr;
onemap::testing::TempDir* FeatureTilesTest::dir_ = nullptr;
Mercator* FeatureTilesTest::merc_ = nullptr;

}  // namespace

TEST_F(FeatureTilesTest, EveryLineIsInTheTilesItCrossesAboveTheThinnedZooms) {
  const auto& pipes = layer("sewage_pipes");
  ASSERT_GT(pipes.features.size(), 500u);
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<std::size_t> pick(0, pipes.features.size() - 1);
  for (int z : {14, 16}) {
    for (int k = 0; k < 6; ++k) {
      const auto& start = std::get<spatial::MultiLineString>(pipes.features[pick(rng)].geometry);
      const onemap::testing::Tile t =
          onemap::testing::mercator_tile(start[0][0].x(), start[0][0].y(), z);
      std::set<int64_t> got;
      for (const auto& d : tile("sewage_pipes", t)) got.insert(d.id);
      // Inside the buffered square by a unit: drawn (unless shorter than a unit and a half
      // there); beyond it by a unit: not drawn.
      const TBox inner({-double(kBuffer) + 1, -double(kBuffer) + 1},
                       {kExtent + kBuffer - 1.0, kExtent + kBuffer - 1.0});
      const TBox outer({-double(kBuffer) - 1, -double(kBuffer) - 1},
                       {kExtent + kBuffer + 1.0, kExtent + kBuffer + 1.0});
      std::size_t expected = 0;
      for (const auto& f : pipes.features) {
        bool in = false, near = false;
        for (const auto& ls : std::get<spatial::MultiLineString>(f.geometry)) {
          const TLine u = units(t, ls);
          if (bg::intersects(u, inner)) {
            bg::model::multi_linestring<TLine> part;
            bg::intersection(u, inner, part);
            in = in || bg::length(part) > 1.5;
          }
          near = near || bg::intersects(u, outer);
        }
        if (in) {
          ++expected;
          EXPECT_TRUE(got.count(f.fid)) << "pipe " << f.fid << " missing from " << t.path();
        }
        if (!near) {
          EXPECT_FALSE(got.count(f.fid)) << "pipe " << f.fid << " not in " << t.path();
        }
      }
      EXPECT_GT(expected, 0u) << t.path();
    }
  }
}

TEST_F(FeatureTilesTest, ThinnedTilesAreBoundedAndZoomingInOnlyAddsLines) {
  const auto& dense = layer("dense");
  std::set<int64_t> previous;
  for (int z = 8; z <= static_cast<int>(layers::kThinMaxZoom) + 1; ++z) {
    std::set<int64_t> ids;
    std::size_t largest = 0;
    for (const auto& t : county_tiles(z)) {
      std::size_t bytes = 0;
      const auto features = tile("dense", t, &bytes);
      largest = std::max(largest, bytes);
      // One line per cell of the tile, plus those of the cells around it that reach in.
      if (z <= static_cast<int>(layers::kThinMaxZoom)) {
        EXPECT_LE(features.size(), 2 * layers::kThinGrid * layers::kThinGrid) << t.path();
      }
      for (const auto& d : features) {
        ids.insert(d.id);
        EXPECT_FALSE(d.fields.count("owner")) << "a staff field in a public layer's tiles";
        EXPECT_TRUE(d.fields.count("kind"));
      }
    }
    EXPECT_LT(largest, 500u * 1024) << "z" << z;
    for (int64_t id : previous) EXPECT_TRUE(ids.count(id)) << id << " gone at z" << z;
    if (z <= static_cast<int>(layers::kThinMaxZoom)) {
      EXPECT_LT(ids.size(), dense.features.size()) << "nothing thinned at z" << z;
    } else {
      EXPECT_EQ(ids.size(), dense.features.size()) << "lines missing above the thinned zooms";
    }
    EXPECT_GT(ids.size(), previous.size()) << "z" << z;
    previous = std::move(ids);
  }
}

TEST_F(FeatureTilesTest, PointClustersAddUpAndPointsStandAloneAboveTheClusterZoom) {
  const auto& cameras = layer("cameras");
  const auto* cfg = builder_->feature_layer_config("cameras");
  ASSERT_NE(cfg, nullptr);
  ASSERT_EQ(cfg->minzoom, 10u);
  for (const auto& t : county_tiles(9))
    EXPECT_TRUE(tile("cameras", t).empty()) << "below the layer's minzoom: " << t.path();
  for (int z : {10, 12}) {
    int64_t total = 0;
    for (const auto& t : county_tiles(z))
      for (const auto& d : tile("cameras", t)) {
        EXPECT_TRUE(d.cluster) << "z" << z;
        total += d.count;
      }
    EXPECT_EQ(total, static_cast<int64_t>(cameras.features.size())) << "z" << z;
  }
  // Above the cluster zoom each camera is in the tile that holds it, with its public fields.
  const int z = 16;
  for (std::size_t i = 0; i < cameras.features.size(); i += 97) {
    const auto& f = cameras.features[i];
    const auto& p = std::get<layers::LonLat>(f.geometry);
    const auto features = tile("cameras", onemap::testing::mercator_tile(p.lon, p.lat, z));
    const auto it = std::find_if(features.begin(), features.end(),
                                 [&](const DecodedFeature& d) { return d.id == f.fid; });
    ASSERT_NE(it, features.end()) << "camera " << f.fid;
    EXPECT_TRUE(it->fields.count("device_id"));
    EXPECT_FALSE(it->fields.count("keeper_unit")) << "a staff field in a public layer's tiles";
  }
}

TEST_F(FeatureTilesTest, PolygonsAreValidAndCarryTheLabelField) {
  std::size_t seen = 0;
  for (int z : {10, 13, 15}) {
    for (const auto& t : county_tiles(z)) {
      if (z == 15 && seen > 400) break;
      for (const auto& d : tile("land_use", t)) {
        EXPECT_TRUE(d.valid) << "zone " << d.id << " in " << t.path();
        // "use" is the style's label and in tiles from zoom 0; "approved" is for staff.
        EXPECT_TRUE(d.fields.count("use"));
        EXPECT_FALSE(d.fields.count("approved"));
        ++seen;
      }
    }
  }
  EXPECT_GT(seen, 100u);
}

TEST_F(FeatureTilesTest, AChangeReportsTheLinesItPushesOutOfTheThinnedZooms) {
  // A layer of two short lines in one cell: the longer one is drawn from zoom 0. A third, longer
  // still, takes its place: the one pushed out is reported, with where it lies.
  layers::FeatureLayer l;
  l.def = layers::definition_from_json(R"({"name": "few", "geometry": "line", "fields": []})");
  auto line = [](int64_t fid, double lon, double length) {
    layers::Feature f;
    f.fid = fid;
    f.geometry = spatial::MultiLineString{spatial::LineString{{lon, 30.5}, {lon + length, 30.5}}};
    return f;
  };
  l.features = {line(1, 120.0, 0.0002), line(2, 120.0001, 0.0004)};
  layers::TileBuilder b(*data_, layers::TileConfig::defaults(), {l});
  l.features.push_back(line(3, 120.00005, 0.0006));
  const auto moved = b.feature_layer_changed(l);
  ASSERT_FALSE(moved.empty());
  bool covers_second = false;
  for (const auto& box : moved)
    covers_second = covers_second || (box.min_corner().x() <= 120.0001 + 1e-12 &&
                                      box.max_corner().x() >= 120.0005 - 1e-12);
  EXPECT_TRUE(covers_second);
  EXPECT_TRUE(b.feature_layer_changed(l).empty()) << "nothing moves when nothing changed";
}

TEST_F(FeatureTilesTest, LinesLieWhereProjPutsThemInEveryTileWithAndWithoutGcj02) {
  // Each line of a tile against the same line projected here (PROJ; onemap's GCJ-02 shift first
  // for the shifted tiles) and clipped to the buffered square by Boost.Geometry: the same box
  // within half a unit (rounding) and the same length within what rounding moves both ends of a
  // part (the dense network's lines are single segments, which simplification keeps whole).
  const auto& dense = layer("dense");
  const TBox square({-double(kBuffer), -double(kBuffer)},
                    {kExtent + double(kBuffer), kExtent + double(kBuffer)});
  std::size_t checked = 0;
  for (bool gcj02 : {false, true}) {
    for (int z : {14, 16}) {
      const auto tiles = county_tiles(z);
      for (std::size_t k = 0; k < tiles.size(); k += tiles.size() / 3 + 1) {
        const auto& t = tiles[k];
        for (const auto& [id, got] : drawn_lines("dense", t, gcj02)) {
          const auto& ml = std::get<spatial::MultiLineString>(
              dense.features.at(static_cast<std::size_t>(id - 1)).geometry);
          bg::model::multi_linestring<TLine> parts;
          for (const auto& ls : ml) {
            TLine u;
            for (const auto& p : ls) {
              const spatial::LonLat q =
                  gcj02 ? spatial::wgs84_to_gcj02({p.x(), p.y()}) : spatial::LonLat{p.x(), p.y()};
              u.push_back(merc_->units(t, q.lon, q.lat));
            }
            bg::intersection(u, square, parts);
          }
          const std::string what =
              "line " + std::to_string(id) + " in " + t.path() + (gcj02 ? " (GCJ-02)" : "");
          EXPECT_NEAR(got.length, bg::length(parts), 2 * 0.71 + 1e-6) << what;
          const TBox want = bg::return_envelope<TBox>(parts);
          EXPECT_NEAR(got.box.min_corner().x(), want.min_corner().x(), 0.5 + 1e-6) << what;
          EXPECT_NEAR(got.box.min_corner().y(), want.min_corner().y(), 0.5 + 1e-6) << what;
          EXPECT_NEAR(got.box.max_corner().x(), want.max_corner().x(), 0.5 + 1e-6) << what;
          EXPECT_NEAR(got.box.max_corner().y(), want.max_corner().y(), 0.5 + 1e-6) << what;
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 300u);
}
