// bench_tiles: vector-tile build times of a store, in process (TileBuilder::build, no HTTP, no
// cache), for scripts/bench-tiles.
//
// The tiles of a zoom are the Web Mercator tiles "covering the county": every tile that meets the
// bounding box of a grid of the finest level the store has. Where a zoom has more of them than
// asked for, a deterministic sample is taken: n tiles evenly spaced in row-major order.
//
// Commands (run `bench_tiles --help` for the options):
//   throughput  tiles/s per zoom: every tile of the zoom built once per pass, on one thread and on
//               T threads, best of R passes; writes the tile list for the PostGIS side.
//   zoom-stats  per zoom: every tile built R times on one thread, its bytes and its fastest build
//               (so that a build preempted by other work on the machine does not count); prints
//               the largest tile, the p50, p99 and max build time, the slowest first build (the
//               tile's data not yet in the caches) and the tiles over the limits.
//   pick        the tile of a zoom nearest the county's centre whose size lies in a range.
//   tile        one tile's bytes and features, all layers at once and each layer alone.
// With --network N, a county line layer named "network" of N synthetic pipes is added in process
// (not stored), for the tiles of a layer far larger than any demo layer.
// Output: key=value pairs, one line per zoom (or one line for pick), for the script to parse.
#include "core/parallel.hpp"
#include "layers/county/county.hpp"
#include "layers/store/store.hpp"
#include "layers/tiles/tiles.hpp"
#include "spatial/geometry.hpp"
#include "spatial/tms.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace bg = onemap::spatial::bg;
using onemap::layers::County;
using onemap::layers::GridLevel;
using onemap::layers::TileRequest;
using onemap::spatial::TileId;
using onemap::spatial::TileMatrixSet;

constexpr const char* kUsage =
    R"(usage: bench_tiles COMMAND --data FILE.gpkg --layers LIST [options]

Loads the store as `onemap serve` does (layers::County, default tile configuration) and times
layers::TileBuilder::build on Web Mercator tiles: no HTTP, no cache. The tiles of a zoom are
those meeting the bounding box of a grid of the finest level in the store; where there are more
than asked for, n of them evenly spaced in row-major order (deterministic).

Commands:
  throughput   build every tile of each zoom once per pass, on 1 thread and on T threads, best of
               R passes. One line per zoom:
               zoom= tiles= cover= bytes= t1_s= tn_s= threads=
  zoom-stats   build every tile of each zoom R times on 1 thread; a tile's time is its fastest
               build. One line per zoom:
               zoom= tiles= cover= max_bytes= max_bytes_tile= p50_ms= p99_ms= max_ms=
               max_ms_tile= first_max_ms= over_bytes= over_ms=   (first_max_ms: the slowest
               first build of a tile; over_*: tiles above --limit-bytes / --limit-ms)
  pick         the tile of --zoom nearest the centre of the grids whose size is within
               [--min-bytes, --max-bytes]: tile=z/x/y bytes=
  tile         the tile --tile Z/X/Y: one line for all the layers, then one per layer alone:
               layer= bytes= features= clusters= clustered_points=

Options:
  --data FILE.gpkg     the store (required)
  --layers LIST        tile layers, comma-separated, e.g. grids.grid,households (required)
  --zooms LIST         zooms, comma-separated, ranges allowed: 8,10,12 or 0-18
                       (default: throughput 8,10,12,14,16; zoom-stats 0-18)
  --max-tiles N        throughput: at most N tiles per zoom (default 400)
  --repeat R           throughput: passes, the best counts (default 3);
                       zoom-stats: builds per tile, the fastest counts (default 2)
  --threads T          throughput: threads of the parallel pass (default and at most: the
                       cores this process may use)
  --tiles-out FILE     throughput: write the tiles as CSV lines z,x,y
  --full-until Z       zoom-stats: every tile up to zoom Z, a sample above (default 16)
  --sample N           zoom-stats: tiles sampled at zooms above --full-until (default 2000)
  --limit-bytes B      zoom-stats: size limit counted in over_bytes (default 500000)
  --limit-ms MS        zoom-stats: build time limit counted in over_ms (default 50)
  --zoom Z             pick: the zoom (default 14)
  --min-bytes B        pick: smallest size accepted (default 10000)
  --max-bytes B        pick: largest size accepted (default 30000)
  --tile Z/X/Y         tile: the tile
  --network N          add a county line layer "network" of N synthetic pipes (2 to 4 vertices,
                       20-120 m legs, in the finest grids' boxes by their area; deterministic)
                       that --layers may name, as it may name the store's county layers
  --help               this text
The first line of every command is: load_s= grids= households= enterprises= incidents= workers=
)";

