// The demo county generator (demo.hpp): Deqing (德清县, 330521) from its real outline and real
// division codes, with synthetic inner boundaries and synthetic point layers.
//
// One file of about 1,500 lines on purpose: the generator is one seeded sequence of steps (outline,
// towns, villages, grids, then each point layer), each drawing from its own stream; read top to
// bottom it is the order of the draws, which is what keeps the demo county identical everywhere.
//
// Inputs (options.data_dir, each looked up in <dir>/deqing/ first, then <dir>/):
//   deqing_county_gcj02.geojson  the county outline, GCJ-02 lon/lat (converted here to CGCS2000)
//   divisions.csv                code,name,level,parent_code (county, 13 towns, 177 villages)
//   categories.csv               incident categories with weights (see data/README.md)
//
// Determinism. Every random draw comes from std::mt19937_64 (whose output sequence the C++
// standard fixes) through distributions written out here (uniform from the top 53 bits,
// Box-Muller normals, inverse-CDF discrete draws), never through std:: distributions, whose
// algorithms differ between standard libraries. Each step draws from its own stream, seeded from
// (options.seed, step). So the same seed, end time, scale, counts and input files give identical
// records, every attribute and coordinate bit for bit, on every run (floating-point results are
// bit-identical with the same libm). end_time 0 means today 00:00 Asia/Shanghai from the clock:
// pass an explicit end date (`onemap demo --end-date`) to reproduce a dataset on a later day.
//
// Steps and the rules they follow:
//  1. County: the outline, every vertex converted GCJ-02 → WGS84 (≈ CGCS2000).
//  2. Towns: 13 seeds drawn uniformly inside the county (the county seat 武康街道 pinned near
//     119.96E 30.54N), two Lloyd iterations, Voronoi cells clipped to the county. Real town codes
//     are matched to cells greedily by distance from each town's approximate real location, so
//     each town lies roughly where it really is.
//  3. Villages: per town, as many uniform seeds as it has villages, two Lloyd iterations,
//     Voronoi clipped to the town; communities (居委会) take the cells nearest the town centre.
//  4. Households: a mixture of Gaussians around town centres (55%, county seat heavier) and
//     village centres (15%) and a uniform share over the county (30%), all inside the county.
//  5. Grids: per village k = max(1, round(households / (households_total / target_grids))),
//     seeds from k-means++ with 3 Lloyd iterations on the village's households, Voronoi clipped
//     to the village. Numbering (the 3-digit suffix after the village code) is reading order:
//     with k cells, r = max(1, round(sqrt(k))) rows; cells are sorted by centroid latitude, north
//     first, and cut into r consecutive rows (the first k mod r rows one cell longer); within a
//     row, west to east by centroid longitude; numbered 001, 002, … in that order.
//  6. Areas in m² for every polygon (spatial::area_m2).
//  7. Enterprises clustered around town centres and seeded industrial parks.
//  8. Grid teams "1+3+N": every grid has a grid head, a full-time worker and an auxiliary police
//     officer; grids with an odd sequence number get a cadre; part-time workers go to the grids
//     with the most households until the county has 4 members per grid.
//  9. Incidents over the 365 days before end_time, near households (85%) and enterprises (15%),
//     with weekly and daily rhythm, a mild upward trend and three emerging hot spots (one
//     category rising in one grid) in the last 30 days.
// 10. Every point layer joined to the grids (GridJoiner).
#include "tools/demo/demo.hpp"

#include "tools/demo/demo_trails.hpp"

#include "layers/dispatch/dispatch_config.hpp"

#include "core/errors.hpp"
#include "core/time.hpp"
#include "layers/model/join.hpp"
#include "spatial/chinacrs.hpp"
#include "spatial/crs.hpp"
#include "spatial/geos_ops.hpp"
#include "spatial/polygon_index.hpp"
#include "spatial/predicates.hpp"

#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <unordered_map>

namespace onemap::layers {

namespace {

namespace fs = std::filesystem;
using spatial::Point;

constexpr double kPi = 3.14159265358979323846;
constexpr int64_t kDay = core::kSecondsPerDay;
constexpr int64_t kChinaOffset = 8 * 3600;  // Asia/Shanghai, no daylight saving
constexpr int64_t kWindowDays = 365;        // incidents cover the 365 days before end_time

// ---------------------------------------------------------------------------------------------
// Random numbers

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// One deterministic random stream (see the file header).
class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream) : engine_(splitmix64(seed ^ splitmix64(stream))) {}

  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  /// Uniform integer in [0, n), unbiased. n > 0.
  uint64_t below(uint64_t n) {
    const uint64_t threshold = (0 - n) % n;
    for (;;) {
      uint64_t x = engine_();
      if (x >= threshold) return x % n;
    }
  }
  int between(int lo, int hi) {
    return lo + static_cast<int>(below(static_cast<uint64_t>(int64_t{hi} - lo + 1)));
  }
  bool chance(double p) { return uniform() < p; }
  /// Standard normal (Box-Muller, the second value kept for the next call).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2 * kPi * u2);
    has_spare_ = true;
    return r * std::cos(2 * kPi * u2);
  }
  /// Poisson by inversion (small means only).
  int poisson(double mean) {
    const double u = uniform();
    double p = std::exp(-mean), cdf = p;
    int k = 0;
    while (u >= cdf && k < 100) {
      ++k;
      p *= mean / k;
      cdf += p;
    }
    return k;
  }

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0;
};

/// Draws an index with probability proportional to its weight (inverse CDF).
class Discrete {
 public:
  Discrete() = default;
  explicit Discrete(const std::vector<double>& weights) {
    cumulative_.reserve(weights.size());
    double sum = 0;
    for (double w : weights) cumulative_.push_back(sum += std::max(0.0, w));
  }
  bool empty() const { return cumulative_.empty() || cumulative_.back() <= 0; }
  std::size_t draw(Rng& rng) const {
    const double u = rng.uniform() * cumulative_.back();
    auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
    std::size_t i = static_cast<std::size_t>(it - cumulative_.begin());
    return std::min(i, cumulative_.size() - 1);
  }

 private:
  std::vector<double> cumulative_;
};

// Stream numbers: one per step, so that changing one step leaves the others' draws unchanged.
enum Stream : uint64_t {
  kTownStream = 1,
  kVillageStream,
  kHouseholdStream,
  kGridStream,
  kEnterpriseStream,
  kWorkerStream,
  kIncidentStream,
  kAddressStream,  // after the others: adding it changed none of theirs
};

// ---------------------------------------------------------------------------------------------
// Small utilities

class Stopwatch {
 public:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string zero_pad(uint64_t v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llu", width, static_cast<unsigned long long>(v));
  return buf;
}

/// Local (UTC+8) day number of a Unix time.
int64_t local_day(int64_t t) {
  return core::day_of(t + kChinaOffset);
}

/// "YYYY-MM-DD" of a local day number.
std::string iso_date(int64_t day) {
  char text[19];
  core::write_iso8601(text, day * kDay);
  return std::string(text, 10);
}

int local_year(int64_t t) {
  return static_cast<int>(core::civil_from_days(local_day(t)).year());
}

/// Metres per degree around the county (local equirectangular approximation; only used to scale
/// synthetic jitter and k-means distances, never for stored measurements).
struct LocalScale {
  double m_per_deg_lon = 0;
  double m_per_deg_lat = 0;
  explicit LocalScale(double lat0)
      : m_per_deg_lon(111320.0 * std::cos(lat0 * kPi / 180.0)), m_per_deg_lat(110900.0) {}
  Point offset(Point c, double east_m, double north_m) const {
    return Point(c.x() + east_m / m_per_deg_lon, c.y() + north_m / m_per_deg_lat);
  }
  double dist2(Point a, Point b) const {
    const double dx = (a.x() - b.x()) * m_per_deg_lon, dy = (a.y() - b.y()) * m_per_deg_lat;
    return dx * dx + dy * dy;
  }
};

LonLat to_lonlat(Point p) {
  return LonLat{p.x(), p.y()};
}

// ---------------------------------------------------------------------------------------------
// Inputs

struct Division {
  std::string code, name, level, parent_code;
};

/// The path of `name` under data_dir/deqing/ or data_dir/. @throws Error when neither exists.
std::string find_input(const std::string& data_dir, const std::string& name, bool deqing) {
  std::vector<fs::path> candidates;
  if (deqing) candidates.push_back(fs::path(data_dir) / "deqing" / name);
  candidates.push_back(fs::path(data_dir) / name);
  for (const auto& c : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(c, ec)) return c.string();
  }
  std::string tried;
  for (const auto& c : candidates) tried += (tried.empty() ? "" : ", ") + c.string();
  throw Error("demo: input file " + name + " not found (looked at " + tried +
              "); pass the data directory with --data-dir or ONEMAP_DATA_DIR");
}

