// Reading JSON from a request (a body, a CQL2 JSON filter): the one way the project parses one,
// with the limits of text.hpp applied before anything recursive runs.
#pragma once

#include "core/errors.hpp"
#include "layers/model/text.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace onemap::layers {

/// Parses JSON from a request after checking its nesting depth (check_json_depth): nlohmann's
/// parser, serialiser and destructor are recursive, so a deeper text never reaches them. The
/// error names `parameter` and the position, without echoing the text.
/// @throws InvalidArgument (parameter) for a text too deep or not JSON.
template <class Json = nlohmann::json>
Json parse_request_json(std::string_view text, const std::string& parameter) {
  check_json_depth(text, parameter);
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    std::string why = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 5: …; last read: '…'":
    // keep the position and the reason, not the bytes read.
    if (const auto p = why.find("] "); p != std::string::npos) why = why.substr(p + 2);
    if (const auto p = why.find("; last read"); p != std::string::npos) why.resize(p);
    throw InvalidArgument(parameter, "not valid JSON: " + why);
  } catch (const std::exception&) {
    throw InvalidArgument(parameter, "not valid JSON");
  }
}

}  // namespace onemap::layers
