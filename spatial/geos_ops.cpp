// GEOS-backed validity, repair, overlay, WKB/WKT and Voronoi on onemap's Boost.Geometry types.
//
// Each thread has its own GEOS context handle (the reentrant API), created on first use; GEOS
// error messages are captured into that context and put into exception texts. Geometries cross
// the boundary as coordinate arrays, never as GEOS objects. Polygonal output is normalised with
// bg::correct: counter-clockwise outer rings, clockwise holes, closed rings.
#include "spatial/geos_ops.hpp"

#include "core/errors.hpp"
#include "spatial/geos_internal.hpp"
#include "spatial/polygon_index.hpp"

#include <geos_c.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

namespace onemap::spatial {
namespace detail {
namespace {

void on_geos_error(const char* message, void* user) {
  if (message != nullptr) *static_cast<std::string*>(user) = message;
}
void on_geos_notice(const char* /*message*/, void* /*user*/) {}

struct GeosContext {
  GEOSContextHandle_t handle = nullptr;
  std::string last_error;
  GeosContext() : handle(GEOS_init_r()) {
    GEOSContext_setErrorMessageHandler_r(handle, on_geos_error, &last_error);
    GEOSContext_setNoticeMessageHandler_r(handle, on_geos_notice, nullptr);
  }
  ~GeosContext() { GEOS_finish_r(handle); }
  GeosContext(const GeosContext&) = delete;
  GeosContext& operator=(const GeosContext&) = delete;
};

GeosContext& geos() {
  thread_local GeosContext context;
  return context;
}

}  // namespace

GEOSContextHandle_t h() {
  return geos().handle;
}

std::string take_error() {
  std::string msg = std::move(geos().last_error);
  geos().last_error.clear();
  return msg.empty() ? std::string("unknown GEOS error") : msg;
}

}  // namespace detail

namespace {

using detail::from_geos;
using detail::GeomPtr;
using detail::h;
using detail::take_error;
using detail::to_geos;

struct PreparedDeleter {
  void operator()(const GEOSPreparedGeometry* g) const {
    if (g != nullptr) GEOSPreparedGeom_destroy_r(h(), g);
  }
};
using PreparedPtr = std::unique_ptr<const GEOSPreparedGeometry, PreparedDeleter>;

template <typename T>
struct GeosFree {
  void operator()(T* p) const {
    if (p != nullptr) GEOSFree_r(h(), p);
  }
};

[[noreturn]] void throw_geometry(const std::string& what) {
  throw InvalidArgument("geometry", what + ": " + take_error());
}

// ---- onemap → GEOS -------------------------------------------------------------------------

GEOSGeometry* ring_to_geos(const Ring& ring) {
  std::vector<double> buf;
  buf.reserve(2 * ring.size() + 2);
  for (const auto& p : ring) {
    buf.push_back(p.x());
    buf.push_back(p.y());
  }
  if (!ring.empty() &&
      (ring.front().x() != ring.back().x() || ring.front().y() != ring.back().y())) {
    buf.push_back(ring.front().x());
    buf.push_back(ring.front().y());
  }
  GEOSCoordSequence* seq =
      GEOSCoordSeq_copyFromBuffer_r(h(), buf.data(), static_cast<unsigned>(buf.size() / 2), 0, 0);
  if (seq == nullptr) throw_geometry("cannot build a coordinate sequence");
  GEOSGeometry* g = GEOSGeom_createLinearRing_r(h(), seq);
  if (g == nullptr) throw_geometry("invalid ring");
  return g;
}

GEOSGeometry* polygon_to_geos(const Polygon& poly) {
  GeomPtr shell(ring_to_geos(poly.outer()));
  std::vector<GeomPtr> holes;
  for (const auto& hole : poly.inners()) holes.emplace_back(ring_to_geos(hole));
  std::vector<GEOSGeometry*> raw;
  raw.reserve(holes.size());
  for (auto& hp : holes) raw.push_back(hp.get());
  GEOSGeometry* g =
      GEOSGeom_createPolygon_r(h(), shell.get(), raw.data(), static_cast<unsigned>(raw.size()));
  if (g == nullptr) throw_geometry("invalid polygon");
  // The polygon owns the rings now.
  static_cast<void>(shell.release());
  for (auto& hp : holes) static_cast<void>(hp.release());
  return g;
}

// A GEOS multi-geometry of `type` with one member per item, each made by `make`.
template <class Items, class Make>
GeomPtr multi_to_geos(const Items& items, int type, Make make) {
  std::vector<GeomPtr> parts;
  parts.reserve(items.size());
  for (const auto& item : items) parts.emplace_back(make(item));
  std::vector<GEOSGeometry*> raw;
  raw.reserve(parts.size());
  for (auto& gp : parts) raw.push_back(gp.get());
  GEOSGeometry* g =
      GEOSGeom_createCollection_r(h(), type, raw.data(), static_cast<unsigned>(raw.size()));
  if (g == nullptr) throw_geometry("cannot build a collection");
  for (auto& gp : parts) static_cast<void>(gp.release());  // the collection owns them now
  return GeomPtr(g);
}

GeomPtr collection_to_geos(const std::vector<const Polygon*>& polys, int type) {
  return multi_to_geos(polys, type, [](const Polygon* p) { return polygon_to_geos(*p); });
}

GEOSGeometry* point_to_geos(const Point& p) {
  GEOSGeometry* g = GEOSGeom_createPointFromXY_r(h(), p.x(), p.y());
  if (g == nullptr) throw_geometry("invalid point");
  return g;
}

GEOSGeometry* line_to_geos(const LineString& line) {
  std::vector<double> buf;
  buf.reserve(2 * line.size());
  for (const auto& p : line) {
    buf.push_back(p.x());
    buf.push_back(p.y());
  }
  GEOSCoordSequence* seq =
      GEOSCoordSeq_copyFromBuffer_r(h(), buf.data(), static_cast<unsigned>(line.size()), 0, 0);
  if (seq == nullptr) throw_geometry("cannot build a coordinate sequence");
  GEOSGeometry* g = GEOSGeom_createLineString_r(h(), seq);
  if (g == nullptr) throw_geometry("invalid line");
  return g;
}

std::string relate_geos(const MultiPolygon& a, const GEOSGeometry* b) {
  GeomPtr ga = to_geos(a);
  std::unique_ptr<char, GeosFree<char>> m(GEOSRelate_r(h(), ga.get(), b));
  if (!m) throw Error("relate failed: " + take_error());
  return m.get();
}

// ---- GEOS → onemap -------------------------------------------------------------------------

void ring_from_geos(const GEOSGeometry* g, Ring& out) {
  const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(h(), g);
  unsigned n = 0;
  if (seq == nullptr || GEOSCoordSeq_getSize_r(h(), seq, &n) == 0)
    throw_geometry("cannot read a ring");
  std::vector<double> xs(n);
  std::vector<double> ys(n);
  if (n > 0 && GEOSCoordSeq_copyToArrays_r(h(), seq, xs.data(), ys.data(), nullptr, nullptr) == 0)
    throw_geometry("cannot read a ring");
  out.clear();
  out.reserve(n);
  for (unsigned i = 0; i < n; ++i) out.emplace_back(xs[i], ys[i]);
}

void collect_polygons(const GEOSGeometry* g, MultiPolygon& out) {
  switch (GEOSGeomTypeId_r(h(), g)) {
    case GEOS_POLYGON: {
      if (GEOSisEmpty_r(h(), g) == 1) return;
      Polygon poly;
      ring_from_geos(GEOSGetExteriorRing_r(h(), g), poly.outer());
      const int holes = GEOSGetNumInteriorRings_r(h(), g);
      for (int i = 0; i < holes; ++i) {
        Ring r;
        ring_from_geos(GEOSGetInteriorRingN_r(h(), g, i), r);
        if (!r.empty()) poly.inners().push_back(std::move(r));
      }
      out.push_back(std::move(poly));
      return;
    }
    case GEOS_MULTIPOLYGON:
    case GEOS_GEOMETRYCOLLECTION: {
      const int n = GEOSGetNumGeometries_r(h(), g);
      for (int i = 0; i < n; ++i) collect_polygons(GEOSGetGeometryN_r(h(), g, i), out);
      return;
    }
    default:
      return;  // points and lines are dropped
  }
}

// Removes repeated consecutive vertices and rings too short to enclose anything.
MultiPolygon drop_degenerate(const MultiPolygon& mp) {
  auto clean = [](const Ring& r) {
    Ring out;
    for (const auto& p : r)
      if (out.empty() || out.back().x() != p.x() || out.back().y() != p.y()) out.push_back(p);
    while (out.size() > 1 && out.front().x() == out.back().x() && out.front().y() == out.back().y())
      out.pop_back();
    if (out.size() < 3) return Ring{};
    out.push_back(out.front());
    return out;
  };
  MultiPolygon result;
  for (const auto& poly : mp) {
    Polygon p;
    p.outer() = clean(poly.outer());
    if (p.outer().empty()) continue;
    for (const auto& hole : poly.inners()) {
      Ring r = clean(hole);
      if (!r.empty()) p.inners().push_back(std::move(r));
    }
    result.push_back(std::move(p));
  }
  return result;
}

enum class Overlay { Intersection, Difference };

MultiPolygon overlay(const MultiPolygon& a, const MultiPolygon& b, Overlay op) {
  GeomPtr ga = to_geos(a);
  GeomPtr gb = to_geos(b);
  GeomPtr r(op == Overlay::Intersection ? GEOSIntersection_r(h(), ga.get(), gb.get())
                                        : GEOSDifference_r(h(), ga.get(), gb.get()));
  if (!r)
    throw Error(std::string(op == Overlay::Intersection ? "intersection" : "difference") +
                " failed: " + take_error());
  return from_geos(r.get());
}

GeomPtr lines_to_geos(const MultiLineString& ml) {
  return multi_to_geos(ml, GEOS_MULTILINESTRING, line_to_geos);
}

// The lineal part of a GEOS geometry, appended to `out`.
void collect_lines(const GEOSGeometry* g, MultiLineString& out) {
  const int type = GEOSGeomTypeId_r(h(), g);
  if (type == GEOS_LINESTRING || type == GEOS_LINEARRING) {
    const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(h(), g);
    unsigned n = 0;
    if (seq == nullptr || GEOSCoordSeq_getSize_r(h(), seq, &n) == 0 || n < 2) return;
    LineString line;
    line.reserve(n);
    for (unsigned i = 0; i < n; ++i) {
      double x = 0, y = 0;
      GEOSCoordSeq_getXY_r(h(), seq, i, &x, &y);
      line.emplace_back(x, y);
    }
    out.push_back(std::move(line));
  } else if (type == GEOS_MULTILINESTRING || type == GEOS_GEOMETRYCOLLECTION) {
    const int n = GEOSGetNumGeometries_r(h(), g);
    for (int i = 0; i < n; ++i) collect_lines(GEOSGetGeometryN_r(h(), g, i), out);
  }
}

}  // namespace

MultiLineString clip_lines(const MultiLineString& lines, const MultiPolygon& area) {
  if (lines.empty() || area.empty()) return {};
  GeomPtr gl = lines_to_geos(lines);
  GeomPtr ga = to_geos(area);
  GeomPtr r(GEOSIntersection_r(h(), gl.get(), ga.get()));
  if (!r) throw Error("line intersection failed: " + take_error());
  GeomPtr merged(GEOSLineMerge_r(h(), r.get()));
  MultiLineString out;
  collect_lines(merged ? merged.get() : r.get(), out);
  return out;
}

bool valid_line(const LineString& line) {
  bool distinct = false;
  for (const auto& p : line) {
    if (!std::isfinite(p.x()) || !std::isfinite(p.y())) return false;
    if (p.x() != line.front().x() || p.y() != line.front().y()) distinct = true;
  }
  return distinct;
}

namespace detail {

GeomPtr to_geos(const MultiPolygon& mp) {
  std::vector<const Polygon*> polys;
  for (const auto& p : mp) polys.push_back(&p);
  return collection_to_geos(polys, GEOS_MULTIPOLYGON);
}

MultiPolygon from_geos(const GEOSGeometry* g) {
  MultiPolygon out;
  if (g != nullptr) collect_polygons(g, out);
  bg::correct(out);
  return out;
}

}  // namespace detail

Validity check_validity(const MultiPolygon& mp) {
  GeomPtr g;
  try {
    g = to_geos(mp);
  } catch (const InvalidArgument& e) {
    return {false, e.detail()};
  }
  const char v = GEOSisValid_r(h(), g.get());
  if (v == 1) return {true, {}};
  std::unique_ptr<char, GeosFree<char>> reason(GEOSisValidReason_r(h(), g.get()));
  return {false, reason ? std::string(reason.get()) : take_error()};
}

MultiPolygon make_valid(const MultiPolygon& mp) {
  const MultiPolygon cleaned = drop_degenerate(mp);
  if (cleaned.empty()) return {};
  GeomPtr g = to_geos(cleaned);
  if (GEOSisValid_r(h(), g.get()) == 1) return from_geos(g.get());
  // The "structure" method: union of the outer rings minus the union of the holes. Unlike the
  // "linework" method it keeps the area of overlapping parts instead of cancelling it out.
  GEOSMakeValidParams* params = GEOSMakeValidParams_create_r(h());
  GEOSMakeValidParams_setMethod_r(h(), params, GEOS_MAKE_VALID_STRUCTURE);
  GEOSMakeValidParams_setKeepCollapsed_r(h(), params, 0);
  GeomPtr fixed(GEOSMakeValidWithParams_r(h(), g.get(), params));
  GEOSMakeValidParams_destroy_r(h(), params);
  if (!fixed) throw Error("make_valid failed: " + take_error());
  MultiPolygon parts = from_geos(fixed.get());
  const int type = GEOSGeomTypeId_r(h(), fixed.get());
  if (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON || parts.size() < 2) return parts;
  // A collection: its polygonal members may share edges; dissolve them into one valid result.
  std::vector<const Polygon*> ptrs;
  for (const auto& p : parts) ptrs.push_back(&p);
  GeomPtr coll = collection_to_geos(ptrs, GEOS_GEOMETRYCOLLECTION);
  GeomPtr merged(GEOSUnaryUnion_r(h(), coll.get()));
  if (!merged) throw Error("make_valid failed: " + take_error());
  return from_geos(merged.get());
}

MultiPolygon multipolygon_from_wkb(const unsigned char* wkb, std::size_t size) {
  if (wkb == nullptr || size == 0) throw InvalidArgument("wkb", "empty WKB");
  GEOSWKBReader* reader = GEOSWKBReader_create_r(h());
  GeomPtr g(GEOSWKBReader_read_r(h(), reader, wkb, size));
  GEOSWKBReader_destroy_r(h(), reader);
  if (!g) throw InvalidArgument("wkb", "cannot parse WKB: " + take_error());
  return from_geos(g.get());
}

std::vector<unsigned char> to_wkb(const MultiPolygon& mp) {
  GeomPtr g = to_geos(mp);
  GEOSWKBWriter* writer = GEOSWKBWriter_create_r(h());
  GEOSWKBWriter_setByteOrder_r(h(), writer, GEOS_WKB_NDR);
  GEOSWKBWriter_setOutputDimension_r(h(), writer, 2);
  GEOSWKBWriter_setFlavor_r(h(), writer, GEOS_WKB_ISO);
  std::size_t size = 0;
  std::unique_ptr<unsigned char, GeosFree<unsigned char>> buf(
      GEOSWKBWriter_write_r(h(), writer, g.get(), &size));
  GEOSWKBWriter_destroy_r(h(), writer);
  if (!buf) throw Error("cannot write WKB: " + take_error());
  return {buf.get(), buf.get() + size};
}

MultiPolygon intersection(const MultiPolygon& a, const MultiPolygon& b) {
  return overlay(a, b, Overlay::Intersection);
}

MultiPolygon difference(const MultiPolygon& a, const MultiPolygon& b) {
  return overlay(a, b, Overlay::Difference);
}

std::string relate(const MultiPolygon& a, const MultiPoint& b) {
  return relate_geos(a, multi_to_geos(b, GEOS_MULTIPOINT, point_to_geos).get());
}

std::string relate(const MultiPolygon& a, const MultiLineString& b) {
  return relate_geos(a, multi_to_geos(b, GEOS_MULTILINESTRING, line_to_geos).get());
}

std::string relate(const MultiPolygon& a, const MultiPolygon& b) {
  return relate_geos(a, to_geos(b).get());
}

MultiPolygon union_all(const std::vector<MultiPolygon>& parts) {
  std::vector<const Polygon*> polys;
  for (const auto& mp : parts)
    for (const auto& p : mp) polys.push_back(&p);
  if (polys.empty()) return {};
  GeomPtr coll = collection_to_geos(polys, GEOS_GEOMETRYCOLLECTION);
  GeomPtr u(GEOSUnaryUnion_r(h(), coll.get()));
  if (!u) throw Error("union failed: " + take_error());
  return from_geos(u.get());
}

std::vector<MultiPolygon> voronoi_cells(const std::vector<Point>& seeds, const MultiPolygon& clip) {
  std::vector<MultiPolygon> out(seeds.size());
  if (seeds.empty() || clip.empty()) return out;

  // An envelope comfortably larger than both the clip and the seeds, so every cell that meets the
  // clip is complete inside it.
  Box env = envelope(clip);
  for (const auto& s : seeds) bg::expand(env, s);
  const double w = bg::get<bg::max_corner, 0>(env) - bg::get<bg::min_corner, 0>(env);
  const double hgt = bg::get<bg::max_corner, 1>(env) - bg::get<bg::min_corner, 1>(env);
  const double margin = std::max(w, hgt) + 1e-9;
  GeomPtr env_geom(GEOSGeom_createRectangle_r(
      h(), bg::get<bg::min_corner, 0>(env) - margin, bg::get<bg::min_corner, 1>(env) - margin,
      bg::get<bg::max_corner, 0>(env) + margin, bg::get<bg::max_corner, 1>(env) + margin));
  if (!env_geom) throw Error("voronoi: cannot build envelope: " + take_error());

  std::vector<GeomPtr> pts;
  pts.reserve(seeds.size());
  for (const auto& s : seeds) {
    pts.emplace_back(GEOSGeom_createPointFromXY_r(h(), s.x(), s.y()));
    if (!pts.back()) throw_geometry("invalid seed");
  }
  std::vector<GEOSGeometry*> raw;
  raw.reserve(pts.size());
  for (auto& p : pts) raw.push_back(p.get());
  GeomPtr multipoint(GEOSGeom_createCollection_r(h(), GEOS_MULTIPOINT, raw.data(),
                                                 static_cast<unsigned>(raw.size())));
  if (!multipoint) throw Error("voronoi: cannot build seeds: " + take_error());
  for (auto& p : pts) static_cast<void>(p.release());  // the multipoint owns them now

  GeomPtr diagram(GEOSVoronoiDiagram_r(h(), multipoint.get(), env_geom.get(), 0.0, 0));
  if (!diagram) throw Error("voronoi failed: " + take_error());

  // GEOS does not keep the seeds' order: match cells to seeds by point location.
  const int ncells = GEOSGetNumGeometries_r(h(), diagram.get());
  std::vector<MultiPolygon> cells(static_cast<std::size_t>(std::max(ncells, 0)));
  for (int i = 0; i < ncells; ++i)
    cells[static_cast<std::size_t>(i)] = from_geos(GEOSGetGeometryN_r(h(), diagram.get(), i));
  const PolygonIndex cell_index(cells);
  std::vector<char> taken(cells.size(), 0);

  GeomPtr clip_geom = to_geos(clip);
  PreparedPtr prepared(GEOSPrepare_r(h(), clip_geom.get()));
  if (!prepared) throw Error("voronoi: cannot prepare clip: " + take_error());

  for (std::size_t i = 0; i < seeds.size(); ++i) {
    int32_t c = cell_index.locate({seeds[i].x(), seeds[i].y()});
    if (c < 0) {
      // Rounding put the seed just outside its cell's boundary: take the closest cell.
      double best = std::numeric_limits<double>::infinity();
      for (std::size_t k = 0; k < cells.size(); ++k) {
        const double d = cells[k].empty() ? best : bg::distance(seeds[i], cells[k]);
        if (d < best) {
          best = d;
          c = static_cast<int32_t>(k);
        }
      }
    }
    if (c < 0 || taken[static_cast<std::size_t>(c)])
      continue;  // duplicates share their first seed's cell
    taken[static_cast<std::size_t>(c)] = 1;
    const GEOSGeometry* cell = GEOSGetGeometryN_r(h(), diagram.get(), c);
    if (GEOSPreparedContainsProperly_r(h(), prepared.get(), cell) == 1) {
      out[i] = cells[static_cast<std::size_t>(c)];
    } else if (GEOSPreparedIntersects_r(h(), prepared.get(), cell) == 1) {
      GeomPtr part(GEOSIntersection_r(h(), cell, clip_geom.get()));
      if (!part) throw Error("voronoi: clipping failed: " + take_error());
      out[i] = from_geos(part.get());
    }
  }
  return out;
}

Point point_on_surface(const MultiPolygon& mp) {
  if (mp.empty()) throw InvalidArgument("geometry", "empty geometry has no point on surface");
  GeomPtr g = to_geos(mp);
  GeomPtr p(GEOSPointOnSurface_r(h(), g.get()));
  double x = 0;
  double y = 0;
  if (p && GEOSisEmpty_r(h(), p.get()) == 0 && GEOSGeomGetX_r(h(), p.get(), &x) == 1 &&
      GEOSGeomGetY_r(h(), p.get(), &y) == 1)
    return Point(x, y);
  return centroid(mp);
}

Point centroid(const MultiPolygon& mp) {
  if (mp.empty()) throw InvalidArgument("geometry", "empty geometry has no centroid");
  GeomPtr g = to_geos(mp);
  GeomPtr p(GEOSGetCentroid_r(h(), g.get()));
  double x = 0;
  double y = 0;
  if (!p || GEOSisEmpty_r(h(), p.get()) == 1 || GEOSGeomGetX_r(h(), p.get(), &x) != 1 ||
      GEOSGeomGetY_r(h(), p.get(), &y) != 1)
    throw InvalidArgument("geometry", "cannot compute a centroid: " + take_error());
  return Point(x, y);
}

std::string to_wkt(const MultiPolygon& mp) {
  GeomPtr g = to_geos(mp);
  GEOSWKTWriter* writer = GEOSWKTWriter_create_r(h());
  GEOSWKTWriter_setRoundingPrecision_r(h(), writer, 9);
  GEOSWKTWriter_setTrim_r(h(), writer, 1);
  GEOSWKTWriter_setOutputDimension_r(h(), writer, 2);
  std::unique_ptr<char, GeosFree<char>> text(GEOSWKTWriter_write_r(h(), writer, g.get()));
  GEOSWKTWriter_destroy_r(h(), writer);
  if (!text) throw Error("cannot write WKT: " + take_error());
  return text.get();
}

MultiPolygon multipolygon_from_wkt(const std::string& wkt) {
  GEOSWKTReader* reader = GEOSWKTReader_create_r(h());
  GeomPtr g(GEOSWKTReader_read_r(h(), reader, wkt.c_str()));
  GEOSWKTReader_destroy_r(h(), reader);
  if (!g) throw InvalidArgument("wkt", "cannot parse WKT: " + take_error());
  return from_geos(g.get());
}

MultiPolygon multipolygon_from_geojson(const std::string& geojson, const std::string& parameter) {
  GEOSGeoJSONReader* reader = GEOSGeoJSONReader_create_r(h());
  GeomPtr g(GEOSGeoJSONReader_readGeometry_r(h(), reader, geojson.c_str()));
  GEOSGeoJSONReader_destroy_r(h(), reader);
  if (!g) throw InvalidArgument(parameter, "cannot read the GeoJSON geometry: " + take_error());
  return from_geos(g.get());
}

}  // namespace onemap::spatial
