// A labelled set of addresses as callers give them: the demo's households' addresses with the
// noise of hotline tickets, SMS and petitions (prefixes, dropped or shortened names, Chinese
// numerals, full-width digits, 队 for 组, spaces and punctuation, landmarks, a mistyped
// character, a missing house number), each labelled with the household's place and village.
// For the geocoder's benchmark and tests.
#pragma once

#include "layers/model/model.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace onemap::layers {

struct LabelledAddress {
  std::string query;    ///< as a caller gives it
  std::string address;  ///< the household's address as registered
  double lon = 0, lat = 0;
  std::string village_code;  ///< the household's village
  bool house = true;         ///< the query keeps the house number: it names the house
  std::string noise;         ///< the kinds of noise applied, comma-separated ("" for none)
};

/// `n` households of `data` drawn at random (with their villages known from the grids), their
/// addresses made noisy. Deterministic for a seed.
std::vector<LabelledAddress> noisy_addresses(const Dataset& data, std::size_t n, uint64_t seed);

}  // namespace onemap::layers
