// Percent-decoding (RFC 3986) of query components and form bodies.
#pragma once

#include <string>
#include <string_view>

namespace onemap::http {

/// Decodes %XX escapes; with `plus_is_space` (application/x-www-form-urlencoded) '+' is a space,
/// otherwise it stays a plus. @throws InvalidArgument(parameter, …) for a malformed escape.
std::string percent_decode(std::string_view text, bool plus_is_space, const std::string& parameter);

}  // namespace onemap::http