std::vector<Division> read_divisions(const std::string& path) {
  std::vector<Division> out;
  for (auto& row : read_csv_table(path, {"code", "name", "level", "parent_code"}))
    out.push_back({row["code"], row["name"], row["level"], row["parent_code"]});
  return out;
}

void ring_from_ogr(const OGRLinearRing& in, spatial::Ring& out) {
  out.clear();
  out.reserve(static_cast<std::size_t>(in.getNumPoints()));
  for (int i = 0; i < in.getNumPoints(); ++i) out.emplace_back(in.getX(i), in.getY(i));
}

void add_ogr_polygon(const OGRPolygon& in, MultiPolygon& out) {
  if (in.IsEmpty()) return;
  spatial::Polygon poly;
  ring_from_ogr(*in.getExteriorRing(), poly.outer());
  for (int i = 0; i < in.getNumInteriorRings(); ++i) {
    poly.inners().emplace_back();
    ring_from_ogr(*in.getInteriorRing(i), poly.inners().back());
  }
  out.push_back(std::move(poly));
}

/// Every polygon of every feature of the file's first layer, coordinates as stored.
MultiPolygon read_outline(const std::string& path) {
  GDALAllRegister();
  std::unique_ptr<GDALDataset, void (*)(GDALDataset*)> ds(
      GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr),
      [](GDALDataset* d) { GDALClose(d); });
  if (!ds || ds->GetLayerCount() < 1)
    throw Error("demo: cannot open " + path + ": " + CPLGetLastErrorMsg());
  OGRLayer* layer = ds->GetLayer(0);
  MultiPolygon out;
  layer->ResetReading();
  while (OGRFeature* raw = layer->GetNextFeature()) {
    std::unique_ptr<OGRFeature, void (*)(OGRFeature*)> feature(raw, OGRFeature::DestroyFeature);
    const OGRGeometry* g = feature->GetGeometryRef();
    if (!g) continue;
    switch (wkbFlatten(g->getGeometryType())) {
      case wkbPolygon:
        add_ogr_polygon(*g->toPolygon(), out);
        break;
      case wkbMultiPolygon:
        for (const OGRPolygon* p : *g->toMultiPolygon()) add_ogr_polygon(*p, out);
        break;
      default:
        break;
    }
  }
  if (out.empty()) throw Error("demo: " + path + " holds no polygon");
  return out;
}

/// GCJ-02 → WGS84 (≈ CGCS2000) for every vertex, then orientation fixed and validity ensured.
MultiPolygon gcj02_outline_to_cgcs2000(MultiPolygon mp) {
  auto convert = [](spatial::Ring& ring) {
    for (auto& p : ring) {
      LonLat w = spatial::gcj02_to_wgs84(LonLat{p.x(), p.y()});
      p = Point(w.lon, w.lat);
    }
  };
  for (auto& poly : mp) {
    convert(poly.outer());
    for (auto& inner : poly.inners()) convert(inner);
  }
  spatial::bg::correct(mp);
  if (!spatial::check_validity(mp).valid) mp = spatial::make_valid(mp);
  return mp;
}

// ---------------------------------------------------------------------------------------------
// Geometry helpers

/// A point drawn uniformly inside `area` by rejection from its bounding box.
Point uniform_inside(const MultiPolygon& area, const spatial::Box& box, Rng& rng) {
  for (int tries = 0; tries < 1000000; ++tries) {
    Point p(rng.uniform(box.min_corner().x(), box.max_corner().x()),
            rng.uniform(box.min_corner().y(), box.max_corner().y()));
    if (spatial::multipolygon_contains(area, p)) return p;
  }
  throw Error("demo: could not sample a point inside a polygon (degenerate input?)");
}

/// Moves seeds (except the pinned ones) to the centroids of their clipped Voronoi cells.
void lloyd(std::vector<Point>& seeds, const MultiPolygon& clip, int iterations,
           const std::vector<bool>& pinned) {
  for (int it = 0; it < iterations; ++it) {
    auto cells = spatial::voronoi_cells(seeds, clip);
    for (std::size_t i = 0; i < seeds.size(); ++i) {
      if ((!pinned.empty() && pinned[i]) || cells[i].empty()) continue;
      Point c = spatial::centroid(cells[i]);
      if (!spatial::multipolygon_contains(clip, c)) c = spatial::point_on_surface(cells[i]);
      seeds[i] = c;
    }
  }
}

bool is_empty_area(const MultiPolygon& mp) {
  return mp.empty() || spatial::bg::area(mp) <= 0;
}

/// Approximate real seats of the town governments (CGCS2000 lon/lat), used only to place each
/// town's synthetic cell in the right part of the county.
struct TownAnchor {
  const char* code;
  double lon, lat;
};
constexpr TownAnchor kTownAnchors[] = {
    {"330521001", 119.96, 30.54},  // 武康街道 (county seat)
    {"330521002", 119.93, 30.57},  // 舞阳街道
    {"330521003", 119.95, 30.50},  // 阜溪街道
    {"330521004", 120.05, 30.52},  // 下渚湖街道
    {"330521005", 120.08, 30.58},  // 康乾街道
    {"330521101", 120.11, 30.55},  // 乾元镇
    {"330521102", 120.29, 30.63},  // 新市镇
    {"330521103", 120.07, 30.64},  // 洛舍镇
    {"330521104", 120.17, 30.65},  // 钟管镇
    {"330521110", 120.20, 30.49},  // 雷甸镇
    {"330521113", 120.27, 30.54},  // 禹越镇
    {"330521114", 120.27, 30.69},  // 新安镇
    {"330521115", 119.87, 30.60},  // 莫干山镇
};
constexpr const char* kCountySeatCode = "330521001";

const TownAnchor* find_anchor(const std::string& code) {
  for (const auto& a : kTownAnchors)
    if (code == a.code) return &a;
  return nullptr;
}

/// "居仁社区居委会" → "居仁社区", "对河口村委会" → "对河口村".
std::string short_village_name(const std::string& name) {
  if (std::string_view(name).ends_with("居委会"))
    return name.substr(0, name.size() - std::string("居委会").size());
  if (std::string_view(name).ends_with("委会"))
    return name.substr(0, name.size() - std::string("委会").size());
  return name;
}

bool is_community(const std::string& name) {
  return std::string_view(name).ends_with("居委会") || name.find("社区") != std::string::npos;
}

// ---------------------------------------------------------------------------------------------
// Synthetic personal data (belongs to no one)

constexpr const char* kSurnames[] = {
    "沈", "王", "陈", "张", "李", "徐", "朱", "吴", "姚", "钱", "杨", "周", "金", "费", "蒋",
    "俞", "胡", "孙", "马", "潘", "施", "顾", "陆", "钟", "邱", "章", "丁", "高", "范", "方",
    "黄", "赵", "刘", "郑", "何", "许", "韩", "冯", "曹", "严", "汪", "叶", "程", "卢", "谢"};
constexpr const char* kGivenChars[] = {
    "建", "国", "华", "明", "伟", "芳", "丽", "强", "军", "平", "敏", "静", "秀", "英", "杰",
    "磊", "勇", "燕", "红", "霞", "娟", "涛", "斌", "辉", "亮", "鹏", "玲", "萍", "林", "峰",
    "洁", "琳", "浩", "宇", "晨", "欣", "怡", "婷", "雪", "梅", "兰", "春", "福", "根", "宝",
    "荣", "海", "波", "新", "忠", "德", "永", "金", "桂", "凤", "志", "文", "俊", "佳", "嘉"};
constexpr const char* kStreetNames[] = {
    "英溪路",   "永安街", "千秋路", "志远路", "武源街", "春晖街", "兴康路", "塔山街",
    "德清大道", "长虹街", "云岫路", "余英坊", "北湖街", "环城路", "丰庆街", "文化路"};

