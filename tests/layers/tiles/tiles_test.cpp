// TileBuilder against brute force on a demo county: every tile is decoded by GDAL's MVT driver
// (an independent decoder) and compared with a selection made here from the records, with the
// tile coordinates computed here (Web Mercator through PROJ, the CGCS2000 'c' set by its
// definition). Checks: individual points (ids and positions within one tile unit, buffer
// included), clusters (counts add up to the points of each tile and of the zoom), filters, the
// GCJ-02 offset, polygons (valid, none missing), privacy, and the size limit at every zoom.
#include "layers/tiles/tiles.hpp"
#include "core/errors.hpp"
#include "spatial/chinacrs.hpp"
#include "tests/support/temp_dir.hpp"
#include "tools/demo/demo.hpp"

#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogrsf_frmts.h>
#include <proj.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

using namespace onemap;
using layers::LayerKind;

namespace {

constexpr double kHalf = 20037508.342789244;  // Web Mercator half width, metres
constexpr uint32_t kExtent = 4096;
constexpr uint32_t kBuffer = 64;

struct Scheme {
  bool cgcs = false;
  bool gcj = false;
  const spatial::TileMatrixSet& tms() const {
    return cgcs ? spatial::TileMatrixSet::cgcs2000() : spatial::TileMatrixSet::web_mercator();
  }
};

// Web Mercator metres of lon/lat through PROJ (independent of onemap's projection code).
class Mercator {
 public:
  Mercator() {
    ctx_ = proj_context_create();
    pj_ = proj_create_crs_to_crs(ctx_, "EPSG:4326", "EPSG:3857", nullptr);
    PJ* norm = proj_normalize_for_visualization(ctx_, pj_);
    proj_destroy(pj_);
    pj_ = norm;
  }
  ~Mercator() {
    proj_destroy(pj_);
    proj_context_destroy(ctx_);
  }
  void project(double lon, double lat, double& x, double& y) const {
    const PJ_COORD c = proj_trans(pj_, PJ_FWD, proj_coord(lon, lat, 0, 0));
    x = c.xy.x;
    y = c.xy.y;
  }

 private:
  PJ_CONTEXT* ctx_ = nullptr;
  PJ* pj_ = nullptr;
};

// Unrounded tile units of a lon/lat point in a tile (y down), from the definitions.
void tile_units(const Mercator& merc, const Scheme& s, const spatial::TileId& t, layers::LonLat p,
                double& u, double& v) {
  if (s.gcj) p = spatial::wgs84_to_gcj02(p);
  if (s.cgcs) {
    const double size = 360.0 / std::ldexp(1.0, static_cast<int>(t.z));
    u = (p.lon - (-180.0 + t.x * size)) / size * kExtent;
    v = ((90.0 - t.y * size) - p.lat) / size * kExtent;
  } else {
    double x, y;
    merc.project(p.lon, p.lat, x, y);
    const double size = 2 * kHalf / std::ldexp(1.0, static_cast<int>(t.z));
    u = (x - (-kHalf + t.x * size)) / size * kExtent;
    v = ((kHalf - t.y * size) - y) / size * kExtent;
  }
}

struct Decoded {
  int64_t id = 0;
  double u = 0, v = 0;  // tile units of a point (first vertex otherwise)
  std::map<std::string, std::string> fields;
  bool valid = true;
  int64_t count = 0;
};

// Decodes a tile with GDAL, which georeferences it as the Web Mercator tile z/x/y of its file
// name; coordinates are turned back into tile units with that same definition (for CGCS2000
// tiles this just undoes GDAL's georeferencing).
std::map<std::string, std::vector<Decoded>> decode(const std::string& dir, const spatial::TileId& t,
                                                   const std::string& bytes) {
  std::map<std::string, std::vector<Decoded>> out;
  if (bytes.empty()) return out;
  const std::string path = dir + "/" + std::to_string(t.z) + "/" + std::to_string(t.x) + "/" +
                           std::to_string(t.y) + ".mvt";
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  { std::ofstream(path, std::ios::binary) << bytes; }
  // CLIP=NO: GDAL would otherwise drop what lies in the tile's buffer.
  const char* const open_options[] = {"CLIP=NO", nullptr};
  std::unique_ptr<GDALDataset> ds(
      GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR, nullptr, open_options));
  if (!ds) throw std::runtime_error("GDAL cannot read the tile " + path);
  const double size = 2 * kHalf / std::ldexp(1.0, static_cast<int>(t.z));
  for (auto* layer : ds->GetLayers()) {
    auto& v = out[layer->GetName()];
    for (const auto& f : *layer) {
      Decoded d;
      d.id = f->GetFieldAsInteger64("mvt_id");
      for (int i = 0; i < f->GetFieldCount(); ++i)
        d.fields[f->GetFieldDefnRef(i)->GetNameRef()] = f->GetFieldAsString(i);
      if (d.fields.count("count")) d.count = f->GetFieldAsInteger64("count");
      const OGRGeometry* g = f->GetGeometryRef();
      OGRPoint first;
      if (g && wkbFlatten(g->getGeometryType()) == wkbPoint) {
        first = *g->toPoint();
      } else if (g) {
        d.valid = g->IsValid();
      }
      d.u = (first.getX() - (-kHalf + t.x * size)) / size * kExtent;
      d.v = ((kHalf - t.y * size) - first.getY()) / size * kExtent;
      v.push_back(std::move(d));
    }
  }
  return out;
}

class TilesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    GDALAllRegister();
    layers::DemoOptions o;
    o.data_dir = std::string(ONEMAP_SOURCE_DIR) + "/data";
    o.end_time = 1795968000;  // 2026-11-26 UTC+8 midnight-ish: any fixed time works
    o.households = 30000;
    o.enterprises = 2000;
    o.incidents = 20000;
    data_ = new layers::Dataset(layers::build_demo(o));
    // Feature ids as the store assigns them (1..n per layer).
    auto number = [](auto& v) {
      for (std::size_t i = 0; i < v.size(); ++i) v[i].fid = static_cast<int64_t>(i + 1);
    };
    number(data_->grids), number(data_->households), number(data_->enterprises);
    number(data_->incidents), number(data_->workers);
    builder_ = new layers::TileBuilder(*data_, layers::TileConfig::defaults());
    dir_ = new onemap::testing::TempDir();
    merc_ = new Mercator();
  }
  static void TearDownTestSuite() {
    delete merc_;
    delete builder_;
    delete data_;
    delete dir_;
  }

  static std::string build(const Scheme& s, const spatial::TileId& t,
                           const std::vector<std::string>& names,
                           const layers::IncidentFilter& f = {}) {
    layers::TileRequest rq;
    rq.tms = &s.tms();
    rq.tile = t;
    rq.gcj02 = s.gcj;
    for (const auto& n : names) rq.layers.push_back(builder_->config().find(n));
    rq.incidents = f;
    return builder_->build(*data_, rq);
  }

  // The tile of a point at zoom z (via the unrounded tile units of tile 0/0 scaled up).
  static spatial::TileId tile_of(const Scheme& s, layers::LonLat p, uint32_t z) {
    double u, v;
    tile_units(*merc_, s, {z, 0, 0}, p, u, v);
    return {z, static_cast<uint32_t>(std::floor(u / kExtent)),
            static_cast<uint32_t>(std::floor(v / kExtent))};
  }

  template <class T>
  void check_points(const std::vector<T>& records, const std::string& layer, const Scheme& s,
                    uint32_t z, const layers::IncidentFilter& filter, int samples) {
    std::mt19937_64 rng(z * 31 + s.cgcs * 7 + s.gcj);
    std::uniform_int_distribution<std::size_t> pick(0, records.size() - 1);
    for (int k = 0; k < samples; ++k) {
      const spatial::TileId t = tile_of(s, records[pick(rng)].location, z);
      const auto tiles = decode(dir_->path() + "/p", t, build(s, t, {layer}, filter));
      std::map<int64_t, const Decoded*> got;
      if (tiles.count(layer))
        for (const auto& d : tiles.at(layer)) {
          ASSERT_EQ(d.fields.count("cluster"), 0u) << "clustered at z" << z;
          got[d.id] = &d;
        }
      std::size_t expected = 0;
      for (const auto& r : records) {
        if constexpr (std::is_same_v<T, layers::Incident>)
          if (!filter.matches(r)) continue;
        double u, v;
        tile_units(*merc_, s, t, r.location, u, v);
        const double lo = -static_cast<double>(kBuffer), hi = kExtent + kBuffer;
        const bool inside = u >= lo + 1 && u <= hi - 1 && v >= lo + 1 && v <= hi - 1;
        const bool outside = u < lo - 1 || u > hi + 1 || v < lo - 1 || v > hi + 1;
        const auto it = got.find(r.fid);
        if (inside) {
          ++expected;
          ASSERT_NE(it, got.end())
              << layer << " " << r.fid << " missing from " << t.z << "/" << t.x << "/" << t.y;
          EXPECT_NEAR(it->second->u, u, 1.0);
          EXPECT_NEAR(it->second->v, v, 1.0);
        } else if (outside) {
          EXPECT_EQ(it, got.end()) << r.fid << " outside the buffered tile";
        }
        if (it != got.end()) got.erase(it);
      }
      EXPECT_TRUE(got.empty()) << got.size() << " decoded ids are no record of the layer";
      EXPECT_GT(expected, 0u);
    }
  }

  static layers::Dataset* data_;
  static layers::TileBuilder* builder_;
  static onemap::testing::TempDir* dir_;
  static Mercator* merc_;
};
layers::Dataset* TilesTest::data_ = nullptr;
layers::TileBuilder* TilesTest::builder_ = nullptr;
onemap::testing::TempDir* TilesTest::dir_ = nullptr;
Mercator* TilesTest::merc_ = nullptr;

}  // namespace

