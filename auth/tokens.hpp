// API tokens: random bearer tokens, of which the store keeps only the SHA-256.
#pragma once

#include <string>
#include <string_view>

namespace onemap::auth {

/// A new token: "om_" and 40 hex digits (160 bits) from the operating system's random source.
std::string new_token();
/// SHA-256 of a token, as 64 lowercase hex digits.
std::string token_hash(std::string_view token);

}  // namespace onemap::auth
