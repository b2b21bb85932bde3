// PolygonIndex: packed R-tree over bounding boxes + band-bucketed edges per polygon.
//
// Layout: all edges of all polygons live in one array (lower endpoint first, tagged with the part
// of the multipolygon they belong to), used for distances. Each polygon's y-range is cut into
// ~sqrt(edges) equal bands; a band holds copies of the non-horizontal edges whose closed y-range
// meets it, contiguous in memory so that a test costs one cache miss for the band. The
// band of a query is computed with the same monotone function used to fill the bands, so an edge
// with y0 <= py <= y1 is always listed in py's band whatever the rounding. A containment test is
// then the crossing-number test of predicates.hpp over one band: per part of the multipolygon the
// parity of crossings (outer ring and holes together), and the point is inside when some part
// has odd parity. For valid polygons (holes inside their outer ring, not overlapping) this is
// exactly polygon_contains / multipolygon_contains.
#include "spatial/polygon_index.hpp"

#include "core/parallel.hpp"
#include "spatial/predicates.hpp"

#include <boost/geometry/index/rtree.hpp>
#include <boost/iterator/function_output_iterator.hpp>

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>
#include <stdexcept>
#include <utility>

namespace onemap::spatial {
namespace {

namespace bgi = boost::geometry::index;

constexpr double kEarthRadiusM = 6371008.8;
constexpr double kPi = 3.14159265358979323846;
constexpr double kMetresPerDegree = kEarthRadiusM * kPi / 180.0;

struct Edge {
  double x0, y0, x1, y1;  // y0 <= y1
  uint32_t part;
};

struct Prepared {
  double xmax = 0;
  double ymin = 0;
  double ymax = 0;
  double inv_band_height = 0;
  uint32_t band_count = 0;
  uint32_t band_base = 0;  // index of this polygon's first entry in Impl::band_start
  uint32_t edge_begin = 0;
  uint32_t edge_end = 0;

  uint32_t band_of(double y) const {
    const double t = (y - ymin) * inv_band_height;
    if (!(t > 0)) return 0;
    if (t >= static_cast<double>(band_count)) return band_count - 1;
    return static_cast<uint32_t>(t);
  }
};

// Allocates arrays of 4 MB or more on 2 MB boundaries and asks the kernel for transparent huge
// pages there (Linux, THP "madvise" mode): random lookups into a large index then miss the TLB
// far less often. Smaller arrays come from the ordinary heap.
template <class T>
struct LargeArrayAllocator {
  using value_type = T;
  static constexpr std::size_t kHuge = std::size_t{2} << 20;
  static constexpr std::size_t kThreshold = std::size_t{4} << 20;
  LargeArrayAllocator() = default;
  template <class U>
  LargeArrayAllocator(const LargeArrayAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kThreshold) return std::allocator<T>().allocate(n);
    const std::size_t rounded = (bytes + kHuge - 1) / kHuge * kHuge;
    void* p = std::aligned_alloc(kHuge, rounded);
    if (p == nullptr) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    madvise(p, rounded, MADV_HUGEPAGE);  // a hint: failure only costs speed
#endif
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (n * sizeof(T) < kThreshold)
      std::allocator<T>().deallocate(p, n);
    else
      std::free(p);
  }
  template <class U>
  bool operator==(const LargeArrayAllocator<U>&) const noexcept {
    return true;
  }
};
template <class T>
using LargeVector = std::vector<T, LargeArrayAllocator<T>>;

using RtreeValue = std::pair<Box, int32_t>;
using Rtree = bgi::rtree<RtreeValue, bgi::rstar<16>>;

// True when the upward edge e (y0 <= py < y1) passes strictly to the right of p.
inline bool crosses_right(const Edge& e, double px, double py) {
  if (px < e.x0 && px < e.x1) return true;
  if (px > e.x0 && px > e.x1) return false;
  return orient2d(Point(e.x0, e.y0), Point(e.x1, e.y1), Point(px, py)) > 0;
}

// Squared distance from the origin to segment a-b (already in local metres).
inline double segment_distance2(double ax, double ay, double bx, double by) {
  const double dx = bx - ax;
  const double dy = by - ay;
  const double len2 = dx * dx + dy * dy;
  const double dot = -(ax * dx + ay * dy);
  if (len2 == 0.0 || dot <= 0.0) return ax * ax + ay * ay;
  if (dot >= len2) return bx * bx + by * by;
  const double cross = ax * dy - ay * dx;
  return cross * cross / len2;
}

}  // namespace