TEST_F(TilesTest, IndividualPointsMatchBruteForceInEveryScheme) {
  for (const Scheme s :
       {Scheme{false, false}, Scheme{true, false}, Scheme{false, true}, Scheme{true, true}}) {
    SCOPED_TRACE(std::string(s.cgcs ? "cgcs2000" : "mercator") + (s.gcj ? "+gcj02" : ""));
    for (uint32_t z : {13u, 15u, 18u}) check_points(data_->incidents, "incidents", s, z, {}, 4);
    check_points(data_->households, "households", s, 17, {}, 3);
    check_points(data_->enterprises, "enterprises", s, 14, {}, 3);
  }
}

TEST_F(TilesTest, FiltersSelectExactlyTheMatchingIncidents) {
  layers::IncidentFilter f;
  f.statuses = {"closed", "in_progress"};
  f.since = data_->incidents.front().reported_at;
  check_points(data_->incidents, "incidents", Scheme{}, 14, f, 5);
  layers::IncidentFilter c;
  c.categories = {data_->incidents.front().category};
  check_points(data_->incidents, "incidents", Scheme{true, false}, 14, c, 5);
}

TEST_F(TilesTest, ClusterCountsAddUpPerTileAndPerZoom) {
  for (const Scheme s : {Scheme{false, false}, Scheme{true, false}, Scheme{false, true}}) {
    for (uint32_t z : {s.cgcs ? 1u : 0u, 6u, 9u, 12u}) {
      // Every tile holding an incident, with the number of incidents inside it proper.
      std::map<std::pair<uint32_t, uint32_t>, int64_t> expected;
      std::size_t ambiguous = 0;
      for (const auto& r : data_->incidents) {
        double u, v;
        tile_units(*merc_, s, {z, 0, 0}, r.location, u, v);
        const double fx = u / kExtent, fy = v / kExtent;
        if (std::abs(fx - std::round(fx)) < 1e-9 || std::abs(fy - std::round(fy)) < 1e-9)
          ++ambiguous;
        ++expected[{static_cast<uint32_t>(std::floor(fx)), static_cast<uint32_t>(std::floor(fy))}];
      }
      int64_t total = 0;
      for (const auto& [xy, n] : expected) {
        const spatial::TileId t{z, xy.first, xy.second};
        const auto tiles = decode(dir_->path() + "/c", t, build(s, t, {"incidents"}));
        int64_t sum = 0;
        for (const auto& d : tiles.at("incidents")) {
          ASSERT_EQ(d.fields.at("cluster"), "1");
          EXPECT_GE(d.u, 0);  // a cluster sits inside its own tile
          EXPECT_LE(d.u, kExtent);
          sum += d.count;
        }
        EXPECT_NEAR(static_cast<double>(sum), static_cast<double>(n),
                    static_cast<double>(ambiguous))
            << "z" << z << " " << xy.first << "/" << xy.second;
        total += sum;
      }
      EXPECT_EQ(total, static_cast<int64_t>(data_->incidents.size())) << "zoom " << z;
    }
  }
}

