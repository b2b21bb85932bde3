// Exact geometric predicates and the deterministic point-in-polygon rule.
//
// THE BOUNDARY RULE. A point P belongs to polygon A when the point P + (ε, ε²) lies inside A for
// infinitesimal ε > 0: that is, a point on a shared edge goes to the polygon on its east side; a
// point on a horizontal shared edge goes to the polygon to its north; a shared vertex goes to the
// polygon that holds the space just east (then north) of it. Implemented as a crossing-number
// test with half-open edges in y and an exact orientation predicate, so polygons that tile the
// plane without gaps or overlaps assign every point to exactly one of them, independent of
// floating-point rounding.
#pragma once

#include "spatial/geometry.hpp"

namespace onemap::spatial {

/// Sign of the orientation of (a, b, c): +1 counter-clockwise (c left of a→b), -1 clockwise,
/// 0 collinear. Exact for all finite double inputs (filtered, with an exact fallback).
int orient2d(const Point& a, const Point& b, const Point& c);

/// The boundary rule above for one ring (closed, any orientation): true when P+(ε,ε²) is inside.
bool ring_contains(const Ring& ring, const Point& p);

/// The boundary rule for a polygon with holes (inside the outer ring and inside no hole), and for
/// a multipolygon (inside any of its polygons; for a valid multipolygon, whose parts do not
/// overlap, this is the same as the parity over all its rings, which PolygonIndex uses).
bool polygon_contains(const Polygon& poly, const Point& p);
bool multipolygon_contains(const MultiPolygon& mp, const Point& p);

/// True when P lies exactly on the segment from a to b (its ends included), exact arithmetic.
bool on_segment(const Point& a, const Point& b, const Point& p);

/// True when P lies exactly on the polygon's boundary (an edge or vertex), exact arithmetic.
bool on_boundary(const MultiPolygon& mp, const Point& p);

}  // namespace onemap::spatial
