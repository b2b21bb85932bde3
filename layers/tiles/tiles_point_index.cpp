// Vector tiles (tiles.hpp): the point layers' indexes. A bucket grid over lon/lat per layer (shared
// by every matrix set; point_candidates reads it for queries too); per scheme each point's fine
// column and row (kFineZoom), from which a tile's points are found and placed, and the per-cell
// sums that clusters come from; the incidents' filter columns. All kept in step with writes
// (point_changed).
#include "layers/tiles/tiles.hpp"
#include "layers/tiles/tiles_internal.hpp"

#include "spatial/chinacrs.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace onemap::layers {

namespace bg = spatial::bg;
using namespace tiles_internal;

namespace {

uint32_t clamp_cell(double f, uint32_t n) {
  if (!(f > 0)) return 0;  // also NaN
  return static_cast<uint32_t>(std::min(f, n - 1.0));
}

}  // namespace

const FineFrame& tiles_internal::fine_frame(int s) {
  static const std::array<FineFrame, 4> frames = [] {
    std::array<FineFrame, 4> f{};
    for (int k = 0; k < 4; ++k) {
      const spatial::TileMatrixSet& tms = scheme_tms(k);
      const spatial::CrsBox b0 = k < 2 ? tms.bounds({0, 0, 0}) : tms.bounds({1, 0, 0});
      const double width = k < 2 ? b0.maxx - b0.minx : 2 * (b0.maxx - b0.minx);
      f[k] = {b0.minx, b0.maxy, std::ldexp(1.0, kFineZoom) / width};
    }
    return f;
  }();
  return frames[s];
}

void TileBuilder::Impl::fine(int s, LonLat p, uint32_t& col, uint32_t& row) {
  if (!std::isfinite(p.lon) || !std::isfinite(p.lat)) {
    col = row = UINT32_MAX;  // in no tile of any zoom up to 24
    return;
  }
  if (scheme_gcj02(s)) p = spatial::wgs84_to_gcj02(p);
  double x, y;
  scheme_tms(s).project(p.lon, p.lat, x, y);
  const FineFrame& f = fine_frame(s);
  const double fc = std::floor((x - f.left) * f.scale), fr = std::floor((f.top - y) * f.scale);
  const double limit = std::ldexp(1.0, kFineZoom) - 1;
  col = static_cast<uint32_t>(std::clamp(fc, 0.0, limit));
  row = static_cast<uint32_t>(std::clamp(fr, 0.0, limit));
}

template <class T>
void TileBuilder::Impl::fill_scheme(int s, const std::vector<T>& v, int slot) const {
  auto& col = schemes[s].col[slot];
  auto& row = schemes[s].row[slot];
  col.resize(v.size());
  row.resize(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) fine(s, v[i].location, col[i], row[i]);
}

const TileBuilder::Impl::SchemeCache& TileBuilder::Impl::scheme(const Dataset& d, int s) const {
  std::call_once(schemes[s].built, [&] {
    SchemeCache& sc = schemes[s];
    fill_scheme(s, d.households, 0);
    fill_scheme(s, d.enterprises, 1);
    fill_scheme(s, d.incidents, 2);
    fill_scheme(s, d.workers, 3);
    for (int slot = 0; slot < 4; ++slot) build_sums(sc.col[slot], sc.row[slot], sc.sums[slot]);
    sc.ready = true;
  });
  return schemes[s];
}

void TileBuilder::Impl::add_to_sums(Sums& sums, uint32_t col, uint32_t row, int sign) {
  if (col == UINT32_MAX) return;  // no position: in no tile
  for (uint32_t z = 0; z <= kSumsMaxZoom; ++z) {
    const uint64_t key = cell_key(col >> (kFineZoom - z), row >> (kFineZoom - z));
    if (sign > 0) {
      CellSums& c = sums[z][key];
      ++c.count;
      c.col += col;
      c.row += row;
    } else if (auto it = sums[z].find(key); it != sums[z].end()) {
      CellSums& c = it->second;
      if (--c.count == 0) {
        sums[z].erase(it);
      } else {
        c.col -= col;
        c.row -= row;
      }
    }
  }
}

