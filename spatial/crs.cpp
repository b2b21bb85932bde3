// CrsTransform and friends: PROJ behind onemap's value types, chained with the GCJ-02/BD-09
// offsets of chinacrs for the two names PROJ does not know.
//
// Every CrsTransform owns its PJ_CONTEXT, so distinct instances may be used from distinct threads
// at once (PROJ objects are not safe to share). Operations are normalised for visualisation so
// that x is always longitude/easting whatever axis order the EPSG definition declares.
#include "spatial/crs.hpp"

#include "core/errors.hpp"
#include "spatial/chinacrs.hpp"

#include <geodesic.h>
#include <proj.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <utility>

namespace onemap::spatial {
namespace {

// The geographic CRS the China offsets are defined against.
constexpr const char* kWgs84 = "EPSG:4326";

std::string upper_trimmed(const std::string& s) {
  std::string out;
  for (char c : s)
    if (!std::isspace(static_cast<unsigned char>(c)))
      out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return out;
}

// Collects PROJ's log messages so they can be put into exception texts instead of stderr.
void collect_log(void* user, int level, const char* msg) {
  if (level > PJ_LOG_ERROR || msg == nullptr) return;
  auto* sink = static_cast<std::string*>(user);
  *sink = msg;
}

// A PJ_CONTEXT whose log goes to a string.
struct Context {
  PJ_CONTEXT* ctx = nullptr;
  std::string last_log;
  Context() : ctx(proj_context_create()) {
    if (ctx == nullptr) throw CrsError("cannot create a PROJ context");
    proj_log_func(ctx, &last_log, collect_log);
  }
  ~Context() {
    if (ctx != nullptr) proj_context_destroy(ctx);
  }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
};

struct PjDeleter {
  void operator()(PJ* p) const {
    if (p != nullptr) proj_destroy(p);
  }
};
using PjPtr = std::unique_ptr<PJ, PjDeleter>;

bool looks_like_proj_string(const std::string& def) {
  const auto first = def.find_first_not_of(" \t");
  if (first == std::string::npos) return false;
  return def[first] == '+' || def.compare(first, 5, "proj=") == 0;
}

// Creates a CRS object from a definition, or throws CrsError naming it.
PjPtr create_crs(Context& c, const std::string& def) {
  c.last_log.clear();
  PjPtr crs(proj_create(c.ctx, def.c_str()));
  if (crs && !proj_is_crs(crs.get())) {
    crs.reset();
    // "+proj=longlat +datum=WGS84" without +type=crs denotes an operation, not a CRS.
    if (looks_like_proj_string(def) && def.find("type=crs") == std::string::npos)
      crs.reset(proj_create(c.ctx, (def + " +type=crs").c_str()));
    if (crs && !proj_is_crs(crs.get())) crs.reset();
    if (!crs) throw CrsError("not a coordinate reference system: '" + def + "'");
  }
  if (!crs) {
    std::string msg = "unknown CRS '" + def + "'";
    if (!c.last_log.empty()) msg += ": " + c.last_log;
    throw CrsError(msg);
  }
  return crs;
}

// Signed shoelace area of a ring (closed or not), relative to its first vertex for precision.
double ring_area(const Ring& r) {
  if (r.size() < 3) return 0.0;
  const double x0 = r.front().x();
  const double y0 = r.front().y();
  double twice = 0.0;
  for (std::size_t i = 1; i + 1 < r.size(); ++i)
    twice += (r[i].x() - x0) * (r[i + 1].y() - y0) - (r[i + 1].x() - x0) * (r[i].y() - y0);
  return twice / 2.0;
}

}  // namespace

ChinaOffset china_offset_from_name(const std::string& name) {
  const std::string u = upper_trimmed(name);
  if (u == "GCJ02" || u == "GCJ-02") return ChinaOffset::Gcj02;
  if (u == "BD09" || u == "BD-09") return ChinaOffset::Bd09;
  return ChinaOffset::None;
}

struct CrsTransform::Impl {
  Context context;
  PjPtr op;  // null when the PROJ part is a no-op
  ChinaOffset source_offset = ChinaOffset::None;
  ChinaOffset target_offset = ChinaOffset::None;
  bool identity = false;
  std::string source;
  std::string target;

