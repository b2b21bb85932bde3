// Import tests: one source per format, each generated here with GDAL and holding exactly one bad
// feature, imported into a fresh GeoPackage store. Counts, the bad feature's index and reason,
// the stored coordinates (against OGR's own coordinate transformation, or against the original
// WGS84 points for GCJ-02) and Chinese text are checked.
//
//   Shapefile, EPSG:4549, GBK (.cpg, and without .cpg + --encoding)  null geometry → rejected
//   GeoJSON, GCJ-02 points                                           a polygon → rejected
//   GeoJSON grids                                                    2-point ring → unreadable
//   GeoPackage, EPSG:3857                                            bowtie → repaired
//   CSV with lon/lat                                                 no coordinates → no location
//   CSV (GBK) with coordinate columns named by --field-map           "abc" longitude → rejected
//   FileGDB, EPSG:4528                                               zero-area ring → rejected
#include "layers/ingest/import.hpp"

#include "core/errors.hpp"
#include "spatial/chinacrs.hpp"
#include "spatial/crs.hpp"
#include "tests/support/gdal_source.hpp"
#include "tests/support/temp_dir.hpp"

#include <cpl_conv.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
using namespace onemap;
using namespace onemap::layers;
using onemap::testing::Feat;
using onemap::testing::FieldDef;
using onemap::testing::TempDir;
using onemap::testing::write_layer;

namespace {

// ---- fixtures --------------------------------------------------------------------------------

std::string num(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}

/// WKT of a polygon whose ring runs through `corners` and back to the first, in source units.
std::string ring_wkt(const std::vector<std::pair<double, double>>& corners) {
  std::string out = "POLYGON ((";
  for (const auto& [x, y] : corners) out += num(x) + " " + num(y) + ",";
  return out + num(corners.front().first) + " " + num(corners.front().second) + "))";
}

/// WKT of an axis-aligned rectangle in source units.
std::string rect_wkt(double x0, double y0, double x1, double y1) {
  return ring_wkt({{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}});
}

/// The oracle: OGR's own coordinate transformation from `epsg` to EPSG:4490, lon/lat order.
spatial::Point ogr_to_4490(int epsg, double x, double y) {
  OGRSpatialReference s, t;
  s.importFromEPSG(epsg);
  t.importFromEPSG(4490);
  s.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  t.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&s, &t));
  EXPECT_NE(ct, nullptr);
  if (!ct || !ct->Transform(1, &x, &y)) return {NAN, NAN};
  return {x, y};
}

/// The corners of the rectangle [x0, x1] × [y0, y1] of `epsg`, counter-clockwise, by the oracle.
std::vector<spatial::Point> rect_4490(int epsg, double x0, double y0, double x1, double y1) {
  return {ogr_to_4490(epsg, x0, y0), ogr_to_4490(epsg, x1, y0), ogr_to_4490(epsg, x1, y1),
          ogr_to_4490(epsg, x0, y1)};
}

std::vector<spatial::Point> vertices(const spatial::MultiPolygon& mp) {
  std::vector<spatial::Point> out;
  for (const auto& poly : mp) {
    const auto& r = poly.outer();
    for (std::size_t i = 0; i + 1 < r.size(); ++i) out.push_back(r[i]);
  }
  return out;
}

/// Every expected vertex has a stored one within `tol` degrees and the counts agree.
void expect_same_vertices(const spatial::MultiPolygon& stored,
                          const std::vector<spatial::Point>& want, double tol) {
  auto got = vertices(stored);
  ASSERT_EQ(got.size(), want.size());
  for (const auto& w : want) {
    double best = 1e9;
    for (const auto& g : got) best = std::min(best, std::hypot(g.x() - w.x(), g.y() - w.y()));
    EXPECT_LT(best, tol) << "no stored vertex near " << num(w.x()) << " " << num(w.y());
  }
}

/// Metres between two lon/lat points on a local plane (fine at these distances).
double local_metres(double lon1, double lat1, double lon2, double lat2) {
  const double k = M_PI / 180.0;
  const double dx = (lon2 - lon1) * k * 6378137.0 * std::cos(lat1 * k);
  const double dy = (lat2 - lat1) * k * 6378137.0;
  return std::hypot(dx, dy);
}

const ImportIssue* find_issue(const ImportReport& r, IssueKind k) {
  for (const auto& i : r.issues)
    if (i.kind == k) return &i;
  return nullptr;
}

