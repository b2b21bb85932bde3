// Seeded draws for the labelled test sets (splitmix64): the same draws on every platform for a
// seed, so that a set and the figures measured on it can be made again.
#pragma once

#include <cstddef>
#include <cstdint>

namespace onemap::layers {

class Draws {
 public:
  explicit Draws(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  double uniform(double lo = 0, double hi = 1) {
    return lo + (hi - lo) * static_cast<double>(next() >> 11) * 0x1.0p-53;
  }
  bool chance(double p) { return uniform() < p; }
  template <std::size_t N>
  const char* pick(const char* const (&a)[N]) {
    return a[below(N)];
  }

 private:
  uint64_t state_;
};

}  // namespace onemap::layers