struct PolygonIndex::Impl {
  std::size_t count = 0;
  LargeVector<Prepared> prepared;
  LargeVector<Edge> edges;
  LargeVector<uint32_t> band_start;
  LargeVector<Edge> band_edges;
  Rtree rtree;

  // The cover: a raster over all polygons' extent. A cell that no polygon edge comes within
  // kCoverMargin of records the answer of locate() for every point of it (the lowest containing
  // id, or -1): containment cannot change inside a cell no boundary reaches. A cell an edge
  // reaches ("mixed") records instead a list of the only polygons that can contain a point of it,
  // ascending: those with an edge in the cell, and those that contain the whole cell. Cover
  // values: >= 0 an id, -1 none, <= -2 the list that starts at cell_lists[-value - 2].
  // So the cover only short-cuts work and never changes an answer.
  static constexpr double kCoverMargin = 1e-9;  // degrees (~0.1 mm), far above rounding error
  double cover_x0 = 0, cover_y0 = 0, cover_inv_w = 0, cover_inv_h = 0, cover_w = 0, cover_h = 0;
  uint32_t cover_nx = 0, cover_ny = 0;
  LargeVector<int32_t> cover;
  struct CellEntry {
    int32_t id;      // polygon (in a list's header: the number of entries that follow)
    uint32_t begin;  // its edges for every row of the cell: band_edges[begin, end),
    uint32_t end;    // or kNoSlice when the cell's rows span several bands
  };
  static constexpr uint32_t kNoSlice = std::numeric_limits<uint32_t>::max();
  LargeVector<CellEntry> cell_lists;

  // Cell column/row of a coordinate; may be out of [0, n) (then the cover does not apply).
  int64_t cover_col(double x) const {
    return static_cast<int64_t>(std::floor((x - cover_x0) * cover_inv_w));
  }
  int64_t cover_row(double y) const {
    return static_cast<int64_t>(std::floor((y - cover_y0) * cover_inv_h));
  }

  int32_t locate_exact(double px, double py) const {
    int32_t best = -1;
    for_each_candidate(px, py, [&](int32_t id) {
      if ((best < 0 || id < best) && contains(id, px, py)) best = id;
    });
    return best;
  }

  int32_t locate(double px, double py) const {
    if (const int32_t* cell = cover_cell(px, py)) {
      const int32_t v = *cell;
      if (v >= -1) return v;
      const CellEntry* list = cell_lists.data() + (-static_cast<int64_t>(v) - 2);
      for (int32_t i = 1; i <= list[0].id; ++i) {
        const CellEntry& entry = list[i];
        const bool inside = entry.begin != kNoSlice
                                ? band_contains(band_edges.data() + entry.begin,
                                                band_edges.data() + entry.end, px, py)
                                : contains(entry.id, px, py);
        if (inside) return entry.id;
      }
      return -1;
    }
    return locate_exact(px, py);
  }

  // The cover cell of (px, py), or nullptr outside the cover (or when there is none).
  // (x - x0) * inv is in [0, n) exactly when cover_col(x) is: then truncation is floor.
  const int32_t* cover_cell(double px, double py) const {
    if (cover.empty()) return nullptr;
    const double fc = (px - cover_x0) * cover_inv_w, fr = (py - cover_y0) * cover_inv_h;
    if (!(fc >= 0 && fr >= 0 && fc < cover_nx && fr < cover_ny)) return nullptr;
    return cover.data() + static_cast<std::size_t>(fr) * cover_nx + static_cast<std::size_t>(fc);
  }