std::size_t count_issues(const ImportReport& r, IssueKind k) {
  std::size_t n = 0;
  for (const auto& i : r.issues) n += i.kind == k;
  return n;
}

std::string describe(const ImportReport& r) {
  std::string s = "read " + std::to_string(r.read) + " loaded " + std::to_string(r.loaded) +
                  " rejected " + std::to_string(r.rejected) + " repaired " +
                  std::to_string(r.repaired) + " crs " + r.source_crs;
  for (const auto& i : r.issues)
    s += "\n  " + std::string(issue_kind_name(i.kind)) + " #" + std::to_string(i.index) + " (" +
         i.id + "): " + i.reason;
  for (const auto& n : r.notes) s += "\n  note: " + n;
  return s;
}

/// Whether the report counts `read`, `loaded`, `rejected` and `repaired` features.
::testing::AssertionResult counts(const ImportReport& r, std::size_t read, std::size_t loaded,
                                  std::size_t rejected, std::size_t repaired) {
  if (r.read == read && r.loaded == loaded && r.rejected == rejected && r.repaired == repaired)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected read " << read << " loaded " << loaded << " rejected " << rejected
         << " repaired " << repaired << ", got " << describe(r);
}

enum class Reason { Is, StartsWith, Contains };

/// Whether `i` is an issue about feature `index` with id `id`, whose reason is, starts with or
/// contains `reason`.
::testing::AssertionResult is_issue(const ImportIssue* i, int index, std::string_view id,
                                    Reason how = Reason::Contains, std::string_view reason = "") {
  if (!i) return ::testing::AssertionFailure() << "no such issue";
  const bool said = how == Reason::Is           ? i->reason == reason
                    : how == Reason::StartsWith ? i->reason.starts_with(reason)
                                                : i->reason.find(reason) != std::string::npos;
  if (i->index == index && i->id == id && said) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "issue #" << i->index << " (" << i->id << "): " << i->reason;
}

const Grid* grid_by_code(const Dataset& d, const std::string& code) {
  for (const auto& g : d.grids)
    if (g.code == code) return &g;
  return nullptr;
}

std::string to_gbk(const std::string& utf8) {
  char* r = CPLRecode(utf8.c_str(), CPL_ENC_UTF8, "GBK");
  std::string out = r;
  CPLFree(r);
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Source squares near Deqing in EPSG:4549 (CGCS2000 GK zone CM 120E, false easting 500 km).
constexpr double kX0 = 497000, kY0 = 3380000;

std::string town_wkt() {
  auto p = [](double x, double y) { return std::pair{kX0 + x, kY0 + y}; };
  return ring_wkt({p(0, 0), p(1000, 0), p(2000, 0), p(2000, 2000), p(1000, 2000), p(0, 2000)});
}

void write_gbk_shapefile(const fs::path& shp) {
  write_layer(shp, "ESRI Shapefile", "towns", 4549, wkbPolygon, {{"code"}, {"name"}, {"parent"}},
              {
                  // The town carries the villages' shared vertices (x0+1000 on both edges), as
                  // surveyed data does: straight GK edges are not straight in lon/lat, and a 2 km
                  // edge without them would leave each village ~23 m² outside its town.
                  {{{"code", "330521001"}, {"name", "武康街道"}, {"parent", "330521"}}, town_wkt()},
                  {{{"code", "330521001001"}, {"name", "城东村"}, {"parent", "330521001"}},
                   rect_wkt(kX0, kY0, kX0 + 1000, kY0 + 2000)},
                  {{{"code", "330521001003"}, {"name", "无图形村"}, {"parent", "330521001"}}, ""},
                  {{{"code", "330521001002"}, {"name", "下渚湖村"}, {"parent", "330521001"}},
                   rect_wkt(kX0 + 1000, kY0, kX0 + 2000, kY0 + 2000)},
              },
              {"ENCODING=GBK"});
}

void check_gbk_grids(const ImportReport& r, Store& store) {
  EXPECT_TRUE(counts(r, 4, 3, 1, 0));
  EXPECT_TRUE(
      is_issue(find_issue(r, IssueKind::Rejected), 2, "330521001003", Reason::Is, "no geometry"));
  EXPECT_NE(r.source_crs.find("EPSG:4549"), std::string::npos) << r.source_crs;
  ASSERT_TRUE(r.hierarchy.has_value());
  for (const auto& p : r.hierarchy->problems) ADD_FAILURE() << "hierarchy: " << p.detail;

  Dataset d = store.load();
  ASSERT_EQ(d.grids.size(), 3u);
  const Grid* town = grid_by_code(d, "330521001");
  const Grid* east = grid_by_code(d, "330521001002");
  ASSERT_NE(town, nullptr);
  ASSERT_NE(east, nullptr);
  EXPECT_EQ(town->name, "武康街道");
  EXPECT_EQ(east->name, "下渚湖村");
  EXPECT_EQ(grid_by_code(d, "330521001001")->name, "城东村");
  EXPECT_EQ(town->level, GridLevel::Town);
  EXPECT_EQ(east->level, GridLevel::Village);
  EXPECT_EQ(east->parent_code, "330521001");
  // A 2 km square of the zone the area is measured in.
  EXPECT_NEAR(town->area_m2, 4.0e6, 1.0);
  expect_same_vertices(east->geometry, rect_4490(4549, kX0 + 1000, kY0, kX0 + 2000, kY0 + 2000),
                       1e-9);
  EXPECT_GT(spatial::bg::area(east->geometry), 0) << "outer rings must be counter-clockwise";
}

}  // namespace

