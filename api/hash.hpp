// A fast non-cryptographic hash of bytes, for ETags and cache keys.
#pragma once

#include <cstdint>
#include <string_view>

namespace onemap::api {

/// 64-bit FNV-1a.
inline uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace onemap::api