template <class T, std::size_t N>
const T& pick(const T (&arr)[N], Rng& rng) {
  return arr[rng.below(N)];
}

std::string synthetic_name(Rng& rng) {
  std::string name = pick(kSurnames, rng);
  name += pick(kGivenChars, rng);
  if (rng.chance(0.7)) name += pick(kGivenChars, rng);
  return name;
}

/// A synthetic mobile number in the 199 block.
std::string synthetic_phone(Rng& rng) {
  return "199" + zero_pad(rng.below(100000000), 8);
}

/// ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID number.
char id_check_char(std::string_view first17) {
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[static_cast<std::size_t>(i)] - '0') * kWeights[i];
  return "10X98765432"[sum % 11];
}

/// A synthetic 18-character ID number: region 330521, birth date, sequence, valid check char.
std::string synthetic_id_number(Rng& rng, int end_year) {
  const int age = rng.between(25, 88);
  std::string s = "330521";
  s += zero_pad(static_cast<uint64_t>(end_year - age), 4);
  s += zero_pad(static_cast<uint64_t>(rng.between(1, 12)), 2);
  s += zero_pad(static_cast<uint64_t>(rng.between(1, 28)), 2);
  s += zero_pad(rng.below(1000), 3);
  s += id_check_char(s);
  return s;
}

// ---------------------------------------------------------------------------------------------
// The generator

struct TownInfo {
  std::size_t division = 0;  // index into divisions
  Point centre{0, 0};        // its seed (inside its cell)
  MultiPolygon cell;
  std::vector<std::size_t> villages;  // indices into Generator::villages_
};

struct VillageInfo {
  std::size_t division = 0;
  std::size_t town = 0;
  Point centre{0, 0};
  MultiPolygon cell;
  std::string short_name;
  bool community = false;
  std::vector<std::size_t> households;  // indices into data.households
};

struct GridInfo {
  std::size_t village = 0;
  std::size_t grid = 0;  // index into data.grids
  std::size_t households = 0;
};

class Generator {
 public:
  Generator(const DemoOptions& options, const std::function<void(const std::string&)>& log)
      : options_(options), log_(log), scale_(LocalScale(30.55)) {
    if (!(options.scale > 0) || !std::isfinite(options.scale))
      throw InvalidArgument("scale", "must be a positive number");
    end_time_ = demo_end_time(options);
    start_time_ = end_time_ - kWindowDays * kDay;
  }

  Dataset run() {
    Stopwatch total;
    load_inputs();
    make_towns();
    make_villages();
    make_households();
    make_grids();
    make_enterprises();
    make_workers();
    make_incidents();
    join_points();
    step_log("done",
             std::to_string(data_.grids.size()) + " grids, " +
                 std::to_string(data_.households.size()) + " households, " +
                 std::to_string(data_.enterprises.size()) + " enterprises, " +
                 std::to_string(data_.incidents.size()) + " incidents, " +
                 std::to_string(data_.workers.size()) + " workers",
             total.seconds());
    return std::move(data_);
  }

 private:
  std::size_t scaled(std::size_t n) const {
    return static_cast<std::size_t>(std::llround(static_cast<double>(n) * options_.scale));
  }

  void step_log(const std::string& step, const std::string& what, double seconds) {
    if (log_) log_("demo: " + step + ": " + what + " (" + fixed(seconds, 2) + " s)");
  }

  // --- inputs and county ---------------------------------------------------------------------

  void load_inputs() {
    Stopwatch sw;
    const std::string outline_path =
        find_input(options_.data_dir, "deqing_county_gcj02.geojson", true);
    const std::string divisions_path = find_input(options_.data_dir, "divisions.csv", true);
    const std::string categories_path = find_input(options_.data_dir, "categories.csv", false);
    divisions_ = read_divisions(divisions_path);
    categories_ = read_categories_csv(categories_path);
    // The working calendar of the deadlines, when the data directory has the dispatch
    // configuration.
    {
      std::error_code ec;
      const fs::path config = fs::path(options_.data_dir) / "dispatch.json";
      if (fs::is_regular_file(config, ec))
        calendar_ = DispatchConfig::load(config.string()).calendar;
    }

    std::size_t counties = 0;
    for (std::size_t i = 0; i < divisions_.size(); ++i) {
      const auto& d = divisions_[i];
      if (d.level == "county") {
        ++counties;
        county_division_ = i;
      }
    }
    if (counties != 1)
      throw Error("demo: " + divisions_path + ": expected exactly one county row, found " +
                  std::to_string(counties));
    const std::string& county_code = divisions_[county_division_].code;
    for (std::size_t i = 0; i < divisions_.size(); ++i) {
      const auto& d = divisions_[i];
      if (d.level == "town") {
        if (d.parent_code != county_code || d.code.size() != 9 || d.code.rfind(county_code, 0) != 0)
          throw Error("demo: " + divisions_path + ": town " + d.code + " does not belong to " +
                      county_code);
        TownInfo t;
        t.division = i;
        towns_.push_back(std::move(t));
      }
    }
    std::sort(towns_.begin(), towns_.end(), [&](const TownInfo& a, const TownInfo& b) {
      return divisions_[a.division].code < divisions_[b.division].code;
    });
    if (towns_.empty()) throw Error("demo: " + divisions_path + ": no towns");
    std::unordered_map<std::string, std::size_t> town_by_code;
    for (std::size_t t = 0; t < towns_.size(); ++t)
      town_by_code[divisions_[towns_[t].division].code] = t;
    std::vector<std::size_t> village_divisions;
    for (std::size_t i = 0; i < divisions_.size(); ++i)
      if (divisions_[i].level == "village") village_divisions.push_back(i);
    std::sort(
        village_divisions.begin(), village_divisions.end(),
        [&](std::size_t a, std::size_t b) { return divisions_[a].code < divisions_[b].code; });
    for (std::size_t i : village_divisions) {
      const auto& d = divisions_[i];
      auto it = town_by_code.find(d.parent_code);
      if (it == town_by_code.end() || d.code.size() != 12 || d.code.rfind(d.parent_code, 0) != 0)
        throw Error("demo: " + divisions_path + ": village " + d.code + " has no town " +
                    d.parent_code);
      VillageInfo v;
      v.division = i;
      v.town = it->second;
      v.short_name = short_village_name(d.name);
      v.community = is_community(d.name);
      towns_[it->second].villages.push_back(villages_.size());
      villages_.push_back(std::move(v));
    }

    MultiPolygon gcj = read_outline(outline_path);
    county_ = gcj02_outline_to_cgcs2000(std::move(gcj));
    county_box_ = spatial::envelope(county_);
    Grid g;
    g.code = county_code;
    g.name = divisions_[county_division_].name;
    g.level = GridLevel::County;
    g.geometry = county_;
    g.synthetic = false;
    data_.grids.push_back(std::move(g));
    step_log("county",
             divisions_[county_division_].name + " outline " +
                 std::to_string(spatial::bg::num_points(county_)) +
                 " vertices converted GCJ-02 to CGCS2000, " + std::to_string(towns_.size()) +
                 " towns, " + std::to_string(villages_.size()) + " villages, " +
                 std::to_string(categories_.size()) + " incident categories",
             sw.seconds());
  }

  // --- towns -----------------------------------------------------------------------------------