  // Hints the CPU to fetch what locate(px, py) will read, one level of the chain cover cell ->
  // cell list -> edges per stage (0, 1, 2). Issued for points some steps ahead of the current one,
  // stage 0 furthest, so that each stage finds the previous one's line in cache.
  void prefetch(double px, double py, int stage) const {
    const int32_t* cell = cover_cell(px, py);
    if (cell == nullptr) return;
    if (stage == 0) {
      __builtin_prefetch(cell);
      return;
    }
    const int32_t v = *cell;
    if (v >= -1) return;
    const CellEntry* list = cell_lists.data() + (-static_cast<int64_t>(v) - 2);
    if (stage == 1) {
      __builtin_prefetch(list);
      return;
    }
    if (list[0].id >= 1 && list[1].begin != kNoSlice)
      __builtin_prefetch(band_edges.data() + list[1].begin);
  }

  // Calls f(cell index) for every cell that edge e passes within kCoverMargin of.
  template <class F>
  void for_each_edge_cell(const Edge& e, F&& f) const {
    const double m = kCoverMargin;
    const double xlo = std::min(e.x0, e.x1), xhi = std::max(e.x0, e.x1);
    const int64_t c_first = std::max<int64_t>(0, cover_col(xlo - m));
    const int64_t c_last = std::min<int64_t>(cover_nx - 1, cover_col(xhi + m));
    for (int64_t c = c_first; c <= c_last; ++c) {
      // The part of the edge inside this column (widened by the margin).
      const double cx0 = cover_x0 + static_cast<double>(c) * cover_w - m;
      const double cx1 = cover_x0 + static_cast<double>(c + 1) * cover_w + m;
      double ylo, yhi;
      if (e.x0 == e.x1) {
        ylo = std::min(e.y0, e.y1);
        yhi = std::max(e.y0, e.y1);
      } else {
        const double xa = std::max(xlo, cx0), xb = std::min(xhi, cx1);
        const double slope = (e.y1 - e.y0) / (e.x1 - e.x0);
        const double ya = e.y0 + (xa - e.x0) * slope, yb = e.y0 + (xb - e.x0) * slope;
        ylo = std::max(std::min(ya, yb), std::min(e.y0, e.y1));
        yhi = std::min(std::max(ya, yb), std::max(e.y0, e.y1));
      }
      const int64_t r_first = std::max<int64_t>(0, cover_row(ylo - m));
      const int64_t r_last = std::min<int64_t>(cover_ny - 1, cover_row(yhi + m));
      for (int64_t r = r_first; r <= r_last; ++r)
        f(static_cast<std::size_t>(r) * cover_nx + static_cast<std::size_t>(c));
    }
  }

