// GCJ-02 ("Mars coordinates", used by Amap/Tencent) and BD-09 (Baidu), both directions.
//
// Neither is in PROJ: GCJ-02 is a published-by-reverse-engineering nonlinear offset of 50-700 m
// applied to WGS84 lon/lat inside China; BD-09 is a further rotation/scale on top of GCJ-02.
// Points outside China's bounding rectangle are returned unchanged, as the official SDKs do.
// The inverses are iterative and accurate to better than 1e-9 degrees (~0.1 mm), well within the
// 0.1 m required.
#pragma once

#include "spatial/geometry.hpp"

namespace onemap::spatial {

/// True when the offset applies (the rough rectangle of mainland China used by the SDKs).
bool in_china(LonLat p);

/// WGS84 (≈ CGCS2000, centimetre-level) → GCJ-02.
LonLat wgs84_to_gcj02(LonLat p);
/// GCJ-02 → WGS84, by fixed-point iteration of the forward function.
LonLat gcj02_to_wgs84(LonLat p);
/// GCJ-02 → BD-09.
LonLat gcj02_to_bd09(LonLat p);
/// BD-09 → GCJ-02 (iterated to the same accuracy).
LonLat bd09_to_gcj02(LonLat p);
/// WGS84 → BD-09.
LonLat wgs84_to_bd09(LonLat p);
/// BD-09 → WGS84.
LonLat bd09_to_wgs84(LonLat p);

}  // namespace onemap::spatial