// ---- Shapefile ------------------------------------------------------------------------------

TEST(Import, ShapefileGbkWithCpg) {
  TempDir dir;
  const fs::path shp = dir / "towns.shp";
  write_gbk_shapefile(shp);
  // The fixture really is GBK: the .cpg says so and the .dbf holds GBK bytes, not UTF-8.
  ASSERT_TRUE(fs::exists(dir / "towns.cpg"));
  const std::string dbf = slurp(dir / "towns.dbf");
  EXPECT_NE(dbf.find(to_gbk("武康街道")), std::string::npos);
  EXPECT_EQ(dbf.find("武康街道"), std::string::npos);

  auto store = open_store((dir / "s.gpkg").string(), true);
  ImportOptions o;
  o.layer = LayerKind::Grids;
  o.source = shp.string();
  o.field_map = {{"parent_code", "parent"}};
  std::vector<std::pair<std::size_t, std::size_t>> calls;
  auto r = import_layer(*store, o, [&](std::size_t d, std::size_t t) { calls.emplace_back(d, t); });
  check_gbk_grids(r, *store);
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back(), std::make_pair(std::size_t{4}, std::size_t{4}));
}

TEST(Import, ShapefileGbkWithoutCpgNeedsEncoding) {
  TempDir dir;
  const fs::path shp = dir / "towns.shp";
  write_gbk_shapefile(shp);
  fs::remove(dir / "towns.cpg");

  {  // Without --encoding the names come out as something else.
    auto store = open_store((dir / "plain.gpkg").string(), true);
    ImportOptions o;
    o.source = shp.string();
    o.field_map = {{"parent_code", "parent"}};
    import_layer(*store, o);
    const Grid* town = grid_by_code(store->load(), "330521001");
    ASSERT_NE(town, nullptr);
    EXPECT_NE(town->name, "武康街道");
  }
  auto store = open_store((dir / "gbk.gpkg").string(), true);
  ImportOptions o;
  o.source = shp.string();
  o.encoding = "GBK";
  o.field_map = {{"parent_code", "parent"}};
  check_gbk_grids(import_layer(*store, o), *store);
}

// ---- GeoJSON in GCJ-02 -----------------------------------------------------------------------