  LonLat before(LonLat p) const {
    switch (source_offset) {
      case ChinaOffset::Gcj02:
        return gcj02_to_wgs84(p);
      case ChinaOffset::Bd09:
        return bd09_to_wgs84(p);
      case ChinaOffset::None:
        break;
    }
    return p;
  }
  LonLat after(LonLat p) const {
    switch (target_offset) {
      case ChinaOffset::Gcj02:
        return wgs84_to_gcj02(p);
      case ChinaOffset::Bd09:
        return wgs84_to_bd09(p);
      case ChinaOffset::None:
        break;
    }
    return p;
  }
  [[noreturn]] void fail(double x, double y) const {
    char buf[64];
    std::snprintf(buf, sizeof buf, "(%.9g, %.9g)", x, y);
    std::string msg =
        "cannot transform " + std::string(buf) + " from '" + source + "' to '" + target + "'";
    const int err = op ? proj_errno(op.get()) : 0;
    if (err != 0) msg += std::string(": ") + proj_context_errno_string(context.ctx, err);
    throw CrsError(msg);
  }
};

CrsTransform::CrsTransform(const std::string& source, const std::string& target)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.source = source;
  m.target = target;
  m.source_offset = china_offset_from_name(source);
  m.target_offset = china_offset_from_name(target);
  if (m.source_offset != ChinaOffset::None && m.source_offset == m.target_offset) {
    m.identity = true;
    return;
  }
  const std::string proj_source = m.source_offset == ChinaOffset::None ? source : kWgs84;
  const std::string proj_target = m.target_offset == ChinaOffset::None ? target : kWgs84;
  PjPtr src = create_crs(m.context, proj_source);
  PjPtr dst = create_crs(m.context, proj_target);
  const bool same =
      proj_is_equivalent_to_with_ctx(m.context.ctx, src.get(), dst.get(),
                                     PJ_COMP_EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS) != 0;
  if (same) {
    m.identity = m.source_offset == ChinaOffset::None && m.target_offset == ChinaOffset::None;
    return;
  }
  m.context.last_log.clear();
  PjPtr raw(proj_create_crs_to_crs_from_pj(m.context.ctx, src.get(), dst.get(), nullptr, nullptr));
  if (!raw) {
    std::string msg = "no transformation from '" + source + "' to '" + target + "'";
    if (!m.context.last_log.empty()) msg += ": " + m.context.last_log;
    throw CrsError(msg);
  }
  m.op.reset(proj_normalize_for_visualization(m.context.ctx, raw.get()));
  if (!m.op)
    throw CrsError("cannot normalise the transformation from '" + source + "' to '" + target + "'");
}

CrsTransform::~CrsTransform() = default;
CrsTransform::CrsTransform(CrsTransform&&) noexcept = default;
CrsTransform& CrsTransform::operator=(CrsTransform&&) noexcept = default;

bool CrsTransform::is_identity() const {
  return impl_->identity;
}

Point CrsTransform::apply(Point p) const {
  const Impl& m = *impl_;
  if (m.identity) return p;
  LonLat q = m.before({p.x(), p.y()});
  if (m.op) {
    proj_errno_reset(m.op.get());
    PJ_COORD c = proj_coord(q.lon, q.lat, 0, 0);
    c = proj_trans(m.op.get(), PJ_FWD, c);
    if (!std::isfinite(c.xy.x) || !std::isfinite(c.xy.y)) m.fail(p.x(), p.y());
    q = {c.xy.x, c.xy.y};
  }
  q = m.after(q);
  return Point(q.lon, q.lat);
}

bool CrsTransform::apply(std::vector<Point>& pts) const {
  const Impl& m = *impl_;
  if (m.identity || pts.empty()) return true;
  std::vector<double> xs(pts.size());
  std::vector<double> ys(pts.size());
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const LonLat q = m.before({pts[i].x(), pts[i].y()});
    xs[i] = q.lon;
    ys[i] = q.lat;
  }
  if (m.op) {
    proj_errno_reset(m.op.get());
    proj_trans_generic(m.op.get(), PJ_FWD, xs.data(), sizeof(double), xs.size(), ys.data(),
                       sizeof(double), ys.size(), nullptr, 0, 0, nullptr, 0, 0);
  }
  bool ok = true;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    if (!std::isfinite(xs[i]) || !std::isfinite(ys[i])) {
      ok = false;
      continue;
    }
    const LonLat q = m.after({xs[i], ys[i]});
    pts[i] = Point(q.lon, q.lat);
  }
  return ok;
}

void CrsTransform::apply(MultiPolygon& mp) const {
  if (impl_->identity) return;
  std::vector<Point> pts;
  for (const auto& poly : mp) {
    pts.insert(pts.end(), poly.outer().begin(), poly.outer().end());
    for (const auto& hole : poly.inners()) pts.insert(pts.end(), hole.begin(), hole.end());
  }
  if (!apply(pts)) {
    // Find the first failing point for the message.
    for (const auto& poly : mp)
      for (const auto& p : poly.outer()) apply(p);
    for (const auto& poly : mp)
      for (const auto& hole : poly.inners())
        for (const auto& p : hole) apply(p);
    throw CrsError("cannot transform geometry from '" + impl_->source + "' to '" + impl_->target +
                   "'");
  }
  std::size_t k = 0;
  for (auto& poly : mp) {
    for (auto& p : poly.outer()) p = pts[k++];
    for (auto& hole : poly.inners())
      for (auto& p : hole) p = pts[k++];
  }
}

