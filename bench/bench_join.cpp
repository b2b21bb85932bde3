// bench_join: times the grid join on synthetic grids, and writes the same grids and points for
// the PostGIS side of scripts/bench-join.
//
// Grids: a jittered lattice tiling a rectangle over roughly Deqing's extent (no gaps, no
// overlaps: neighbouring cells share their corner points and their densified edges), each cell
// with 20-100 vertices. Points: uniform over the rectangle grown by 0.5% on every side (about 2%
// fall outside every grid). All coordinates are rounded to 1e-7 degree so that the text written
// for PostGIS reads back as exactly the doubles joined here.
//
// Usage: bench_join --grids N --points M [--seed S] [--repeat R] [--threads T] [--out DIR]
// Prints one line of key=value pairs (see main); every timing is the best of R runs (default 3).
// Locate is timed on one thread and on T threads (default and at most: the cores this process
// may use) taking chunks of the points in turn; then the GridJoiner join of all points (it uses
// every core).
#include "core/parallel.hpp"
#include "layers/model/join.hpp"
#include "layers/model/model.hpp"
#include "spatial/geometry.hpp"
#include "spatial/polygon_index.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

namespace {

using onemap::spatial::LonLat;
using onemap::spatial::MultiPolygon;
using onemap::spatial::Point;
using onemap::spatial::Polygon;

// Roughly Deqing County (EPSG:4490 lon/lat).
constexpr double kMinLon = 119.75, kMaxLon = 120.35, kMinLat = 30.40, kMaxLat = 30.72;

double round7(double v) {
  return std::round(v * 1e7) / 1e7;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// nx × ny == n with nx / ny closest to the rectangle's aspect in metres.
std::pair<int, int> lattice_shape(int n) {
  const double aspect =
      (kMaxLon - kMinLon) * std::cos((kMinLat + kMaxLat) / 2 * M_PI / 180) / (kMaxLat - kMinLat);
  int best_nx = 1;
  double best = 1e300;
  for (int nx = 1; nx <= n; ++nx) {
    if (n % nx) continue;
    const double err = std::abs(std::log(static_cast<double>(nx) * nx / n / aspect));  // nx / ny
    if (err < best) {
      best = err;
      best_nx = nx;
    }
  }
  return {best_nx, n / best_nx};
}

/// Index j * width + i of a row-major array, computed in size_t.
std::size_t at(int i, int j, int width) {
  return static_cast<std::size_t>(j) * static_cast<std::size_t>(width) +
         static_cast<std::size_t>(i);
}

struct Lattice {
  int nx = 0, ny = 0;
  std::vector<Point> corners;               ///< (nx+1) × (ny+1), index j*(nx+1)+i
  std::vector<std::vector<Point>> h_edges;  ///< interior points of edge (i,j)→(i+1,j), index j*nx+i
  std::vector<std::vector<Point>>
      v_edges;  ///< interior points of edge (i,j)→(i,j+1), index j*(nx+1)+i
};

/// Interior points of the edge a→b: k in [4, 24] points, offset sideways (tapering to zero at
/// the ends) unless the edge lies on the outer frame.
std::vector<Point> densify(const Point& a, const Point& b, bool on_frame, double amplitude,
                           std::mt19937_64& rng) {
  std::uniform_int_distribution<int> kd(4, 24);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const int k = kd(rng);
  const double dx = b.x() - a.x(), dy = b.y() - a.y();
  const double len = std::hypot(dx, dy);
  const double px = -dy / len, py = dx / len;  // unit normal
  std::vector<Point> pts;
  pts.reserve(static_cast<std::size_t>(k));
  for (int m = 1; m <= k; ++m) {
    const double t = static_cast<double>(m) / (k + 1);
    const double off = on_frame ? 0.0 : amplitude * std::sin(M_PI * t) * u(rng);
    pts.emplace_back(round7(a.x() + t * dx + off * px), round7(a.y() + t * dy + off * py));
  }
  return pts;
}

Lattice make_lattice(int n, uint64_t seed) {
  Lattice L;
  std::tie(L.nx, L.ny) = lattice_shape(n);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> jitter(-0.15, 0.15);
  const double cw = (kMaxLon - kMinLon) / L.nx, ch = (kMaxLat - kMinLat) / L.ny;
  L.corners.resize(at(0, L.ny + 1, L.nx + 1));
  for (int j = 0; j <= L.ny; ++j)
    for (int i = 0; i <= L.nx; ++i) {
      double x = kMinLon + i * cw, y = kMinLat + j * ch;
      if (i > 0 && i < L.nx) x += jitter(rng) * cw;
      if (j > 0 && j < L.ny) y += jitter(rng) * ch;
      L.corners[at(i, j, L.nx + 1)] = Point(round7(x), round7(y));
    }
  auto corner = [&](int i, int j) { return L.corners[at(i, j, L.nx + 1)]; };
  L.h_edges.resize(at(0, L.ny + 1, L.nx));
  for (int j = 0; j <= L.ny; ++j)
    for (int i = 0; i < L.nx; ++i)
      L.h_edges[at(i, j, L.nx)] =
          densify(corner(i, j), corner(i + 1, j), j == 0 || j == L.ny, 0.05 * ch, rng);
  L.v_edges.resize(at(0, L.ny, L.nx + 1));
  for (int j = 0; j < L.ny; ++j)
    for (int i = 0; i <= L.nx; ++i)
      L.v_edges[at(i, j, L.nx + 1)] =
          densify(corner(i, j), corner(i, j + 1), i == 0 || i == L.nx, 0.05 * cw, rng);
  return L;
}

/// Cell (i, j) as a counter-clockwise closed ring: bottom, right, top (reversed), left (reversed).
MultiPolygon cell(const Lattice& L, int i, int j) {
  auto corner = [&](int ci, int cj) { return L.corners[at(ci, cj, L.nx + 1)]; };
  const auto& bottom = L.h_edges[at(i, j, L.nx)];
  const auto& top = L.h_edges[at(i, j + 1, L.nx)];
  const auto& left = L.v_edges[at(i, j, L.nx + 1)];
  const auto& right = L.v_edges[at(i + 1, j, L.nx + 1)];
  Polygon p;
  auto& r = p.outer();
  r.push_back(corner(i, j));
  r.insert(r.end(), bottom.begin(), bottom.end());
  r.push_back(corner(i + 1, j));
  r.insert(r.end(), right.begin(), right.end());
  r.push_back(corner(i + 1, j + 1));
  r.insert(r.end(), top.rbegin(), top.rend());
  r.push_back(corner(i, j + 1));
  r.insert(r.end(), left.rbegin(), left.rend());
  r.push_back(corner(i, j));
  return {p};
}

std::vector<LonLat> make_points(std::size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ull);
  const double mx = (kMaxLon - kMinLon) * 0.005, my = (kMaxLat - kMinLat) * 0.005;
  std::uniform_real_distribution<double> lon(kMinLon - mx, kMaxLon + mx),
      lat(kMinLat - my, kMaxLat + my);
  std::vector<LonLat> pts(n);
  for (auto& p : pts) p = {round7(lon(rng)), round7(lat(rng))};
  return pts;
}

void write_outputs(const std::string& dir, const std::vector<MultiPolygon>& polys,
                   const std::vector<LonLat>& pts) {
  {
    std::FILE* f = std::fopen((dir + "/grids.tsv").c_str(), "w");
    if (!f) throw std::runtime_error("cannot write " + dir + "/grids.tsv");
    for (std::size_t k = 0; k < polys.size(); ++k) {
      std::fprintf(f, "%zu\tPOLYGON((", k);
      const auto& ring = polys[k][0].outer();
      for (std::size_t v = 0; v < ring.size(); ++v)
        std::fprintf(f, "%s%.7f %.7f", v ? "," : "", ring[v].x(), ring[v].y());
      std::fputs("))\n", f);
    }
    std::fclose(f);
  }
  std::FILE* f = std::fopen((dir + "/points.csv").c_str(), "w");
  if (!f) throw std::runtime_error("cannot write " + dir + "/points.csv");
  for (const auto& p : pts) std::fprintf(f, "%.7f,%.7f\n", p.lon, p.lat);
  std::fclose(f);
}

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr,
               "bench_join: %s\nusage: bench_join --grids N --points M [--seed S] [--repeat R] "
               "[--threads T] [--out DIR]\n",
               msg);
  std::exit(2);
}

}  // namespace