TEST(Import, GeoJsonGcj02Households) {
  TempDir dir;
  // True (WGS84 ≈ CGCS2000) positions; the file holds their GCJ-02 shifts, as an app would send.
  const std::vector<spatial::LonLat> truth = {
      {119.9712, 30.5431}, {119.9788, 30.5502}, {119.9655, 30.5377}, {0, 0}, {120.2500, 30.7000}};
  auto gcj = [&](std::size_t i) { return spatial::wgs84_to_gcj02(truth[i]); };
  auto pt = [&](std::size_t i) {
    return "POINT (" + num(gcj(i).lon) + " " + num(gcj(i).lat) + ")";
  };
  const fs::path src = dir / "households.geojson";
  write_layer(src, "GeoJSON", "households", 4326, wkbUnknown,
              {{"id"},
               {"address"},
               {"members", OFTInteger},
               {"flags"},
               {"elderly_alone", OFTInteger},
               {"楼栋"}},
              {
                  {{{"id", "H1"},
                    {"address", "武康街道 城东村 12号"},
                    {"members", "4"},
                    {"flags", "rental,migrants"},
                    {"elderly_alone", "0"},
                    {"楼栋", "3幢"}},
                   pt(0)},
                  {{{"id", "H2"},
                    {"address", "城东村 8号"},
                    {"members", "1"},
                    {"flags", ""},
                    {"elderly_alone", "1"},
                    {"楼栋", "1幢"}},
                   pt(1)},
                  {{{"id", "H3"},
                    {"address", "城东村 30号"},
                    {"members", "2"},
                    {"flags", "出租房"},
                    {"elderly_alone", "0"}},
                   pt(2)},
                  {{{"id", "H4"}, {"address", "not a point"}, {"members", "3"}},
                   "POLYGON ((119.97 30.54,119.98 30.54,119.98 30.55,119.97 30.54))"},
                  {{{"id", "H5"}, {"address", "far away"}, {"members", "2"}}, pt(4)},
              });

  auto store = open_store((dir / "s.gpkg").string(), true);
  {  // One grid around the first three households.
    Dataset g;
    Grid grid;
    grid.code = "330521001001001";
    grid.level = GridLevel::Grid;
    grid.parent_code = "330521001001";
    spatial::Polygon p;
    p.outer() = {{119.95, 30.52}, {120.0, 30.52}, {120.0, 30.57}, {119.95, 30.57}, {119.95, 30.52}};
    spatial::bg::correct(p);
    grid.geometry = {p};
    g.grids = {grid};
    store->append(LayerKind::Grids, g);
  }
  ImportOptions o;
  o.layer = LayerKind::Households;
  o.source = src.string();
  o.src_crs = "GCJ02";
  auto r = import_layer(*store, o);
  EXPECT_TRUE(counts(r, 5, 4, 1, 0));
  EXPECT_TRUE(
      is_issue(find_issue(r, IssueKind::Rejected), 3, "H4", Reason::Is, "not a point: Polygon"));
  EXPECT_EQ(r.join.contained, 3u);
  EXPECT_EQ(r.join.unassigned, 1u);
  ASSERT_EQ(count_issues(r, IssueKind::Unassigned), 1u);
  EXPECT_TRUE(is_issue(find_issue(r, IssueKind::Unassigned), 4, "H5"));
  EXPECT_NE(r.source_crs.find("GCJ02"), std::string::npos);

  Dataset d = store->load();
  ASSERT_EQ(d.households.size(), 4u);
  for (const auto& h : d.households) {
    const std::size_t i = static_cast<std::size_t>(h.id[1] - '1');
    ASSERT_LT(i, truth.size());
    EXPECT_LT(local_metres(h.location.lon, h.location.lat, truth[i].lon, truth[i].lat), 0.1)
        << h.id;
    if (i < 3) {
      EXPECT_EQ(h.join.grid_code, "330521001001001");
      EXPECT_EQ(h.join.kind, JoinKind::Contained);
    }
  }
  auto hh = [&](const std::string& id) {
    for (const auto& h : d.households)
      if (h.id == id) return h;
    ADD_FAILURE() << "no household " << id;
    return Household{};
  };
  EXPECT_EQ(hh("H1").address, "武康街道 城东村 12号");
  EXPECT_EQ(hh("H1").members, 4);
  EXPECT_EQ(hh("H1").flags, kRental | kMigrants);
  EXPECT_EQ(hh("H2").flags, kElderlyAlone);
  EXPECT_EQ(hh("H3").flags, kRental);
  const auto extra = nlohmann::json::parse(hh("H1").extra);
  EXPECT_EQ(extra.at("楼栋"), "3幢");
  EXPECT_EQ(extra.size(), 1u) << hh("H1").extra;

  // Control: taken at face value (GDAL says WGS84) the same file is off by hundreds of metres.
  auto plain = open_store((dir / "plain.gpkg").string(), true);
  ImportOptions face = o;
  face.src_crs.clear();
  import_layer(*plain, face);
  for (const auto& h : plain->load().households) {
    const std::size_t i = static_cast<std::size_t>(h.id[1] - '1');
    EXPECT_GT(local_metres(h.location.lon, h.location.lat, truth[i].lon, truth[i].lat), 100.0);
  }
}