struct Options {
  std::string command;
  std::string data;
  std::string layers;
  std::vector<uint32_t> zooms;
  std::size_t max_tiles = 400;
  int repeat = 0;  ///< 0: the command's default
  unsigned threads = static_cast<unsigned>(onemap::core::available_cores());
  std::string tiles_out;
  uint32_t full_until = 16;
  std::size_t sample = 2000;
  std::size_t limit_bytes = 500000;
  double limit_ms = 50;
  uint32_t zoom = 14;
  std::size_t min_bytes = 10000;
  std::size_t max_bytes = 30000;
  std::string tile;
  std::size_t network = 0;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "bench_tiles: " << message << "\n(see bench_tiles --help)\n";
  std::exit(2);
}

uint64_t parse_uint(const std::string& option, const std::string& v, uint64_t lo, uint64_t hi) {
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || v[0] == '-' || n < lo || n > hi)
    usage_error(option + ": expected an integer in [" + std::to_string(lo) + ", " +
                std::to_string(hi) + "], got '" + v + "'");
  return n;
}

/// "8,10,12" or "0-18" or a mix; zooms 0..24.
std::vector<uint32_t> parse_zooms(const std::string& v) {
  std::vector<uint32_t> out;
  std::size_t start = 0;
  while (start <= v.size()) {
    const std::size_t comma = std::min(v.find(',', start), v.size());
    const std::string item = v.substr(start, comma - start);
    const std::size_t dash = item.find('-');
    const auto lo = static_cast<uint32_t>(parse_uint("--zooms", item.substr(0, dash), 0, 24));
    const auto hi =
        dash == std::string::npos
            ? lo
            : static_cast<uint32_t>(parse_uint("--zooms", item.substr(dash + 1), lo, 24));
    for (uint32_t z = lo; z <= hi; ++z) out.push_back(z);
    start = comma + 1;
  }
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  if (argc < 2) usage_error("missing command");
  o.command = argv[1];
  if (o.command == "--help" || o.command == "-h") {
    std::cout << kUsage;
    std::exit(0);
  }
  if (o.command != "throughput" && o.command != "zoom-stats" && o.command != "pick" &&
      o.command != "tile")
    usage_error("unknown command '" + o.command + "'");
  std::string zooms;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (i + 1 >= argc) usage_error("missing value for " + a);
    const std::string v = argv[++i];
    if (a == "--data")
      o.data = v;
    else if (a == "--layers")
      o.layers = v;
    else if (a == "--zooms")
      zooms = v;
    else if (a == "--max-tiles")
      o.max_tiles = parse_uint(a, v, 1, 1u << 30);
    else if (a == "--repeat")
      o.repeat = static_cast<int>(parse_uint(a, v, 1, 1000));
    else if (a == "--threads")
      o.threads = static_cast<unsigned>(
          std::min<std::size_t>(parse_uint(a, v, 1, 1024), onemap::core::available_cores()));
    else if (a == "--tiles-out")
      o.tiles_out = v;
    else if (a == "--full-until")
      o.full_until = static_cast<uint32_t>(parse_uint(a, v, 0, 24));
    else if (a == "--sample")
      o.sample = parse_uint(a, v, 1, 1u << 30);
    else if (a == "--limit-bytes")
      o.limit_bytes = parse_uint(a, v, 1, 1ull << 40);
    else if (a == "--limit-ms")
      o.limit_ms = static_cast<double>(parse_uint(a, v, 1, 1u << 30));
    else if (a == "--zoom")
      o.zoom = static_cast<uint32_t>(parse_uint(a, v, 0, 24));
    else if (a == "--min-bytes")
      o.min_bytes = parse_uint(a, v, 0, 1ull << 40);
    else if (a == "--max-bytes")
      o.max_bytes = parse_uint(a, v, 0, 1ull << 40);
    else if (a == "--network")
      o.network = parse_uint(a, v, 1, 100000000);
    else if (a == "--tile")
      o.tile = v;
    else
      usage_error("unknown option " + a);
  }
  if (o.data.empty()) usage_error("--data is required");
  if (o.command == "tile" && o.tile.empty()) usage_error("tile: --tile is required");
  if (o.layers.empty()) usage_error("--layers is required");
  if (o.repeat == 0) o.repeat = o.command == "zoom-stats" ? 2 : 3;
  o.zooms = parse_zooms(!zooms.empty()              ? zooms
                        : o.command == "zoom-stats" ? "0-18"
                                                    : "8,10,12,14,16");
  return o;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string tile_name(const TileId& t) {
  return std::to_string(t.z) + "/" + std::to_string(t.x) + "/" + std::to_string(t.y);
}