  void build_cover(const Box& extent, const std::vector<RtreeValue>& boxes) {
    const double w = bg::get<bg::max_corner, 0>(extent) - bg::get<bg::min_corner, 0>(extent);
    const double h = bg::get<bg::max_corner, 1>(extent) - bg::get<bg::min_corner, 1>(extent);
    if (!(w > 0) || !(h > 0) || count == 0) return;
    // About 1024 cells per polygon (32 x 32): about four in five cells then lie inside one
    // polygon; at most 16M cells (64 MB).
    const double target = std::clamp(1024.0 * static_cast<double>(count), 4096.0, 16777216.0);
    const double side = std::sqrt(w * h / target);
    cover_nx = static_cast<uint32_t>(std::clamp(std::ceil(w / side), 1.0, 16384.0));
    cover_ny = static_cast<uint32_t>(std::clamp(std::ceil(h / side), 1.0, 16384.0));
    cover_x0 = bg::get<bg::min_corner, 0>(extent);
    cover_y0 = bg::get<bg::min_corner, 1>(extent);
    cover_w = w / cover_nx;
    cover_h = h / cover_ny;
    cover_inv_w = cover_nx / w;
    cover_inv_h = cover_ny / h;
    const std::size_t cells = static_cast<std::size_t>(cover_nx) * cover_ny;
    constexpr int32_t kUnknown = std::numeric_limits<int32_t>::min();
    constexpr int32_t kMixed = kUnknown + 1;
    cover.assign(cells, kUnknown);

    // (cell, polygon) for every polygon with an edge in the cell: polygon by polygon, so in
    // ascending id and without repeats (stamp holds the last polygon seen in each cell).
    std::vector<std::pair<uint32_t, int32_t>> pairs;
    {
      std::vector<int32_t> stamp(cells, -1);
      for (std::size_t id = 0; id < count; ++id) {
        const Prepared& pr = prepared[id];
        const int32_t sid = static_cast<int32_t>(id);
        for (uint32_t i = pr.edge_begin; i < pr.edge_end; ++i)
          for_each_edge_cell(edges[i], [&](std::size_t c) {
            if (stamp[c] == sid) return;
            stamp[c] = sid;
            cover[c] = kMixed;
            pairs.emplace_back(static_cast<uint32_t>(c), sid);
          });
      }
    }

    // Cells that no edge reaches form regions; crossing from one such cell to its neighbour
    // crosses no boundary, so a whole 4-connected region has one answer: locate one cell of
    // each region exactly and flood the rest.
    std::vector<uint32_t> stack;
    for (std::size_t start = 0; start < cells; ++start) {
      if (cover[start] != kUnknown) continue;
      const uint32_t c0 = static_cast<uint32_t>(start % cover_nx);
      const uint32_t r0 = static_cast<uint32_t>(start / cover_nx);
      const int32_t owner =
          locate_exact(cover_x0 + (c0 + 0.5) * cover_w, cover_y0 + (r0 + 0.5) * cover_h);
      cover[start] = owner;
      stack.assign(1, static_cast<uint32_t>(start));
      while (!stack.empty()) {
        const uint32_t i = stack.back();
        stack.pop_back();
        const uint32_t c = i % cover_nx, r = i / cover_nx;
        auto visit = [&](uint32_t j) {
          if (cover[j] == kUnknown) {
            cover[j] = owner;
            stack.push_back(j);
          }
        };
        if (c > 0) visit(i - 1);
        if (c + 1 < cover_nx) visit(i + 1);
        if (r > 0) visit(i - cover_nx);
        if (r + 1 < cover_ny) visit(i + cover_nx);
      }
    }

    // Group the pairs by cell (a stable counting sort keeps the ids ascending).
    std::vector<uint32_t> first(cells + 1, 0);
    for (const auto& pc : pairs) ++first[pc.first + 1];
    for (std::size_t c = 0; c < cells; ++c) first[c + 1] += first[c];
    std::vector<int32_t> edge_ids(pairs.size());
    {
      std::vector<uint32_t> cursor(first.begin(), first.end() - 1);
      for (const auto& pc : pairs) edge_ids[cursor[pc.first]++] = pc.second;
    }
    pairs.clear();
    pairs.shrink_to_fit();

    // Polygons that contain a whole mixed cell without an edge in it (only where polygons
    // overlap): a polygon with no edge in the cell contains all of it or none, so its answer at
    // the cell's centre decides.
    std::vector<std::pair<uint32_t, int32_t>> whole;
    for (const auto& [box, id] : boxes) {
      if (prepared[static_cast<std::size_t>(id)].band_count == 0) continue;
      const int64_t c0 = std::max<int64_t>(0, cover_col(bg::get<bg::min_corner, 0>(box)));
      const int64_t c1 =
          std::min<int64_t>(cover_nx - 1, cover_col(bg::get<bg::max_corner, 0>(box)));
      const int64_t r0 = std::max<int64_t>(0, cover_row(bg::get<bg::min_corner, 1>(box)));
      const int64_t r1 =
          std::min<int64_t>(cover_ny - 1, cover_row(bg::get<bg::max_corner, 1>(box)));
      for (int64_t r = r0; r <= r1; ++r)
        for (int64_t c = c0; c <= c1; ++c) {
          const std::size_t k =
              static_cast<std::size_t>(r) * cover_nx + static_cast<std::size_t>(c);
          if (cover[k] != kMixed) continue;
          const auto b = edge_ids.begin() + first[k], e = edge_ids.begin() + first[k + 1];
          if (std::binary_search(b, e, id)) continue;
          if (contains(id, cover_x0 + (c + 0.5) * cover_w, cover_y0 + (r + 0.5) * cover_h))
            whole.emplace_back(static_cast<uint32_t>(k), id);
        }
    }
    std::sort(whole.begin(), whole.end());

    // The lists per mixed cell: a header {n}, then n entries in ascending id, each with the
    // polygon's band of edges when all of the cell's rows fall in one band.
    cell_lists.clear();
    auto w_it = whole.begin();
    auto add = [&](std::size_t k, int32_t id) {
      const Prepared& pr = prepared[static_cast<std::size_t>(id)];
      CellEntry entry{id, kNoSlice, kNoSlice};
      if (pr.band_count == 0) {
        entry.begin = entry.end = 0;  // contains nothing
      } else {
        const std::size_t row = k / cover_nx;
        const double r = static_cast<double>(row);
        const uint32_t b = pr.band_of(cover_y0 + r * cover_h - kCoverMargin);
        if (b == pr.band_of(cover_y0 + (r + 1) * cover_h + kCoverMargin)) {
          entry.begin = band_start[pr.band_base + b];
          entry.end = band_start[pr.band_base + b + 1];
        }
      }
      cell_lists.push_back(entry);
    };
    for (std::size_t k = 0; k < cells; ++k) {
      if (cover[k] != kMixed) continue;
      const std::size_t at = cell_lists.size();
      cell_lists.push_back({0, 0, 0});
      auto e_it = edge_ids.begin() + first[k];
      const auto e_end = edge_ids.begin() + first[k + 1];
      while (e_it != e_end || (w_it != whole.end() && w_it->first == k)) {
        if (w_it == whole.end() || w_it->first != k || (e_it != e_end && *e_it < w_it->second))
          add(k, *e_it++);
        else
          add(k, (w_it++)->second);
      }
      cell_lists[at].id = static_cast<int32_t>(cell_lists.size() - at - 1);
      if (at > static_cast<std::size_t>(std::numeric_limits<int32_t>::max()) - 2) {
        // Too many lists to address (far beyond any real index): no cover, exact path only.
        cover.clear();
        cell_lists.clear();
        return;
      }
      cover[k] = -static_cast<int32_t>(at) - 2;
    }
    cell_lists.shrink_to_fit();
  }