TEST(Import, GeoJsonGridWithUnreadableRingIsRejected) {
  TempDir dir;
  const fs::path src = dir / "grids.geojson";
  // A two-point "ring" is no polygon GEOS can read; GDAL passes it through.
  std::ofstream(src) << R"({"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"330521001001001","name":"一号网格"},"geometry":{"type":"Polygon","coordinates":[[[119.96,30.53],[119.97,30.53],[119.97,30.54],[119.96,30.54],[119.96,30.53]]]}},
{"type":"Feature","properties":{"code":"330521001001002","name":"二号网格"},"geometry":{"type":"Polygon","coordinates":[[[119.97,30.53],[119.98,30.54]]]}},
{"type":"Feature","properties":{"code":"330521001001003","name":"三号网格"},"geometry":{"type":"LineString","coordinates":[[119.98,30.53],[119.99,30.54]]}},
{"type":"Feature","properties":{"code":"330521001001004","name":"四号网格"},"geometry":{"type":"Polygon","coordinates":[[[119.98,30.53],[119.99,30.53],[119.99,30.54],[119.98,30.54],[119.98,30.53]]]}}
]})";
  auto store = open_store((dir / "s.gpkg").string(), true);
  ImportOptions o;
  o.source = src.string();
  auto r = import_layer(*store, o);
  ASSERT_TRUE(counts(r, 4, 2, 2, 0));
  EXPECT_TRUE(
      is_issue(&r.issues.at(0), 1, "330521001001002", Reason::StartsWith, "unreadable geometry"));
  EXPECT_TRUE(
      is_issue(&r.issues.at(1), 2, "330521001001003", Reason::Is, "not a polygon: Line String"));
  Dataset d = store->load();
  ASSERT_EQ(d.grids.size(), 2u);
  EXPECT_EQ(grid_by_code(d, "330521001001004")->name, "四号网格");
  expect_same_vertices(grid_by_code(d, "330521001001001")->geometry,
                       {{119.96, 30.53}, {119.97, 30.53}, {119.97, 30.54}, {119.96, 30.54}}, 1e-12);
}

// ---- GeoPackage in Web Mercator with a bowtie ------------------------------------------------

TEST(Import, GeoPackageBowtieIsRepaired) {
  TempDir dir;
  const fs::path src = dir / "src.gpkg";
  // Web Mercator metres near Deqing (x ≈ 13.357e6, y ≈ 3.57e6).
  const double x0 = 13356000, y0 = 3572000;
  write_layer(src, "GPKG", "other", 3857, wkbPoint, {{"x"}}, {{{{"x", "1"}}, "POINT (1 2)"}});
  write_layer(
      src, "GPKG", "villages", 3857, wkbPolygon, {{"DM"}, {"MC"}, {"BZ"}},
      {
          {{{"DM", "330521001001"}, {"MC", "城东村"}, {"BZ", "x"}},
           rect_wkt(x0, y0, x0 + 1000, y0 + 1000)},
          {{{"DM", "330521001002"}, {"MC", "城西村"}},
           rect_wkt(x0 + 1000, y0, x0 + 2000, y0 + 1000)},
          // Bowtie: (x0,y0+1500) → (x0+1000,y0+2500) → (x0+1000,y0+1500) → (x0,y0+2500).
          {{{"DM", "330521001003"}, {"MC", "蝴蝶村"}},
           ring_wkt(
               {{x0, y0 + 1500}, {x0 + 1000, y0 + 2500}, {x0 + 1000, y0 + 1500}, {x0, y0 + 2500}})},
          {{{"DM", "330521001004"}, {"MC", "城北村"}},
           rect_wkt(x0 + 1000, y0 + 1500, x0 + 2000, y0 + 2500)},
      },
      {}, /*add_layer=*/true);

  auto store = open_store((dir / "s.gpkg").string(), true);
  ImportOptions o;
  o.source = src.string();
  o.source_layer = "villages";
  o.field_map = {{"code", "DM"}, {"name", "mc"}};
  auto r = import_layer(*store, o);
  EXPECT_TRUE(counts(r, 4, 4, 0, 1));
  EXPECT_TRUE(is_issue(find_issue(r, IssueKind::Repaired), 2, "330521001003", Reason::Contains,
                       "Self-intersection"));
  EXPECT_NE(r.source_crs.find("EPSG:3857"), std::string::npos) << r.source_crs;

  Dataset d = store->load();
  ASSERT_EQ(d.grids.size(), 4u);
  EXPECT_EQ(grid_by_code(d, "330521001003")->name, "蝴蝶村");
  expect_same_vertices(grid_by_code(d, "330521001002")->geometry,
                       rect_4490(3857, x0 + 1000, y0, x0 + 2000, y0 + 1000), 1e-9);

  // The repaired bowtie is its two triangles, repaired where it was drawn (Web Mercator: the
  // edges cross at the square's centre) and then transformed; corners and apex by OGR.
  const auto a = ogr_to_4490(3857, x0, y0 + 1500), b = ogr_to_4490(3857, x0 + 1000, y0 + 2500);
  const auto c = ogr_to_4490(3857, x0 + 1000, y0 + 1500), e = ogr_to_4490(3857, x0, y0 + 2500);
  const auto m = ogr_to_4490(3857, x0 + 500, y0 + 2000);
  auto tri = [](spatial::Point p, spatial::Point q, spatial::Point s) {
    return std::fabs((q.x() - p.x()) * (s.y() - p.y()) - (s.x() - p.x()) * (q.y() - p.y())) / 2;
  };
  const double want = tri(a, m, e) + tri(m, b, c);
  const auto& bow = grid_by_code(d, "330521001003")->geometry;
  EXPECT_EQ(bow.size(), 2u);
  EXPECT_NEAR(spatial::bg::area(bow), want, want * 1e-9);
  expect_same_vertices(bow, {a, m, e, m, b, c}, 1e-9);

  // Hierarchy: four villages at the top level, no overlaps (the bowtie's right triangle shares
  // an edge with 城北村, which is no overlap).
  ASSERT_TRUE(r.hierarchy.has_value());
  for (const auto& p : r.hierarchy->problems) ADD_FAILURE() << "hierarchy: " << p.detail;
}