TEST_F(TilesTest, PolygonsAreValidAndNoneIsMissing) {
  for (const Scheme s : {Scheme{false, false}, Scheme{true, false}}) {
    for (const auto& [layer, level, z] :
         {std::tuple{"grids.town", layers::GridLevel::Town, 9u},
          std::tuple{"grids.village", layers::GridLevel::Village, 12u},
          std::tuple{"grids.grid", layers::GridLevel::Grid, 15u}}) {
      std::mt19937_64 rng(z);
      std::uniform_int_distribution<std::size_t> pick(0, data_->incidents.size() - 1);
      for (int k = 0; k < 4; ++k) {
        const spatial::TileId t = tile_of(s, data_->incidents[pick(rng)].location, z);
        const auto tiles = decode(dir_->path() + "/g", t, build(s, t, {layer}));
        std::set<int64_t> got;
        if (tiles.count(layer))
          for (const auto& d : tiles.at(layer)) {
            EXPECT_TRUE(d.valid) << layer << " " << d.id << " invalid in " << z << "/" << t.x << "/"
                                 << t.y;
            got.insert(d.id);
          }
        EXPECT_FALSE(got.empty()) << layer << " at " << z << "/" << t.x << "/" << t.y;
        // Every grid of the level holding a vertex well inside the tile is there; no grid whose
        // vertices all lie well outside the buffered tile on one side is.
        for (const auto& g : data_->grids) {
          if (g.level != level) continue;
          bool vertex_inside = false;
          double umin = 1e300, umax = -1e300, vmin = 1e300, vmax = -1e300;
          for (const auto& poly : g.geometry)
            for (const auto& p : poly.outer()) {
              double u, v;
              tile_units(*merc_, s, t, {p.x(), p.y()}, u, v);
              vertex_inside =
                  vertex_inside || (u > 16 && u < kExtent - 16 && v > 16 && v < kExtent - 16);
              umin = std::min(umin, u), umax = std::max(umax, u), vmin = std::min(vmin, v),
              vmax = std::max(vmax, v);
            }
          const bool far =
              umax < -200.0 || umin > kExtent + 200.0 || vmax < -200.0 || vmin > kExtent + 200.0;
          if (vertex_inside) {
            EXPECT_TRUE(got.count(g.fid)) << layer << " " << g.code << " missing";
          }
          if (far) {
            EXPECT_FALSE(got.count(g.fid)) << layer << " " << g.code << " far outside";
          }
        }
      }
    }
  }
}

TEST_F(TilesTest, HouseholdTilesCarryNoPersonalData) {
  const auto& h = data_->households[123];
  const spatial::TileId t = tile_of(Scheme{}, h.location, 18);
  const auto tiles = decode(dir_->path() + "/h", t, build(Scheme{}, t, {"households"}));
  ASSERT_FALSE(tiles.at("households").empty());
  for (const auto& d : tiles.at("households"))
    for (const char* personal : {"head_name", "phone", "id_number", "address"})
      EXPECT_EQ(d.fields.count(personal), 0u) << personal;
  try {
    layers::TileConfig::from_json(R"({"layers":{"households":{"fields":["phone"]}}})");
    FAIL() << "a personal field was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.parameter(), "layers.households.fields");
  }
}