/// The lon/lat boxes of the grids of the finest level present.
std::vector<onemap::spatial::Box> finest_grid_boxes(const onemap::layers::Dataset& d) {
  GridLevel finest = GridLevel::County;
  for (const auto& g : d.grids) finest = std::max(finest, g.level);
  std::vector<onemap::spatial::Box> out;
  for (const auto& g : d.grids)
    if (g.level == finest) out.push_back(onemap::spatial::envelope(g.geometry));
  return out;
}

/// Every tile of zoom z meeting one of the boxes, in row-major order (y, then x).
std::vector<TileId> cover(const std::vector<onemap::spatial::Box>& boxes, uint32_t z) {
  const TileMatrixSet& tms = TileMatrixSet::web_mercator();
  std::vector<uint64_t> keys;
  for (const auto& b : boxes) {
    double x0, y0, x1, y1;
    tms.project(bg::get<bg::min_corner, 0>(b), bg::get<bg::max_corner, 1>(b), x0,
                y0);  // north-west
    tms.project(bg::get<bg::max_corner, 0>(b), bg::get<bg::min_corner, 1>(b), x1,
                y1);  // south-east
    const TileId nw = tms.tile_at(x0, y0, z), se = tms.tile_at(x1, y1, z);
    for (uint64_t y = nw.y; y <= se.y; ++y)
      for (uint64_t x = nw.x; x <= se.x; ++x) keys.push_back(y << 32 | x);
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::vector<TileId> out;
  out.reserve(keys.size());
  for (uint64_t k : keys)
    out.push_back({z, static_cast<uint32_t>(k & 0xFFFFFFFFu), static_cast<uint32_t>(k >> 32)});
  return out;
}

/// n tiles evenly spaced in the list (all of them when it has at most n).
std::vector<TileId> sample(const std::vector<TileId>& tiles, std::size_t n) {
  if (tiles.size() <= n) return tiles;
  std::vector<TileId> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(tiles[i * tiles.size() / n]);
  return out;
}

/// The names of a comma-separated layer list.
std::vector<std::string> parse_layers(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

/// n synthetic pipes over the boxes (by their area): each a random walk of 1 to 3 legs of 20 to
/// 120 m from a random point of its box. Deterministic.
onemap::layers::FeatureLayer network(const std::vector<onemap::spatial::Box>& boxes,
                                     std::size_t n) {
  onemap::layers::FeatureLayer l;
  l.def = onemap::layers::definition_from_json(
      R"({"name": "network", "geometry": "line", "minzoom": 0,
          "fields": [{"name": "kind", "audience": "public", "tile_minzoom": 9},
                     {"name": "diameter_mm", "type": "integer", "audience": "public",
                      "tile_minzoom": 13}]})");
  std::vector<double> area;
  for (const auto& b : boxes) area.push_back(bg::area(b));
  std::mt19937_64 rng(20261206);
  std::discrete_distribution<std::size_t> which(area.begin(), area.end());
  std::uniform_real_distribution<double> unit(0, 1), leg(20, 120), turn(0, 2 * M_PI);
  std::uniform_int_distribution<int> legs(1, 3), diameter(2, 8);
  l.features.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& b = boxes[which(rng)];
    double x = bg::get<bg::min_corner, 0>(b) +
               unit(rng) * (bg::get<bg::max_corner, 0>(b) - bg::get<bg::min_corner, 0>(b));
    double y = bg::get<bg::min_corner, 1>(b) +
               unit(rng) * (bg::get<bg::max_corner, 1>(b) - bg::get<bg::min_corner, 1>(b));
    onemap::spatial::LineString ls{{x, y}};
    for (int k = legs(rng); k > 0; --k) {
      const double m = leg(rng), a = turn(rng);
      x += m * std::cos(a) / (111320 * std::cos(y * M_PI / 180));
      y += m * std::sin(a) / 110540;
      ls.emplace_back(x, y);
    }
    onemap::layers::Feature f;
    f.fid = static_cast<int64_t>(i + 1);
    f.geometry = onemap::spatial::MultiLineString{std::move(ls)};
    f.attributes = {std::string(i % 3 ? "sewage" : "rain"), int64_t{diameter(rng) * 100}};
    l.features.push_back(std::move(f));
  }
  return l;
}