std::string crs_name(const std::string& definition) {
  switch (china_offset_from_name(definition)) {
    case ChinaOffset::Gcj02:
      return "GCJ-02 (offset WGS 84)";
    case ChinaOffset::Bd09:
      return "BD-09 (offset GCJ-02)";
    case ChinaOffset::None:
      break;
  }
  try {
    thread_local Context context;
    PjPtr crs = create_crs(context, definition);
    const char* name = proj_get_name(crs.get());
    if (name != nullptr && *name != '\0') return name;
  } catch (const CrsError&) {
  }
  return definition;
}

int cgcs2000_gk3_epsg(double lon) {
  if (!std::isfinite(lon)) return 0;
  const double cm = 3.0 * std::round(lon / 3.0);
  if (cm < 75.0 || cm > 135.0) return 0;
  return 4534 + static_cast<int>(std::lround((cm - 75.0) / 3.0));
}

double area_m2(const MultiPolygon& lonlat) {
  if (lonlat.empty()) return 0.0;
  const Box env = envelope(lonlat);
  if (bg::get<bg::min_corner, 0>(env) > bg::get<bg::max_corner, 0>(env)) return 0.0;
  Point c((bg::get<bg::min_corner, 0>(env) + bg::get<bg::max_corner, 0>(env)) / 2,
          (bg::get<bg::min_corner, 1>(env) + bg::get<bg::max_corner, 1>(env)) / 2);
  try {
    Point centroid(c);
    bg::centroid(lonlat, centroid);
    if (std::isfinite(centroid.x()) && std::isfinite(centroid.y())) c = centroid;
  } catch (const bg::exception&) {
    // Degenerate (zero-area) input: keep the envelope centre.
  }
  const int epsg = in_china({c.x(), c.y()}) ? cgcs2000_gk3_epsg(c.x()) : 0;
  std::string target;
  if (epsg != 0) {
    target = "EPSG:" + std::to_string(epsg);
  } else {
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "+proj=laea +lat_0=%.2f +lon_0=%.2f +ellps=GRS80 +units=m +no_defs +type=crs",
                  c.y(), c.x());
    target = buf;
  }
  // Transforms are cached per thread; the cache is small (GK zones and rounded LAEA centres).
  thread_local std::map<std::string, CrsTransform> cache;
  auto it = cache.find(target);
  if (it == cache.end()) {
    if (cache.size() >= 64) cache.clear();
    it = cache.emplace(target, CrsTransform(kStorageCrs, target)).first;
  }
  MultiPolygon projected = lonlat;
  it->second.apply(projected);
  double total = 0.0;
  for (const auto& poly : projected) {
    double a = std::fabs(ring_area(poly.outer()));
    for (const auto& hole : poly.inners()) a -= std::fabs(ring_area(hole));
    total += a;
  }
  return total;
}

double distance_m(LonLat a, LonLat b) {
  static const geod_geodesic grs80 = [] {
    geod_geodesic g{};
    geod_init(&g, 6378137.0, 1.0 / 298.257222101);
    return g;
  }();
  double s12 = 0.0;
  geod_inverse(&grs80, a.lat, a.lon, b.lat, b.lon, &s12, nullptr, nullptr);
  return s12;
}

double length_m(const MultiLineString& lonlat) {
  double total = 0;
  for (const auto& line : lonlat)
    for (std::size_t i = 1; i < line.size(); ++i)
      total += distance_m({line[i - 1].x(), line[i - 1].y()}, {line[i].x(), line[i].y()});
  return total;
}

double local_area_m2(const MultiPolygon& lonlat) {
  double area = 0, weighted_lat = 0;
  for (const auto& poly : lonlat) {
    const double a = std::abs(bg::area(poly));
    if (a == 0) continue;
    Point c(0.0, 0.0);
    bg::centroid(poly, c);
    area += a;
    weighted_lat += a * c.y();
  }
  if (area == 0) return 0;
  // GRS80 radii of curvature at the centroid latitude: meridian (M) and prime vertical (N).
  constexpr double kA = 6378137.0, kE2 = 0.00669438002290, kRad = 3.14159265358979323846 / 180.0;
  const double phi = weighted_lat / area * kRad;
  const double w = 1.0 - kE2 * std::sin(phi) * std::sin(phi);
  const double m = kA * (1.0 - kE2) / (w * std::sqrt(w));
  const double n = kA / std::sqrt(w);
  return area * (m * kRad) * (n * kRad * std::cos(phi));
}

}  // namespace onemap::spatial