TEST_F(TilesTest, PointsSayWhatTheyAreBeforeZoom16AndWhichOneFrom16) {
  // At zoom 15 a tile may hold thousands of a layer's points, too many to tell apart: they carry
  // what they are (status, category, risk, role); their ids, dates and grid codes come at 16.
  struct Case {
    std::string layer;
    layers::LonLat at;
    std::vector<std::string> what, which;
    std::vector<std::string> never_null;  // of `which` (a date may be null: an open incident's)
  };
  const std::vector<Case> cases = {
      {"incidents",
       data_->incidents[77].location,
       {"status", "category", "overdue", "reported_at", "level"},
       {"inc_id", "source", "closed_at", "grid_code", "deadline", "agency"},
       {"inc_id", "grid_code"}},
      {"enterprises",
       data_->enterprises[77].location,
       {"risk", "name", "industry"},
       {"last_inspection", "grid_code"},
       {"grid_code"}},
      {"workers",
       data_->workers[7].location,
       {"role", "on_duty"},
       {"worker_id", "team_grid"},
       {"worker_id", "team_grid"}},
  };
  for (const auto& c : cases) {
    for (const uint32_t z : {15u, 16u}) {
      const spatial::TileId t = tile_of(Scheme{}, c.at, z);
      const auto tiles =
          decode(dir_->path() + "/zoom" + std::to_string(z), t, build(Scheme{}, t, {c.layer}));
      ASSERT_TRUE(tiles.count(c.layer)) << c.layer << " z" << z;
      const auto& features = tiles.at(c.layer);
      ASSERT_FALSE(features.empty());
      for (const auto& d : features) {
        ASSERT_EQ(d.fields.count("cluster"), 0u) << c.layer << " clustered at z" << z;
        for (const auto& f : c.what)
          EXPECT_EQ(d.fields.count(f), 1u) << c.layer << " z" << z << " " << f;
        for (const auto& f : c.which) {
          if (z == 15) {
            EXPECT_EQ(d.fields.count(f), 0u) << c.layer << " z15 " << f;
          }
        }
        if (z == 16) {
          for (const auto& f : c.never_null) {
            EXPECT_FALSE(d.fields.count(f) == 0 || d.fields.at(f).empty())
                << c.layer << " z16 " << f;
          }
        }
      }
    }
  }
}

TEST(TileConfig, BadConfigurationsNameTheKey) {
  auto parameter_of = [](const char* text) {
    try {
      layers::TileConfig::from_json(text);
    } catch (const InvalidArgument& e) {
      return e.parameter();
    }
    return std::string("(accepted)");
  };
  EXPECT_EQ(parameter_of("{"), "tiles config");
  EXPECT_EQ(parameter_of(R"({"bufer":64})"), "bufer");
  EXPECT_EQ(parameter_of(R"({"buffer":-1})"), "buffer");
  EXPECT_EQ(parameter_of(R"({"cluster_grid":12})"), "cluster_grid");
  EXPECT_EQ(parameter_of(R"({"layers":{"parcels":{}}})"), "layers");
  // A layer named in another case used to be looked up past the end of the list (a crash).
  EXPECT_EQ(parameter_of(R"({"layers":{"incidenTs":{"cluster_maxzoom":11}}})"), "layers");
  EXPECT_EQ(parameter_of(R"({"layers":{"grids.Town":{}}})"), "layers");
  EXPECT_EQ(parameter_of(R"({"layers":{"incidents":{"minzoom":9,"maxzoom":3}}})"),
            "layers.incidents.minzoom");
  EXPECT_EQ(parameter_of(R"({"layers":{"incidents":{"fields":["colour"]}}})"),
            "layers.incidents.fields");
  const auto c = layers::TileConfig::from_json(
      R"({"buffer":16,"layers":{"incidents":{"cluster_maxzoom":9,"fields":[{"name":"status","minzoom":10}]}}})");
  EXPECT_EQ(c.buffer, 16u);
  EXPECT_EQ(c.find("incidents")->cluster_maxzoom, 9u);
  ASSERT_EQ(c.find("incidents")->fields.size(), 1u);
  EXPECT_EQ(c.find("incidents")->fields[0].minzoom, 10u);
  EXPECT_EQ(c.find("households")->cluster_maxzoom,
            layers::TileConfig::defaults().find("households")->cluster_maxzoom);
}

TEST_F(TilesTest, NoTileOfTheCountyIsHugeAtAnyZoom) {
  // Every Web Mercator tile holding a household, zooms 0 to 14, all layers at once.
  const std::vector<std::string> all = {"grids", "households", "enterprises", "incidents",
                                        "workers"};
  std::size_t largest = 0, tiles = 0;
  for (uint32_t z = 0; z <= 14; ++z) {
    std::set<std::pair<uint32_t, uint32_t>> covering;
    for (const auto& r : data_->households) {
      const auto t = tile_of(Scheme{}, r.location, z);
      covering.insert({t.x, t.y});
    }
    for (const auto& [x, y] : covering) {
      largest = std::max(largest, build(Scheme{}, {z, x, y}, all).size());
      ++tiles;
    }
  }
  EXPECT_LE(largest, 500u * 1024u);
  EXPECT_GT(tiles, 100u);
}