void TileBuilder::Impl::build_sums(const std::vector<uint32_t>& col,
                                   const std::vector<uint32_t>& row, Sums& sums) {
  SumsLevel& finest = sums[kSumsMaxZoom];
  for (std::size_t i = 0; i < col.size(); ++i) {
    if (col[i] == UINT32_MAX) continue;
    CellSums& c = finest[cell_key(col[i] >> (kFineZoom - kSumsMaxZoom),
                                  row[i] >> (kFineZoom - kSumsMaxZoom))];
    ++c.count;
    c.col += col[i];
    c.row += row[i];
  }
  for (uint32_t z = kSumsMaxZoom; z-- > 0;) {
    for (const auto& [key, c] : sums[z + 1]) {
      CellSums& p = sums[z][cell_key((key >> 32) >> 1, (key & 0xFFFFFFFF) >> 1)];
      p.count += c.count;
      p.col += c.col;
      p.row += c.row;
    }
  }
}

template <class T>
void TileBuilder::Impl::build_buckets(const std::vector<T>& v, Buckets& b) {
  spatial::Box ext;
  bg::assign_inverse(ext);
  for (const auto& r : v)
    if (std::isfinite(r.location.lon) && std::isfinite(r.location.lat))
      bg::expand(ext, spatial::Point(r.location.lon, r.location.lat));
  if (bg::get<bg::min_corner, 0>(ext) > bg::get<bg::max_corner, 0>(ext))
    ext = spatial::Box({119, 30}, {121, 31});
  const double w =
      std::max(1e-6, bg::get<bg::max_corner, 0>(ext) - bg::get<bg::min_corner, 0>(ext));
  const double h =
      std::max(1e-6, bg::get<bg::max_corner, 1>(ext) - bg::get<bg::min_corner, 1>(ext));
  // About 64 points per cell, at most 512 x 512 cells.
  const double target = std::clamp(static_cast<double>(v.size()) / 64.0, 1.0, 262144.0);
  const double side = std::sqrt(w * h / target);
  b.nx = static_cast<uint32_t>(std::clamp(std::ceil(w / side), 1.0, 512.0));
  b.ny = static_cast<uint32_t>(std::clamp(std::ceil(h / side), 1.0, 512.0));
  b.x0 = bg::get<bg::min_corner, 0>(ext);
  b.y0 = bg::get<bg::min_corner, 1>(ext);
  b.inv_w = b.nx / w;
  b.inv_h = b.ny / h;
  b.cells.assign(static_cast<std::size_t>(b.nx) * b.ny, {});
  b.cell_of.assign(v.size(), UINT32_MAX);
  for (std::size_t i = 0; i < v.size(); ++i) place(b, i, v[i].location);
}

void TileBuilder::Impl::index_points(const Dataset& d) {
  build_buckets(d.households, buckets[0]);
  build_buckets(d.enterprises, buckets[1]);
  build_buckets(d.incidents, buckets[2]);
  build_buckets(d.workers, buckets[3]);
  for (std::size_t i = 0; i < d.incidents.size(); ++i) incident_columns.set(i, d.incidents[i]);
  // Web Mercator without offset is what most clients ask for: ready before the first request.
  scheme(d, 0);
}

void TileBuilder::Impl::place(Buckets& b, std::size_t i, LonLat p) {
  if (b.cell_of.size() <= i) b.cell_of.resize(i + 1, UINT32_MAX);
  const uint32_t old = b.cell_of[i];
  if (old != UINT32_MAX) {
    auto& c = b.cells[old];
    c.erase(std::find(c.begin(), c.end(), static_cast<uint32_t>(i)));
  }
  if (!std::isfinite(p.lon) || !std::isfinite(p.lat)) {
    b.cell_of[i] = UINT32_MAX;
    return;
  }
  const uint32_t cx = clamp_cell((p.lon - b.x0) * b.inv_w, b.nx);
  const uint32_t cy = clamp_cell((p.lat - b.y0) * b.inv_h, b.ny);
  const uint32_t cell = cy * b.nx + cx;
  b.cells[cell].push_back(static_cast<uint32_t>(i));
  b.cell_of[i] = cell;
}