int run(int argc, char** argv) {
  long grids = 0, points = 0, repeat = 3;
  long threads = static_cast<long>(onemap::core::available_cores());
  uint64_t seed = 20261126;
  std::string out;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::puts(
          "usage: bench_join --grids N --points M [--seed S] [--repeat R] [--threads T] [--out "
          "DIR]\n"
          "Times PolygonIndex::locate (1 thread), locate_many (T threads) and GridJoiner over\n"
          "synthetic grids; "
          "--out writes "
          "DIR/grids.tsv (id<TAB>WKT) and DIR/points.csv (lon,lat) for PostGIS.");
      return 0;
    }
    if (i + 1 >= argc) usage(("missing value for " + a).c_str());
    const char* v = argv[++i];
    if (a == "--grids")
      grids = std::atol(v);
    else if (a == "--points")
      points = std::atol(v);
    else if (a == "--seed")
      seed = std::strtoull(v, nullptr, 10);
    else if (a == "--repeat")
      repeat = std::atol(v);
    else if (a == "--threads")
      threads = std::atol(v);
    else if (a == "--out")
      out = v;
    else
      usage(("unknown argument " + a).c_str());
  }
  if (grids < 1 || points < 1 || repeat < 1 || threads < 1)
    usage("--grids, --points, --repeat and --threads must be positive");
  threads = std::min(threads, static_cast<long>(onemap::core::available_cores()));  // as used

  const Lattice lattice = make_lattice(static_cast<int>(grids), seed);
  std::vector<MultiPolygon> polys;
  polys.reserve(static_cast<std::size_t>(grids));
  std::size_t vertices = 0;
  for (int j = 0; j < lattice.ny; ++j)
    for (int i = 0; i < lattice.nx; ++i) {
      polys.push_back(cell(lattice, i, j));
      vertices += polys.back()[0].outer().size() - 1;
    }
  const std::vector<LonLat> pts = make_points(static_cast<std::size_t>(points), seed);
  if (!out.empty()) write_outputs(out, polys, pts);

  // onemap: the packed R-tree of prepared polygons, then point location (the boundary rule).
  auto t0 = std::chrono::steady_clock::now();
  const onemap::spatial::PolygonIndex index(polys);
  const double build_s = seconds_since(t0);
  double locate_s = 1e300;
  std::size_t contained = 0;
  for (long r = 0; r < repeat; ++r) {
    t0 = std::chrono::steady_clock::now();
    std::size_t c = 0;
    for (const auto& p : pts) c += index.locate(p) >= 0;
    locate_s = std::min(locate_s, seconds_since(t0));
    contained = c;
  }

  // All points at once on `threads` threads (PolygonIndex::locate_many, as the join uses).
  double locate_mt_s = 1e300;
  std::size_t contained_mt = 0;
  std::vector<int32_t> found(pts.size());
  for (long r = 0; r < repeat; ++r) {
    t0 = std::chrono::steady_clock::now();
    index.locate_many(pts, found, static_cast<unsigned>(threads));
    locate_mt_s = std::min(locate_mt_s, seconds_since(t0));
    contained_mt = static_cast<std::size_t>(
        std::count_if(found.begin(), found.end(), [](int32_t id) { return id >= 0; }));
  }
  if (contained_mt != contained) {
    std::fprintf(stderr, "bench_join: %zu contained on %ld threads, %zu on one\n", contained_mt,
                 threads, contained);
    return 1;
  }

  // The full grid join (with the nearest-grid fallback for points outside every grid).
  std::vector<onemap::layers::Grid> grid_records(polys.size());
  for (std::size_t k = 0; k < polys.size(); ++k) {
    char code[32];
    std::snprintf(code, sizeof code, "330521%09zu", k + 1);
    grid_records[k].code = code;
    grid_records[k].level = onemap::layers::GridLevel::Grid;
    grid_records[k].geometry = polys[k];
  }
  t0 = std::chrono::steady_clock::now();
  const onemap::layers::GridJoiner joiner(grid_records);
  const double joiner_build_s = seconds_since(t0);
  std::vector<onemap::layers::Incident> incidents(pts.size());
  for (std::size_t k = 0; k < pts.size(); ++k) incidents[k].location = pts[k];
  onemap::layers::JoinStats stats;
  double join_s = 1e300;
  for (long r = 0; r < repeat; ++r) {
    t0 = std::chrono::steady_clock::now();
    stats = joiner.join_all(incidents);
    join_s = std::min(join_s, seconds_since(t0));
  }
  if (stats.contained != contained) {
    std::fprintf(stderr, "bench_join: GridJoiner found %zu contained points, PolygonIndex %zu\n",
                 stats.contained, contained);
    return 1;
  }

  std::printf(
      "grids=%zu points=%zu avg_vertices=%.1f build_s=%.4f locate_s=%.4f locate_pts_per_s=%.0f "
      "threads=%ld locate_mt_s=%.4f locate_mt_pts_per_s=%.0f "
      "contained=%zu joiner_build_s=%.4f join_s=%.4f join_pts_per_s=%.0f join_contained=%zu "
      "join_nearest=%zu join_unassigned=%zu\n",
      polys.size(), pts.size(), static_cast<double>(vertices) / static_cast<double>(polys.size()),
      build_s, locate_s, static_cast<double>(pts.size()) / locate_s, threads, locate_mt_s,
      static_cast<double>(pts.size()) / locate_mt_s, contained, joiner_build_s, join_s,
      static_cast<double>(pts.size()) / join_s, stats.contained, stats.nearest, stats.unassigned);
  return 0;
}

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_join: %s\n", e.what());
    return 1;
  }
}