class Bench {
 public:
  /// The county's tiles, or with `extra` layers a builder of its own over the county's data and
  /// county layers and those. @throws InvalidArgument for a layer name that is neither one of
  /// the five's tile layers nor a county layer.
  Bench(const County& county, const std::vector<std::string>& layers,
        std::vector<onemap::layers::FeatureLayer> extra)
      : county_(county), feature_layers_(county.feature_layers()) {
    if (!extra.empty()) {
      for (auto& l : extra) feature_layers_.push_back(std::move(l));
      std::sort(feature_layers_.begin(), feature_layers_.end(),
                [](const auto& a, const auto& b) { return a.def.name < b.def.name; });
      own_ = std::make_unique<onemap::layers::TileBuilder>(
          county.data(), onemap::layers::TileConfig::defaults(), feature_layers_);
    }
    for (const auto& name : layers) {
      const auto* c = tiles().config().find(name);
      if (!c) c = tiles().feature_layer_config(name);
      if (!c) onemap::layers::tile_layer_source(name);  // throws, listing the tile layers
      layers_.push_back(c);
    }
  }

  std::string build(const TileId& t) const { return build(t, layers_); }

  /// The tile with the given layers (default: the bench's), and what the build did in `stats`.
  std::string build(const TileId& t, const std::vector<const onemap::layers::TileLayerConfig*>& l,
                    onemap::layers::TileStats* stats = nullptr) const {
    TileRequest rq;
    rq.tile = t;
    rq.layers = l;
    rq.feature_layers = &feature_layers_;
    return tiles().build(county_.data(), rq, stats);
  }

  const std::vector<const onemap::layers::TileLayerConfig*>& layers() const { return layers_; }

  /// Builds every tile once on `threads` workers (each takes the next tile); wall seconds, and
  /// the sum of the tiles' sizes in `bytes`.
  double pass(const std::vector<TileId>& tiles, unsigned threads, uint64_t& bytes) const {
    std::atomic<uint64_t> total{0};
    const auto t0 = std::chrono::steady_clock::now();
    onemap::core::parallel_for(tiles.size(), 1, threads, [&](std::size_t, std::size_t i) {
      total += build(tiles[i]).size();
    });
    const double s = seconds_since(t0);
    bytes = total;
    return s;
  }