TileBuilder::Impl::CellRange TileBuilder::Impl::cell_range(const Buckets& b,
                                                           const spatial::Box& box) {
  return {clamp_cell((bg::get<bg::min_corner, 0>(box) - b.x0) * b.inv_w, b.nx),
          clamp_cell((bg::get<bg::max_corner, 0>(box) - b.x0) * b.inv_w, b.nx),
          clamp_cell((bg::get<bg::min_corner, 1>(box) - b.y0) * b.inv_h, b.ny),
          clamp_cell((bg::get<bg::max_corner, 1>(box) - b.y0) * b.inv_h, b.ny)};
}

TileBuilder::Impl::IncidentMatcher::IncidentMatcher(const IncidentColumns& columns,
                                                    const IncidentFilter& f)
    : c(columns), since(f.since), until(f.until) {
  // Texts no incident has get no id: they select nothing, and hide nothing.
  auto mark = [&](const std::vector<std::string>& texts, std::vector<char>& ok, char value) {
    for (const auto& t : texts)
      if (const auto it = c.ids.find(t); it != c.ids.end()) ok[it->second] = value;
  };
  if (!f.statuses.empty()) {
    status_ok.assign(c.ids.size(), 0);
    mark(f.statuses, status_ok, 1);
  }
  if (!f.categories.empty() || !f.hidden_categories.empty()) {
    category_ok.assign(c.ids.size(), f.categories.empty() ? 1 : 0);
    mark(f.categories, category_ok, 1);
    mark(f.hidden_categories, category_ok, 0);
  }
}

void TileBuilder::point_changed(const Dataset& data, LayerKind kind, std::size_t index) {
  Impl& m = *impl_;
  const int slot = point_layer_slot(kind);
  if (slot < 0) return;
  LonLat p;
  switch (kind) {
    case LayerKind::Households:
      p = data.households.at(index).location;
      break;
    case LayerKind::Enterprises:
      p = data.enterprises.at(index).location;
      break;
    case LayerKind::Incidents:
      p = data.incidents.at(index).location;
      m.incident_columns.set(index, data.incidents[index]);
      break;
    case LayerKind::Workers:
      p = data.workers.at(index).location;
      break;
    case LayerKind::Grids:
      return;
  }
  Impl::place(m.buckets[slot], index, p);
  for (int s = 0; s < 4; ++s) {
    auto& sc = m.schemes[s];
    // A scheme not built yet is built from the data as it then is, this change included.
    if (!sc.ready.load()) continue;
    if (sc.col[slot].size() <= index) {
      sc.col[slot].resize(index + 1, UINT32_MAX);
      sc.row[slot].resize(index + 1, UINT32_MAX);
    }
    uint32_t& col = sc.col[slot][index];
    uint32_t& row = sc.row[slot][index];
    Impl::add_to_sums(sc.sums[slot], col, row, -1);
    Impl::fine(s, p, col, row);
    Impl::add_to_sums(sc.sums[slot], col, row, +1);
  }
}

std::vector<uint32_t> TileBuilder::point_candidates(LayerKind kind, const spatial::Box& box) const {
  const int slot = point_layer_slot(kind);
  if (slot < 0) return {};
  const Impl::Buckets& b = impl_->buckets[slot];
  std::vector<uint32_t> out;
  Impl::for_each_candidate(b, Impl::cell_range(b, box), [&](uint32_t i) { out.push_back(i); });
  // In record order: sorted, or when they are many for the layer's size, through a bit per record
  // (a pass over the bits then costs less than the sort; every index is in cell_of's range).
  const std::size_t words = (b.cell_of.size() + 63) / 64;
  if (out.size() * 16 < words) {
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<uint64_t> bits(words);
  for (const uint32_t i : out) bits[i >> 6] |= uint64_t{1} << (i & 63);
  out.clear();
  for (std::size_t w = 0; w < words; ++w)
    for (uint64_t x = bits[w]; x; x &= x - 1)
      out.push_back(static_cast<uint32_t>(w * 64 + static_cast<std::size_t>(std::countr_zero(x))));
  return out;
}

}  // namespace onemap::layers