  // The crossing-number test of the point over one band's edges (see the file comment).
  static bool band_contains(const Edge* it, const Edge* end, double px, double py) {
    uint32_t part = std::numeric_limits<uint32_t>::max();
    bool odd = false;
    for (; it != end; ++it) {
      const Edge& e = *it;
      if (e.part != part) {
        if (odd) return true;
        part = e.part;
      }
      if (e.y0 <= py && py < e.y1 && crosses_right(e, px, py)) odd = !odd;
    }
    return odd;
  }

  bool contains(int32_t id, double px, double py) const {
    const Prepared& pr = prepared[static_cast<std::size_t>(id)];
    if (pr.band_count == 0 || py < pr.ymin || py >= pr.ymax || px > pr.xmax) return false;
    const uint32_t b = pr.band_of(py);
    return band_contains(band_edges.data() + band_start[pr.band_base + b],
                         band_edges.data() + band_start[pr.band_base + b + 1], px, py);
  }

  template <typename F>
  void for_each_candidate(double px, double py, F&& f) const {
    const Point p(px, py);
    rtree.query(bgi::intersects(Box(p, p)),
                boost::make_function_output_iterator([&](const RtreeValue& v) { f(v.second); }));
  }

  // Squared local-metre distance from p to polygon id's boundary, exact when it is at most bound2
  // (strictly greater than bound2 otherwise).
  double boundary_distance2(int32_t id, double px, double py, double kx, double ky,
                            double bound2) const {
    const Prepared& pr = prepared[static_cast<std::size_t>(id)];
    double best = std::numeric_limits<double>::infinity();
    for (uint32_t i = pr.edge_begin; i < pr.edge_end; ++i) {
      const Edge& e = edges[i];
      // Skip an edge whose y-range alone puts it farther than the best so far (it cannot lower
      // the minimum) or than bound2 (the caller rejects anything beyond it, and a skipped edge
      // can only leave the result above its true value, which is then above bound2 too).
      const double dy = e.y0 > py ? (e.y0 - py) * ky : (py > e.y1 ? (py - e.y1) * ky : 0.0);
      if (dy * dy > std::min(bound2, best)) continue;
      const double d2 =
          segment_distance2((e.x0 - px) * kx, (e.y0 - py) * ky, (e.x1 - px) * kx, (e.y1 - py) * ky);
      if (d2 < best) best = d2;
    }
    return best;
  }
};