// ---- CSV with lon/lat ------------------------------------------------------------------------

namespace {

int64_t utc(int y, int mo, int d, int h, int mi, int s) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(timegm(&tm));
}

const char* kIncidentsCsv =
    "Unique Key,Created Date,Status,Complaint Type,描述,Longitude,Latitude\n"
    "A100,2025-03-24 23:33:07,reported,safety_hazard,路灯不亮,119.9712,30.5431\n"
    "A101,2025-03-24 08:00:00,closed,dispute,\"邻里纠纷, 已调解\",119.9788,30.5502\n"
    "A102,2025-03-25T01:02:03Z,reported,public_request,无坐标,,\n"
    "A103,2025-03-25 10:00:00,dispatched,garbage,垃圾堆放,119.9655,30.5377\n";

}  // namespace

TEST(Import, CsvIncidentsWithLonLat) {
  TempDir dir;
  const fs::path src = dir / "incidents.csv";
  std::ofstream(src) << kIncidentsCsv;
  auto store = open_store((dir / "s.gpkg").string(), true);
  ImportOptions o;
  o.layer = LayerKind::Incidents;
  o.source = src.string();
  o.field_map = {{"id", "Unique Key"},
                 {"reported_at", "Created Date"},
                 {"category", "Complaint Type"},
                 {"description", "描述"}};
  auto r = import_layer(*store, o);
  EXPECT_TRUE(counts(r, 4, 3, 0, 0));
  ASSERT_EQ(count_issues(r, IssueKind::NoLocation), 1u) << describe(r);
  EXPECT_TRUE(is_issue(find_issue(r, IssueKind::NoLocation), 2, "A102"));
  // No CRS in a CSV: WGS84 assumed, and said so.
  EXPECT_NE(r.source_crs.find("EPSG:4326"), std::string::npos);
  bool noted = false;
  for (const auto& n : r.notes) noted |= n.find("no CRS") != std::string::npos;
  EXPECT_TRUE(noted) << describe(r);
  // No grids yet: everything unassigned, said once rather than per point.
  EXPECT_EQ(r.join.unassigned, 3u);
  EXPECT_EQ(count_issues(r, IssueKind::Unassigned), 0u);

  Dataset d = store->load();
  ASSERT_EQ(d.incidents.size(), 3u);
  const Incident* a100 = nullptr;
  const Incident* a101 = nullptr;
  for (const auto& i : d.incidents) {
    if (i.id == "A100") a100 = &i;
    if (i.id == "A101") a101 = &i;
  }
  ASSERT_NE(a100, nullptr);
  ASSERT_NE(a101, nullptr);
  EXPECT_NEAR(a100->location.lon, 119.9712, 1e-9);
  EXPECT_NEAR(a100->location.lat, 30.5431, 1e-9);
  EXPECT_EQ(a100->category, "safety_hazard");
  EXPECT_EQ(a100->description, "路灯不亮");
  EXPECT_EQ(a101->description, "邻里纠纷, 已调解");
  EXPECT_EQ(a100->status, "reported");  // same-named field, no mapping needed
  // Beijing time when the text has no offset: 23:33:07 +08:00 = 15:33:07Z.
  EXPECT_EQ(a100->reported_at, utc(2025, 3, 24, 15, 33, 7));
  EXPECT_EQ(a100->closed_at, 0);
  EXPECT_EQ(a100->extra, "");
}