  void make_towns() {
    Stopwatch sw;
    Rng rng(options_.seed, kTownStream);
    const std::size_t n = towns_.size();
    std::vector<Point> seeds;
    std::vector<bool> pinned(n, false);
    // The county seat is pinned near its real place (when it is among the towns).
    std::size_t seat = n;
    for (std::size_t t = 0; t < n; ++t)
      if (divisions_[towns_[t].division].code == kCountySeatCode) seat = t;
    for (std::size_t i = 0; i < n; ++i) seeds.push_back(uniform_inside(county_, county_box_, rng));
    if (seat < n) {
      const TownAnchor* a = find_anchor(kCountySeatCode);
      for (int tries = 0; tries < 1000; ++tries) {
        Point p = scale_.offset(Point(a->lon, a->lat), rng.normal() * 300, rng.normal() * 300);
        if (spatial::multipolygon_contains(county_, p)) {
          seeds[seat] = p;
          pinned[seat] = true;
          break;
        }
      }
    }
    lloyd(seeds, county_, 2, pinned);

    // Match towns to seeds: the pinned seat keeps its seed; the others greedily by the distance
    // between a town's anchor and a seed (shortest pair first); towns without an anchor take
    // the remaining seeds in code order.
    std::vector<std::size_t> seed_of(n, n);
    std::vector<bool> seed_taken(n, false);
    if (seat < n && pinned[seat]) {
      seed_of[seat] = seat;
      seed_taken[seat] = true;
    }
    struct Pair {
      double d2;
      std::size_t town, seed;
    };
    std::vector<Pair> pairs;
    for (std::size_t t = 0; t < n; ++t) {
      if (seed_of[t] != n) continue;
      const TownAnchor* a = find_anchor(divisions_[towns_[t].division].code);
      if (!a) continue;
      for (std::size_t s = 0; s < n; ++s)
        if (!seed_taken[s]) pairs.push_back({scale_.dist2(Point(a->lon, a->lat), seeds[s]), t, s});
    }
    std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) {
      if (a.d2 != b.d2) return a.d2 < b.d2;
      if (a.town != b.town) return a.town < b.town;
      return a.seed < b.seed;
    });
    for (const auto& p : pairs) {
      if (seed_of[p.town] != n || seed_taken[p.seed]) continue;
      seed_of[p.town] = p.seed;
      seed_taken[p.seed] = true;
    }
    for (std::size_t t = 0, s = 0; t < n; ++t) {
      if (seed_of[t] != n) continue;
      while (seed_taken[s]) ++s;
      seed_of[t] = s;
      seed_taken[s] = true;
    }

    auto cells = spatial::voronoi_cells(seeds, county_);
    const std::string& county_code = divisions_[county_division_].code;
    for (std::size_t t = 0; t < n; ++t) {
      auto& town = towns_[t];
      town.centre = seeds[seed_of[t]];
      town.cell = std::move(cells[seed_of[t]]);
      const auto& d = divisions_[town.division];
      if (is_empty_area(town.cell)) throw Error("demo: town cell of " + d.code + " is empty");
      Grid g;
      g.code = d.code;
      g.name = d.name;
      g.level = GridLevel::Town;
      g.parent_code = county_code;
      g.geometry = town.cell;
      g.synthetic = true;
      data_.grids.push_back(std::move(g));
    }
    step_log("towns", std::to_string(n) + " Voronoi cells (2 Lloyd iterations)", sw.seconds());
  }

  // --- villages --------------------------------------------------------------------------------

  void make_villages() {
    Stopwatch sw;
    Rng rng(options_.seed, kVillageStream);
    std::vector<Grid> out;
    for (auto& town : towns_) {
      const std::size_t n = town.villages.size();
      if (n == 0) continue;
      const auto box = spatial::envelope(town.cell);
      std::vector<Point> seeds;
      for (std::size_t i = 0; i < n; ++i) seeds.push_back(uniform_inside(town.cell, box, rng));
      lloyd(seeds, town.cell, 2, {});
      auto cells = spatial::voronoi_cells(seeds, town.cell);
      // Communities first (nearest the town centre), then villages, each in code order.
      std::vector<std::size_t> order = town.villages;
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return villages_[a].community > villages_[b].community;
      });
      std::vector<std::size_t> cell_order(n);
      std::iota(cell_order.begin(), cell_order.end(), 0);
      std::stable_sort(cell_order.begin(), cell_order.end(), [&](std::size_t a, std::size_t b) {
        return scale_.dist2(seeds[a], town.centre) < scale_.dist2(seeds[b], town.centre);
      });
      for (std::size_t i = 0; i < n; ++i) {
        auto& v = villages_[order[i]];
        v.centre = seeds[cell_order[i]];
        v.cell = std::move(cells[cell_order[i]]);
        const auto& d = divisions_[v.division];
        if (is_empty_area(v.cell)) throw Error("demo: village cell of " + d.code + " is empty");
      }
    }
    for (const auto& v : villages_) {
      const auto& d = divisions_[v.division];
      Grid g;
      g.code = d.code;
      g.name = d.name;
      g.level = GridLevel::Village;
      g.parent_code = d.parent_code;
      g.geometry = v.cell;
      g.synthetic = true;
      data_.grids.push_back(std::move(g));
    }
    step_log("villages", std::to_string(villages_.size()) + " Voronoi cells", sw.seconds());
  }

  // The addresses of houses at `places` in the villages `village_of` (both in draw order),
  // numbered as a village numbers its houses: a community's along its streets (one to four of
  // the county's street names, each street a sector around the houses' centre), a village's by
  // group (组: sectors of about 30 houses, at most 18), and within a street or group outward
  // from the centre with small gaps. No two houses share an address, and the houses of a group
  // or a street lie together, as a gazetteer of the county expects them to.
  std::vector<std::string> house_addresses(const std::vector<Point>& places,
                                           const std::vector<std::size_t>& village_of) const {
    Rng rng(options_.seed, kAddressStream);
    std::vector<std::vector<std::size_t>> by_village(villages_.size());
    for (std::size_t i = 0; i < places.size(); ++i) by_village[village_of[i]].push_back(i);
    std::vector<std::string> out(places.size());
    for (std::size_t vi = 0; vi < villages_.size(); ++vi) {
      std::vector<std::size_t> order = by_village[vi];
      const std::size_t n = order.size();
      if (n == 0) continue;
      const VillageInfo& v = villages_[vi];
      const std::string prefix = divisions_[towns_[v.town].division].name + v.short_name;
      double cx = 0, cy = 0;
      for (std::size_t i : order) {
        cx += places[i].x() / static_cast<double>(n);
        cy += places[i].y() / static_cast<double>(n);
      }
      auto angle = [&](std::size_t i) {
        return std::atan2(places[i].y() - cy, places[i].x() - cx);
      };
      auto distance = [&](std::size_t i) {
        return std::hypot(places[i].x() - cx, places[i].y() - cy);
      };
      std::sort(order.begin(), order.end(),
                [&](std::size_t a, std::size_t b) { return angle(a) < angle(b); });
      // Group 1 (or the first street) starts anywhere around the centre.
      std::rotate(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(rng.below(n)),
                  order.end());
      const std::size_t parts = v.community ? std::min<std::size_t>(4, n / 80 + 1)
                                            : std::clamp<std::size_t>((n + 15) / 30, 1, 18);
      std::vector<std::size_t> streets(std::size(kStreetNames));
      std::iota(streets.begin(), streets.end(), 0);
      for (std::size_t k = 0; k < parts && v.community; ++k)
        std::swap(streets[k], streets[k + rng.below(streets.size() - k)]);
      for (std::size_t part = 0; part < parts; ++part) {
        std::vector<std::size_t> members(
            order.begin() + static_cast<std::ptrdiff_t>(part * n / parts),
            order.begin() + static_cast<std::ptrdiff_t>((part + 1) * n / parts));
        std::sort(members.begin(), members.end(),
                  [&](std::size_t a, std::size_t b) { return distance(a) < distance(b); });
        const std::string street =
            prefix + (v.community ? kStreetNames[streets[part]] : std::to_string(part + 1) + "组");
        int number = 0;
        for (std::size_t i : members) {
          number += rng.between(1, 2);
          out[i] = street + std::to_string(number) + "号";
        }
      }
    }
    return out;
  }

  // --- households ------------------------------------------------------------------------------

  void make_households() {
    Stopwatch sw;
    Rng rng(options_.seed, kHouseholdStream);
    const std::size_t n = scaled(options_.households);

    std::vector<MultiPolygon> village_cells;
    for (const auto& v : villages_) village_cells.push_back(v.cell);
    spatial::PolygonIndex village_index(village_cells);

    // Mixture components.
    std::vector<double> town_weights, town_sigma;
    for (const auto& t : towns_) {
      const auto& d = divisions_[t.division];
      const bool seat = d.code == kCountySeatCode;
      const bool street = std::string_view(d.name).ends_with("街道");
      town_weights.push_back(static_cast<double>(std::max<std::size_t>(1, t.villages.size())) *
                             (seat     ? 3.0
                              : street ? 1.5
                                       : 1.0));
      town_sigma.push_back(seat ? 2500.0 : rng.uniform(1000.0, 2000.0));
    }
    std::vector<double> village_weights, village_sigma;
    for (const auto& v : villages_) {
      village_weights.push_back(v.community ? 2.0 : 1.0);
      village_sigma.push_back(rng.uniform(400.0, 700.0));
    }
    const Discrete pick_town(town_weights), pick_village(village_weights);

    struct Draft {
      Point p;
      std::size_t village;
    };
    std::vector<Draft> drafts;
    drafts.reserve(n);
    while (drafts.size() < n) {
      const double u = rng.uniform();
      Point p;
      if (u < 0.55 || (u < 0.70 && !villages_.empty())) {
        Point c;
        double sigma;
        if (u < 0.55) {
          std::size_t t = pick_town.draw(rng);
          c = towns_[t].centre;
          sigma = town_sigma[t];
        } else {
          std::size_t v = pick_village.draw(rng);
          c = villages_[v].centre;
          sigma = village_sigma[v];
        }
        bool ok = false;
        for (int tries = 0; tries < 100 && !ok; ++tries) {
          p = scale_.offset(c, rng.normal() * sigma, rng.normal() * sigma);
          ok = spatial::multipolygon_contains(county_, p);
        }
        if (!ok) p = uniform_inside(county_, county_box_, rng);
      } else {
        p = uniform_inside(county_, county_box_, rng);
      }
      const int32_t v = village_index.locate(to_lonlat(p));
      if (v < 0) continue;  // a rounding sliver between villages: draw again
      drafts.push_back({p, static_cast<std::size_t>(v)});
    }
    // Numbered village by village (village code order), in draw order within a village.
    std::stable_sort(drafts.begin(), drafts.end(),
                     [](const Draft& a, const Draft& b) { return a.village < b.village; });

    const int end_year = local_year(end_time_);
    static constexpr double kMemberWeights[] = {12, 25, 28, 18, 11, 6};  // 1..6 members
    const Discrete members_dist(
        std::vector<double>(std::begin(kMemberWeights), std::end(kMemberWeights)));
    data_.households.reserve(n);
    std::vector<Point> places(drafts.size());
    std::vector<std::size_t> village_of(drafts.size());
    for (std::size_t i = 0; i < drafts.size(); ++i) {
      places[i] = drafts[i].p;
      village_of[i] = drafts[i].village;
    }
    const std::vector<std::string> addresses = house_addresses(places, village_of);
    for (std::size_t i = 0; i < drafts.size(); ++i) {
      auto& v = villages_[drafts[i].village];
      Household h;
      h.id = "H" + zero_pad(i + 1, 8);
      h.address = addresses[i];
      uint32_t flags = 0;
      if (rng.chance(0.12)) flags |= kRental;
      if (rng.chance(0.08)) flags |= kElderlyAlone;
      if (rng.chance(0.10)) flags |= kMigrants;
      if (rng.chance(0.005)) flags |= kPersonOfConcern;
      if (rng.chance(0.02)) flags |= kLowIncome;
      if (rng.chance(0.03)) flags |= kDisability;
      h.flags = flags;
      h.members = (flags & kElderlyAlone) ? 1 : static_cast<int>(members_dist.draw(rng)) + 1;
      h.location = to_lonlat(drafts[i].p);
      h.head_name = synthetic_name(rng);
      h.phone = synthetic_phone(rng);
      h.id_number = synthetic_id_number(rng, end_year);
      v.households.push_back(data_.households.size());
      data_.households.push_back(std::move(h));
    }
    step_log("households", std::to_string(data_.households.size()), sw.seconds());
  }

  // --- grids -----------------------------------------------------------------------------------

  /// Seeds for a village's grids: k-means++ then 3 Lloyd iterations on its households, each
  /// final seed the member household nearest its cluster mean (so inside the village).
  std::vector<Point> grid_seeds(const VillageInfo& v, std::size_t k, Rng& rng) const {
    std::vector<Point> pts;
    pts.reserve(v.households.size());
    for (std::size_t h : v.households) pts.push_back(to_point(data_.households[h].location));
    if (pts.empty()) return {spatial::point_on_surface(v.cell)};
    k = std::min(k, pts.size());
    // k-means++ initialisation.
    std::vector<Point> centres{pts[rng.below(pts.size())]};
    std::vector<double> d2(pts.size(), std::numeric_limits<double>::infinity());
    while (centres.size() < k) {
      double sum = 0;
      for (std::size_t i = 0; i < pts.size(); ++i) {
        d2[i] = std::min(d2[i], scale_.dist2(pts[i], centres.back()));
        sum += d2[i];
      }
      if (sum <= 0) break;
      double u = rng.uniform() * sum;
      std::size_t chosen = pts.size() - 1;
      for (std::size_t i = 0; i < pts.size(); ++i) {
        u -= d2[i];
        if (u < 0) {
          chosen = i;
          break;
        }
      }
      centres.push_back(pts[chosen]);
    }
    std::vector<std::size_t> assign(pts.size(), 0);
    auto assign_all = [&] {
      for (std::size_t i = 0; i < pts.size(); ++i) {
        double best = std::numeric_limits<double>::infinity();
        for (std::size_t c = 0; c < centres.size(); ++c) {
          const double d = scale_.dist2(pts[i], centres[c]);
          if (d < best) {
            best = d;
            assign[i] = c;
          }
        }
      }
    };
    for (int it = 0; it < 3; ++it) {
      assign_all();
      std::vector<double> sx(centres.size(), 0), sy(centres.size(), 0);
      std::vector<std::size_t> cnt(centres.size(), 0);
      for (std::size_t i = 0; i < pts.size(); ++i) {
        sx[assign[i]] += pts[i].x();
        sy[assign[i]] += pts[i].y();
        ++cnt[assign[i]];
      }
      for (std::size_t c = 0; c < centres.size(); ++c)
        if (cnt[c] > 0)
          centres[c] =
              Point(sx[c] / static_cast<double>(cnt[c]), sy[c] / static_cast<double>(cnt[c]));
    }
    assign_all();
    std::vector<Point> seeds;
    for (std::size_t c = 0; c < centres.size(); ++c) {
      double best = std::numeric_limits<double>::infinity();
      std::size_t best_i = pts.size();
      for (std::size_t i = 0; i < pts.size(); ++i) {
        if (assign[i] != c) continue;
        const double d = scale_.dist2(pts[i], centres[c]);
        if (d < best) {
          best = d;
          best_i = i;
        }
      }
      if (best_i == pts.size()) continue;  // empty cluster: dropped
      const Point s = pts[best_i];
      bool dup = false;
      for (const auto& o : seeds) dup = dup || (o.x() == s.x() && o.y() == s.y());
      if (!dup) seeds.push_back(s);
    }
    if (seeds.empty()) seeds.push_back(spatial::point_on_surface(v.cell));
    return seeds;
  }

  void make_grids() {
    Stopwatch sw;
    Rng rng(options_.seed, kGridStream);
    const double target =
        std::max(1.0, static_cast<double>(options_.target_grids) * options_.scale);
    const double per_grid = std::max(1.0, static_cast<double>(data_.households.size()) / target);
    for (std::size_t vi = 0; vi < villages_.size(); ++vi) {
      const auto& v = villages_[vi];
      const auto& d = divisions_[v.division];
      const std::size_t k = std::max<std::size_t>(
          1, static_cast<std::size_t>(
                 std::llround(static_cast<double>(v.households.size()) / per_grid)));
      auto seeds = grid_seeds(v, k, rng);
      auto cells = spatial::voronoi_cells(seeds, v.cell);
      struct Cell {
        MultiPolygon geometry;
        Point centroid;
      };
      std::vector<Cell> kept;
      for (auto& c : cells) {
        if (is_empty_area(c)) continue;
        Point ctr = spatial::centroid(c);
        kept.push_back({std::move(c), ctr});
      }
      if (kept.empty()) throw Error("demo: no grid cell left in village " + d.code);
      if (kept.size() > 999) throw Error("demo: more than 999 grids in village " + d.code);
      // Numbering rule (file header, step 5).
      std::vector<std::size_t> order(kept.size());
      std::iota(order.begin(), order.end(), 0);
      std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const Point &pa = kept[a].centroid, &pb = kept[b].centroid;
        if (pa.y() != pb.y()) return pa.y() > pb.y();
        return pa.x() < pb.x();
      });
      const std::size_t cells_n = kept.size();
      const std::size_t rows = std::max<std::size_t>(
          1, static_cast<std::size_t>(std::llround(std::sqrt(static_cast<double>(cells_n)))));
      std::size_t pos = 0;
      std::vector<std::size_t> numbered;
      for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t len = cells_n / rows + (r < cells_n % rows ? 1 : 0);
        std::vector<std::size_t> row(order.begin() + static_cast<std::ptrdiff_t>(pos),
                                     order.begin() + static_cast<std::ptrdiff_t>(pos + len));
        pos += len;
        std::sort(row.begin(), row.end(), [&](std::size_t a, std::size_t b) {
          const Point &pa = kept[a].centroid, &pb = kept[b].centroid;
          if (pa.x() != pb.x()) return pa.x() < pb.x();
          return pa.y() > pb.y();
        });
        numbered.insert(numbered.end(), row.begin(), row.end());
      }
      for (std::size_t i = 0; i < numbered.size(); ++i) {
        Grid g;
        g.code = d.code + zero_pad(i + 1, 3);
        g.name = v.short_name + "第" + std::to_string(i + 1) + "网格";
        g.level = GridLevel::Grid;
        g.parent_code = d.code;
        g.geometry = std::move(kept[numbered[i]].geometry);
        g.synthetic = true;
        grid_infos_.push_back({vi, data_.grids.size(), 0});
        data_.grids.push_back(std::move(g));
      }
    }
    step_log("grids",
             std::to_string(grid_infos_.size()) + " grids (" + fixed(per_grid, 0) +
                 " households per grid targeted)",
             sw.seconds());

    Stopwatch area_sw;
    for (auto& g : data_.grids) g.area_m2 = spatial::area_m2(g.geometry);
    step_log("areas", std::to_string(data_.grids.size()) + " polygons", area_sw.seconds());

    // The joiner for every point layer; households now, to know each grid's households.
    Stopwatch join_sw;
    joiner_ = std::make_unique<GridJoiner>(data_.grids);
    const auto stats = joiner_->join_all(data_.households);
    for (std::size_t i = 0; i < grid_infos_.size(); ++i)
      grid_index_[data_.grids[grid_infos_[i].grid].code] = i;
    for (std::size_t h = 0; h < data_.households.size(); ++h) {
      auto it = grid_index_.find(data_.households[h].join.grid_code);
      if (it != grid_index_.end()) ++grid_infos_[it->second].households;
    }
    step_log("join households",
             std::to_string(stats.contained) + " contained, " + std::to_string(stats.nearest) +
                 " nearest, " + std::to_string(stats.unassigned) + " unassigned",
             join_sw.seconds());
  }

  // --- enterprises -----------------------------------------------------------------------------

  void make_enterprises() {
    Stopwatch sw;
    Rng rng(options_.seed, kEnterpriseStream);
    const std::size_t n = scaled(options_.enterprises);

    struct Industry {
      const char* name;
      double hazard;             // risk affinity: high-risk levels favour high values
      double park, town, rural;  // base weights by where the enterprise is
      const char* suffixes[3];
    };
    static const Industry kIndustries[] = {
        {"纺织", 1.5, 14, 3, 4, {"纺织有限公司", "织造有限公司", "服饰有限公司"}},
        {"化工", 5.0, 6, 0.3, 1, {"化工有限公司", "新材料有限公司", "化学品有限公司"}},
        {"建材", 2.0, 8, 1, 4, {"建材有限公司", "水泥制品有限公司", "新型建材有限公司"}},
        {"木业", 2.0, 9, 1, 5, {"木业有限公司", "装饰材料有限公司", "竹木制品有限公司"}},
        {"食品加工", 1.0, 6, 2, 3, {"食品有限公司", "茶业有限公司", "粮油有限公司"}},
        {"机械制造", 2.0, 14, 1, 3, {"机械有限公司", "机电有限公司", "装备有限公司"}},
        {"电子", 1.2, 8, 1, 1, {"电子有限公司", "科技有限公司", "智能科技有限公司"}},
        {"物流仓储", 1.5, 7, 2, 2, {"物流有限公司", "仓储有限公司", "供应链有限公司"}},
        {"印刷包装", 1.3, 4, 1, 1, {"印刷有限公司", "包装有限公司", "彩印有限公司"}},
        {"汽车维修", 1.3, 1, 4, 2, {"汽车维修店", "汽修厂", "汽车服务有限公司"}},
        {"建筑施工", 1.8, 2, 3, 2, {"建设有限公司", "建筑工程有限公司", "市政工程有限公司"}},
        {"餐饮", 0.8, 1, 18, 5, {"饭店", "餐饮店", "农家乐"}},
        {"零售", 0.5, 1, 20, 6, {"超市", "便利店", "商行"}},
        {"住宿", 0.7, 0.5, 6, 5, {"宾馆", "民宿", "酒店"}},
    };
    static constexpr const char* kTradeChars[] = {
        "华", "鑫", "恒", "盛", "兴", "达", "昌", "丰", "德", "宏", "源", "安", "泰", "佳",
        "顺", "利", "新", "宇", "金", "隆", "嘉", "瑞", "祥", "永", "康", "宁", "越", "英"};
    constexpr std::size_t kIndustryCount = std::size(kIndustries);

    // Cluster centres: every town centre, and industrial parks a few km from non-seat towns.
    struct Cluster {
      Point centre;
      double sigma;
      int kind;  // 0 park, 1 town
    };
    std::vector<Cluster> clusters;
    std::vector<double> cluster_weights;
    for (const auto& t : towns_) {
      const bool seat = divisions_[t.division].code == kCountySeatCode;
      clusters.push_back({t.centre, seat ? 2000.0 : 1200.0, 1});
      cluster_weights.push_back(seat ? 3.0 : 1.0);
    }
    const std::size_t parks = 5;
    for (std::size_t i = 0; i < parks && !towns_.empty(); ++i) {
      const auto& t = towns_[rng.below(towns_.size())];
      Point p = t.centre;
      for (int tries = 0; tries < 200; ++tries) {
        const double dist = rng.uniform(2000, 5000), angle = rng.uniform(0, 2 * kPi);
        Point q = scale_.offset(t.centre, dist * std::cos(angle), dist * std::sin(angle));
        if (spatial::multipolygon_contains(county_, q)) {
          p = q;
          break;
        }
      }
      clusters.push_back({p, rng.uniform(600, 1000), 0});
      cluster_weights.push_back(4.0);
    }
    const Discrete pick_cluster(cluster_weights);

    static constexpr double kRiskWeights[] = {2, 8, 30, 60};  // major, significant, general, low
    const Discrete risk_dist(std::vector<double>(std::begin(kRiskWeights), std::end(kRiskWeights)));
    // industry | (place kind, risk): base weight × hazard^(2, 1, 0, -1)
    std::array<std::array<Discrete, 4>, 3> industry_dist;
    for (int kind = 0; kind < 3; ++kind)
      for (int r = 0; r < 4; ++r) {
        std::vector<double> w;
        static constexpr double kExp[] = {2, 1, 0, -1};
        for (const auto& ind : kIndustries) {
          const double base = kind == 0 ? ind.park : kind == 1 ? ind.town : ind.rural;
          w.push_back(base * std::pow(ind.hazard, kExp[r]));
        }
        industry_dist[static_cast<std::size_t>(kind)][static_cast<std::size_t>(r)] = Discrete(w);
      }
    static constexpr int kInspectionDays[] = {90, 180, 365, 547};  // by risk
    static constexpr double kHazardMean[] = {1.8, 1.2, 0.6, 0.25};
    static constexpr double kChemicalOther[] = {0.30, 0.15, 0.03, 0.005};
    const int64_t end_day = local_day(end_time_);

    data_.enterprises.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      Point p;
      int kind = 2;
      if (rng.chance(0.85)) {
        const auto& c = clusters[pick_cluster.draw(rng)];
        kind = c.kind;
        bool ok = false;
        for (int tries = 0; tries < 100 && !ok; ++tries) {
          p = scale_.offset(c.centre, rng.normal() * c.sigma, rng.normal() * c.sigma);
          ok = spatial::multipolygon_contains(county_, p);
        }
        if (!ok) p = uniform_inside(county_, county_box_, rng);
      } else {
        p = uniform_inside(county_, county_box_, rng);
      }
      const std::size_t r = risk_dist.draw(rng);
      const auto& ind =
          kIndustries[industry_dist[static_cast<std::size_t>(kind)][r].draw(rng) % kIndustryCount];
      Enterprise e;
      e.id = "Q" + zero_pad(i + 1, 7);
      e.name = std::string("德清") + pick(kTradeChars, rng) + pick(kTradeChars, rng) +
               ind.suffixes[rng.below(3)];
      e.industry = ind.name;
      e.risk = static_cast<RiskLevel>(r + 1);
      const bool chemical_industry = std::string_view(ind.name) == "化工";
      e.hazardous_chemicals = rng.chance(chemical_industry ? 0.9 : kChemicalOther[r]);
      e.last_inspection = iso_date(end_day - rng.between(1, kInspectionDays[r]));
      e.open_hazards = std::min(5, rng.poisson(kHazardMean[r]));
      e.location = to_lonlat(p);
      data_.enterprises.push_back(std::move(e));
    }
    step_log("enterprises",
             std::to_string(data_.enterprises.size()) + " (" + std::to_string(parks) +
                 " industrial parks)",
             sw.seconds());
  }

  // --- grid teams ------------------------------------------------------------------------------

  void make_workers() {
    Stopwatch sw;
    Rng rng(options_.seed, kWorkerStream);
    const std::size_t g_count = grid_infos_.size();
    // Cadres: grids with an odd sequence number. Part-time: the grids with most households,
    // until the county has 4 members per grid.
    std::vector<bool> cadre(g_count), part_time(g_count, false);
    std::size_t cadres = 0;
    for (std::size_t i = 0; i < g_count; ++i) {
      const std::string& code = data_.grids[grid_infos_[i].grid].code;
      cadre[i] = (code.back() - '0') % 2 == 1;
      cadres += cadre[i];
    }
    const std::size_t extra = 4 * g_count > 3 * g_count + cadres ? g_count - cadres : 0;
    std::vector<std::size_t> by_households(g_count);
    std::iota(by_households.begin(), by_households.end(), 0);
    std::stable_sort(by_households.begin(), by_households.end(), [&](std::size_t a, std::size_t b) {
      return grid_infos_[a].households > grid_infos_[b].households;
    });
    for (std::size_t i = 0; i < std::min(extra, g_count); ++i) part_time[by_households[i]] = true;

    team_.assign(g_count, {});
    for (std::size_t i = 0; i < g_count; ++i) {
      const Grid& grid = data_.grids[grid_infos_[i].grid];
      const Point centre = spatial::point_on_surface(grid.geometry);
      std::vector<WorkerRole> roles{WorkerRole::GridHead, WorkerRole::FullTime};
      if (part_time[i]) roles.push_back(WorkerRole::PartTime);
      if (cadre[i]) roles.push_back(WorkerRole::Cadre);
      roles.push_back(WorkerRole::AuxPolice);
      for (std::size_t m = 0; m < roles.size(); ++m) {
        Worker w;
        w.worker_id = "W" + grid.code.substr(6) + zero_pad(m + 1, 2);
        w.name = synthetic_name(rng);
        w.role = roles[m];
        w.grid_code = grid.code;
        Point p = centre;
        for (int tries = 0; tries < 30; ++tries) {
          Point q = scale_.offset(centre, rng.normal() * 150, rng.normal() * 150);
          if (spatial::multipolygon_contains(grid.geometry, q)) {
            p = q;
            break;
          }
        }
        w.location = to_lonlat(p);
        w.on_duty = rng.chance(0.9);
        team_[i].push_back({roles[m], w.worker_id});
        data_.workers.push_back(std::move(w));
      }
    }
    step_log("workers",
             std::to_string(data_.workers.size()) + " in " + std::to_string(g_count) + " teams (" +
                 std::to_string(cadres) + " cadres)",
             sw.seconds());
  }

  // --- incidents -------------------------------------------------------------------------------

  /// Relative intensity of reports at Unix time t: trend × weekday × hour of day.
  double intensity(int64_t t) const {
    static constexpr double kHour[24] = {0.15, 0.10, 0.08, 0.08, 0.10, 0.20, 0.45, 0.80,
                                         1.00, 1.00, 0.95, 0.85, 0.60, 0.80, 0.95, 1.00,
                                         0.90, 0.80, 0.65, 0.55, 0.45, 0.35, 0.28, 0.20};
    const int64_t local = t + kChinaOffset;
    const int64_t day = local_day(t);
    const int weekday = static_cast<int>(core::iso_weekday(day)) - 1;  // 0 Monday
    const double week = weekday < 5 ? 1.0 : weekday == 5 ? 0.75 : 0.65;
    const int hour = static_cast<int>((local - day * kDay) / 3600);
    const double trend = 0.85 + 0.30 * static_cast<double>(t - start_time_) /
                                    static_cast<double>(end_time_ - start_time_);
    return trend * week * kHour[hour];
  }

  int64_t draw_report_time(Rng& rng, int64_t from, int64_t to, bool rising) const {
    const double max_intensity = 1.15;
    for (;;) {
      int64_t t;
      if (rising) {  // density growing linearly towards `to`
        t = to -
            static_cast<int64_t>(static_cast<double>(to - from) * (1.0 - std::sqrt(rng.uniform())));
      } else {
        t = from + static_cast<int64_t>(static_cast<double>(to - from) * rng.uniform());
      }
      if (t < from || t >= to) continue;
      if (rng.uniform() * max_intensity < intensity(t)) return t;
    }
  }

  void make_incidents() {
    Stopwatch sw;
    Rng rng(options_.seed, kIncidentStream);
    const std::size_t n = scaled(options_.incidents);
    if (n == 0) return;

    std::vector<double> resident_w, enterprise_w;
    for (const auto& c : categories_) {
      resident_w.push_back(c.weight);
      double m = 0.5;
      if (c.cls == "平安隐患")
        m = 4;
      else if (c.cls == "施工管理")
        m = 2;
      else if (c.cls == "突发事件")
        m = 1.5;
      else if (c.cls == "群众诉求" || c.cls == "市容环境")
        m = 1;
      enterprise_w.push_back(c.weight * m);
    }
    const Discrete resident_cat(resident_w), enterprise_cat(enterprise_w);
    static constexpr const char* kSources[] = {"grid_app", "hotline_12345", "resident_app",
                                               "sms",      "petition",      "other"};
    static constexpr double kSourceWeights[] = {45, 25, 15, 5, 5, 5};
    const Discrete source_dist(
        std::vector<double>(std::begin(kSourceWeights), std::end(kSourceWeights)));
    static constexpr const char* kSourcePhrases[] = {"网格员巡查发现",  "12345热线来电反映",
                                                     "居民通过App反映", "短信反映",
                                                     "来访反映",        "其他渠道反映"};

    struct Draft {
      Point p;
      std::size_t category;
      int64_t reported_at;
    };
    std::vector<Draft> drafts;
    drafts.reserve(n);

    // Emerging hot spots: a category rising in one grid over the last 30 days.
    const std::size_t hot_spots = 3;
    const std::size_t per_hot_spot = std::max<std::size_t>(5, n * 3 / 1000);
    std::vector<std::size_t> grids_with_households;
    std::vector<double> grid_w;
    for (std::size_t i = 0; i < grid_infos_.size(); ++i)
      if (grid_infos_[i].households > 0) {
        grids_with_households.push_back(i);
        grid_w.push_back(static_cast<double>(grid_infos_[i].households));
      }
    std::vector<std::vector<std::size_t>> grid_households(grid_infos_.size());
    for (std::size_t h = 0; h < data_.households.size(); ++h) {
      auto it = grid_index_.find(data_.households[h].join.grid_code);
      if (it != grid_index_.end()) grid_households[it->second].push_back(h);
    }
    std::string hot_log;
    if (!grids_with_households.empty() && n > hot_spots * per_hot_spot * 4) {
      const Discrete pick_grid(grid_w);
      std::vector<std::size_t> used;
      for (std::size_t s = 0; s < hot_spots; ++s) {
        std::size_t g = grids_with_households[pick_grid.draw(rng)];
        for (int tries = 0; tries < 50 && std::find(used.begin(), used.end(), g) != used.end();
             ++tries)
          g = grids_with_households[pick_grid.draw(rng)];
        used.push_back(g);
        const std::size_t cat = resident_cat.draw(rng);
        const auto& members = grid_households[g];
        for (std::size_t i = 0; i < per_hot_spot; ++i) {
          const auto& h = data_.households[members[rng.below(members.size())]];
          Point p = scale_.offset(to_point(h.location), rng.normal() * 50, rng.normal() * 50);
          drafts.push_back({p, cat, draw_report_time(rng, end_time_ - 30 * kDay, end_time_, true)});
        }
        hot_log += (hot_log.empty() ? "" : ", ") + categories_[cat].code + "@" +
                   data_.grids[grid_infos_[g].grid].code;
      }
    }
    while (drafts.size() < n) {
      Point p;
      std::size_t cat;
      if (data_.enterprises.empty() || rng.chance(0.85)) {
        if (data_.households.empty()) {
          p = uniform_inside(county_, county_box_, rng);
        } else {
          const auto& h = data_.households[rng.below(data_.households.size())];
          p = scale_.offset(to_point(h.location), rng.normal() * 50, rng.normal() * 50);
        }
        cat = resident_cat.draw(rng);
      } else {
        const auto& e = data_.enterprises[rng.below(data_.enterprises.size())];
        p = scale_.offset(to_point(e.location), rng.normal() * 30, rng.normal() * 30);
        cat = enterprise_cat.draw(rng);
      }
      drafts.push_back({p, cat, draw_report_time(rng, start_time_, end_time_, false)});
    }
    std::stable_sort(drafts.begin(), drafts.end(),
                     [](const Draft& a, const Draft& b) { return a.reported_at < b.reported_at; });

    std::unordered_map<std::string, std::size_t> village_by_code;
    for (std::size_t v = 0; v < villages_.size(); ++v)
      village_by_code[divisions_[villages_[v].division].code] = v;
    const auto& kStages = kDemoStages;
    const auto& kStageEnds = kDemoStageEnds;
    std::map<int, std::size_t> per_year;
    data_.incidents.reserve(n);
    for (const auto& d : drafts) {
      const CategoryConfig& c = categories_[d.category];
      Incident inc;
      const int year = local_year(d.reported_at);
      inc.id = "E" + std::to_string(year) + zero_pad(++per_year[year], 7);
      inc.category = c.code;
      inc.location = to_lonlat(d.p);
      inc.reported_at = d.reported_at;
      inc.join = joiner_->join(inc.location);
      std::size_t src = source_dist.draw(rng);
      if (c.cls == "信访问题" && rng.chance(0.7)) src = 4;  // petitions mostly come in person
      inc.source = kSources[src];

      // Lifecycle, as in a county whose 有效率 and 及时率 are near 100 %: time to close ~
      // lognormal around 0.4 of the deadline (about 3 % late); 7 % of the last month's get stuck
      // on the way, and hardly any older one is still open.
      const double median_h = std::max(0.5, c.deadline.approx_hours() * 0.4);
      const double hours = median_h * std::exp(0.5 * rng.normal());
      const int64_t duration = std::max<int64_t>(600, static_cast<int64_t>(hours * 3600));
      const int64_t elapsed = end_time_ - d.reported_at;
      const bool stuck = rng.chance(elapsed < 30 * 86400 ? 0.07 : 0.002);
      if (!stuck && elapsed > duration) {
        inc.status = "closed";
        inc.closed_at = d.reported_at + duration;
      } else {
        const double frac = stuck ? rng.uniform(0.2, 0.99)
                                  : static_cast<double>(elapsed) / static_cast<double>(duration);
        std::size_t stage = 0;
        while (stage + 1 < std::size(kStages) && frac >= kStageEnds[stage]) ++stage;
        inc.status = kStages[stage];
      }

      std::string place;
      std::size_t team = grid_infos_.size();
      if (!inc.join.grid_code.empty()) {
        auto vit = village_by_code.find(inc.join.grid_code.substr(0, 12));
        if (vit != village_by_code.end()) place = villages_[vit->second].short_name;
        auto git = grid_index_.find(inc.join.grid_code);
        if (git != grid_index_.end()) team = git->second;
      }
      inc.description =
          (place.empty() ? std::string() : place + "：") + c.name_zh + "，" + kSourcePhrases[src];
      if (c.handler == "grid" && inc.status != "reported" && team < team_.size()) {
        // The full-time worker mostly, sometimes the part-time worker or the grid head.
        const auto& members = team_[team];
        const double u = rng.uniform();
        const WorkerRole want = u < 0.6    ? WorkerRole::FullTime
                                : u < 0.85 ? WorkerRole::PartTime
                                           : WorkerRole::GridHead;
        for (const auto& [role, id] : members)
          if (role == want) inc.assignee = id;
        if (inc.assignee.empty())
          for (const auto& [role, id] : members)
            if (role == WorkerRole::FullTime) inc.assignee = id;
      }
      // The loop's fields as routing would have set them: who holds it, its deadline, whether it
      // ran late.
      inc.agency = c.grid_handled() ? inc.join.grid_code : c.handler;
      inc.level = c.grid_handled() ? "grid" : "department";
      inc.deadline = c.deadline.due(inc.reported_at, calendar_);
      inc.overdue = inc.status == "closed" ? inc.closed_at > inc.deadline
                                           : inc.status != "resolved" && inc.status != "verified" &&
                                                 inc.deadline < end_time_;
      inc.version = 1;
      inc.updated_at = inc.closed_at ? inc.closed_at : inc.reported_at;
      data_.incidents.push_back(std::move(inc));
    }
    step_log("incidents",
             std::to_string(data_.incidents.size()) + " from " + iso_date(local_day(start_time_)) +
                 " to " + iso_date(local_day(end_time_ - 1)) +
                 (hot_log.empty() ? std::string() : ", hot spots " + hot_log),
             sw.seconds());
  }

  // --- join ------------------------------------------------------------------------------------

  void join_points() {
    Stopwatch sw;
    JoinStats e = joiner_->join_all(data_.enterprises);
    JoinStats i;  // incidents were joined as they were made (their grid picks the assignee)
    for (const auto& inc : data_.incidents) {
      if (inc.join.kind == JoinKind::Contained)
        ++i.contained;
      else if (inc.join.kind == JoinKind::Nearest)
        ++i.nearest;
      else
        ++i.unassigned;
    }
    JoinStats w = joiner_->join_all(data_.workers);
    auto fmt = [](const char* name, const JoinStats& s) {
      return std::string(name) + " " + std::to_string(s.contained) + "/" +
             std::to_string(s.nearest) + "/" + std::to_string(s.unassigned);
    };
    step_log("join",
             fmt("enterprises", e) + ", " + fmt("incidents", i) + ", " + fmt("workers", w) +
                 " (contained/nearest/unassigned)",
             sw.seconds());
  }

  const DemoOptions& options_;
  const std::function<void(const std::string&)>& log_;
  LocalScale scale_;
  int64_t end_time_ = 0;
  int64_t start_time_ = 0;

  std::vector<Division> divisions_;
  std::vector<CategoryConfig> categories_;
  WorkingCalendar calendar_;
  std::size_t county_division_ = 0;
  MultiPolygon county_;
  spatial::Box county_box_;
  std::vector<TownInfo> towns_;
  std::vector<VillageInfo> villages_;
  std::vector<GridInfo> grid_infos_;
  std::unordered_map<std::string, std::size_t> grid_index_;  // grid code → grid_infos_ index
  std::vector<std::vector<std::pair<WorkerRole, std::string>>> team_;
  std::unique_ptr<GridJoiner> joiner_;
  Dataset data_;
};

}  // namespace

int64_t demo_end_time(const DemoOptions& options) {
  if (options.end_time != 0) return options.end_time;
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  return local_day(now) * kDay - kChinaOffset;
}

Dataset build_demo(const DemoOptions& options, const std::function<void(const std::string&)>& log) {
  return Generator(options, log).run();
}

}  // namespace onemap::layers
