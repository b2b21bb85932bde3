// The record endpoints: reading and writing single records of the county's layers as JSON.
//
//   POST /incidents, GET|PATCH /incidents/{id}
//   POST /households, GET|PATCH /households/{id}      (every read and write needs the token:
//                                                       households hold personal data)
//   POST /enterprises, GET|PATCH /enterprises/{id}
//   GET|PATCH /grids/{id}                               (name and outline)
//
// {id} is the record's integer feature id (the same as in tiles). Writes need the write token;
// each is durable, joined to its grid and reflected in every tile before it is answered
// (layers/county.hpp). Bodies are JSON objects; an unknown field, a wrong type or a bad value is
// a 400 naming the field. Points take "lon" and "lat" in CGCS2000 (EPSG:4490; WGS84 is taken as
// the same), or in GCJ-02 with "crs": "GCJ02".
#pragma once

#include "layers/county.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onemap::api {

struct RecordRequest {
  std::string_view method;  ///< "GET", "HEAD", "POST", "PATCH", …
  std::string_view path;
  /// The first query parameter's name, if any (these endpoints take none).
  std::optional<std::string> query_parameter;
  std::string_view body;
  /// Throws Unauthorized or Forbidden unless the request may write (and read personal data).
  std::function<void()> require_writer;
};

struct RecordAnswer {
  int status = 200;
  std::string body;  ///< JSON
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::string> allow;  ///< with status 405: the methods the path allows
};

/// Whether `path` is one of the record endpoints.
bool is_record_path(std::string_view path);

/// Answers a request to a record endpoint. @throws InvalidArgument (400), NotFound (404),
/// Unauthorized (401), Forbidden (403) as the server maps them.
RecordAnswer handle_record_request(layers::County& county, const RecordRequest& request);

}  // namespace onemap::api