PolygonIndex::PolygonIndex() : impl_(std::make_unique<Impl>()) {}

PolygonIndex::PolygonIndex(const std::vector<MultiPolygon>& polygons)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.count = polygons.size();
  m.prepared.resize(polygons.size());
  std::vector<RtreeValue> boxes;
  boxes.reserve(polygons.size());
  m.band_start.push_back(0);

  for (std::size_t id = 0; id < polygons.size(); ++id) {
    Prepared& pr = m.prepared[id];
    pr.edge_begin = static_cast<uint32_t>(m.edges.size());
    Box box;
    bg::assign_inverse(box);
    uint32_t part = 0;
    std::size_t sloped = 0;
    auto add_ring = [&](const Ring& ring) {
      const std::size_t n = ring.size();
      if (n < 2) return;
      for (std::size_t i = 0, j = n - 1; i < n; j = i++) {
        const Point& u = ring[j];
        const Point& v = ring[i];
        bg::expand(box, v);
        if (u.x() == v.x() && u.y() == v.y()) continue;  // closing duplicate or repeated vertex
        if (u.y() <= v.y())
          m.edges.push_back({u.x(), u.y(), v.x(), v.y(), part});
        else
          m.edges.push_back({v.x(), v.y(), u.x(), u.y(), part});
        if (u.y() != v.y()) ++sloped;
      }
    };
    for (const auto& poly : polygons[id]) {
      add_ring(poly.outer());
      for (const auto& hole : poly.inners()) add_ring(hole);
      ++part;
    }
    pr.edge_end = static_cast<uint32_t>(m.edges.size());
    pr.band_base = static_cast<uint32_t>(m.band_start.size() - 1);
    if (sloped == 0 || !(bg::get<bg::min_corner, 1>(box) < bg::get<bg::max_corner, 1>(box))) {
      pr.band_count = 0;  // nothing can contain a point
      continue;
    }
    pr.xmax = bg::get<bg::max_corner, 0>(box);
    pr.ymin = bg::get<bg::min_corner, 1>(box);
    pr.ymax = bg::get<bg::max_corner, 1>(box);
    pr.band_count = static_cast<uint32_t>(
        std::max<double>(1.0, std::floor(std::sqrt(static_cast<double>(sloped)))));
    pr.inv_band_height = pr.band_count / (pr.ymax - pr.ymin);

    // Counting pass, then filling pass (CSR layout).
    std::vector<uint32_t> counts(pr.band_count, 0);
    for (uint32_t i = pr.edge_begin; i < pr.edge_end; ++i) {
      const Edge& e = m.edges[i];
      if (e.y0 == e.y1) continue;
      for (uint32_t b = pr.band_of(e.y0), last = pr.band_of(e.y1); b <= last; ++b) ++counts[b];
    }
    const uint32_t first_item = static_cast<uint32_t>(m.band_edges.size());
    std::vector<uint32_t> cursor(pr.band_count);
    uint32_t running = first_item;
    for (uint32_t b = 0; b < pr.band_count; ++b) {
      cursor[b] = running;
      running += counts[b];
      m.band_start.push_back(running);
    }
    m.band_edges.resize(running);
    for (uint32_t i = pr.edge_begin; i < pr.edge_end; ++i) {
      const Edge& e = m.edges[i];
      if (e.y0 == e.y1) continue;
      for (uint32_t b = pr.band_of(e.y0), last = pr.band_of(e.y1); b <= last; ++b)
        m.band_edges[cursor[b]++] = e;
    }
    boxes.emplace_back(box, static_cast<int32_t>(id));
  }
  // Degenerate polygons (no area) still get a box so that nearest() can find them.
  for (std::size_t id = 0; id < polygons.size(); ++id) {
    const Prepared& pr = m.prepared[id];
    if (pr.band_count != 0 || pr.edge_begin == pr.edge_end) continue;
    Box box;
    bg::assign_inverse(box);
    for (uint32_t i = pr.edge_begin; i < pr.edge_end; ++i) {
      bg::expand(box, Point(m.edges[i].x0, m.edges[i].y0));
      bg::expand(box, Point(m.edges[i].x1, m.edges[i].y1));
    }
    boxes.emplace_back(box, static_cast<int32_t>(id));
  }
  m.rtree = Rtree(boxes.begin(), boxes.end());  // range constructor: packed (STR) bulk load
  Box extent;
  bg::assign_inverse(extent);
  for (const auto& b : boxes) bg::expand(extent, b.first);
  if (!boxes.empty()) m.build_cover(extent, boxes);
}

