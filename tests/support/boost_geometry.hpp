// Boost.Geometry for the tests' oracles (bg::intersection of multipolygons and lines), included
// before anything else brings it in: GCC 12 sees a maybe-uninitialized read in Boost's envelope
// of a multipolygon, a false positive, silenced here for Boost's headers only (the state applies
// where the warned code is written).
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "spatial/geometry.hpp"
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
