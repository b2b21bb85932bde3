// Writing JSON text by hand (the request log, GeoJSON written without a JSON tree): one string
// escaper, whose output is valid UTF-8 whatever bytes come in.
#pragma once

#include <string>
#include <string_view>

namespace onemap {

/// Appends `s` as the inside of a JSON string literal: quotes, backslashes and control
/// characters escaped; every byte sequence that is not valid UTF-8 (RFC 3629: no overlongs,
/// surrogates or code points past U+10FFFF) replaced by U+FFFD (one for a bad byte and the continuation bytes after it).
void append_json_escaped(std::string& out, std::string_view s);

/// Whether `s` is valid UTF-8 (RFC 3629).
bool is_valid_utf8(std::string_view s);

}  // namespace onemap