PolygonIndex::~PolygonIndex() = default;
PolygonIndex::PolygonIndex(PolygonIndex&&) noexcept = default;
PolygonIndex& PolygonIndex::operator=(PolygonIndex&&) noexcept = default;

std::size_t PolygonIndex::size() const {
  return impl_->count;
}

int32_t PolygonIndex::locate(LonLat p) const {
  if (!std::isfinite(p.lon) || !std::isfinite(p.lat)) return -1;
  return impl_->locate(p.lon, p.lat);
}

void PolygonIndex::locate_many(std::span<const LonLat> points, std::span<int32_t> out,
                               unsigned threads) const {
  if (out.size() != points.size())
    throw std::invalid_argument("PolygonIndex::locate_many: output size differs from input size");
  locate_many(points.data(), points.size(), sizeof(LonLat), out.data(), threads);
}

void PolygonIndex::locate_many(const LonLat* first, std::size_t n, std::size_t stride_bytes,
                               int32_t* out, unsigned threads) const {
  const auto* base = reinterpret_cast<const unsigned char*>(first);
  auto point = [&](std::size_t i) -> const LonLat& {
    return *reinterpret_cast<const LonLat*>(base + i * stride_bytes);
  };
  const Impl& m = *impl_;
  // Point by point in the given order, the chain of reads of each lookup (cover cell, cell list,
  // edges) fetched ahead in stages, so that many cache misses are in flight at once: with a large
  // index, lookups in random order are bound by memory latency otherwise.
  auto work = [&](std::size_t begin, std::size_t end) {
    constexpr std::size_t kAhead = 24;
    for (std::size_t i = begin; i < end; ++i) {
      if (!m.cover.empty()) {
        if (i + kAhead < end) m.prefetch(point(i + kAhead).lon, point(i + kAhead).lat, 0);
        if (i + kAhead / 2 < end)
          m.prefetch(point(i + kAhead / 2).lon, point(i + kAhead / 2).lat, 1);
        if (i + kAhead / 4 < end)
          m.prefetch(point(i + kAhead / 4).lon, point(i + kAhead / 4).lat, 2);
      }
      const LonLat& p = point(i);
      out[i] = std::isfinite(p.lon) && std::isfinite(p.lat) ? m.locate(p.lon, p.lat) : -1;
    }
  };
  // Chunks of 4096 points: long enough for the reads fetched ahead to pay off.
  core::parallel_chunks(n, 4096, threads,
                        [&](std::size_t, std::size_t begin, std::size_t end) { work(begin, end); });
}

