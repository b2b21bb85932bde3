// Writing JSON text by hand (the request log, GeoJSON written without a JSON tree): one string
// escaper, whose output is valid UTF-8 whatever bytes come in.
#pragma once

#include <string>
#include <string_view>

namespace onemap {

/// Appends `s` as the inside of a JSON string literal: quotes, backslashes and control
/// characters escaped; every byte sequence that is not valid UTF-8 (RFC 3629: no overlongs,
/// surrogates or code points past U+10FFFF) replaced by U+FFFD (one for a bad byte and the
/// continuation bytes after it).
void append_json_escaped(std::string& out, std::string_view s);

/// The length of the well-formed UTF-8 sequence (RFC 3629) that starts at s[i] (1 to 4), or 0
/// when the bytes there start none (or i is past the end).
std::size_t utf8_sequence(std::string_view s, std::size_t i);

/// Whether `s` is valid UTF-8 (RFC 3629).
bool is_valid_utf8(std::string_view s);

}  // namespace onemap
