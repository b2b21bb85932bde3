// A request body read as a vector source: staged as a file GDAL opens, in memory (/vsimem/), for
// the importer (layers/ingest/import.hpp) behind POST /admin/layers and the feeds.
#pragma once

#include "core/errors.hpp"
#include "http/message.hpp"

#include <string>
#include <string_view>

namespace onemap::api {

/// The media type of a request, lower case, without its parameters ("application/json" of
/// "Application/JSON; charset=utf-8"); "" when it has none.
std::string media_type(const http::Request& request);

/// A body staged in memory as a file GDAL reads, removed with this object. The bytes are not
/// copied: they must outlive it.
class Upload {
 public:
  /// `extension` tells GDAL its format (".geojson", ".csv", ".zip" for a zipped Shapefile…).
  /// @throws InvalidArgument("body") for an empty body.
  Upload(std::string_view bytes, std::string_view extension);
  ~Upload();
  Upload(const Upload&) = delete;
  Upload& operator=(const Upload&) = delete;

  /// What GDAL opens (the staged file, inside /vsizip/ for a zip).
  const std::string& source() const { return source_; }
  /// An error of reading the source as the caller sees it: "source" is the body, and the staged
  /// file's name means nothing to the caller.
  InvalidArgument about_body(const InvalidArgument& e) const;

 private:
  std::string path_, source_;
};

}  // namespace onemap::api
