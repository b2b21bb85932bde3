// Rings as the spatial tests build them: closed from their corners, and star-shaped around a
// centre with a radius drawn for each vertex. Header only: the spatial tests link the spatial
// library alone.
#pragma once

#include "spatial/geometry.hpp"

#include <cmath>
#include <utility>
#include <vector>

namespace onemap::testing {

/// The ring through `corners` and back to the first.
inline spatial::Ring closed_ring(std::vector<spatial::Point> corners) {
  corners.push_back(corners.front());
  return spatial::Ring(corners.begin(), corners.end());
}

/// A closed star-shaped ring of `n` vertices around (120, 30): vertex i at the angle a = 2πi/n
/// and the distance radius(a) (called once a vertex, in order), each coordinate passed through
/// place() (a lattice's snap, say).
template <class Radius, class Place>
spatial::Ring star_ring(int n, Radius&& radius, Place&& place) {
  std::vector<spatial::Point> corners;
  for (int i = 0; i < n; ++i) {
    const double a = 2 * 3.14159265358979323846 * i / n;
    const double r = radius(a);
    corners.emplace_back(place(120 + r * std::cos(a)), place(30 + r * std::sin(a)));
  }
  return closed_ring(std::move(corners));
}

template <class Radius>
spatial::Ring star_ring(int n, Radius&& radius) {
  return star_ring(n, std::forward<Radius>(radius), [](double v) { return v; });
}

}  // namespace onemap::testing
