// A reference UTF-8 decoder, written from the standard alone: the oracle of the validators in
// core/json_text.hpp and layers/model/text.hpp.
#pragma once

#include <string>

namespace onemap::testing {

/// Whether `s` is well-formed UTF-8 (The Unicode Standard, 3.9 D92; RFC 3629): reads the length
/// from the lead byte and the bits from the continuation bytes, then rejects overlong forms,
/// surrogates and code points past U+10FFFF.
bool reference_utf8_valid(const std::string& s);

}  // namespace onemap::testing