TEST(Import, CsvCoordinateColumnsByFieldMapAndGbkText) {
  TempDir dir;
  const fs::path src = dir / "gbk.csv";
  std::ofstream(src) << to_gbk(
      "编号,east,north,描述\n"
      "B1,119.9712,30.5431,路灯不亮\n"
      "B2,119.9788,30.5502,井盖缺失\n"
      "B3,abc,30.5502,坐标错误\n");
  auto store = open_store((dir / "s.gpkg").string(), true);
  ImportOptions o;
  o.layer = LayerKind::Incidents;
  o.source = src.string();
  o.encoding = "GBK";
  o.field_map = {{"id", "编号"}, {"description", "描述"}};
  // east/north are not recognised as coordinates by name.
  try {
    import_layer(*store, o);
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.parameter(), "field-map");
    EXPECT_NE(e.detail().find("lon=COLUMN"), std::string::npos) << e.what();
  }
  o.field_map["lon"] = "east";
  o.field_map["lat"] = "north";
  auto r = import_layer(*store, o);
  ASSERT_TRUE(counts(r, 3, 2, 1, 0));
  EXPECT_TRUE(is_issue(&r.issues.at(0), 2, "B3", Reason::Is, "lon: not a number 'abc'"));
  Dataset d = store->load();
  ASSERT_EQ(d.incidents.size(), 2u);
  EXPECT_EQ(d.incidents[0].id, "B1");
  EXPECT_EQ(d.incidents[0].description, "路灯不亮");
  EXPECT_EQ(d.incidents[1].description, "井盖缺失");
  EXPECT_NEAR(d.incidents[1].location.lon, 119.9788, 1e-9);
  EXPECT_NEAR(d.incidents[1].location.lat, 30.5502, 1e-9);
}

// ---- FileGDB in EPSG:4528 ---------------------------------------------------------------------

TEST(Import, FileGdbZeroAreaRingIsRejected) {
  TempDir dir;
  const fs::path src = dir / "grids.gdb";
  // EPSG:4528: the same zone as 4549 with the zone number 40 prefixed to the easting.
  const double x0 = 40000000 + kX0, y0 = kY0;
  write_layer(src, "OpenFileGDB", "grids", 4528, wkbMultiPolygon, {{"code"}, {"name"}},
              {
                  {{{"code", "330521001001001"}, {"name", "城东村第一网格"}},
                   rect_wkt(x0, y0, x0 + 500, y0 + 500)},
                  {{{"code", "330521001001002"}, {"name", "城东村第二网格"}},
                   rect_wkt(x0 + 500, y0, x0 + 1000, y0 + 500)},
                  {{{"code", "330521001001003"}, {"name", "一条线"}},
                   ring_wkt({{x0, y0 + 600}, {x0 + 500, y0 + 600}, {x0 + 1000, y0 + 600}})},
                  {{{"code", "330521001001004"}, {"name", "城东村第四网格"}},
                   rect_wkt(x0, y0 + 500, x0 + 1000, y0 + 1000)},
              });
  auto store = open_store((dir / "s.gpkg").string(), true);
  ImportOptions o;
  o.source = src.string();
  auto r = import_layer(*store, o);
  EXPECT_TRUE(counts(r, 4, 3, 1, 0));
  EXPECT_TRUE(is_issue(find_issue(r, IssueKind::Rejected), 2, "330521001001003", Reason::Contains,
                       "nothing is left after repair"));
  EXPECT_NE(r.source_crs.find("EPSG:4528"), std::string::npos) << r.source_crs;

  Dataset d = store->load();
  ASSERT_EQ(d.grids.size(), 3u);
  const Grid* g4 = grid_by_code(d, "330521001001004");
  ASSERT_NE(g4, nullptr);
  EXPECT_EQ(g4->name, "城东村第四网格");
  EXPECT_EQ(g4->level, GridLevel::Grid);
  EXPECT_EQ(g4->parent_code, "330521001001");  // from the code: no parent field in the source
  expect_same_vertices(g4->geometry, rect_4490(4528, x0, y0 + 500, x0 + 1000, y0 + 1000), 1e-9);
  // 4528 and 4549 are the same projection but for the zone prefix.
  const auto same = ogr_to_4490(4549, kX0, kY0 + 500);
  EXPECT_NEAR(ogr_to_4490(4528, x0, y0 + 500).x(), same.x(), 1e-9);
  EXPECT_NEAR(g4->area_m2, 1000.0 * 500.0, 0.5);
}