 private:
  const onemap::layers::TileBuilder& tiles() const { return own_ ? *own_ : county_.tiles(); }

  const County& county_;
  std::vector<onemap::layers::FeatureLayer> feature_layers_;
  std::unique_ptr<onemap::layers::TileBuilder> own_;
  std::vector<const onemap::layers::TileLayerConfig*> layers_;
};

void throughput(const Options& o, const Bench& bench,
                const std::vector<onemap::spatial::Box>& boxes) {
  std::ofstream list;
  if (!o.tiles_out.empty()) {
    list.open(o.tiles_out);
    if (!list) throw std::runtime_error("cannot write " + o.tiles_out);
  }
  for (uint32_t z : o.zooms) {
    const auto all = cover(boxes, z);
    const auto tiles = sample(all, o.max_tiles);
    if (list.is_open())
      for (const auto& t : tiles) list << t.z << ',' << t.x << ',' << t.y << '\n';
    double best1 = 1e300, bestn = 1e300;
    uint64_t bytes = 0;
    for (int r = 0; r < o.repeat; ++r) {
      best1 = std::min(best1, bench.pass(tiles, 1, bytes));
      bestn = std::min(bestn, bench.pass(tiles, o.threads, bytes));
    }
    std::printf("zoom=%u tiles=%zu cover=%zu bytes=%llu t1_s=%.6f tn_s=%.6f threads=%u\n", z,
                tiles.size(), all.size(), static_cast<unsigned long long>(bytes), best1, bestn,
                o.threads);
    std::fflush(stdout);
  }
  if (list.is_open() && !list.flush()) throw std::runtime_error("cannot write " + o.tiles_out);
}

void zoom_stats(const Options& o, const Bench& bench,
                const std::vector<onemap::spatial::Box>& boxes) {
  for (uint32_t z : o.zooms) {
    const auto all = cover(boxes, z);
    const auto tiles = z <= o.full_until ? all : sample(all, o.sample);
    std::vector<double> ms;
    ms.reserve(tiles.size());
    std::size_t max_bytes = 0, over_bytes = 0, over_ms = 0;
    TileId max_bytes_tile, max_ms_tile;
    double max_ms = 0, first_max_ms = 0;
    for (const auto& t : tiles) {
      std::size_t size = 0;
      double m = 1e300;
      for (int r = 0; r < o.repeat; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        size = bench.build(t).size();
        const double took = seconds_since(t0) * 1e3;
        if (r == 0) first_max_ms = std::max(first_max_ms, took);
        m = std::min(m, took);
      }
      ms.push_back(m);
      if (size > max_bytes) {
        max_bytes = size;
        max_bytes_tile = t;
      }
      if (m > max_ms) {
        max_ms = m;
        max_ms_tile = t;
      }
      over_bytes += size > o.limit_bytes;
      over_ms += m > o.limit_ms;
    }
    std::sort(ms.begin(), ms.end());
    // Nearest rank: the smallest time that at least p% of the tiles do not exceed.
    auto rank = [&ms](std::size_t p) {
      return ms.empty() ? 0 : ms[(ms.size() * p + 99) / 100 - 1];
    };
    std::printf(
        "zoom=%u tiles=%zu cover=%zu max_bytes=%zu max_bytes_tile=%s p50_ms=%.3f p99_ms=%.3f "
        "max_ms=%.3f max_ms_tile=%s first_max_ms=%.3f over_bytes=%zu over_ms=%zu\n",
        z, tiles.size(), all.size(), max_bytes, tile_name(max_bytes_tile).c_str(), rank(50),
        rank(99), max_ms, tile_name(max_ms_tile).c_str(), first_max_ms, over_bytes, over_ms);
    std::fflush(stdout);
  }
}

