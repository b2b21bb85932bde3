// multipart/form-data bodies (RFC 7578): a form with files, as GeoReport v2 clients send a photo
// (`media`) with a new request.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace onemap::http {

/// One part of a form.
struct FormPart {
  std::string name;          ///< Content-Disposition's name
  std::string filename;      ///< Content-Disposition's filename ("" for a plain field)
  bool is_file = false;      ///< whether the part named a filename (even an empty one)
  std::string content_type;  ///< the part's Content-Type, lower case, without parameters
  std::string_view data;     ///< the part's bytes, inside the body
};

/// The boundary a multipart/form-data Content-Type names ("multipart/form-data;
/// boundary=X"). @throws InvalidArgument("Content-Type", …) for none or one RFC 2046 refuses.
std::string multipart_boundary(std::string_view content_type);

/// The parts of a multipart/form-data body cut by `boundary`, at most `max_parts` of them, each
/// with a Content-Disposition of form-data and a name, its headers at most 8 KiB.
/// @throws InvalidArgument("body", …) for anything else (a missing closing delimiter included).
std::vector<FormPart> parse_multipart(std::string_view body, std::string_view boundary,
                                      std::size_t max_parts = 64);

}  // namespace onemap::http
