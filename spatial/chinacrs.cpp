// GCJ-02 and BD-09 offsets: the published forward formulas and iterative inverses.
//
// The forward GCJ-02 formula is the widely published one (Krasovsky 1940 ellipsoid constants,
// trigonometric offset polynomials in lon-105, lat-35). BD-09 is a small rotation and scaling of
// GCJ-02 around the origin plus a fixed shift. Both forward maps are close to the identity (their
// Jacobians differ from I by less than 1e-2), so the inverse converges quickly by fixed-point
// iteration x ← x + (target − f(x)); we iterate until the step is below 1e-12 degrees.
#include "spatial/chinacrs.hpp"

#include <cmath>

namespace onemap::spatial {
namespace {

constexpr double kPi = 3.1415926535897932384626;
constexpr double kXPi = kPi * 3000.0 / 180.0;
constexpr double kKrasovskyA = 6378245.0;
constexpr double kKrasovskyEe = 0.00669342162296594323;

// Iteration limits for the inverses: the contraction factor is ~1e-2, so 1e-12 degrees is reached
// in four to six steps; the cap only guards against pathological input (NaN, border points).
constexpr double kStepTolerance = 1e-12;
constexpr int kMaxIterations = 40;

double transform_lat(double x, double y) {
  double ret =
      -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * std::sqrt(std::fabs(x));
  ret += (20.0 * std::sin(6.0 * x * kPi) + 20.0 * std::sin(2.0 * x * kPi)) * 2.0 / 3.0;
  ret += (20.0 * std::sin(y * kPi) + 40.0 * std::sin(y / 3.0 * kPi)) * 2.0 / 3.0;
  ret += (160.0 * std::sin(y / 12.0 * kPi) + 320.0 * std::sin(y * kPi / 30.0)) * 2.0 / 3.0;
  return ret;
}

double transform_lon(double x, double y) {
  double ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * std::sqrt(std::fabs(x));
  ret += (20.0 * std::sin(6.0 * x * kPi) + 20.0 * std::sin(2.0 * x * kPi)) * 2.0 / 3.0;
  ret += (20.0 * std::sin(x * kPi) + 40.0 * std::sin(x / 3.0 * kPi)) * 2.0 / 3.0;
  ret += (150.0 * std::sin(x / 12.0 * kPi) + 300.0 * std::sin(x / 30.0 * kPi)) * 2.0 / 3.0;
  return ret;
}

// Forward GCJ-02 without the in-China test.
LonLat gcj02_offset(LonLat p) {
  double dlat = transform_lat(p.lon - 105.0, p.lat - 35.0);
  double dlon = transform_lon(p.lon - 105.0, p.lat - 35.0);
  const double radlat = p.lat / 180.0 * kPi;
  double magic = std::sin(radlat);
  magic = 1 - kKrasovskyEe * magic * magic;
  const double sqrtmagic = std::sqrt(magic);
  dlat = (dlat * 180.0) / ((kKrasovskyA * (1 - kKrasovskyEe)) / (magic * sqrtmagic) * kPi);
  dlon = (dlon * 180.0) / (kKrasovskyA / sqrtmagic * std::cos(radlat) * kPi);
  return {p.lon + dlon, p.lat + dlat};
}

// Forward BD-09 from GCJ-02 without the in-China test.
LonLat bd09_offset(LonLat p) {
  const double z = std::sqrt(p.lon * p.lon + p.lat * p.lat) + 0.00002 * std::sin(p.lat * kXPi);
  const double theta = std::atan2(p.lat, p.lon) + 0.000003 * std::cos(p.lon * kXPi);
  return {z * std::cos(theta) + 0.0065, z * std::sin(theta) + 0.006};
}

// Solves f(x) = target for x by fixed-point iteration starting from `start`.
template <typename F>
LonLat invert(F f, LonLat target, LonLat start) {
  LonLat x = start;
  for (int i = 0; i < kMaxIterations; ++i) {
    const LonLat fx = f(x);
    const double dx = target.lon - fx.lon;
    const double dy = target.lat - fx.lat;
    x.lon += dx;
    x.lat += dy;
    if (std::fabs(dx) < kStepTolerance && std::fabs(dy) < kStepTolerance) break;
  }
  return x;
}

}  // namespace

bool in_china(LonLat p) {
  return p.lon >= 72.004 && p.lon <= 137.8347 && p.lat >= 0.8293 && p.lat <= 55.8271;
}

LonLat wgs84_to_gcj02(LonLat p) {
  if (!in_china(p)) return p;
  return gcj02_offset(p);
}

LonLat gcj02_to_wgs84(LonLat p) {
  if (!in_china(p)) return p;
  // Start from the classic one-step approximation x ≈ 2q − f(q).
  const LonLat fq = gcj02_offset(p);
  const LonLat start{2 * p.lon - fq.lon, 2 * p.lat - fq.lat};
  return invert(gcj02_offset, p, start);
}

LonLat gcj02_to_bd09(LonLat p) {
  if (!in_china(p)) return p;
  return bd09_offset(p);
}

LonLat bd09_to_gcj02(LonLat p) {
  if (!in_china(p)) return p;
  // The closed-form approximate inverse used by the SDKs, then refined.
  const double x = p.lon - 0.0065;
  const double y = p.lat - 0.006;
  const double z = std::sqrt(x * x + y * y) - 0.00002 * std::sin(y * kXPi);
  const double theta = std::atan2(y, x) - 0.000003 * std::cos(x * kXPi);
  const LonLat start{z * std::cos(theta), z * std::sin(theta)};
  return invert(bd09_offset, p, start);
}

LonLat wgs84_to_bd09(LonLat p) {
  return gcj02_to_bd09(wgs84_to_gcj02(p));
}

LonLat bd09_to_wgs84(LonLat p) {
  return gcj02_to_wgs84(bd09_to_gcj02(p));
}

}  // namespace onemap::spatial