void pick(const Options& o, const Bench& bench, const std::vector<onemap::spatial::Box>& boxes) {
  const TileMatrixSet& tms = TileMatrixSet::web_mercator();
  onemap::spatial::Box all;
  bg::assign_inverse(all);
  for (const auto& b : boxes) bg::expand(all, b);
  double cx, cy;
  tms.project((bg::get<bg::min_corner, 0>(all) + bg::get<bg::max_corner, 0>(all)) / 2,
              (bg::get<bg::min_corner, 1>(all) + bg::get<bg::max_corner, 1>(all)) / 2, cx, cy);
  auto tiles = cover(boxes, o.zoom);
  auto distance = [&](const TileId& t) {
    const auto b = tms.bounds(t);
    return std::hypot((b.minx + b.maxx) / 2 - cx, (b.miny + b.maxy) / 2 - cy);
  };
  std::stable_sort(tiles.begin(), tiles.end(),
                   [&](const TileId& a, const TileId& b) { return distance(a) < distance(b); });
  for (const auto& t : tiles) {
    const std::size_t size = bench.build(t).size();
    if (size >= o.min_bytes && size <= o.max_bytes) {
      std::printf("tile=%s bytes=%zu\n", tile_name(t).c_str(), size);
      return;
    }
  }
  throw std::runtime_error("no tile at zoom " + std::to_string(o.zoom) + " of " +
                           std::to_string(o.min_bytes) + "-" + std::to_string(o.max_bytes) +
                           " bytes");
}

void one_tile(const Options& o, const Bench& bench) {
  TileId t;
  if (std::sscanf(o.tile.c_str(), "%u/%u/%u", &t.z, &t.x, &t.y) != 3)
    usage_error("--tile: expected Z/X/Y, got '" + o.tile + "'");
  auto line = [&](const std::string& name,
                  const std::vector<const onemap::layers::TileLayerConfig*>& l) {
    onemap::layers::TileStats st;
    const std::size_t bytes = bench.build(t, l, &st).size();
    std::printf("layer=%s bytes=%zu features=%zu clusters=%zu clustered_points=%zu\n", name.c_str(),
                bytes, st.features, st.clusters, st.clustered_points);
  };
  line("all", bench.layers());
  for (const auto* l : bench.layers()) line(l->name, {l});
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  try {
    const auto layer_names = parse_layers(o.layers);
    const auto t0 = std::chrono::steady_clock::now();
    County county(onemap::layers::open_store(o.data, false), onemap::layers::JoinOptions{},
                  onemap::layers::TileConfig::defaults());
    const auto& d = county.data();
    std::printf("load_s=%.2f grids=%zu households=%zu enterprises=%zu incidents=%zu workers=%zu\n",
                seconds_since(t0), d.grids.size(), d.households.size(), d.enterprises.size(),
                d.incidents.size(), d.workers.size());
    const auto boxes = finest_grid_boxes(d);
    if (boxes.empty()) throw std::runtime_error(o.data + " has no grids");
    std::vector<onemap::layers::FeatureLayer> extra;
    if (o.network) {
      const auto t1 = std::chrono::steady_clock::now();
      extra.push_back(network(boxes, o.network));
      std::printf("network_lines=%zu network_s=%.2f\n", o.network, seconds_since(t1));
    }
    const auto t2 = std::chrono::steady_clock::now();
    const Bench bench(county, layer_names, std::move(extra));
    if (o.network) std::printf("index_s=%.2f\n", seconds_since(t2));
    std::fflush(stdout);
    if (o.command == "throughput")
      throughput(o, bench, boxes);
    else if (o.command == "zoom-stats")
      zoom_stats(o, bench, boxes);
    else if (o.command == "tile")
      one_tile(o, bench);
    else
      pick(o, bench, boxes);
  } catch (const std::exception& e) {
    std::cerr << "bench_tiles: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