std::vector<int32_t> PolygonIndex::locate_all(LonLat p) const {
  std::vector<int32_t> out;
  if (!std::isfinite(p.lon) || !std::isfinite(p.lat)) return out;
  impl_->for_each_candidate(p.lon, p.lat, [&](int32_t id) {
    if (impl_->contains(id, p.lon, p.lat)) out.push_back(id);
  });
  std::sort(out.begin(), out.end());
  return out;
}

PolygonIndex::Nearest PolygonIndex::nearest(LonLat p, double max_m) const {
  return nearest_impl(p, max_m, false);
}

PolygonIndex::Nearest PolygonIndex::nearest_outside(LonLat p, double max_m) const {
  return nearest_impl(p, max_m, true);
}

PolygonIndex::Nearest PolygonIndex::nearest_impl(LonLat p, double max_m, bool outside) const {
  Nearest result;
  if (!std::isfinite(p.lon) || !std::isfinite(p.lat) || !(max_m >= 0)) return result;
  const double ky = kMetresPerDegree;
  const double kx = kMetresPerDegree * std::cos(p.lat * kPi / 180.0);
  // Search box: a little larger than max_m so that rounding cannot drop a candidate at the limit.
  const double margin = 1.0 + 1e-9;
  const double dlat = max_m / ky * margin + 1e-12;
  const double dlon = max_m / std::max(kx, 1e-6 * ky) * margin + 1e-12;
  const Box search(Point(p.lon - dlon, p.lat - dlat), Point(p.lon + dlon, p.lat + dlat));
  // Candidates in order of the distance to their bounding box (a lower bound of the distance to
  // the polygon): stop once that bound exceeds the best distance found.
  // Reused per thread: nearest() is called for many points in a row during a join.
  thread_local std::vector<std::pair<double, int32_t>> candidates;
  candidates.clear();
  impl_->rtree.query(bgi::intersects(search),
                     boost::make_function_output_iterator([&](const RtreeValue& v) {
                       const Box& b = v.first;
                       const double dx = std::max({bg::get<bg::min_corner, 0>(b) - p.lon, 0.0,
                                                   p.lon - bg::get<bg::max_corner, 0>(b)}) *
                                         kx;
                       const double dy = std::max({bg::get<bg::min_corner, 1>(b) - p.lat, 0.0,
                                                   p.lat - bg::get<bg::max_corner, 1>(b)}) *
                                         ky;
                       candidates.emplace_back(dx * dx + dy * dy, v.second);
                     }));
  std::sort(candidates.begin(), candidates.end());
  const double limit2 = max_m * max_m;
  double best2 = std::numeric_limits<double>::infinity();
  for (const auto& [box_d2, id] : candidates) {
    // Strictly greater: a polygon whose box is as far as the best may still tie it.
    if (box_d2 > best2 * (1 + 1e-12) || box_d2 > limit2 * (1 + 1e-12)) break;
    double d2 = 0.0;
    if (outside || !impl_->contains(id, p.lon, p.lat))
      d2 = impl_->boundary_distance2(id, p.lon, p.lat, kx, ky, std::min(best2, limit2));
    if (d2 <= limit2 && (d2 < best2 || (d2 == best2 && id < result.index))) {  // ties: lower index
      best2 = d2;
      result.index = id;
    }
  }
  if (result.index >= 0) result.distance_m = std::sqrt(best2);
  return result;
}

std::vector<int32_t> PolygonIndex::query_box(const Box& box) const {
  std::vector<int32_t> out;
  impl_->rtree.query(
      bgi::intersects(box),
      boost::make_function_output_iterator([&](const RtreeValue& v) { out.push_back(v.second); }));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace onemap::spatial