// ---- options, errors, rejoin -----------------------------------------------------------------

namespace {

fs::path write_small_csv(const TempDir& dir) {
  fs::path src = dir / "p.csv";
  std::ofstream(src) << "id,lon,lat,name\nW1,119.97,30.54,张三\n";
  return src;
}

}  // namespace

TEST(Import, BadOptionsAreInvalidArguments) {
  TempDir dir;
  const fs::path src = write_small_csv(dir);
  auto store = open_store((dir / "s.gpkg").string(), true);
  ImportOptions o;
  o.layer = LayerKind::Workers;
  o.source = src.string();
  o.field_map = {{"worker_id", "id"}};

  auto expect_invalid = [&](const ImportOptions& opt, const std::string& param,
                            const std::vector<std::string>& mentions) {
    try {
      import_layer(*store, opt);
      ADD_FAILURE() << "expected InvalidArgument(" << param << ")";
    } catch (const InvalidArgument& e) {
      EXPECT_EQ(e.parameter(), param) << e.what();
      for (const auto& m : mentions)
        EXPECT_NE(std::string(e.what()).find(m), std::string::npos) << e.what();
    }
  };
  {
    auto bad = o;
    bad.field_map["colour"] = "name";
    expect_invalid(bad, "field-map", {"colour", "worker_id"});
  }
  {
    auto bad = o;
    bad.field_map["role"] = "job";
    expect_invalid(bad, "field-map", {"job", "name"});
  }
  {
    auto bad = o;
    bad.source_layer = "nope";
    expect_invalid(bad, "src-layer", {"nope", "p"});
  }
  {
    auto bad = o;
    bad.src_crs = "EPSG:999999";
    expect_invalid(bad, "src-crs", {"EPSG:999999"});
  }
  {
    auto bad = o;
    bad.source = (dir / "missing.geojson").string();
    expect_invalid(bad, "source", {"missing.geojson"});
  }
  {
    auto bad = o;
    bad.encoding = "NO-SUCH-ENCODING";
    expect_invalid(bad, "encoding", {"NO-SUCH-ENCODING"});
  }
  // Nothing was written by the failed attempts; the good one loads.
  EXPECT_TRUE(store->load().workers.empty());
  auto r = import_layer(*store, o);
  EXPECT_EQ(r.loaded, 1u) << describe(r);
  Dataset d = store->load();
  ASSERT_EQ(d.workers.size(), 1u);
  EXPECT_EQ(d.workers[0].worker_id, "W1");
  EXPECT_EQ(d.workers[0].name, "张三");
}

TEST(Import, GridsImportRejoinsPointsAndReplaceWorks) {
  TempDir dir;
  auto store = open_store((dir / "s.gpkg").string(), true);
  // Points first: no grids, unassigned.
  ImportOptions p;
  p.layer = LayerKind::Workers;
  p.source = write_small_csv(dir).string();
  p.field_map = {{"worker_id", "id"}};
  import_layer(*store, p);
  ASSERT_EQ(store->load().workers.at(0).join.kind, JoinKind::Unassigned);

  const fs::path grids = dir / "g.geojson";
  std::ofstream(grids) << R"({"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"330521001001001"},"geometry":{"type":"Polygon","coordinates":[[[119.96,30.53],[119.98,30.53],[119.98,30.55],[119.96,30.55],[119.96,30.53]]]}}]})";
  ImportOptions g;
  g.source = grids.string();
  auto r = import_layer(*store, g);
  EXPECT_EQ(r.loaded, 1u) << describe(r);
  EXPECT_EQ(r.join.contained, 1u);
  Dataset d = store->load();
  EXPECT_EQ(d.workers.at(0).join.grid_code, "330521001001001");
  EXPECT_EQ(d.workers.at(0).join.kind, JoinKind::Contained);

  // Again without --replace: the code is taken.
  r = import_layer(*store, g);
  EXPECT_EQ(r.loaded, 0u);
  ASSERT_EQ(r.rejected, 1u);
  EXPECT_NE(r.issues.at(0).reason.find("duplicate code"), std::string::npos) << r.issues[0].reason;
  EXPECT_EQ(store->load().grids.size(), 1u);
  // With --replace: loads again, still one grid.
  g.replace = true;
  r = import_layer(*store, g);
  EXPECT_EQ(r.loaded, 1u) << describe(r);
  EXPECT_EQ(store->load().grids.size(), 1u);
}
