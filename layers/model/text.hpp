// What a request may hold: the limits on its size and shape, and the one rule for every text
// field taken from it (valid UTF-8, no NUL or control characters, a length in characters).
//
// Everything here runs before anything recursive or stored sees the input: check_json_depth
// scans the raw bytes iteratively, so a body nested 100,000 levels deep is a 400 before a
// recursive parser, serialiser or destructor could overflow the stack. The JSON helpers at the
// end are for the other direction: text built from stored strings (which may hold any bytes,
// from earlier versions or imports) is always valid UTF-8 and never throws.
#pragma once

#include "core/json_text.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace onemap::layers {

/// The limits on request input. The defaults suit a county; a server may change them once at
/// start-up (set_input_limits) before it serves.
struct InputLimits {
  int json_depth = 64;                      ///< nesting of arrays and objects in a JSON body
  std::size_t geometry_vertices = 100'000;  ///< positions in one geometry of a request
  std::size_t filter_terms = 1'000;         ///< terms of a CQL2 filter (property names and values)
  std::size_t free_text_chars = 4'000;      ///< description, note (tab and line breaks allowed)
  std::size_t name_chars = 200;   ///< names, addresses, contact fields, times, codes of areas
  std::size_t id_chars = 64;      ///< ids, category codes, roles, states, tokens, If-Match
  std::size_t url_chars = 2'048;  ///< media_url
};

/// The limits in force.
const InputLimits& input_limits();
/// Replaces the limits; call once before serving (not synchronised with readers).
void set_input_limits(const InputLimits& limits);

/// The kinds of text field, each with its length limit; only free text may hold tab, CR and LF.
enum class TextKind { FreeText, Name, Id, Url };

/// Checks a text field of a request: valid UTF-8 (RFC 3629: no overlong forms, surrogates or
/// code points above U+10FFFF), no NUL or other control character (C0, DEL, C1; free text may
/// hold tab, CR and LF) and at most the kind's length in characters (code points).
/// @throws InvalidArgument (parameter) saying which rule it breaks and where.
void check_text(std::string_view text, const std::string& parameter, TextKind kind);

// Well-formed UTF-8: one decoder for the whole project (core/json_text.hpp).
using onemap::is_valid_utf8;
using onemap::utf8_sequence;
/// `s` with every byte that starts no well-formed sequence replaced by U+FFFD.
std::string to_valid_utf8(std::string_view s);

/// Checks that arrays and objects in a JSON text nest at most `max_depth` deep, by one pass over
/// its bytes (brackets inside strings do not count). Run it before parsing any request body.
/// @throws InvalidArgument (parameter).
void check_json_depth(std::string_view json, const std::string& parameter,
                      int max_depth = input_limits().json_depth);

/// The JSON text of a value whatever its strings hold: invalid UTF-8 becomes U+FFFD.
template <class Json>
std::string json_text(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

/// A JSON text read back from the store (a routing reason, an event's detail, extra attributes):
/// null when empty; the parsed value when it parses (after replacing invalid UTF-8); otherwise
/// (truncated, too deep) the text itself as a string. Never throws a parse error.
template <class Json>
Json stored_json(std::string_view text) {
  if (text.empty()) return Json(nullptr);
  std::string valid = is_valid_utf8(text) ? std::string(text) : to_valid_utf8(text);
  try {
    check_json_depth(valid, "stored");
  } catch (const std::exception&) {
    return Json(std::move(valid));
  }
  Json j = Json::parse(valid.begin(), valid.end(), nullptr, false);
  if (j.is_discarded()) return Json(std::move(valid));
  return j;
}

}  // namespace onemap::layers
