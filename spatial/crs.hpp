// Coordinate reference systems: PROJ behind a small value-semantics interface.
//
// onemap stores everything in CGCS2000 geographic coordinates (EPSG:4490), lon/lat order.
// A CrsTransform converts between a source CRS and a target CRS, always in traditional GIS axis
// order (x = easting/longitude, y = northing/latitude) whatever the EPSG axis order says.
// Besides anything PROJ understands ("EPSG:4549", a WKT string, a PROJ string) the names
// "GCJ02" and "BD09" (case-insensitive, also "GCJ-02"/"BD-09") are accepted: they are handled in
// chinacrs.hpp and chained with PROJ through WGS84.
#pragma once

#include "spatial/geometry.hpp"

#include <memory>
#include <string>
#include <vector>

namespace onemap::spatial {

/// The storage CRS of every layer.
inline constexpr int kStorageEpsg = 4490;
inline constexpr const char* kStorageCrs = "EPSG:4490";

/// Which special offset a CRS name denotes.
enum class ChinaOffset { None, Gcj02, Bd09 };

/// Parses "GCJ02"/"GCJ-02"/"BD09"/"BD-09" (any case); None for everything else.
ChinaOffset china_offset_from_name(const std::string& name);

/// A transformation from one CRS to another. Thread-compatible: use one per thread
/// (construction is cheap after the first, PROJ caches its database lookups).
class CrsTransform {
 public:
  /// @param source any CRS definition PROJ accepts, or GCJ02 / BD09.
  /// @param target same; defaults to the storage CRS.
  /// @throws CrsError when either is unknown or no transformation exists.
  explicit CrsTransform(const std::string& source, const std::string& target = kStorageCrs);
  ~CrsTransform();
  CrsTransform(CrsTransform&&) noexcept;
  CrsTransform& operator=(CrsTransform&&) noexcept;

  /// True when source and target are the same CRS (nothing to do).
  bool is_identity() const;

  /// Transforms one coordinate. @throws CrsError on failure (e.g. out of the CRS's area).
  Point apply(Point p) const;
  /// Transforms in place; returns false (leaving values unspecified) if any point fails.
  bool apply(std::vector<Point>& pts) const;
  void apply(MultiPolygon& mp) const;  ///< @throws CrsError

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Human-readable name of a CRS definition ("CGCS2000 / 3-degree Gauss-Kruger CM 120E"), or the
/// input when PROJ cannot resolve it.
std::string crs_name(const std::string& definition);

/// The EPSG code of the CGCS2000 3-degree Gauss-Krüger zone (CM 75E..135E, truncated easting,
/// EPSG:4534..4554) whose central meridian is nearest to `lon`, or 0 outside those zones.
int cgcs2000_gk3_epsg(double lon);

/// Area in square metres, computed in a projected CRS: the CGCS2000 3-degree Gauss-Krüger zone
/// of the geometry's centroid inside China's zones, else a Lambert azimuthal equal-area
/// projection centred on it. Input is lon/lat in EPSG:4490.
double area_m2(const MultiPolygon& lonlat);

/// Area in square metres of a small lon/lat geometry, computed as its planar area in degrees
/// scaled by the GRS80 metres-per-degree at its centroid's latitude (equirectangular). Unlike
/// area_m2 it is exactly zero for collinear slivers that overlays leave along long edges, so it
/// is the measure for gaps and overlaps; within 0.01% of the ellipsoidal area for parts a few km
/// across.
double local_area_m2(const MultiPolygon& lonlat);

/// Distance in metres between two lon/lat points (geodesic on GRS80).
double distance_m(LonLat a, LonLat b);

/// Length in metres of lon/lat lines: the sum of their segments' geodesic lengths (GRS80).
double length_m(const MultiLineString& lonlat);

}  // namespace onemap::spatial
